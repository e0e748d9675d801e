/**
 * One bug query as the recheck bot runs it, and the query file it reads on the server. This
 * module depends on nothing but the field contract, so that the bot's bundle
 * (services/recheck) stays small enough for a server's user data: the YAML parser and the
 * schema library, which check-queries uses to check the files in this repository, stay out.
 */
import { LOG_FIELDS } from "../field-contract";

/** One bug query as the bot uses it. */
export interface BugQuery {
  /** The Launchpad bug number: the file name without `.yaml`. */
  readonly bug: string;
  readonly file: string;
  /** The query as written in the file; the bot runs `queryForBuild(this, build)`. */
  readonly query: string;
  readonly suppressGraph: boolean;
  readonly suppressNotification: boolean;
  readonly allowNonvoting: boolean;
  readonly testIds: readonly string[];
}

/** A build as the index knows it: by its full uuid (today's Zuul) or its short uuid (older log URLs). */
export type BuildId = { readonly uuid: string } | { readonly shortUuid: string };

/** The field and value that select one build's documents. */
export function buildTerm(build: BuildId): { readonly field: keyof typeof LOG_FIELDS; readonly value: string } {
  const [field, value] = "uuid" in build ? (["build_uuid", build.uuid] as const) : (["build_short_uuid", build.shortUuid] as const);
  if (!/^[0-9a-f]+$/.test(value)) throw new Error(`build id ${JSON.stringify(value)}: expected hexadecimal digits`);
  return { field, value };
}

/** The Lucene term that selects one build's documents. */
export function buildFilter(build: BuildId): string {
  const { field, value } = buildTerm(build);
  return `${field}:"${value}"`;
}

/**
 * The query the bot runs for one failed build: the bug's query in parentheses (so that its own
 * OR and NOT keep their meaning), restricted to the build, and to voting jobs unless the query
 * allows non-voting ones.
 */
export function queryForBuild(query: Pick<BugQuery, "query" | "allowNonvoting">, build?: BuildId): string {
  return [`(${query.query.trim()})`, ...(build ? [buildFilter(build)] : []), ...(query.allowNonvoting ? [] : ["voting:1"])].join(" AND ");
}

/**
 * A query file in the upstream format (`query`, `suppress-graph`, `suppress-notification`,
 * `allow-nonvoting`, `test_ids`), written as JSON: every JSON document is also YAML, so
 * check-queries and elastic-recheck read it, and the bot reads it without a YAML parser.
 */
export function renderQueryFile(query: BugQuery): string {
  return `${JSON.stringify({
    query: query.query,
    ...(query.suppressGraph ? { "suppress-graph": true } : {}),
    ...(query.suppressNotification ? { "suppress-notification": true } : {}),
    ...(query.allowNonvoting ? { "allow-nonvoting": true } : {}),
    ...(query.testIds.length > 0 ? { test_ids: [...query.testIds] } : {}),
  }, null, 2)}\n`;
}

const FLAGS = { "suppress-graph": "suppressGraph", "suppress-notification": "suppressNotification", "allow-nonvoting": "allowNonvoting" } as const;

/**
 * Reads a query file as renderQueryFile writes it: a BugQuery, or what is wrong with the file
 * (for the bot's log; the files were checked in full by check-queries at synth).
 */
export function parseQueryFile(file: string, text: string): BugQuery | { readonly problem: string } {
  const bug = /(?:^|\/)([1-9][0-9]*)\.yaml$/.exec(file)?.[1];
  if (bug === undefined) return { problem: "the file name is not <Launchpad bug number>.yaml" };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { problem: `not the JSON form of the upstream format that the deployment writes (${(error as Error).message}); edit config/queries and deploy` };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return { problem: "expected a mapping with a query" };
  const fields = data as Record<string, unknown>;
  if (typeof fields.query !== "string" || !/\S/.test(fields.query)) return { problem: "expected a non-empty string in query" };
  const unknown = Object.keys(fields).filter((key) => key !== "query" && key !== "test_ids" && !(key in FLAGS));
  if (unknown.length > 0) return { problem: `unknown key ${unknown.join(", ")}; expected query, ${Object.keys(FLAGS).join(", ")}, test_ids` };
  const flags: Record<string, boolean> = {};
  for (const [key, name] of Object.entries(FLAGS)) {
    if (fields[key] !== undefined && typeof fields[key] !== "boolean") return { problem: `${key}: got ${JSON.stringify(fields[key])}; expected true or false` };
    flags[name] = fields[key] === true;
  }
  const testIds = fields.test_ids ?? [];
  if (!Array.isArray(testIds) || !testIds.every((id) => typeof id === "string")) return { problem: "test_ids: expected a list of strings" };
  return {
    bug,
    file,
    query: fields.query,
    suppressGraph: flags.suppressGraph,
    suppressNotification: flags.suppressNotification,
    allowNonvoting: flags.allowNonvoting,
    testIds,
  };
}
