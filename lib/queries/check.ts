/**
 * Loads and checks a folder of elastic-recheck bug queries (`<launchpad bug number>.yaml`):
 * the file name, the YAML, the keys and their types (lib/queries/schema.ts), the Lucene query
 * (lib/queries/lucene.ts) and duplicates across files. Every problem names the file, line and
 * column, the value given and what is expected; nothing here throws on bad input.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isMap, isScalar, LineCounter, parseDocument, type Node, type Scalar } from "yaml";
import type * as z from "zod";
import { describeValue, didYouMean, formatPath, type ConfigProblem } from "../config/problems";
import type { BugQuery } from "./bug-query";
import { analyzeQuery, firstLooseOperatorOffset } from "./lucene";
import { QUERY_FILE_KEYS, queryFileSchema, type QueryFile } from "./schema";

/** A problem in a query file: the same shape, and the same formatting (`formatProblem`), as a config problem. */
export type QueryProblem = ConfigProblem;
export { type BugQuery } from "./bug-query";

export interface QueryCheck {
  /** How many query files were read (`*.yaml`, and misnamed `*.yml`). */
  readonly checked: number;
  /** The files without problems. */
  readonly queries: readonly BugQuery[];
  /** Every problem found, sorted by file, line and column. */
  readonly problems: readonly QueryProblem[];
}

const BUG_FILE_NAME = /^([1-9][0-9]*)\.yaml$/;
const EXAMPLE_QUERY = `message:"..." AND tags:"job-output.txt"`;

/** A parsed query file that can tell where a key, a value or a place in the query stands. */
class QueryYaml {
  readonly problems: QueryProblem[] = [];
  readonly data: unknown;
  private readonly lines = new LineCounter();
  private readonly contents: Node | null;

  constructor(readonly file: string, private readonly text: string) {
    const document = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    for (const error of document.errors) {
      const { line, col } = this.lines.linePos(error.pos[0]);
      this.problems.push({ file, line, column: col, setting: "", message: `YAML syntax: ${error.message.split("\n")[0]}` });
    }
    this.contents = document.contents as Node | null;
    this.data = document.errors.length === 0 ? document.toJS() : undefined;
  }

  private pair(key: PropertyKey) {
    if (!isMap(this.contents)) return undefined;
    return this.contents.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
  }

  private at(offset: number): { line: number; column: number } {
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /** Where the setting at `settingPath` stands: its key (`atKey`), or its value or list item. */
  problemAt(settingPath: readonly PropertyKey[], message: string, atKey = false): QueryProblem {
    let offset = this.contents?.range?.[0] ?? 0;
    const pair = settingPath.length > 0 ? this.pair(settingPath[0]) : undefined;
    if (pair) {
      offset = (pair.key as Node).range?.[0] ?? offset;
      const value = pair.value as Node | null;
      if (!atKey && value?.range) offset = value.range[0];
      const index = settingPath[1];
      if (!atKey && typeof index === "number" && value && "items" in value && Array.isArray(value.items)) {
        offset = (value.items[index] as Node | undefined)?.range?.[0] ?? offset;
      }
    }
    return { file: this.file, ...this.at(offset), setting: formatPath(settingPath), message };
  }

  /** A problem at `offset` inside the value of `query`, mapped through YAML quoting and folding. */
  problemInQuery(offset: number, message: string): QueryProblem {
    const value = this.pair("query")?.value;
    if (!isScalar(value) || typeof value.value !== "string" || !value.range) return this.problemAt(["query"], message);
    return { file: this.file, ...this.at(sourceOffset(this.text, value, offset)), setting: "query", message };
  }
}

/**
 * The offset in the file of the character at `offset` in a scalar's parsed string. The value is
 * matched against the source from its start (past the quote or the block header): each value
 * character is found at or after the previous match, a space also matching the line break that
 * folding turned into it. Escapes and folded indentation are skipped over.
 */
function sourceOffset(text: string, node: Scalar, offset: number): number {
  const value = String(node.value);
  const [start, end] = node.range as [number, number, number];
  let cursor = start;
  if (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE") cursor += 1;
  else if (node.type === "BLOCK_FOLDED" || node.type === "BLOCK_LITERAL") cursor = text.indexOf("\n", start) + 1 || end;
  for (let i = 0; i <= Math.min(offset, value.length - 1); i += 1) {
    let match = cursor;
    while (match < end && text[match] !== value[i] && !(value[i] === " " && text[match] === "\n")) match += 1;
    if (match >= end) return cursor;
    if (i === offset) return match;
    cursor = match + 1;
  }
  return cursor;
}

/** Turns a schema issue into a problem phrased for the user: the value given and what is expected. */
function problemFromIssue(yaml: QueryYaml, issue: z.core.$ZodIssue): QueryProblem[] {
  const input = (issue as { input?: unknown }).input;
  const given = describeValue(input);
  const isQuery = issue.path.length === 1 && issue.path[0] === "query";
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) =>
        yaml.problemAt([key], `unknown key${didYouMean(key, QUERY_FILE_KEYS) || `; expected one of: ${QUERY_FILE_KEYS.join(", ")}`}`, true),
      );
    case "invalid_type": {
      if (issue.path.length === 0) {
        return [yaml.problemAt([], `got ${given}; expected a mapping with the keys ${QUERY_FILE_KEYS.join(", ")} (query is required)`)];
      }
      if (input === undefined) {
        return [yaml.problemAt(issue.path, `missing required key; expected a Lucene query such as ${EXAMPLE_QUERY}`)];
      }
      if (isQuery && input === null) return [emptyQuery(yaml)];
      const expected: Record<string, string> = { boolean: "true or false", string: "a string", array: "a list of strings" };
      const yamlHint = typeof input === "string" && /^(yes|no|on|off|y|n)$/i.test(input) ? " (in YAML 1.2 yes/no/on/off are strings)" : "";
      return [yaml.problemAt(issue.path, `got ${given}; expected ${expected[issue.expected] ?? issue.expected}${yamlHint}`)];
    }
    case "invalid_format":
      return isQuery ? [emptyQuery(yaml)] : [yaml.problemAt(issue.path, `got ${given}; ${issue.message}`)];
    case "too_small":
      return issue.origin === "array"
        ? [yaml.problemAt(issue.path, "got an empty list; expected at least one tempest test id, or no test_ids key")]
        : [yaml.problemAt(issue.path, `got ${given}; expected a tempest test id such as tempest.api.compute.servers.test_create_server.ServersTestJSON.test_list_servers`)];
    default:
      return [yaml.problemAt(issue.path, `got ${given}; ${issue.message}`)];
  }
}

function emptyQuery(yaml: QueryYaml): QueryProblem {
  return yaml.problemAt(["query"], `got an empty query; expected a Lucene query such as ${EXAMPLE_QUERY}`);
}

function sortByPlace(problems: QueryProblem[]): QueryProblem[] {
  return [...problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

interface CheckedFile {
  readonly yaml: QueryYaml;
  readonly entry: string;
  readonly bug?: string;
  readonly config?: QueryFile;
  readonly canonical?: string;
}

function checkFile(folder: string, entry: string, problems: QueryProblem[]): CheckedFile {
  const file = path.join(folder, entry);
  const bug = BUG_FILE_NAME.exec(entry)?.[1];
  if (bug === undefined) {
    const stem = entry.replace(/\.ya?ml$/, "");
    const message = /^[1-9][0-9]*$/.test(stem)
      ? `file name ${JSON.stringify(entry)}: the bot only loads *.yaml files; expected ${stem}.yaml`
      : `file name ${JSON.stringify(entry)} is not a bug number; expected <Launchpad bug number>.yaml, such as 1234567.yaml`;
    problems.push({ file, line: 0, column: 0, setting: "", message });
  }
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    problems.push({ file, line: 0, column: 0, setting: "", message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)}); expected a readable YAML file` });
    return { yaml: new QueryYaml(file, ""), entry, bug };
  }
  const yaml = new QueryYaml(file, text);
  problems.push(...yaml.problems);
  if (yaml.problems.length > 0) return { yaml, entry, bug };
  if (yaml.data === null || yaml.data === undefined) {
    problems.push({ file, line: 0, column: 0, setting: "", message: `the file is empty; expected at least a query, such as query: ${EXAMPLE_QUERY}` });
    return { yaml, entry, bug };
  }
  const result = queryFileSchema.safeParse(yaml.data, { reportInput: true });
  if (!result.success) problems.push(...result.error.issues.flatMap((issue) => problemFromIssue(yaml, issue)));
  // The query is checked even when another key is wrong, so that one run reports everything.
  const query = (yaml.data as { query?: unknown }).query;
  if (typeof query !== "string" || !/\S/.test(query)) return { yaml, entry, bug };
  const analysis = analyzeQuery(query);
  for (const issue of analysis.issues) problems.push(yaml.problemInQuery(issue.offset, issue.message));
  if (!result.success) return { yaml, entry, bug, canonical: analysis.canonical };
  const config = result.data;
  // elastic-recheck, which reads the same files, appends " AND voting:1" (our bot parenthesizes
  // the query first, queryForBuild): Lucene ties that AND to the last term only when
  // the top level joins terms with OR, NOT or nothing, which changes what the query matches.
  const loose = (analysis.topLevelOperators ?? []).find((operator) => operator !== "AND" && operator !== "AND NOT");
  if (analysis.issues.length === 0 && loose !== undefined && !config["allow-nonvoting"]) {
    const what = loose === "<implicit>" ? "terms joined without an operator" : `"${loose}"`;
    problems.push(
      yaml.problemInQuery(
        firstLooseOperatorOffset(query),
        `elastic-recheck runs this query with " AND voting:1" appended, which binds only to the last term after ${what} at the top level; ` +
          "expected the whole query in parentheses, or allow-nonvoting: true",
      ),
    );
  }
  return { yaml, entry, bug, config, canonical: analysis.canonical };
}

/** Reads and checks every query file of `folder`, returning the valid queries and every problem. */
export function loadQueries(folder: string): QueryCheck {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
    return {
      checked: 0,
      queries: [],
      problems: [{ file: folder, line: 0, column: 0, setting: "", message: "queries folder not found; expected a folder of <bug number>.yaml files" }],
    };
  }
  const problems: QueryProblem[] = [];
  const entries = fs
    .readdirSync(folder)
    .filter((entry) => /\.ya?ml$/.test(entry) && fs.statSync(path.join(folder, entry)).isFile())
    .sort();
  const files = entries.map((entry) => checkFile(folder, entry, problems));

  const byQuery = new Map<string, CheckedFile[]>();
  for (const file of files) {
    if (file.canonical === undefined) continue;
    byQuery.set(file.canonical, [...(byQuery.get(file.canonical) ?? []), file]);
  }
  for (const same of byQuery.values()) {
    if (same.length < 2) continue;
    for (const file of same) {
      const others = same.filter((other) => other !== file).map((other) => other.entry);
      problems.push(
        file.yaml.problemInQuery(
          0,
          `the same query as ${others.join(", ")} (compared after normalizing spacing, quotes, operator spelling and the order of AND/OR terms); ` +
            "expected one file per failure signature: keep one bug and delete the other file",
        ),
      );
    }
  }

  const withProblems = new Set(problems.map((problem) => problem.file));
  const queries: BugQuery[] = [];
  for (const { bug, yaml, config } of files) {
    if (bug === undefined || config === undefined || withProblems.has(yaml.file)) continue;
    queries.push({
      bug,
      file: yaml.file,
      query: config.query,
      suppressGraph: config["suppress-graph"] ?? false,
      suppressNotification: config["suppress-notification"] ?? false,
      allowNonvoting: config["allow-nonvoting"] ?? false,
      testIds: config.test_ids ?? [],
    });
  }
  return { checked: entries.length, queries, problems: sortByPlace(problems) };
}

/** Every problem of the query files in `folder`; empty when the bot can load them all as intended. */
export function checkQueries(folder: string): QueryProblem[] {
  return [...loadQueries(folder).problems];
}
