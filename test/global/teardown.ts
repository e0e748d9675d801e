import { removePrivateTmpdir } from "./private-tmpdir";

/** jest's global teardown: see private-tmpdir.ts. */
export default function globalTeardown(): void {
  removePrivateTmpdir();
}
