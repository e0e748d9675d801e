/**
 * `npm run smoke`: after a deploy, checks from the outside that the public front end is up and
 * strictly read-only. It reads the stack's outputs (`terraform output -json`) and asks, over
 * HTTPS, for the cluster's health, a search, the dashboards and the recheck page, and tries
 * the writes the old public proxy let through (`_aliases`, index creation, deletion, `_bulk`),
 * which must all be refused with 403.
 */
import * as fs from "node:fs";
import { type Command, parseCommandArgs, parseTimeoutMs, runCommand, UsageError } from "./cli";
import { HttpClient, type HttpAnswer } from "./http-client";
import { OutputsError, outputValues, readOutputsJson, terraformOutputJson } from "./stack-outputs";

export type CheckStatus = "PASS" | "WARN" | "FAIL";

export interface CheckResult {
  readonly status: CheckStatus;
  readonly name: string;
  readonly detail: string;
}

/** The stack outputs the checks use (see stacks/deployment-stack.ts). */
export interface SmokeTargets {
  /** The public read-only search API, ending with "/". */
  readonly publicUrl: string;
  /** @default no dashboards check */
  readonly dashboardsUrl?: string;
  /** @default no recheck check */
  readonly recheckUrl?: string;
}

export interface SmokeOptions {
  /**
   * Accept any certificate (a front end without a DNS name has a self-signed one).
   * @default false
   */
  readonly insecure?: boolean;
  /** PEM certificates to trust instead of the system's. @default the system's CAs */
  readonly ca?: string | Buffer;
  /** @default 10000 */
  readonly timeoutMs?: number;
}


export const DEFAULT_TIMEOUT_SECONDS = 10;


/**
 * Reads the targets from the JSON `terraform output -json` prints: `{ "public_url": { "value": ... } }`.
 * @param source where the JSON came from, for error messages
 * @throws OutputsError
 */
export function parseStackOutputs(json: string, source: string): SmokeTargets {
  const outputs = outputValues(json, source);
  const value = (name: string): string | undefined => {
    const inner = outputs[name];
    if (inner === undefined || inner === null) return undefined;
    if (typeof inner !== "string" || inner === "") {
      throw new OutputsError(`${source}: output ${name}: expected { "value": "<url>" }, got ${JSON.stringify(inner).slice(0, 120)}`);
    }
    return inner;
  };
  const publicUrl = value("public_url");
  if (!publicUrl) {
    const names = Object.keys(outputs);
    throw new OutputsError(
      `${source}: no public_url output (${names.length > 0 ? `outputs: ${names.join(", ")}` : "no outputs at all: has the stack been deployed?"})`,
    );
  }
  return {
    publicUrl: httpsUrl(publicUrl, "public_url", source, true),
    dashboardsUrl: optional(value("dashboards_url"), (url) => httpsUrl(url, "dashboards_url", source, false)),
    recheckUrl: optional(value("recheck_url"), (url) => checkUrl(url, "recheck_url", source)),
  };
}

function optional<T>(value: string | undefined, map: (value: string) => T): T | undefined {
  return value === undefined ? undefined : map(value);
}

function checkUrl(value: string, name: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OutputsError(`${source}: ${name}: ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new OutputsError(`${source}: ${name}: ${JSON.stringify(value)}: expected an http(s):// URL`);
  }
  return url.href;
}

/** The front end answers only on HTTPS (port 80 redirects), so its URLs must be https://. */
function httpsUrl(value: string, name: string, source: string, directory: boolean): string {
  const href = checkUrl(value, name, source);
  if (!href.startsWith("https:")) throw new OutputsError(`${source}: ${name}: ${JSON.stringify(value)}: expected an https:// URL`);
  return directory && !href.endsWith("/") ? `${href}/` : href;
}

/**
 * Runs `terraform -chdir=<outdir>/stacks/<stack> output -json` and reads the targets from it.
 * @throws OutputsError when the stack is not synthesized, not deployed, or Terraform fails
 */
export function readStackOutputs(stack: string, outdir = "cdktf.out", terraform = "terraform"): SmokeTargets {
  return parseStackOutputs(terraformOutputJson(stack, outdir, terraform), `${terraform} output of ${stack}`);
}

function location(answer: HttpAnswer): string {
  const target = answer.headers.location;
  return target ? ` → ${target}` : "";
}

function shortBody(answer: HttpAnswer): string {
  const text = answer.body.replace(/\s+/g, " ").trim();
  return text ? `: ${text.length > 120 ? `${text.slice(0, 117)}...` : text}` : "";
}

function jsonOf(answer: HttpAnswer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(answer.body);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

type Check = (client: HttpClient) => Promise<CheckResult>;

/** Runs `ask` and turns a network failure into a FAIL line of the check. */
function check(name: string, ask: (client: HttpClient) => Promise<Omit<CheckResult, "name">>): Check {
  return async (client) => {
    try {
      return { name, ...(await ask(client)) };
    } catch (error) {
      return { name, status: "FAIL", detail: (error as Error).message };
    }
  };
}

function clusterHealth(publicUrl: string): Check {
  return check("cluster health", async (client) => {
    const answer = await client.request({ method: "GET", url: `${publicUrl}_cluster/health` });
    if (answer.status !== 200) return { status: "FAIL", detail: `GET _cluster/health answered ${answer.status}${location(answer)}; expected 200${shortBody(answer)}` };
    const health = jsonOf(answer);
    const status = health?.status;
    if (typeof status !== "string") return { status: "FAIL", detail: `GET _cluster/health answered 200 without a status${shortBody(answer)}` };
    const facts = [
      typeof health?.cluster_name === "string" ? `cluster ${health.cluster_name}` : undefined,
      typeof health?.number_of_nodes === "number" ? `${health.number_of_nodes} nodes` : undefined,
      typeof health?.number_of_data_nodes === "number" ? `${health.number_of_data_nodes} data nodes` : undefined,
      typeof health?.unassigned_shards === "number" ? `${health.unassigned_shards} unassigned shards` : undefined,
    ].filter(Boolean);
    const detail = `${status}${facts.length > 0 ? ` (${facts.join(", ")})` : ""}`;
    if (status === "green") return { status: "PASS", detail };
    if (status === "yellow") return { status: "WARN", detail: `${detail}: some replicas are not allocated; the cluster serves every index but would lose data with one more node` };
    return { status: "FAIL", detail: `${detail}: ${status === "red" ? "some primary shards are not allocated; searches miss data" : "expected green"}` };
  });
}

/** A write the public endpoint must refuse with 403; the bodies are harmless and aimed at test names. */
interface Write {
  readonly method: string;
  readonly path: string;
  readonly body: string;
  readonly contentType?: string;
}

export const REFUSED_WRITES: readonly Write[] = [
  { method: "POST", path: "_aliases", body: JSON.stringify({ actions: [{ add: { index: "logstash-smoke", alias: "smoke-test-alias" } }] }) },
  { method: "PUT", path: "smoke-test-index", body: "{}" },
  { method: "DELETE", path: "logstash-smoke", body: "" },
  {
    method: "POST",
    path: "_bulk",
    body: `${JSON.stringify({ index: { _index: "logstash-smoke" } })}\n${JSON.stringify({ message: "smoke test: the public endpoint must refuse this" })}\n`,
    contentType: "application/x-ndjson",
  },
];

function refusesWrite(publicUrl: string, write: Write): Check {
  const what = `${write.method} ${write.path}`;
  return check(`refuses ${what}`, async (client) => {
    const answer = await client.request({
      method: write.method,
      url: `${publicUrl}${write.path}`,
      body: write.body === "" ? undefined : write.body,
      contentType: write.contentType,
    });
    if (answer.status === 403) return { status: "PASS", detail: "403" };
    if (answer.status >= 200 && answer.status < 300) {
      return { status: "FAIL", detail: `answered ${answer.status}: the public endpoint accepted a write${shortBody(answer)}` };
    }
    return { status: "FAIL", detail: `answered ${answer.status}${location(answer)}; expected 403 from the front end's read-only rule${shortBody(answer)}` };
  });
}

function search(publicUrl: string): Check {
  return check("search", async (client) => {
    const answer = await client.request({ method: "GET", url: `${publicUrl}_search?size=0` });
    if (answer.status !== 200) return { status: "FAIL", detail: `GET _search?size=0 answered ${answer.status}${location(answer)}; expected 200${shortBody(answer)}` };
    const total = (jsonOf(answer)?.hits as { total?: unknown } | undefined)?.total;
    if (typeof total === "number") return { status: "PASS", detail: `200, ${total} documents` };
    if (typeof total === "object" && total !== null && typeof (total as { value?: unknown }).value === "number") {
      const { value, relation } = total as { value: number; relation?: string };
      return { status: "PASS", detail: `200, ${relation === "gte" ? "at least " : ""}${value} documents` };
    }
    return { status: "PASS", detail: "200" };
  });
}

/** A page that answers 200, or (for the dashboards, which redirect to their app) a redirect. */
function page(name: string, url: string, redirectsPass: boolean): Check {
  return check(name, async (client) => {
    const answer = await client.request({ method: "GET", url });
    if (answer.status === 200) return { status: "PASS", detail: "200" };
    if (redirectsPass && answer.status >= 300 && answer.status < 400) return { status: "PASS", detail: `${answer.status}${location(answer)}` };
    return { status: "FAIL", detail: `GET ${url} answered ${answer.status}${location(answer)}; expected 200${redirectsPass ? " or a redirect" : ""}` };
  });
}

/** Every check that applies to the targets, in the order they run. */
function checksFor(targets: SmokeTargets): Check[] {
  return [
    clusterHealth(targets.publicUrl),
    ...REFUSED_WRITES.map((write) => refusesWrite(targets.publicUrl, write)),
    search(targets.publicUrl),
    ...(targets.dashboardsUrl ? [page("dashboards", targets.dashboardsUrl, true)] : []),
    ...(targets.recheckUrl ? [page("recheck", targets.recheckUrl, false)] : []),
  ];
}

/** Runs the checks one after the other (the front end rate-limits), reporting each as it ends. */
export async function runSmokeChecks(
  targets: SmokeTargets,
  options: SmokeOptions = {},
  onResult: (result: CheckResult) => void = () => {},
): Promise<CheckResult[]> {
  const client = new HttpClient({
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_SECONDS * 1000,
    userAgent: "smoke",
    insecure: options.insecure,
    ca: options.ca,
    maxBodyBytes: 1024 * 1024,
    certificateHint: options.ca
      ? "the certificate is not signed by --ca-file"
      : "a front end without frontend.dns_name has a self-signed certificate: pass --insecure, or --ca-file with its certificate",
  });
  const results: CheckResult[] = [];
  try {
    for (const run of checksFor(targets)) {
      const result = await run(client);
      results.push(result);
      onResult(result);
    }
  } finally {
    client.close();
  }
  return results;
}

export function formatResult(result: CheckResult): string {
  return `${result.status} ${result.name} — ${result.detail}`;
}

/** `N passed, N failed`; warnings are counted on a line of their own (see smokeReport). */
export function summaryLine(results: readonly CheckResult[]): string {
  const count = (status: CheckStatus) => results.filter((result) => result.status === status).length;
  return `${count("PASS")} passed, ${count("FAIL")} failed`;
}

export const SMOKE_USAGE = `usage: npm run smoke -- <stack> [--outputs <file.json>] [--insecure | --ca-file <pem>] [--recheck-url <url>] [--timeout <seconds>]

  <stack>               reads \`terraform -chdir=cdktf.out/stacks/<stack> output -json\` (after \`cdktf deploy\`)
  --outputs <file>      reads that JSON from a file instead (then <stack> may be left out)
  --insecure            accept any certificate (a front end without a DNS name is self-signed)
  --ca-file <pem>       trust these certificates instead of the system's
  --recheck-url <url>   also check the recheck dashboard (default: the stack's recheck_url output, if any)
  --timeout <seconds>   per request (default ${DEFAULT_TIMEOUT_SECONDS})

Exits 0 when every check passed (warnings allowed), 1 when one failed, 2 on a usage error.`;

export interface SmokeIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Where the synthesized stacks are. @default "cdktf.out" */
  readonly outdir?: string;
  /** @default "terraform" */
  readonly terraform?: string;
}

interface SmokeCommand {
  readonly targets: SmokeTargets;
  readonly options: SmokeOptions;
}

/** @throws UsageError, OutputsError */
export function parseSmokeArgs(argv: readonly string[], io: Pick<SmokeIo, "outdir" | "terraform"> = {}): SmokeCommand {
  const parsed = parseCommandArgs(argv, {
    allowPositionals: true,
    strict: true,
    options: {
      outputs: { type: "string" },
      insecure: { type: "boolean", default: false },
      "ca-file": { type: "string" },
      "recheck-url": { type: "string" },
      timeout: { type: "string" },
    },
  });
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`expected one stack name, got ${positionals.join(" ")}`);
  if (values.insecure && values["ca-file"]) throw new UsageError("--insecure and --ca-file exclude each other");
  const timeoutMs = parseTimeoutMs(values.timeout, DEFAULT_TIMEOUT_SECONDS);
  let ca: Buffer | undefined;
  if (values["ca-file"]) {
    try {
      ca = fs.readFileSync(values["ca-file"]);
    } catch (error) {
      throw new UsageError(`--ca-file: ${(error as Error).message}`);
    }
  }
  const { json, source } = readOutputsJson(positionals[0], values.outputs, io.outdir, io.terraform);
  let targets = parseStackOutputs(json, source);
  if (values["recheck-url"]) targets = { ...targets, recheckUrl: checkUrl(values["recheck-url"], "--recheck-url", "command line") };
  return { targets, options: { insecure: values.insecure, ca, timeoutMs } };
}

/** The command: 0 when nothing failed, 1 when a check failed, 2 on a usage error or unreadable outputs (see lib/cli). */
export function smokeCommand(io: Pick<SmokeIo, "outdir" | "terraform"> = {}): Command {
  return {
    name: "smoke",
    usage: SMOKE_USAGE,
    run: async (argv, { out }) => {
      const command = parseSmokeArgs(argv, io);
      out(`Checking ${command.targets.publicUrl}${command.options.insecure ? " (any certificate accepted)" : ""}`);
      const results = await runSmokeChecks(command.targets, command.options, (result) => out(formatResult(result)));
      out(summaryLine(results));
      const warnings = results.filter((result) => result.status === "WARN").length;
      if (warnings > 0) out(`${warnings} warning${warnings === 1 ? "" : "s"}: see WARN above`);
      return results.some((result) => result.status === "FAIL") ? 1 : 0;
    },
  };
}

/** The whole command with its output collected by `io`; see smokeCommand. */
export function runSmoke(argv: readonly string[], io: SmokeIo): Promise<number> {
  return runCommand(smokeCommand(io), argv, io);
}
