/**
 * The evaluation stack's search node as it boots, with the real security plugin: its RENDERED
 * opensearch.yml (addresses, ports and paths rewritten for loopback), its rendered
 * opensearch-security/*.yml over the plugin's defaults, certificates from a CA made here for the
 * rendered subjects, then the rendered setup script (search-setup) with securityadmin. Then the
 * README's "who can read what", user by user, with real requests; the monitoring's exporter as
 * user monitor; the front end's hostile table with nginx in front of this node; and a role
 * changed later reaching the cluster.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { renderFrontendNginx } from "../lib/frontend/nginx";
import { bashScript, SEARCH_EXPORTER_SCRIPT } from "../lib/monitoring/scripts";
import { logMapping, securityAdminCommonName } from "../lib/search/engine";
import { SearchWriter } from "../services/ingestion/bulk";
import { documentOf } from "../services/ingestion/documents";
import { HttpClient } from "../services/ingestion/http";
import { baseProps, freePort, rawRequest, startNginx } from "./support/nginx-live";
import { findJavaHome, openSearchGate } from "./support/opensearch";
import { HOSTILE, publicTestDocuments, searchReads } from "./support/public-requests";
import { runProcess, type ScriptRun } from "./support/scripts";
import {
  awaitNode,
  fileOf,
  GeneratedPasswords,
  httpsRequest,
  parseNodeSettings,
  renderedNode,
  securedHome,
  SETUP_DIR,
  STAGED_CONFIG,
  startRenderedNode,
  stopNode,
  TestCa,
  type Credentials,
  type RenderedNode,
  type StartedNode,
} from "./support/secured-node";
import { synthConfig } from "./support/synth";
import { allGates, DEBIAN_PACKAGES, describeGated, toolGate } from "./support/validators";

const NODE = "evaluation-search-data-1";
const LOGS = "logstash-2026.01.01";
/** The front end's reads find their hits here, unchanged by the table's writes and the ingest pipeline. */
const PUBLIC = "logstash-2026.01.03";

describeGated(allGates(openSearchGate(), toolGate("jq", "jq"), toolGate("curl", "curl"), toolGate("nginx", DEBIAN_PACKAGES.nginx)), "the evaluation stack's search node with the real security plugin", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secured-node-"));
  const passwords = new GeneratedPasswords();
  let rendered: RenderedNode;
  let ca: TestCa;
  let home: string;
  let node: StartedNode;
  let admin: { cert: string; key: string };
  let firstSetup: ScriptRun;
  let nginx: ChildProcess | undefined;
  let nginxPort = 0;

  const user = (name: string, fragment: string): Credentials => ({ username: name, password: passwords.of(fragment) });
  const as = (auth: Credentials | undefined, method: string, target: string, body?: unknown) => httpsRequest(node.httpPort, ca, method, target, { auth, body });
  const adminAuth = () => user("admin", "_admin-password");

  /** The rendered setup script, run as the setup unit runs it (its environment files), against this node. */
  async function runSetup(): Promise<ScriptRun> {
    const setupDir = path.join(dir, "setup");
    fs.rmSync(setupDir, { recursive: true, force: true });
    fs.mkdirSync(setupDir);
    for (const file of rendered.files.filter((written) => written.path.startsWith(`${SETUP_DIR}/`))) {
      let content = file.content;
      // Maven Central has no index state management plugin: its request is checked offline.
      if (path.basename(file.path) === "requests") content = content.split("\n").filter((line) => !line.includes("_plugins/_ism/")).join("\n");
      fs.writeFileSync(path.join(setupDir, path.basename(file.path)), content);
    }
    const script = path.join(dir, "search-setup");
    fs.writeFileSync(script, fileOf(rendered, "/usr/local/sbin/search-setup"), { mode: 0o755 });
    const env = Object.fromEntries(
      [fileOf(rendered, "/etc/ci-log-analysis/search-engine.env"), fileOf(rendered, "/etc/ci-log-analysis/search-secrets.env")]
        .flatMap((text) => text.split("\n"))
        .filter((line) => line.includes("="))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    const adminDir = path.join(dir, "security-admin");
    fs.mkdirSync(adminDir, { recursive: true });
    fs.copyFileSync(admin.cert, path.join(adminDir, "admin.crt"));
    fs.copyFileSync(admin.key, path.join(adminDir, "admin.key"));
    expect(env.SECURITY_ADMIN_DIR).toBe("/etc/ci-log-analysis/search/security-admin");
    return runProcess("bash", [script], {
      timeoutMs: 180_000,
      env: {
        ...env,
        PATH: process.env.PATH,
        TMPDIR: dir,
        ENGINE_CONFIG_DIR: node.configDir,
        NODE_ADDRESS: "127.0.0.1",
        SEARCH_PORT: String(node.httpPort),
        SETUP_DIR: setupDir,
        SECURITY_ADMIN_DIR: adminDir,
        SECURITYADMIN: path.join(home, "plugins", "opensearch-security", "tools", "securityadmin.sh"),
        SECURITYADMIN_JAVA_HOME: findJavaHome()!,
        SETUP_RETRY_SECONDS: "2",
      },
    });
  }

  beforeAll(async () => {
    const stack = synthConfig().evaluation as { resource: { openstack_compute_instance_v2: Record<string, { name: string; user_data: string }> } };
    const instance = Object.values(stack.resource.openstack_compute_instance_v2).find((server) => server.name === NODE)!;
    rendered = renderedNode(NODE, instance.user_data, passwords);
    home = securedHome();
    ca = new TestCa(path.join(dir, "ca"));
    const settings = parseNodeSettings(fileOf(rendered, `${STAGED_CONFIG}/opensearch.yml`));
    const adminDn = (settings.get("plugins.security.authcz.admin_dn") as string[])[0];
    expect(adminDn).toBe(`CN=${securityAdminCommonName("evaluation")}`);
    admin = ca.issue("security-admin", adminDn.slice("CN=".length));
    const transportPort = await freePort();
    node = startRenderedNode({ node: rendered, home, dir: path.join(dir, "node"), ca, httpPort: await freePort(), transportPort, seedHosts: [`127.0.0.1:${transportPort}`], heapMiB: 512 });
    // The security index is set up from the files at the first start (allow_default_init_securityindex).
    await awaitNode(node, "the security index", async () => (await as(adminAuth(), "GET", "_plugins/_security/authinfo")).status === 200);
    firstSetup = await runSetup();

    // What the readers find, written by the admin (the front end's documents as they are, not parsed by the pipeline).
    for (const index of [LOGS, PUBLIC]) {
      await as(adminAuth(), "PUT", index, { settings: { "index.default_pipeline": "_none" }, mappings: logMapping() });
      const bulk = publicTestDocuments().map((document) => `{"index":{"_index":"${index}"}}\n${JSON.stringify(document)}\n`).join("");
      const indexed = await as(adminAuth(), "POST", "_bulk?refresh=true", bulk);
      if (indexed.status !== 200 || indexed.body.errors) throw new Error(`indexing the test documents: ${JSON.stringify(indexed.body)}`);
    }
    for (const index of [".kibana", ".plugins-ci-test"]) await as(adminAuth(), "PUT", `${index}/_doc/seen?refresh=true`, { title: "saved object" });
  }, 400_000);

  afterAll(async () => {
    nginx?.kill("SIGQUIT");
    if (node !== undefined) await stopNode(node);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("runs the security plugin's release on the server it is built for, with TLS on HTTP from the test CA", async () => {
    const { body } = await as(adminAuth(), "GET", "_nodes/plugins?filter_path=nodes.*.version,nodes.*.plugins.name,nodes.*.plugins.version");
    const [info] = Object.values(body.nodes as Record<string, { version: string; plugins: { name: string; version: string }[] }>);
    expect(info).toEqual({ version: "3.4.0", plugins: [{ name: "opensearch-security", version: "3.4.0.0" }] });
  });

  test("the rendered setup script applies the security files with securityadmin, then the pipeline and template", () => {
    expect({ status: firstSetup.status, stderr: firstSetup.stderr }).toEqual({ status: 0, stderr: "" });
    expect(firstSetup.stdout).toContain("Done with success");
    expect(firstSetup.stdout).toMatch(/^PUT _ingest\/pipeline\/ci-log-lines$/m);
    expect(firstSetup.stdout).toMatch(/^PUT _index_template\/ci-log-analysis-logstash$/m);
  });

  test("loaded the rendered roles", async () => {
    const roles = parse(fileOf(rendered, `${STAGED_CONFIG}/opensearch-security/roles.yml`)) as Record<string, { index_permissions: unknown }>;
    const { status, body } = await as(adminAuth(), "GET", "_plugins/_security/api/roles/log_reader");
    expect(status).toBe(200);
    expect(body.log_reader.index_permissions).toEqual([expect.objectContaining((roles.log_reader.index_permissions as object[])[0])]);
  });

  /**
   * The README's "Who can read what", request by request: [user, method, path, body, status].
   * Users are [name, generated password's resource]; undefined is no credentials at all.
   */
  const table: readonly (readonly [string, [string, string] | undefined, string, string, unknown, number])[] = [
    ["logwriter", ["logwriter", "_writer-password"], "POST", `${LOGS}/_doc`, { message: "written" }, 201],
    ["logwriter", ["logwriter", "_writer-password"], "PUT", "logstash-2026.01.02/_doc/1", { message: "a new daily index" }, 201],
    ["logwriter", ["logwriter", "_writer-password"], "POST", `${LOGS}/_search`, { query: { match_all: {} } }, 403],
    ["logwriter", ["logwriter", "_writer-password"], "POST", "other-index/_doc", { message: "outside" }, 403],
    ["logwriter", ["logwriter", "_writer-password"], "POST", ".kibana/_doc", { title: "x" }, 403],
    ["logwriter", ["logwriter", "_writer-password"], "DELETE", LOGS, undefined, 403],
    ["logwriter", ["logwriter", "_writer-password"], "PUT", "_ingest/pipeline/evil", { processors: [] }, 403],
    ["logreader", ["logreader", "_reader-password"], "POST", `${LOGS}/_search`, { query: { match: { message: "timeout" } } }, 200],
    ["logreader", ["logreader", "_reader-password"], "GET", "logstash-*/_count", undefined, 200],
    ["logreader", ["logreader", "_reader-password"], "GET", `${LOGS}/_mapping`, undefined, 200],
    ["logreader", ["logreader", "_reader-password"], "POST", `${LOGS}/_doc`, { message: "x" }, 403],
    ["logreader", ["logreader", "_reader-password"], "POST", ".kibana/_search", {}, 403],
    ["logreader", ["logreader", "_reader-password"], "POST", ".opendistro_security/_search", {}, 403],
    ["logreader", ["logreader", "_reader-password"], "POST", ".plugins-ci-test/_search", {}, 403],
    ["logreader", ["logreader", "_reader-password"], "GET", "_plugins/_security/api/internalusers", undefined, 403],
    ["dashboardsreader", ["dashboardsreader", "dashboards-reader-password"], "POST", `${LOGS}/_search`, {}, 200],
    ["dashboardsreader", ["dashboardsreader", "dashboards-reader-password"], "POST", ".kibana/_search", {}, 200],
    ["dashboardsreader", ["dashboardsreader", "dashboards-reader-password"], "POST", ".kibana/_doc", { title: "x" }, 403],
    ["dashboardsreader", ["dashboardsreader", "dashboards-reader-password"], "POST", `${LOGS}/_doc`, { message: "x" }, 403],
    ["dashboardsreader", ["dashboardsreader", "dashboards-reader-password"], "POST", ".plugins-ci-test/_search", {}, 403],
    ["dashboardseditor", ["dashboardseditor", "dashboards-editor-password"], "POST", ".kibana/_doc", { title: "imported" }, 201],
    ["dashboardseditor", ["dashboardseditor", "dashboards-editor-password"], "POST", `${LOGS}/_search`, {}, 200],
    ["dashboardseditor", ["dashboardseditor", "dashboards-editor-password"], "POST", `${LOGS}/_doc`, { message: "x" }, 403],
    ["dashboardseditor", ["dashboardseditor", "dashboards-editor-password"], "DELETE", LOGS, undefined, 403],
    ["the dashboards server", ["dashboards", "_dashboards-password"], "POST", ".opensearch_dashboards/_doc", { title: "its own index" }, 201],
    ["the dashboards server", ["dashboards", "_dashboards-password"], "POST", `${LOGS}/_search`, {}, 403],
    ["the dashboards server", ["dashboards", "_dashboards-password"], "POST", `${LOGS}/_doc`, { message: "x" }, 403],
    ["the admin", ["admin", "_admin-password"], "PUT", "ci-admin-test", {}, 200],
    ["the admin", ["admin", "_admin-password"], "GET", "_plugins/_security/api/internalusers/logreader", undefined, 200],
    ["the admin", ["admin", "_admin-password"], "POST", ".opendistro_security/_doc", { x: 1 }, 403],
    ["the admin", ["admin", "_admin-password"], "DELETE", ".opendistro_security", undefined, 403],
    ["monitor", ["monitor", "monitor-password"], "GET", "_cluster/health", undefined, 200],
    ["monitor", ["monitor", "monitor-password"], "GET", "_all/_settings", undefined, 200],
    ["monitor", ["monitor", "monitor-password"], "POST", `${LOGS}/_search`, {}, 403],
    ["monitor", ["monitor", "monitor-password"], "GET", `${LOGS}/_doc/1`, undefined, 403],
    ["nobody", undefined, "POST", `${LOGS}/_search`, {}, 401],
    ["a wrong password", ["logreader", ""], "POST", `${LOGS}/_search`, {}, 401],
  ];

  test.each(table)("%s: %s %s answers the expected status", async (_who, credentials, method, target, body, status) => {
    const auth = credentials === undefined ? undefined : credentials[1] === "" ? { username: credentials[0], password: "wrong" } : user(credentials[0], credentials[1]);
    const response = await as(auth, method, target, body);
    expect({ status: response.status, error: response.status === status ? undefined : response.body }).toEqual({ status, error: undefined });
  });

  test("the writer does what the ingestion service does: bulk create with fixed ids past the default pipeline, a re-send refused as already there", async () => {
    const client = new HttpClient({ ca: fs.readFileSync(ca.certificate, "utf8") });
    try {
      const writer = new SearchWriter(client, { urls: [`https://127.0.0.1:${node.httpPort}`], ...user("logwriter", "_writer-password") });
      const build = { uuid: "e5".repeat(16), job: "tempest-full-py3", result: "FAILURE", voting: true, logUrl: "https://logs.example.org/e5/" };
      const entry = { name: "job-output.txt", tags: ["console"] };
      const documents = [1, 2, 3].map((line) => documentOf(build, entry, {}, "logstash-", { line, timeMs: Date.parse("2026-01-04T10:00:00Z"), text: `line ${line}`, fields: {} }));
      expect(documents.every((document) => document.pipeline === "_none")).toBe(true);
      expect(await writer.write(documents)).toEqual({ created: 3, existing: 0, rejected: 0, reasons: [], retries: 0 });
      expect(await writer.write(documents)).toEqual({ created: 0, existing: 3, rejected: 0, reasons: [], retries: 0 });
    } finally {
      client.close();
    }
  });

  test("only the admin certificate reads the security index (the admin's password cannot)", async () => {
    const withCertificate = await httpsRequest(node.httpPort, ca, "POST", ".opendistro_security/_search", { auth: admin, body: { query: { match_all: {} } } });
    expect(withCertificate.status).toBe(200);
    expect(withCertificate.body.hits.total.value).toBeGreaterThan(0);
    const withPassword = await as(adminAuth(), "POST", ".opendistro_security/_search", { query: { match_all: {} } });
    expect(withPassword.body.hits?.total?.value ?? 0).toBe(0);
  });

  describe("behind the rendered front end", () => {
    beforeAll(async () => {
      const prefix = path.join(dir, "frontend");
      fs.mkdirSync(path.join(prefix, "conf"), { recursive: true });
      fs.mkdirSync(path.join(prefix, "logs"));
      fs.copyFileSync(ca.certificate, path.join(prefix, "conf", "ca.crt"));
      const frontend = ca.issue("frontend", "frontend", { ipAddresses: ["127.0.0.1"] });
      fs.copyFileSync(frontend.cert, path.join(prefix, "conf", "frontend.crt"));
      fs.copyFileSync(frontend.key, path.join(prefix, "conf", "frontend.key"));
      const reader = Buffer.from(`logreader:${passwords.of("_reader-password")}`).toString("base64");
      fs.writeFileSync(path.join(prefix, "conf", "reader-auth.conf"), `proxy_set_header Authorization "Basic ${reader}";\n`);
      nginxPort = await freePort();
      fs.writeFileSync(
        path.join(prefix, "conf", "nginx.conf"),
        renderFrontendNginx({
          ...baseProps,
          searchUpstreams: [`127.0.0.1:${node.httpPort}`],
          dashboards: undefined,
          requestsPerSecond: 1000,
          connectionsPerClient: 3,
          httpPort: await freePort(),
          httpsPort: nginxPort,
          statusListen: `127.0.0.1:${await freePort()}`,
          ipv6: false,
        }).replace("worker_processes auto;", "worker_processes 1;"),
      );
      nginx = await startNginx(prefix, nginxPort);
    });

    const send = (method: string, target: string, body?: string) => rawRequest(nginxPort, method, target, { headers: { Authorization: "Basic dmlzaXRvcjpndWVzcw==" }, body });

    // The brace range on a keyword is an expensive query, which the rendered search limits turn off: below.
    test.each(searchReads(PUBLIC).filter(([, target]) => !target.includes("build_uuid:{")))(
      "passes %s %s to the secured node as logreader and gets real hits",
      async (method, target, body, check) => {
        const response = await send(method, target, body);
        expect(response.status).toBe(200);
        check(response.body);
      },
    );

    test("the rendered search limits are live: a range over a keyword field (an expensive query) matches nothing", async () => {
      const response = await send("GET", `/${PUBLIC}/_count?q=build_uuid:{a0%20TO%20a2}`);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body).count).toBe(0);
      expect(JSON.parse((await send("GET", `/${PUBLIC}/_count?q=build_uuid:a1`)).body).count).toBe(1);
    });

    test.each(HOSTILE.filter(([, target]) => !target.startsWith("/dashboards")).map(([method, target, status]) => [method, target, status] as const))(
      "refuses %s %s (%d)",
      async (method, target, status) => {
        const response = await send(method, target, '{"query":{"match_all":{}}}');
        expect(response.status).toBe(status);
      },
    );

    test.each(HOSTILE.filter(([method, target]) => method !== "GET" && !target.startsWith("/dashboards") && !/_search|_msearch|_count|_sql/.test(target)).map(([method, target]) => [method, target] as const))(
      "even sent straight to the node as logreader, %s %s is refused by the cluster",
      async (method, target) => {
        const response = await as(user("logreader", "_reader-password"), method, target, {});
        // 404: a restore of a snapshot that does not exist is refused before the privileges are.
        expect([400, 403, 404, 405]).toContain(response.status);
      },
    );
  });

  describeGated(toolGate("prometheus-elasticsearch-exporter", "prometheus-elasticsearch-exporter"), "the monitoring's exporter as user monitor", () => {
    test("reads every collector the alert rules use, through the rendered wrapper, with TLS from the cluster's CA", async () => {
      fs.writeFileSync(path.join(dir, "search-exporter"), bashScript(SEARCH_EXPORTER_SCRIPT), { mode: 0o755 });
      const port = await freePort();
      const exporter = spawn(path.join(dir, "search-exporter"), [], {
        env: {
          PATH: process.env.PATH, ES_URI: `https://127.0.0.1:${node.httpPort}`, EXPORTER_PORT: String(port), ES_CA: ca.certificate,
          ES_USERNAME: "monitor", ES_PASSWORD: passwords.of("monitor-password"), CLUSTER_COLLECTORS: "1", EXPORTER: "prometheus-elasticsearch-exporter",
        },
        stdio: "ignore",
      });
      try {
        let metrics = "";
        for (const deadline = Date.now() + 30_000; !/^elasticsearch_node_stats_up /m.test(metrics) && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 500))) {
          metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((response) => response.text(), () => "");
        }
        const value = (series: RegExp) => metrics.split("\n").find((line) => series.test(line))?.split(" ").pop();
        for (const collector of ["cluster_health", "node_stats", "indices_settings_stats", "snapshot_stats"]) {
          expect(`${collector} ${value(new RegExp(`^elasticsearch_${collector}_up `))}`).toBe(`${collector} 1`);
        }
        const healthy = metrics.split("\n").filter((line) => /^elasticsearch_cluster_health_status\{cluster="[^"]+",color="(green|yellow)"\} 1$/.test(line));
        expect(healthy).toHaveLength(1);
        expect(value(/^elasticsearch_filesystem_data_available_bytes\{/)).toMatch(/^[0-9.e+]+$/);
        expect(value(/^elasticsearch_jvm_memory_used_bytes\{area="heap"/)).toMatch(/^[0-9.e+]+$/);
        expect(value(new RegExp(`^elasticsearch_indices_settings_total_fields\\{index="${LOGS}"\\}`))).toBeDefined();
      } finally {
        exporter.kill();
      }
    });
  });

  /**
   * The failure mode this guards: the security plugin reads its files only into an empty security
   * index, so a role changed in a later synth (delivered to a replaced first master) would never
   * reach the cluster. The setup's securityadmin run is what applies it.
   */
  test("a role changed later reaches the cluster when the setup runs again, not before", async () => {
    const reader = user("logreader", "_reader-password");
    expect((await as(reader, "GET", `${LOGS}/_mapping`)).status).toBe(200);
    const rolesFile = path.join(node.configDir, "opensearch-security", "roles.yml");
    const roles = parse(fs.readFileSync(rolesFile, "utf8")) as Record<string, { index_permissions: { allowed_actions: string[] }[] }>;
    roles.log_reader.index_permissions[0].allowed_actions = roles.log_reader.index_permissions[0].allowed_actions.filter((action) => action !== "indices:admin/mappings/get");
    fs.writeFileSync(rolesFile, stringify(roles));
    expect((await as(reader, "GET", `${LOGS}/_mapping`)).status).toBe(200);
    const again = await runSetup();
    expect(again.status).toBe(0);
    expect((await as(reader, "GET", `${LOGS}/_mapping`)).status).toBe(403);
    expect((await as(reader, "POST", `${LOGS}/_search`, {})).status).toBe(200);
  }, 200_000);
});
