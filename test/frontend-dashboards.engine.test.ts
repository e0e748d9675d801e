/**
 * The dashboards' users and starter saved objects on the evaluation stack's search node as it
 * boots, with the real security plugin (its rendered opensearch.yml and opensearch-security/*.yml,
 * test/support/secured-node.ts). No dashboards server can run here, so what it would do is done
 * with its users' real requests:
 *
 * - the dashboards server user creates the saved objects index with OpenSearch Dashboards'
 *   mapping for the four starter types (strict, as the UI's migration writes it);
 * - `dashboardseditor` writes the starter objects of config/dashboards/opensearch-dashboards.ndjson
 *   into it as saved object documents in the global tenant, twice (the import overwrites);
 * - `dashboardsreader`, every visitor, reads them, and the security plugin reports the global
 *   tenant read only to it (what makes the UI hide save and edit) and writable to the editor;
 * - the saved search's and the visualizations' queries and aggregations run as the visitor's
 *   searches on seeded log lines and find the expected builds, so a broken starter query fails.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { OPENSEARCH_DASHBOARDS_INDICES } from "../lib/frontend/dashboards-access";
import { parseSavedObjects, ZUUL_FAILED_RESULTS, type SavedObject } from "../lib/frontend/saved-objects";
import { logMapping } from "../lib/search/engine";
import { freePort } from "./support/nginx-live";
import { openSearchGate } from "./support/opensearch";
import {
  awaitNode,
  GeneratedPasswords,
  httpsRequest,
  renderedNode,
  securedHome,
  startRenderedNode,
  stopNode,
  TestCa,
  type Credentials,
  type StartedNode,
} from "./support/secured-node";
import { synthConfig } from "./support/synth";
import { describeGated } from "./support/validators";

const NODE = "evaluation-search-data-1";
const LOGS = "logstash-2026.02.01";
const SAVED_OBJECTS_FILE = path.join("config", "dashboards", "opensearch-dashboards.ndjson");
/** The security plugin's name of the global tenant (authinfo, dashboardsinfo). */
const GLOBAL_TENANT = "global_tenant";
/**
 * What OpenSearch Dashboards sends as `securitytenant` for the global tenant: GLOBAL_TENANT_SYMBOL,
 * the empty string (opensearch-project/security-dashboards-plugin@3.8.0.0:common/index.ts,
 * server/auth/types/authentication_type.ts).
 */
const GLOBAL_TENANT_HEADER = "";

/**
 * OpenSearch Dashboards' saved objects index mapping for the starter types, read from its source
 * (opensearch-project/OpenSearch-Dashboards): the core properties of
 * src/core/server/saved_objects/migrations/core/build_active_mappings.ts@04fcc8fbd616cee1dce2145a0cfdc04895af2ee0
 * (defaultMapping, `dynamic: strict`), and each type's `mappings` in
 * src/plugins/data/server/saved_objects/index_patterns.ts@0520ec805ed973a486d2c20b9625c71935b1c794,
 * src/plugins/discover/server/saved_objects/search.ts@24fe7c090f99b148c5c85ac2112f2a7383875c6c,
 * src/plugins/visualizations/server/saved_objects/visualization.ts@5e265add50502af197e7d2b6377fd3c9de43f1a1,
 * src/plugins/dashboard/server/saved_objects/dashboard.ts@1f3582aa215a68738fe3589c589c21834ab79990.
 */
const notIndexed = { type: "text", index: false };
const notSearched = (type: string) => ({ type, index: false, doc_values: false });
const searchSourceMeta = { properties: { searchSourceJSON: notIndexed } };
const SAVED_OBJECTS_MAPPING = {
  dynamic: "strict",
  properties: {
    migrationVersion: { dynamic: "true", type: "object" },
    type: { type: "keyword" },
    namespace: { type: "keyword" },
    namespaces: { type: "keyword" },
    originId: { type: "keyword" },
    updated_at: { type: "date" },
    references: { type: "nested", properties: { name: { type: "keyword" }, type: { type: "keyword" }, id: { type: "keyword" } } },
    "index-pattern": { dynamic: false, properties: { title: { type: "text" }, type: { type: "keyword" } } },
    search: {
      properties: {
        columns: notSearched("keyword"), description: { type: "text" }, hits: notSearched("integer"), kibanaSavedObjectMeta: searchSourceMeta,
        sort: notSearched("keyword"), columnWidths: { type: "object", enabled: false }, title: { type: "text" }, version: { type: "integer" },
      },
    },
    visualization: {
      properties: {
        description: { type: "text" }, kibanaSavedObjectMeta: searchSourceMeta, savedSearchRefName: notSearched("keyword"), title: { type: "text" },
        uiStateJSON: notIndexed, version: { type: "integer" }, visState: notIndexed,
      },
    },
    dashboard: {
      properties: {
        description: { type: "text" }, hits: notSearched("integer"), kibanaSavedObjectMeta: searchSourceMeta, optionsJSON: notIndexed, panelsJSON: notIndexed,
        refreshInterval: { properties: { display: notSearched("keyword"), pause: notSearched("boolean"), section: notSearched("integer"), value: notSearched("integer") } },
        timeFrom: notSearched("keyword"), timeRestore: notSearched("boolean"), timeTo: notSearched("keyword"), title: { type: "text" }, version: { type: "integer" },
      },
    },
  },
};

interface ExportedObject {
  readonly id: string;
  readonly type: string;
  readonly attributes: Record<string, unknown>;
  readonly references: readonly object[];
  readonly migrationVersion: Record<string, string>;
}

/** The export's objects as the file has them (JSON attributes still strings, as the index keeps them). */
function exportedObjects(text: string): ExportedObject[] {
  return text.trimEnd().split("\n").slice(0, -1).map((line) => JSON.parse(line) as ExportedObject);
}

/** A saved object as OpenSearch Dashboards stores it: `<type>:<id>`, the attributes under the type's name. */
function savedObjectDocument(object: ExportedObject): { id: string; source: object } {
  return {
    id: `${object.type}:${object.id}`,
    source: { type: object.type, [object.type]: object.attributes, references: object.references, migrationVersion: object.migrationVersion, updated_at: "2026-02-01T00:00:00.000Z" },
  };
}

const bulkIndex = (index: string, documents: readonly { id: string; source: object }[]) =>
  documents.map((document) => `${JSON.stringify({ index: { _index: index, _id: document.id } })}\n${JSON.stringify(document.source)}\n`).join("");

// ---------------------------------------------------------------------------------------------
// What the UIs send for a saved search and a visualization (Lucene runs as query_string)

interface Aggregation {
  readonly id: string;
  readonly type: string;
  readonly schema: string;
  readonly params: { field?: string; size?: number; order?: string; orderBy?: string; min_doc_count?: number };
}

const searchSourceOf = (object: SavedObject) => (object.attributes.kibanaSavedObjectMeta as { searchSourceJSON: { query: { query: string; language: string } } }).searchSourceJSON;

/** The visitor's search: every query of the object and of the saved search it builds on, within the dashboard's time range. */
function searchQuery(objects: readonly SavedObject[]): object {
  const queries = objects.map((object) => searchSourceOf(object).query).filter((query) => query.query.trim() !== "");
  for (const query of queries) expect(query.language).toBe("lucene");
  return {
    bool: {
      must: queries.map((query) => ({ query_string: { query: query.query, analyze_wildcard: true } })),
      filter: [{ range: { "@timestamp": { gte: "now-7d", lte: "now", format: "strict_date_optional_time" } } }],
    },
  };
}

/** A visualization's aggregations: its buckets nested in order, its metrics in each bucket (terms order by them). */
function aggregationsOf(aggs: readonly Aggregation[]): Record<string, object> {
  const metrics = Object.fromEntries(
    aggs.filter((agg) => agg.schema === "metric" && agg.type !== "count").map((agg) => [agg.id, { [agg.type]: { field: agg.params.field } }]),
  );
  const countIds = new Set(aggs.filter((agg) => agg.type === "count").map((agg) => agg.id));
  const bucket = (agg: Aggregation): object => {
    if (agg.type === "date_histogram") return { date_histogram: { field: agg.params.field, fixed_interval: "3h", min_doc_count: agg.params.min_doc_count ?? 1 } };
    if (agg.type === "terms") return { terms: { field: agg.params.field, size: agg.params.size, order: { [countIds.has(agg.params.orderBy!) ? "_count" : agg.params.orderBy!]: agg.params.order } } };
    throw new Error(`a starter visualization uses a ${agg.type} bucket, which this test does not build`);
  };
  return aggs.filter((agg) => agg.schema !== "metric").reduceRight<Record<string, object>>((inner, agg) => ({ [agg.id]: { ...bucket(agg), aggs: { ...metrics, ...inner } } }), metrics);
}

interface BucketLevel {
  readonly doc_count?: number;
  readonly [id: string]: unknown;
}

/** The rows of a visualization's answer: the terms keys of each leaf bucket (date buckets passed through) and its metric's value or count. */
function rowsOf(level: BucketLevel, buckets: readonly Aggregation[], metric: Aggregation, keys: readonly string[] = []): string[] {
  const [next, ...rest] = buckets;
  if (next === undefined) return [`${keys.join(" / ")}: ${metric.type === "count" ? level.doc_count : (level[metric.id] as { value: number }).value}`];
  return (level[next.id] as { buckets: (BucketLevel & { key: unknown })[] }).buckets.flatMap((entry) =>
    rowsOf(entry, rest, metric, next.type === "date_histogram" ? keys : [...keys, String(entry.key)]));
}

// ---------------------------------------------------------------------------------------------
// The seeded log lines: failed builds of each kind, and error lines that must not count

/** One time for every line: an hour ago, inside the dashboard's time range, in one date bucket. */
const LINE_TIME = new Date(Date.now() - 3_600_000).toISOString();
const line = (build: { uuid: string; job: string; project: string; status: string }, loglevel: string, module: string, message: string) => ({
  "@timestamp": LINE_TIME, build_uuid: build.uuid, build_short_uuid: build.uuid.slice(0, 7), build_name: build.job,
  project: build.project, build_status: build.status, voting: 1, filename: "job-output.txt", loglevel, module, message,
});
const NOVA_FAILURE = { uuid: "f1a0000000000000000000000000000a", job: "tempest-full", project: "openstack/nova", status: "FAILURE" };
const NEUTRON_TIMEOUT = { uuid: "f2b0000000000000000000000000000b", job: "tempest-full", project: "openstack/neutron", status: "TIMED_OUT" };
const NOVA_POST_FAILURE = { uuid: "f3c0000000000000000000000000000c", job: "grenade", project: "openstack/nova", status: "POST_FAILURE" };
const NOVA_SUCCESS = { uuid: "a4d0000000000000000000000000000d", job: "tempest-full", project: "openstack/nova", status: "SUCCESS" };
const NOVA_RETRY = { uuid: "a5e0000000000000000000000000000e", job: "grenade", project: "openstack/nova", status: "RETRY" };
const SEEDED_LINES = [
  line(NOVA_FAILURE, "ERROR", "nova.compute.manager", "Instance failed to spawn"),
  line(NOVA_FAILURE, "CRITICAL", "nova.virt.libvirt.driver", "libvirt connection lost"),
  line(NOVA_FAILURE, "INFO", "nova.compute.manager", "Terminating instance"),
  line(NEUTRON_TIMEOUT, "ERROR", "neutron.agent.l3.agent", "Failed to process router"),
  line(NEUTRON_TIMEOUT, "WARNING", "neutron.agent.l3.agent", "Router not found"),
  line(NOVA_POST_FAILURE, "ERROR", "nova.compute.manager", "Instance failed to spawn"),
  line(NOVA_SUCCESS, "ERROR", "nova.compute.manager", "Expected error in a negative test"),
  line(NOVA_RETRY, "ERROR", "nova.compute.manager", "Instance failed to spawn"),
];

describeGated(openSearchGate(), "the dashboards' users and starter saved objects on the search node with the real security plugin", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "frontend-dashboards-"));
  const passwords = new GeneratedPasswords();
  const text = fs.readFileSync(SAVED_OBJECTS_FILE, "utf8");
  const { objects, problems } = parseSavedObjects("opensearch-dashboards", text);
  const byId = (id: string) => objects.find((object) => object.id === id)!;
  let ca: TestCa;
  let node: StartedNode;

  const user = (name: string, fragment: string): Credentials => ({ username: name, password: passwords.of(fragment) });
  const admin = () => user("admin", "_admin-password");
  const server = () => user("dashboards", "_dashboards-password");
  const editor = () => user("dashboardseditor", "dashboards-editor-password");
  const reader = () => user("dashboardsreader", "dashboards-reader-password");
  /** A request as the dashboards send it for a signed-in user: in the global tenant. */
  const as = (auth: Credentials, method: string, target: string, body?: unknown) => httpsRequest(node.httpPort, ca, method, target, { auth, body, headers: { securitytenant: GLOBAL_TENANT_HEADER } });
  /** A request of the dashboards server itself (its migrations, its own saved objects): no tenant. */
  const asServer = (method: string, target: string, body?: unknown) => httpsRequest(node.httpPort, ca, method, target, { auth: server(), body });

  beforeAll(async () => {
    expect(problems).toEqual([]);
    const stack = synthConfig().evaluation as { resource: { openstack_compute_instance_v2: Record<string, { name: string; user_data: string }> } };
    const instance = Object.values(stack.resource.openstack_compute_instance_v2).find((candidate) => candidate.name === NODE)!;
    ca = new TestCa(path.join(dir, "ca"));
    const transportPort = await freePort();
    node = startRenderedNode({
      node: renderedNode(NODE, instance.user_data, passwords), home: securedHome(), dir: path.join(dir, "node"), ca,
      httpPort: await freePort(), transportPort, seedHosts: [`127.0.0.1:${transportPort}`], heapMiB: 512,
    });
    // The security index is set up from the rendered files at the first start (allow_default_init_securityindex).
    await awaitNode(node, "the security index", async () => (await httpsRequest(node.httpPort, ca, "GET", "_plugins/_security/authinfo", { auth: admin() })).status === 200);
    const created = await httpsRequest(node.httpPort, ca, "PUT", LOGS, { auth: admin(), body: { settings: { "index.default_pipeline": "_none" }, mappings: logMapping() } });
    expect(created.status).toBe(200);
    const seeded = await httpsRequest(node.httpPort, ca, "POST", "_bulk?refresh=true", { auth: admin(), body: SEEDED_LINES.map((document) => `{"index":{"_index":"${LOGS}"}}\n${JSON.stringify(document)}\n`).join("") });
    expect({ status: seeded.status, errors: seeded.body.errors }).toEqual({ status: 200, errors: false });
  }, 300_000);

  afterAll(async () => {
    if (node !== undefined) await stopNode(node);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("the saved objects index and the import", () => {
    beforeAll(async () => {
      // As the dashboards server's migration does: a versioned index behind the alias the UI uses.
      const createdIndex = await asServer("PUT", ".kibana_1", { mappings: SAVED_OBJECTS_MAPPING, aliases: { ".kibana": {} } });
      expect({ status: createdIndex.status, body: createdIndex.status === 200 ? undefined : createdIndex.body }).toEqual({ status: 200, body: undefined });
    });

    test("the dashboards server user creates the saved objects index under one of the dashboards' index names", () => {
      expect(OPENSEARCH_DASHBOARDS_INDICES.some((pattern) => new RegExp(`^${pattern.replace(/[.]/g, "[.]").replace(/\*/g, ".*")}$`).test(".kibana_1"))).toBe(true);
    });

    test("the editor writes the starter objects into the global tenant, and writing them again replaces them", async () => {
      const documents = exportedObjects(text).map(savedObjectDocument);
      for (const round of [1, 2]) {
        const imported = await as(editor(), "POST", "_bulk?refresh=true", bulkIndex(".kibana", documents));
        expect({ round, status: imported.status, errors: imported.body.errors, results: imported.body.items.map((item: { index: { _id: string; result: string } }) => `${item.index._id} ${item.index.result}`) }).toEqual({
          round, status: 200, errors: false, results: documents.map((document) => `${document.id} ${round === 1 ? "created" : "updated"}`),
        });
      }
      const counted = await as(reader(), "GET", ".kibana/_count");
      expect(counted.body.count).toBe(objects.length);
    });

    test("the index's strict mapping refuses an attribute the type does not have (what a wrong export would meet)", async () => {
      const [search] = exportedObjects(text).filter((object) => object.type === "search");
      const wrong = savedObjectDocument({ ...search, id: "wrong", attributes: { ...search.attributes, colums: ["message"] } });
      const response = await as(editor(), "PUT", `.kibana/_doc/${wrong.id}`, wrong.source);
      expect({ status: response.status, type: response.body.error?.type }).toEqual({ status: 400, type: "strict_dynamic_mapping_exception" });
    });

    test("every visitor reads the starter objects by their ids, as the UI's _bulk_get does", async () => {
      const response = await as(reader(), "POST", ".kibana/_mget", { ids: objects.map((object) => `${object.type}:${object.id}`) });
      expect(response.status).toBe(200);
      expect(response.body.docs.map((doc: { _id: string; found: boolean; _source?: { type: string } }) => `${doc._id} ${doc.found} ${doc._source?.type}`)).toEqual(
        objects.map((object) => `${object.type}:${object.id} true ${object.type}`),
      );
      const dashboards = await as(reader(), "POST", ".kibana/_search", { query: { term: { type: "dashboard" } } });
      expect(dashboards.body.hits.hits.map((hit: { _source: { dashboard: { title: string } } }) => hit._source.dashboard.title)).toEqual(["CI failures"]);
    });

    test("a visitor cannot change, delete or add a saved object; the editor can", async () => {
      const [dashboard] = exportedObjects(text).filter((object) => object.type === "dashboard");
      const changed = savedObjectDocument({ ...dashboard, attributes: { ...dashboard.attributes, title: "Defaced" } });
      expect((await as(reader(), "PUT", `.kibana/_doc/${changed.id}`, changed.source)).status).toBe(403);
      expect((await as(reader(), "POST", ".kibana/_doc", changed.source)).status).toBe(403);
      expect((await as(reader(), "DELETE", `.kibana/_doc/${changed.id}`)).status).toBe(403);
      // Refused whole (403) or item by item: either way not written.
      const bulk = await as(reader(), "POST", "_bulk", bulkIndex(".kibana", [changed]));
      expect(bulk.body.items?.[0]?.index?.status ?? bulk.status).toBe(403);
      const title = await as(reader(), "GET", `.kibana/_doc/${changed.id}`);
      expect(title.body._source.dashboard.title).toBe("CI failures");
      const copy = savedObjectDocument({ ...dashboard, id: "editor-copy" });
      expect((await as(editor(), "PUT", `.kibana/_doc/${copy.id}?refresh=true`, copy.source)).status).toBe(201);
      expect((await as(editor(), "DELETE", `.kibana/_doc/${copy.id}?refresh=true`)).status).toBe(200);
    });
  });

  describe("the global tenant as the security plugin reports it to the dashboards", () => {
    test("the plugin's tenancy is the rendered one: multitenancy on, no private tenants, the global tenant by default", async () => {
      const info = await httpsRequest(node.httpPort, ca, "GET", "_plugins/_security/dashboardsinfo", { auth: reader() });
      expect(info.status).toBe(200);
      expect(info.body).toMatchObject({ multitenancy_enabled: true, private_tenant_enabled: false, default_tenant: GLOBAL_TENANT });
    });

    // The security plugin for OpenSearch Dashboards (server/readonly/readonly_service.ts at 3.8.0.0)
    // hides save and edit when authinfo's tenants give the current tenant false.
    test.each([
      ["dashboardsreader", false, reader],
      ["dashboardseditor", true, editor],
    ] as const)("%s has the global tenant writable: %s", async (_name, writable, credentials) => {
      const info = await as(credentials(), "GET", "_plugins/_security/authinfo");
      expect(info.status).toBe(200);
      expect(info.body.tenants[GLOBAL_TENANT]).toBe(writable);
    });
  });

  type Send = (method: string, target: string, body?: unknown) => ReturnType<typeof httpsRequest>;
  const reading: Send = (...request) => as(reader(), ...request);
  const editing: Send = (...request) => as(editor(), ...request);
  /** What each dashboards user may do beyond reading and writing the starter objects, and no more: [who, send, method, path, body, status]. */
  const rights: readonly (readonly [string, string, string, number, unknown, () => Send])[] = [
    ["dashboardsreader", "GET", `${LOGS}/_field_caps?fields=*`, 200, undefined, () => reading],
    ["dashboardsreader", "POST", `${LOGS}/_search`, 200, { size: 0, aggs: { jobs: { terms: { field: "build_name" } } } }, () => reading],
    ["dashboardsreader", "PUT", "logstash-2026.02.02", 403, {}, () => reading],
    ["dashboardsreader", "POST", `${LOGS}/_doc`, 403, { message: "x" }, () => reading],
    ["dashboardsreader", "PUT", ".kibana_2", 403, {}, () => reading],
    ["dashboardsreader", "PUT", "_index_template/evil", 403, { index_patterns: ["x*"] }, () => reading],
    ["dashboardsreader", "GET", "_plugins/_security/api/internalusers", 403, undefined, () => reading],
    ["dashboardsreader", "POST", ".opendistro_security/_search", 403, {}, () => reading],
    ["dashboardseditor", "POST", `${LOGS}/_search`, 200, {}, () => editing],
    ["dashboardseditor", "POST", `${LOGS}/_doc`, 403, { message: "x" }, () => editing],
    ["dashboardseditor", "DELETE", LOGS, 403, undefined, () => editing],
    ["dashboardseditor", "PUT", "other-index", 403, {}, () => editing],
    ["dashboardseditor", "GET", "_plugins/_security/api/internalusers", 403, undefined, () => editing],
    ["the dashboards server", "GET", "_cluster/health", 200, undefined, () => asServer],
    ["the dashboards server", "POST", ".kibana/_search", 200, {}, () => asServer],
    ["the dashboards server", "PUT", ".kibana/_doc/config:3.8.0", 201, { type: "config", updated_at: "2026-02-01T00:00:00.000Z" }, () => asServer],
    ["the dashboards server", "POST", `${LOGS}/_search`, 403, {}, () => asServer],
    ["the dashboards server", "POST", `${LOGS}/_doc`, 403, { message: "x" }, () => asServer],
    ["the dashboards server", "GET", "_plugins/_security/api/internalusers", 403, undefined, () => asServer],
  ];

  test.each(rights)("%s: %s %s answers %d", async (_who, method, target, status, body, send) => {
    const response = await send()(method, target, body);
    expect({ status: response.status, error: response.status === status ? undefined : response.body }).toEqual({ status, error: undefined });
  });

  describe("the starter queries as the visitor's searches on the seeded lines", () => {
    const failedBuilds = [NOVA_FAILURE, NEUTRON_TIMEOUT, NOVA_POST_FAILURE].map((build) => build.uuid).sort();

    test("the seeded builds' statuses are failed ones but for the success and the retry", () => {
      expect([NOVA_FAILURE, NEUTRON_TIMEOUT, NOVA_POST_FAILURE].every((build) => (ZUUL_FAILED_RESULTS as readonly string[]).includes(build.status))).toBe(true);
      expect([NOVA_SUCCESS, NOVA_RETRY].some((build) => (ZUUL_FAILED_RESULTS as readonly string[]).includes(build.status))).toBe(false);
    });

    test("the saved search Failed builds finds the lines of exactly the failed builds, newest first", async () => {
      const search = byId("failed-builds");
      const pattern = byId(search.references[0].id).attributes.title as string;
      const attributes = search.attributes as { columns: string[]; sort: [string, string][] };
      const response = await as(reader(), "POST", `${pattern}/_search`, {
        size: 500, query: searchQuery([search]), sort: attributes.sort.map(([field, order]) => ({ [field]: order })), _source: attributes.columns.concat("build_uuid"),
      });
      expect(response.status).toBe(200);
      const uuids = [...new Set(response.body.hits.hits.map((hit: { _source: { build_uuid: string } }) => hit._source.build_uuid))].sort();
      expect(uuids).toEqual(failedBuilds);
      expect(response.body.hits.total.value).toBe(SEEDED_LINES.filter((document) => failedBuilds.includes(document.build_uuid)).length);
    });

    const visualizationRows: Record<string, string[]> = {
      "failures-per-job": ["tempest-full: 2", "grenade: 1"],
      "failures-per-project": ["openstack/nova: 2", "openstack/neutron: 1"],
      "error-lines": ["nova.compute.manager / ERROR: 2", "neutron.agent.l3.agent / ERROR: 1", "nova.virt.libvirt.driver / CRITICAL: 1"],
    };

    test.each(Object.entries(visualizationRows))("the visualization %s shows the failed builds' figures", async (id, rows) => {
      const visualization = byId(id);
      const savedSearch = byId(visualization.references.find((entry) => entry.name === visualization.attributes.savedSearchRefName)!.id);
      const pattern = byId(savedSearch.references[0].id).attributes.title as string;
      const aggs = (visualization.attributes.visState as { aggs: Aggregation[] }).aggs;
      const response = await as(reader(), "POST", `${pattern}/_search`, { size: 0, query: searchQuery([savedSearch, visualization]), aggs: aggregationsOf(aggs) });
      expect({ status: response.status, error: response.status === 200 ? undefined : response.body }).toEqual({ status: 200, error: undefined });
      expect(rowsOf(response.body.aggregations, aggs.filter((agg) => agg.schema !== "metric"), aggs.find((agg) => agg.schema === "metric")!)).toEqual(rows);
    });

    test("fails the saved search's figures when its query is broken (a misspelt field matches nothing)", async () => {
      const search = byId("failed-builds");
      const broken = { ...search, attributes: { kibanaSavedObjectMeta: { searchSourceJSON: { query: { query: searchSourceOf(search).query.query.replace("build_status", "build_state"), language: "lucene" } } } } };
      const response = await as(reader(), "POST", "logstash-*/_count", { query: searchQuery([broken]) });
      expect(response.body.count).toBe(0);
    });
  });
});
