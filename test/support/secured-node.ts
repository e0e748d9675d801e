/**
 * OpenSearch nodes with the real security plugin, started from a stack's RENDERED files: the
 * node's opensearch.yml (addresses, ports and paths rewritten for loopback, and only the settings
 * a test names dropped), the
 * opensearch-security/*.yml files laid over the plugin's own defaults as the install script lays
 * them over the package's, certificates from a CA made at test time for the rendered subjects,
 * and the Terraform references to generated passwords replaced by passwords generated here.
 * Used by test/support/search-cluster.ts (the five nodes of test/search-cluster.engine.test.ts)
 * and test/frontend-dashboards.engine.test.ts (one node).
 * The plugin is tested at the newest release Maven Central serves,
 * <opensearch.security.version> in test/engine/pom.xml, on the server release it is built for.
 */
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import bcrypt from "bcryptjs";
import { NODE_CONFIG_DIR } from "../../lib/cloud-init/cloud-config";
import { CERT_FILES, CLUSTER_TLS_NAME } from "../../lib/search/engine";
import { openssl } from "./certificates";
import { launchOpenSearch, logTail, openSearchHome, pomProperty, publishedPort, stopOpenSearch } from "./opensearch";
import { writtenFiles, type WrittenFile } from "./user-data";

export const STAGED_CONFIG = `${NODE_CONFIG_DIR}/search/config`;
export const SETUP_DIR = `${NODE_CONFIG_DIR}/search/setup`;

/** The home folder of the secured release, with the security plugin. */
export function securedHome(): string {
  return openSearchHome({ version: pomProperty("opensearch.secured.version"), securityPlugin: pomProperty("opensearch.security.version") });
}

// ---------------------------------------------------------------------------------------------
// Test-time secrets for the rendered Terraform references

/**
 * Passwords for the stack's `random_password` resources, made on first use: the rendered
 * `${random_password.<name>.result}` and `.bcrypt_hash` references resolve to them.
 */
export class GeneratedPasswords {
  private readonly passwords = new Map<string, { password: string; hash: string }>();

  /** The password of the resource whose logical name contains `fragment` (e.g. "reader-password"). */
  of(fragment: string): string {
    const names = [...this.passwords.keys()].filter((name) => name.includes(fragment));
    if (names.length !== 1) throw new Error(`expected one generated password named like ${fragment}, got ${names.join(", ") || "none"}`);
    return this.passwords.get(names[0])!.password;
  }

  /** `text` with every password reference replaced. */
  resolve(text: string): string {
    return text.replace(/\$\{random_password\.([A-Za-z0-9_-]+)\.(result|bcrypt_hash)\}/g, (_match, name: string, attribute: string) => {
      let entry = this.passwords.get(name);
      if (entry === undefined) {
        const password = randomBytes(18).toString("base64url");
        entry = { password, hash: bcrypt.hashSync(password, 10) };
        this.passwords.set(name, entry);
      }
      return attribute === "result" ? entry.password : entry.hash;
    });
  }
}

/** A CA made with openssl, issuing certificates like constructs/private-ca.ts (P-384, server and client use). */
export class TestCa {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    openssl(dir, "ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "ca.key");
    openssl(dir, "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=test search cluster CA", "-days", "2", "-out", "ca.crt",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  }

  get certificate(): string {
    return path.join(this.dir, "ca.crt");
  }

  /** Issues `<name>.crt` and a PKCS#8 `<name>.key` for `commonName` with these names and addresses; returns their paths. */
  issue(name: string, commonName: string, options: { dnsNames?: readonly string[]; ipAddresses?: readonly string[] } = {}): { cert: string; key: string } {
    openssl(this.dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", `${name}.key`);
    openssl(this.dir, "req", "-new", "-key", `${name}.key`, "-subj", `/CN=${commonName}`, "-out", `${name}.csr`);
    const names = [...(options.ipAddresses ?? []).map((ip) => `IP:${ip}`), ...(options.dnsNames ?? []).map((dns) => `DNS:${dns}`)];
    fs.writeFileSync(
      path.join(this.dir, `${name}.ext`),
      `${names.length > 0 ? `subjectAltName=${names.join(",")}\n` : ""}keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n`,
    );
    openssl(this.dir, "x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", `${name}.ext`, "-out", `${name}.crt`);
    return { cert: path.join(this.dir, `${name}.crt`), key: path.join(this.dir, `${name}.key`) };
  }
}

// ---------------------------------------------------------------------------------------------
// The rendered node settings

/** The rendered opensearch.yml: one `key: JSON value` line per setting (as constructs/search-cluster.ts writes it). */
export function parseNodeSettings(text: string): Map<string, unknown> {
  const settings = new Map<string, unknown>();
  for (const line of text.split("\n").filter((entry) => entry.trim() !== "")) {
    const separator = line.indexOf(": ");
    settings.set(line.slice(0, separator), JSON.parse(line.slice(separator + 2)));
  }
  return settings;
}

export function renderNodeSettings(settings: Map<string, unknown>): string {
  return [...settings].map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join("\n") + "\n";
}

/**
 * The settings loopback rewrites: addresses, ports and paths. Every other rendered setting is
 * kept as rendered (a test compares the started file with the rendered one key by key).
 */
export const LOOPBACK_REWRITTEN_SETTINGS = ["network.bind_host", "network.publish_host", "http.port", "transport.port", "discovery.seed_hosts", "path.data", "path.logs"] as const;

/** What loopback changes in the rendered settings: addresses, ports and paths; everything else is as rendered. */
export interface LoopbackPlacement {
  readonly httpPort: number;
  readonly transportPort: number;
  /** `127.0.0.1:<transport port>` of the master-eligible nodes, in the rendered order. */
  readonly seedHosts: readonly string[];
  readonly dataDir: string;
  readonly logsDir: string;
  /**
   * Rendered settings the test node cannot take, with the reason (each must be in the rendered file).
   * @default none
   */
  readonly dropped?: readonly string[];
}

export function placeOnLoopback(rendered: Map<string, unknown>, placement: LoopbackPlacement): Map<string, unknown> {
  const settings = new Map(rendered);
  const rewritten: Record<(typeof LOOPBACK_REWRITTEN_SETTINGS)[number], unknown> = {
    "network.bind_host": "127.0.0.1",
    "network.publish_host": "127.0.0.1",
    "http.port": placement.httpPort,
    "transport.port": placement.transportPort,
    "discovery.seed_hosts": [...placement.seedHosts],
    "path.data": placement.dataDir,
    "path.logs": placement.logsDir,
  };
  for (const [key, value] of Object.entries(rewritten)) {
    if (!settings.has(key)) throw new Error(`the rendered settings have no ${key}: the loopback rewrite is out of date`);
    settings.set(key, value);
  }
  for (const key of placement.dropped ?? []) {
    if (!settings.delete(key)) throw new Error(`the rendered settings have no ${key} to drop: the loopback rewrite is out of date`);
  }
  // Not a rewrite: the node tells the test where it listens.
  settings.set("node.portsfile", true);
  return settings;
}

// ---------------------------------------------------------------------------------------------
// One node

export interface RenderedNode {
  /** The server's name (its node.name). */
  readonly name: string;
  readonly files: readonly WrittenFile[];
}

/** The files a stack's server writes, from its rendered user data, with the generated passwords in place. */
export function renderedNode(name: string, userData: string, passwords: GeneratedPasswords): RenderedNode {
  return { name, files: writtenFiles(passwords.resolve(userData)) };
}

export function fileOf(node: RenderedNode, filePath: string): string {
  const file = node.files.find((written) => written.path === filePath);
  if (file === undefined) throw new Error(`${node.name} writes no ${filePath}`);
  return file.content;
}

export interface StartedNode {
  readonly name: string;
  readonly dir: string;
  readonly configDir: string;
  readonly httpPort: number;
  readonly transportPort: number;
  readonly process: ChildProcess;
  readonly logFile: string;
}

export interface NodeStart {
  readonly node: RenderedNode;
  readonly home: string;
  readonly dir: string;
  readonly ca: TestCa;
  readonly httpPort: number;
  readonly transportPort: number;
  readonly seedHosts: readonly string[];
  readonly heapMiB: number;
  /**
   * Keep the data folder of an earlier start (a restart), instead of starting empty.
   * @default false
   */
  readonly keepData?: boolean;
  /**
   * Rendered settings the node cannot take here (see LoopbackPlacement.dropped).
   * @default none
   */
  readonly droppedSettings?: readonly string[];
}

/** A node's folder laid out from its rendered files, not yet started. */
export interface LaidOutNode {
  readonly start: NodeStart;
  /** The engine's config folder (/etc/opensearch on a server). */
  readonly configDir: string;
  /** The staged copy of the config (STAGED_CONFIG on a server), which the rendered scripts edit too. */
  readonly stagedDir: string;
}

/**
 * Lays out a node's config folder from its rendered files: its opensearch.yml placed on loopback,
 * the security files over the plugin's defaults (its config/ folder is what the package installs
 * in /etc/opensearch/opensearch-security/), as install-search-engine copies the staged ones over,
 * and a certificate from the test CA for the rendered subject and address (and 127.0.0.1).
 */
export function layOutRenderedNode(start: NodeStart): LaidOutNode {
  const { node, dir } = start;
  const configDir = path.join(dir, "config");
  const stagedDir = path.join(dir, "staged");
  const dataDir = path.join(dir, "data");
  const logsDir = path.join(dir, "logs");
  if (!start.keepData) fs.rmSync(dir, { recursive: true, force: true });
  for (const folder of [configDir, stagedDir, logsDir]) fs.rmSync(folder, { recursive: true, force: true });
  for (const folder of [path.join(configDir, "certs"), path.join(configDir, "opensearch-security"), stagedDir, dataDir, logsDir]) fs.mkdirSync(folder, { recursive: true });

  const rendered = parseNodeSettings(fileOf(node, `${STAGED_CONFIG}/opensearch.yml`));
  if (rendered.get("node.name") !== node.name) throw new Error(`${node.name}'s opensearch.yml names node ${String(rendered.get("node.name"))}`);
  const placement = { httpPort: start.httpPort, transportPort: start.transportPort, seedHosts: start.seedHosts, dataDir, logsDir, dropped: start.droppedSettings };
  const settings = renderNodeSettings(placeOnLoopback(rendered, placement));
  fs.writeFileSync(path.join(configDir, "opensearch.yml"), settings);
  fs.writeFileSync(path.join(stagedDir, "opensearch.yml"), settings);

  // CN = the server's name, SANs as constructs/search-cluster.ts gives them, plus loopback.
  const issued = start.ca.issue(node.name, node.name, { dnsNames: [node.name, CLUSTER_TLS_NAME], ipAddresses: [String(rendered.get("network.publish_host")), "127.0.0.1"] });
  fs.copyFileSync(issued.cert, path.join(configDir, CERT_FILES.certificate));
  fs.copyFileSync(issued.key, path.join(configDir, CERT_FILES.key));
  fs.copyFileSync(start.ca.certificate, path.join(configDir, CERT_FILES.ca));

  const defaults = path.join(start.home, "plugins", "opensearch-security", "config");
  for (const name of fs.readdirSync(defaults).filter((file) => file.endsWith(".yml"))) {
    fs.copyFileSync(path.join(defaults, name), path.join(configDir, "opensearch-security", name));
  }
  for (const file of node.files.filter((written) => written.path.startsWith(`${STAGED_CONFIG}/opensearch-security/`))) {
    fs.writeFileSync(path.join(configDir, "opensearch-security", path.basename(file.path)), file.content);
  }
  return { start, configDir, stagedDir };
}

/** Starts a laid-out node from its config folder as it is now (a rendered script may have edited it). */
export function launchLaidOutNode(laidOut: LaidOutNode): StartedNode {
  const { start, configDir } = laidOut;
  const logFile = path.join(start.dir, "node.log");
  const child = launchOpenSearch({ home: start.home, configDir, logFile, heapMiB: start.heapMiB, tmpDir: start.dir });
  return { name: start.node.name, dir: start.dir, configDir, httpPort: start.httpPort, transportPort: start.transportPort, process: child, logFile };
}

/** Lays out a node from its rendered files and starts it. */
export function startRenderedNode(start: NodeStart): StartedNode {
  return launchLaidOutNode(layOutRenderedNode(start));
}

/**
 * Polls `probe` (a request to the node) until it returns true; fails with the node's log when the
 * node exits or `timeoutMs` passes.
 */
export async function awaitNode(node: StartedNode, what: string, probe: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (node.process.exitCode !== null || node.process.signalCode !== null) {
      throw new Error(`${node.name} exited (${node.process.exitCode ?? node.process.signalCode}) while waiting for ${what}; its log:\n${logTail(node.logFile)}`);
    }
    if (publishedPort(path.join(node.dir, "logs"), "http") !== undefined && (await probe().catch(() => false))) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} on ${node.name}; its log:\n${logTail(node.logFile)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export async function stopNode(node: StartedNode): Promise<void> {
  await stopOpenSearch(node.process);
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface Credentials {
  readonly username?: string;
  readonly password?: string;
  /** A client certificate instead of a password. */
  readonly cert?: string;
  readonly key?: string;
}

export interface SecuredResponse {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

/** One HTTPS request to a node, verified against the test CA; an object body is JSON, a string NDJSON. */
export function httpsRequest(port: number, ca: TestCa, method: string, requestPath: string, options: { auth?: Credentials; body?: unknown; headers?: Record<string, string> } = {}): Promise<SecuredResponse> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: string | undefined;
  if (typeof options.body === "string") {
    headers["content-type"] = "application/x-ndjson";
    payload = options.body;
  } else if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(options.body);
  }
  const auth = options.auth;
  if (auth?.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ""}`).toString("base64")}`;
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path: requestPath.startsWith("/") ? requestPath : `/${requestPath}`,
        headers,
        ca: fs.readFileSync(ca.certificate),
        ...(auth?.cert ? { cert: fs.readFileSync(auth.cert), key: fs.readFileSync(auth.key!) } : {}),
        agent: false,
        timeout: 60_000,
      },
      (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString()));
        response.on("end", () => {
          let body: unknown = text;
          try {
            body = text === "" ? undefined : JSON.parse(text);
          } catch {
            // not JSON: the text itself
          }
          resolve({ status: response.statusCode!, body });
        });
      },
    );
    request.on("timeout", () => request.destroy(new Error(`${method} ${requestPath} timed out`)));
    request.on("error", reject);
    request.end(payload);
  });
}
