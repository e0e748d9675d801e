/**
 * Grok as the search cluster runs it, for tests: a pattern is expanded into one regex
 * (`%{NAME:field}` or `%{NAME:field:type}` becomes the named group `(?<field>...)`, `%{NAME}`
 * becomes `(?:...)` with NAME's definition, recursively) and run with Oniguruma, the engine
 * behind grok (Joni, its Java port, in the cluster). Only the definitions given are used,
 * never a built-in library, so a test proves the pipeline defines every pattern it uses.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createOnigScanner, loadWASM, type OnigScanner } from "vscode-oniguruma";

const REFERENCE = /%\{([A-Za-z0-9_]+)(?::([A-Za-z0-9_@.[\]-]+))?(?::(int|long|float|double|boolean|string))?\}/g;

export interface ExpandedGrok {
  /** The Oniguruma regex. */
  readonly regex: string;
  /** Named captures in the order of their groups, with the type conversion grok applies. */
  readonly captures: readonly { readonly field: string; readonly type?: string }[];
  /** Every pattern name the expansion used. */
  readonly used: ReadonlySet<string>;
}

/** Expands `pattern` with `definitions` only; fails on an undefined name or a cycle. */
export function expandGrok(pattern: string, definitions: Readonly<Record<string, string>>): ExpandedGrok {
  const used = new Set<string>();
  const expand = (text: string, stack: readonly string[]): string =>
    text.replace(REFERENCE, (_match, name: string, field: string | undefined, type: string | undefined) => {
      if (!(name in definitions)) throw new Error(`grok pattern ${name} is not defined in pattern_definitions (used in ${stack.at(-1) ?? "the pattern"})`);
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

let loaded: Promise<void> | undefined;

/** Loads Oniguruma's WebAssembly once per test file. */
export function loadOniguruma(): Promise<void> {
  loaded ??= loadWASM(fs.readFileSync(path.join(path.dirname(require.resolve("vscode-oniguruma")), "onig.wasm")));
  return loaded;
}

export type GrokFields = Record<string, string | number>;

export class GrokMatcher {
  private readonly scanners: { scanner: OnigScanner; expanded: ExpandedGrok }[];

  /** Compiles the patterns (call loadOniguruma first); fails when Oniguruma rejects one. */
  constructor(patterns: readonly string[], definitions: Readonly<Record<string, string>>) {
    this.scanners = patterns.map((pattern) => {
      const expanded = expandGrok(pattern, definitions);
      try {
        return { scanner: createOnigScanner([expanded.regex]), expanded };
      } catch (error) {
        throw new Error(`Oniguruma rejects the expansion of ${pattern}: ${(error as Error).message}\n${expanded.regex}`);
      }
    });
  }

  /**
   * The fields grok sets for `line` (the first pattern that matches wins, as in the grok
   * processor), with `int` conversion; undefined when no pattern matches.
   */
  match(line: string): GrokFields | undefined {
    for (const { scanner, expanded } of this.scanners) {
      const found = scanner.findNextMatchSync(line, 0);
      if (!found) continue;
      const fields: GrokFields = {};
      expanded.captures.forEach((capture, index) => {
        const group = found.captureIndices[index + 1];
        if (!group || group.start === 4294967295 || group.start < 0) return;
        const text = Buffer.from(line, "utf8").subarray(group.start, group.end).toString("utf8");
        fields[capture.field] = capture.type === "int" || capture.type === "long" ? Number.parseInt(text, 10) : text;
      });
      return fields;
    }
    return undefined;
  }
}
