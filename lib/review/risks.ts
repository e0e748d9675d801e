/**
 * The risks a reviewer must see before anything else in a stack's diff. A `blocking` finding
 * makes `npm run review` exit 1: data loss, a world-open port, a removed protection. A
 * `warning` needs a look but is often intended.
 */
import type { ResourceChange, StackDiff, StackJson } from "./diff";

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
  const destroyed = [...diff.removed, ...diff.replaced];
  for (const change of destroyed) findings.push(...destructionRisks(change));
  for (const change of [...diff.added, ...diff.replaced, ...diff.changed]) findings.push(...worldOpenIngress(change, after));
  for (const change of [...diff.changed, ...diff.replaced, ...diff.ignored]) findings.push(...protectionRemoved(change));
  for (const change of diff.changed) findings.push(...inPlaceRisks(change));
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

function destructionRisks(change: ResourceChange): Finding[] {
  const before = change.before ?? {};
  const how =
    change.action === "replace"
      ? `replaced (destroyed, then created ${change.type === VOLUME ? "empty" : "anew"}) because ${change.replacementReasons.join("; ")}`
      : "destroyed";
  const protectedNote = isProtected(before)
    ? " It has lifecycle.prevent_destroy, so terraform plan will refuse it."
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
  const role = (before.metadata as Record<string, unknown> | undefined)?.role;
  if (change.type === INSTANCE && typeof role === "string" && SEARCH_ROLES.includes(role)) {
    return [{
      ...base,
      severity: "blocking",
      rule: "search-node-destroyed",
      message:
        `search node ${String(before.name ?? change.name)} (${role}) is ${how}. ` +
        "Move its shards off first (or replace one node at a time with npm run replace-server, waiting for a green cluster).",
    }];
  }
  if (isProtected(before)) {
    return [{
      ...base,
      severity: "blocking",
      rule: "protected-resource-destroyed",
      message: `${change.address} is ${how}, but it has lifecycle.prevent_destroy, so terraform plan will refuse it.`,
    }];
  }
  return [];
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
