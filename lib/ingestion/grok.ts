/**
 * Grok patterns expanded into one regular expression, as the search cluster's grok processor
 * does: `%{NAME:field}` (or `%{NAME:field:int}`) becomes the named group `(?<field>...)` and
 * `%{NAME}` becomes `(?:...)`, recursively, from the given definitions only (never a built-in
 * library). The pipeline's patterns use a syntax that Oniguruma (the cluster's regex engine) and
 * JavaScript read alike, except `\A` (start of the text), which JavaScript spells `^` without
 * the multiline flag: the ingestion service finds a message's level with the very patterns the
 * pipeline runs (grokRegExp), and the tests run them with Oniguruma.
 */

const REFERENCE = /%\{([A-Za-z0-9_]+)(?::([A-Za-z0-9_@.[\]-]+))?(?::(int|long|float|double|boolean|string))?\}/g;

export interface ExpandedGrok {
  /** The regex in Oniguruma's syntax. */
  readonly regex: string;
  /** Named captures in the order of their groups, with the type conversion grok applies. */
  readonly captures: readonly { readonly field: string; readonly type?: string }[];
  /** Every pattern name the expansion used. */
  readonly used: ReadonlySet<string>;
}

/** Expands `pattern` with `definitions` only; fails on an undefined name, a cycle or an unnamed group. */
export function expandGrok(pattern: string, definitions: Readonly<Record<string, string>>): ExpandedGrok {
  const used = new Set<string>();
  const expand = (text: string, stack: readonly string[]): string =>
    text.replace(REFERENCE, (_match, name: string, field: string | undefined, type: string | undefined) => {
      if (!Object.hasOwn(definitions, name)) throw new Error(`grok pattern ${name} is not defined in pattern_definitions (used in ${stack.at(-1) ?? "the pattern"})`);
      if (stack.includes(name)) throw new Error(`grok pattern ${name} refers to itself: ${[...stack, name].join(" -> ")}`);
      used.add(name);
      const body = expand(definitions[name], [...stack, name]);
      // A type marker rides in the group name until the captures are listed.
      return field === undefined ? `(?:${body})` : `(?<${field}${type ? `__${type}` : ""}>${body})`;
    });
  const marked = expand(pattern, []);
  const captures: { field: string; type?: string }[] = [];
  for (const group of captureGroups(marked)) {
    if (group === undefined) throw new Error(`pattern ${pattern} has an unnamed capturing group "(...)": write "(?:...)"`);
    const [field, type] = group.split("__");
    captures.push(type === undefined ? { field } : { field, type });
  }
  const regex = marked.replace(/\(\?<([A-Za-z0-9_@.[\]-]+?)__(?:int|long|float|double|boolean|string)>/g, "(?<$1>");
  return { regex, captures, used };
}

/** The capturing groups of a regex in order: a name, or undefined for a plain "(". Skips escapes and character classes. */
export function captureGroups(regex: string): (string | undefined)[] {
  const groups: (string | undefined)[] = [];
  let inClass = false;
  for (let i = 0; i < regex.length; i++) {
    const char = regex[i];
    if (char === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (char === "]") inClass = false;
      continue;
    }
    if (char === "[") {
      inClass = true;
      if (regex[i + 1] === "]") i++; // "[]...]": a literal "]" first
      continue;
    }
    if (char !== "(") continue;
    if (regex[i + 1] !== "?") {
      groups.push(undefined);
      continue;
    }
    const named = /^\(\?<([A-Za-z_][A-Za-z0-9_@.[\]-]*)>/.exec(regex.slice(i));
    if (named) groups.push(named[1]);
  }
  return groups;
}

/** The expansion as a JavaScript RegExp (`\A` read as `^`); its groups are named after the fields. */
export function grokRegExp(pattern: string, definitions: Readonly<Record<string, string>>): RegExp {
  return new RegExp(expandGrok(pattern, definitions).regex.replace(/\\A/g, "^"));
}
