import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { READ_ONLY_ENDPOINTS, renderFrontendNginx, type FrontendNginxProps } from "../lib/frontend/nginx";
import { describeWithTool, validateNginxConfig } from "./support/validators";

const READER_AUTH = 'proxy_set_header Authorization "Basic cmVhZGVyOnNlY3JldA==";\n';

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

  test("limits request size and rate", () => {
    expect(config).toContain("client_max_body_size 1024k;");
    expect(config).toContain("limit_req_zone $binary_remote_addr zone=search:10m rate=10r/s;");
    expect(config).toContain("limit_req_status 429;");
  });

  test("proxies only the read-only endpoints, each with its methods, as the reader", () => {
    const proxied = [...config.matchAll(/location ~ (\S+) \{\n\s+limit_except ([A-Z ]+) \{ deny all; \}[\s\S]*?include reader-auth\.conf;/g)];
    expect(proxied.map((match) => [match[1], match[2]])).toEqual(
      READ_ONLY_ENDPOINTS.map((endpoint) => [endpoint.pattern, endpoint.methods.join(" ")]),
    );
    expect(config).toMatch(/location \/ \{\n\s+return 403 /);
  });

  test("signs dashboards visitors in as the reader only when asked (OpenSearch Dashboards)", () => {
    const kibana = renderFrontendNginx(baseProps).split("location /dashboards/")[1].split("}")[0];
    expect(kibana).toContain('proxy_set_header Authorization "";');
    const osd = renderFrontendNginx({ ...baseProps, dashboardsAsReader: true }).split("location /dashboards/")[1].split("}")[0];
    expect(osd).toContain("include reader-auth.conf;");
  });

  test("has no dashboards location without dashboards", () => {
    expect(renderFrontendNginx({ ...baseProps, dashboardsUpstream: undefined })).not.toContain("/dashboards/");
  });
});

describeWithTool("nginx", "nginx -t", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nginx-certs-"));
  beforeAll(() => makeCertificates(dir));
  const files = () => ({
    "nginx.conf": renderFrontendNginx(baseProps),
    "reader-auth.conf": READER_AUTH,
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

interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization?: string;
}

describeWithTool("nginx", "the front end, run on loopback against a stand-in cluster", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nginx-live-"));
  const seen: SeenRequest[] = [];
  let upstream: https.Server;
  let nginx: ChildProcess;
  let httpsPort = 0;

  beforeAll(async () => {
    makeCertificates(dir);
    upstream = https.createServer(
      { key: fs.readFileSync(path.join(dir, "node.key")), cert: fs.readFileSync(path.join(dir, "node.crt")) },
      (request, response) => {
        seen.push({ method: request.method!, url: request.url!, authorization: request.headers.authorization });
        request.resume();
        request.on("end", () => response.end('{"hits":{"total":0}}'));
      },
    );
    const upstreamPort = await freePort();
    await new Promise<void>((resolve) => upstream.listen(upstreamPort, "127.0.0.1", resolve));
    httpsPort = await freePort();
    const httpPort = await freePort();
    fs.mkdirSync(path.join(dir, "conf"));
    fs.mkdirSync(path.join(dir, "logs"));
    for (const file of ["ca.crt", "frontend.crt", "frontend.key"]) fs.copyFileSync(path.join(dir, file), path.join(dir, "conf", file));
    fs.writeFileSync(path.join(dir, "conf", "reader-auth.conf"), READER_AUTH);
    fs.writeFileSync(
      path.join(dir, "conf", "nginx.conf"),
      renderFrontendNginx({
        ...baseProps,
        searchUpstreams: [`127.0.0.1:${upstreamPort}`],
        dashboardsUpstream: undefined,
        requestsPerSecond: 1000,
        httpPort,
        httpsPort,
        ipv6: false,
      }).replace("worker_processes auto;", "worker_processes 1;"),
    );
    nginx = spawn("nginx", ["-p", `${dir}/`, "-c", "conf/nginx.conf", "-e", "logs/error.log", "-g", "daemon off;"], { stdio: "ignore" });
    for (let attempt = 0; attempt < 50; attempt++) {
      const open = await new Promise<boolean>((resolve) => {
        const socket = net.connect(httpsPort, "127.0.0.1", () => { socket.end(); resolve(true); });
        socket.on("error", () => resolve(false));
      });
      if (open) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`nginx did not start: ${fs.readFileSync(path.join(dir, "logs", "error.log"), "utf8")}`);
  });

  afterAll(async () => {
    nginx?.kill("SIGQUIT");
    await new Promise<void>((resolve) => upstream?.close(() => resolve()));
  });

  function send(method: string, requestPath: string, body?: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = https.request(
        { host: "127.0.0.1", port: httpsPort, method, path: requestPath, rejectUnauthorized: false, agent: false, headers: { "content-type": "application/json", authorization: "Basic dmlzaXRvcjpndWVzcw==" } },
        (response) => {
          let text = "";
          response.on("data", (chunk) => (text += chunk));
          response.on("end", () => resolve({ status: response.statusCode!, body: text }));
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  }

  test.each([
    ["GET", "/_search?q=message:timeout"],
    ["POST", "/logstash-2026.11.25/_search"],
    ["POST", "/logstash-*/_msearch"],
    ["GET", "/logstash-*/_count"],
    ["GET", "/logstash-2026.11.25/_mapping"],
    ["GET", "/_cluster/health"],
    ["GET", "/_cat/indices"],
  ])("passes %s %s to the cluster as the reader", async (method, requestPath) => {
    seen.length = 0;
    const response = await send(method, requestPath, method === "POST" ? '{"query":{"match_all":{}}}' : undefined);
    expect(response.status).toBe(200);
    expect(seen).toEqual([{ method, url: requestPath, authorization: "Basic cmVhZGVyOnNlY3JldA==" }]);
  });

  test.each([
    ["POST", "/_aliases"],
    ["POST", "/_bulk"],
    ["PUT", "/logstash-2026.11.25"],
    ["DELETE", "/logstash-2026.11.25"],
    ["PUT", "/logstash-2026.11.25/_search"],
    ["DELETE", "/_search"],
    ["POST", "/logstash-2026.11.25/_doc"],
    ["PUT", "/_security/user/intruder"],
    ["POST", "/_snapshot/backup/snap/_restore"],
    ["POST", "/_scripts/evil"],
    ["POST", "/_all/_search"],
    ["POST", "/_search/template"],
    ["GET", "/_nodes"],
    ["GET", "/logstash/_search/../../_aliases"],
  ])("refuses %s %s without reaching the cluster", async (method, requestPath) => {
    seen.length = 0;
    const response = await send(method, requestPath, "{}");
    expect(response.status).toBe(403);
    expect(seen).toEqual([]);
  });

  test("passes on the normalized path only, so dot segments cannot reach another endpoint", async () => {
    seen.length = 0;
    await send("POST", "/_aliases/../_search", "{}");
    expect(seen.map((request) => request.url)).toEqual(["/_search"]);
  });

  test("refuses a request body above the limit", async () => {
    seen.length = 0;
    const response = await send("POST", "/_search", `{"query":"${"x".repeat(1100 * 1024)}"}`);
    expect(response.status).toBe(413);
    expect(seen).toEqual([]);
  });
});
