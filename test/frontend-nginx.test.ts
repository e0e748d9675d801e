import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dashboardsRoutesOf, DASHBOARDS_ROUTES, RECORDED_REQUESTS, SIGN_IN_ROUTES } from "../lib/frontend/dashboards-routes";
import { DEFAULT_ENGINE_VERSIONS } from "../lib/search/topology";
import { clientKeyMap, READ_ONLY_ENDPOINTS, renderFrontendNginx } from "../lib/frontend/nginx";
import { baseProps, DASHBOARDS_AUTH, freePort, makeCertificates, rawRequest, READER_AUTH, startNginx } from "./support/nginx-live";
import { describeWithTool, validateNginxConfig } from "./support/validators";

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

  const osdProps = { ...baseProps, dashboards: { upstream: "127.0.0.1:5601", ui: "opensearch-dashboards" as const, authInclude: "dashboards-auth.conf" } };
  const dashboardsPart = (text: string) => text.slice(text.indexOf("location ~ \"^/dashboards"), text.indexOf("location = /"));

  test("removes visitors' Authorization from Kibana's requests, and signs OpenSearch Dashboards' visitors in as its user", () => {
    expect(dashboardsPart(config).match(/proxy_set_header Authorization "";/g)).toHaveLength(dashboardsRoutesOf("kibana").length);
    expect(dashboardsPart(config)).not.toContain("include");
    expect(dashboardsPart(renderFrontendNginx(osdProps)).match(/include dashboards-auth\.conf;/g)).toHaveLength(dashboardsRoutesOf("opensearch-dashboards").length);
  });

  test("lets through only the deployed UI's routes, after refusing the sign-in routes", () => {
    const patterns = (text: string) => [...dashboardsPart(text).matchAll(/location ~ "(\S+)"/g)].map((match) => match[1]);
    const signIn = SIGN_IN_ROUTES.map((route) => route.pattern);
    expect(patterns(config)).toEqual([...signIn, ...dashboardsRoutesOf("kibana").map((route) => route.pattern)]);
    expect(patterns(renderFrontendNginx(osdProps))).toEqual([...signIn, ...dashboardsRoutesOf("opensearch-dashboards").map((route) => route.pattern)]);
  });

  /** A release tag or a full commit: never a release line such as "9.x" or a branch. */
  const PINNED_REF = /^(?:[0-9a-f]{40}|\d+\.\d+\.\d+(?:\.\d+)?)$/;
  const pinned = { repository: expect.stringMatching(/^(elastic|opensearch-project)\//), ref: expect.stringMatching(PINNED_REF), file: expect.stringMatching(/^[a-z].*\.(?:tsx?|js)$/), anchor: expect.stringMatching(/\S/) };

  test("every dashboards rule and recorded request names the pinned file version it was read from and what that file says", () => {
    for (const { source } of [...DASHBOARDS_ROUTES, ...SIGN_IN_ROUTES, ...RECORDED_REQUESTS]) expect(source).toEqual(pinned);
  });

  test("fails the pinned-reference check for a release line", () => {
    expect({ ...DASHBOARDS_ROUTES[0].source, ref: "9.x" }).not.toEqual(pinned);
  });

  test("reads the security plugin at the tag of the deployed OpenSearch Dashboards", () => {
    const tags = new Set(SIGN_IN_ROUTES.map(({ source }) => source).filter((source) => source.repository === "opensearch-project/security-dashboards-plugin").map((source) => source.ref));
    expect([...tags]).toEqual([`${DEFAULT_ENGINE_VERSIONS.opensearch}.0`]);
  });

  test("has no dashboards location without dashboards", () => {
    expect(renderFrontendNginx({ ...baseProps, dashboards: undefined })).not.toContain("/dashboards");
  });
});

describeWithTool("nginx", "nginx -t", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nginx-certs-"));
  beforeAll(() => makeCertificates(dir));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = () => ({
    "nginx.conf": renderFrontendNginx({ ...baseProps, dashboards: { upstream: "127.0.0.1:5601", ui: "opensearch-dashboards", authInclude: "dashboards-auth.conf" } }),
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

