/**
 * `npm run preflight <deployment>`: before the first plan, checks with read-only API calls that
 * the cloud is what its config file says: the clouds.yaml entry authenticates (Keystone v3), the
 * region offers the services, the images, flavors (with their sizes) and networks exist, and the
 * project's quota holds what the deployments on the cloud need. Nothing is created or changed.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { type Command, CommandError, parseCommandArgs, parseTimeoutMs, UsageError } from "./cli";
import { loadConfig, type LoadedConfig, type LoadedDeployment } from "./config/load";
import { ConfigError, didYouMean, formatProblem } from "./config/problems";
import { HttpClient, type HttpAnswer } from "./http-client";
import type { QuotaUsage } from "./quota";
import { formatResult, summaryLine, type CheckResult } from "./smoke";

/** Exit code when no cloud could be asked (no clouds.yaml, Keystone unreachable): nothing was checked. */
export const PREFLIGHT_SKIPPED_EXIT_CODE = 3;

/** One entry of clouds.yaml (with secure.yaml merged in), as openstacksdk reads it. */
export interface CloudsYamlEntry {
  readonly file: string;
  readonly name: string;
  readonly authType: string;
  readonly auth: Readonly<Record<string, string>>;
  readonly regionName?: string;
  /** @default "public" */
  readonly interface: string;
  /** @default true */
  readonly verify: boolean;
  readonly cacert?: string;
}

/** Where openstacksdk looks for a file (clouds.yaml or secure.yaml), in its order. */
export function configFileCandidates(file: "clouds.yaml" | "secure.yaml", env: NodeJS.ProcessEnv, cwd: string, home: string): string[] {
  const override = env[file === "clouds.yaml" ? "OS_CLIENT_CONFIG_FILE" : "OS_CLIENT_SECURE_FILE"];
  return [
    ...(override ? [override] : []),
    path.join(cwd, file),
    path.join(home, ".config", "openstack", file),
    path.join("/etc", "openstack", file),
  ];
}

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping => typeof value === "object" && value !== null && !Array.isArray(value);

function merge(base: Mapping, over: Mapping): Mapping {
  const merged: Mapping = { ...base };
  for (const [key, value] of Object.entries(over)) merged[key] = isMapping(value) && isMapping(merged[key]) ? merge(merged[key] as Mapping, value) : value;
  return merged;
}

function readClouds(file: string): Mapping {
  let data: unknown;
  try {
    data = parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new CommandError(`${file}: not readable YAML (${(error as Error).message.split("\n")[0]})`, 2);
  }
  return isMapping(data) && isMapping(data.clouds) ? data.clouds : {};
}

/**
 * The entry named `name` of the first clouds.yaml found, with the same entry of secure.yaml
 * merged in; `undefined` when there is no clouds.yaml at all.
 * @throws CommandError when the file has no such entry, or the entry lacks auth_url
 */
export function findCloudsYamlEntry(name: string, env: NodeJS.ProcessEnv, cwd = process.cwd(), home = os.homedir()): CloudsYamlEntry | undefined {
  const file = configFileCandidates("clouds.yaml", env, cwd, home).find((candidate) => fs.existsSync(candidate));
  if (!file) return undefined;
  const clouds = readClouds(file);
  const secureFile = configFileCandidates("secure.yaml", env, cwd, home).find((candidate) => fs.existsSync(candidate));
  const secure = secureFile ? readClouds(secureFile) : {};
  if (!isMapping(clouds[name])) {
    const names = Object.keys(clouds);
    throw new CommandError(
      `${file}: no entry ${JSON.stringify(name)} under clouds: (entries: ${names.join(", ") || "none"})${didYouMean(name, names)}; ` +
        "add it, or correct clouds_yaml_entry in the cloud file",
      1,
    );
  }
  const entry = merge(clouds[name] as Mapping, isMapping(secure[name]) ? (secure[name] as Mapping) : {});
  const auth = isMapping(entry.auth) ? Object.fromEntries(Object.entries(entry.auth).map(([key, value]) => [key, String(value)])) : {};
  if (!auth.auth_url) throw new CommandError(`${file}: clouds.${name}.auth.auth_url is missing; expected the Keystone URL, e.g. https://keystone.example.org:5000/v3`, 1);
  return {
    file,
    name,
    authType: typeof entry.auth_type === "string" ? entry.auth_type : auth.application_credential_secret ? "v3applicationcredential" : "password",
    auth,
    regionName: typeof entry.region_name === "string" ? entry.region_name : undefined,
    interface: typeof entry.interface === "string" ? entry.interface : "public",
    verify: entry.verify !== false,
    cacert: typeof entry.cacert === "string" ? entry.cacert : undefined,
  };
}

/** The body of a Keystone v3 token request for the entry's credentials. */
export function tokenRequest(entry: CloudsYamlEntry): object {
  const { auth } = entry;
  const domain = (id: string | undefined, name: string | undefined) => (id ? { id } : { name: name ?? auth.domain_name ?? "Default" });
  if (/applicationcredential/.test(entry.authType)) {
    const credential = auth.application_credential_id
      ? { id: auth.application_credential_id, secret: auth.application_credential_secret }
      : {
          name: auth.application_credential_name,
          secret: auth.application_credential_secret,
          user: auth.user_id ? { id: auth.user_id } : { name: auth.username, domain: domain(auth.user_domain_id, auth.user_domain_name) },
        };
    return { auth: { identity: { methods: ["application_credential"], application_credential: credential } } };
  }
  const user = auth.user_id
    ? { id: auth.user_id, password: auth.password }
    : { name: auth.username, domain: domain(auth.user_domain_id, auth.user_domain_name), password: auth.password };
  const project = auth.project_id
    ? { id: auth.project_id }
    : { name: auth.project_name ?? auth.tenant_name, domain: domain(auth.project_domain_id, auth.project_domain_name) };
  return { auth: { identity: { methods: ["password"], password: { user } }, scope: { project } } };
}

interface CatalogEntry {
  readonly type: string;
  readonly endpoints: readonly { interface: string; region?: string; region_id?: string; url: string }[];
}

/** A Keystone token with its service catalog: read-only GETs against the cloud's APIs. */
export class CloudSession {
  private constructor(
    private readonly client: HttpClient,
    private readonly token: string,
    readonly projectId: string,
    readonly projectName: string,
    private readonly catalog: readonly CatalogEntry[],
    private readonly interfaceName: string,
  ) {}

  /**
   * @throws Error with a network reason when Keystone does not answer (the caller skips),
   *   CommandError when it answers but refuses the credentials
   */
  static async login(entry: CloudsYamlEntry, client: HttpClient): Promise<CloudSession> {
    const base = entry.auth.auth_url.replace(/\/+$/, "");
    const url = /\/v3$/.test(base) ? `${base}/auth/tokens` : `${base}/v3/auth/tokens`;
    const answer = await client.request({ method: "POST", url, body: JSON.stringify(tokenRequest(entry)) });
    if (answer.status !== 201) {
      const reason = answer.status === 401 ? "the credentials were refused" : `expected 201${shortBody(answer)}`;
      throw new CommandError(`Keystone at ${url} answered ${answer.status}: ${reason}; check the auth: section of ${entry.name} in ${entry.file}`, 1);
    }
    const token = answer.headers["x-subject-token"];
    const body = jsonOf(answer)?.token as { project?: { id?: string; name?: string }; catalog?: CatalogEntry[] } | undefined;
    if (typeof token !== "string" || !body?.project?.id) {
      throw new CommandError(`Keystone at ${url} gave no project-scoped token; the entry must name a project (project_name or project_id) or be an application credential`, 1);
    }
    return new CloudSession(client, token, body.project.id, body.project.name ?? body.project.id, body.catalog ?? [], entry.interface);
  }

  /** Regions that offer anything on the entry's interface, for messages. */
  get regions(): string[] {
    return [...new Set(this.catalog.flatMap((service) => service.endpoints.filter((e) => e.interface === this.interfaceName).map((e) => e.region_id ?? e.region ?? "")))].filter(Boolean).sort();
  }

  /** The URL of the first of `types` the catalog has in `region`, or undefined. */
  endpoint(types: readonly string[], region: string): string | undefined {
    for (const type of types) {
      const service = this.catalog.find((candidate) => candidate.type === type);
      const found = service?.endpoints.find((e) => e.interface === this.interfaceName && (e.region_id ?? e.region) === region);
      if (found) return found.url.replace(/\/+$/, "");
    }
    return undefined;
  }

  async get(url: string): Promise<Mapping> {
    const answer = await this.client.request({ method: "GET", url, headers: { "x-auth-token": this.token } });
    if (answer.status !== 200) throw new Error(`GET ${url} answered ${answer.status}${shortBody(answer)}`);
    const body = jsonOf(answer);
    if (!body) throw new Error(`GET ${url} answered 200 without a JSON object`);
    return body;
  }
}

function jsonOf(answer: HttpAnswer): Mapping | undefined {
  try {
    const value: unknown = JSON.parse(answer.body);
    return isMapping(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function shortBody(answer: HttpAnswer): string {
  const text = answer.body.replace(/\s+/g, " ").trim();
  return text ? `: ${text.length > 160 ? `${text.slice(0, 157)}...` : text}` : "";
}

/** The catalog types of each service preflight asks, newest name first. */
const SERVICES = {
  compute: ["compute"],
  image: ["image"],
  network: ["network"],
  "block-storage": ["block-storage", "volumev3", "volume"],
} as const;
type Service = keyof typeof SERVICES;

/** Appends an API version to a catalog URL unless it already ends with one. */
function versioned(url: string, version: string): string {
  return new RegExp(`/${version.replace(".", "\\.")}$`).test(url) ? url : `${url}/${version}`;
}

export interface PreflightInput {
  readonly deployment: LoadedDeployment;
  /** What all the deployments on the deployment's cloud need together (they share its project). */
  readonly needed: QuotaUsage;
  readonly entry: CloudsYamlEntry;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

type Check = (session: CloudSession, urls: Readonly<Record<Service, string>>) => Promise<Omit<CheckResult, "name"> | Omit<CheckResult, "name">[]>;

/** The flavors a deployment uses, by alias. */
function usedFlavorAliases(deployment: LoadedDeployment): string[] {
  const { config } = deployment;
  const aliases = [config.search.data_nodes.flavor, config.search.master_nodes.flavor, config.ingestion.workers.flavor, config.recheck.flavor, config.frontend.flavor];
  return [...new Set(aliases.filter((alias): alias is string => alias !== undefined))].sort();
}

function checksFor(input: PreflightInput): [string, Check][] {
  const { deployment, needed } = input;
  const cloud = deployment.cloud;
  const imageName = cloud.config.images[deployment.config.image].name;
  const checks: [string, Check][] = [
    [
      `image ${deployment.config.image}`,
      async (session, urls) => {
        const body = await session.get(`${versioned(urls.image, "v2")}/images?name=${encodeURIComponent(imageName)}`);
        const images = ((body.images as { name?: string; status?: string; id?: string }[] | undefined) ?? []).filter((image) => image.name === imageName);
        const active = images.filter((image) => image.status === "active");
        if (active.length === 0) {
          return { status: "FAIL", detail: `no active image named ${JSON.stringify(imageName)} in Glance${images.length > 0 ? ` (found ${images.length} not active)` : ""}; correct images.${deployment.config.image} in ${cloud.file}` };
        }
        if (active.length > 1) return { status: "WARN", detail: `${active.length} active images are named ${JSON.stringify(imageName)}; the newest is used` };
        return { status: "PASS", detail: `${JSON.stringify(imageName)} (${active[0].id})` };
      },
    ],
    [
      "flavors",
      async (session, urls) => {
        const body = await session.get(`${urls.compute}/flavors/detail?is_public=None`);
        const flavors = (body.flavors as { name: string; vcpus: number; ram: number; disk: number }[] | undefined) ?? [];
        return usedFlavorAliases(deployment).map((alias) => {
          const declared = cloud.config.flavors[alias];
          const found = flavors.find((flavor) => flavor.name === declared.name);
          const where = `flavors.${alias} of ${cloud.file}`;
          if (!found) {
            const names = flavors.map((flavor) => flavor.name);
            return { status: "FAIL" as const, detail: `${alias}: Nova has no flavor ${JSON.stringify(declared.name)}${didYouMean(declared.name, names)}; correct ${where}.name` };
          }
          const problems = [
            found.vcpus !== declared.vcpus ? `vcpus: the file says ${declared.vcpus}, Nova says ${found.vcpus}` : "",
            found.ram !== Math.round(declared.ram_gib * 1024) ? `ram_gib: the file says ${declared.ram_gib} (${declared.ram_gib * 1024} MiB), Nova says ${found.ram} MiB (${+(found.ram / 1024).toFixed(2)} GiB)` : "",
            // The root disk check (npm run synth) relies on it; a flavor without a disk needs a boot volume.
            found.disk !== declared.disk_gib ? `disk_gib: the file says ${declared.disk_gib}, Nova says ${found.disk} GiB${found.disk === 0 ? " (no root disk: set disk_gib: 0 and boot_volume_gib)" : ""}` : "",
          ].filter(Boolean);
          if (problems.length > 0) return { status: "FAIL" as const, detail: `${alias} (${declared.name}): ${problems.join("; ")}; correct ${where}` };
          const disk = declared.boot_volume_gib !== undefined ? `boots from a ${declared.boot_volume_gib} GiB volume` : `${found.disk} GiB disk`;
          return { status: "PASS" as const, detail: `${alias}: ${declared.name}, ${found.vcpus} vCPUs, ${found.ram / 1024} GiB, ${disk}` };
        });
      },
    ],
    [
      "network",
      async (session, urls) => {
        const network = cloud.config.network;
        const name = network.mode === "tenant" ? network.external_network : network.network_name;
        const setting = network.mode === "tenant" ? "network.external_network" : "network.network_name";
        const body = await session.get(`${versioned(urls.network, "v2.0")}/networks?name=${encodeURIComponent(name)}`);
        const found = ((body.networks as Mapping[] | undefined) ?? []).filter((candidate) => candidate.name === name);
        if (found.length === 0) return { status: "FAIL", detail: `Neutron has no network named ${JSON.stringify(name)} that the project can see; correct ${setting} in ${cloud.file}` };
        if (network.mode === "tenant" && !found.some((candidate) => candidate["router:external"] === true)) {
          return { status: "FAIL", detail: `${JSON.stringify(name)} is not an external network (router:external is false): the router cannot use it as gateway; see \`openstack network list --external\`` };
        }
        return { status: "PASS", detail: `${network.mode === "tenant" ? "external network" : "provider network"} ${JSON.stringify(name)} (${String(found[0].id)})` };
      },
    ],
    [
      "quota",
      async (session, urls) => {
        const project = session.projectId;
        const [compute, networking, volumes] = await Promise.all([
          session.get(`${urls.compute}/os-quota-sets/${project}/detail`),
          session.get(`${versioned(urls.network, "v2.0")}/quotas/${project}/details`),
          session.get(`${urls["block-storage"]}/os-quota-sets/${project}?usage=true`),
        ]);
        const limit = (set: unknown, key: string) => {
          const item = (isMapping(set) ? set[key] : undefined) as { limit?: number; in_use?: number; used?: number } | undefined;
          return { limit: item?.limit ?? -1, inUse: item?.in_use ?? item?.used ?? 0 };
        };
        const items: [keyof QuotaUsage, { limit: number; inUse: number }, number][] = [
          ["instances", limit(compute.quota_set, "instances"), 1],
          ["cores", limit(compute.quota_set, "cores"), 1],
          ["ram_gib", limit(compute.quota_set, "ram"), 1024],
          ["volumes", limit(volumes.quota_set, "volumes"), 1],
          ["volume_gib", limit(volumes.quota_set, "gigabytes"), 1],
          ["floating_ips", limit(networking.quota, "floatingip"), 1],
          ["security_groups", limit(networking.quota, "security_group"), 1],
          ["security_group_rules", limit(networking.quota, "security_group_rule"), 1],
        ];
        const over = items.filter(([item, { limit: max }, unit]) => max >= 0 && needed[item] > max / unit);
        const shown = items
          .map(([item, { limit: max, inUse }, unit]) => `${item} ${needed[item]}/${max < 0 ? "unlimited" : +(max / unit).toFixed(2)} (in use ${+(inUse / unit).toFixed(2)})`)
          .join(", ");
        const deployments = `the deployments on ${cloud.name} need`;
        if (over.length > 0) {
          const lines = over.map(([item, { limit: max }, unit]) => `${item}: needs ${needed[item]}, the project's quota is ${+(max / unit).toFixed(2)}`);
          return { status: "FAIL", detail: `${deployments} more than project ${session.projectName} has: ${lines.join("; ")}. Ask the sponsor for more quota, or make the deployments smaller` };
        }
        return { status: "PASS", detail: `${deployments}/project ${session.projectName} has: ${shown}` };
      },
    ],
  ];
  return checks;
}

export interface PreflightOutcome {
  readonly results: readonly CheckResult[];
  /** Set when no cloud could be asked; nothing was checked. */
  readonly skipped?: string;
}

/**
 * Runs the checks one after the other, reporting each as it ends. A Keystone that does not answer
 * skips the rest (no cloud reachable); a Keystone that refuses the credentials is a failure.
 */
export async function runPreflightChecks(input: PreflightInput, onResult: (result: CheckResult) => void = () => {}): Promise<PreflightOutcome> {
  const { entry, deployment } = input;
  const results: CheckResult[] = [];
  const report = (result: CheckResult) => {
    results.push(result);
    onResult(result);
  };
  report({ status: "PASS", name: "clouds.yaml entry", detail: `${entry.name} in ${entry.file} (${entry.authType})` });
  let ca: Buffer | undefined;
  if (entry.cacert) {
    try {
      ca = fs.readFileSync(entry.cacert);
    } catch (error) {
      report({ status: "FAIL", name: "clouds.yaml entry", detail: `cacert ${entry.cacert}: ${(error as Error).message}` });
      return { results };
    }
  }
  const client = new HttpClient({
    timeoutMs: input.timeoutMs ?? 10_000,
    userAgent: "preflight",
    insecure: !entry.verify,
    ca,
    certificateHint: `give the cloud's CA with cacert: in the ${entry.name} entry of ${entry.file}`,
  });
  try {
    let session: CloudSession;
    try {
      session = await CloudSession.login(entry, client);
    } catch (error) {
      if (error instanceof CommandError) {
        report({ status: "FAIL", name: "authentication", detail: error.message });
        return { results };
      }
      return { results, skipped: `Keystone (${entry.auth.auth_url}) did not answer: ${(error as Error).message}` };
    }
    report({ status: "PASS", name: "authentication", detail: `token for project ${session.projectName} (${session.projectId})` });

    const region = deployment.cloud.config.region;
    const urls: Partial<Record<Service, string>> = {};
    const missing: string[] = [];
    for (const service of Object.keys(SERVICES) as Service[]) {
      const url = session.endpoint(SERVICES[service], region);
      if (url) urls[service] = url;
      else missing.push(service);
    }
    if (missing.length > 0) {
      report({
        status: "FAIL",
        name: "region",
        detail: `${region}: no ${entry.interface} ${missing.join(", ")} endpoint in the catalog (regions: ${session.regions.join(", ") || "none"}); correct region in ${deployment.cloud.file}`,
      });
      return { results };
    }
    report({ status: "PASS", name: "region", detail: `${region}: ${Object.keys(SERVICES).join(", ")}` });
    for (const [name, check] of checksFor(input)) {
      let outcome: Omit<CheckResult, "name"> | Omit<CheckResult, "name">[];
      try {
        outcome = await check(session, urls as Record<Service, string>);
      } catch (error) {
        outcome = { status: "FAIL", detail: (error as Error).message };
      }
      for (const result of Array.isArray(outcome) ? outcome : [outcome]) report({ name, ...result });
    }
    return { results };
  } finally {
    client.close();
  }
}

export const PREFLIGHT_USAGE = `usage: npm run preflight -- <deployment> [--timeout <seconds>]

Checks, with read-only API calls, that the deployment's cloud is what its cloud file says: the
clouds.yaml entry (clouds_yaml_entry) authenticates with Keystone, the region offers compute,
image, network and block storage, the image, the flavors (vCPUs and RAM) and the network exist,
and the project's quota holds what the deployments on the cloud need. Reads CONFIG_DIR (default
config/) and clouds.yaml as the openstack client does (OS_CLIENT_CONFIG_FILE, ./clouds.yaml,
~/.config/openstack/, /etc/openstack/, with secure.yaml).

  --timeout <seconds>   per request (default 10)

Exits 0 when every check passed (warnings allowed), 1 when one failed, 2 on a usage or config
error, ${PREFLIGHT_SKIPPED_EXIT_CODE} when no cloud could be asked (no clouds.yaml, Keystone unreachable).`;

export interface PreflightIo {
  /** @default "config" */
  readonly configDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** What all the deployments on each cloud need, by cloud name (main.ts's buildApp gives it). */
  readonly neededByCloud: (config: LoadedConfig) => ReadonlyMap<string, QuotaUsage> | Promise<ReadonlyMap<string, QuotaUsage>>;
}

/** The command: see PREFLIGHT_USAGE. */
export function preflightCommand(io: PreflightIo): Command {
  return {
    name: "preflight",
    usage: PREFLIGHT_USAGE,
    run: async (argv, { out }) => {
      const parsed = parseCommandArgs(argv, { allowPositionals: true, options: { timeout: { type: "string" } } });
      if (parsed.positionals.length !== 1) throw new UsageError(`expected one deployment name, got ${parsed.positionals.length} argument(s)`);
      const timeoutMs = parseTimeoutMs(parsed.values.timeout, 10);
      const configDir = io.configDir ?? "config";
      let config: LoadedConfig;
      try {
        config = loadConfig(configDir);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        throw new CommandError(`the configuration has ${error.problems.length} problem(s); \`npm run synth\` shows them all:\n  ${error.problems.map(formatProblem).join("\n  ")}`, 2);
      }
      const name = parsed.positionals[0];
      const deployment = config.deployments.find((candidate) => candidate.name === name);
      if (!deployment) {
        const names = config.deployments.map((candidate) => candidate.name);
        throw new UsageError(`no deployment ${JSON.stringify(name)} in ${configDir}/deployments (deployments: ${names.join(", ")})${didYouMean(name, names)}`);
      }
      const entry = findCloudsYamlEntry(deployment.cloud.config.clouds_yaml_entry, io.env ?? process.env);
      if (!entry) {
        out(`SKIPPED: no clouds.yaml found (${configFileCandidates("clouds.yaml", io.env ?? process.env, process.cwd(), os.homedir()).join(", ")}); nothing was checked.`);
        return PREFLIGHT_SKIPPED_EXIT_CODE;
      }
      const needed = (await io.neededByCloud(config)).get(deployment.cloud.name)!;
      out(`Checking cloud ${deployment.cloud.name} (${deployment.cloud.file}) for deployment ${name}, read-only`);
      const { results, skipped } = await runPreflightChecks({ deployment, needed, entry, timeoutMs }, (result) => out(formatResult(result)));
      if (skipped) {
        out(`SKIPPED: no cloud reachable: ${skipped}; nothing else was checked.`);
        return PREFLIGHT_SKIPPED_EXIT_CODE;
      }
      out(summaryLine(results));
      return results.some((result) => result.status === "FAIL") ? 1 : 0;
    },
  };
}
