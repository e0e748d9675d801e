/**
 * Compares two synthesized stacks (cdk.tf.json documents) the way `terraform plan` would see
 * the configuration change, without a state or a cloud: which resources are added, removed,
 * replaced, updated in place, moved, imported or forgotten, and which attributes changed.
 *
 * Resources are matched by type and logical name (cdktf's logical ids are stable as long as the
 * construct ids are), after the `moved` blocks of the new configuration are applied as
 * Terraform applies them. cdktf's "//" metadata keys are ignored. A change replaces a resource
 * when it touches a ForceNew argument (see force-new.ts) that lifecycle.ignore_changes does not
 * cover. A value that refers to another resource changes when the referred value does: a
 * configured attribute whose value changes between the two sides (known at plan), a computed
 * one (such as the id) of a resource that is replaced (known only after apply), or anything
 * read from a data source whose arguments changed; followed through any number of resources.
 */
import { hasReplacementFacts, inPlaceNote, replacementReason } from "./force-new";

export type StackJson = Record<string, unknown>;
type Config = Record<string, unknown>;

/**
 * What a changed value does in the plan: `replace` forces a replacement, `update` is applied in
 * place, `ignored` is covered by lifecycle.ignore_changes (plans nothing), `meta` is a
 * meta-argument such as lifecycle or depends_on (plans nothing by itself; its note says what it
 * changes for later plans).
 */
export type ChangeEffect = "replace" | "update" | "ignored" | "meta";

/** The note of a meta-argument change that has no consequence worth a reviewer's time. */
export const HARMLESS_META_NOTE = "meta-argument: plans nothing by itself";

/** How a value that refers to another resource (or data source) changes while its expression does not. */
export interface ReferredChange {
  /**
   * `replaced`: a computed attribute of a replaced resource, known only after apply;
   * `changed`: a configured value that changes between the two sides, known at plan;
   * `data`: read from a data source whose arguments changed, so it may change at plan.
   */
  readonly kind: "replaced" | "changed" | "data";
  /** The reference as written in the value, with its full path: `openstack_compute_instance_v2.x.network[0].port`. */
  readonly reference: string;
  /** For `changed`: the referred value before and after. */
  readonly before?: unknown;
  readonly after?: unknown;
}

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
  /** Why it replaces, or what an in-place update (or a lifecycle change) does. */
  readonly note?: string;
  /**
   * Set when the expression itself is unchanged but the value it refers to changes: the
   * address of the resource (or data source) whose change is the cause.
   */
  readonly via?: string;
  /** With `via`: how the referred value changes. */
  readonly referred?: ReferredChange;
}

/**
 * `import`: created by adopting an existing object (an `import` block); `forget`: removed from
 * the state but left in the cloud (a `removed` block with `destroy = false`); `move`: only its
 * address changes (a `moved` block).
 */
export type ResourceAction = "create" | "import" | "delete" | "forget" | "replace" | "update" | "ignored" | "move";

export interface ResourceChange {
  /** `type.name`, as Terraform addresses it (after the change). */
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
  /** The address before, when a `moved` block moves the resource. */
  readonly movedFrom?: string;
  /** The id of the cloud object an `import` block adopts. */
  readonly importId?: string;
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
  /** Moved to a new address and otherwise unchanged (moved and changed ones are in the other lists, with `movedFrom`). */
  readonly moved: readonly ResourceChange[];
  /** Adopted by an `import` block instead of created. */
  readonly imported: readonly ResourceChange[];
  /** Removed from the state by a `removed` block, left in the cloud. */
  readonly forgotten: readonly ResourceChange[];
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

export function diffStacks(stack: string, rawBefore: StackJson | undefined, after: StackJson | undefined): StackDiff {
  const moves = effectiveMoves(rawBefore, after);
  // The old side as the new one names things: moved resources at their new addresses, and references to them too.
  const before = rawBefore === undefined ? undefined : (renameReferences(rawBefore, moves) as StackJson);
  const beforeResources = new Map<string, ResourceEntry>();
  for (const [address, entry] of resourcesOf(before)) {
    const to = moves.get(address);
    beforeResources.set(to ?? address, to ? { ...entry, ...splitAddress(to), movedFrom: address } : entry);
  }
  const afterResources = resourcesOf(after);
  const dataSources = diffSection(before, after, "data");
  const changedDataSources = new Set(dataSources.filter((change) => change.kind === "changed").map((change) => change.subject));
  const changes = diffResources(beforeResources, afterResources, changedDataSources, stateBlocksOf(after));
  const byAction = (action: ResourceAction) => [...changes.values()].filter((change) => change.action === action);
  return {
    stack,
    presence: before === undefined ? "added" : after === undefined ? "removed" : "both",
    added: byAction("create"),
    removed: byAction("delete"),
    replaced: byAction("replace"),
    changed: byAction("update"),
    ignored: byAction("ignored"),
    moved: byAction("move"),
    imported: byAction("import"),
    forgotten: byAction("forget"),
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
  /** The address on the old side, for a resource a `moved` block moves. */
  readonly movedFrom?: string;
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

function splitAddress(address: string): { type: string; name: string } {
  const dot = address.indexOf(".");
  return { type: address.slice(0, dot), name: address.slice(dot + 1) };
}

// ---------------------------------------------------------------------------------------------
// moved, import and removed blocks

/** The `moved` blocks of the new configuration, chains followed (A→B, B→C is A→C), by old address. */
function movedBlocksOf(stack: StackJson | undefined): Map<string, string> {
  const direct = new Map<string, string>();
  for (const block of blockList(stack?.moved)) {
    if (typeof block.from === "string" && typeof block.to === "string") direct.set(block.from, block.to);
  }
  const moves = new Map<string, string>();
  for (const from of direct.keys()) {
    let to = direct.get(from)!;
    const seen = new Set([from]);
    while (direct.has(to) && !seen.has(to)) {
      seen.add(to);
      to = direct.get(to)!;
    }
    moves.set(from, to);
  }
  return moves;
}

/**
 * The moves Terraform performs: a `moved` block takes effect when its old address is in the
 * state (here: the old configuration) and its new one is not, and the new configuration
 * declares the new address only.
 */
function effectiveMoves(before: StackJson | undefined, after: StackJson | undefined): Map<string, string> {
  const old = resourcesOf(before);
  const current = resourcesOf(after);
  const moves = new Map<string, string>();
  for (const [from, to] of movedBlocksOf(after)) {
    if (old.has(from) && !old.has(to) && current.has(to) && !current.has(from)) moves.set(from, to);
  }
  return moves;
}

interface StateBlocks {
  /** `import` blocks: the id of the object each address adopts. */
  readonly imports: ReadonlyMap<string, string>;
  /** `removed` blocks: whether the object is destroyed (Terraform's default) or only forgotten. */
  readonly removed: ReadonlyMap<string, { readonly destroy: boolean }>;
}

function stateBlocksOf(stack: StackJson | undefined): StateBlocks {
  const imports = new Map<string, string>();
  for (const block of blockList(stack?.import)) {
    if (typeof block.to === "string") imports.set(block.to, typeof block.id === "string" ? block.id : String(block.id ?? "?"));
  }
  const removed = new Map<string, { destroy: boolean }>();
  for (const block of blockList(stack?.removed)) {
    if (typeof block.from !== "string") continue;
    const lifecycle = blockList(block.lifecycle)[0] ?? {};
    removed.set(block.from, { destroy: lifecycle.destroy !== false });
  }
  return { imports, removed };
}

/** A block list as Terraform JSON writes it: an array of objects, or a single object. */
function blockList(value: unknown): Config[] {
  if (Array.isArray(value)) return value.filter(isObject);
  return isObject(value) ? [value] : [];
}

/** A copy of `value` in which every reference to an old address of `moves` names the new one. */
function renameReferences(value: unknown, moves: ReadonlyMap<string, string>): unknown {
  if (moves.size === 0) return value;
  if (typeof value === "string") {
    if (!value.includes("${")) return value;
    return value.replace(EXPRESSION, (whole: string, inner: string) =>
      whole.replace(inner, inner.replace(REFERENCE, (text: string, data: string | undefined, type: string, name: string, path: string) => {
        const to = data ? undefined : moves.get(`${type}.${name}`);
        return to ? `${to}${path}` : text;
      })),
    );
  }
  if (Array.isArray(value)) return value.map((item) => renameReferences(item, moves));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renameReferences(item, moves)]));
  return value;
}

// ---------------------------------------------------------------------------------------------
// Resource changes, references followed

function diffResources(
  before: ReadonlyMap<string, ResourceEntry>,
  after: ReadonlyMap<string, ResourceEntry>,
  changedDataSources: ReadonlySet<string>,
  stateBlocks: StateBlocks,
): Map<string, ResourceChange> {
  const changes = new Map<string, ResourceChange | undefined>();
  const inProgress = new Set<string>();
  const referred = new Map<string, ReferredResolution | undefined>();

  /** The change of one resource, its referred values resolved first (memoized; a reference cycle resolves to no change). */
  const changeOf = (address: string): ResourceChange | undefined => {
    if (changes.has(address) || inProgress.has(address)) return changes.get(address);
    inProgress.add(address);
    const change = compareResource(address, before.get(address), after.get(address), stateBlocks, resolve);
    inProgress.delete(address);
    changes.set(address, change);
    return change;
  };

  /** How the value a reference reads changes, if it does. */
  const resolve = (reference: Reference): ReferredResolution | undefined => {
    if (referred.has(reference.text)) return referred.get(reference.text);
    referred.set(reference.text, undefined);
    const result = resolveUncached(reference);
    referred.set(reference.text, result);
    return result;
  };

  const resolveUncached = (reference: Reference): ReferredResolution | undefined => {
    if (reference.address.startsWith("var.")) return undefined;
    if (reference.address.startsWith("data.")) {
      return changedDataSources.has(reference.address) ? { kind: "data", reference: reference.text, via: reference.address } : undefined;
    }
    const old = before.get(reference.address);
    const current = after.get(reference.address);
    if (!old || !current) return undefined;
    const replaced = changeOf(reference.address)?.action === "replace";
    const oldValue = valueAt(old.config, reference.path);
    const newValue = valueAt(current.config, reference.path);
    if (oldValue === undefined && newValue === undefined) {
      // Computed: the provider sets it; a new resource has a new one.
      return replaced ? { kind: "replaced", reference: reference.text, via: reference.address } : undefined;
    }
    // An ignored argument keeps the value the resource has, unless the resource is created anew.
    if (!replaced && isIgnored(reference.path, ignoreChangesOf(current.config))) return undefined;
    if (!deepEqual(oldValue, newValue)) {
      return { kind: "changed", reference: reference.text, via: reference.address, before: oldValue, after: newValue };
    }
    const inner = strongest(stringLeaves(newValue, "").flatMap((leaf) => referencesIn(leaf.value)).map(resolve));
    return inner ? { ...inner, reference: reference.text } : undefined;
  };

  for (const address of unionKeys(before, after)) changeOf(address);
  return new Map([...changes].filter((entry): entry is [string, ResourceChange] => entry[1] !== undefined));
}

interface ReferredResolution extends ReferredChange {
  /** The address of the resource or data source whose change is the cause. */
  readonly via: string;
}

/** The resolution that matters most: a replacement, then a changed value, then a data source. */
function strongest(resolutions: readonly (ReferredResolution | undefined)[]): ReferredResolution | undefined {
  for (const kind of ["replaced", "changed", "data"] as const) {
    const found = resolutions.find((resolution) => resolution?.kind === kind);
    if (found) return found;
  }
  return undefined;
}

function compareResource(
  address: string,
  before: ResourceEntry | undefined,
  after: ResourceEntry | undefined,
  stateBlocks: StateBlocks,
  resolve: (reference: Reference) => ReferredResolution | undefined,
): ResourceChange | undefined {
  const entry = (after ?? before)!;
  const base = {
    address,
    type: entry.type,
    name: entry.name,
    constructPath: after?.constructPath ?? before?.constructPath,
    ...(before?.movedFrom ? { movedFrom: before.movedFrom } : {}),
  };
  if (!before) {
    const importId = stateBlocks.imports.get(address);
    return { ...base, action: importId === undefined ? "create" : "import", ...(importId === undefined ? {} : { importId }), changes: [], replacementReasons: [], after: after!.config };
  }
  if (!after) {
    const action = stateBlocks.removed.get(address)?.destroy === false ? "forget" : "delete";
    return { ...base, action, changes: [], replacementReasons: [], before: before.config };
  }

  const ignored = ignoreChangesOf(after.config);
  const changes: AttributeChange[] = [];
  const reasons: string[] = [];
  for (const argument of unionKeys(before.config, after.config)) {
    for (const leaf of diffValues(before.config[argument], after.config[argument], argument)) {
      if (META_ARGUMENTS.has(argument)) {
        changes.push({ ...leaf, argument, effect: "meta", note: metaNote(entry.type, leaf.path, before.config, after.config) });
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

  // Unchanged expressions whose referred values change.
  for (const [argument, value] of Object.entries(after.config)) {
    if (META_ARGUMENTS.has(argument)) continue;
    for (const leaf of stringLeaves(value, argument)) {
      if (isIgnored(leaf.path, ignored) || changes.some((change) => overlaps(change.path, leaf.path))) continue;
      const resolution = strongest(referencesIn(leaf.value).map(resolve));
      if (!resolution) continue;
      const { via, ...referred } = resolution;
      const reason = replacementReason(entry.type, argument);
      const what = referredNote(resolution);
      const inPlace = reason ? undefined : inPlaceNote(entry.type, argument);
      const note = inPlace ? `${what}; ${resolution.kind === "changed" ? "" : "if so, "}${inPlace}` : what;
      changes.push({ path: leaf.path, argument, before: leaf.value, after: leaf.value, effect: reason ? "replace" : "update", note, via, referred });
      if (reason) reasons.push(referredReason(argument, resolution));
    }
  }

  if (changes.length === 0) {
    return before.movedFrom ? { ...base, action: "move", changes: [], replacementReasons: [], before: before.config, after: after.config } : undefined;
  }
  return {
    ...base,
    action: actionOf(changes),
    changes,
    replacementReasons: [...new Set(reasons)],
    before: before.config,
    after: after.config,
  };
}

function referredNote(resolution: ReferredResolution): string {
  const indirect = resolution.reference.startsWith(`${resolution.via}.`) ? "" : ` (through ${resolution.via})`;
  switch (resolution.kind) {
    case "replaced":
      return indirect
        ? `refers to ${resolution.reference}, which depends on ${resolution.via}, which is replaced: known only after apply`
        : `refers to ${resolution.reference}, which is replaced: known only after apply`;
    case "changed":
      return `refers to ${resolution.reference}, whose value changes${indirect}`;
    case "data":
      return `refers to ${resolution.reference}, whose data source changed${indirect}: may change at plan time`;
  }
}

function referredReason(argument: string, resolution: ReferredResolution): string {
  switch (resolution.kind) {
    case "replaced":
      return `${argument} refers to ${resolution.via}, which is replaced`;
    case "changed":
      return `${argument} refers to ${resolution.reference}, whose value changes`;
    case "data":
      return `${argument} refers to ${resolution.via}, which changed (if its result changes)`;
  }
}

function actionOf(changes: readonly AttributeChange[]): ResourceAction {
  if (changes.some((change) => change.effect === "replace")) return "replace";
  if (changes.some((change) => change.effect === "update" || change.effect === "meta")) return "update";
  return "ignored";
}

/** Whether one path is the other or inside it. */
function overlaps(a: string, b: string): boolean {
  const inside = (path: string, outer: string) => path === outer || path.startsWith(`${outer}.`) || path.startsWith(`${outer}[`);
  return inside(a, b) || inside(b, a);
}

/** The value at a reference path (`network[0].port`, `metadata.role`, `tags["a b"]`) of a configuration; undefined when not set. */
function valueAt(config: Config, path: string): unknown {
  let value: unknown = config;
  for (const segment of path.matchAll(/\.?([A-Za-z_][\w-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
    const key = segment[1] ?? (segment[3] !== undefined ? JSON.parse(`"${segment[3]}"`) as string : undefined);
    if (key !== undefined) {
      // A block given as one object stands for its only element.
      value = isObject(value) ? value[key] : undefined;
    } else if (Array.isArray(value)) {
      value = value[Number(segment[2])];
    } else if (!isObject(value) || segment[2] !== "0") {
      return undefined;
    }
    if (value === undefined) return undefined;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// lifecycle

/** What a lifecycle change means for the plans after this one. */
export interface LifecycleChange {
  /** Arguments lifecycle.ignore_changes covered before and no longer does. */
  readonly noLongerIgnored: readonly string[];
  readonly preventDestroyRemoved: boolean;
  readonly createBeforeDestroyRemoved: boolean;
}

export function lifecycleChangeOf(before: Config, after: Config): LifecycleChange {
  const old = ignoreChangesOf(before);
  const current = ignoreChangesOf(after);
  const candidates =
    old === "all" ? Object.keys(after).filter((argument) => !META_ARGUMENTS.has(argument)) : old;
  const noLongerIgnored = candidates.filter((argument) => !isIgnored(argument, current));
  const flag = (config: Config, name: string) => (config.lifecycle as Record<string, unknown> | undefined)?.[name] === true;
  return {
    noLongerIgnored,
    preventDestroyRemoved: flag(before, "prevent_destroy") && !flag(after, "prevent_destroy"),
    createBeforeDestroyRemoved: flag(before, "create_before_destroy") && !flag(after, "create_before_destroy"),
  };
}

/** What an argument no longer ignored does to the resources that differ from their configuration. */
export function consequenceOfUnignoring(type: string, argument: string): { replaces: boolean; what: string } {
  const top = argument.split(/[.[]/)[0];
  if (replacementReason(type, top)) return { replaces: true, what: `${argument} forces replacement` };
  return { replaces: false, what: `${argument} is updated in place${inPlaceNote(type, top) ? ` (${inPlaceNote(type, top)})` : ""}` };
}

function metaNote(type: string, path: string, before: Config, after: Config): string {
  if (path !== "lifecycle" && !path.startsWith("lifecycle.")) return HARMLESS_META_NOTE;
  const change = lifecycleChangeOf(before, after);
  const notes: string[] = [];
  if ((path === "lifecycle" || path.startsWith("lifecycle.ignore_changes")) && change.noLongerIgnored.length > 0) {
    const what = change.noLongerIgnored.map((argument) => consequenceOfUnignoring(type, argument).what).join("; ");
    notes.push(
      `no longer ignores ${change.noLongerIgnored.join(", ")}: the plan compares the value the resource has (set when it was created) with this configuration; ${what}`,
    );
  }
  if ((path === "lifecycle" || path === "lifecycle.prevent_destroy") && change.preventDestroyRemoved) {
    notes.push("prevent_destroy removed: a plan may now destroy it without an error");
  }
  if ((path === "lifecycle" || path === "lifecycle.create_before_destroy") && change.createBeforeDestroyRemoved) {
    notes.push("create_before_destroy removed: a later replacement destroys it before its successor exists");
  }
  return notes.length > 0 ? notes.join("; ") : HARMLESS_META_NOTE;
}

interface Reference {
  /** `type.name` of the resource referred to, `data.type.name`, or `var.name`. */
  readonly address: string;
  /** The first attribute of the path (`network` of `network[0].port`); empty for a variable. */
  readonly attribute: string;
  /** The whole path after the address: `id`, `network[0].port`; empty for a variable. */
  readonly path: string;
  /** The reference as written: `type.name.network[0].port`. */
  readonly text: string;
}

/** Names that start a Terraform expression but are not resources. */
const NOT_RESOURCES = new Set(["var", "local", "module", "each", "count", "self", "path", "terraform"]);

/** A `${...}` interpolation (not a `$${...}` escape); group 1 is its expression. */
const EXPRESSION = /(?<!\$)\$\{([^}]*)\}/g;
/** A resource or data source reference with its whole path: groups data., type, name, path (`.network[0].port`). */
const REFERENCE = /(?<![\w.-])(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)(\.[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*)/g;

/**
 * Resource, data source and variable references inside the `${...}` expressions of a string
 * (not in `$${...}` escapes). A variable's address is `var.<name>`, with an empty path.
 */
export function referencesIn(value: string): Reference[] {
  const references: Reference[] = [];
  for (const expression of value.matchAll(EXPRESSION)) {
    for (const match of expression[1].matchAll(REFERENCE)) {
      const [text, data, type, name, path] = match;
      if (!data && NOT_RESOURCES.has(type)) continue;
      references.push({
        address: `${data ?? ""}${type}.${name}`,
        attribute: /^\.(\w+)/.exec(path)![1],
        path: path.slice(1),
        text,
      });
    }
    for (const match of expression[1].matchAll(/(?<![\w.-])var\.([A-Za-z_][\w-]*)/g)) {
      references.push({ address: `var.${match[1]}`, attribute: "", path: "", text: match[0] });
    }
  }
  return references;
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
function unionKeys<T>(a: ReadonlyMap<string, T> | Config, b: ReadonlyMap<string, T> | Config): string[] {
  const keysOf = (x: ReadonlyMap<string, T> | Config) => (x instanceof Map ? [...x.keys()] : Object.keys(x));
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
