/**
 * `npm run build-test-engines`: builds (or finds in the cache) the real programs the tests run,
 * so that the first `npm test` does not wait for downloads: the search engine nodes' homes (Maven) and
 * the OpenStack provider (Go). CI runs it; locally the tests build on first use.
 */
import * as fs from "node:fs";
import { buildOpenstackProvider } from "../../lib/provider-binary";
import { COMMITTED_SCHEMA_FILE, OPENSTACK_PROVIDER_ADDRESS, type ProvidersSchemaJson } from "../../lib/provider-schema";
import { securedHome } from "../support/secured-node";
import { buildSearchEngine } from "../support/search-engine";

function timed(what: string, build: () => string): void {
  const started = Date.now();
  const built = build();
  process.stdout.write(`${what}: ${built} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

const schema = JSON.parse(fs.readFileSync(COMMITTED_SCHEMA_FILE, "utf8")) as ProvidersSchemaJson;
timed("search engine node", buildSearchEngine);
timed("secured search engine node (security plugin)", securedHome);
timed("OpenStack provider", () => buildOpenstackProvider(schema.provider_versions![OPENSTACK_PROVIDER_ADDRESS]));
