import { stopSearchEngine } from "../support/search-engine";

export default async function globalTeardown(): Promise<void> {
  await stopSearchEngine();
}
