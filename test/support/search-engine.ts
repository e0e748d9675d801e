/**
 * A real OpenSearch node for the tests: ONE single-node cluster per jest run, on 127.0.0.1 and a
 * free port, plain HTTP, no security plugin (Maven Central does not serve it). It is the server
 * jar and the modules transport-netty4, analysis-common, ingest-common and lang-painless, at the
 * release in test/engine/pom.xml (the one the project deploys), started by
 * test/engine/OpenSearchTestNode.java.
 *
 * For test authors, the whole API:
 *
 *   - name the test file `*.engine.test.ts`: only those run in jest's `engine` project, whose
 *     global setup starts the node (a run without such a file never starts a JVM);
 *   - wrap the tests in `describeWithSearchEngine(title, fn)`: without java or mvn they are
 *     skipped with one line naming the Debian packages, and fail under CI=true;
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
 * The node's build (`mvn` resolves the jars into ~/.m2 and compiles the launcher) is cached in
 * ~/.cache/ci-log-analysis-infra/opensearch-test-node/<version>-<hash of the launcher files>/;
 * the first run on a machine downloads (about 1 minute), later runs start the node in about 4 s.
 * `npm run build-test-engines` builds it ahead (CI does). The JVM stops in the global teardown,
 * and by itself when the jest process that started it dies (it watches its standard input).
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describeGated, findExecutable, ToolGate } from "./validators";

/** Where the global setup tells the test files which folder holds the running node's state. */
const STATE_DIR_VARIABLE = "CI_LOG_ANALYSIS_SEARCH_ENGINE_DIR";
const ENGINE_SOURCES = path.join(__dirname, "..", "engine");
const POM = path.join(ENGINE_SOURCES, "pom.xml");
const LAUNCHER = path.join(ENGINE_SOURCES, "OpenSearchTestNode.java");
/** Longest the node may take to answer after the global setup spawned it (about 4 s on 2 busy cores). */
const START_TIMEOUT_MS = 90_000;
const JVM_OPTIONS = ["-Xms512m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Dlog4j2.disable.jmx=true"];

// ---------------------------------------------------------------------------------------------
// For test files

/** Run, skip (one line naming the packages) or fail (CI=true) the search engine tests. */
export function searchEngineGate(env: NodeJS.ProcessEnv = process.env): ToolGate {
  const missing = ["java", "mvn"].filter((binary) => findExecutable(binary, env.PATH ?? "") === undefined);
  if (missing.length === 0) return { run: true };
  const install = "install the Debian packages openjdk-17-jdk-headless and maven";
  if (env.CI === "true") return { run: false, fail: `${missing.join(" and ")} not found, and CI=true requires the search engine tests: ${install}` };
  return { run: false, skip: `SKIPPED: ${missing.join(" and ")} not found; ${install} to run the tests against a real OpenSearch node` };
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
    const url = readIfExists(path.join(dir, "url"));
    if (url !== undefined) {
      // Yellow, not green: the node is alone, so another test's index with a replica keeps the cluster yellow.
      const health = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=30s`);
      if (health.ok) return url;
      throw new Error(`the search engine node at ${url} is not healthy: ${health.status} ${await health.text()}`);
    }
    if (Date.now() > deadline) throw new Error(`the search engine node did not start within ${START_TIMEOUT_MS / 1000} s; its log:\n${logTail(dir)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// ---------------------------------------------------------------------------------------------
// For jest's global setup and teardown (test/engine/global-setup.ts, global-teardown.ts) and
// `npm run build-test-engines`

/** The cached build for the current launcher files: its compiled classes and the jars' classpath. */
export function searchEngineBuildDir(): string {
  const hash = createHash("sha256").update(fs.readFileSync(POM)).update(fs.readFileSync(LAUNCHER)).digest("hex").slice(0, 12);
  const version = /<opensearch\.version>([^<]+)<\/opensearch\.version>/.exec(fs.readFileSync(POM, "utf8"))?.[1] ?? "unknown";
  const cache = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  return path.join(cache, "ci-log-analysis-infra", "opensearch-test-node", `${version}-${hash}`);
}

/** Builds the node with mvn unless the cache holds a complete build; returns the java classpath. */
export function buildSearchEngine(): string {
  const dir = searchEngineBuildDir();
  const cached = classpathOf(dir);
  if (cached !== undefined) return cached;
  // Build beside the final folder and rename: two runs building at once never see half a build.
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const partial = fs.mkdtempSync(`${dir}.partial-`);
  try {
    const mvn = spawnSync("mvn", ["-q", "-B", "-f", POM, `-Dengine.buildDir=${partial}`, "compile", "dependency:build-classpath"], {
      encoding: "utf8",
      timeout: 15 * 60_000,
    });
    if (mvn.status !== 0) {
      throw new Error(`building the search engine node with mvn failed (exit ${mvn.status ?? mvn.signal}):\n${`${mvn.stdout}\n${mvn.stderr}`.trim().split("\n").slice(-30).join("\n")}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(partial, dir);
  } finally {
    fs.rmSync(partial, { recursive: true, force: true });
  }
  const built = classpathOf(dir);
  if (built === undefined) throw new Error(`mvn finished but ${dir} lacks classes/OpenSearchTestNode.class or a complete classpath.txt`);
  return built;
}

function classpathOf(dir: string): string | undefined {
  const jars = readIfExists(path.join(dir, "classpath.txt"));
  if (jars === undefined || !fs.existsSync(path.join(dir, "classes", "OpenSearchTestNode.class"))) return undefined;
  // A cleaned ~/.m2 leaves a classpath of missing jars: build again then.
  if (!jars.split(path.delimiter).every((jar) => fs.existsSync(jar))) return undefined;
  return [path.join(dir, "classes"), jars].join(path.delimiter);
}

interface RunningNode {
  readonly dir: string;
  readonly process?: ChildProcess;
}

const RUNNING = Symbol.for("ci-log-analysis.search-engine");
type GlobalWithNode = typeof globalThis & { [RUNNING]?: RunningNode };

/**
 * Spawns the node and returns at once; test files wait in searchEngineUrl(). Without java or mvn
 * it does nothing (the gate skips or fails the tests). A failed build is written where the test
 * files read it, so that they fail with mvn's message rather than the whole run.
 */
export function startSearchEngine(): void {
  if (!searchEngineGate().run) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "search-engine-"));
  process.env[STATE_DIR_VARIABLE] = dir;
  let classpath: string;
  try {
    classpath = buildSearchEngine();
  } catch (error) {
    fs.writeFileSync(path.join(dir, "failed"), (error as Error).message);
    (globalThis as GlobalWithNode)[RUNNING] = { dir };
    return;
  }
  const log = fs.openSync(path.join(dir, "node.log"), "w");
  const child = spawn("java", [...JVM_OPTIONS, `-Djava.io.tmpdir=${dir}`, "-cp", classpath, "OpenSearchTestNode", dir], {
    stdio: ["pipe", log, log],
  });
  fs.closeSync(log);
  child.on("exit", (code, signal) => {
    if ((globalThis as GlobalWithNode)[RUNNING]?.process !== child) return; // stopped by stopSearchEngine
    fs.writeFileSync(path.join(dir, "failed"), `the search engine node exited (${code ?? signal}); its log:\n${logTail(dir)}`);
  });
  // Neither the process nor its input pipe keeps jest alive; the JVM stops at the pipe's end, so
  // it never outlives jest.
  child.unref();
  (child.stdin as unknown as { unref(): void }).unref();
  (globalThis as GlobalWithNode)[RUNNING] = { dir, process: child };
}

/** Stops the node (closing its input, then SIGTERM, then SIGKILL) and removes its data. */
export async function stopSearchEngine(): Promise<void> {
  const running = (globalThis as GlobalWithNode)[RUNNING];
  if (running === undefined) return;
  delete (globalThis as GlobalWithNode)[RUNNING];
  const child = running.process;
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.stdin?.end();
    const term = setTimeout(() => child.kill("SIGTERM"), 5_000);
    const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(term);
    clearTimeout(kill);
  }
  fs.rmSync(running.dir, { recursive: true, force: true });
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function logTail(dir: string): string {
  return (readIfExists(path.join(dir, "node.log")) ?? "(no log)").trim().split("\n").slice(-40).join("\n");
}
