/**
 * The ingestion service end to end, as a worker runs it: the bundle under the oldest Node.js the
 * service supports (when at hand), a fake Zuul serving real-shaped builds and their logs over
 * loopback, and the tests' real OpenSearch node behind HTTPS with basic auth that fails on demand
 * (test/support/faulty-cluster.ts), with the rendered ingest pipeline and the contract's mapping
 * in an index template of this file's own.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { LOG_FIELDS } from "../lib/field-contract";
import { ingestPipelineBody, PIPELINE_STAGES } from "../lib/ingestion/ingest-pipeline";
import { INGESTION_CREDENTIAL, renderIngestionConfig, type IngestionServiceConfig } from "../lib/ingestion/service-config";
import { logMapping } from "../lib/search/engine";
import { serviceBundle } from "../lib/service-bundle";
import { indexOf } from "../services/ingestion/documents";
import { METRICS } from "../services/ingestion/metrics";
import { generateLogs, inventoryYaml, type GeneratedFile } from "./fixtures/ci-logs";
import { startFaultyCluster, type FaultyCluster } from "./support/faulty-cluster";
import { FakeZuul, type FakeBuild } from "./support/fake-zuul";
import { oldestNodePath } from "./support/oldest-node";
import { describeWithSearchEngine, engineRequest, searchEngineUrl, uniqueIndexName } from "./support/search-engine";
import { until } from "./support/until";

/** The oldest Node.js the service supports when at hand (test/ingestion-workers.test.ts requires it under CI). */
const node = fs.existsSync(oldestNodePath()) ? oldestNodePath() : process.execPath;
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const RETENTION_DAYS = 3;
const MISSING_FILE = { name: "controller/logs/screen-c-vol.txt", tags: ["screen", "oslofmt"] };

interface TestBuild {
  readonly build: FakeBuild;
  readonly files: readonly GeneratedFile[];
}

function testBuild(seed: number, uuid: string, startMs: number, result = "FAILURE"): TestBuild {
  const files = generateLogs(seed, startMs, { linesPerFile: 120, invalidUtf8: seed === 1 });
  const logs = new Map<string, Buffer | string>(files.map((file) => [file.name, file.content]));
  logs.set("zuul-info/inventory.yaml", inventoryYaml("ze03.opendev.org", [{ name: "controller", cloud: "rax", region: "DFW", provider: "rax-dfw", hostId: `host-${seed}` }]));
  return { build: { uuid, job: "tempest-full-py3", startMs, endMs: startMs + HOUR / 2, result, change: 900000 + seed, logs }, files };
}

const now = Date.now();
const todayMidnight = Math.floor(now / DAY) * DAY;
const BUILDS = {
  recent: testBuild(1, "a1".repeat(16), now - 2 * HOUR),
  /** Its lines cross yesterday's midnight (UTC): two daily indices. */
  midnight: testBuild(2, "b2".repeat(16), todayMidnight - DAY - 2 * 60_000, "SUCCESS"),
  /** Older than the retention: nothing of it is sent. */
  old: testBuild(3, "c3".repeat(16), now - 4 * DAY),
  cut: testBuild(4, "d4".repeat(16), now - 3 * HOUR, "TIMED_OUT"),
};
const ALL = Object.values(BUILDS);
/** The documents each build must have: every message but DEBUG ones, of the days the retention keeps. */
const expectedIds = (builds: readonly TestBuild[]) =>
  builds.flatMap(({ build, files }) => files.flatMap((file) =>
    file.messages.filter((message) => !message.debug && Math.floor(message.timeMs / DAY) * DAY > Date.now() - RETENTION_DAYS * DAY).map((message) => `${build.uuid}:${file.name}:${message.line}`)));

interface RunningService {
  readonly process: ChildProcess;
  readonly logs: Record<string, unknown>[];
  metricsPort(): Promise<number>;
}

describeWithSearchEngine("the ingestion service", () => {
  let dir: string;
  let zuul: FakeZuul;
  let cluster: FaultyCluster;
  let prefix: string;
  let service: RunningService | undefined;
  const password = `pw-${Math.random().toString(36).slice(2)}`;

  function settings(overrides: Partial<IngestionServiceConfig["search"]> = {}): string {
    const config: IngestionServiceConfig = {
      sources: [{ name: "openstack", zuulApiUrl: zuul.apiUrl, tenant: "openstack", shard: 0, shards: 1 }],
      downloadList: [...ALL[0].files.map((file) => ({ name: file.name, tags: [...file.tags] })), MISSING_FILE],
      zuul: { caFile: cluster.caFile, pageSize: 50, pollSeconds: 1, backfillHours: 5 * 24 },
      search: { urls: ["https://127.0.0.1:9", cluster.url], username: "logwriter", caFile: cluster.caFile, indexPrefix: `${prefix}-`, retentionDays: RETENTION_DAYS, ...overrides },
      lines: { debugMessages: "drop", maxFileBytes: 64 * 1024 * 1024 },
      parallelBuilds: 2,
      metrics: { port: 0, address: "127.0.0.1" },
    };
    const file = path.join(dir, `ingestion-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, renderIngestionConfig(config));
    return file;
  }

  function start(state: string, settingsFile = settings(), credentials = path.join(dir, "credentials")): RunningService {
    fs.mkdirSync(path.join(dir, state), { recursive: true });
    const child = spawn(node, [path.join(dir, "ingestion.js"), settingsFile], {
      env: { PATH: process.env.PATH, STATE_DIRECTORY: path.join(dir, state), CREDENTIALS_DIRECTORY: credentials },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const logs: Record<string, unknown>[] = [];
    readline.createInterface({ input: child.stdout! }).on("line", (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
    service = {
      process: child,
      logs,
      metricsPort: () => until("the service to start", () => logs.find((entry) => entry.msg === "ingestion service started")?.metricsPort as number | undefined, { context: () => JSON.stringify(logs.slice(-5)) }),
    };
    return service;
  }

  async function stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const running = service;
    service = undefined;
    if (!running || running.process.exitCode !== null || running.process.signalCode !== null) return;
    const exited = new Promise((resolve) => running.process.once("exit", resolve));
    running.process.kill(signal);
    await exited;
  }

  async function metrics(running: RunningService): Promise<Record<string, number>> {
    const text = await (await fetch(`http://127.0.0.1:${await running.metricsPort()}/metrics`)).text();
    return Object.fromEntries([...text.matchAll(/^(ingestion_[a-z_]+)\{source="openstack"\} (\S+)$/gm)].map((match) => [match[1], Number(match[2])]));
  }

  /** Waits until `builds` builds are done (indexed or given up) and nothing is pending. */
  async function settled(running: RunningService, builds: number): Promise<Record<string, number>> {
    let last: Record<string, number> = {};
    const deadline = Date.now() + 60_000;
    for (;;) {
      last = await metrics(running);
      if (last.ingestion_builds_indexed_total + last.ingestion_builds_failed_total >= builds && last.ingestion_builds_pending === 0 && last.ingestion_passes_total > 0) return last;
      if (Date.now() > deadline) throw new Error(`the service did not settle: ${JSON.stringify(last)}; its last log lines: ${JSON.stringify(running.logs.slice(-8))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function storedIds(): Promise<string[]> {
    expect((await engineRequest("POST", `${prefix}-*/_refresh`)).status).toBe(200);
    const { body } = await engineRequest("POST", `${prefix}-*/_search`, { size: 10000, _source: false, sort: ["_doc"] });
    return body.hits.hits.map((hit: { _id: string }) => hit._id);
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ingestion-e2e-"));
    prefix = uniqueIndexName("ingest-e2e");
    expect((await engineRequest("PUT", `_ingest/pipeline/${prefix}-pipeline`, ingestPipelineBody())).status).toBe(200);
    const template = { index_patterns: [`${prefix}-*`], priority: 900, template: { settings: { number_of_shards: 1, number_of_replicas: 0, "index.default_pipeline": `${prefix}-pipeline` }, mappings: logMapping() } };
    expect((await engineRequest("PUT", `_index_template/${prefix}`, template)).status).toBe(200);
    zuul = await FakeZuul.start(ALL.map((each) => each.build));
    cluster = await startFaultyCluster(dir, await searchEngineUrl(), { username: "logwriter", password });
    fs.writeFileSync(path.join(dir, "ingestion.js"), serviceBundle("ingestion"));
    fs.mkdirSync(path.join(dir, "credentials"));
    // The password file as the user data writes it: one line.
    fs.writeFileSync(path.join(dir, "credentials", INGESTION_CREDENTIAL), `${password}\n`, { mode: 0o600 });
  });

  afterAll(async () => {
    await stop("SIGKILL");
    await zuul?.close();
    await cluster?.close();
    await engineRequest("DELETE", `${prefix}-*`);
    await engineRequest("DELETE", `_index_template/${prefix}`);
    await engineRequest("DELETE", `_ingest/pipeline/${prefix}-pipeline`);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("first start, through a cluster that refuses requests and items and a log server that cuts a file", () => {
    let first: Record<string, number>;
    beforeAll(async () => {
      cluster.failNext(1);
      cluster.refuseItems(3, 4);
      zuul.cuts.set(`/logs/${BUILDS.cut.build.uuid}/controller/logs/tempest_log.txt`, 1);
      zuul.faults.set(`/logs/${BUILDS.cut.build.uuid}/zuul-info/inventory.yaml`, [502]);
      first = await settled(start("state"), ALL.length);
    });

    test("indexes every message of every build exactly once: the ids of the build, file and line, nothing else", async () => {
      const ids = await storedIds();
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.sort()).toEqual(expectedIds(ALL).sort());
      expect(first).toMatchObject({ ingestion_builds_seen_total: 4, ingestion_builds_indexed_total: 4, ingestion_builds_failed_total: 0, ingestion_documents_failed_total: 0, ingestion_documents_sent_total: ids.length });
    });

    test("tried again what the cluster refused and the file that was cut, and counted it", () => {
      expect(cluster.counts).toMatchObject({ failed: 4, refusedItems: expect.any(Number) });
      expect(cluster.counts.refusedItems).toBeGreaterThan(0);
      expect(first.ingestion_bulk_retries_total).toBeGreaterThanOrEqual(4);
      expect(first.ingestion_file_retries_total).toBe(1);
      expect(first.ingestion_files_missing_total).toBe(4);
    });

    test("gives each document the field contract: the build's fields, the node facts, and the pipeline's", async () => {
      const line = BUILDS.recent.files[1].messages.find((message) => !message.debug)!.line;
      const { body } = await engineRequest("POST", `${prefix}-*/_search`, { size: 1, query: { ids: { values: [`${BUILDS.recent.build.uuid}:controller/logs/screen-n-cpu.txt:${line}`] } } });
      const document = body.hits.hits[0]._source;
      expect(document).toMatchObject({
        build_uuid: BUILDS.recent.build.uuid, build_short_uuid: BUILDS.recent.build.uuid.slice(0, 7), build_name: "tempest-full-py3", build_status: "FAILURE",
        build_queue: "check", build_change: "900001", build_patchset: "3", build_branch: "master", project: "openstack/nova", voting: 1, tenant: "openstack",
        build_node: "ubuntu-noble", hosts_id: ["host-1"], hosts_region: ["rax-DFW"], node_provider: ["rax-dfw"], zuul_executor: "ze03.opendev.org",
        filename: "screen-n-cpu.txt", tags: ["screen", "oslofmt", "devstack", "nova", "screen-n-cpu.txt"], line_number: line,
        log_url: `${zuul.logUrl(BUILDS.recent.build.uuid)}controller/logs/screen-n-cpu.txt`, change_url: "https://review.opendev.org/900001",
        syslog_program: "devstack@n-cpu.service", syslog_pid: 12345,
      });
      for (const field of Object.keys(document)) expect(Object.keys(LOG_FIELDS)).toContain(field);
    });

    test("sets on its documents the very fields the real node's pipeline sets, so the pipeline is skipped", async () => {
      const { body } = await engineRequest("POST", `${prefix}-*/_search`, { size: 2000, query: { match_all: {} } });
      const stored = body.hits.hits.map((hit: { _source: Record<string, unknown> }) => hit._source) as Record<string, unknown>[];
      const simulated = await engineRequest("POST", `_ingest/pipeline/${prefix}-pipeline/_simulate`, { docs: stored.map((doc) => ({ _source: { message: doc.message } })) });
      const pipelineFields = PIPELINE_STAGES.flatMap((stage) => stage.fields);
      const pipelineFieldsOf = (doc: Record<string, unknown>) => Object.fromEntries(pipelineFields.filter((name) => doc[name] !== undefined).map((name) => [name, doc[name]]));
      expect(stored.map(pipelineFieldsOf)).toEqual(simulated.body.docs.map((result: { doc: { _source: Record<string, unknown> } }) => pipelineFieldsOf(result.doc._source)));
      expect(stored.filter((doc) => doc.loglevel !== undefined).length).toBeGreaterThan(100);
      expect(stored.filter((doc) => doc.error_fingerprint !== undefined).length).toBeGreaterThan(10);
    });

    test("indexes a file with bytes that are not UTF-8 whole, with replacement characters", async () => {
      const { body } = await engineRequest("POST", `${prefix}-*/_search`, { size: 100, query: { bool: { filter: [{ term: { build_uuid: BUILDS.recent.build.uuid } }, { term: { filename: "screen-n-cpu.txt" } }] } } });
      const texts = body.hits.hits.map((hit: { _source: { message: string } }) => hit._source.message);
      expect(texts.filter((text: string) => text.includes("caf\ufffd \ufffd\ufffd"))).toHaveLength(2);
      expect(body.hits.total.value).toBe(BUILDS.recent.files[1].messages.filter((message) => !message.debug).length);
    });

    test("drops DEBUG messages whole: no DEBUG document, no continuation line of one", async () => {
      const { body } = await engineRequest("POST", `${prefix}-*/_count`, { query: { bool: { should: [{ term: { loglevel: "DEBUG" } }, { match_phrase: { message: "Response - Headers" } }] } } });
      expect(body.count).toBe(0);
    });

    test("cuts the timestamp of console lines only; uwsgi and Open vSwitch lines keep their '|'", async () => {
      const search = async (filename: string) => (await engineRequest("POST", `${prefix}-*/_search`, { size: 500, query: { term: { filename } } })).body.hits.hits.map((hit: { _source: { message: string } }) => hit._source.message) as string[];
      expect((await search("job-output.txt")).every((text) => text.startsWith("controller | "))).toBe(true);
      expect((await search("screen-n-api.txt")).some((text) => /^\w{3} [ \d]\d [\d:.]+ np0037543210 devstack@n-api\.service\[4321\]: \[pid: 4321\|app: 0\|req: /.test(text))).toBe(true);
      expect((await search("syslog.txt")).some((text) => /ovs-vsctl: ovs\|\d{5}\|vsctl\|INFO\|Called as/.test(text))).toBe(true);
    });

    test("puts each document in the index of its line's day (UTC), across midnight", async () => {
      const { body } = await engineRequest("POST", `${prefix}-*/_search`, { size: 10000, _source: ["@timestamp"], query: { term: { build_uuid: BUILDS.midnight.build.uuid } } });
      const indices = new Set<string>();
      for (const hit of body.hits.hits as { _index: string; _source: { "@timestamp": string } }[]) {
        expect(hit._index).toBe(indexOf(`${prefix}-`, Date.parse(hit._source["@timestamp"])));
        indices.add(hit._index);
      }
      expect([...indices].sort()).toEqual([indexOf(`${prefix}-`, todayMidnight - DAY - 1), indexOf(`${prefix}-`, todayMidnight - DAY)]);
    });

    test("sends nothing of a day older than the retention, and counts it", async () => {
      const { body } = await engineRequest("POST", `${prefix}-*/_count`, { query: { term: { build_uuid: BUILDS.old.build.uuid } } });
      expect(body.count).toBe(0);
      expect(first.ingestion_documents_expired_total).toBe(BUILDS.old.files.flatMap((file) => file.messages).filter((message) => !message.debug).length);
      expect((await engineRequest("GET", `_cat/indices/${prefix}-*?format=json`)).body.map((index: { index: string }) => index.index)).not.toContain(indexOf(`${prefix}-`, BUILDS.old.build.startMs));
    });

    test("serves every metric of the monitoring contract, and the newest build's end and the last pass's time", () => {
      for (const name of Object.keys(METRICS)) expect(first).toHaveProperty(name);
      expect(first.ingestion_newest_indexed_build_timestamp_seconds).toBe(Math.floor(BUILDS.recent.build.endMs / 1000));
      expect(first.ingestion_last_successful_pass_timestamp_seconds).toBeGreaterThan(now / 1000 - 120);
    });

    test("answers its health check", async () => {
      const answer = await fetch(`http://127.0.0.1:${await service!.metricsPort()}/health`);
      expect([answer.status, ((await answer.json()) as { status: string }).status]).toEqual([200, "ok"]);
    });
  });

  describe("later starts", () => {
    afterEach(() => stop());

    test("a restart with its checkpoint takes no build again", async () => {
      await stop();
      const running = start("state");
      const settledMetrics = await settled(running, 0);
      expect(settledMetrics).toMatchObject({ ingestion_builds_seen_total: 0, ingestion_documents_sent_total: 0 });
    });

    test("a replaced worker (no checkpoint) reads every build again and adds no document", async () => {
      const before = await storedIds();
      const again = await settled(start("fresh-state"), ALL.length);
      expect(again.ingestion_documents_existing_total).toBe(before.length);
      expect(again.ingestion_documents_sent_total).toBe(before.length);
      expect((await storedIds()).length).toBe(before.length);
    });

    test("a wrong password fails the build's try with the cluster's answer, keeps the build for later, and stores nothing", async () => {
      fs.mkdirSync(path.join(dir, "wrong"));
      fs.writeFileSync(path.join(dir, "wrong", INGESTION_CREDENTIAL), "not-the-password\n");
      const running = start("wrong-state", settings(), path.join(dir, "wrong"));
      const failure = await until("a failed try", () => running.logs.find((entry) => entry.msg === "a try of a build failed; it is tried again later"), { context: () => JSON.stringify(running.logs.slice(-5)) });
      expect(String(failure.error)).toMatch(/HTTP 401/);
      expect((await metrics(running)).ingestion_builds_failed_total).toBe(0);
    });

    test("a settings file it cannot use ends it at once with the file and the setting", async () => {
      const bad = path.join(dir, "bad.json");
      fs.writeFileSync(bad, JSON.stringify({ ...JSON.parse(fs.readFileSync(settings(), "utf8")), lines: { debugMessages: "some", maxFileBytes: 1 } }));
      const running = start("bad-state", bad);
      const code = await new Promise((resolve) => running.process.once("exit", resolve));
      expect(code).toBe(2);
    });
  });
});
