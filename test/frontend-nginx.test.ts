import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import {
  clientKeyMap,
  DASHBOARDS_ENDPOINTS,
  MAX_PUBLIC_HITS,
  READ_ONLY_ENDPOINTS,
  renderFrontendNginx,
  type FrontendNginxProps,
} from "../lib/frontend/nginx";
import { describeWithTool, validateNginxConfig } from "./support/validators";

const READER_AUTH = 'proxy_set_header Authorization "Basic cmVhZGVyOnNlY3JldA==";\n';
const DASHBOARDS_AUTH = 'proxy_set_header Authorization "Basic ZGFzaGJvYXJkczpzZWNyZXQ=";\n';

/** A CA, a certificate for the cluster's nodes (name search-cluster, 127.0.0.1) and one for the front end. */
function makeCertificates(dir: string): void {
  const openssl = (...args: string[]) => {
    const result = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${result.stderr}`);
  };
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test CA", "-keyout", "ca.key", "-out", "ca.crt");
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=node", "-keyout", "node.key", "-out", "node.csr");
  fs.writeFileSync(path.join(dir, "node.ext"), "subjectAltName=DNS:search-cluster,IP:127.0.0.1\n");
  openssl("x509", "-req", "-in", "node.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", "node.ext", "-out", "node.crt");
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=frontend", "-keyout", "frontend.key", "-out", "frontend.crt");
}

const baseProps: FrontendNginxProps = {
  serverName: "logs.example.org",
  searchUpstreams: ["10.42.0.48:9200", "10.42.0.49:9200"],
  upstreamCaFile: "ca.crt",
  upstreamTlsName: "search-cluster",
  tlsCertificateFile: "frontend.crt",
  tlsKeyFile: "frontend.key",
  readerAuthInclude: "reader-auth.conf",
  acmeWebroot: "acme",
  dashboardsUpstream: "127.0.0.1:5601",
  requestsPerSecond: 10,
  maxRequestBodyKib: 1024,
  runtime: { pidFile: "logs/nginx.pid", logDir: "logs", tempDir: "logs" },
};

describe("renderFrontendNginx", () => {
  const config = renderFrontendNginx(baseProps);

  test("balances over every data node and verifies them with the cluster CA and name", () => {
    expect(config).toContain("server 10.42.0.48:9200 max_fails=2 fail_timeout=30s;");
    expect(config).toContain("server 10.42.0.49:9200 max_fails=2 fail_timeout=30s;");
    expect(config).toMatch(/proxy_ssl_verify on;\n\s+proxy_ssl_trusted_certificate ca\.crt;\n\s+proxy_ssl_name search-cluster;/);
  });

  test("limits request size, rate and connections per client key", () => {
    expect(config).toContain("client_max_body_size 1024k;");
    expect(config).toContain("limit_req_zone $client_key zone=search:10m rate=10r/s;");
    expect(config).toContain("limit_conn connections 20;");
  });

  test("proxies only the read-only endpoints, each with its methods, as the reader, on the raw URI", () => {
    const proxied = [...config.matchAll(/location ~ "(\S+)" \{\n\s+limit_except ([A-Z ]+) \{ deny all; \}[\s\S]*?include reader-auth\.conf;[\s\S]*?proxy_pass (\S+);/g)];
    expect(proxied.map((match) => [match[1], match[2], match[3]])).toEqual(
      READ_ONLY_ENDPOINTS.map((endpoint) => [endpoint.pattern, endpoint.methods.join(" "), "https://search_cluster$request_uri"]),
    );
    expect(config).toMatch(/location \/ \{\n\s+return 403 /);
  });

  test("removes visitors' Authorization from dashboards requests unless a dashboards user is given", () => {
    const dashboardsPart = (text: string) => text.slice(text.indexOf("location ~ \"^/dashboards"), text.indexOf("location = /"));
    expect(dashboardsPart(config)).toContain('proxy_set_header Authorization "";');
    expect(dashboardsPart(config)).not.toContain("include");
    const osd = dashboardsPart(renderFrontendNginx({ ...baseProps, dashboardsAuthInclude: "dashboards-auth.conf" }));
    expect(osd.match(/include dashboards-auth\.conf;/g)).toHaveLength(DASHBOARDS_ENDPOINTS.length);
  });

  test("has no dashboards location without dashboards", () => {
    expect(renderFrontendNginx({ ...baseProps, dashboardsUpstream: undefined })).not.toContain("/dashboards");
  });
});

describeWithTool("nginx", "nginx -t", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nginx-certs-"));
  beforeAll(() => makeCertificates(dir));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = () => ({
    "nginx.conf": renderFrontendNginx({ ...baseProps, dashboardsAuthInclude: "dashboards-auth.conf" }),
    "reader-auth.conf": READER_AUTH,
    "dashboards-auth.conf": DASHBOARDS_AUTH,
    "ca.crt": fs.readFileSync(path.join(dir, "ca.crt"), "utf8"),
    "frontend.crt": fs.readFileSync(path.join(dir, "frontend.crt"), "utf8"),
    "frontend.key": fs.readFileSync(path.join(dir, "frontend.key"), "utf8"),
  });

  test("the rendered configuration passes nginx -t", () => {
    expect(validateNginxConfig(files(), "nginx.conf")).toEqual([]);
  });

  test("fails nginx -t when the reader credentials include is missing", () => {
    const withoutInclude: Record<string, string> = files();
    delete withoutInclude["reader-auth.conf"];
    expect(validateNginxConfig(withoutInclude, "nginx.conf").join("\n")).toMatch(/reader-auth\.conf/);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Starts nginx on `conf/nginx.conf` under `dir` and waits until `port` accepts connections. */
async function startNginx(dir: string, port: number): Promise<ChildProcess> {
  const nginx = spawn("nginx", ["-p", `${dir}/`, "-c", "conf/nginx.conf", "-e", "logs/error.log", "-g", "daemon off;"], { stdio: "ignore" });
  for (let attempt = 0; attempt < 50; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => { socket.end(); resolve(true); });
      socket.on("error", () => resolve(false));
    });
    if (open) return nginx;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  nginx.kill("SIGQUIT");
  throw new Error(`nginx did not start: ${fs.readFileSync(path.join(dir, "logs", "error.log"), "utf8")}`);
}

interface RawResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * Sends `method target` byte for byte (no client-side URL checks, so CRLF and %-tricks reach
 * nginx as written) over TLS or plain TCP, and returns the status and body.
 */
function rawRequest(port: number, method: string, target: string, options: { body?: string; headers?: Record<string, string>; tls?: boolean } = {}): Promise<RawResponse> {
  const body = options.body ?? "";
  const headers = { Host: "logs.example.org", "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)), Connection: "close", ...options.headers };
  const request = `${method} ${target} HTTP/1.1\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n${body}`;
  return new Promise((resolve, reject) => {
    const socket = options.tls === false
      ? net.connect(port, "127.0.0.1", () => socket.write(request))
      : tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false }, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      // Without a status line nginx answered as to an HTTP/0.9 request: the body alone.
      resolve(status ? { status: Number(status[1]), body: text.slice(text.indexOf("\r\n\r\n") + 4) } : { status: 0, body: text });
    });
  });
}

describeWithTool("nginx", "the client key of the limits, computed by nginx", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nginx-client-key-"));
  let nginx: ChildProcess | undefined;
  let port = 0;

  beforeAll(async () => {
    port = await freePort();
    fs.mkdirSync(path.join(dir, "conf"));
    fs.mkdirSync(path.join(dir, "logs"));
    // The production map reads $remote_addr; here a header stands in for addresses loopback cannot have.
    fs.writeFileSync(path.join(dir, "conf", "nginx.conf"), `worker_processes 1;
pid logs/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path logs/body;
    proxy_temp_path logs/proxy;
    fastcgi_temp_path logs/fastcgi;
    uwsgi_temp_path logs/uwsgi;
    scgi_temp_path logs/scgi;
${clientKeyMap("$http_x_address", "$client_key")}
    server {
        listen 127.0.0.1:${port};
        location / { return 200 "$client_key"; }
    }
}
`);
    nginx = await startNginx(dir, port);
  });

  afterAll(() => {
    nginx?.kill("SIGQUIT");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test.each([
    ["192.0.2.7", "192.0.2.7"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2"],
    ["2001:db8:1:2::6", "2001:db8:1:2"],
    ["2001:db8::6", "2001:db8::"],
    ["2001:db8::1:2:3:4", "2001:db8::"],
    ["2001::1:2:3:4:5", "2001::1"],
    ["::1", "::"],
  ])("%s counts under %s", async (address, key) => {
    const response = await rawRequest(port, "GET", "/", { tls: false, headers: { "X-Address": address } });
    expect(response.body).toBe(key);
  });

  test("two addresses of one /64 share a key, two /64s do not", async () => {
    const key = async (address: string) => (await rawRequest(port, "GET", "/", { tls: false, headers: { "X-Address": address } })).body;
    expect(await key("2001:db8:aa:bb:1::1")).toBe(await key("2001:db8:aa:bb:ffff:eeee:dddd:cccc"));
    expect(await key("2001:db8:aa:bb::1")).not.toBe(await key("2001:db8:aa:bc::1"));
  });
});

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

/** Every documented read: method, raw URI, body. */
const SEARCH_READS: readonly (readonly [string, string, string?])[] = [
  ["GET", "/_search?q=message:timeout"],
  ["GET", `/_search?q=message:%22No%20space%20left%22&size=${MAX_PUBLIC_HITS}&from=0&sort=@timestamp:desc`],
  ["POST", "/logstash-2026.11.25/_search", '{"query":{"match_all":{}}}'],
  ["POST", "/logstash-*/_search?filter_path=hits.hits._source", '{"query":{"match":{"message":"timeout"}}}'],
  ["GET", "/logstash-*,logstash-2026.11.25/_count?q=build_status:FAILURE"],
  ["GET", "/logstash-2026.11.25/_mapping"],
  ["GET", "/_cluster/health"],
  ["GET", "/_cat/indices?format=json&h=index,docs.count&s=index"],
  ["GET", "/_cat/indices/logstash-*?v"],
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

describeWithTool("nginx", "the front end, run on loopback against stand-ins of the cluster and the dashboards", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nginx-live-"));
  const seen: SeenRequest[] = [];
  const dashboardsSeen: SeenRequest[] = [];
  const held: http.ServerResponse[] = [];
  let upstream: https.Server;
  let dashboards: http.Server;
  let nginx: ChildProcess | undefined;
  let httpsPort = 0;

  beforeAll(async () => {
    makeCertificates(dir);
    upstream = https.createServer(
      { key: fs.readFileSync(path.join(dir, "node.key")), cert: fs.readFileSync(path.join(dir, "node.crt")) },
      (request, response) => {
        seen.push({ method: request.method!, url: request.url!, headers: request.headers });
        request.resume();
        request.on("end", () => (request.url!.includes("logstash-hold") ? held.push(response) : response.end('{"hits":{"total":0}}')));
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
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
    await new Promise<void>((resolve) => dashboards?.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
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

  test.each(SEARCH_READS.map(([method, target, body]) => [method, target, body ?? ""]))("passes %s %s to the cluster as the reader, byte for byte", async (method, target, body) => {
    seen.length = 0;
    const response = await send(method, target, { body, headers: { "es-security-runas-user": "admin" } });
    expect(response.status).toBe(200);
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
