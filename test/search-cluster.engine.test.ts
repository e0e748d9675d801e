/**
 * The production stack's search cluster as it boots, on loopback: its three cluster-manager-eligible
 * nodes and two of its data nodes, each started from its server's RENDERED files
 * (test/support/search-cluster.ts, test/support/secured-node.ts): the rendered opensearch.yml with
 * only addresses, ports and paths rewritten (LOOPBACK_REWRITTEN_SETTINGS; the first test lists
 * every key that differs), the rendered opensearch-security/*.yml over the plugin's defaults, TLS
 * on transport and HTTP from a CA made here for the rendered subjects, then the first master's
 * rendered setup script with securityadmin. The real security plugin runs on the server release it
 * is built for (<opensearch.secured.version> in test/engine/pom.xml).
 *
 * What it proves, in this order (one cluster for all, so each part leaves it green for the next):
 * the cluster forms from the rendered discovery settings; the README's "who can read what" user
 * by user; the front end's tables with nginx in front of the data nodes; the monitoring's exporter
 * as user monitor; a role changed later reaching the cluster; a data node killed during ingestion
 * losing no acknowledged document; a cluster-manager replaced with an empty disk joining the same
 * cluster.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { parse, stringify } from "yaml";
import { renderFrontendNginx } from "../lib/frontend/nginx";
import { bashScript, SEARCH_EXPORTER_SCRIPT } from "../lib/monitoring/scripts";
import { logMapping } from "../lib/search/engine";
import { SearchWriter, TransientBulkError } from "../services/ingestion/bulk";
import { documentOf, type Document } from "../services/ingestion/documents";
import { HttpClient } from "../services/ingestion/http";
import { takeCpuTurn, type CpuTurn } from "./support/cpu-turns";
import { baseProps, freePort, rawRequest, startNginx } from "./support/nginx-live";
import { openSearchGate } from "./support/opensearch";
import { HOSTILE, publicTestDocuments, searchReads } from "./support/public-requests";
import type { ScriptRun } from "./support/scripts";
import { LoopbackCluster, PRODUCTION_TEST_CLUSTER, productionTestCluster, renderedEnvironment } from "./support/search-cluster";
import { fileOf, LOOPBACK_REWRITTEN_SETTINGS, parseNodeSettings, STAGED_CONFIG, type Credentials, type LaidOutNode } from "./support/secured-node";
import { allGates, DEBIAN_PACKAGES, describeGated, toolGate } from "./support/validators";

const { managers: MANAGERS, data: DATA } = PRODUCTION_TEST_CLUSTER;
/** The first master: the setup node, which holds the security admin's certificate. */
const SETUP_NODE = MANAGERS[0];
/** Where the clients' requests go, as the workers', the bot's and the front end's do: a data node. */
const CLIENT_NODE = DATA[0];
const BOOTSTRAP_SETTING = "cluster.initial_cluster_manager_nodes";
const LOGS = "logstash-2026.01.01";
/** Where the writer indexes while a data node is killed, and how much. */
const INGESTED = { index: "logstash-2026.02.01", batches: 40, batchSize: 200 } as const;
/**
 * How long the five JVMs may take to form a green cluster, and one node to start again: on two
 * cores shared with the rest of the suite (and other machines' work) a start has taken 4 minutes.
 */
const START_TIMEOUT_MS = 480_000;
const RESTART_TIMEOUT_MS = 300_000;
/** How long the cluster may wait for the qemu boot test to finish with the cores (test/support/cpu-turns.ts). */
const TURN_TIMEOUT_MS = 45 * 60_000;
/** The front end's reads find their hits here, unchanged by the table's writes and the ingest pipeline. */
const PUBLIC = "logstash-2026.01.03";

describeGated(
  allGates(openSearchGate(), toolGate("jq", "jq"), toolGate("curl", "curl"), toolGate("nginx", DEBIAN_PACKAGES.nginx)),
  "the production stack's search cluster (3 cluster-manager and 2 data nodes) from its rendered files, with the real security plugin",
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "search-cluster-"));
    let cluster: LoopbackCluster;
    let firstSetup: ScriptRun;
    let clusterUuid: string;
    let nginx: ChildProcess | undefined;
    let nginxPort = 0;
    let turn: CpuTurn | undefined;

    const user = (name: string, fragment: string): Credentials => cluster.user(name, fragment);
    const as = (auth: Credentials | undefined, method: string, target: string, body?: unknown) => cluster.request(CLIENT_NODE, auth, method, target, body);
    const adminAuth = () => cluster.adminAuth();

    beforeAll(async () => {
      turn = await takeCpuTurn("the search cluster test", TURN_TIMEOUT_MS);
      if (turn.waitedMs > 0) process.stdout.write(`search cluster: waited ${(turn.waitedMs / 1000).toFixed(0)} s for the cores\n`);
      cluster = await LoopbackCluster.start(productionTestCluster(dir, START_TIMEOUT_MS));
      process.stdout.write(`search cluster: ${cluster.names.length} nodes green in ${(cluster.startMs / 1000).toFixed(1)} s\n`);
      clusterUuid = (await as(adminAuth(), "GET", "/")).body.cluster_uuid;
      firstSetup = await cluster.runSetup(SETUP_NODE, path.join(dir, "setup-run"));

      // What the readers find, written by the admin (the front end's documents as they are, not parsed by the pipeline).
      for (const index of [LOGS, PUBLIC]) {
        await as(adminAuth(), "PUT", index, { settings: { "index.default_pipeline": "_none" }, mappings: logMapping() });
        const bulk = publicTestDocuments().map((document) => `{"index":{"_index":"${index}"}}\n${JSON.stringify(document)}\n`).join("");
        const indexed = await as(adminAuth(), "POST", "_bulk?refresh=true", bulk);
        if (indexed.status !== 200 || indexed.body.errors) throw new Error(`indexing the test documents: ${JSON.stringify(indexed.body)}`);
      }
      for (const index of [".kibana", ".plugins-ci-test"]) await as(adminAuth(), "PUT", `${index}/_doc/seen?refresh=true`, { title: "saved object" });
      // The new indices' replicas are allocated: every test starts on a green cluster.
      await cluster.awaitHealth(MANAGERS.length + DATA.length, RESTART_TIMEOUT_MS);
    }, TURN_TIMEOUT_MS + START_TIMEOUT_MS + 300_000);

    afterAll(async () => {
      nginx?.kill("SIGQUIT");
      await cluster?.stopAll();
      turn?.release();
      fs.rmSync(dir, { recursive: true, force: true });
    }, 240_000);

    describe("forming", () => {
      test("every node starts from its rendered opensearch.yml, with only addresses, ports and paths rewritten", () => {
        for (const name of cluster.names) {
          const rendered = cluster.settingsOf(name);
          const started = parseNodeSettings(fs.readFileSync(path.join(cluster.node(name).configDir, "opensearch.yml"), "utf8"));
          const keys = new Set([...rendered.keys(), ...started.keys()]);
          const differing = [...keys].filter((key) => JSON.stringify(rendered.get(key)) !== JSON.stringify(started.get(key)));
          expect({ name, rewritten: differing.filter((key) => rendered.has(key) && started.has(key)).sort() }).toEqual({ name, rewritten: [...LOOPBACK_REWRITTEN_SETTINGS].sort() });
          // The S3 client's settings: only repository-s3 defines them (a node refuses unknown settings), and Maven Central has none for 3.4.0.
          expect({ name, dropped: differing.filter((key) => !started.has(key)) }).toEqual({
            name,
            dropped: ["s3.client.default.endpoint", "s3.client.default.protocol", "s3.client.default.path_style_access", "s3.client.default.region"],
          });
          expect({ name, added: differing.filter((key) => !rendered.has(key)) }).toEqual({ name, added: ["node.portsfile"] });
        }
      });

      test("the nodes form ONE green cluster from the rendered discovery settings: the 3 rendered cluster-manager nodes vote, the 2 data nodes hold the shards", async () => {
        const health = await as(adminAuth(), "GET", "_cluster/health");
        expect([health.body.status, health.body.number_of_nodes, health.body.number_of_data_nodes]).toEqual(["green", 5, 2]);
        const nodes = (await as(adminAuth(), "GET", "_cat/nodes?format=json&h=id,name,node.roles,cluster_manager&full_id=true")).body as { id: string; name: string; "node.roles": string; cluster_manager: string }[];
        // Each node's roles as rendered: cluster_manager on the masters, data and ingest on the data nodes.
        expect(Object.fromEntries(nodes.map((node) => [node.name, node["node.roles"]]))).toEqual({
          ...Object.fromEntries(MANAGERS.map((name) => [name, "cluster_manager"])),
          ...Object.fromEntries(DATA.map((name) => [name, "data,ingest"])),
        });
        for (const name of cluster.names) expect(cluster.rolesOf(name).join(",")).toBe(MANAGERS.includes(name) ? "cluster_manager" : "data,ingest");
        expect(MANAGERS).toContain(nodes.find((node) => node.cluster_manager === "*")?.name);
        // The first voting configuration is what cluster.initial_cluster_manager_nodes named: the three masters.
        const state = await as(adminAuth(), "GET", "_cluster/state/metadata?filter_path=metadata.cluster_coordination.last_committed_config");
        const managerIds = nodes.filter((node) => MANAGERS.includes(node.name)).map((node) => node.id).sort();
        expect([...state.body.metadata.cluster_coordination.last_committed_config].sort()).toEqual(managerIds);
        expect(cluster.settingsOf(SETUP_NODE).get(BOOTSTRAP_SETTING)).toEqual(MANAGERS);
        const uuids = await Promise.all(cluster.names.map(async (name) => (await cluster.request(name, adminAuth(), "GET", "/")).body.cluster_uuid as string));
        expect(clusterUuid).toMatch(/^[A-Za-z0-9_-]{22}$/);
        expect(uuids).toEqual(cluster.names.map(() => clusterUuid));
      });

      test("transport speaks TLS with each node's certificate from the cluster CA, and refuses a peer without one", async () => {
        const ca = fs.readFileSync(cluster.ca.certificate);
        for (const name of cluster.names) {
          const peer = await new Promise<{ authorized: boolean; subject: string; issuer: string }>((resolve, reject) => {
            const socket = tls.connect({ host: "127.0.0.1", port: cluster.node(name).transportPort, ca, cert: fs.readFileSync(cluster.admin.cert), key: fs.readFileSync(cluster.admin.key), servername: name }, () => {
              const certificate = socket.getPeerCertificate();
              resolve({ authorized: socket.authorized, subject: String(certificate.subject.CN), issuer: String(certificate.issuer.CN) });
              socket.destroy();
            });
            socket.on("error", reject);
          });
          expect(peer).toEqual({ authorized: true, subject: name, issuer: "test search cluster CA" });
        }
        const withoutCertificate = await new Promise<string>((resolve) => {
          const socket = tls.connect({ host: "127.0.0.1", port: cluster.node(DATA[1]).transportPort, ca, servername: DATA[1] }, () => socket.write("\0"));
          socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
          socket.on("close", () => resolve("closed"));
        });
        expect(withoutCertificate).toBe("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED");
      });

      test("runs the security plugin's release on the server it is built for, on every node", async () => {
        const { body } = await as(adminAuth(), "GET", "_nodes/plugins?filter_path=nodes.*.name,nodes.*.version,nodes.*.plugins.name,nodes.*.plugins.version");
        const nodes = Object.values(body.nodes as Record<string, { name: string; version: string; plugins: { name: string; version: string }[] }>);
        expect(nodes.map((node) => node.name).sort()).toEqual([...MANAGERS, ...DATA].sort());
        for (const node of nodes) expect({ version: node.version, plugins: node.plugins }).toEqual({ version: "3.4.0", plugins: [{ name: "opensearch-security", version: "3.4.0.0" }] });
      });
    });

    describe("the first master's rendered setup", () => {
      test("applies the security files with securityadmin, then the pipeline and the template", () => {
        expect(firstSetup.stdout).toContain("Done with success");
        expect(firstSetup.stdout).toMatch(/^PUT _ingest\/pipeline\/ci-log-lines$/m);
        expect(firstSetup.stdout).toMatch(/^PUT _index_template\/ci-log-analysis-logstash$/m);
      });

      /**
       * The failure mode this guards: object storage that refuses the snapshot repository stopped
       * the setup before any user was created, and every client got 401. Here the cluster refuses
       * it for real (this node has no repository-s3 plugin: "unknown type [s3]").
       */
      test("a snapshot repository the cluster refuses fails the setup with a clear message, after every user can sign in", async () => {
        expect(firstSetup.status).toBe(1);
        expect(firstSetup.stderr).toMatch(/^PUT _snapshot\/daily-snapshots was refused: .*repository_exception.*\[s3\]/m);
        expect(firstSetup.stderr.trim().split("\n").at(-1)).toBe(
          "the snapshot repository or policy could not be set up (see above); the users, lifecycle policy and template are in place. Fix the object storage settings or keys, then: systemctl restart search-setup",
        );
        const template = await as(adminAuth(), "GET", "_index_template/ci-log-analysis-logstash");
        expect(template.status).toBe(200);
        for (const [name, fragment] of [["logwriter", "_writer-password"], ["logreader", "_reader-password"], ["dashboardsreader", "dashboards-reader-password"], ["dashboardseditor", "dashboards-editor-password"], ["dashboards", "_dashboards-password"], ["monitor", "monitor-password"]]) {
          const answer = await as(user(name, fragment), "GET", "_plugins/_security/authinfo");
          expect({ name, status: answer.status, user: answer.body?.user_name }).toEqual({ name, status: 200, user: name });
        }
      });

      test("loaded the rendered roles", async () => {
        const roles = parse(fileOf(cluster.rendered.get(SETUP_NODE)!, `${STAGED_CONFIG}/opensearch-security/roles.yml`)) as Record<string, { index_permissions: unknown }>;
        const { status, body } = await as(adminAuth(), "GET", "_plugins/_security/api/roles/log_reader");
        expect(status).toBe(200);
        expect(body.log_reader.index_permissions).toEqual([expect.objectContaining((roles.log_reader.index_permissions as object[])[0])]);
      });
    });

    describe("who can read what", () => {
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

      test.each(table.map(([who, credentials, method, target, body, status]) => [who, method, target, status, credentials, body] as const))("%s: %s %s answers %d", async (_who, method, target, status, credentials, body) => {
        const auth = credentials === undefined ? undefined : credentials[1] === "" ? { username: credentials[0], password: "wrong" } : user(credentials[0], credentials[1]);
        const response = await as(auth, method, target, body);
        expect({ status: response.status, error: response.status === status ? undefined : response.body }).toEqual({ status, error: undefined });
      });

      test("the writer does what the ingestion service does: bulk create with fixed ids past the default pipeline, a re-send refused as already there", async () => {
        const client = new HttpClient({ ca: fs.readFileSync(cluster.ca.certificate, "utf8") });
        try {
          const writer = new SearchWriter(client, { urls: DATA.map((name) => `https://127.0.0.1:${cluster.node(name).httpPort}`), ...user("logwriter", "_writer-password") });
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
        const withCertificate = await cluster.request(CLIENT_NODE, cluster.admin, "POST", ".opendistro_security/_search", { query: { match_all: {} } });
        expect(withCertificate.status).toBe(200);
        expect(withCertificate.body.hits.total.value).toBeGreaterThan(0);
        const withPassword = await as(adminAuth(), "POST", ".opendistro_security/_search", { query: { match_all: {} } });
        expect(withPassword.body.hits?.total?.value ?? 0).toBe(0);
      });
    });

    describe("behind the rendered front end", () => {
      beforeAll(async () => {
        const prefix = path.join(dir, "frontend");
        fs.mkdirSync(path.join(prefix, "conf"), { recursive: true });
        fs.mkdirSync(path.join(prefix, "logs"));
        fs.copyFileSync(cluster.ca.certificate, path.join(prefix, "conf", "ca.crt"));
        const frontend = cluster.ca.issue("frontend", "frontend", { ipAddresses: ["127.0.0.1"] });
        fs.copyFileSync(frontend.cert, path.join(prefix, "conf", "frontend.crt"));
        fs.copyFileSync(frontend.key, path.join(prefix, "conf", "frontend.key"));
        const reader = Buffer.from(`logreader:${cluster.passwords.of("_reader-password")}`).toString("base64");
        fs.writeFileSync(path.join(prefix, "conf", "reader-auth.conf"), `proxy_set_header Authorization "Basic ${reader}";\n`);
        nginxPort = await freePort();
        fs.writeFileSync(
          path.join(prefix, "conf", "nginx.conf"),
          renderFrontendNginx({
            ...baseProps,
            searchUpstreams: DATA.map((name) => `127.0.0.1:${cluster.node(name).httpPort}`),
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
        "passes %s %s to the data nodes as logreader and gets real hits",
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
        "even sent straight to a data node as logreader, %s %s is refused by the cluster",
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
            PATH: process.env.PATH, ES_URI: `https://127.0.0.1:${cluster.node(CLIENT_NODE).httpPort}`, EXPORTER_PORT: String(port), ES_CA: cluster.ca.certificate,
            ES_USERNAME: "monitor", ES_PASSWORD: cluster.passwords.of("monitor-password"), CLUSTER_COLLECTORS: "1", EXPORTER: "prometheus-elasticsearch-exporter",
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
          const healthy = metrics.split("\n").filter((line) => /^elasticsearch_cluster_health_status\{cluster="production",color="(green|yellow)"\} 1$/.test(line));
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
      const rolesFile = path.join(cluster.node(SETUP_NODE).configDir, "opensearch-security", "roles.yml");
      const roles = parse(fs.readFileSync(rolesFile, "utf8")) as Record<string, { index_permissions: { allowed_actions: string[] }[] }>;
      roles.log_reader.index_permissions[0].allowed_actions = roles.log_reader.index_permissions[0].allowed_actions.filter((action) => action !== "indices:admin/mappings/get");
      fs.writeFileSync(rolesFile, stringify(roles));
      expect((await as(reader, "GET", `${LOGS}/_mapping`)).status).toBe(200);
      const again = await cluster.runSetup(SETUP_NODE, path.join(dir, "setup-again"));
      expect(again.stdout).toContain("Done with success");
      expect((await as(reader, "GET", `${LOGS}/_mapping`)).status).toBe(403);
      expect((await as(reader, "POST", `${LOGS}/_search`, {})).status).toBe(200);
    }, 200_000);

    /**
     * The failure mode this guards: the old service's ingestion hung, or lost what it had sent, while
     * one search node was down. The writer is the ingestion service's (retries, failover between
     * the data nodes); its documents go through the rendered ingest pipeline (the template's default).
     */
    test("a data node killed (SIGKILL) and restarted during bulk indexing loses no document the writer was told was indexed", async () => {
      const { index, batches, batchSize } = INGESTED;
      const client = new HttpClient({ ca: fs.readFileSync(cluster.ca.certificate, "utf8") });
      const victim = DATA[1];
      // The victim first: the writer sends to it until it is gone, then to the other data node.
      const writer = new SearchWriter(client, { urls: [victim, DATA[0]].map((name) => `https://127.0.0.1:${cluster.node(name).httpPort}`), ...user("logwriter", "_writer-password") });
      const batch = (number: number): Document[] =>
        Array.from({ length: batchSize }, (_, position) => {
          const line = number * batchSize + position + 1;
          return {
            index,
            id: `killed-data-node:${line}`,
            source: { "@timestamp": "2026-02-01T10:00:00.000Z", message: `2026-02-01 10:00:00.123 4242 ERROR nova.compute.manager [req-${line}] instance ${line} failed`, line_number: line },
          };
        });
      // retries: requests the writer sent again (a node gone, a shard moving); retriedBatches: batches it gave up on and that were sent again whole.
      const tally = { sent: 0, acknowledged: 0, rejected: 0, batchesDone: 0, retries: 0, retriedBatches: 0 };
      let failure: unknown;
      const ingestion = (async () => {
        for (let number = 0; number < batches; number++) {
          const documents = batch(number);
          tally.sent += documents.length;
          for (;;) {
            try {
              const outcome = await writer.write(documents);
              tally.acknowledged += outcome.created + outcome.existing;
              tally.rejected += outcome.rejected;
              tally.retries += outcome.retries;
              break;
            } catch (error) {
              // As the ingestion service does: the same documents (same ids) again, later.
              if (!(error instanceof TransientBulkError)) throw error;
              tally.retriedBatches += 1;
            }
          }
          tally.batchesDone += 1;
        }
      })().catch((error: unknown) => (failure = error));
      const waitForBatches = async (count: number) => {
        while (tally.batchesDone < count && failure === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
      };
      try {
        await waitForBatches(8);
        await cluster.kill(victim);
        await waitForBatches(tally.batchesDone + 12);
        cluster.restart(victim);
        await ingestion;
      } finally {
        client.close();
      }
      if (failure !== undefined) throw failure;
      await cluster.awaitHealth(5, RESTART_TIMEOUT_MS);
      await as(adminAuth(), "POST", `${index}/_refresh`);
      const found = (await as(adminAuth(), "GET", `${index}/_count`)).body.count;
      process.stdout.write(`data node killed during ingestion: ${JSON.stringify({ ...tally, found })}\n`);
      expect({ sent: tally.sent, acknowledged: tally.acknowledged, rejected: tally.rejected, found }).toEqual({ sent: batches * batchSize, acknowledged: batches * batchSize, rejected: 0, found: batches * batchSize });
      // The writer met the dead node (a request refused or cut off) and went on with the other one.
      expect(tally.retries).toBeGreaterThanOrEqual(1);
      // Through the rendered pipeline: the line's fields were parsed by the cluster.
      const parsed = await as(adminAuth(), "GET", `${index}/_doc/killed-data-node:1`);
      expect(parsed.body._source).toMatchObject({ loglevel: "ERROR", module: "nova.compute.manager", pid: 4242 });
      // Both copies of every shard are back: the restarted node holds its share again.
      const shards = (await as(adminAuth(), "GET", `_cat/shards/${index}?format=json&h=prirep,state,node`)).body as { state: string; node: string }[];
      expect(shards.filter((shard) => shard.state === "STARTED" && shard.node === victim).length).toBeGreaterThan(0);
    }, RESTART_TIMEOUT_MS + 200_000);

    describe("a cluster-manager replaced with an empty data folder", () => {
      const replaced = MANAGERS[2];
      let oldNodeId: string;
      let laidOut: LaidOutNode;
      let guard: ScriptRun;
      let placed: string;

      beforeAll(async () => {
        const local = await cluster.request(replaced, adminAuth(), "GET", "_nodes/_local?filter_path=nodes.*.name");
        oldNodeId = Object.keys(local.body.nodes)[0];
        // The old server is gone, and its disk with it.
        await cluster.kill(replaced);
        laidOut = cluster.layOutReplacement(replaced);
        placed = fs.readFileSync(path.join(laidOut.configDir, "opensearch.yml"), "utf8");
        guard = await cluster.runBootstrapGuard(laidOut, path.join(dir, "guard"));
        cluster.launch(laidOut);
        await cluster.awaitHealth(5, RESTART_TIMEOUT_MS);
      }, RESTART_TIMEOUT_MS + 200_000);

      /**
       * The failure mode this guards: a master that starts with the bootstrap setting on an empty
       * disk may bootstrap a cluster of its own (two masters replaced together certainly do), a
       * second cluster beside the one holding the data.
       */
      test("the rendered guard finds the formed cluster and removes cluster.initial_cluster_manager_nodes from the replacement's config before its first start", () => {
        expect(parseNodeSettings(placed).get(BOOTSTRAP_SETTING)).toEqual(MANAGERS);
        const firstPeer = renderedEnvironment(cluster.rendered.get(replaced)!).PEER_MASTERS.split(",")[0];
        expect({ status: guard.status, stdout: guard.stdout, stderr: guard.stderr }).toEqual({
          status: 0,
          stdout: `master ${firstPeer} answers for a formed cluster: joining it, without the first-bootstrap setting\n`,
          stderr: "",
        });
        const config = fs.readFileSync(path.join(laidOut.configDir, "opensearch.yml"), "utf8");
        expect(parseNodeSettings(config).has(BOOTSTRAP_SETTING)).toBe(false);
        expect(config).toBe(placed.split("\n").filter((line) => !line.startsWith(`${BOOTSTRAP_SETTING}:`)).join("\n"));
        expect(fs.readFileSync(path.join(laidOut.stagedDir, "opensearch.yml"), "utf8")).toBe(config);
      });

      test("the replacement, a new node on an empty data folder, joins the SAME cluster (same cluster UUID), never a second one", async () => {
        const answer = await cluster.request(replaced, adminAuth(), "GET", "/");
        expect(answer.body.cluster_uuid).toBe(clusterUuid);
        const local = await cluster.request(replaced, adminAuth(), "GET", "_nodes/_local?filter_path=nodes.*.name");
        const newNodeId = Object.keys(local.body.nodes)[0];
        expect(newNodeId).not.toBe(oldNodeId);
        for (const name of cluster.names) expect({ name, uuid: (await cluster.request(name, adminAuth(), "GET", "/")).body.cluster_uuid }).toEqual({ name, uuid: clusterUuid });
        const nodes = (await as(adminAuth(), "GET", "_cat/nodes?format=json&h=id,name&full_id=true")).body as { id: string; name: string }[];
        expect(nodes.find((node) => node.name === replaced)?.id).toBe(newNodeId);
        expect(nodes).toHaveLength(5);
        // The data written before the replacement is all there.
        expect((await as(adminAuth(), "GET", `${INGESTED.index}/_count`)).body.count).toBe(INGESTED.batches * INGESTED.batchSize);
      });
    });
  },
);
