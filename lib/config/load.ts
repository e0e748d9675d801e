/**
 * Reads config/ once, at the edge: YAML with positions, schema validation, cross-file checks.
 * Either every file is valid and typed objects come back, or a ConfigError lists every problem
 * with its file, line and column.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import type * as z from "zod";
import {
  configKinds,
  type CloudConfig,
  type ConfigKind,
  type DeploymentConfig,
} from "./schema";
import { validateDownloadList } from "../ingestion/download-list";
import { ingestRate } from "../ingestion/ingest-rate";
import { loadQueries, type BugQuery } from "../queries/check";
import { allProjectsChannels } from "../recheck/service-config";
import type { DashboardsUi } from "../frontend/dashboards-routes";
import { parseSavedObjects, SAVED_OBJECTS_FILES } from "../frontend/saved-objects";
import { validateSources } from "../ingestion/partition";
import { rootDiskReports } from "../root-disk";
import { SUPPORTED_MAJOR_VERSIONS } from "../search/engine";
import { resolveSearchTopology, searchCapacity, type SearchTopology } from "../search/topology";
import { ConfigError, describeValue, didYouMean, formatPath, type ConfigProblem } from "./problems";

export interface LoadedCloud {
  readonly name: string;
  readonly file: string;
  readonly config: CloudConfig;
}

export interface LoadedDeployment {
  readonly name: string;
  readonly file: string;
  readonly config: DeploymentConfig;
  readonly cloud: LoadedCloud;
  /** The search cluster's shape with every default applied. */
  readonly search: SearchTopology;
}

export interface LoadedConfig {
  readonly configDir: string;
  readonly clouds: ReadonlyMap<string, LoadedCloud>;
  readonly deployments: readonly LoadedDeployment[];
  /** The bug queries of `queries/`, which every deployment's recheck bot uses. */
  readonly queries: readonly BugQuery[];
  /** The dashboards' starter saved objects of `dashboards/`, checked, as each UI's export (ndjson). */
  readonly savedObjects: Partial<Record<DashboardsUi, string>>;
}

const FILE_NAME = /^([a-z][a-z0-9-]{0,30}[a-z0-9])\.ya?ml$/;

/** A parsed YAML file that can tell where a setting path stands in it. */
export class YamlFile {
  readonly problems: ConfigProblem[] = [];
  readonly data: unknown;
  private readonly contents: Node | null;
  private readonly lines = new LineCounter();

  constructor(readonly file: string, text: string) {
    const document = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    for (const error of document.errors) {
      const { line, col } = this.lines.linePos(error.pos[0]);
      this.problems.push({ file, line, column: col, setting: "", message: `YAML syntax: ${firstLine(error.message)}` });
    }
    this.contents = document.contents as Node | null;
    this.data = document.errors.length === 0 ? document.toJS() : undefined;
  }

  /** The position of the setting at `settingPath`, or of its nearest ancestor that exists. */
  positionOf(settingPath: readonly PropertyKey[], atKey = false): { line: number; column: number } {
    let node: unknown = this.contents;
    let offset = this.contents?.range?.[0] ?? 0;
    for (const segment of settingPath) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair || !isPair(pair)) break;
        const keyNode = pair.key as Node;
        offset = keyNode.range?.[0] ?? offset;
        node = pair.value;
        if (atKey && segment === settingPath[settingPath.length - 1]) break;
        offset = (pair.value as Node | null)?.range?.[0] ?? offset;
      } else if (isSeq(node) && typeof segment === "number" && node.items[segment]) {
        node = node.items[segment];
        offset = (node as Node).range?.[0] ?? offset;
      } else {
        break;
      }
    }
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  problemAt(settingPath: readonly PropertyKey[], message: string, atKey = false): ConfigProblem {
    return { file: this.file, ...this.positionOf(settingPath, atKey), setting: formatPath(settingPath), message };
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0];
}

/** Turns one schema issue into problems phrased for the user: the value given and what is expected. */
function problemsFromIssue(
  yaml: YamlFile,
  issue: z.core.$ZodIssue,
  knownKeys: ReadonlyMap<string, string[]>,
): ConfigProblem[] {
  const given = describeValue((issue as { input?: unknown }).input);
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeys.get(formatPath(issue.path)) ?? [];
      return issue.keys.map((key) =>
        yaml.problemAt(
          [...issue.path, key],
          `unknown setting${didYouMean(key, known) || `; expected one of: ${known.join(", ")}`}`,
          true,
        ),
      );
    }
    case "invalid_type":
      if ((issue as { input?: unknown }).input === undefined) {
        return [yaml.problemAt(issue.path, `missing required setting (expected ${issue.expected})`)];
      }
      return [yaml.problemAt(issue.path, `got ${given}; expected ${issue.expected === "int" ? "a whole number" : issue.expected}`)];
    case "invalid_value":
      return [yaml.problemAt(issue.path, `got ${given}; expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}`)];
    case "invalid_union": {
      const discriminated = issue as typeof issue & { discriminator?: string; options?: unknown[] };
      if (discriminated.discriminator && discriminated.options) {
        const value = (issue.input as Record<string, unknown> | undefined)?.[discriminated.discriminator];
        const options = discriminated.options.map(String);
        const hint = typeof value === "string" ? didYouMean(value, options) : "";
        return [
          yaml.problemAt(
            issue.path,
            `got ${describeValue(value)}; expected one of: ${options.join(", ")}${hint}`,
          ),
        ];
      }
      // A value of the right kind for one of the options (a mapping where a name or a mapping may
      // stand): that option's own problems say what is wrong inside it.
      const fitting = issue.errors.find((option) => option.length > 0 && option.every((inner) => inner.path.length > 0));
      if (fitting) return fitting.flatMap((inner) => problemsFromIssue(yaml, { ...inner, path: [...issue.path, ...inner.path] }, knownKeys));
      return [yaml.problemAt(issue.path, `got ${given}; ${issue.message}`)];
    }
    case "invalid_key": {
      const reason = issue.issues[0]?.message ?? issue.message;
      return [yaml.problemAt(issue.path, `invalid name ${given}: ${reason}`, true)];
    }
    case "too_small":
    case "too_big": {
      const bound = issue.code === "too_small" ? "at least" : "at most";
      const limit = issue.code === "too_small" ? issue.minimum : issue.maximum;
      const unit = issue.origin === "array" ? " items" : issue.origin === "string" ? " characters" : "";
      // zod's own messages start "Too big"/"Too small"; any other is the schema's hint, worth showing.
      const hint = /^Too (big|small)/.test(issue.message) ? "" : `; ${issue.message}`;
      return [yaml.problemAt(issue.path, `got ${given}; expected ${bound} ${String(limit)}${unit}${hint}`)];
    }
    default:
      return [yaml.problemAt(issue.path, `got ${given}; ${issue.message}`)];
  }
}

/**
 * Validates `data`, remembering the settings each strict object knows so that an unknown key
 * can be answered with "did you mean"; zod drops the schema from the issues it returns.
 */
function validate<T>(schema: z.ZodType<T>, data: unknown) {
  const knownKeys = new Map<string, string[]>();
  const result = schema.safeParse(data, {
    reportInput: true,
    error: (issue) => {
      const shape = (issue.inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape;
      if (issue.code === "unrecognized_keys" && shape) knownKeys.set(formatPath(issue.path ?? []), Object.keys(shape));
      return undefined;
    },
  });
  return { result, knownKeys };
}

interface ParsedFile<T> {
  readonly name: string;
  readonly yaml: YamlFile;
  readonly config?: T;
}

/**
 * Parses and validates the text of one config file: every problem with its line and column, and
 * the typed settings when there is none. `npm run new-cloud` checks a file before writing it
 * with this too, so it words problems as `npm run synth` does.
 */
export function checkYamlText<T>(file: string, text: string, schema: z.ZodType<T>): { yaml?: YamlFile; config?: T; problems: ConfigProblem[] } {
  const yaml = new YamlFile(file, text);
  if (yaml.problems.length > 0) return { problems: yaml.problems };
  if (yaml.data === null || yaml.data === undefined) {
    return { problems: [{ file, line: 0, column: 0, setting: "", message: "the file is empty; expected a mapping of settings" }] };
  }
  const { result, knownKeys } = validate(schema, yaml.data);
  if (result.success) return { yaml, config: result.data, problems: [] };
  return { yaml, problems: result.error.issues.flatMap((issue) => problemsFromIssue(yaml, issue, knownKeys)) };
}

function readKind<T>(configDir: string, kind: ConfigKind, schema: z.ZodType<T>, problems: ConfigProblem[]): ParsedFile<T>[] {
  const folder = path.join(configDir, kind);
  if (!fs.existsSync(folder)) {
    problems.push({ file: folder, line: 0, column: 0, setting: "", message: `missing folder; expected ${kind}/*.yaml in the config folder` });
    return [];
  }
  const parsed: ParsedFile<T>[] = [];
  for (const entry of fs.readdirSync(folder).sort()) {
    if (!/\.ya?ml$/.test(entry)) continue;
    const file = path.join(folder, entry);
    const nameMatch = FILE_NAME.exec(entry);
    if (!nameMatch) {
      problems.push({
        file, line: 0, column: 0, setting: "",
        message: `file name ${JSON.stringify(entry)} is not a valid name; expected 2-32 characters of a-z, 0-9 and '-', starting with a letter, then .yaml`,
      });
      continue;
    }
    const checked = checkYamlText(file, fs.readFileSync(file, "utf8"), schema);
    problems.push(...checked.problems);
    if (checked.yaml) parsed.push({ name: nameMatch[1], yaml: checked.yaml, config: checked.config });
  }
  return parsed;
}

/** The references from a deployment to its cloud's images and flavors, with their setting paths. */
function cloudReferences(deployment: DeploymentConfig): { path: PropertyKey[]; kind: "images" | "flavors"; alias: string }[] {
  const references: { path: PropertyKey[]; kind: "images" | "flavors"; alias: string }[] = [
    { path: ["image"], kind: "images", alias: deployment.image },
    { path: ["search", "data_nodes", "flavor"], kind: "flavors", alias: deployment.search.data_nodes.flavor },
    { path: ["ingestion", "workers", "flavor"], kind: "flavors", alias: deployment.ingestion.workers.flavor },
    { path: ["recheck", "flavor"], kind: "flavors", alias: deployment.recheck.flavor },
    { path: ["frontend", "flavor"], kind: "flavors", alias: deployment.frontend.flavor },
  ];
  if (deployment.monitoring.flavor) {
    references.push({ path: ["monitoring", "flavor"], kind: "flavors", alias: deployment.monitoring.flavor });
  }
  if (deployment.search.master_nodes.flavor) {
    references.push({ path: ["search", "master_nodes", "flavor"], kind: "flavors", alias: deployment.search.master_nodes.flavor });
  }
  return references;
}

/** Rules that tie several settings together; each problem points at the setting to change. */
function deploymentRuleProblems(yaml: YamlFile, config: DeploymentConfig, cloud: LoadedCloud): ConfigProblem[] {
  const references = cloudReferences(config);
  if (references.some((reference) => !(reference.alias in cloud.config[reference.kind]))) return [];
  const problems: ConfigProblem[] = [];
  const search = resolveSearchTopology(config.search, cloud.config.flavors);
  const major = Number(search.version.split(".")[0]);
  if (!SUPPORTED_MAJOR_VERSIONS[search.engine].includes(major)) {
    problems.push(
      yaml.problemAt(["search", "version"], `got ${JSON.stringify(search.version)}; expected a release of ${search.engine} ${SUPPORTED_MAJOR_VERSIONS[search.engine].map((version) => `${version}.x`).join(" or ")}`),
    );
  }
  if (search.replicas > search.dataNodes.count - 1) {
    problems.push(
      yaml.problemAt(
        ["search", "replicas"],
        `got ${search.replicas} with ${search.dataNodes.count} data node(s); expected at most ${search.dataNodes.count - 1}, since a replica never shares a node with its primary`,
      ),
    );
  }
  const capacity = searchCapacity(search);
  if (!capacity.fits) {
    problems.push(
      yaml.problemAt(
        ["search", "daily_ingest_gib"],
        `the data volumes are too small: the cluster ${capacity.summary}; raise search.data_nodes.volume_gib or count, or lower retention_days or replicas`,
      ),
    );
  }
  for (const rootDisk of rootDiskReports(config, search, cloud.config.flavors).filter((report) => !report.fits)) {
    problems.push(
      yaml.problemAt(
        rootDisk.flavorSetting,
        `the root disk is too small: ${rootDisk.summary}; pick a flavor with a larger disk, or give the flavor a larger boot_volume_gib in ${cloud.file}`,
      ),
    );
  }
  const rate = ingestRate(search);
  if (!rate.fits) {
    problems.push(
      yaml.problemAt(
        ["search", "daily_ingest_gib"],
        `the data nodes cannot index that much: the cluster ${rate.summary}; raise search.data_nodes.count or give them a flavor with more vCPUs`,
      ),
    );
  }
  problems.push(...ingestionProblems(yaml, config.ingestion));
  try {
    new RegExp(config.recheck.jobs_re);
  } catch (error) {
    problems.push(yaml.problemAt(["recheck", "jobs_re"], `got ${JSON.stringify(config.recheck.jobs_re)}; expected a regular expression (${(error as Error).message})`));
  }
  const baselineGiven = (yaml.data as { recheck?: { suggestions?: { baseline_days?: unknown } } }).recheck?.suggestions?.baseline_days !== undefined;
  if (baselineGiven && config.recheck.suggestions.baseline_days > config.search.retention_days) {
    problems.push(
      yaml.problemAt(
        ["recheck", "suggestions", "baseline_days"],
        `got ${config.recheck.suggestions.baseline_days}; expected at most search.retention_days (${config.search.retention_days}): older passing builds are no longer in the cluster`,
      ),
    );
  }
  const ircMinBuilds = config.recheck.suggestions.irc_min_builds;
  if (ircMinBuilds !== undefined && allProjectsChannels(config.recheck.irc?.channels ?? {}, "negative").length === 0) {
    problems.push(
      yaml.problemAt(
        ["recheck", "suggestions", "irc_min_builds"],
        `got ${ircMinBuilds}; expected recheck.irc with a channel of projects [all] and events [negative] (the channel of every uncategorized failure), ` +
          `where the bot says the suggestions; ${config.recheck.irc ? "add one to recheck.irc.channels" : "set recheck.irc (server, nick, channels)"}, or remove irc_min_builds`,
      ),
    );
  }
  if (config.recheck.dns_name && !config.recheck.acme_email) {
    problems.push(yaml.problemAt(["recheck", "dns_name"], "expected recheck.acme_email too: Let's Encrypt needs a contact for the certificate of dns_name"));
  }
  if (config.recheck.gerrit.comment && !config.recheck.dns_name) {
    const explicit = (yaml.data as { recheck?: { gerrit?: { comment?: unknown } } }).recheck?.gerrit?.comment !== undefined;
    problems.push(
      yaml.problemAt(
        explicit ? ["recheck", "gerrit", "comment"] : ["recheck", "gerrit"],
        `${explicit ? "true" : "comment is on by default"}, without recheck.dns_name: every Gerrit comment would link the dashboard on a bare address with a self-signed certificate, ` +
          "which every reader's browser warns about; set recheck.dns_name and recheck.acme_email (Let's Encrypt), or recheck.gerrit.comment: false",
      ),
    );
  }
  if (config.frontend.dns_name && !config.frontend.acme_email) {
    problems.push(yaml.problemAt(["frontend", "dns_name"], "expected frontend.acme_email too: Let's Encrypt needs a contact for the certificate of dns_name"));
  }
  if (config.frontend.designate_zone_id && !config.frontend.dns_name) {
    problems.push(yaml.problemAt(["frontend", "designate_zone_id"], "expected frontend.dns_name too: it is the name the record is created for"));
  }
  problems.push(...monitoringProblems(yaml, config, cloud));
  return problems;
}

/** Monitoring settings that depend on others: the dedicated server's own settings, IRC, the sources named. */
function monitoringProblems(yaml: YamlFile, config: DeploymentConfig, cloud: LoadedCloud): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { monitoring } = config;
  if (monitoring.host === "frontend" && cloud.config.network.mode === "provider") {
    problems.push(
      yaml.problemAt(
        ["monitoring", "host"],
        `got "frontend" on the provider network of ${cloud.file}; expected "dedicated": there the recheck server's settings name the front end's address and the front end's monitoring would name the recheck server's, a cycle Terraform cannot plan`,
      ),
    );
  }
  if (monitoring.host === "frontend") {
    for (const setting of ["flavor", "volume_gib"] as const) {
      if (monitoring[setting] !== undefined) {
        problems.push(yaml.problemAt(["monitoring", setting], "only with monitoring.host: dedicated; the front end's server has no flavor or volume of its own for monitoring: remove it, or set host: dedicated"));
      }
    }
  }
  if (monitoring.alerts.irc && !config.recheck.irc) {
    problems.push(
      yaml.problemAt(
        ["monitoring", "alerts", "irc"],
        "needs recheck.irc: the recheck bot announces the alerts on its IRC connection; set recheck.irc (server, nick, channels), or remove monitoring.alerts.irc",
      ),
    );
  }
  const sources = config.ingestion.sources.map((source) => source.name);
  for (const name of Object.keys(monitoring.source_gaps)) {
    if (!sources.includes(name)) {
      problems.push(yaml.problemAt(["monitoring", "source_gaps", name], `got ${JSON.stringify(name)}; expected the name of one of ingestion.sources: ${sources.join(", ")}${didYouMean(name, sources)}`, true));
    }
  }
  return problems;
}

/** The ingestion rules (lib/ingestion) phrase their problems as `sources[i] ...` / `files[i] ...`: point at that item. */
function ingestionProblems(yaml: YamlFile, ingestion: DeploymentConfig["ingestion"]): ConfigProblem[] {
  const located = (listPath: PropertyKey[], listName: string, message: string) => {
    const item = new RegExp(`^${listName}\\[(\\d+)\\](?: "(?:[^"\\\\]|\\\\.)*")?:? `).exec(message);
    return item ? yaml.problemAt([...listPath, Number(item[1])], message.slice(item[0].length)) : yaml.problemAt(listPath, message);
  };
  const problems = validateSources(ingestion.sources, ingestion.workers.count).map((message) =>
    /^(worker count: |\d+ workers for )/.test(message)
      ? yaml.problemAt(["ingestion", "workers", "count"], message.replace(/^worker count: /, ""))
      : located(["ingestion", "sources"], "sources", message),
  );
  if (ingestion.download_list) {
    problems.push(...validateDownloadList(ingestion.download_list).map((message) => located(["ingestion", "download_list"], "files", message)));
  }
  return problems;
}

function sortByPlace(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

/**
 * Loads and validates every file of the config folder.
 * @throws ConfigError listing every problem found, when there is any.
 */
export function loadConfig(configDir: string): LoadedConfig {
  const problems: ConfigProblem[] = [];
  if (!fs.existsSync(configDir) || !fs.statSync(configDir).isDirectory()) {
    throw new ConfigError([
      { file: configDir, line: 0, column: 0, setting: "", message: "config folder not found; set CONFIG_DIR to a folder holding clouds/ and deployments/" },
    ]);
  }
  const cloudFiles = readKind(configDir, "clouds", configKinds.clouds.schema, problems);
  const deploymentFiles = readKind(configDir, "deployments", configKinds.deployments.schema, problems);

  const clouds = new Map<string, LoadedCloud>();
  for (const { name, yaml, config } of cloudFiles) {
    if (config) clouds.set(name, { name, file: yaml.file, config });
  }
  const cloudNames = cloudFiles.map((cloud) => cloud.name);

  const deployments: LoadedDeployment[] = [];
  for (const { name, yaml, config } of deploymentFiles) {
    if (!config) continue;
    if (!cloudNames.includes(config.cloud)) {
      problems.push(
        yaml.problemAt(
          ["cloud"],
          `got ${JSON.stringify(config.cloud)}; expected the name of a file in ${path.join(configDir, "clouds")}: ${cloudNames.join(", ") || "(none)"}${didYouMean(config.cloud, cloudNames)}`,
        ),
      );
      continue;
    }
    const cloud = clouds.get(config.cloud);
    if (!cloud) continue; // the cloud file has problems of its own, reported above
    for (const reference of cloudReferences(config)) {
      const known = Object.keys(cloud.config[reference.kind]);
      if (!known.includes(reference.alias)) {
        problems.push(
          yaml.problemAt(
            reference.path,
            `got ${JSON.stringify(reference.alias)}; expected one of the ${reference.kind} of ${cloud.file}: ${known.join(", ")}${didYouMean(reference.alias, known)}`,
          ),
        );
      }
    }
    const before = problems.length;
    problems.push(...deploymentRuleProblems(yaml, config, cloud));
    if (problems.length === before) {
      deployments.push({ name, file: yaml.file, config, cloud, search: resolveSearchTopology(config.search, cloud.config.flavors) });
    }
  }
  if (problems.length === 0 && deploymentFiles.length === 0) {
    problems.push({
      file: path.join(configDir, "deployments"), line: 0, column: 0, setting: "",
      message: "no deployment found; expected at least one deployments/<name>.yaml",
    });
  }
  const queriesDir = path.join(configDir, "queries");
  const queries = fs.existsSync(queriesDir) ? loadQueries(queriesDir) : { checked: 0, queries: [], problems: [] };
  problems.push(...queries.problems);
  const withoutQueries = deploymentFiles.filter(({ config }) => config && !config.recheck.allow_no_queries).map(({ name }) => name);
  if (queries.checked === 0 && withoutQueries.length > 0) {
    problems.push({
      file: queriesDir, line: 0, column: 0, setting: "",
      message:
        `${fs.existsSync(queriesDir) ? "no query file" : "missing folder"}: the recheck bot of ${withoutQueries.join(", ")} would classify nothing; ` +
        "add queries/<bug number>.yaml files (see README: Bug queries), or set recheck.allow_no_queries: true in the deployment",
    });
  }
  const savedObjects = loadSavedObjects(path.join(configDir, "dashboards"), problems);
  if (problems.length > 0) throw new ConfigError(sortByPlace(problems));
  return { configDir, clouds, deployments, queries: queries.queries, savedObjects };
}

/** Each UI's export in `dashboards/`, when there is one; a UI without its file starts empty. */
function loadSavedObjects(folder: string, problems: ConfigProblem[]): Partial<Record<DashboardsUi, string>> {
  const savedObjects: Partial<Record<DashboardsUi, string>> = {};
  for (const [ui, name] of Object.entries(SAVED_OBJECTS_FILES) as [DashboardsUi, string][]) {
    const file = path.join(folder, name);
    if (!fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, "utf8");
    const checked = parseSavedObjects(ui, text);
    problems.push(...checked.problems.map((problem) => ({ file, line: problem.line, column: 1, setting: problem.setting, message: problem.message })));
    savedObjects[ui] = text;
  }
  return savedObjects;
}
