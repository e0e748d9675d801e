/**
 * Compares two synthesized stacks (cdk.tf.json documents) the way `terraform plan` would see
 * the configuration change, without a state or a cloud: which resources are added, removed,
 * replaced or updated in place, and which attributes changed.
 *
 * Resources are matched by type and logical name (cdktf's logical ids are stable as long as the
 * construct ids are). cdktf's "//" metadata keys are ignored. A change replaces a resource when
 * it touches a ForceNew argument (see force-new.ts) that lifecycle.ignore_changes does not
 * cover, or when a ForceNew argument refers to a computed attribute (such as the id) of a
 * resource that is itself replaced, followed through any number of resources.
 */
import { hasReplacementFacts, inPlaceNote, replacementReason } from "./force-new";

export type StackJson = Record<string, unknown>;
type Config = Record<string, unknown>;

/**
 * What a changed value does in the plan: `replace` forces a replacement, `update` is applied in
 * place, `ignored` is covered by lifecycle.ignore_changes (plans nothing), `meta` is a
 * meta-argument such as lifecycle or depends_on (plans nothing by itself).
 */
export type ChangeEffect = "replace" | "update" | "ignored" | "meta";

export interface AttributeChange {
  /** Terraform-style path: `size`, `metadata.role`, `network[0].port`. */
  readonly path: string;
  /** The top-level argument (or block) the path is in. */
  readonly argument: string;
  /** The value before; undefined when the argument was absent. */
  readonly before: unknown;
  /** The value after; undefined when the argument is now absent. */
  readonly after: unknown;
  readonly effect: ChangeEffect;
  /** Why it replaces, or what an in-place update does. */
  readonly note?: string;
  /**
   * Set when the value itself is unchanged but refers to a resource that is replaced: the value
   * is known only after apply. The address of that resource.
   */
  readonly via?: string;
}

export type ResourceAction = "create" | "delete" | "replace" | "update" | "ignored";

export interface ResourceChange {
  /** `type.name`, as Terraform addresses it. */
  readonly address: string;
  readonly type: string;
  readonly name: string;
  /** The construct path (cdktf's "//" metadata), which is how the code names it. */
  readonly constructPath?: string;
  readonly action: ResourceAction;
  /** Changed values, for replace, update and ignored. */
  readonly changes: readonly AttributeChange[];
  /** Why the resource is replaced (empty unless action is replace). */
  readonly replacementReasons: readonly string[];
  /** The configuration before and after, without "//" metadata. */
  readonly before?: Config;
  readonly after?: Config;
}

/** A change to a data source, an output, a provider configuration or the terraform block. */
export interface SettingChange {
  /** `data.<type>.<name>`, `output.<name>`, `provider.<name>`, `required_providers.<name>`, `backend`. */
  readonly subject: string;
  readonly kind: "added" | "removed" | "changed";
  readonly changes: readonly AttributeChange[];
  /** An output or variable declared sensitive: its values are never shown. */
  readonly sensitive?: boolean;
}

export interface StackDiff {
  readonly stack: string;
  /** Whether the stack exists on both sides, or only after (`added`) or only before (`removed`). */
  readonly presence: "both" | "added" | "removed";
  readonly added: readonly ResourceChange[];
  readonly removed: readonly ResourceChange[];
  readonly replaced: readonly ResourceChange[];
  /** Updated in place, or only meta-arguments changed. */
  readonly changed: readonly ResourceChange[];
  /** Only changes lifecycle.ignore_changes covers: the plan does nothing to them. */
  readonly ignored: readonly ResourceChange[];
  readonly dataSources: readonly SettingChange[];
  readonly outputs: readonly SettingChange[];
  /** Input variables (declared, removed, redeclared). */
  readonly variables: readonly SettingChange[];
  /** Names of the variables declared sensitive on either side: a value referring to one is never shown. */
  readonly sensitiveVariables: readonly string[];
  /** Provider configurations, required provider versions and the backend. */
  readonly providers: readonly SettingChange[];
}

/** Terraform meta-arguments: a change to one plans nothing by itself. */
const META_ARGUMENTS = new Set(["lifecycle", "depends_on", "provider", "count", "for_each", "connection", "provisioner"]);

export function diffStacks(stack: string, before: StackJson | undefined, after: StackJson | undefined): StackDiff {
  const beforeResources = resourcesOf(before);
  const afterResources = resourcesOf(after);
  const changes = new Map<string, ResourceChange>();
  for (const address of unionKeys(beforeResources, afterResources)) {
    const change = diffResource(address, beforeResources.get(address), afterResources.get(address));
    if (change) changes.set(address, change);
  }
  const dataSources = diffSection(before, after, "data");
  const changedDataSources = new Set(dataSources.filter((change) => change.kind === "changed").map((change) => change.subject));
  propagateReplacements(changes, beforeResources, afterResources, changedDataSources);
  const byAction = (action: ResourceAction) => [...changes.values()].filter((change) => change.action === action);
  return {
    stack,
    presence: before === undefined ? "added" : after === undefined ? "removed" : "both",
    added: byAction("create"),
    removed: byAction("delete"),
    replaced: byAction("replace"),
    changed: byAction("update"),
    ignored: byAction("ignored"),
    dataSources,
    outputs: diffNamedBlocks(before, after, "output"),
    variables: diffNamedBlocks(before, after, "variable"),
    sensitiveVariables: [...new Set([...sensitiveVariablesOf(before), ...sensitiveVariablesOf(after)])].sort(),
    providers: diffProviders(before, after),
  };
}

// ---------------------------------------------------------------------------------------------
// Resources

interface ResourceEntry {
  readonly type: string;
  readonly name: string;
  readonly config: Config;
  readonly constructPath?: string;
}

function resourcesOf(stack: StackJson | undefined, section = "resource"): Map<string, ResourceEntry> {
  const entries = new Map<string, ResourceEntry>();
  const byType = (stack?.[section] ?? {}) as Record<string, Record<string, Config>>;
  for (const [type, instances] of Object.entries(byType)) {
    if (type === "//") continue;
    for (const [name, config] of Object.entries(instances ?? {})) {
      if (name === "//") continue;
      const metadata = (config["//"] as { metadata?: { path?: unknown } } | undefined)?.metadata;
      entries.set(`${type}.${name}`, {
        type,
        name,
        config: withoutMetadata(config) as Config,
        constructPath: typeof metadata?.path === "string" ? metadata.path : undefined,
      });
    }
  }
  return entries;
}

function diffResource(address: string, before: ResourceEntry | undefined, after: ResourceEntry | undefined): ResourceChange | undefined {
  const entry = (after ?? before)!;
  const base = { address, type: entry.type, name: entry.name, constructPath: after?.constructPath ?? before?.constructPath };
  if (!before) return { ...base, action: "create", changes: [], replacementReasons: [], after: after!.config };
  if (!after) return { ...base, action: "delete", changes: [], replacementReasons: [], before: before.config };

  const ignored = ignoreChangesOf(after.config);
  const changes: AttributeChange[] = [];
  const reasons: string[] = [];
  for (const argument of unionKeys(before.config, after.config)) {
    for (const leaf of diffValues(before.config[argument], after.config[argument], argument)) {
      if (META_ARGUMENTS.has(argument)) {
        changes.push({ ...leaf, argument, effect: "meta", note: "meta-argument: plans nothing by itself" });
      } else if (isIgnored(leaf.path, ignored)) {
        changes.push({ ...leaf, argument, effect: "ignored", note: "lifecycle.ignore_changes: plans nothing" });
      } else {
        const reason = replacementReason(entry.type, argument);
        if (reason) {
          if (!reasons.includes(reason)) reasons.push(reason);
          changes.push({ ...leaf, argument, effect: "replace", note: reason });
        } else {
          const note = inPlaceNote(entry.type, argument) ??
            (hasReplacementFacts(entry.type) ? undefined : `no replacement facts for ${entry.type}: may force replacement`);
          changes.push({ ...leaf, argument, effect: "update", ...(note ? { note } : {}) });
        }
      }
    }
  }
  if (changes.length === 0) return undefined;
  return {
    ...base,
    action: actionOf(changes),
    changes,
    replacementReasons: reasons,
    before: before.config,
    after: after.config,
  };
}

function actionOf(changes: readonly AttributeChange[]): ResourceAction {
  if (changes.some((change) => change.effect === "replace")) return "replace";
  if (changes.some((change) => change.effect === "update" || change.effect === "meta")) return "update";
  return "ignored";
}

/**
 * When a resource is replaced, its computed attributes (the id, addresses, certificates, ...)
 * are known only after apply. A resource whose ForceNew argument refers to one is replaced too;
 * one whose other argument does is updated. Followed until nothing more changes. A data source
 * whose arguments changed may return something else at plan time: what refers to it is marked
 * the same way, as a possible change.
 */
function propagateReplacements(
  changes: Map<string, ResourceChange>,
  before: Map<string, ResourceEntry>,
  after: Map<string, ResourceEntry>,
  changedDataSources: ReadonlySet<string>,
): void {
  let grew = true;
  while (grew) {
    grew = false;
    const replaced = new Set([...changes.values()].filter((change) => change.action === "replace").map((change) => change.address));
    for (const [address, entry] of after) {
      const current = changes.get(address);
      if (!before.has(address) || current?.action === "replace") continue;
      const ignored = ignoreChangesOf(entry.config);
      const added: AttributeChange[] = [];
      for (const [argument, value] of Object.entries(entry.config)) {
        if (META_ARGUMENTS.has(argument)) continue;
        for (const leaf of stringLeaves(value, argument)) {
          if (isIgnored(leaf.path, ignored)) continue;
          if (current?.changes.some((change) => change.path === leaf.path) || added.some((change) => change.path === leaf.path)) continue;
          const references = referencesIn(leaf.value);
          const target =
            references.find((reference) => replaced.has(reference.address) && isComputed(reference, after.get(reference.address))) ??
            references.find((reference) => changedDataSources.has(reference.address));
          if (!target) continue;
          const fromData = target.address.startsWith("data.");
          const reason = replacementReason(entry.type, argument);
          const effect = reason ? "replace" : "update";
          const what = fromData
            ? `refers to ${target.text}, whose data source changed: may change at plan time`
            : `refers to ${target.text}, which is replaced: known only after apply`;
          const inPlace = effect === "update" ? inPlaceNote(entry.type, argument) : undefined;
          const note = inPlace ? `${what}; if so, ${inPlace}` : what;
          added.push({
            path: leaf.path, argument, before: leaf.value, after: leaf.value, effect, note, via: target.address,
          });
        }
      }
      if (added.length === 0) continue;
      const all = [...(current?.changes ?? []), ...added];
      const reasons = [...(current?.replacementReasons ?? [])];
      for (const change of added) {
        if (change.effect !== "replace") continue;
        reasons.push(
          change.via!.startsWith("data.")
            ? `${change.argument} refers to ${change.via}, which changed (if its result changes)`
            : `${change.argument} refers to ${change.via}, which is replaced`,
        );
      }
      const action = actionOf(all);
      if (action === "replace") grew = true;
      changes.set(address, {
        address,
        type: entry.type,
        name: entry.name,
        constructPath: entry.constructPath,
        action,
        changes: all,
        replacementReasons: [...new Set(reasons)],
        before: before.get(address)!.config,
        after: entry.config,
      });
    }
  }
}

interface Reference {
  /** `type.name` of the resource referred to, or `data.type.name`. */
  readonly address: string;
  readonly attribute: string;
  /** The reference as written, `type.name.attribute`. */
  readonly text: string;
}

/** Names that start a Terraform expression but are not resources. */
const NOT_RESOURCES = new Set(["var", "local", "module", "each", "count", "self", "path", "terraform"]);

/**
 * Resource, data source and variable references inside the `${...}` expressions of a string
 * (not in `$${...}` escapes). A variable's address is `var.<name>`, with an empty attribute.
 */
export function referencesIn(value: string): Reference[] {
  const references: Reference[] = [];
  for (const expression of value.matchAll(/(?<!\$)\$\{([^}]*)\}/g)) {
    for (const match of expression[1].matchAll(/(?<![\w.-])(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)\.([a-z_][a-z0-9_]*)/g)) {
      const [text, data, type, name, attribute] = match;
      if (!data && NOT_RESOURCES.has(type)) continue;
      references.push({ address: `${data ?? ""}${type}.${name}`, attribute, text });
    }
    for (const match of expression[1].matchAll(/(?<![\w.-])var\.([A-Za-z_][\w-]*)/g)) {
      references.push({ address: `var.${match[1]}`, attribute: "", text: match[0] });
    }
  }
  return references;
}

/** Whether a referenced attribute is computed: the id, or anything the resource's configuration does not set. */
function isComputed(reference: Reference, target: ResourceEntry | undefined): boolean {
  return reference.attribute === "id" || target === undefined || !(reference.attribute in target.config);
}

function stringLeaves(value: unknown, path: string): { path: string; value: string }[] {
  if (typeof value === "string") return [{ path, value }];
  if (Array.isArray(value)) {
    if (value.every((item) => !isObject(item))) {
      return value.some((item) => typeof item === "string") ? [{ path, value: value.filter((item) => typeof item === "string").join("\n") }] : [];
    }
    return value.flatMap((item, index) => stringLeaves(item, `${path}[${index}]`));
  }
  if (isObject(value)) return Object.entries(value).flatMap(([key, item]) => stringLeaves(item, childPath(path, key)));
  return [];
}

// ---------------------------------------------------------------------------------------------
// lifecycle.ignore_changes

type IgnoreChanges = "all" | readonly string[];

function ignoreChangesOf(config: Config): IgnoreChanges {
  const value = (config.lifecycle as { ignore_changes?: unknown } | undefined)?.ignore_changes;
  if (value === "all" || (Array.isArray(value) && value.includes("all"))) return "all";
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** Whether `path` is an ignored attribute or inside one (`network` covers `network[0].port`). */
function isIgnored(path: string, ignored: IgnoreChanges): boolean {
  if (ignored === "all") return true;
  return ignored.some((entry) => path === entry || path.startsWith(`${entry}.`) || path.startsWith(`${entry}[`));
}

// ---------------------------------------------------------------------------------------------
// Values

type Leaf = { path: string; before: unknown; after: unknown };

/** The changed leaves between two values; lists of scalars (often sets) and differently sized lists are one leaf. */
export function diffValues(before: unknown, after: unknown, path: string): Leaf[] {
  if (deepEqual(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    return unionKeys(before, after).flatMap((key) => diffValues(before[key], after[key], childPath(path, key)));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length && [...before, ...after].every(isObject)) {
    return before.flatMap((item, index) => diffValues(item, after[index], `${path}[${index}]`));
  }
  return [{ path, before, after }];
}

function childPath(path: string, key: string): string {
  return /^[A-Za-z_][\w-]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  if (isObject(a) && isObject(b)) {
    const keys = unionKeys(a, b);
    return keys.every((key) => deepEqual(a[key], b[key]));
  }
  return false;
}

function isObject(value: unknown): value is Config {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Keys of both objects (or maps), without "//", in first-seen order. */
function unionKeys<T>(a: Map<string, T> | Config, b: Map<string, T> | Config): string[] {
  const keysOf = (x: Map<string, T> | Config) => (x instanceof Map ? [...x.keys()] : Object.keys(x));
  return [...new Set([...keysOf(a), ...keysOf(b)])].filter((key) => key !== "//");
}

/** A copy without cdktf's "//" metadata keys, at every level. */
export function withoutMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).filter(([key]) => key !== "//").map(([key, item]) => [key, withoutMetadata(item)]));
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Data sources, outputs, providers

function diffSection(before: StackJson | undefined, after: StackJson | undefined, section: "data"): SettingChange[] {
  const a = resourcesOf(before, section);
  const b = resourcesOf(after, section);
  return settingChanges(
    new Map([...a].map(([address, entry]) => [`${section}.${address}`, entry.config])),
    new Map([...b].map(([address, entry]) => [`${section}.${address}`, entry.config])),
  );
}

/** Outputs or variables: `output.<name>` / `variable.<name>`. */
function diffNamedBlocks(before: StackJson | undefined, after: StackJson | undefined, section: "output" | "variable"): SettingChange[] {
  const blocksOf = (stack: StackJson | undefined) =>
    new Map(
      Object.entries((stack?.[section] ?? {}) as Config)
        .filter(([name]) => name !== "//")
        .map(([name, config]) => [`${section}.${name}`, withoutMetadata(config) as Config]),
    );
  const a = blocksOf(before);
  const b = blocksOf(after);
  return settingChanges(a, b).map((change) => {
    const sensitive = a.get(change.subject)?.sensitive === true || b.get(change.subject)?.sensitive === true;
    return sensitive ? { ...change, sensitive } : change;
  });
}

function sensitiveVariablesOf(stack: StackJson | undefined): string[] {
  return Object.entries((stack?.variable ?? {}) as Record<string, { sensitive?: unknown }>)
    .filter(([name, config]) => name !== "//" && config?.sensitive === true)
    .map(([name]) => name);
}

function diffProviders(before: StackJson | undefined, after: StackJson | undefined): SettingChange[] {
  const providersOf = (stack: StackJson | undefined) => {
    const entries = new Map<string, Config>();
    for (const [name, configs] of Object.entries((stack?.provider ?? {}) as Record<string, unknown>)) {
      if (name === "//") continue;
      const list = Array.isArray(configs) ? configs : [configs];
      list.forEach((config, index) => {
        const alias = isObject(config) && typeof config.alias === "string" ? `.${config.alias}` : list.length > 1 ? `[${index}]` : "";
        entries.set(`provider.${name}${alias}`, withoutMetadata(config) as Config);
      });
    }
    const terraform = (stack?.terraform ?? {}) as { required_providers?: Record<string, unknown>; backend?: unknown };
    for (const [name, requirement] of Object.entries(terraform.required_providers ?? {})) {
      entries.set(`required_providers.${name}`, (isObject(requirement) ? requirement : { version: requirement }) as Config);
    }
    if (isObject(terraform.backend)) entries.set("backend", withoutMetadata(terraform.backend) as Config);
    return entries;
  };
  return settingChanges(providersOf(before), providersOf(after));
}

function settingChanges(before: Map<string, Config>, after: Map<string, Config>): SettingChange[] {
  const result: SettingChange[] = [];
  for (const subject of unionKeys(before, after)) {
    const a = before.get(subject);
    const b = after.get(subject);
    const kind = a === undefined ? "added" : b === undefined ? "removed" : "changed";
    const leaves = kind === "changed" ? unionKeys(a!, b!).flatMap((key) => diffValues(a![key], b![key], key)) : [];
    if (kind === "changed" && leaves.length === 0) continue;
    result.push({
      subject,
      kind,
      changes: leaves.map((leaf) => ({ ...leaf, argument: leaf.path.split(/[.[]/)[0], effect: "update" as const })),
    });
  }
  return result;
}
