/**
 * User-facing configuration problems: where (file, line, column, setting) and what (the value
 * given and what is expected). A user mistake ends as a list of these, never as a stack trace.
 */
import { closest, distance } from "fastest-levenshtein";

export interface ConfigProblem {
  /** Path of the file as the user named it (relative to the working directory when possible). */
  readonly file: string;
  /** 1-based line; 0 when the problem concerns the file as a whole. */
  readonly line: number;
  /** 1-based column; 0 when the problem concerns the file as a whole. */
  readonly column: number;
  /** Dotted setting path such as `network.mode`, or "" for the whole file. */
  readonly setting: string;
  readonly message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "ConfigError";
  }
}

export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line > 0 ? `${problem.file}:${problem.line}:${problem.column}` : problem.file;
  return problem.setting ? `${where}: ${problem.setting}: ${problem.message}` : `${where}: ${problem.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) => (typeof segment === "number" ? `[${segment}]` : `${index > 0 ? "." : ""}${String(segment)}`))
    .join("");
}

/** Renders a value the user gave, short enough for one line of an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}

/** `; did you mean "x"?` when one of the candidates is a plausible misspelling of `given`. */
export function didYouMean(given: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return "";
  const best = closest(given, [...candidates]);
  const plausible = distance(given, best) <= Math.max(2, Math.floor(best.length / 3));
  return plausible ? `; did you mean ${JSON.stringify(best)}?` : "";
}
