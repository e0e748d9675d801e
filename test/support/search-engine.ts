/**
 * A real OpenSearch node for the tests: ONE single-node cluster per jest run, on 127.0.0.1 and a
 * free port, plain HTTP, no security plugin, at the release the project deploys
 * (<opensearch.version> in test/engine/pom.xml, DEFAULT_ENGINE_VERSIONS.opensearch: a test
 * checks they agree). It is the server started by its own bootstrap from a home folder laid out
 * like the package's, with the modules transport-netty4, analysis-common, ingest-common and
 * lang-painless (test/support/opensearch.ts says how, and what differs from a packaged node).
 * The five-node cluster with the security plugin is in test/support/search-cluster.ts (its
 * nodes: test/support/secured-node.ts).
 *
 * For test authors, the whole API:
 *
 *   - name the test file `*.engine.test.ts`: only those run in jest's `engine` project, whose
 *     global setup starts the node (a run without such a file never starts a JVM);
 *   - wrap the tests in `describeWithSearchEngine(title, fn)`: without a JDK 21+ or mvn they are
 *     skipped with one line naming what to install, and fail under CI=true;
 *   - `await searchEngineUrl()` gives "http://127.0.0.1:PORT" once the node answers (the global
 *     setup does not wait for it, so the rest of the suite runs while it starts);
 *   - `await engineRequest(method, path, body?)` sends JSON (or an NDJSON string for _bulk) and
 *     returns `{ status, body }` with the parsed JSON answer;
 *   - `uniqueIndexName(prefix)` gives an index name no other test file or jest run uses: the
 *     node is shared by every engine test file of the run, so create your own indices (and
 *     pipelines, templates, ...) under such names and delete them when done. An index template
 *     whose pattern is `logstash-*` would apply to other tests' indices: give yours a unique
 *     pattern (test/index-management.engine.test.ts shows how the rendered one is tested).
 *
 * The home folder (mvn resolves the jars into ~/.m2) is cached in
 * ~/.cache/ci-log-analysis-infra/opensearch-home/; the first run on a machine downloads (about
 * 1 minute), later runs start the node in about 10 s. `npm run build-test-engines` builds it
 * ahead (CI does). The JVM stops in the global teardown, and by itself when the jest process
 * that started it dies.
 */
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { launchOpenSearch, logTail, openSearchGate, openSearchHome, pomProperty, publishedPort, readIfExists, stopOpenSearch } from "./opensearch";
import { describeGated, type ToolGate } from "./validators";

/** Where the global setup tells the test files which folder holds the running node's state. */
const STATE_DIR_VARIABLE = "CI_LOG_ANALYSIS_SEARCH_ENGINE_DIR";
/** Longest the node may take to answer after the global setup spawned it (about 10 s on 2 busy cores). */
const START_TIMEOUT_MS = 120_000;
const HEAP_MIB = 512;

// ---------------------------------------------------------------------------------------------
// For test files

/** Run, skip (one line naming what to install) or fail (CI=true) the search engine tests. */
export function searchEngineGate(env: NodeJS.ProcessEnv = process.env): ToolGate {
  return openSearchGate(env);
}

/** A describe block whose tests need the node; see searchEngineGate. */
export function describeWithSearchEngine(title: string, fn: () => void): void {
  describeGated(searchEngineGate(), title, fn);
}

let readyUrl: Promise<string> | undefined;

/** "http://127.0.0.1:PORT" of the run's node, once it answers; fails with the node's log when it could not start. */
export function searchEngineUrl(): Promise<string> {
  readyUrl ??= awaitNode();
  return readyUrl;
}

export interface EngineResponse {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

/** One HTTP request to the node: an object body is sent as JSON, a string as NDJSON (for _bulk, _msearch). */
export async function engineRequest(method: string, requestPath: string, body?: unknown): Promise<EngineResponse> {
  const url = await searchEngineUrl();
  const headers: Record<string, string> = {};
  let payload: string | undefined;
  if (typeof body === "string") {
    headers["content-type"] = "application/x-ndjson";
    payload = body;
  } else if (body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${url}${requestPath.startsWith("/") ? "" : "/"}${requestPath}`, { method, headers, body: payload });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    // not JSON (e.g. _cat without format=json): the text itself
  }
  return { status: response.status, body: parsed };
}

let indexCounter = 0;

/** An index (or pipeline, template) name unique to this test file and jest run: `<prefix>-<pid>-<n>`, lower case. */
export function uniqueIndexName(prefix: string): string {
  indexCounter += 1;
  return `${prefix}-${process.pid}-${indexCounter}`.toLowerCase().replace(/[^a-z0-9_-]/g, "-");
}

async function awaitNode(): Promise<string> {
  const dir = process.env[STATE_DIR_VARIABLE];
  if (dir === undefined) {
    throw new Error(`no search engine node in this run: name the test file *.engine.test.ts, so that jest's engine project starts one (${STATE_DIR_VARIABLE} is unset)`);
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const failure = readIfExists(path.join(dir, "failed"));
    if (failure !== undefined) throw new Error(failure);
    const address = publishedPort(path.join(dir, "logs"), "http");
    if (address !== undefined) {
      const url = `http://${address}`;
      // Yellow, not green: the node is alone, so another test's index with a replica keeps the cluster yellow.
      const health = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=30s`);
      if (health.ok) return url;
      throw new Error(`the search engine node at ${url} is not healthy: ${health.status} ${await health.text()}`);
    }
    if (Date.now() > deadline) throw new Error(`the search engine node did not start within ${START_TIMEOUT_MS / 1000} s; its log:\n${logTail(path.join(dir, "node.log"))}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ---------------------------------------------------------------------------------------------
// For jest's global setup and teardown (test/engine/global-setup.ts, global-teardown.ts) and
// `npm run build-test-engines`

/** The plain node's home folder (built with mvn unless cached); returns its path. */
export function buildSearchEngine(): string {
  return openSearchHome({ version: pomProperty("opensearch.version") });
}

/** The plain node's settings: alone, on loopback, ports chosen by the system and written to logs/. */
function plainNodeSettings(dir: string): string {
  const settings: Record<string, unknown> = {
    "cluster.name": "ci-log-analysis-test",
    "node.name": "test-node",
    "path.data": path.join(dir, "data"),
    "path.logs": path.join(dir, "logs"),
    // Snapshot repositories of type fs live under it (the monitoring's snapshot rules, test/monitoring-live.engine.test.ts).
    "path.repo": path.join(dir, "snapshots"),
    "network.host": "127.0.0.1",
    "http.port": 0,
    "transport.port": 0,
    "discovery.type": "single-node",
    "node.portsfile": true,
    // The machine's disk is shared: a full disk must not turn the test indices read-only.
    "cluster.routing.allocation.disk.threshold_enabled": false,
    // The heap is small on purpose; the real-memory breaker would trip on the JVM's own garbage.
    "indices.breaker.total.use_real_memory": false,
  };
  return Object.entries(settings).map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join("\n") + "\n";
}

interface RunningNode {
  readonly dir: string;
  readonly process?: ChildProcess;
}

const RUNNING = Symbol.for("ci-log-analysis.search-engine");
type GlobalWithNode = typeof globalThis & { [RUNNING]?: RunningNode };

/**
 * Spawns the node and returns at once; test files wait in searchEngineUrl(). Without a JDK or mvn
 * it does nothing (the gate skips or fails the tests). A failed build is written where the test
 * files read it, so that they fail with mvn's message rather than the whole run.
 */
export function startSearchEngine(): void {
  if (!searchEngineGate().run) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "search-engine-"));
  process.env[STATE_DIR_VARIABLE] = dir;
  let home: string;
  try {
    home = buildSearchEngine();
  } catch (error) {
    fs.writeFileSync(path.join(dir, "failed"), (error as Error).message);
    (globalThis as GlobalWithNode)[RUNNING] = { dir };
    return;
  }
  const configDir = path.join(dir, "config");
  fs.mkdirSync(configDir);
  fs.writeFileSync(path.join(configDir, "opensearch.yml"), plainNodeSettings(dir));
  const child = launchOpenSearch({ home, configDir, logFile: path.join(dir, "node.log"), heapMiB: HEAP_MIB, tmpDir: dir });
  child.on("exit", (code, signal) => {
    if ((globalThis as GlobalWithNode)[RUNNING]?.process !== child) return; // stopped by stopSearchEngine
    fs.writeFileSync(path.join(dir, "failed"), `the search engine node exited (${code ?? signal}); its log:\n${logTail(path.join(dir, "node.log"))}`);
  });
  // The process does not keep jest alive; it stops by itself when jest dies (pdeathsig).
  child.unref();
  (globalThis as GlobalWithNode)[RUNNING] = { dir, process: child };
}

/** Stops the node (SIGTERM, then SIGKILL) and removes its data. */
export async function stopSearchEngine(): Promise<void> {
  const running = (globalThis as GlobalWithNode)[RUNNING];
  if (running === undefined) return;
  delete (globalThis as GlobalWithNode)[RUNNING];
  // A node started later in the same process (npm run bench starts one per part) has its own port.
  readyUrl = undefined;
  if (running.process !== undefined) await stopOpenSearch(running.process);
  fs.rmSync(running.dir, { recursive: true, force: true });
}
