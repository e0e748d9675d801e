/**
 * The Markdown report of a review, fit for a code-review comment: per stack, a title with the
 * counts, the risks first (blocking before warnings), then tables of the replaced, removed,
 * added and changed resources with their changed attributes. Long values are summarised
 * (`changed (10118 → 10342 bytes, 4 lines differ)`), and a value that refers to a sensitive
 * attribute or variable is never shown.
 */
import { isSensitiveAttribute } from "./force-new";
import { HARMLESS_META_NOTE, referencesIn, type AttributeChange, type ResourceChange, type SettingChange } from "./diff";
import type { StackReview } from "./index";
import type { Finding } from "./risks";

/** Provider arguments whose values are never shown. */
const CREDENTIAL_NAME = /password|secret|token|key/i;
/** Tables longer than this are folded in a <details> block. */
const FOLD_ROWS = 20;
/** Values longer than this (or on several lines) are summarised. */
const MAX_VALUE_CHARS = 60;

export interface ReportHeader {
  /** What the change is compared with, e.g. "`main` (1a2b3c4)". */
  readonly base: string;
  /** What is reviewed, e.g. "the working tree". */
  readonly head: string;
}

/** The whole report: a summary line, then one section per stack. */
export function renderReport(reviews: readonly StackReview[], header?: ReportHeader): string {
  const blocking = count(reviews, "blocking");
  const warnings = count(reviews, "warning");
  const lines: string[] = [];
  if (header) {
    lines.push(`# Review of ${header.head} against ${header.base}`, "");
    lines.push(
      `${plural(reviews.length, "stack")} compared: ${plural(blocking, "blocking risk")}, ${plural(warnings, "warning")}.`,
      "",
    );
  }
  if (reviews.length === 0) lines.push("No stack on either side.", "");
  for (const review of reviews) lines.push(renderStackReport(review));
  lines.push(OFFLINE_LIMITS);
  return `${lines.join("\n").trimEnd()}\n`;
}

/** What a review of the configuration alone cannot know; said once per report. */
export const OFFLINE_LIMITS = [
  "## What this review cannot see",
  "",
  "It compares configurations, offline: the cloud and the Terraform state are not read, so `cdktf diff` against the real state stays the final word. In particular:",
  "",
  "- a flavor deleted in the cloud: a server whose flavor no longer exists is replaced, not resized, when its flavor changes;",
  "- a new image under `most_recent`: the image data source then returns another id, and servers that do not ignore `image_id` are rebuilt;",
  "- time: certificates (`tls_*_cert`) within `early_renewal_hours` of expiry are replaced by the next plan, with everything that uses them;",
  "- drift: anything changed outside Terraform, and values ignored by `lifecycle.ignore_changes` that differ from the state.",
  "",
].join("\n");

/** One stack's section. */
export function renderStackReport(review: StackReview): string {
  const { diff, findings } = review;
  const lines: string[] = [];
  const presence = diff.presence === "added" ? " (new stack)" : diff.presence === "removed" ? " (stack removed)" : "";
  const counts = [
    `${diff.added.length} added`,
    `${diff.removed.length} removed`,
    `${diff.replaced.length} replaced`,
    `${diff.changed.length} changed`,
    ...(diff.moved.length > 0 ? [`${diff.moved.length} moved`] : []),
    ...(diff.imported.length > 0 ? [`${diff.imported.length} imported`] : []),
    ...(diff.forgotten.length > 0 ? [`${diff.forgotten.length} forgotten`] : []),
  ].join(", ");
  const blocking = findings.filter((finding) => finding.severity === "blocking").length;
  const risks = `${plural(blocking, "blocking risk")}, ${plural(findings.length - blocking, "warning")}`;
  const nothing =
    [
      diff.added, diff.removed, diff.replaced, diff.changed, diff.ignored, diff.moved, diff.imported, diff.forgotten, diff.dataSources,
      diff.variables, diff.outputs, diff.providers,
    ].every(
      (list) => list.length === 0,
    ) && findings.length === 0;
  lines.push(`## Stack \`${diff.stack}\`${presence}: ${nothing ? "no changes" : `${risks}; ${counts}`}`, "");
  if (nothing) return lines.join("\n");

  if (findings.length > 0) {
    lines.push("### Risks", "");
    for (const finding of findings) lines.push(renderFinding(finding));
    lines.push("");
  }
  const quota = review.quota;
  if (quota) {
    const left = review.leftBehind;
    const items = Object.keys(quota.stack_usage).map((item) => {
      const cells = [item, quota.stack_usage[item], quota.cloud_usage[item] ?? "-"];
      if (left) cells.push(left.usage[item] ?? 0, (quota.cloud_usage[item] ?? 0) + (left.usage[item] ?? 0));
      return `| ${[...cells, quota.quota[item] ?? "-"].join(" | ")} |`;
    });
    const header = left
      ? ["item", "this stack", "all deployments on the cloud", `left running by ${left.stacks.map((stack) => `\`${stack}\``).join(", ")}`, "together", "quota"]
      : ["item", "this stack", "all deployments on the cloud", "quota"];
    lines.push(`### Quota of cloud \`${quota.cloud}\``, "", `| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...items, "");
  }
  const secrets = diff.sensitiveVariables;
  section(lines, "Replaced", diff.replaced, (change) => attributeRows(change, true, secrets));
  listSection(lines, "Removed", diff.removed);
  listSection(lines, "Added", diff.added);
  table(lines, "Moved", diff.moved.length, ["resource", "moved from"], diff.moved.map((change) => [resourceCell(change), `\`${change.movedFrom}\``]));
  table(lines, "Imported", diff.imported.length, ["resource", "what", "adopts the object"], diff.imported.map((change) => [
    resourceCell(change), escapeText(describe(change)), code(change.importId ?? ""),
  ]));
  listSection(lines, "Forgotten (left in the cloud, removed from the state)", diff.forgotten);
  section(lines, "Changed in place", diff.changed, (change) => attributeRows(change, false, secrets));
  section(lines, "Not applied", diff.ignored, (change) => attributeRows(change, false, secrets));
  if (diff.ignored.length > 0) {
    lines.push(
      "These changes are in the configuration, but `lifecycle.ignore_changes` keeps them out of the plan: servers that " +
        "ignore their user data or image get them only when replaced (`npm run replace-server`).",
      "",
    );
  }
  // A new or removed stack brings or takes all of its providers and data sources: listing them says nothing.
  if (diff.presence === "both") {
    settings(lines, "Providers and backend", diff.providers, secrets);
    settings(lines, "Data sources", diff.dataSources, secrets);
  }
  settings(lines, "Variables", diff.variables, secrets);
  settings(lines, "Outputs", diff.outputs, secrets);
  return lines.join("\n");
}

function renderFinding(finding: Finding): string {
  const label = finding.severity === "blocking" ? "**BLOCKING**" : "**warning**";
  const where = finding.subject ? ` \`${finding.subject}\`${finding.constructPath ? ` (${escapeText(finding.constructPath)})` : ""}` : "";
  return `- ${label}${where}: ${escapeText(finding.message)}`;
}

type Row = [resource: string, attribute: string, change: string, effect: string];

/** A table of replaced or changed resources, one row per changed attribute. */
function section(lines: string[], title: string, changes: readonly ResourceChange[], rows: (change: ResourceChange) => Row[]): void {
  table(lines, title, changes.length, ["resource", "attribute", "change", "effect"], changes.flatMap(rows));
}

/** A table of added or removed resources, with what each is. */
function listSection(lines: string[], title: string, changes: readonly ResourceChange[]): void {
  table(lines, title, changes.length, ["resource", "what"], changes.map((change) => [resourceCell(change), escapeText(describe(change))]));
}

function table(lines: string[], title: string, resources: number, header: readonly string[], rows: readonly string[][]): void {
  if (resources === 0) return;
  const text = [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((row) => `| ${row.join(" | ")} |`)];
  lines.push(`### ${title} (${resources})`, "");
  if (rows.length > FOLD_ROWS) {
    lines.push(`<details><summary>${plural(resources, "resource")}</summary>`, "", ...text, "", "</details>", "");
  } else {
    lines.push(...text, "");
  }
}

/** One line about a resource: its name, a volume's size, a rule's flow. */
function describe(change: ResourceChange): string {
  const config = (change.after ?? change.before ?? {}) as Record<string, unknown>;
  if (change.type === "openstack_networking_secgroup_rule_v2") {
    const ports =
      config.port_range_min === undefined
        ? "every port"
        : config.port_range_min === config.port_range_max
          ? `port ${String(config.port_range_min)}`
          : `ports ${String(config.port_range_min)}-${String(config.port_range_max)}`;
    const remote = typeof config.remote_ip_prefix === "string" ? config.remote_ip_prefix : typeof config.remote_group_id === "string" ? "a peer group" : "anywhere";
    const preposition = config.direction === "egress" ? "to" : "from";
    return `${String(config.direction)} ${String(config.protocol ?? "any protocol")} ${ports} ${preposition} ${remote}`;
  }
  const name = typeof config.name === "string" && !config.name.includes("${") ? config.name : "";
  if (change.type === "openstack_blockstorage_volume_v3") return `${name}, ${String(config.size)} GiB`;
  return name;
}

function resourceCell(change: ResourceChange): string {
  const moved = change.movedFrom && change.action !== "move" ? `<br>moved from \`${change.movedFrom}\`` : "";
  return `\`${change.address}\`${change.constructPath ? `<br>${escapeText(change.constructPath)}` : ""}${moved}`;
}

function attributeRows(change: ResourceChange, replaced: boolean, sensitiveVariables: readonly string[]): Row[] {
  const rows: Row[] = change.changes.map((item, index) => [
    index === 0 ? resourceCell(change) : "",
    `\`${item.path}\``,
    renderChange(change.type, item, false, sensitiveVariables),
    renderEffect(item, replaced),
  ]);
  return rows.length > 0 ? rows : [[resourceCell(change), "", "", ""]];
}

function renderEffect(change: AttributeChange, replaced: boolean): string {
  switch (change.effect) {
    case "replace":
      return change.via ? `forces replacement: ${escapeText(change.note ?? "")}` : "forces replacement";
    case "ignored":
      return "ignored (lifecycle.ignore_changes)";
    case "meta":
      return change.note && change.note !== HARMLESS_META_NOTE ? escapeText(change.note) : "meta-argument (plans nothing by itself)";
    case "update":
      return escapeText(change.note ?? (replaced ? "in place, but the resource is replaced" : "in place"));
  }
}

/** The change of one attribute, summarised and without sensitive values. */
export function renderChange(
  type: string,
  change: AttributeChange,
  sensitiveArgument = false,
  sensitiveVariables: readonly string[] = [],
): string {
  if (change.via) {
    const referred = change.referred;
    if (referred?.kind === "changed") {
      const [reference] = referencesIn(`\${${referred.reference}}`);
      const hidden = sensitiveArgument || (reference !== undefined && isSensitiveAttribute(reference.address.split(".")[0], reference.attribute));
      const values = { ...change, via: undefined, referred: undefined, before: referred.before, after: referred.after };
      return `same expression, its value: ${renderChange(type, values, hidden, sensitiveVariables)}`;
    }
    return change.via.startsWith("data.") ? "same expression, may differ at plan" : "same expression, known after apply";
  }
  const { before, after } = change;
  // A long value is only measured, so sizes are safe to show even when it embeds a sensitive reference.
  if (isLong(before) || isLong(after)) {
    if (before === undefined) return `added (${sizeOf(after)})`;
    if (after === undefined) return `removed (${sizeOf(before)})`;
    const differing = typeof before === "string" && typeof after === "string" ? changedLines(before, after) : undefined;
    const lines = differing === undefined ? "" : `, ${plural(differing, "line")} ${differing === 1 ? "differs" : "differ"}`;
    return `changed (${sizeOf(before, false)} → ${sizeOf(after)}${lines})`;
  }
  const sensitive =
    sensitiveArgument ||
    isSensitiveAttribute(type, change.argument) ||
    refersToSensitive(before, sensitiveVariables) ||
    refersToSensitive(after, sensitiveVariables);
  if (sensitive) return "(sensitive value changed)";
  return `${renderValue(before)} → ${renderValue(after)}`;
}

/** How many lines one text has that the other lacks (compared as multisets: a moved line does not count). */
function changedLines(before: string, after: string): number {
  const counts = new Map<string, number>();
  for (const line of before.split("\n")) counts.set(line, (counts.get(line) ?? 0) + 1);
  let added = 0;
  for (const line of after.split("\n")) {
    const left = counts.get(line) ?? 0;
    if (left > 0) counts.set(line, left - 1);
    else added++;
  }
  const removed = [...counts.values()].reduce((sum, n) => sum + n, 0);
  return Math.max(added, removed);
}

function refersToSensitive(value: unknown, sensitiveVariables: readonly string[]): boolean {
  const strings: string[] = [];
  const collect = (item: unknown): void => {
    if (typeof item === "string") strings.push(item);
    else if (Array.isArray(item)) item.forEach(collect);
    else if (item && typeof item === "object") Object.values(item).forEach(collect);
  };
  collect(value);
  return strings.some((text) =>
    referencesIn(text).some((reference) =>
      reference.address.startsWith("var.")
        ? sensitiveVariables.includes(reference.address.slice("var.".length))
        : isSensitiveAttribute(reference.address.split(".")[0], reference.attribute),
    ),
  );
}

function isLong(value: unknown): boolean {
  if (value === undefined) return false;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS || text.includes("\n");
}

function sizeOf(value: unknown, unit = true): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const bytes = Buffer.byteLength(text, "utf8");
  return unit ? `${bytes} bytes` : `${bytes}`;
}

function renderValue(value: unknown): string {
  if (value === undefined) return "(absent)";
  return code(JSON.stringify(value));
}

function settings(lines: string[], title: string, changes: readonly SettingChange[], sensitiveVariables: readonly string[]): void {
  if (changes.length === 0) return;
  lines.push(`### ${title} (${changes.length})`, "");
  for (const setting of changes) {
    // Provider arguments that hold credentials are never shown (the policy checks forbid them anyway).
    const isProvider = setting.subject.startsWith("provider.");
    const details = setting.changes
      .map((change) => {
        const hidden = setting.sensitive === true || (isProvider && CREDENTIAL_NAME.test(change.argument));
        return `\`${change.path}\` ${renderChange("", change, hidden, sensitiveVariables)}`;
      })
      .join("; ");
    lines.push(`- \`${setting.subject}\` ${setting.kind}${details ? `: ${escapeText(details, false)}` : ""}`);
  }
  lines.push("");
}

/** A Markdown code span safe inside a table cell. */
function code(text: string): string {
  const fence = text.includes("`") ? "``" : "`";
  const padded = text.startsWith("`") || text.endsWith("`") ? ` ${text} ` : text;
  return `${fence}${padded.replace(/\|/g, "\\|")}${fence}`;
}

/** Plain text safe inside a table cell. */
function escapeText(text: string, pipes = true): string {
  const flat = text.replace(/\r?\n/g, " ");
  return pipes ? flat.replace(/\|/g, "\\|") : flat;
}

function count(reviews: readonly StackReview[], severity: Finding["severity"]): number {
  return reviews.reduce((sum, review) => sum + review.findings.filter((finding) => finding.severity === severity).length, 0);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
