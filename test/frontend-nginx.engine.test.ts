import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { dashboardsRoutesOf, RECORDED_REQUESTS, type DashboardsUi } from "../lib/frontend/dashboards-routes";
import { MAX_PUBLIC_HITS, renderFrontendNginx } from "../lib/frontend/nginx";
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

/**
 * What each UI must never pass on the public endpoint: signing in and out, the account, the
 * security APIs, content management writes. Each is refused before the dashboards server sees it.
 */
const DASHBOARDS_REFUSED: Record<DashboardsUi, readonly (readonly [string, string])[]> = {
  kibana: [
    ["POST", "/dashboards/internal/security/login"],
    ["GET", "/dashboards/login?next=%2Fdashboards%2Fapp%2Fhome"],
    ["GET", "/dashboards/logout"],
    ["GET", "/dashboards/logged_out"],
    ["GET", "/dashboards/api/security/logout"],
    ["GET", "/dashboards/internal/security/login_state"],
    ["GET", "/dashboards/internal/security/user_profile?dataPath=avatar"],
    ["POST", "/dashboards/internal/security/users/dashboardsreader/password"],
    ["GET", "/dashboards/security/account"],
    ["GET", "/dashboards/api/security/role"],
    ["PUT", "/dashboards/api/security/role/intruder"],
    ["POST", "/dashboards/internal/security/api_key"],
    ["GET", "/dashboards/internal/security/users"],
    ["GET", "/dashboards/internal/security/me/x"],
    ["POST", "/dashboards/internal/security/me"],
    ["POST", "/dashboards/api/content_management/rpc/create"],
    ["POST", "/dashboards/api/content_management/rpc/update"],
    ["POST", "/dashboards/api/content_management/rpc/delete"],
    ["GET", "/dashboards/api/content_management/rpc/get"],
    ["DELETE", "/dashboards/internal/search/ese/FmVhX3NlYXJjaF9pZA=="],
    ["GET", "/dashboards/app/data-explorer/discover"],
    ["POST", "/dashboards/internal/search/opensearch"],
    ["GET", "/dashboards/api/saved_objects/dashboard/ci-failures"],
  ],
  "opensearch-dashboards": [
    ["POST", "/dashboards/auth/login"],
    ["GET", "/dashboards/auth/logout"],
    ["POST", "/dashboards/auth/logout"],
    ["GET", "/dashboards/auth/anonymous"],
    ["GET", "/dashboards/app/login?nextUrl=%2Fdashboards%2F"],
    ["GET", "/dashboards/app/account"],
    ["GET", "/dashboards/app/security-dashboards-plugin"],
    ["GET", "/dashboards/api/authtype"],
    ["GET", "/dashboards/api/v1/configuration/account"],
    ["POST", "/dashboards/api/v1/configuration/account"],
    ["GET", "/dashboards/api/v1/auth/authinfo"],
    ["GET", "/dashboards/api/v1/auth/dashboardsinfo"],
    ["GET", "/dashboards/api/v1/restapiinfo"],
    ["POST", "/dashboards/api/v1/multitenancy/tenant"],
    ["GET", "/dashboards/api/v1/configuration/internalusers"],
    ["POST", "/dashboards/api/v1/apitokens"],
    ["GET", "/dashboards/api/resource/list"],
    ["POST", "/dashboards/api/content_management/rpc/get"],
    ["POST", "/dashboards/internal/bsearch"],
    ["POST", "/dashboards/internal/security/login"],
    ["GET", "/dashboards/internal/security/me"],
  ],
};

const UIS: readonly DashboardsUi[] = ["kibana", "opensearch-dashboards"];

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
  /** The front end of a Kibana deployment on `httpsPort`; an OpenSearch Dashboards one here. */
  let osdHttpsPort = 0;
  let osdNginx: ChildProcess | undefined;
  let engineUrl = "";

  beforeAll(async () => {
    engineUrl = await searchEngineUrl();
    const now = new Date().toISOString();
    const documents = [
      { "@timestamp": now, build_uuid: "a1", build_status: "FAILURE", message: "Timed out waiting for a reply: timeout" },
      { "@timestamp": now, build_uuid: "b2", build_status: "FAILURE", message: "SSH timeout to the guest" },
      { "@timestamp": now, build_uuid: "c3", build_status: "SUCCESS", message: "No space left on device" },
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
    const startFrontend = async (name: string, dashboardsUi: DashboardsUi) => {
      const prefix = path.join(dir, name);
      const port = await freePort();
      fs.mkdirSync(path.join(prefix, "conf"), { recursive: true });
      fs.mkdirSync(path.join(prefix, "logs"));
      for (const file of ["ca.crt", "frontend.crt", "frontend.key"]) fs.copyFileSync(path.join(dir, file), path.join(prefix, "conf", file));
      fs.writeFileSync(path.join(prefix, "conf", "reader-auth.conf"), READER_AUTH);
      fs.writeFileSync(path.join(prefix, "conf", "dashboards-auth.conf"), DASHBOARDS_AUTH);
      fs.writeFileSync(
        path.join(prefix, "conf", "nginx.conf"),
        renderFrontendNginx({
          ...baseProps,
          searchUpstreams: [`127.0.0.1:${(upstream.address() as net.AddressInfo).port}`],
          dashboards: {
            upstream: `127.0.0.1:${(dashboards.address() as net.AddressInfo).port}`,
            ui: dashboardsUi,
            authInclude: dashboardsUi === "opensearch-dashboards" ? "dashboards-auth.conf" : undefined,
          },
          requestsPerSecond: 1000,
          connectionsPerClient: 3,
          httpPort: await freePort(),
          httpsPort: port,
          statusListen: `127.0.0.1:${await freePort()}`,
          ipv6: false,
        }).replace("worker_processes auto;", "worker_processes 1;"),
      );
      return { process: await startNginx(prefix, port), port };
    };
    ({ process: nginx, port: httpsPort } = await startFrontend("kibana", "kibana"));
    ({ process: osdNginx, port: osdHttpsPort } = await startFrontend("osd", "opensearch-dashboards"));
  });

  afterAll(async () => {
    nginx?.kill("SIGQUIT");
    osdNginx?.kill("SIGQUIT");
    for (const response of held) response.end();
    // nginx keeps idle upstream connections open: close them, or close() would wait for them.
    upstream?.closeAllConnections();
    dashboards?.closeAllConnections();
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
    await new Promise<void>((resolve) => dashboards?.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
    await engineRequest("DELETE", INDEX);
  });

  const send = (method: string, target: string, options: Parameters<typeof rawRequest>[3] = {}, port = httpsPort) =>
    rawRequest(port, method, target, { headers: { Authorization: "Basic dmlzaXRvcjpndWVzcw==", ...options.headers }, body: options.body });

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

  const portOf = (ui: DashboardsUi) => (ui === "kibana" ? httpsPort : osdHttpsPort);
  /** What the dashboards server must see as Authorization: Kibana signs visitors in itself, nginx signs them in to OpenSearch Dashboards. */
  const dashboardsAuthorization = (ui: DashboardsUi) => (ui === "kibana" ? undefined : "Basic ZGFzaGJvYXJkczpzZWNyZXQ=");

  test.each(UIS)("the recorded requests of %s exercise every rule of its allowlist", (ui) => {
    const uris = RECORDED_REQUESTS.filter((request) => request.ui === ui).map((request) => request.uri.split("?")[0]);
    const unexercised = dashboardsRoutesOf(ui).filter((route) => !uris.some((uri) => new RegExp(route.pattern).test(uri)));
    expect(unexercised.map((route) => route.pattern)).toEqual([]);
  });

  test.each(RECORDED_REQUESTS.map((request) => [request.ui, request.method, request.uri, request] as const))(
    "%s: passes the recorded %s %s to the dashboards server unchanged, as the visitor's dashboards user",
    async (ui, method, uri, request) => {
      dashboardsSeen.length = 0;
      const response = await send(method, uri, { body: request.body ?? "", headers: { securitytenant: "admin_tenant" } }, portOf(ui));
      expect(response.status).toBe(200);
      expect(dashboardsSeen.map((seenRequest) => [seenRequest.method, seenRequest.url, seenRequest.headers.authorization, seenRequest.headers.securitytenant])).toEqual([
        [method, uri, dashboardsAuthorization(ui), undefined],
      ]);
    },
  );

  test.each(UIS.flatMap((ui) => DASHBOARDS_REFUSED[ui].map(([method, uri]) => [ui, method, uri] as const)))(
    "%s: refuses %s %s before the dashboards server",
    async (ui, method, uri) => {
      dashboardsSeen.length = 0;
      const response = await send(method, uri, { body: '{"username":"admin","password":"guess"}' }, portOf(ui));
      expect(response.status).toBe(403);
      expect(dashboardsSeen).toEqual([]);
    },
  );

  test("says why a sign-in is refused", async () => {
    const response = await send("POST", "/dashboards/auth/login", { body: '{"username":"admin","password":"guess"}' }, osdHttpsPort);
    expect(JSON.parse(response.body).error).toMatch(/SSH tunnel/);
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
