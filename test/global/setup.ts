import { usePrivateTmpdir } from "./private-tmpdir";

/** jest's global setup, for every project: see private-tmpdir.ts. */
export default function globalSetup(): void {
  usePrivateTmpdir();
}
