import { startSearchEngine } from "../support/search-engine";

/** jest's engine project: spawn the run's search engine node (test files wait for it). */
export default function globalSetup(): void {
  startSearchEngine();
}
