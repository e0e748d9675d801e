/**
 * The monitoring as it runs: a real Prometheus (Debian's package) on loopback, with the
 * rendered configuration (only the scrape interval shortened and the paths moved into a private
 * folder), the rendered rules and the rendered status page, scraping a real node exporter with
 * the rendered flags, the real elasticsearch exporter started by the rendered wrapper script and
 * pointed at the project's test search node (OpenSearch 3.x: with a log index of this file, a
 * good snapshot of it in an fs repository, and for one test the flood stage's read-only block on
 * it), the recheck service's own metrics endpoint
 * (services/recheck/health.ts) and the ingestion service's bundle indexing a build of each of two
 * tenants from fake Zuuls into the node. It shows that the cluster,
 * disk and heap series the rules use exist with those names and labels, that the rules load, and
 * opens the status page in headless Chromium, from Prometheus and through the front end's
 * rendered nginx, which passes the page alone and refuses every other request under the status
 * path and of Prometheus' API before Prometheus sees it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { addNodeExporter } from "../lib/monitoring/exporters";
import { renderPrometheusConfig } from "../lib/monitoring/prometheus-config";
import { alertRuleGroups, renderRuleFile } from "../lib/monitoring/alert-rules";
import { bashScript, SEARCH_EXPORTER_SCRIPT } from "../lib/monitoring/scripts";
import { renderStatusPage, STATUS_PAGE_FILE, STATUS_PAGE_PROMETHEUS_PATH, STATUS_PAGE_PUBLIC_PATH } from "../lib/monitoring/status-page";
import { renderFrontendNginx } from "../lib/frontend/nginx";
import { CloudConfigBuilder } from "../lib/cloud-init/cloud-config";
import { serveHealth } from "../services/recheck/health";
import { METRICS } from "../services/ingestion/metrics";
import { INGESTION_CREDENTIAL, renderIngestionConfig, type IngestionServiceConfig } from "../lib/ingestion/service-config";
import { serviceBundle } from "../lib/service-bundle";
import { generateLogs, inventoryYaml } from "./fixtures/ci-logs";
import { startFaultyCluster } from "./support/faulty-cluster";
import { FakeZuul, type FakeBuild } from "./support/fake-zuul";
import { oldestNodePath } from "./support/oldest-node";
import { selfSignedCertificate } from "./support/certificates";
import { chromiumGate, visit } from "./support/chromium";
import { baseProps, freePort, makeCertificates, rawRequest, startNginx } from "./support/nginx-live";
import { describeWithSearchEngine, engineRequest, searchEngineUrl, uniqueIndexName } from "./support/search-engine";
import { allGates, DEBIAN_PACKAGES, describeGated, toolGate } from "./support/validators";

const ARTIFACTS = path.join(__dirname, "..", "test-artifacts");
/** This file's own log index (a `logstash-` name, as the rules count them) and snapshot repository on the shared node. */
const INDEX = uniqueIndexName("logstash-monitoring-live");
const REPOSITORY = uniqueIndexName("monitoring-live");
/** The ingestion service's daily indices. */
const INGESTED_PREFIX = uniqueIndexName("logstash-monitoring-ingested");
/** The oldest Node.js the services support when at hand, as the ingestion and recheck tests run them. */
const oldestNode = fs.existsSync(oldestNodePath()) ? oldestNodePath() : process.execPath;

/** A finished build whose logs a fake Zuul serves (test/fixtures/ci-logs.ts). */
function ingestedBuild(seed: number, endMs: number): FakeBuild {
  const startMs = endMs - 30 * 60_000;
  const logs = new Map<string, Buffer | string>(generateLogs(seed, startMs, { linesPerFile: 20 }).map((file) => [file.name, file.content]));
  logs.set("zuul-info/inventory.yaml", inventoryYaml("ze01.opendev.org", [{ name: "controller", cloud: "rax", region: "DFW", provider: "rax-dfw", hostId: `host-${seed}` }]));
  return { uuid: `${seed}`.repeat(32), job: "tempest-full-py3", startMs, endMs, result: "FAILURE", change: 900000 + seed, logs };
}
const gate = allGates(
  toolGate("prometheus", "prometheus"),
  toolGate("prometheus-node-exporter", "prometheus-node-exporter"),
  toolGate("prometheus-elasticsearch-exporter", "prometheus-elasticsearch-exporter"),
  chromiumGate(),
  toolGate("nginx", DEBIAN_PACKAGES.nginx),
);

/**
 * What a visitor may try at the front end against the monitoring: anything but reading the page
 * is refused by nginx, before Prometheus sees it (method, raw URI, status).
 */
const STATUS_HOSTILE: readonly (readonly [string, string, number])[] = [
  // Other methods on the page itself
  ["POST", "/status/", 403],
  ["PUT", "/status/", 403],
  ["DELETE", "/status/", 403],
  ["PATCH", "/status/", 403],
  ["OPTIONS", "/status/", 403],
  // Prometheus' own API and UI, under the status path and at the root
  ["GET", "/status/api/v1/query?query=up", 403],
  ["POST", "/status/api/v1/query", 403],
  ["GET", "/status/api/v1/series?match[]=up", 403],
  ["GET", "/status/api/v1/targets", 403],
  ["GET", "/status/api/v1/status/config", 403],
  ["GET", "/status/api/v1/status/flags", 403],
  ["POST", "/status/api/v1/write", 403],
  ["POST", "/status/api/v1/otlp/v1/metrics", 403],
  ["POST", "/status/api/v1/admin/tsdb/delete_series?match[]=up", 403],
  ["POST", "/status/api/v1/admin/tsdb/snapshot", 403],
  ["POST", "/status/api/v1/admin/tsdb/clean_tombstones", 403],
  ["PUT", "/status/api/v1/admin/tsdb/delete_series?match[]=up", 403],
  ["POST", "/api/v1/admin/tsdb/delete_series?match[]=up", 403],
  ["POST", "/api/v1/admin/tsdb/snapshot", 403],
  ["GET", "/api/v1/query?query=up", 403],
  ["POST", "/api/v1/write", 403],
  ["POST", "/-/reload", 403],
  ["PUT", "/-/quit", 403],
  ["POST", "/status/-/reload", 403],
  ["PUT", "/status/-/quit", 403],
  ["GET", "/status/-/healthy", 403],
  ["GET", "/federate?match[]=up", 403],
  ["GET", "/status/federate?match[]=up", 403],
  ["GET", "/status/graph", 403],
  ["GET", "/graph", 403],
  ["GET", "/status/static/index.html", 403],
  ["GET", "/status/consoles/status.html", 403],
  ["GET", "/consoles/status.html", 403],
  ["GET", "/status/consoles/index.html.example", 403],
  ["GET", "/status/index.html", 403],
  // Tricks that would reach another path of Prometheus through the page's location
  ["GET", "/status/../api/v1/status/config", 400],
  ["GET", "/status/%2e%2e/api/v1/status/config", 400],
  ["GET", "/status/%2fapi/v1/query?query=up", 400],
  ["GET", "/status//api/v1/query?query=up", 400],
  ["GET", "/status/./", 400],
];

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

describeWithSearchEngine("monitoring against the real programs", () => {
  describeGated(gate, "Prometheus, the node and elasticsearch exporters and the front end's nginx on loopback", () => {
    let dir: string;
    let prometheusPort: number;
    const children: ChildProcess[] = [];
    const servers: http.Server[] = [];
    /** The fake Zuuls and the cluster in front of the node, closed at the end. */
    const stopAfterwards: (() => Promise<unknown>)[] = [];
    const logs: Record<string, string> = {};
    const start = (name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
      const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
      logs[name] = "";
      child.stdout!.on("data", (chunk: Buffer) => (logs[name] += chunk.toString()));
      child.stderr!.on("data", (chunk: Buffer) => (logs[name] += chunk.toString()));
      children.push(child);
    };
    const query = async (expression: string): Promise<Sample[]> => {
      const response = await fetch(`http://127.0.0.1:${prometheusPort}/api/v1/query?query=${encodeURIComponent(expression)}`);
      return ((await response.json()) as { data: { result: Sample[] } }).data.result;
    };
    /**
     * The series of an expression once `complete` says they are all there: each scrape of each
     * target adds its own, so the first answer can hold some of them only.
     */
    const queryUntil = async (expression: string, complete = (samples: Sample[]) => samples.length > 0): Promise<Sample[]> => {
      let result: Sample[] = [];
      const deadline = Date.now() + 60_000;
      while (!complete(result) && Date.now() < deadline) {
        // Prometheus answers once it has read its configuration and its store.
        result = await query(expression).catch(() => []);
        if (!complete(result)) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      if (result.length === 0) throw new Error(`no series for ${expression}; ${Object.entries(logs).map(([n, l]) => `${n}: ${l.slice(-800)}`).join("\n")}`);
      return result;
    };

    /** What reached Prometheus through the front end's nginx (the relay in between records it). */
    const reachedPrometheus: { method: string; url: string; headers: http.IncomingHttpHeaders }[] = [];
    let frontendPort: number;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "monitoring-live-"));
      // A log index and a good snapshot of it in a repository of the node's own (path.repo), for the snapshot rules.
      expect((await engineRequest("PUT", INDEX, {})).status).toBe(200);
      const nodeSettings = await engineRequest("GET", "_nodes/_local/settings");
      const [repositoryRoot] = (Object.values(nodeSettings.body.nodes)[0] as { settings: { path: { repo: string[] } } }).settings.path.repo;
      expect((await engineRequest("PUT", `_snapshot/${REPOSITORY}`, { type: "fs", settings: { location: path.join(repositoryRoot, REPOSITORY) } })).status).toBe(200);
      const snapshot = await engineRequest("PUT", `_snapshot/${REPOSITORY}/first?wait_for_completion=true`, { indices: INDEX, include_global_state: false });
      expect(snapshot.body.snapshot?.state).toBe("SUCCESS");
      const [nodePort, exporterPort, recheckPort, ingestionPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
      prometheusPort = await freePort();
      const engine = new URL(await searchEngineUrl());

      // The node exporter with the flags every server gets, on a free loopback port.
      const nodeExporterBuilder = new CloudConfigBuilder();
      addNodeExporter(nodeExporterBuilder);
      const dropIn = nodeExporterBuilder.systemdUnitFiles()["prometheus-node-exporter.service.d/ci-log-analysis.conf"];
      const execStart = /^ExecStart=(\/.+)$/m.exec(dropIn)![1].split(" ");
      start("node-exporter", "prometheus-node-exporter", [...execStart.slice(1).filter((flag) => !flag.startsWith("--web.listen-address")), `--web.listen-address=127.0.0.1:${nodePort}`]);

      // The elasticsearch exporter, started by the rendered wrapper as the unit starts it.
      selfSignedCertificate(dir, { commonName: "test CA", keyFile: "ca.key", certFile: "ca.crt" });
      fs.writeFileSync(path.join(dir, "search-exporter"), bashScript(SEARCH_EXPORTER_SCRIPT), { mode: 0o755 });
      start("search-exporter", path.join(dir, "search-exporter"), [], {
        ...process.env,
        ES_URI: engine.origin, EXPORTER_PORT: String(exporterPort), ES_CA: path.join(dir, "ca.crt"),
        ES_USERNAME: "monitor", ES_PASSWORD: "test-password-not-a-secret", CLUSTER_COLLECTORS: "1",
        EXPORTER: "prometheus-elasticsearch-exporter",
      });

      // The recheck service's endpoint, listening where the deployed service does (all addresses, here loopback).
      servers.push(await serveHealth(recheckPort, {
        health: () => ({ ok: true, details: {} }),
        metrics: () => ({ recheck_gerrit_stream_up: 1, recheck_builds_classified_total: 42, recheck_builds_matched_total: 17, recheck_builds_timed_out_total: 1 }),
      }, "127.0.0.1"));
      // The ingestion service's bundle, as a worker runs it, indexing one build of each of two
      // tenants from fake Zuuls into the node (behind HTTPS and basic auth): its /metrics is what
      // the ingestion rules and the status page read.
      const ingestedEnd = Date.now() - 10 * 60_000;
      const zuuls = [await FakeZuul.start([ingestedBuild(1, ingestedEnd)]), await FakeZuul.start([ingestedBuild(2, ingestedEnd - 3600_000)], { tenant: "opendev" })];
      stopAfterwards.push(() => Promise.all(zuuls.map((zuul) => zuul.close())));
      const writerPassword = randomBytes(12).toString("hex");
      const cluster = await startFaultyCluster(dir, engine.origin, { username: "logwriter", password: writerPassword });
      stopAfterwards.push(() => cluster.close());
      fs.mkdirSync(path.join(dir, "ingestion-credentials"));
      fs.writeFileSync(path.join(dir, "ingestion-credentials", INGESTION_CREDENTIAL), `${writerPassword}\n`, { mode: 0o600 });
      const ingestionConfig: IngestionServiceConfig = {
        sources: [
          { name: "tempest", zuulApiUrl: zuuls[0].apiUrl, tenant: "openstack", shard: 0, shards: 1 },
          { name: "opendev", zuulApiUrl: zuuls[1].apiUrl, tenant: "opendev", shard: 0, shards: 1 },
        ],
        downloadList: generateLogs(1, 0, { linesPerFile: 1 }).map((file) => ({ name: file.name, tags: [...file.tags] })),
        zuul: { caFile: cluster.caFile, pageSize: 50, pollSeconds: 1, backfillHours: 24 },
        search: { urls: [cluster.url], username: "logwriter", caFile: cluster.caFile, indexPrefix: `${INGESTED_PREFIX}-`, retentionDays: 3 },
        lines: { debugMessages: "drop", maxFileBytes: 1024 * 1024 },
        parallelBuilds: 2,
        metrics: { port: ingestionPort, address: "127.0.0.1" },
      };
      fs.writeFileSync(path.join(dir, "ingestion.json"), renderIngestionConfig(ingestionConfig));
      fs.writeFileSync(path.join(dir, "ingestion.js"), serviceBundle("ingestion"));
      fs.mkdirSync(path.join(dir, "ingestion-state"));
      start("ingestion", oldestNode, [path.join(dir, "ingestion.js"), path.join(dir, "ingestion.json")], {
        PATH: process.env.PATH, STATE_DIRECTORY: path.join(dir, "ingestion-state"), CREDENTIALS_DIRECTORY: path.join(dir, "ingestion-credentials"),
      });

      // Prometheus with the rendered files.
      fs.mkdirSync(path.join(dir, "targets"));
      fs.mkdirSync(path.join(dir, "status-page"));
      const target = (port: number, server: string, role: string) => JSON.stringify([{ targets: [`127.0.0.1:${port}`], labels: { server, role } }]);
      fs.writeFileSync(path.join(dir, "targets", "node.json"), target(nodePort, "test-search-data-1", "search-data"));
      fs.writeFileSync(path.join(dir, "targets", "search.json"), target(exporterPort, "test-search-data-1", "search-data"));
      fs.writeFileSync(path.join(dir, "targets", "recheck.json"), target(recheckPort, "test-recheck-1", "recheck"));
      fs.writeFileSync(path.join(dir, "targets", "ingestion.json"), target(ingestionPort, "test-ingestion-1", "ingestion"));
      for (const job of ["nginx", "tls"]) fs.writeFileSync(path.join(dir, "targets", `${job}.json`), "[]");
      fs.writeFileSync(path.join(dir, "rules.yml"), renderRuleFile(alertRuleGroups({
        dataNodes: 1, searchNodes: 1, watermarks: { lowPercent: 85, highPercent: 90, floodStagePercent: 95 }, retentionDays: 7,
        plannedStoreGiB: 10, snapshots: true, sourceGapMinutes: { tempest: 60, opendev: 360 },
      })));
      fs.writeFileSync(path.join(dir, "status-page", STATUS_PAGE_FILE), renderStatusPage("test"));
      const config = renderPrometheusConfig({
        deploymentName: "test", localJobs: [], serverName: "test-monitoring-1", role: "monitoring",
        targetsDir: path.join(dir, "targets"), rulesFile: path.join(dir, "rules.yml"),
      }).replace(/scrape_interval: \d+s/, "scrape_interval: 1s").replace(/evaluation_interval: \d+s/, "evaluation_interval: 1s").replace(/scrape_timeout: \d+s/, "scrape_timeout: 1s");
      fs.writeFileSync(path.join(dir, "prometheus.yml"), config);
      start("prometheus", "prometheus", [
        `--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
        `--web.console.templates=${path.join(dir, "status-page")}`, `--web.console.libraries=${path.join(dir, "status-page")}`,
      ]);

      // The front end's rendered nginx, its status page location proxying to Prometheus through a recording relay.
      const relay = http.createServer((request, response) => {
        reachedPrometheus.push({ method: request.method!, url: request.url!, headers: request.headers });
        const forwarded = http.request(`http://127.0.0.1:${prometheusPort}${request.url}`, { method: request.method }, (answer) => {
          response.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(response);
        });
        forwarded.on("error", (error) => response.destroy(error));
        request.pipe(forwarded);
      });
      await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
      servers.push(relay);
      const frontend = path.join(dir, "frontend");
      fs.mkdirSync(path.join(frontend, "conf"), { recursive: true });
      fs.mkdirSync(path.join(frontend, "logs"));
      makeCertificates(path.join(frontend, "conf"));
      fs.writeFileSync(path.join(frontend, "conf", "reader-auth.conf"), "");
      frontendPort = await freePort();
      fs.writeFileSync(path.join(frontend, "conf", "nginx.conf"), renderFrontendNginx({
        ...baseProps,
        statusPageUpstream: `127.0.0.1:${(relay.address() as AddressInfo).port}`,
        requestsPerSecond: 1000,
        httpPort: await freePort(),
        httpsPort: frontendPort,
        statusListen: `127.0.0.1:${await freePort()}`,
        ipv6: false,
      }).replace("worker_processes auto;", "worker_processes 1;"));
      children.push(await startNginx(frontend, frontendPort));
    }, 120_000);

    afterAll(async () => {
      for (const server of servers) server.closeAllConnections();
      for (const child of children) child.kill("SIGTERM");
      await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once("exit", resolve)) : undefined)));
      for (const server of servers) server.close();
      for (const stop of stopAfterwards) await stop();
      fs.rmSync(dir, { recursive: true, force: true });
      await engineRequest("DELETE", `${INGESTED_PREFIX}-*`);
      await engineRequest("DELETE", `_snapshot/${REPOSITORY}/first`);
      await engineRequest("DELETE", `_snapshot/${REPOSITORY}`);
      await engineRequest("DELETE", INDEX);
    });

    test("cluster health, as the red, yellow and node-count rules read it", async () => {
      const status = await queryUntil('elasticsearch_cluster_health_status{job="search"}');
      expect(status.map((sample) => sample.metric.color).sort()).toEqual(["green", "red", "yellow"]);
      expect(status.every((sample) => sample.metric.cluster && sample.metric.instance === "test-search-data-1")).toBe(true);
      const healthy = status.filter((sample) => sample.value[1] === "1").map((sample) => sample.metric.color);
      expect(["green", "yellow"]).toContain(healthy[0]);
      expect((await queryUntil("elasticsearch_cluster_health_number_of_data_nodes"))[0].value[1]).toBe("1");
      expect((await queryUntil("elasticsearch_cluster_health_number_of_nodes"))[0].value[1]).toBe("1");
      expect(await queryUntil("elasticsearch_indices_settings_stats_read_only_indices")).toHaveLength(1);
    });

    test("the data disk and heap series of the watermark and heap rules, with their labels", async () => {
      const available = await queryUntil("elasticsearch_filesystem_data_available_bytes");
      expect(Object.keys(available[0].metric)).toEqual(expect.arrayContaining(["cluster", "name", "mount", "path"]));
      const used = await queryUntil("1 - elasticsearch_filesystem_data_available_bytes / elasticsearch_filesystem_data_size_bytes");
      expect(Number(used[0].value[1])).toBeGreaterThan(0);
      expect(Number(used[0].value[1])).toBeLessThan(1);
      const heap = await queryUntil('elasticsearch_jvm_memory_used_bytes{area="heap"} / elasticsearch_jvm_memory_max_bytes{area="heap"}');
      expect(Number(heap[0].value[1])).toBeGreaterThan(0);
      expect(await queryUntil("elasticsearch_indices_store_size_bytes")).toHaveLength(1);
      expect(await queryUntil("elasticsearch_indices_indexing_index_total")).toHaveLength(1);
    });

    test("the snapshot series of the snapshot rules, with their repository and state", async () => {
      const count = await queryUntil(`elasticsearch_snapshot_stats_number_of_snapshots{repository="${REPOSITORY}"}`);
      expect(count[0].value[1]).toBe("1");
      expect(await queryUntil(`elasticsearch_snapshot_stats_snapshot_start_time_timestamp{repository="${REPOSITORY}",state="SUCCESS"}`)).toHaveLength(1);
      const latest = await queryUntil(`elasticsearch_snapshot_stats_latest_snapshot_timestamp_seconds{repository="${REPOSITORY}"}`);
      expect(Date.now() / 1000 - Number(latest[0].value[1])).toBeLessThan(3600);
    });

    test("a read-only index (the flood stage's block) makes SearchIndicesReadOnly pending, its summary expanded", async () => {
      const block = (value: boolean | null) => engineRequest("PUT", `${INDEX}/_settings`, { "index.blocks.read_only_allow_delete": value });
      expect((await block(true)).status).toBe(200);
      try {
        type Alert = { labels: Record<string, string>; annotations: Record<string, string>; state: string };
        let alert: Alert | undefined;
        for (const deadline = Date.now() + 30_000; alert === undefined && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 500))) {
          const response = await fetch(`http://127.0.0.1:${prometheusPort}/api/v1/alerts`);
          alert = ((await response.json()) as { data: { alerts: Alert[] } }).data.alerts.find((each) => each.labels.alertname === "SearchIndicesReadOnly");
        }
        expect(alert).toMatchObject({ state: "pending", labels: { severity: "critical" } });
        expect(alert!.annotations.summary).toMatch(/^[1-9]\d* indices of the search cluster are blocked read-only: documents sent to them are refused\.$/);
      } finally {
        await block(null);
      }
    });

    test("the node exporter's series of the server rules, named after the server", async () => {
      const root = await queryUntil('node_filesystem_avail_bytes{job="node"}');
      expect(root[0].metric).toMatchObject({ instance: "test-search-data-1", role: "search-data", job: "node" });
      expect(await queryUntil('node_vmstat_oom_kill{job="node"}')).toHaveLength(1);
      expect((await queryUntil('up{job="node"}'))[0].value[1]).toBe("1");
    });

    test("the ingestion service's own metrics: every name of the contract, per source, and the newest indexed build of each", async () => {
      // Each source's metric appears when that source's first pass has indexed its build.
      const newest = await queryUntil('ingestion_newest_indexed_build_timestamp_seconds{job="ingestion"} > 0', (samples) => samples.length >= 2);
      expect(newest.map((sample) => sample.metric.source).sort()).toEqual(["opendev", "tempest"]);
      expect(newest.every((sample) => sample.metric.instance === "test-ingestion-1")).toBe(true);
      // The build each fake Zuul served ended 10 minutes (tempest) and 70 minutes (opendev) before the run.
      const age = (source: string) => Date.now() / 1000 - Number(newest.find((sample) => sample.metric.source === source)!.value[1]);
      expect(age("tempest")).toBeGreaterThan(9 * 60);
      expect(age("opendev") - age("tempest")).toBeCloseTo(3600, -1);
      const contract = [
        "ingestion_builds_seen_total", "ingestion_builds_indexed_total", "ingestion_builds_failed_total", "ingestion_documents_sent_total",
        "ingestion_documents_failed_total", "ingestion_newest_indexed_build_timestamp_seconds", "ingestion_last_successful_pass_timestamp_seconds",
      ];
      for (const name of contract) expect(Object.keys(METRICS)).toContain(name);
      const series = await queryUntil('{job="ingestion", __name__=~"ingestion_.+"}');
      for (const name of contract) {
        expect([name, series.filter((sample) => sample.metric.__name__ === name).map((sample) => sample.metric.source).sort()]).toEqual([name, ["opendev", "tempest"]]);
      }
      expect(Number((await queryUntil('sum(ingestion_documents_sent_total{job="ingestion"}) > 0'))[0].value[1])).toBeGreaterThan(0);
    });

    test("every rule loads and is evaluated without an error", async () => {
      await queryUntil('up{job="search"} == 1');
      type Rule = { name: string; health: string; lastError?: string };
      let rules: Rule[] = [];
      // Each rule's health is "unknown" until its first evaluation.
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 500))) {
        const response = await fetch(`http://127.0.0.1:${prometheusPort}/api/v1/rules`);
        rules = ((await response.json()) as { data: { groups: { rules: Rule[] }[] } }).data.groups.flatMap((group) => group.rules);
        if (rules.length > 0 && rules.every((rule) => rule.health !== "unknown")) break;
      }
      expect(rules.length).toBeGreaterThan(30);
      expect(rules.filter((rule) => rule.health !== "ok")).toEqual([]);
      expect(rules.filter((rule) => rule.health === "err").map((rule) => `${rule.name}: ${rule.lastError}`)).toEqual([]);
    });

    test("the status page in headless Chromium: cluster health, freshness per source, indexing and classification, nothing from elsewhere", async () => {
      await queryUntil("ingestion_newest_indexed_build_timestamp_seconds");
      await queryUntil("recheck_builds_classified_total");
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      const page = await visit(`http://127.0.0.1:${prometheusPort}${STATUS_PAGE_PROMETHEUS_PATH}`, { screenshotFile: path.join(ARTIFACTS, "monitoring-status.png") });
      expect(page.pageRequests).toEqual([]);
      expect(page.dom).toMatch(/<td id="cluster-health" class="(green|yellow)">(green|yellow)<\/td>/);
      expect(page.dom).toContain('<td id="cluster-data-nodes">1</td>');
      expect(page.dom).toMatch(/<tr><td>opendev<\/td><td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
      expect(page.dom).toMatch(/<tr><td>tempest<\/td>/);
      expect(page.dom).toContain('<td id="gerrit-stream">connected</td>');
      expect(page.dom).toMatch(/<td id="indexing-rate">\d+\.\d documents\/s<\/td>/);
      expect(page.dom).not.toContain("<script");
    });

    test("the status page through the front end's nginx in headless Chromium: the same page, nothing requested from elsewhere", async () => {
      await queryUntil("recheck_builds_classified_total");
      reachedPrometheus.length = 0;
      const page = await visit(`https://127.0.0.1:${frontendPort}${STATUS_PAGE_PUBLIC_PATH}`, { screenshotFile: path.join(ARTIFACTS, "monitoring-status-frontend.png") });
      expect(page.pageRequests).toEqual([]);
      expect(page.dom).toMatch(/<td id="cluster-health" class="(green|yellow)">(green|yellow)<\/td>/);
      expect(page.dom).toContain('<td id="gerrit-stream">connected</td>');
      expect(page.dom).toMatch(/<tr><td>tempest<\/td><td>\d{4}-\d\d-\d\d /);
      // Only the page, as Prometheus renders it: nothing of the visitor's request but the method.
      expect(reachedPrometheus.map((request) => `${request.method} ${request.url}`)).toEqual([`GET ${STATUS_PAGE_PROMETHEUS_PATH}`]);
    });

    test("the front end passes the page without the visitor's query string, cookies or credentials", async () => {
      reachedPrometheus.length = 0;
      const response = await rawRequest(frontendPort, "GET", "/status/?match[]=up&query=up", {
        headers: { Cookie: "session=visitor", Authorization: "Basic dmlzaXRvcjpndWVzcw==", "X-Prometheus-Remote-Write-Version": "0.1.0" },
      });
      expect(response.status).toBe(200);
      expect(response.body).toContain("CI log search: status");
      expect(reachedPrometheus.map((request) => [request.method, request.url, request.headers.cookie, request.headers.authorization, request.headers["x-prometheus-remote-write-version"]]))
        .toEqual([["GET", STATUS_PAGE_PROMETHEUS_PATH, undefined, undefined, undefined]]);
    });

    test("the front end sends /status on to /status/", async () => {
      reachedPrometheus.length = 0;
      expect((await rawRequest(frontendPort, "GET", "/status")).status).toBe(301);
      expect(reachedPrometheus).toEqual([]);
    });

    test(`the hostile table has at least 40 requests (${STATUS_HOSTILE.length})`, () => {
      expect(STATUS_HOSTILE.length).toBeGreaterThanOrEqual(40);
    });

    test.each(STATUS_HOSTILE)("the front end refuses %s %s (%d) before Prometheus", async (method, target, status) => {
      reachedPrometheus.length = 0;
      const response = await rawRequest(frontendPort, method, target, { body: method === "GET" ? "" : "up 1\n" });
      expect(response.status).toBe(status);
      expect(reachedPrometheus).toEqual([]);
    });
  });
});
