/**
 * The risks a reviewer must see before anything else in a stack's diff. A `blocking` finding
 * makes `npm run review` exit 1: data loss, a world-open port, a removed protection. A
 * `warning` needs a look but is often intended.
 */
import { consequenceOfUnignoring, deepEqual, lifecycleChangeOf, referencesIn, type ResourceChange, type StackDiff, type StackJson } from "./diff";

export type Severity = "blocking" | "warning";

export interface Finding {
  readonly severity: Severity;
  /** A short stable name of the rule, e.g. `data-volume-destroyed`. */
  readonly rule: string;
  /** The resource or setting concerned, when there is one. */
  readonly subject?: string;
  /** The construct path of the resource, when known. */
  readonly constructPath?: string;
  readonly message: string;
}

/** Quota checks of a synthesized stack, called with the stack after the change. */
export type QuotaHook = (stack: StackJson) => readonly Finding[];

export const noQuotaFindings: QuotaHook = () => [];

/** What main.ts records in a stack's "//" metadata: the cloud's usage by all its deployments, and its quota. */
export interface QuotaRecord {
  readonly cloud: string;
  readonly stack_usage: Record<string, number>;
  readonly cloud_usage: Record<string, number>;
  readonly quota: Record<string, number | undefined>;
}

export function quotaRecordOf(stack: StackJson): QuotaRecord | undefined {
  return (stack["//"] as { quota?: QuotaRecord } | undefined)?.quota;
}

/** A blocking finding for every quota item the cloud's deployments exceed together. */
export const recordedQuotaFindings: QuotaHook = (stack) => {
  const record = quotaRecordOf(stack);
  if (!record) return [];
  return Object.entries(record.quota)
    .filter(([item, limit]) => limit !== undefined && (record.cloud_usage[item] ?? 0) > limit)
    .map(([item, limit]) => ({
      severity: "blocking" as const,
      rule: "quota-exceeded",
      subject: `quota.${item}`,
      message: `the deployments on cloud ${record.cloud} need ${record.cloud_usage[item]} ${item}, the donated quota is ${limit}.`,
    }));
};

export interface RiskOptions {
  /** @default recordedQuotaFindings */
  readonly quotaFindings?: QuotaHook;
}

const VOLUME = "openstack_blockstorage_volume_v3";
const VOLUME_ATTACHMENT = "openstack_compute_volume_attach_v2";
const INSTANCE = "openstack_compute_instance_v2";
const RULE = "openstack_networking_secgroup_rule_v2";
const SECURITY_GROUP = "openstack_networking_secgroup_v2";
const SEARCH_ROLES = ["search-data", "search-master"];
/** Ports the public front end may open to the world with only a warning. */
const FRONTEND_PUBLIC_PORTS = [80, 443];
/** The public roles (their security groups are named `<deployment>-<role>`): the front end and the recheck dashboard. */
const PUBLIC_ROLE_SUFFIXES = ["-frontend", "-recheck"];

/** The findings for one stack's diff, blocking first. `after` is the stack after the change (undefined when it is removed). */
export function findRisks(diff: StackDiff, after: StackJson | undefined, options: RiskOptions = {}): Finding[] {
  const findings: Finding[] = [];
  // Nothing destroys the resources of a stack that is no longer synthesized: reviewStacks says what happens to them.
  if (diff.presence === "removed") return [];
  const destroyed = [...diff.removed, ...diff.replaced];
  const serverOf = instanceLookup(diff, after);
  for (const change of destroyed) findings.push(...destructionRisks(change, serverOf));
  for (const change of [...diff.added, ...diff.replaced, ...diff.changed]) findings.push(...worldOpenIngress(change, after));
  for (const change of [...diff.changed, ...diff.replaced, ...diff.ignored]) findings.push(...protectionRemoved(change));
  findings.push(...lifecycleRisks([...diff.changed, ...diff.replaced, ...diff.ignored]));
  for (const change of diff.changed) findings.push(...inPlaceRisks(change));
  findings.push(...rollingRisks(diff.changed, after));
  findings.push(...likelyRenames(diff.removed, diff.added));
  for (const change of diff.forgotten) findings.push(forgotten(change));
  // A new or removed stack brings or takes its providers along: only a change on both sides is news.
  for (const setting of diff.presence === "both" ? diff.providers : []) {
    const details = setting.changes.map((change) => change.path).join(", ");
    const what = `${setting.subject} is ${setting.kind}${details ? ` (${details})` : ""}`;
    findings.push(
      setting.subject === "backend"
        ? {
            severity: "warning",
            rule: "backend-changed",
            subject: setting.subject,
            message:
              `the state backend changes (${details}): migrate the state first (terraform init -migrate-state in the stack's folder), ` +
              "or Terraform starts from an empty state and plans to create every resource again.",
          }
        : {
            severity: "warning",
            rule: "provider-changed",
            subject: setting.subject,
            message: `${what}: it applies to every resource of the provider; check the plan against the real cloud.`,
          },
    );
  }
  if (after !== undefined) findings.push(...(options.quotaFindings ?? recordedQuotaFindings)(after));
  return sortFindings(findings);
}

export function sortFindings(findings: readonly Finding[]): Finding[] {
  const rank = (finding: Finding) => (finding.severity === "blocking" ? 0 : 1);
  return [...findings].sort((a, b) => rank(a) - rank(b) || (a.subject ?? "").localeCompare(b.subject ?? ""));
}

/** An instance's configuration by its address: after the change, or before it for a removed one. */
type InstanceLookup = (address: string) => Record<string, unknown> | undefined;

function instanceLookup(diff: StackDiff, after: StackJson | undefined): InstanceLookup {
  const current = ((after?.resource as Record<string, Record<string, Record<string, unknown>>> | undefined) ?? {})[INSTANCE] ?? {};
  const removed = new Map(diff.removed.filter((change) => change.type === INSTANCE).map((change) => [change.address, change.before ?? {}]));
  return (address) => current[address.slice(INSTANCE.length + 1)] ?? removed.get(address);
}

/** What a role keeps on its data volume, for the reviewer told that a server loses it. */
const DATA_VOLUME_CONTENTS: Readonly<Record<string, { readonly server: string; readonly holds: string }>> = {
  "search-data": { server: "search node", holds: "its shards" },
  monitoring: { server: "monitoring server", holds: "the metrics history and Alertmanager's silences" },
};

/** Who loses the disk when a volume attachment goes: the server it attaches to, by its role. */
function attachedServerLoss(change: ResourceChange, serverOf: InstanceLookup): string {
  const config = change.before ?? change.after ?? {};
  const [instance] = referencesIn(String(config.instance_id ?? "")).filter((reference) => reference.address.startsWith(`${INSTANCE}.`));
  const server = instance ? serverOf(instance.address) : undefined;
  const role = server ? roleOf(server) : undefined;
  if (server === undefined || role === undefined) return "its server loses its data disk";
  const known = DATA_VOLUME_CONTENTS[role];
  const name = typeof server.name === "string" && !server.name.includes("${") ? ` ${server.name}` : "";
  return known
    ? `${known.server}${name} (${role}) loses its data disk, with ${known.holds}`
    : `${role} server${name} loses its data disk`;
}

function destructionRisks(change: ResourceChange, serverOf: InstanceLookup): Finding[] {
  const before = change.before ?? {};
  const how =
    change.action === "replace"
      ? `replaced (destroyed, then created ${change.type === VOLUME ? "empty" : "anew"}) because ${change.replacementReasons.join("; ")}`
      : "destroyed";
  // Terraform checks prevent_destroy in the configuration: a replaced resource keeps its block, a removed one takes it along.
  const protectedNote =
    change.action === "replace"
      ? isProtected(change.after ?? {}) ? " It has lifecycle.prevent_destroy, so terraform plan will refuse it." : ""
      : isProtected(before)
        ? " Its lifecycle.prevent_destroy does not stop this: the protection goes away with the removed resource block."
        : "";
  const base = { subject: change.address, constructPath: change.constructPath };
  if (change.type === VOLUME) {
    return [{
      ...base,
      severity: "blocking",
      rule: "data-volume-destroyed",
      message: `data volume ${String(before.name ?? change.name)} (${String(before.size ?? "?")} GiB) is ${how}: its data is lost.${protectedNote}`,
    }];
  }
  const role = roleOf(before);
  if (change.type === INSTANCE && role !== undefined && SEARCH_ROLES.includes(role)) {
    return [{
      ...base,
      severity: "blocking",
      rule: "search-node-destroyed",
      message:
        `search node ${String(before.name ?? change.name)} (${role}) is ${how}. ` +
        "Move its shards off first (or replace one node at a time with npm run replace-server, waiting for a green cluster).",
    }];
  }
  if (change.type === VOLUME_ATTACHMENT) {
    return [{
      ...base,
      severity: "blocking",
      rule: "data-volume-detached",
      message:
        `the volume attachment is ${how}: the data volume is detached from its server while it runs` +
        `${change.action === "replace" ? " and attached again" : ""}; ${attachedServerLoss(change, serverOf)}.`,
    }];
  }
  if (isProtected(change.action === "replace" ? change.after ?? {} : before)) {
    return [{
      ...base,
      severity: "blocking",
      rule: "protected-resource-destroyed",
      message: `${change.address} is ${how}, but it has lifecycle.prevent_destroy, so terraform plan will refuse it.`,
    }];
  }
  if (isProtected(before)) {
    return [{
      ...base,
      severity: "blocking",
      rule: "protected-resource-destroyed",
      message: `${change.address} is ${how}.${protectedNote}`,
    }];
  }
  return [];
}

function roleOf(config: Record<string, unknown>): string | undefined {
  const role = (config.metadata as Record<string, unknown> | undefined)?.role;
  return typeof role === "string" ? role : undefined;
}

function isSearchNode(change: ResourceChange): boolean {
  const role = roleOf(change.after ?? change.before ?? {});
  return change.type === INSTANCE && role !== undefined && SEARCH_ROLES.includes(role);
}

/** How a reviewer knows a resource: its name in the cloud, else its address. */
function displayName(change: ResourceChange): string {
  const name = (change.after ?? change.before ?? {}).name;
  return typeof name === "string" && !name.includes("${") ? name : change.address;
}

/** Resources grouped by a key, in first-seen order. */
function groupBy<T>(items: readonly T[], key: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const value = key(item);
    if (value === undefined) continue;
    groups.set(value, [...(groups.get(value) ?? []), item]);
  }
  return groups;
}

function names(changes: readonly ResourceChange[]): string {
  return changes.map(displayName).join(", ");
}

/**
 * Lifecycle changes that plan nothing today but decide what later plans (or this one, with
 * the state's real values) do: an argument no longer ignored, a protection or an ordering removed.
 */
function lifecycleRisks(changes: readonly ResourceChange[]): Finding[] {
  const findings: Finding[] = [];
  const withLifecycle = changes.filter((change) => change.before && change.after && change.changes.some((item) => item.argument === "lifecycle"));
  const unignored = groupBy(withLifecycle, (change) => {
    const arguments_ = lifecycleChangeOf(change.before!, change.after!).noLongerIgnored;
    return arguments_.length > 0 ? JSON.stringify([change.type, roleOf(change.after!) ?? "", arguments_]) : undefined;
  });
  for (const [key, group] of unignored) {
    const [type, role, arguments_] = JSON.parse(key) as [string, string, string[]];
    const consequences = arguments_.map((argument) => consequenceOfUnignoring(type, argument));
    const replaces = consequences.some((consequence) => consequence.replaces);
    const stateful = group.some((change) => isSearchNode(change) || change.type === VOLUME);
    const noun = type === INSTANCE ? "server" : "resource";
    const who = `${group.length === 1 ? "" : `${group.length} `}${role ? `${role} ` : ""}${noun}${group.length === 1 ? "" : "s"} (${names(group)})`;
    findings.push({
      severity: replaces && stateful ? "blocking" : "warning",
      rule: "ignore-changes-narrowed",
      subject: group[0].address,
      constructPath: group[0].constructPath,
      message:
        `lifecycle.ignore_changes no longer covers ${arguments_.join(", ")} on ${who}: Terraform now compares the value each was ` +
        `created with (in the state) with this configuration, and ${consequences.map((consequence) => consequence.what).join("; ")}. ` +
        `Every one whose ${arguments_.join(" or ")} changed since it was created (each change ignored so far) is ` +
        `${replaces ? "replaced" : "updated"} by the next plan, all at the same time` +
        (stateful ? "; keep it ignored and roll changes out one node at a time with npm run replace-server." : "."),
    });
  }
  const unordered = groupBy(withLifecycle, (change) =>
    lifecycleChangeOf(change.before!, change.after!).createBeforeDestroyRemoved ? `${change.type} ${roleOf(change.after!) ?? ""}` : undefined,
  );
  for (const group of unordered.values()) {
    findings.push({
      severity: "warning",
      rule: "create-before-destroy-removed",
      subject: group[0].address,
      constructPath: group[0].constructPath,
      message:
        `lifecycle.create_before_destroy is removed from ${names(group)}: a later replacement destroys the old one first and ` +
        "creates the new one after, so the service is down in between (and a name or address the new one needs is taken until then).",
    });
  }
  return findings;
}

/** Arguments of a server whose in-place update stops the server for a while (provider 3.4.0: resize, rebuild, power state). */
const DISRUPTIVE_ARGUMENTS = ["flavor_id", "flavor_name", "image_id", "image_name", "personality", "power_state"];

/**
 * In-place changes that restart more than one search node, or every master, in the same apply:
 * Terraform updates them in parallel, so the cluster loses its replicas (or its quorum) at once.
 */
function rollingRisks(changed: readonly ResourceChange[], after: StackJson | undefined): Finding[] {
  const disrupted = changed.filter(
    (change) => isSearchNode(change) && change.changes.some((item) => item.effect === "update" && DISRUPTIVE_ARGUMENTS.includes(item.argument)),
  );
  if (disrupted.length === 0) return [];
  const masters = Object.values(((after?.resource ?? {}) as Record<string, Record<string, Record<string, unknown>>>)[INSTANCE] ?? {}).filter(
    (config) => roleOf(config) === "search-master",
  ).length;
  const disruptedMasters = disrupted.filter((change) => roleOf(change.after!) === "search-master").length;
  const allMasters = masters > 0 && disruptedMasters === masters;
  if (disrupted.length < 2 && !allMasters) return [];
  const what = [...new Set(disrupted.flatMap((change) =>
    change.changes.filter((item) => item.effect === "update" && DISRUPTIVE_ARGUMENTS.includes(item.argument)).map((item) => `${item.argument}: ${item.note ?? "updated in place"}`),
  ))].join("; ");
  return [{
    severity: "warning",
    rule: "search-nodes-restarted-together",
    subject: disrupted[0].address,
    constructPath: disrupted[0].constructPath,
    message:
      `${disrupted.length} search nodes are changed in place in the same apply (${names(disrupted)}): ${what}. ` +
      `Terraform updates them in parallel, so they are down together${allMasters ? ": every master, so the cluster has no quorum" : ": shards without a live copy go red"}. ` +
      "One node at a time instead: terraform -chdir=cdktf.out/stacks/<stack> apply -target=<address> for each node in turn, " +
      "waiting for a green cluster in between, then the full apply.",
  }];
}

/**
 * A removed and an added resource of the same type and configuration (references compared
 * without the names they point to) are most likely one renamed construct: Terraform destroys
 * and creates it unless a `moved` block says otherwise.
 */
function likelyRenames(removed: readonly ResourceChange[], added: readonly ResourceChange[]): Finding[] {
  const findings: Finding[] = [];
  const unmatched = [...added];
  for (const old of removed) {
    const index = unmatched.findIndex((candidate) => candidate.type === old.type && deepEqual(shapeOf(old.before), shapeOf(candidate.after)));
    if (index < 0) continue;
    const [renamed] = unmatched.splice(index, 1);
    findings.push({
      severity: "warning",
      rule: "rename-without-moved",
      subject: renamed.address,
      constructPath: renamed.constructPath,
      message:
        `${old.address}${old.constructPath ? ` (${old.constructPath})` : ""} is removed and ${renamed.address} added with the same configuration: ` +
        "if the construct was renamed, Terraform destroys the old one and creates a new one. To keep it, move it: " +
        `call \`.moveFromId("${old.address}")\` on the new resource in the code (or \`moveTo\` on the old one), which synthesizes ` +
        `\`moved { from = ${old.address}, to = ${renamed.address} }\`.`,
    });
  }
  return findings;
}

/** A configuration with every reference's resource name blanked: what stays when a referred resource is renamed too. */
function shapeOf(config: Record<string, unknown> | undefined): unknown {
  const blank = (value: unknown): unknown => {
    if (typeof value === "string") {
      return referencesIn(value).reduce((text, reference) => text.split(reference.text).join(`${reference.address.replace(/\.[^.]+$/, ".*")}.${reference.path}`), value);
    }
    if (Array.isArray(value)) return value.map(blank);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, blank(item)]));
    return value;
  };
  return blank(config ?? {});
}

function forgotten(change: ResourceChange): Finding {
  return {
    severity: "warning",
    rule: "resource-forgotten",
    subject: change.address,
    constructPath: change.constructPath,
    message:
      `${change.address} is removed from the state by a removed block (destroy = false) but stays in the cloud: ` +
      "it keeps running and counting against the quota, and no configuration manages it any more.",
  };
}

function isProtected(config: Record<string, unknown>): boolean {
  return (config.lifecycle as { prevent_destroy?: unknown } | undefined)?.prevent_destroy === true;
}

function protectionRemoved(change: ResourceChange): Finding[] {
  if (!change.before || !change.after || !isProtected(change.before) || isProtected(change.after)) return [];
  return [{
    severity: "blocking",
    rule: "prevent-destroy-removed",
    subject: change.address,
    constructPath: change.constructPath,
    message: `lifecycle.prevent_destroy is removed from ${change.address}: a later plan could destroy it without an error.`,
  }];
}

function inPlaceRisks(change: ResourceChange): Finding[] {
  const findings: Finding[] = [];
  const base = { subject: change.address, constructPath: change.constructPath };
  const size = change.changes.find((item) => item.path === "size" && item.effect === "update");
  if (change.type === VOLUME && size && typeof size.before === "number" && typeof size.after === "number" && size.after < size.before) {
    findings.push({
      ...base,
      severity: "warning",
      rule: "data-volume-shrunk",
      message: `data volume size goes from ${size.before} to ${size.after} GiB: Cinder cannot shrink a volume, so the apply will fail.`,
    });
  }
  if (change.changes.some((item) => item.effect === "update" && item.note?.startsWith("no replacement facts"))) {
    findings.push({
      ...base,
      severity: "warning",
      rule: "unknown-resource-type",
      message: `${change.type} is not in lib/review/force-new.ts: this review cannot tell whether the change replaces it; add the type's ForceNew arguments.`,
    });
  }
  return findings;
}

/** Ingress from 0.0.0.0/0 or ::/0 (or from anywhere: no remote prefix nor group) that the change opens. */
function worldOpenIngress(change: ResourceChange, after: StackJson | undefined): Finding[] {
  if (change.type !== RULE || !change.after || !isWorldOpenIngress(change.after)) return [];
  if (change.before && isWorldOpenIngress(change.before) && samePorts(change.before, change.after)) return [];
  const rule = change.after;
  const protocol = typeof rule.protocol === "string" ? rule.protocol : undefined;
  const ports = portRange(rule);
  const groupName = securityGroupName(rule.security_group_id, after);
  const webOnly =
    protocol === "tcp" && ports !== undefined && ports.every((port) => FRONTEND_PUBLIC_PORTS.includes(port));
  const onPublicRole = PUBLIC_ROLE_SUFFIXES.some((suffix) => groupName?.endsWith(suffix) ?? false);
  const what = `${protocol ?? "every protocol"} ${describePorts(rule)}`;
  const where = groupName ? `security group ${groupName}` : "its security group";
  if (webOnly && onPublicRole) {
    return [{
      severity: "warning",
      rule: "world-open-ingress",
      subject: change.address,
      constructPath: change.constructPath,
      message: `${where} accepts ${what} from ${String(rule.remote_ip_prefix ?? "anywhere")}: web ports of a public role, check that this is intended.`,
    }];
  }
  return [{
    severity: "blocking",
    rule: "world-open-ingress",
    subject: change.address,
    constructPath: change.constructPath,
    message:
      `${where} accepts ${what} from ${String(rule.remote_ip_prefix ?? "anywhere")}: open to the whole Internet. ` +
      "Only ports 80 and 443 of the front end and the recheck dashboard may be; allow the admin prefixes or a peer security group instead.",
  }];
}

function isWorldOpenIngress(rule: Record<string, unknown>): boolean {
  if (rule.direction !== "ingress") return false;
  const prefix = rule.remote_ip_prefix;
  if (typeof prefix === "string") return /\/0$/.test(prefix.trim());
  return rule.remote_group_id === undefined && rule.remote_address_group_id === undefined;
}

function samePorts(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return a.protocol === b.protocol && a.port_range_min === b.port_range_min && a.port_range_max === b.port_range_max;
}

/** Every port of the rule, or undefined for all ports (or a range given by a reference). */
function portRange(rule: Record<string, unknown>): number[] | undefined {
  const from = rule.port_range_min;
  const to = rule.port_range_max ?? from;
  if (typeof from !== "number" || typeof to !== "number" || to < from || to - from > 65535) return undefined;
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}

function describePorts(rule: Record<string, unknown>): string {
  const from = rule.port_range_min;
  const to = rule.port_range_max;
  if (from === undefined) return "on every port";
  return from === to || to === undefined ? `port ${String(from)}` : `ports ${String(from)}-${String(to)}`;
}

/** The name of the security group a rule's `security_group_id` refers to, when it is a plain reference into the stack. */
function securityGroupName(groupId: unknown, stack: StackJson | undefined): string | undefined {
  if (typeof groupId !== "string") return undefined;
  const match = new RegExp(`^\\$\\{${SECURITY_GROUP}\\.([\\w-]+)\\.id\\}$`).exec(groupId);
  if (!match) return undefined;
  const groups = ((stack?.resource ?? {}) as Record<string, Record<string, { name?: unknown }>>)[SECURITY_GROUP] ?? {};
  const name = groups[match[1]]?.name;
  return typeof name === "string" ? name : undefined;
}

/** The resources of stacks removed by the change, which nothing destroys: they keep using the cloud's quota. */
export interface LeftBehind {
  readonly stacks: readonly string[];
  readonly usage: Readonly<Record<string, number>>;
}

/** Where a stack keeps its state: the backend's key or path. */
function stateLocation(stack: StackJson | undefined): string {
  const backend = ((stack?.terraform ?? {}) as { backend?: Record<string, Record<string, unknown>> }).backend ?? {};
  const [type, config] = Object.entries(backend)[0] ?? ["local", {}];
  const where = config.key ?? config.path ?? config.prefix;
  return where === undefined ? `${type} backend` : `${type} backend, ${String(where)}`;
}

function stackContents(list: readonly ResourceChange[]): string {
  const volumes = list.filter((change) => change.type === VOLUME);
  const gib = volumes.reduce((sum, change) => sum + Number((change.before ?? change.after ?? {}).size ?? 0), 0);
  const nodes = list.filter(isSearchNode).length;
  const parts = [
    ...(volumes.length > 0 ? [`${volumes.length} data volume${volumes.length === 1 ? "" : "s"}, ${gib} GiB`] : []),
    ...(nodes > 0 ? [`${nodes} search node${nodes === 1 ? "" : "s"}`] : []),
  ];
  return `${list.length} resources${parts.length > 0 ? ` (${parts.join("; ")})` : ""}`;
}

/**
 * A stack that is no longer synthesized: `cdktf deploy` does not know it any more, so nothing
 * destroys it. `appearing` names the stacks this change adds on the same cloud (a rename, most likely).
 */
export function removedStackFinding(diff: StackDiff, before: StackJson, appearing: readonly string[]): Finding {
  const cloud = quotaRecordOf(before)?.cloud;
  const rename = appearing.length > 0
    ? ` This change adds ${appearing.map((name) => `\`${name}\``).join(", ")} on the same cloud: if it is a rename, the new stack does not ` +
      "inherit this state (the stack name, the deployment file's name, is the state's key): it starts empty and builds everything " +
      "again beside the old one, with new, empty data volumes. Keep the file name to keep the deployment."
    : "";
  return {
    severity: "blocking",
    rule: "stack-removed",
    subject: `stack ${diff.stack}`,
    message:
      `stack ${diff.stack} is no longer synthesized: cdktf deploy does not touch it, so its ${stackContents(diff.removed)} ` +
      `keep running and its state (${stateLocation(before)}) stays${cloud ? `, still counting against cloud ${cloud}'s quota` : ""}. ` +
      `To delete it on purpose, run cdktf destroy ${diff.stack} from the base revision first.${rename}`,
  };
}

/** A new stack beside stacks removed from the same cloud: it starts from an empty state, and the old ones keep their quota. */
export function appearingStackFindings(diff: StackDiff, after: StackJson, leftBehind: LeftBehind): Finding[] {
  const findings: Finding[] = [{
    severity: "warning",
    rule: "stack-starts-empty",
    subject: `stack ${diff.stack}`,
    message:
      `stack ${diff.stack} starts from an empty state (${stateLocation(after)}): all its ${stackContents(diff.added)} are created ` +
      `new, while ${leftBehind.stacks.join(", ")}, removed by this change, keeps running beside it.`,
  }];
  const record = quotaRecordOf(after);
  if (!record) return findings;
  for (const [item, limit] of Object.entries(record.quota)) {
    const together = (record.cloud_usage[item] ?? 0) + (leftBehind.usage[item] ?? 0);
    if (limit === undefined || together <= limit || (record.cloud_usage[item] ?? 0) > limit) continue;
    findings.push({
      severity: "blocking",
      rule: "quota-exceeded",
      subject: `quota.${item}`,
      message:
        `the deployments on cloud ${record.cloud} and ${leftBehind.stacks.join(", ")} (left running) need ${together} ${item} together, ` +
        `the donated quota is ${limit}.`,
    });
  }
  return findings;
}
