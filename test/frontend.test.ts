import * as fs from "node:fs";
import { parse } from "yaml";
import { Frontend, type FrontendProps } from "../constructs/frontend";
import { smallSearchCluster, testServers } from "./support/deployment-parts";
import { resources, synthStack } from "./support/stack";
import { executablesOf, shellScriptsOf, systemdUnitsOf, writtenFiles } from "./support/user-data";
import { describeWithTool, validateShellScripts, validateSystemdUnits } from "./support/validators";

function synthFrontend(engine: "elasticsearch" | "opensearch", props: Partial<FrontendProps> = {}) {
  let frontend: Frontend | undefined;
  const stack = synthStack((scope) => {
    const servers = testServers(scope);
    const search = smallSearchCluster(scope, servers, engine);
    frontend = new Frontend(scope, "frontend", {
      servers, flavorName: "m1.small", search, publicTcpPorts: [80, 443], ...props,
    });
  });
  const instance = resources(stack, "openstack_compute_instance_v2").find((server) => server.name === "prod-frontend-1")!;
  return { stack, frontend: frontend!, files: writtenFiles(instance.user_data), userData: instance.user_data as string };
}

const file = (files: ReturnType<typeof writtenFiles>, path: string) => files.find((written) => written.path === path);
const ndjson = (name: string) => fs.readFileSync(`config/dashboards/${name}`, "utf8");
const savedObjects = { kibana: ndjson("kibana.ndjson"), "opensearch-dashboards": ndjson("opensearch-dashboards.ndjson") };

describe("Frontend", () => {
  const { stack, frontend, files } = synthFrontend("elasticsearch", { dnsName: "logs.example.org", acmeEmail: "infra@example.org", designateZoneId: "zone-1", savedObjects });

  test("opens 80 and 443 to the world and reaches the search cluster on 9200", () => {
    const rules = resources(stack, "openstack_networking_secgroup_rule_v2");
    const world = rules.filter((rule) => rule.direction === "ingress" && rule.remote_ip_prefix === "0.0.0.0/0").map((rule) => rule.port_range_min);
    expect(world.sort()).toEqual([443, 80]);
    expect(rules.some((rule) => rule.direction === "egress" && rule.port_range_min === 9200 && rule.remote_group_id)).toBe(true);
  });

  test("proxies to every data node, with the reader's credentials in a root-only include", () => {
    const nginx = file(files, "/etc/nginx/nginx.conf")!.content;
    expect(nginx).toContain("server 10.42.0.48:9200 max_fails=2 fail_timeout=30s;");
    expect(nginx).toContain("server 10.42.0.49:9200 max_fails=2 fail_timeout=30s;");
    expect(nginx).toContain("server_name logs.example.org;");
    const auth = file(files, "/etc/nginx/search-reader-auth.conf")!;
    expect(auth.permissions).toBe("0600");
    expect(auth.content).toMatch(/^proxy_set_header Authorization "Basic [A-Za-z0-9+/=]+";\n$/);
  });

  test("gets a Let's Encrypt certificate for the DNS name and creates its record in Designate", () => {
    expect(file(files, "/etc/ci-log-analysis/public-certificate.env")!.content).toContain("DNS_NAME=logs.example.org\nACME_EMAIL=infra@example.org\n");
    expect(resources(stack, "openstack_dns_recordset_v2")).toEqual([
      expect.objectContaining({ zone_id: "zone-1", name: "logs.example.org.", type: "A", ttl: 300 }),
    ]);
    expect(frontend.url).toBe("https://logs.example.org/");
    expect(frontend.dashboardsUrl).toBe("https://logs.example.org/dashboards/");
  });

  test("serves Kibana under /dashboards/, signing visitors in anonymously as the read-only dashboards user, without the console", () => {
    const kibana = parse(file(files, "/etc/ci-log-analysis/dashboards.yml")!.content);
    expect(kibana).toMatchObject({
      "server.basePath": "/dashboards",
      "server.rewriteBasePath": true,
      "server.publicBaseUrl": "https://logs.example.org/dashboards",
      "elasticsearch.hosts": ["https://10.42.0.48:9200", "https://10.42.0.49:9200"],
      "elasticsearch.username": "kibana_system",
      "elasticsearch.ssl.verificationMode": "full",
      "xpack.security.authc.selector.enabled": false,
      "xpack.security.authc.providers": { "anonymous.anonymous1": { order: 0, credentials: { username: "dashboardsreader" } }, "basic.basic1": { order: 1 } },
      "console.ui.enabled": false,
    });
    expect(file(files, "/etc/ci-log-analysis/dashboards.yml")!.permissions).toBe("0600");
  });

  test("fails a DNS name without a Let's Encrypt contact", () => {
    expect(() => synthFrontend("elasticsearch", { dnsName: "logs.example.org" })).toThrow(
      "Frontend test/frontend: dnsName logs.example.org needs acmeEmail for Let's Encrypt.",
    );
  });

  describeWithTool("shellcheck", "shellcheck", () => {
    test("its scripts pass", () => {
      const scripts = shellScriptsOf(files);
      expect(Object.keys(scripts)).toEqual(expect.arrayContaining(["/usr/local/sbin/public-certificate", "/usr/local/sbin/install-dashboards", "/usr/local/sbin/import-saved-objects"]));
      expect(Object.values(validateShellScripts(scripts)).flat()).toEqual([]);
    });
  });

  describeWithTool("systemd-analyze", "systemd-analyze verify", () => {
    test("its units pass", () => {
      expect(Object.values(validateSystemdUnits(systemdUnitsOf(files), { providedExecutables: executablesOf(files) })).flat()).toEqual([]);
    });
  });
});

describe("Frontend without a DNS name, on OpenSearch", () => {
  const { stack, frontend, files, userData } = synthFrontend("opensearch");

  test("uses a self-signed certificate on its floating IP and creates no DNS record", () => {
    expect(file(files, "/etc/ci-log-analysis/public-certificate.env")!.content).toContain("DNS_NAME=\n");
    expect(resources(stack, "openstack_dns_recordset_v2")).toEqual([]);
    expect(frontend.url).toMatch(/^https:\/\/\$\{TfToken\[TOKEN\.\d+\]\}\/$/);
  });

  test("serves OpenSearch Dashboards signed in by nginx as the read-only dashboards user, without the console", () => {
    const nginx = file(files, "/etc/nginx/nginx.conf")!.content;
    const dashboards = nginx.slice(nginx.indexOf('location ~ "^/dashboards'), nginx.indexOf("location = /"));
    expect(dashboards).toContain("include /etc/nginx/dashboards-reader-auth.conf;");
    expect(dashboards).not.toContain("search-reader-auth.conf");
    expect(file(files, "/etc/nginx/dashboards-reader-auth.conf")!.permissions).toBe("0600");
    expect(parse(file(files, "/etc/ci-log-analysis/dashboards.yml")!.content)).toMatchObject({
      "opensearch.username": "dashboards",
      "opensearch.ssl.verificationMode": "full",
      "opensearch_security.multitenancy.enabled": true,
      "opensearch_security.multitenancy.tenants.enable_global": true,
      "opensearch_security.multitenancy.tenants.enable_private": false,
      "console.enabled": false,
    });
  });

  test("drops readonly_mode.roles, which hides Discover and Visualize, and seals the session cookie with a generated password", () => {
    const settings = parse(file(files, "/etc/ci-log-analysis/dashboards.yml")!.content);
    expect(settings).not.toHaveProperty(["opensearch_security.readonly_mode.roles"]);
    expect(settings["opensearch_security.cookie.password"]).toBe("stand-in-value");
    expect(userData).toMatch(/opensearch_security\.cookie\.password: \$\{random_password\.frontend_dashboards-cookie-password_\w+\.result\}/);
    expect(Object.entries(stack.resource.random_password).filter(([name]) => name.startsWith("frontend_dashboards-cookie-password")).map(([, password]) => password))
      .toEqual([expect.objectContaining({ length: 48, special: false })]);
  });

  test("writes the front end's floating IP into its self-signed certificate", () => {
    expect(userData).toMatch(/PUBLIC_ADDRESS=\$\{openstack_networking_floatingip_v2\.[\w-]+\.address\}\n/);
  });
});

describe("Frontend with starter saved objects", () => {

  test.each([
    ["elasticsearch", "kibana.ndjson", "XSRF_HEADER=kbn-xsrf\nTENANT=\n"],
    ["opensearch", "opensearch-dashboards.ndjson", "XSRF_HEADER=osd-xsrf\nTENANT=global\n"],
  ] as const)("on %s imports its UI's file once the dashboards answer, as the editor, and makes its index pattern the default", (engine, name, headers) => {
    const { files, userData } = synthFrontend(engine, { savedObjects });
    expect(file(files, "/etc/ci-log-analysis/saved-objects.ndjson")!.content).toBe(ndjson(name));
    expect(file(files, "/etc/ci-log-analysis/saved-objects.env")!.content).toContain(headers);
    const curl = file(files, "/etc/ci-log-analysis/dashboards-editor.curl")!;
    expect(curl.permissions).toBe("0600");
    expect(curl.content).toBe('user = "dashboardseditor:stand-in-value"\n');
    expect(userData).toMatch(/user = \\?"dashboardseditor:\$\{random_password\.search_dashboards-editor-password_\w+\.result\}/);
    expect(file(files, "/etc/systemd/system/import-saved-objects.service")!.content).toMatch(/After=install-dashboards\.service/);
    expect(parse(file(files, "/etc/ci-log-analysis/dashboards.yml")!.content)["uiSettings.overrides.defaultIndex"]).toBe("logstash");
  });

  test("imports nothing without them", () => {
    expect(file(synthFrontend("opensearch").files, "/etc/systemd/system/import-saved-objects.service")).toBeUndefined();
  });
});

describe("Frontend without dashboards", () => {
  test("installs neither Kibana nor its unit", () => {
    const { frontend, files } = synthFrontend("elasticsearch", { dashboards: false });
    expect(file(files, "/etc/systemd/system/install-dashboards.service")).toBeUndefined();
    expect(frontend.dashboardsUrl).toBeUndefined();
  });
});
