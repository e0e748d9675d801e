/**
 * A search cluster of real OpenSearch nodes with the security plugin, on 127.0.0.1, each node
 * started from its server's RENDERED files as test/support/secured-node.ts lays one out (its
 * opensearch.yml with addresses, ports and paths rewritten, its security files, a certificate
 * from a CA made at test time). The nodes start in parallel; `start` fails, with the log of the
 * node that stopped or of every node, when the cluster is not green in `startTimeoutMs`.
 *
 * Used by test/search-cluster.engine.test.ts and `npm run bench` (the cluster's start time).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { freePort } from "./nginx-live";
import { findJavaHome, logTail } from "./opensearch";
import { runProcess, type ScriptRun } from "./scripts";
import {
  fileOf,
  GeneratedPasswords,
  httpsRequest,
  launchLaidOutNode,
  layOutRenderedNode,
  parseNodeSettings,
  renderedNode,
  securedHome,
  SETUP_DIR,
  STAGED_CONFIG,
  stopNode,
  TestCa,
  type Credentials,
  type LaidOutNode,
  type NodeStart,
  type RenderedNode,
  type SecuredResponse,
  type StartedNode,
} from "./secured-node";
import { synthConfig } from "./synth";

/**
 * The cluster the tests and the bench run: the production example's three cluster-manager nodes
 * and two of its six data nodes, with small heaps (five JVMs beside the rest of the suite).
 */
export const PRODUCTION_TEST_CLUSTER: {
  readonly stack: string;
  readonly managers: readonly string[];
  readonly data: readonly string[];
  readonly heapMiB: (roles: readonly string[]) => number;
  readonly droppedSettings: readonly string[];
} = {
  stack: "production",
  managers: ["production-search-master-1", "production-search-master-2", "production-search-master-3"],
  data: ["production-search-data-1", "production-search-data-2"],
  heapMiB: (roles: readonly string[]) => (roles.includes("data") ? 384 : 256),
  /**
   * The rendered settings no node here can take: the S3 client's (the production example takes
   * snapshots), which only the repository-s3 plugin defines, and a node refuses settings it does
   * not know. Maven Central has no repository-s3 for the 3.4.0 server the security plugin is built for.
   */
  droppedSettings: ["s3.client.default.endpoint", "s3.client.default.protocol", "s3.client.default.path_style_access", "s3.client.default.region"],
};

/** PRODUCTION_TEST_CLUSTER's start options, in `dir`. */
export function productionTestCluster(dir: string, startTimeoutMs?: number): ClusterOptions {
  const { stack, managers, data, heapMiB, droppedSettings } = PRODUCTION_TEST_CLUSTER;
  return { stack, nodeNames: [...managers, ...data], dir, heapMiB, droppedSettings, startTimeoutMs };
}

export interface ClusterOptions {
  /** The example stack whose servers the nodes are. */
  readonly stack: string;
  /** The servers to start, by name; the cluster-manager-eligible ones are those whose rendered node.roles say so. */
  readonly nodeNames: readonly string[];
  readonly dir: string;
  readonly heapMiB: (roles: readonly string[]) => number;
  /** Rendered settings the nodes cannot take here; see LoopbackPlacement.dropped. */
  readonly droppedSettings?: readonly string[];
  /** @default 300 s */
  readonly startTimeoutMs?: number;
}

export class LoopbackCluster {
  readonly passwords = new GeneratedPasswords();
  readonly ca: TestCa;
  readonly home: string;
  /** Every node's rendered files, by server name. */
  readonly rendered = new Map<string, RenderedNode>();
  /** The certificate of the rendered admin DN (plugins.security.authcz.admin_dn), for securityadmin. */
  readonly admin: { cert: string; key: string };
  /** How long the nodes took from their spawn to a green cluster, in ms. */
  startMs = 0;
  private readonly starts = new Map<string, NodeStart>();
  private readonly running = new Map<string, StartedNode>();

  private constructor(options: ClusterOptions) {
    const stack = synthConfig()[options.stack] as { resource: { openstack_compute_instance_v2: Record<string, { name: string; user_data: string }> } };
    const servers = Object.values(stack.resource.openstack_compute_instance_v2);
    for (const name of options.nodeNames) {
      const server = servers.find((candidate) => candidate.name === name);
      if (server === undefined) throw new Error(`the ${options.stack} stack has no server ${name}`);
      this.rendered.set(name, renderedNode(name, server.user_data, this.passwords));
    }
    this.home = securedHome();
    this.ca = new TestCa(path.join(options.dir, "ca"));
    const adminDn = (this.settingsOf(options.nodeNames[0]).get("plugins.security.authcz.admin_dn") as string[])[0];
    this.admin = this.ca.issue("security-admin", adminDn.replace(/^CN=/, ""));
  }

  /** Lays out and starts every node at once, then waits for a green cluster of all of them. */
  static async start(options: ClusterOptions): Promise<LoopbackCluster> {
    const cluster = new LoopbackCluster(options);
    const ports = new Map<string, { http: number; transport: number }>();
    for (const name of options.nodeNames) ports.set(name, { http: await freePort(), transport: await freePort() });
    const managers = options.nodeNames.filter((name) => cluster.rolesOf(name).includes("cluster_manager"));
    const seedHosts = managers.map((name) => `127.0.0.1:${ports.get(name)!.transport}`);
    const started = Date.now();
    for (const name of options.nodeNames) {
      const start: NodeStart = {
        node: cluster.rendered.get(name)!,
        home: cluster.home,
        dir: path.join(options.dir, name),
        ca: cluster.ca,
        httpPort: ports.get(name)!.http,
        transportPort: ports.get(name)!.transport,
        seedHosts,
        heapMiB: options.heapMiB(cluster.rolesOf(name)),
        droppedSettings: options.droppedSettings,
      };
      cluster.starts.set(name, start);
      cluster.running.set(name, launchLaidOutNode(layOutRenderedNode(start)));
    }
    try {
      await cluster.awaitHealth(options.nodeNames.length, options.startTimeoutMs ?? 300_000);
    } catch (error) {
      await cluster.stopAll();
      throw error;
    }
    cluster.startMs = Date.now() - started;
    return cluster;
  }

  /** The rendered opensearch.yml of a server, as parsed settings. */
  settingsOf(name: string): Map<string, unknown> {
    return parseNodeSettings(fileOf(this.rendered.get(name)!, `${STAGED_CONFIG}/opensearch.yml`));
  }

  rolesOf(name: string): readonly string[] {
    return this.settingsOf(name).get("node.roles") as string[];
  }

  node(name: string): StartedNode {
    const node = this.running.get(name);
    if (node === undefined) throw new Error(`${name} is not running`);
    return node;
  }

  get names(): readonly string[] {
    return [...this.running.keys()];
  }

  /** A user's credentials by the name of its generated password's resource (e.g. "_reader-password"). */
  user(name: string, passwordFragment: string): Credentials {
    return { username: name, password: this.passwords.of(passwordFragment) };
  }

  adminAuth(): Credentials {
    return this.user("admin", "_admin-password");
  }

  request(name: string, auth: Credentials | undefined, method: string, target: string, body?: unknown): Promise<SecuredResponse> {
    return httpsRequest(this.node(name).httpPort, this.ca, method, target, { auth, body });
  }

  /** Waits until every running node answers and `_cluster/health` is green with `nodeCount` nodes. */
  async awaitHealth(nodeCount: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "no answer yet";
    for (;;) {
      for (const node of this.running.values()) {
        if (node.process.exitCode !== null || node.process.signalCode !== null) {
          throw new Error(`${node.name} exited (${node.process.exitCode ?? node.process.signalCode}) while the cluster formed; its log:\n${logTail(node.logFile)}`);
        }
      }
      const answers = await Promise.all(
        [...this.running.keys()].map((name) =>
          this.request(name, this.adminAuth(), "GET", `_cluster/health?wait_for_status=green&wait_for_nodes=${nodeCount}&timeout=2s`).catch((error: Error) => ({ status: 0, body: error.message })),
        ),
      );
      if (answers.every((answer) => answer.status === 200 && answer.body.status === "green" && answer.body.number_of_nodes === nodeCount)) return;
      last = JSON.stringify(answers.map((answer) => (answer.status === 200 ? `${answer.body.status}, ${answer.body.number_of_nodes} nodes` : `${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`)));
      if (Date.now() > deadline) {
        const logs = [...this.running.values()].map((node) => `--- ${node.name}\n${logTail(node.logFile, 15)}`).join("\n");
        throw new Error(`the cluster was not green with ${nodeCount} nodes within ${timeoutMs / 1000} s (last answers: ${last}); the nodes' logs:\n${logs}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Kills a node's JVM with SIGKILL (a crash, a lost server): nothing is flushed or closed. */
  async kill(name: string): Promise<void> {
    const node = this.node(name);
    const exited = new Promise<void>((resolve) => node.process.once("exit", () => resolve()));
    node.process.kill("SIGKILL");
    await exited;
    this.running.delete(name);
  }

  /** Starts a stopped node again on its data folder, from its rendered files. */
  restart(name: string): StartedNode {
    const start = { ...this.starts.get(name)!, keepData: true };
    const node = launchLaidOutNode(layOutRenderedNode(start));
    this.running.set(name, node);
    return node;
  }

  /** Lays out a stopped node again with an EMPTY data folder (a replaced server), without starting it. */
  layOutReplacement(name: string): LaidOutNode {
    if (this.running.has(name)) throw new Error(`${name} is still running: stop it before replacing it`);
    return layOutRenderedNode({ ...this.starts.get(name)!, keepData: false });
  }

  launch(laidOut: LaidOutNode): StartedNode {
    const node = launchLaidOutNode(laidOut);
    this.running.set(node.name, node);
    return node;
  }

  /**
   * A replaced master's rendered search-bootstrap-guard, as install-search-engine runs it before the
   * first start, on the laid-out node's config: the peers (PEER_MASTERS) stay at their rendered
   * addresses, and curl's startup file connects those to the running masters' loopback ports.
   */
  async runBootstrapGuard(laidOut: LaidOutNode, dir: string): Promise<ScriptRun> {
    const rendered = laidOut.start.node;
    fs.mkdirSync(path.join(dir, "curl-home"), { recursive: true });
    const connects = [...this.running.keys()]
      .filter((name) => this.rolesOf(name).includes("cluster_manager"))
      .map((name) => `connect-to = ${this.settingsOf(name).get("network.publish_host")}:9200:127.0.0.1:${this.node(name).httpPort}\n`);
    fs.writeFileSync(path.join(dir, "curl-home", ".curlrc"), connects.join(""));
    const script = path.join(dir, "search-bootstrap-guard");
    fs.writeFileSync(script, fileOf(rendered, "/usr/local/sbin/search-bootstrap-guard"), { mode: 0o755 });
    return runProcess("bash", [script], {
      env: { ...renderedEnvironment(rendered), PATH: process.env.PATH, CURL_HOME: path.join(dir, "curl-home"), TMPDIR: dir, ENGINE_CONFIG_DIR: laidOut.configDir, STAGED_CONFIG: laidOut.stagedDir },
    });
  }

  async stop(name: string): Promise<void> {
    await stopNode(this.node(name));
    this.running.delete(name);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((name) => this.stop(name)));
  }

  /**
   * The setup node's rendered search-setup script, run as its unit runs it (the environment files)
   * against `name`, with the rendered requests but the index state management one (Maven Central
   * has no ISM plugin: that request is checked offline) and the plugin's own securityadmin.
   */
  async runSetup(name: string, dir: string): Promise<ScriptRun> {
    const rendered = this.rendered.get(name)!;
    const node = this.node(name);
    const setupDir = path.join(dir, "setup");
    fs.rmSync(setupDir, { recursive: true, force: true });
    fs.mkdirSync(setupDir, { recursive: true });
    for (const file of rendered.files.filter((written) => written.path.startsWith(`${SETUP_DIR}/`))) {
      let content = file.content;
      if (path.basename(file.path) === "requests") content = content.split("\n").filter((line) => !line.includes("_plugins/_ism/")).join("\n");
      fs.writeFileSync(path.join(setupDir, path.basename(file.path)), content);
    }
    const script = path.join(dir, "search-setup");
    fs.writeFileSync(script, fileOf(rendered, "/usr/local/sbin/search-setup"), { mode: 0o755 });
    const env = renderedEnvironment(rendered);
    if (env.SECURITY_ADMIN_DIR !== "/etc/ci-log-analysis/search/security-admin") throw new Error(`${name} is not the setup node: its SECURITY_ADMIN_DIR is ${env.SECURITY_ADMIN_DIR}`);
    const adminDir = path.join(dir, "security-admin");
    fs.mkdirSync(adminDir, { recursive: true });
    fs.copyFileSync(this.admin.cert, path.join(adminDir, "admin.crt"));
    fs.copyFileSync(this.admin.key, path.join(adminDir, "admin.key"));
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
        SECURITYADMIN: path.join(this.home, "plugins", "opensearch-security", "tools", "securityadmin.sh"),
        SECURITYADMIN_JAVA_HOME: findJavaHome()!,
        SETUP_RETRY_SECONDS: "2",
      },
    });
  }
}

/** The variables of a server's rendered environment files (search-engine.env, search-secrets.env), as systemd reads them. */
export function renderedEnvironment(rendered: RenderedNode): Record<string, string> {
  return Object.fromEntries(
    [fileOf(rendered, "/etc/ci-log-analysis/search-engine.env"), fileOf(rendered, "/etc/ci-log-analysis/search-secrets.env")]
      .flatMap((text) => text.split("\n"))
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}
