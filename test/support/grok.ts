/**
 * Grok as the search cluster runs it, for tests: a pattern is expanded into one regex
 * (lib/ingestion/grok.ts) and run with Oniguruma, the engine behind grok (Joni, its Java port,
 * in the cluster). Only the definitions given are used, never a built-in library, so a test
 * proves the pipeline defines every pattern it uses.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createOnigScanner, loadWASM, type OnigScanner } from "vscode-oniguruma";
import { expandGrok, type ExpandedGrok } from "../../lib/ingestion/grok";

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
        // vscode-oniguruma gives UTF-16 offsets; a group that did not take part in the match comes
        // as 4294967295, or, in a string with non-ASCII characters, as an empty group at the end.
        // No field pattern can match the empty string, so an empty group is one that did not match.
        const group = found.captureIndices[index + 1];
        if (!group || group.start === 4294967295 || group.length === 0) return;
        const text = line.slice(group.start, group.end);
        fields[capture.field] = capture.type === "int" || capture.type === "long" ? Number.parseInt(text, 10) : text;
      });
      return fields;
    }
    return undefined;
  }
}
