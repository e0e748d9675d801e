/**
 * The public front end's request tables, shared by the tests that run the rendered nginx in
 * front of the plain test node (test/frontend-nginx.engine.test.ts) and in front of the secured
 * cluster's data nodes (test/search-cluster.engine.test.ts).
 */
import { MAX_PUBLIC_HITS } from "../../lib/frontend/nginx";

/**
 * The hostile-request table: each is refused by nginx with the given status, before it reaches
 * the cluster or the dashboards server.
 */
export const HOSTILE: readonly (readonly [string, string, number, string?])[] = [
  // Writes and administration of the cluster
  ["POST", "/_aliases", 403],
  ["POST", "/_bulk", 403],
  ["POST", "/logstash-2026.11.25/_bulk", 403],
  ["PUT", "/logstash-2026.11.25", 403],
  ["DELETE", "/logstash-2026.11.25", 403],
  ["DELETE", "/logstash-*", 403],
  ["PUT", "/logstash-2026.11.25/_search", 403],
  ["DELETE", "/_search", 403],
  ["POST", "/logstash-2026.11.25/_doc", 403],
  ["POST", "/logstash-2026.11.25/_update_by_query", 403],
  ["POST", "/logstash-2026.11.25/_delete_by_query", 403],
  ["POST", "/logstash-2026.11.25/_mapping", 403],
  ["PUT", "/_security/user/intruder", 403],
  ["POST", "/_security/user/logreader/_password", 403],
  ["POST", "/_snapshot/backup/snap/_restore", 403],
  ["POST", "/_scripts/evil", 403],
  ["PUT", "/_cluster/settings", 403],
  ["PUT", "/_ingest/pipeline/evil", 403],
  // Reads outside the log indices or of the cluster's internals
  ["GET", "/_nodes", 403],
  ["GET", "/_cluster/state", 403],
  ["GET", "/_tasks", 403],
  ["POST", "/_sql", 403],
  ["POST", "/_all/_search", 403],
  ["POST", "/.kibana/_search", 403],
  ["POST", "/.security-7/_search", 403],
  ["POST", "/logstash-*,.kibana/_search", 403],
  ["GET", "/.opendistro_security/_mapping", 403],
  ["POST", "/_search/template", 403],
  ["GET", "/_cat/indices/.kibana", 403],
  // Denial of service through one request
  ["POST", "/_msearch", 403],
  ["POST", "/logstash-*/_msearch", 403],
  ["GET", "/_search?scroll=24h&size=100", 403],
  ["POST", "/_search/scroll", 403],
  ["GET", `/_search?size=${MAX_PUBLIC_HITS + 1}`, 403],
  ["GET", "/_search?size=10000", 403],
  ["GET", "/_search?from=9000", 403],
  ["GET", "/_search?size=10&size=10000", 403],
  ["GET", "/_search?q=x&timeout=24h", 403],
  ["GET", "/_search?expand_wildcards=all", 403],
  ["GET", "/_search?search_type=dfs_query_then_fetch", 403],
  ["GET", "/_search?source=%7B%7D&source_content_type=application/json", 403],
  ["GET", "/_search?%73croll=1m", 403],
  ["GET", "/_cluster/health?wait_for_status=green&timeout=1h", 403],
  ["GET", "/_cluster/health?level=indices", 403],
  ["GET", "/_cluster/health?level=shards", 403],
  ["GET", "/_cluster/health?level=cluster&level=indices", 403],
  ["GET", "/_cluster/health/.kibana?level=indices", 403],
  ["GET", "/_cluster/health/logstash-*,.security-7?level=indices", 403],
  // Raw-URI tricks: what nginx checks must be what the upstream gets
  ["GET", "/a%0d%0aX-Injected:%201/_search", 400],
  ["GET", "/logstash-x%0a/_search", 400],
  ["GET", "/_search?q=a%0d%0aX-Injected:%201", 400],
  ["GET", "/.kibana%3Fx=/_search", 400],
  ["GET", "/logstash-x%2F..%2F_aliases/_search", 400],
  ["POST", "/logstash-x%2f_search", 400],
  ["GET", "/_aliases/../_search", 400],
  ["GET", "/logstash/_search/../../_aliases", 400],
  ["GET", "/logstash-x/%2e%2e/_aliases", 400],
  ["GET", "/logstash-x/./_search", 400],
  ["GET", "//_search", 400],
  ["GET", "/logstash-x%5C_search", 400],
  ["GET", "/_search%00", 400],
  ["GET", "/logstash-[x]/_search", 400],
  ["GET", "/logstash-x%5C/_search", 400],
  ["GET", "/logstash-x\\/_search", 400],
  ["GET", "/logstash-{x}/_search", 400],
  // The dashboards: only what the read-only UI requests
  ["POST", "/dashboards/api/console/proxy?path=/_security/user/_password&method=POST", 403],
  ["POST", "/dashboards/api/console/proxy?path=_nodes&method=GET", 403],
  ["GET", "/dashboards/app/dev_tools", 403],
  ["GET", "/dashboards/app/management", 403],
  ["POST", "/dashboards/api/saved_objects/dashboard/defaced", 403],
  ["PUT", "/dashboards/api/saved_objects/dashboard/abc", 403],
  ["DELETE", "/dashboards/api/saved_objects/dashboard/abc", 403],
  ["POST", "/dashboards/api/saved_objects/_import", 403],
  ["POST", "/dashboards/api/saved_objects/_bulk_create", 403],
  ["POST", "/dashboards/api/saved_objects/_bulk_delete", 403],
  ["POST", "/dashboards/api/opensearch-dashboards/settings", 403],
  ["POST", "/dashboards/internal/kibana/settings", 403],
  ["POST", "/dashboards/api/index_patterns/index_pattern", 403],
  ["POST", "/dashboards/api/data_views/data_view", 403],
  ["POST", "/dashboards/api/security/role/admin", 403],
  ["PUT", "/dashboards/api/v1/configuration/internalusers/intruder", 403],
  ["POST", "/dashboards/api/sample_data/logs", 403],
  ["GET", "/dashboards/api/reporting/generate/csv", 403],
  ["POST", "/dashboards/api/alerting/rule", 403],
  ["DELETE", "/dashboards/internal/bsearch", 403],
  ["GET", "/dashboards/api/saved_objects/dashboard/%2e%2e%2fconsole", 400],
  ["GET", "/dashboards/app/discover/../../api/console/proxy", 400],
];

/** Three log lines of two failed builds and one that passed, indexed before the reads. */
export function publicTestDocuments(): object[] {
  const now = new Date().toISOString();
  return [
    { "@timestamp": now, build_uuid: "a1", build_status: "FAILURE", message: "Timed out waiting for a reply: timeout" },
    { "@timestamp": now, build_uuid: "b2", build_status: "FAILURE", message: "SSH timeout to the guest" },
    { "@timestamp": now, build_uuid: "c3", build_status: "SUCCESS", message: "No space left on device" },
  ];
}

/**
 * Every documented read: method, raw URI, body, and what the real engine's answer must show,
 * once `index` holds PUBLIC_TEST_DOCUMENTS (with the deployed mapping).
 */
export function searchReads(index: string): readonly (readonly [string, string, string, (body: string) => void])[] {
  const INDEX = index;
  return [
  ["GET", `/${INDEX}/_search?q=message:timeout`, "", (body) => expect(JSON.parse(body).hits.total.value).toBe(2)],
  ["GET", `/${INDEX}/_search?q=message:%22No%20space%20left%22&size=${MAX_PUBLIC_HITS}&from=0&sort=build_uuid:desc`, "", (body) =>
    expect(JSON.parse(body).hits.hits.map((hit: { _source: { build_uuid: string } }) => hit._source.build_uuid)).toEqual(["c3"])],
  ["POST", `/${INDEX}/_search`, '{"query":{"match_all":{}}}', (body) => expect(JSON.parse(body).hits.total.value).toBe(3)],
  ["POST", `/${INDEX}/_search?filter_path=hits.hits._source.build_uuid`, `{"query":{"bool":{"filter":[{"term":{"build_status":"FAILURE"}},{"match":{"message":"timeout"}}]}}}`, (body) =>
    expect(JSON.parse(body).hits.hits.map((hit: { _source: { build_uuid: string } }) => hit._source.build_uuid).sort()).toEqual(["a1", "b2"])],
  ["GET", `/logstash-*,${INDEX}/_count?q=build_status:FAILURE`, "", (body) => expect(JSON.parse(body).count).toBeGreaterThanOrEqual(2)],
  // Query strings as browsers and curl send them, Lucene's brackets, braces, caret, pipe and backslash unencoded
  ["GET", `/${INDEX}/_search?q=@timestamp:[now-1d%20TO%20now%2B1d]%20AND%20message:timeout`, "", (body) => expect(JSON.parse(body).hits.total.value).toBe(2)],
  ["GET", `/${INDEX}/_count?q=message:"No%20space"^2%20OR%20build_uuid:{a0%20TO%20a2}`, "", (body) => expect(JSON.parse(body).count).toBe(2)],
  ["GET", `/${INDEX}/_count?q=message:time\\out`, "", (body) => expect(JSON.parse(body).count).toBe(2)],
  ["GET", `/${INDEX}/_count?q=message:timeout%20||%20message:space`, "", (body) => expect(JSON.parse(body).count).toBe(3)],
  ["GET", `/${INDEX}/_mapping`, "", (body) => expect(JSON.parse(body)[INDEX].mappings.properties).toHaveProperty("build_status")],
  ["GET", "/_cluster/health", "", (body) => expect(JSON.parse(body).status).toMatch(/^(green|yellow)$/)],
  ["GET", "/_cluster/health?level=cluster", "", (body) => expect(JSON.parse(body)).not.toHaveProperty("indices")],
  ["GET", "/_cluster/health/logstash-*?level=indices", "", (body) => {
    const indices = Object.keys(JSON.parse(body).indices);
    expect(indices).toContain(INDEX);
    expect(indices.filter((name) => !name.startsWith("logstash-"))).toEqual([]);
  }],
  ["GET", "/_cat/indices?format=json&h=index,docs.count&s=index", "", (body) =>
    expect(JSON.parse(body)).toContainEqual({ index: INDEX, "docs.count": "3" })],
  ["GET", "/_cat/indices/logstash-*?v", "", (body) => expect(body).toContain(INDEX)],
  ];
}
