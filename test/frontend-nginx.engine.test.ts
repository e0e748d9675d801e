import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { DASHBOARDS_ENDPOINTS, MAX_PUBLIC_HITS, renderFrontendNginx } from "../lib/frontend/nginx";
import { logMapping } from "../lib/search/engine";
import { baseProps, DASHBOARDS_AUTH, freePort, makeCertificates, rawRequest, READER_AUTH, startNginx } from "./support/nginx-live";
import { engineRequest, searchEngineGate, searchEngineUrl, uniqueIndexName } from "./support/search-engine";
import { allGates, DEBIAN_PACKAGES, describeGated, toolGate } from "./support/validators";

/** The log index this file's reads find their hits in (a `logstash-` name, as the front end allows), with the deployed mapping. */
const INDEX = uniqueIndexName("logstash-frontend");

interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
}

/**
 * The hostile-request table: each is refused by nginx with the given status, before it reaches
 * the cluster or the dashboards server.
 */
const HOSTILE: readonly (readonly [string, string, number, string?])[] = [
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

/**
 * Every documented read: method, raw URI, body, and what the real engine's answer must show
 * (the documents of INDEX are indexed before).
 */
const SEARCH_READS: readonly (readonly [string, string, string, (body: string) => void])[] = [
  ["GET", `/${INDEX}/_search?q=message:timeout`, "", (body) => expect(JSON.parse(body).hits.total.value).toBe(2)],
  ["GET", `/${INDEX}/_search?q=message:%22No%20space%20left%22&size=${MAX_PUBLIC_HITS}&from=0&sort=build_uuid:desc`, "", (body) =>
    expect(JSON.parse(body).hits.hits.map((hit: { _source: { build_uuid: string } }) => hit._source.build_uuid)).toEqual(["c3"])],
  ["POST", `/${INDEX}/_search`, '{"query":{"match_all":{}}}', (body) => expect(JSON.parse(body).hits.total.value).toBe(3)],
  ["POST", `/${INDEX}/_search?filter_path=hits.hits._source.build_uuid`, `{"query":{"bool":{"filter":[{"term":{"build_status":"FAILURE"}},{"match":{"message":"timeout"}}]}}}`, (body) =>
    expect(JSON.parse(body).hits.hits.map((hit: { _source: { build_uuid: string } }) => hit._source.build_uuid).sort()).toEqual(["a1", "b2"])],
  ["GET", `/logstash-*,${INDEX}/_count?q=build_status:FAILURE`, "", (body) => expect(JSON.parse(body).count).toBeGreaterThanOrEqual(2)],
  ["GET", `/${INDEX}/_mapping`, "", (body) => expect(JSON.parse(body)[INDEX].mappings.properties).toHaveProperty("build_status")],
  ["GET", "/_cluster/health", "", (body) => expect(JSON.parse(body).status).toMatch(/^(green|yellow)$/)],
  ["GET", "/_cat/indices?format=json&h=index,docs.count&s=index", "", (body) =>
    expect(JSON.parse(body)).toContainEqual({ index: INDEX, "docs.count": "3" })],
  ["GET", "/_cat/indices/logstash-*?v", "", (body) => expect(body).toContain(INDEX)],
];

/** One request per dashboards endpoint, in the order of DASHBOARDS_ENDPOINTS. */
const DASHBOARDS_READS: readonly (readonly [string, string])[] = [
  ["GET", "/dashboards/"],
  ["GET", "/dashboards/app/discover?_g=(time:(from:now-15m,to:now))&_a=(query:(language:kuery,query:'build_status:FAILURE'))"],
  ["GET", "/dashboards/73641/bundles/plugin/data/data.plugin.js"],
  ["GET", "/dashboards/bootstrap.js"],
  ["GET", "/dashboards/login?next=%2Fdashboards%2Fapp%2Fhome"],
  ["POST", "/dashboards/internal/security/login"],
  ["POST", "/dashboards/internal/kibana/suggestions/values/logstash-*"],
  ["POST", "/dashboards/api/core/capabilities"],
  ["GET", "/dashboards/api/index_patterns/_fields_for_wildcard?pattern=logstash-*&meta_fields=_source"],
  ["GET", "/dashboards/internal/security/me"],
  ["GET", "/dashboards/api/v1/auth/authinfo"],
  ["GET", "/dashboards/api/saved_objects/_find?type=dashboard&per_page=100"],
  ["POST", "/dashboards/api/saved_objects/_bulk_get"],
  ["POST", "/dashboards/internal/bsearch"],
];

/**
 * The cluster behind nginx is the real engine, reached through a recording TLS relay (the test
 * node speaks plain HTTP, nginx verifies TLS); the dashboards are a recording stand-in.
 */
describeGated(allGates(searchEngineGate(), toolGate("nginx", DEBIAN_PACKAGES.nginx)), "the front end on loopback, in front of the real engine and a dashboards stand-in", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nginx-live-"));
  const seen: SeenRequest[] = [];
  const dashboardsSeen: SeenRequest[] = [];
  const held: http.ServerResponse[] = [];
  let upstream: https.Server;
  let dashboards: http.Server;
  let nginx: ChildProcess | undefined;
  let httpsPort = 0;
  let engineUrl = "";

  beforeAll(async () => {
    engineUrl = await searchEngineUrl();
    const documents = [
      { build_uuid: "a1", build_status: "FAILURE", message: "Timed out waiting for a reply: timeout" },
      { build_uuid: "b2", build_status: "FAILURE", message: "SSH timeout to the guest" },
      { build_uuid: "c3", build_status: "SUCCESS", message: "No space left on device" },
    ];
    const created = await engineRequest("PUT", INDEX, { mappings: logMapping() });
    if (created.status !== 200) throw new Error(`creating ${INDEX} failed: ${JSON.stringify(created.body)}`);
    const bulk = documents.map((document) => `{"index":{"_index":"${INDEX}"}}\n${JSON.stringify(document)}\n`).join("");
    const indexed = await engineRequest("POST", "_bulk?refresh=true", bulk);
    if (indexed.status !== 200 || indexed.body.errors) throw new Error(`indexing the test documents failed: ${JSON.stringify(indexed.body)}`);
    makeCertificates(dir);
    upstream = https.createServer(
      { key: fs.readFileSync(path.join(dir, "node.key")), cert: fs.readFileSync(path.join(dir, "node.crt")) },
      (request, response) => {
        seen.push({ method: request.method!, url: request.url!, headers: request.headers });
        if (request.url!.includes("logstash-hold")) {
          request.resume();
          request.on("end", () => held.push(response));
          return;
        }
        const forwarded = http.request(
          `${engineUrl}${request.url}`,
          { method: request.method, headers: { "content-type": request.headers["content-type"] ?? "application/json" } },
          (answer) => {
            const chunks: Buffer[] = [];
            answer.on("data", (chunk: Buffer) => chunks.push(chunk));
            answer.on("end", () => {
              response.writeHead(answer.statusCode!, { "content-type": answer.headers["content-type"] ?? "application/json" });
              response.end(Buffer.concat(chunks));
            });
          },
        );
        forwarded.on("error", (error) => response.destroy(error));
        request.pipe(forwarded);
      },
    );
    dashboards = http.createServer((request, response) => {
      dashboardsSeen.push({ method: request.method!, url: request.url!, headers: request.headers });
      request.resume();
      request.on("end", () => response.end("{}"));
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    await new Promise<void>((resolve) => dashboards.listen(0, "127.0.0.1", resolve));
    httpsPort = await freePort();
    const httpPort = await freePort();
    fs.mkdirSync(path.join(dir, "conf"));
    fs.mkdirSync(path.join(dir, "logs"));
    for (const file of ["ca.crt", "frontend.crt", "frontend.key"]) fs.copyFileSync(path.join(dir, file), path.join(dir, "conf", file));
    fs.writeFileSync(path.join(dir, "conf", "reader-auth.conf"), READER_AUTH);
    fs.writeFileSync(path.join(dir, "conf", "dashboards-auth.conf"), DASHBOARDS_AUTH);
    fs.writeFileSync(
      path.join(dir, "conf", "nginx.conf"),
      renderFrontendNginx({
        ...baseProps,
        searchUpstreams: [`127.0.0.1:${(upstream.address() as net.AddressInfo).port}`],
        dashboardsUpstream: `127.0.0.1:${(dashboards.address() as net.AddressInfo).port}`,
        dashboardsAuthInclude: "dashboards-auth.conf",
        requestsPerSecond: 1000,
        connectionsPerClient: 3,
        httpPort,
        httpsPort,
        ipv6: false,
      }).replace("worker_processes auto;", "worker_processes 1;"),
    );
    nginx = await startNginx(dir, httpsPort);
  });

  afterAll(async () => {
    nginx?.kill("SIGQUIT");
    for (const response of held) response.end();
    // nginx keeps idle upstream connections open: close them, or close() would wait for them.
    upstream?.closeAllConnections();
    dashboards?.closeAllConnections();
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
    await new Promise<void>((resolve) => dashboards?.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
    await engineRequest("DELETE", INDEX);
  });

  const send = (method: string, target: string, options: Parameters<typeof rawRequest>[3] = {}) =>
    rawRequest(httpsPort, method, target, { headers: { Authorization: "Basic dmlzaXRvcjpndWVzcw==", ...options.headers }, body: options.body });

  test(`the hostile table has at least 40 requests (${HOSTILE.length})`, () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(40);
  });

  test.each(HOSTILE.map(([method, target, status]) => [method, target, status]))("refuses %s %s (%d) before any upstream", async (method, target, status) => {
    seen.length = 0;
    dashboardsSeen.length = 0;
    const response = await send(method as string, target as string, { body: '{"query":{"match_all":{}}}' });
    expect(response.status).toBe(status);
    expect(seen).toEqual([]);
    expect(dashboardsSeen).toEqual([]);
  });

  test("answers a raw CRLF inside the request line as an HTTP/0.9 request for the refused path before it", async () => {
    seen.length = 0;
    const response = await send("GET", "/logstash-x\r\nX-Injected: 1\r\n/_search");
    expect(response).toEqual({ status: 0, body: expect.stringContaining("this endpoint is read-only") });
    expect(seen).toEqual([]);
  });

  test.each(SEARCH_READS)("passes %s %s to the cluster as the reader, byte for byte, and gets real hits", async (method, target, body, check) => {
    seen.length = 0;
    const response = await send(method, target, { body, headers: { "es-security-runas-user": "admin" } });
    expect(response.status).toBe(200);
    check(response.body);
    expect(seen.map((request) => [request.method, request.url, request.headers.authorization, request.headers["es-security-runas-user"]])).toEqual([
      [method, target, "Basic cmVhZGVyOnNlY3JldA==", undefined],
    ]);
  });

  test("has a dashboards example for every dashboards endpoint", () => {
    expect(DASHBOARDS_READS.map(([, target]) => DASHBOARDS_ENDPOINTS.findIndex((endpoint) => new RegExp(endpoint.pattern).test(target.split("?")[0])))).not.toContain(-1);
    const covered = new Set(DASHBOARDS_READS.map(([, target]) => DASHBOARDS_ENDPOINTS.findIndex((endpoint) => new RegExp(endpoint.pattern).test(target.split("?")[0]))));
    expect(covered.size).toBe(DASHBOARDS_ENDPOINTS.length);
  });

  test.each(DASHBOARDS_READS)("passes %s %s to the dashboards as their read-only user", async (method, target) => {
    dashboardsSeen.length = 0;
    const response = await send(method, target, { body: method === "POST" ? "{}" : "" });
    expect(response.status).toBe(200);
    expect(dashboardsSeen.map((request) => [request.method, request.url, request.headers.authorization])).toEqual([
      [method, target, "Basic ZGFzaGJvYXJkczpzZWNyZXQ="],
    ]);
  });

  test("refuses a request body above the limit", async () => {
    seen.length = 0;
    const response = await send("POST", "/_search", { body: `{"query":"${"x".repeat(1100 * 1024)}"}` });
    expect(response.status).toBe(413);
    expect(seen).toEqual([]);
  });

  test("answers 429 to a client with more requests open than connectionsPerClient", async () => {
    seen.length = 0;
    const open = [0, 1, 2].map(() => send("GET", "/logstash-hold/_search"));
    for (let attempt = 0; attempt < 50 && held.length < 3; attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(held).toHaveLength(3);
    expect((await send("GET", "/_search")).status).toBe(429);
    for (const response of held.splice(0)) response.end("{}");
    expect((await Promise.all(open)).map((response) => response.status)).toEqual([200, 200, 200]);
  });
});
