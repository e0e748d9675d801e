/**
 * `npm run build-test-engines`: builds (or finds in the cache) what the real-program tests run, so
 * that the first `npm test` does not wait for downloads. CI runs it; locally the tests build on
 * first use.
 */
import { buildSearchEngine, searchEngineBuildDir } from "../support/search-engine";

const started = Date.now();
buildSearchEngine();
process.stdout.write(`search engine node: ${searchEngineBuildDir()} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
