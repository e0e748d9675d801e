/**
 * `npm run new-cloud`: writes the config file of a new donated cloud from command-line flags
 * (asking for missing answers on a terminal), checked against the config model before anything
 * is written. The file explains every setting in comments, so that a new sponsor can review it
 * without reading the schema.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { type Command, parseCommandArgs, runCommand, UsageError } from "./cli";
import { checkYamlText } from "./config/load";
import { configKinds } from "./config/schema";
import { formatProblem, type ConfigProblem } from "./config/problems";
import { DEFAULT_DISTRIBUTION, DISTRIBUTION_NAMES } from "./images/distributions";

/** The default image alias: the one the example deployment uses. */
export const DEFAULT_IMAGE_ALIAS = "ubuntu-noble";

/** A cloud's name is a config file name: the same rule as loadConfig applies to file names. */
const CLOUD_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;

export type NetworkMode = "tenant" | "provider";

export interface NewCloudFlavor {
  readonly alias: string;
  readonly name: string;
  /** As given: the schema, not the flag parser, decides whether it is a valid number. */
  readonly vcpus: string;
  readonly ramGib: string;
  readonly diskGib: string;
}

/** What the flags (or the prompts) say; every field but the lists may be missing. */
export interface NewCloudInput {
  name?: string;
  description?: string;
  cloudsYamlEntry?: string;
  region?: string;
  imageName?: string;
  /** @default "ubuntu-noble" */
  imageAlias?: string;
  /** What the image runs, as given (the schema checks it). @default DEFAULT_DISTRIBUTION */
  imageDistribution?: string;
  flavors: NewCloudFlavor[];
  /** The boot volume of the flavors without a disk of their own, as given. @default none */
  bootVolumeGib?: string;
  networkMode?: NetworkMode;
  /** Tenant networks only. */
  externalNetwork?: string;
  /** Provider networks only. */
  networkName?: string;
  /** Tenant networks only. @default the schema's default, 10.42.0.0/24 */
  ipv4Cidr?: string;
  /** Tenant networks only. @default [] (the cloud's own DNS) */
  dnsNameservers: string[];
  /** @default "anti-affinity" */
  serverGroupPolicy?: string;
  /** Donated quota items, as given (`cores=200`); checked by the schema on the written file. @default none */
  quota: [item: string, value: string][];
}

/** A complete set of answers, ready to render. */
export type NewCloudAnswers = NewCloudInput &
  Required<Pick<NewCloudInput, "name" | "cloudsYamlEntry" | "region" | "imageName" | "networkMode">>;

export const NEW_CLOUD_USAGE = `usage: npm run new-cloud -- <name> [flags]

  --clouds-yaml-entry <entry>        entry of clouds.yaml holding the credentials (required)
  --region <region>                  OpenStack region (required)
  --image-name <name>                Glance image name, from \`openstack image list\` (required)
  --image-alias <alias>              alias deployments use for it (default ${DEFAULT_IMAGE_ALIAS})
  --image-distribution ${DISTRIBUTION_NAMES.join("|")}   what the image runs (default ${DEFAULT_DISTRIBUTION})
  --flavor <alias=name:vcpus:ram_gib:disk_gib>  a Nova flavor, from \`openstack flavor list\` (required, repeatable)
  --boot-volume-gib <n>              boot volume size for the flavors whose disk is 0 (required with such a flavor)
  --network-mode tenant|provider     (required)
  --external-network <name>          tenant: router gateway, from \`openstack network list --external\` (required)
  --network-name <name>              provider: the shared network with public addresses (required)
  --ipv4-cidr <cidr>                 tenant: private subnet (default 10.42.0.0/24)
  --dns <address>                    tenant: DNS server of the subnet (repeatable)
  --server-group-policy anti-affinity|soft-anti-affinity   (default anti-affinity)
  --quota item=number            repeatable: the donated quota, e.g. --quota cores=200 --quota floating_ips=4
  --description <text>               who donates the cloud, notes for admins
  --force                            overwrite an existing file

Writes $CONFIG_DIR/clouds/<name>.yaml (default config/clouds/). On a terminal, missing answers are asked for.`;

export interface ParsedNewCloudArgs {
  readonly input: NewCloudInput;
  readonly force: boolean;
}

/**
 * Parses the command line. Only the shape is checked here (a flag's form, which flags go with
 * which network mode); the values themselves are checked by the config schema on the rendered file.
 * @throws UsageError
 */
export function parseNewCloudArgs(argv: readonly string[]): ParsedNewCloudArgs {
  const parsed = parseCommandArgs(argv, {
    allowPositionals: true,
    strict: true,
    options: {
      "clouds-yaml-entry": { type: "string" },
      region: { type: "string" },
      "image-name": { type: "string" },
      "image-alias": { type: "string" },
      "image-distribution": { type: "string" },
      flavor: { type: "string", multiple: true },
      "boot-volume-gib": { type: "string" },
      "network-mode": { type: "string" },
      "external-network": { type: "string" },
      "network-name": { type: "string" },
      "ipv4-cidr": { type: "string" },
      dns: { type: "string", multiple: true },
      "server-group-policy": { type: "string" },
      quota: { type: "string", multiple: true },
      description: { type: "string" },
      force: { type: "boolean", default: false },
    },
  });
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new UsageError(`expected one cloud name, got ${positionals.length}: ${positionals.join(" ")}`);
  }
  const input: NewCloudInput = {
    name: positionals[0],
    description: values.description,
    cloudsYamlEntry: values["clouds-yaml-entry"],
    region: values.region,
    imageName: values["image-name"],
    imageAlias: values["image-alias"],
    imageDistribution: values["image-distribution"],
    flavors: [],
    bootVolumeGib: values["boot-volume-gib"],
    networkMode: undefined,
    externalNetwork: values["external-network"],
    networkName: values["network-name"],
    ipv4Cidr: values["ipv4-cidr"],
    dnsNameservers: (values.dns ?? []).flatMap((entry) => entry.split(",")).map((entry) => entry.trim()).filter(Boolean),
    serverGroupPolicy: values["server-group-policy"],
    quota: (values.quota ?? []).map((spec) => {
      const match = /^([a-z_]+)=(.+)$/.exec(spec);
      if (!match) throw new UsageError(`--quota ${JSON.stringify(spec)}: expected item=number, such as cores=200`);
      return [match[1], match[2]] as [string, string];
    }),
  };
  for (const spec of values.flavor ?? []) addFlavor(input, spec);
  if (values["network-mode"] !== undefined) input.networkMode = parseNetworkMode(values["network-mode"]);
  if (input.name !== undefined) checkCloudName(input.name);
  checkNetworkFlags(input);
  return { input, force: values.force };
}

/**
 * `alias=name:vcpus:ram_gib:disk_gib`; the name may itself hold colons (the sizes are the last three fields).
 * @throws UsageError
 */
export function parseFlavorSpec(spec: string): NewCloudFlavor {
  const match = /^([^=]+)=(.+):([^:]*):([^:]*):([^:]*)$/.exec(spec.trim());
  if (!match || [2, 3, 4, 5].some((field) => !match[field].trim())) {
    throw new UsageError(`--flavor ${JSON.stringify(spec)}: expected alias=name:vcpus:ram_gib:disk_gib, for example search-data=m1.xlarge:16:64:160`);
  }
  return { alias: match[1].trim(), name: match[2].trim(), vcpus: match[3].trim(), ramGib: match[4].trim(), diskGib: match[5].trim() };
}

function addFlavor(input: NewCloudInput, spec: string): void {
  const flavor = parseFlavorSpec(spec);
  if (input.flavors.some((known) => known.alias === flavor.alias)) {
    throw new UsageError(`--flavor: the alias ${JSON.stringify(flavor.alias)} is given twice`);
  }
  input.flavors.push(flavor);
}

function parseNetworkMode(value: string): NetworkMode {
  if (value === "tenant" || value === "provider") return value;
  throw new UsageError(`--network-mode: got ${JSON.stringify(value)}; expected tenant or provider`);
}

function checkCloudName(name: string): void {
  if (!CLOUD_NAME.test(name)) {
    throw new UsageError(
      `cloud name ${JSON.stringify(name)}: expected 2-32 characters of a-z, 0-9 and '-', starting with a letter (it becomes the file name and deployments refer to it)`,
    );
  }
}

/** Flags that belong to the other network mode are a mistake, not something to ignore silently. */
function checkNetworkFlags(input: NewCloudInput): void {
  if (input.networkMode === "provider") {
    const tenantOnly = [
      ["--external-network", input.externalNetwork],
      ["--ipv4-cidr", input.ipv4Cidr],
      ["--dns", input.dnsNameservers.length > 0 ? "given" : undefined],
    ].filter(([, value]) => value !== undefined).map(([flag]) => flag);
    if (tenantOnly.length > 0) throw new UsageError(`${tenantOnly.join(", ")}: only for --network-mode tenant (a provider network has no router or subnet of ours)`);
  }
  if (input.networkMode === "tenant" && input.networkName !== undefined) {
    throw new UsageError("--network-name: only for --network-mode provider (a tenant network is created by the stack)");
  }
}

/** A required answer: the flag that gives it and the question asked on a terminal. */
export interface RequiredAnswer {
  readonly flag: string;
  readonly question: string;
}

const ANSWERS = {
  name: { flag: "<name> (the first argument)", question: "Name of the cloud (its file name; deployments say `cloud: <name>`)" },
  cloudsYamlEntry: { flag: "--clouds-yaml-entry", question: "Entry of clouds.yaml holding the credentials (what you would export as OS_CLOUD)" },
  region: { flag: "--region", question: "Region (`openstack region list`)" },
  imageName: { flag: "--image-name", question: "Name of the Ubuntu 24.04 or Debian 13 image in Glance (`openstack image list`; say which with --image-distribution)" },
  flavors: { flag: "--flavor", question: "Flavor as alias=name:vcpus:ram_gib:disk_gib, RAM in GiB (`openstack flavor list` shows MiB: divide by 1024), empty line when done" },
  networkMode: { flag: "--network-mode", question: "Network mode, tenant (private network, router, floating IPs) or provider (shared network with public addresses)" },
  externalNetwork: { flag: "--external-network", question: "External network for the router and floating IPs (`openstack network list --external`)" },
  networkName: { flag: "--network-name", question: "Provider network whose addresses are public (`openstack network list`)" },
} satisfies Record<string, RequiredAnswer>;

/** The required answers the input lacks, in the order they are asked. */
export function missingAnswers(input: NewCloudInput): RequiredAnswer[] {
  const missing: RequiredAnswer[] = [];
  if (!input.name) missing.push(ANSWERS.name);
  if (!input.cloudsYamlEntry) missing.push(ANSWERS.cloudsYamlEntry);
  if (!input.region) missing.push(ANSWERS.region);
  if (!input.imageName) missing.push(ANSWERS.imageName);
  if (input.flavors.length === 0) missing.push(ANSWERS.flavors);
  if (!input.networkMode) {
    missing.push({ ...ANSWERS.networkMode, flag: "--network-mode (then --external-network for tenant, --network-name for provider)" });
  } else if (input.networkMode === "tenant" && !input.externalNetwork) {
    missing.push(ANSWERS.externalNetwork);
  } else if (input.networkMode === "provider" && !input.networkName) {
    missing.push(ANSWERS.networkName);
  }
  return missing;
}

/** Asks one question and returns the answer (a line, without its newline). */
export type Ask = (question: string) => Promise<string>;

/**
 * Asks for every missing required answer, again while an answer is empty or malformed.
 * Returns a new input; the one given is not changed.
 */
export async function askMissing(input: NewCloudInput, ask: Ask, warn: (line: string) => void = () => {}): Promise<NewCloudAnswers> {
  const answers: NewCloudInput = { ...input, flavors: [...input.flavors], dnsNameservers: [...input.dnsNameservers] };
  const askUntil = async <T>(question: string, accept: (answer: string) => T): Promise<T> => {
    for (;;) {
      const answer = (await ask(`${question}: `)).trim();
      if (!answer) continue;
      try {
        return accept(answer);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        warn(error.message);
      }
    }
  };
  const text = (value: string) => value;
  const cloudName = (value: string) => {
    checkCloudName(value);
    return value;
  };
  if (!answers.name) answers.name = await askUntil(ANSWERS.name.question, cloudName);
  if (!answers.cloudsYamlEntry) answers.cloudsYamlEntry = await askUntil(ANSWERS.cloudsYamlEntry.question, text);
  if (!answers.region) answers.region = await askUntil(ANSWERS.region.question, text);
  if (!answers.imageName) answers.imageName = await askUntil(ANSWERS.imageName.question, text);
  if (answers.flavors.length === 0) {
    for (;;) {
      const answer = (await ask(`${ANSWERS.flavors.question}: `)).trim();
      if (!answer) {
        if (answers.flavors.length > 0) break;
        continue;
      }
      try {
        addFlavor(answers, answer);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        warn(error.message);
      }
    }
  }
  if (!answers.networkMode) answers.networkMode = await askUntil(ANSWERS.networkMode.question, parseNetworkMode);
  if (answers.networkMode === "tenant" && !answers.externalNetwork) {
    answers.externalNetwork = await askUntil(ANSWERS.externalNetwork.question, text);
  }
  if (answers.networkMode === "provider" && !answers.networkName) {
    answers.networkName = await askUntil(ANSWERS.networkName.question, text);
  }
  checkNetworkFlags(answers);
  return answers as NewCloudAnswers;
}

/** Asserts that no required answer is missing. @throws UsageError listing the missing flags */
export function requireComplete(input: NewCloudInput): NewCloudAnswers {
  const missing = missingAnswers(input);
  if (missing.length > 0) {
    throw new UsageError(
      `missing required answers, and stdin is not a terminal to ask for them:\n${missing
        .map((answer) => `  ${answer.flag}\n      ${answer.question.replace(/, empty line when done$/, "")}`)
        .join("\n")}`,
    );
  }
  return input as NewCloudAnswers;
}

/** One YAML scalar on one line: plain when that is safe, quoted otherwise. */
function scalar(value: string | number): string {
  const text = stringify(value, { lineWidth: 0 }).trimEnd();
  return text.includes("\n") ? JSON.stringify(value) : text;
}

/** A number as a YAML number when it looks like one, else the text as given (the schema says what is wrong with it). */
function numeric(value: string): string {
  return /^-?\d+(\.\d+)?$/.test(value) ? value : scalar(value);
}

/** The repository: the example config and the JSON Schemas are read from it, wherever the config folder is. */
const REPO_ROOT = path.resolve(__dirname, "..");

/** The `$schema` reference of a config file at `file`: the JSON Schema's path relative to the file's folder. */
export function schemaReference(file: string, kind: keyof typeof configKinds): string {
  const schema = path.join(REPO_ROOT, "schema", "config", configKinds[kind].jsonSchemaFile);
  return path.relative(path.dirname(path.resolve(file)), schema).split(path.sep).join("/");
}

/**
 * The cloud file: every setting with a comment saying what it is and where to find its value.
 * @param schemaRef the JSON Schema's path relative to the file @default as in config/clouds/
 */
export function renderCloudYaml(answers: NewCloudAnswers, schemaRef = "../../schema/config/cloud.schema.json"): string {
  const imageAlias = answers.imageAlias ?? DEFAULT_IMAGE_ALIAS;
  const lines = [
    `# yaml-language-server: $schema=${schemaRef}`,
    `#`,
    `# The cloud "${answers.name}": deployments run on it with \`cloud: ${answers.name}\` (the file name`,
    `# without .yaml). Written by \`npm run new-cloud\`; edit it freely, \`npm run synth\` checks it.`,
    answers.description !== undefined
      ? `description: ${scalar(answers.description)}`
      : `# description: Who donates this cloud, and notes for its admins.`,
    ``,
    `# The entry of clouds.yaml (~/.config/openstack/clouds.yaml or secure.yaml) that holds this`,
    `# cloud's credentials: the name under \`clouds:\`, what you would export as OS_CLOUD.`,
    `# Credentials never go into this file: the synthesized provider only names the entry.`,
    `clouds_yaml_entry: ${scalar(answers.cloudsYamlEntry)}`,
    `# The region of that entry (\`openstack region list\`).`,
    `region: ${scalar(answers.region)}`,
    ``,
    `# Image aliases, which deployments name (\`image: ${imageAlias}\`): the image's name in Glance`,
    `# (\`openstack image list\`) and what it runs, one of ${DISTRIBUTION_NAMES.join(", ")}. Every server`,
    `# of a deployment boots that image.`,
    `images:`,
    `  ${scalar(imageAlias)}:`,
    `    name: ${scalar(answers.imageName)}`,
    `    distribution: ${scalar(answers.imageDistribution ?? DEFAULT_DISTRIBUTION)}`,
    ``,
    `# Flavor aliases, which deployments name (\`flavor: <alias>\`): the flavor's name in Nova with`,
    `# its vCPUs, RAM and root disk in GiB, as \`openstack flavor list\` shows them (RAM there is in`,
    `# MiB: divide by 1024). The stack needs the sizes before it asks the cloud: heap sizes, capacity`,
    `# and root disk checks. A flavor with disk 0 boots its servers from a volume of boot_volume_gib.`,
    `flavors:`,
    ...answers.flavors.flatMap((flavor) => [
      `  ${scalar(flavor.alias)}:`,
      `    name: ${scalar(flavor.name)}`,
      `    vcpus: ${numeric(flavor.vcpus)}`,
      `    ram_gib: ${numeric(flavor.ramGib)}`,
      `    disk_gib: ${numeric(flavor.diskGib)}`,
      ...(Number(flavor.diskGib) === 0 && answers.bootVolumeGib !== undefined ? [`    boot_volume_gib: ${numeric(answers.bootVolumeGib)}`] : []),
    ]),
    ``,
    ...renderNetwork(answers),
    ``,
    `# How the servers of one role are spread: anti-affinity puts each on its own hypervisor and`,
    `# fails when there are too few; soft-anti-affinity spreads them as far as the cloud can.`,
    `server_group_policy: ${scalar(answers.serverGroupPolicy ?? "anti-affinity")}`,
    ``,
    `# The project's donated quota (openstack quota show); synth fails when the deployments on this`,
    `# cloud need more. Items: instances, cores, ram_gib, volumes, volume_gib, floating_ips,`,
    `# security_groups, security_group_rules; an item left out is not checked.`,
    ...(answers.quota.length > 0
      ? ["quota:", ...answers.quota.map(([item, value]) => `  ${item}: ${/^\d+(\.\d+)?$/.test(value) ? value : scalar(value)}`)]
      : ["# quota:", "#   instances: 30", "#   cores: 200"]),
    ``,
  ];
  return lines.join("\n");
}

function renderNetwork(answers: NewCloudAnswers): string[] {
  if (answers.networkMode === "provider") {
    return [
      `# provider: the servers join an existing network whose addresses are public; the stack`,
      `# creates no router and no floating IP.`,
      `network:`,
      `  mode: provider`,
      `  # The network's name (\`openstack network list\`; \`openstack network show <name>\` says`,
      `  # whether it is shared with your project).`,
      `  network_name: ${scalar(answers.networkName ?? "")}`,
    ];
  }
  return [
    `# tenant: the stack creates a private network and subnet behind a router; only the front end`,
    `# gets a floating IP.`,
    `network:`,
    `  mode: tenant`,
    `  # The external network the router uses as its gateway and floating IPs come from`,
    `  # (\`openstack network list --external\`).`,
    `  external_network: ${scalar(answers.externalNetwork ?? "")}`,
    `  # The private IPv4 subnet, /24 or larger; it must not overlap the networks the servers reach.`,
    `  # Search nodes get fixed addresses from host 16, DHCP hands out addresses from host 192.`,
    `  ipv4_cidr: ${scalar(answers.ipv4Cidr ?? "10.42.0.0/24")}`,
    ...(answers.dnsNameservers.length > 0
      ? [`  # DNS servers of the subnet.`, `  dns_nameservers:`, ...answers.dnsNameservers.map((address) => `    - ${scalar(address)}`)]
      : [`  # DNS servers of the subnet; unset means the cloud's own.`, `  # dns_nameservers: [1.1.1.1, 9.9.9.9]`]),
    `  # Optional: a private IPv6 subnet, and the network's MTU when the cloud's default is wrong.`,
    `  # ipv6_cidr: fd00:42::/64`,
    `  # mtu: 1450`,
  ];
}

/**
 * Checks a cloud file's text against the config model, as `npm run synth` would, and returns
 * its problems with their line and column in that text (none when it is valid).
 */
export function checkCloudYaml(file: string, text: string): ConfigProblem[] {
  const { problems } = checkYamlText(file, text, configKinds.clouds.schema);
  // One problem per setting: a value that is not a CIDR at all also fails the prefix rule, which would only repeat it.
  return problems.filter((problem, index) => problem.setting === "" || problems.findIndex((other) => other.setting === problem.setting) === index);
}

export interface WriteNewCloudResult {
  readonly file: string;
  /** The file's text, written only when there is no problem. */
  readonly text: string;
  readonly problems: readonly ConfigProblem[];
  /** Set when the file exists and `force` was not given; nothing was written. */
  readonly refused?: string;
  readonly written: boolean;
}

/** The file a cloud is written to: `<configDir>/clouds/<name>.yaml`. */
export function cloudFile(configDir: string, name: string): string {
  return path.join(configDir, "clouds", `${name}.yaml`);
}

/**
 * Renders, checks and writes the cloud file. Nothing is written when the text has a problem, or
 * when the file (or a `.yml` twin) exists and `force` is not set.
 */
export function writeNewCloud(configDir: string, answers: NewCloudAnswers, force = false): WriteNewCloudResult {
  const file = cloudFile(configDir, answers.name);
  const text = renderCloudYaml(answers, schemaReference(file, "clouds"));
  const existing = [file, file.replace(/\.yaml$/, ".yml")].find((candidate) => fs.existsSync(candidate));
  if (existing && !(force && existing === file)) {
    const hint = existing === file ? "pass --force to overwrite it" : "remove it first: two files would name the same cloud";
    return { file, text, problems: [], refused: `${existing} already exists; nothing was written (${hint})`, written: false };
  }
  const problems = checkCloudYaml(file, text);
  if (problems.length > 0) return { file, text, problems, written: false };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { flag: force ? "w" : "wx" });
  return { file, text, problems, written: true };
}

/** A word for a POSIX shell: as it is when that is safe, else in single quotes. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/**
 * The example deployment to start from: the first (by name) of the repository's config/ whose
 * cloud has the same network mode, since the network decides addresses, floating IPs and quota.
 */
export function exampleDeploymentFor(networkMode: NetworkMode): string | undefined {
  const dir = path.join(REPO_ROOT, "config");
  const modeOf = (cloud: unknown) => {
    const file = path.join(dir, "clouds", `${String(cloud)}.yaml`);
    return fs.existsSync(file) ? (parse(fs.readFileSync(file, "utf8")) as { network?: { mode?: string } })?.network?.mode : undefined;
  };
  const deployments = fs.existsSync(path.join(dir, "deployments")) ? fs.readdirSync(path.join(dir, "deployments")).filter((file) => file.endsWith(".yaml")).sort() : [];
  const match = deployments.find((file) => {
    const deployment = parse(fs.readFileSync(path.join(dir, "deployments", file), "utf8")) as { cloud?: unknown } | null;
    return modeOf(deployment?.cloud) === networkMode;
  });
  return match === undefined ? undefined : path.relative(process.cwd(), path.join(dir, "deployments", match));
}

/** What to do once the cloud file exists: commands that work as printed, from the repository's folder. */
export function nextSteps(configDir: string, answers: NewCloudAnswers): string {
  const imageAlias = answers.imageAlias ?? DEFAULT_IMAGE_ALIAS;
  const target = path.join(configDir, "deployments", "<deployment>.yaml");
  const env = path.resolve(configDir) === path.join(REPO_ROOT, "config") ? "" : `CONFIG_DIR=${shellWord(configDir)} `;
  const example = exampleDeploymentFor(answers.networkMode);
  const schemaRef = schemaReference(target, "deployments");
  const schemaNote = schemaRef === "../../schema/config/deployment.schema.json" ? "" : ` and, on its first line, \`$schema=${schemaRef}\``;
  return [
    "Next steps:",
    `  1. Review ${cloudFile(configDir, answers.name)}: its comments explain every setting.`,
    `  2. Put the credentials under \`${answers.cloudsYamlEntry}\` in ~/.config/openstack/clouds.yaml (never in this repository).`,
    `  3. Write a deployment that names this cloud${example ? `, from the example with a ${answers.networkMode} network` : ""}:`,
    ...(example ? [`       mkdir -p ${shellWord(path.dirname(target))} && cp ${shellWord(example)} ${shellWord(path.dirname(target))}/<deployment>.yaml`] : []),
    // A config folder without bug queries fails synth: start from the shipped ones.
    ...(fs.existsSync(path.join(configDir, "queries")) ? [] : [`       cp -r ${shellWord(path.relative(process.cwd(), path.join(REPO_ROOT, "config", "queries")))} ${shellWord(path.join(configDir, "queries"))}`]),
    `     and set \`cloud: ${answers.name}\`, \`image: ${imageAlias}\`, flavors from: ${answers.flavors.map((flavor) => flavor.alias).join(", ")}${schemaNote}.`,
    `  4. ${env}npm run preflight -- <deployment>   (checks the clouds.yaml entry, image, flavors, network and quota against the cloud)`,
    `  5. ${env}npm run synth`,
    `     ${env}npx cdktf diff <deployment>   (the plan, for review)`,
  ].join("\n");
}

/** The flag that gives a setting of the cloud file, to name it next to a problem. */
export function flagOf(setting: string): string | undefined {
  const flags: [RegExp, string][] = [
    [/^description$/, "--description"],
    [/^clouds_yaml_entry$/, "--clouds-yaml-entry"],
    [/^region$/, "--region"],
    [/^images\.[^.]+\.distribution$/, "--image-distribution"],
    [/^images\.[^.]+(\.name)?$/, "--image-alias / --image-name"],
    [/^flavors\.[^.]+\.boot_volume_gib$/, "--boot-volume-gib"],
    [/^flavors(\.|$)/, "--flavor"],
    [/^network\.external_network$/, "--external-network"],
    [/^network\.network_name$/, "--network-name"],
    [/^network\.ipv4_cidr$/, "--ipv4-cidr"],
    [/^network\.dns_nameservers/, "--dns"],
    [/^server_group_policy$/, "--server-group-policy"],
    [/^quota(\.|$)/, "--quota"],
  ];
  return flags.find(([pattern]) => pattern.test(setting))?.[1];
}

export interface NewCloudIo {
  /** Whether missing answers can be asked for (stdin is a terminal). */
  readonly interactive: boolean;
  readonly ask?: Ask;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** @default "config" */
  readonly configDir?: string;
}

/** The command: 0 when written, 1 on a problem or an existing file, 2 on a usage error (see lib/cli). */
export function newCloudCommand(io: Omit<NewCloudIo, "out" | "err">): Command {
  const configDir = io.configDir ?? "config";
  return {
    name: "new-cloud",
    usage: NEW_CLOUD_USAGE,
    run: async (argv, { out, err }) => {
      const parsed = parseNewCloudArgs(argv);
      const answers =
        io.interactive && io.ask && missingAnswers(parsed.input).length > 0
          ? await askMissing(parsed.input, io.ask, err)
          : requireComplete(parsed.input);
      const result = writeNewCloud(configDir, answers, parsed.force);
      if (result.refused) {
        err(`new-cloud: ${result.refused}`);
        return 1;
      }
      if (result.problems.length > 0) {
        err(`The cloud file would have ${result.problems.length} problem(s); nothing was written:`);
        const lines = result.text.split("\n");
        for (const problem of result.problems) {
          const flag = flagOf(problem.setting);
          err(`  ${formatProblem(problem)}${flag ? ` (from ${flag})` : ""}`);
          if (problem.line > 0) err(`    ${String(problem.line).padStart(4)} | ${lines[problem.line - 1]}`);
        }
        err("Fix the answer and run the command again.");
        return 1;
      }
      out(`Wrote ${result.file}.`);
      out(nextSteps(configDir, answers));
      return 0;
    },
  };
}

/** The whole command with its output collected by `io`; see newCloudCommand. */
export function runNewCloud(argv: readonly string[], io: NewCloudIo): Promise<number> {
  return runCommand(newCloudCommand(io), argv, io);
}
