import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { dashboardsRoutesOf, RECORDED_REQUESTS, type DashboardsUi } from "../lib/frontend/dashboards-routes";
import { renderFrontendNginx } from "../lib/frontend/nginx";
import { logMapping } from "../lib/search/engine";
import { HOSTILE, publicTestDocuments, searchReads } from "./support/public-requests";
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
    ["POST", "/dashboards/internal/bsearch"],
    ["POST", "/dashboards/internal/search/eql"],
    ["POST", "/dashboards/internal/kibana/settings"],
    ["GET", "/dashboards/internal/kibana/settings"],
    ["POST", "/dashboards/internal/data_views/data_view"],
    ["GET", "/dashboards/internal/security/api_key/_enabled"],
    ["POST", "/dashboards/api/saved_objects/_bulk_create"],
    ["POST", "/dashboards/api/saved_objects/_import"],
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
    ["GET", "/dashboards/api/saved_objects/dashboard/ci-failures"],
    ["POST", "/dashboards/api/saved_objects/dashboard/ci-failures"],
    ["POST", "/dashboards/api/saved_objects/_bulk_create"],
    ["POST", "/dashboards/api/saved_objects/_import"],
    ["DELETE", "/dashboards/internal/search/opensearch/abc"],
    ["POST", "/dashboards/api/opensearch-dashboards/settings"],
    ["POST", "/dashboards/api/enhancements/search/ppl"],
    ["POST", "/dashboards/api/enhancements/search/sql"],
    ["GET", "/dashboards/api/enhancements/assist/languages"],
    ["GET", "/dashboards/api/enhancements/datasource/connections"],
    ["POST", "/dashboards/internal/search/ppl"],
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
    const documents = publicTestDocuments();
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

  test.each(searchReads(INDEX))("passes %s %s to the cluster as the reader, byte for byte, and gets real hits", async (method, target, body, check) => {
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
