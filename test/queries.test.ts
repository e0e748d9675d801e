import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { formatProblem } from "../lib/config/problems";
import { checkQueries, loadQueries, QUERY_JSON_SCHEMA_FILE, renderQueryJsonSchema } from "../lib/queries";

const repoRoot = path.join(__dirname, "..");
const shippedQueries = path.join(repoRoot, "config", "queries");
const SCHEMA_LINE = `# yaml-language-server: $schema=../../schema/config/${QUERY_JSON_SCHEMA_FILE}`;

/** A temporary queries folder holding `files` (name → content). */
function queriesFolder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "queries-"));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** The formatted problems of a folder holding `files`, with the folder's path removed. */
function problemsOf(files: Record<string, string>): string[] {
  const dir = queriesFolder(files);
  return checkQueries(dir).map((problem) => formatProblem(problem).replace(`${dir}${path.sep}`, ""));
}

const GOOD = 'query: message:"Timed out" AND tags:"job-output.txt"\n';

describe("the shipped bug queries", () => {
  const files = fs.readdirSync(shippedQueries).sort();

  test("pass every check", () => {
    expect(checkQueries(shippedQueries).map(formatProblem)).toEqual([]);
  });

  test("are a starter set of 8 to 12 bugs, all loaded", () => {
    const { checked, queries } = loadQueries(shippedQueries);
    expect(checked).toBe(files.length);
    expect(queries.map((query) => `${query.bug}.yaml`)).toEqual(files);
    expect(files.length).toBeGreaterThanOrEqual(8);
    expect(files.length).toBeLessThanOrEqual(12);
  });

  test.each(files)("%s names its JSON Schema and its bug in its first comment lines", (file) => {
    const lines = fs.readFileSync(path.join(shippedQueries, file), "utf8").split("\n");
    expect(lines[0]).toBe(SCHEMA_LINE);
    expect(lines[2]).toMatch(new RegExp(`^# Bug ${path.basename(file, ".yaml")}: `));
  });
});

describe("the query file JSON Schema", () => {
  test(`schema/config/${QUERY_JSON_SCHEMA_FILE} is current (run \`npm run query-schema\` after changing lib/queries/schema.ts)`, () => {
    expect(fs.readFileSync(path.join(repoRoot, "schema", "config", QUERY_JSON_SCHEMA_FILE), "utf8")).toBe(renderQueryJsonSchema());
  });

  test("is draft-07, requires query and rejects unknown keys", () => {
    const schema = JSON.parse(renderQueryJsonSchema());
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.required).toEqual(["query"]);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(["query", "suppress-graph", "suppress-notification", "allow-nonvoting", "test_ids"]);
  });
});

describe("loadQueries", () => {
  test("reads every upstream key of a query file, with elastic-recheck's defaults", () => {
    const dir = queriesFolder({ "1234567.yaml": "query: >-\n  message:\"x\" AND\n  tags:\"console\"\nsuppress-graph: true\n" });
    const [query] = loadQueries(dir).queries;
    expect(query).toMatchObject({ bug: "1234567", suppressGraph: true, suppressNotification: false, allowNonvoting: false, testIds: [] });
  });
});

describe("checkQueries", () => {
  test("accepts every key, voting in the query, default-field words and negated fields", () => {
    const query = [
      "query: >-",
      '  message:"Timed out" AND quota AND tags:"console" AND voting:0 AND NOT build_name:"a" AND -project:"openstack/b"',
      "suppress-graph: true",
      "suppress-notification: false",
      "allow-nonvoting: true",
      "test_ids:",
      "  - tempest.api.compute.servers.test_create_server.ServersTestJSON.test_list_servers",
      "",
    ].join("\n");
    expect(problemsOf({ "1234567.yaml": query })).toEqual([]);
  });

  test("fails on a Lucene syntax error, at its line and column in the file", () => {
    const text = 'query: >-\n  message:"Timed out" AND\n  (tags:"console" OR tags:"job-output.txt"\n';
    expect(problemsOf({ "1234567.yaml": text })).toEqual([
      '1234567.yaml:3:3: query: Lucene syntax: "(" is not closed; expected a matching ")"',
    ]);
  });

  test("fails on a syntax error inside a double-quoted YAML string, counting the escapes", () => {
    expect(problemsOf({ "1234567.yaml": 'query: "message:\\"x\\" AND tags:console:y"\n' })).toEqual([
      '1234567.yaml:1:39: query: Lucene syntax: got ":"; expected a term after "field:" (quote a value that contains ":")',
    ]);
  });

  test("fails on a dangling AND at the end of the query, which the parser would drop", () => {
    expect(problemsOf({ "1234567.yaml": 'query: >-\n  message:"Timed out" AND\n  tags:"console" AND\n' })).toEqual([
      '1234567.yaml:3:18: query: dangling operator "AND" at the end of the query; expected a term after it (the search engine refuses the query)',
    ]);
  });

  test("fails on a dangling || before a closing parenthesis", () => {
    expect(problemsOf({ "1234567.yaml": 'query: message:"x" AND (tags:"a" ||)\n' })).toEqual([
      '1234567.yaml:1:34: query: dangling operator "||" before ")"; expected a term after it (the search engine refuses the query)',
    ]);
  });

  test("fails on an operator at the start of the query", () => {
    expect(problemsOf({ "1234567.yaml": 'query: OR message:"x" AND tags:"console"\n' })).toEqual([
      '1234567.yaml:1:8: query: operator "OR" at the start of the query; expected a term before it',
    ]);
  });

  test("fails on two operators in a row and on a lowercase operator", () => {
    expect(problemsOf({ "1234567.yaml": 'query: message:"x" AND AND tags:"a" and tags:"b"\n' })).toEqual([
      '1234567.yaml:1:20: query: got "AND" followed by "AND"; expected a term between two operators',
      '1234567.yaml:1:37: query: got "and", which Lucene searches as a word in the default field; expected the operator "AND" in capitals',
    ]);
  });

  test("fails on an unknown field, suggesting the closest log field", () => {
    expect(problemsOf({ "1234567.yaml": 'query: >-\n  message:"x" AND\n  buidl_name:"tempest-full-py3"\n' })).toEqual([
      '1234567.yaml:3:3: query: unknown field "buidl_name"; did you mean "build_name"?',
    ]);
  });

  test("fails on a field that is nothing like a log field, listing them", () => {
    const [problem] = problemsOf({ "1234567.yaml": 'query: message:"x" AND severity:high\n' });
    expect(problem).toMatch(/^1234567\.yaml:1:24: query: unknown field "severity"; expected one of the log fields \(lib\/field-contract\.ts\): @timestamp, message, /);
  });

  test("fails on a word where a whole-number field needs a number", () => {
    expect(problemsOf({ "1234567.yaml": 'query: message:"x" AND voting:yes\n' })).toEqual([
      '1234567.yaml:1:31: query: field "voting" holds whole numbers; got "yes"; expected a whole number, such as voting:1',
    ]);
  });

  test("fails on a top-level OR that the appended AND voting:1 would change, unless allow-nonvoting", () => {
    const text = 'query: message:"x" OR message:"y"\n';
    expect(problemsOf({ "1234567.yaml": text })).toEqual([
      '1234567.yaml:1:20: query: elastic-recheck runs this query with " AND voting:1" appended, which binds only to the last term after "OR" at the top level; expected the whole query in parentheses, or allow-nonvoting: true',
    ]);
    expect(problemsOf({ "1234567.yaml": 'query: (message:"x" OR message:"y")\n' })).toEqual([]);
    expect(problemsOf({ "1234567.yaml": `${text}allow-nonvoting: true\n` })).toEqual([]);
  });

  test("fails on an unknown key, suggesting the closest", () => {
    expect(problemsOf({ "1234567.yaml": `${GOOD}suppress_graph: true\n` })).toEqual([
      '1234567.yaml:2:1: suppress_graph: unknown key; did you mean "suppress-graph"?',
    ]);
  });

  test("fails on a value of the wrong type", () => {
    expect(problemsOf({ "1234567.yaml": `${GOOD}allow-nonvoting: yes\ntest_ids: tempest.api.compute\n` })).toEqual([
      '1234567.yaml:2:18: allow-nonvoting: got "yes"; expected true or false (in YAML 1.2 yes/no/on/off are strings)',
      '1234567.yaml:3:11: test_ids: got "tempest.api.compute"; expected a list of strings',
    ]);
  });

  test("fails on a missing query", () => {
    expect(problemsOf({ "1234567.yaml": "suppress-graph: true\n" })).toEqual([
      '1234567.yaml:1:1: query: missing required key; expected a Lucene query such as message:"..." AND tags:"job-output.txt"',
    ]);
  });

  test("fails on an empty query", () => {
    const expected = 'query: got an empty query; expected a Lucene query such as message:"..." AND tags:"job-output.txt"';
    expect(problemsOf({ "1234567.yaml": 'query: "  "\n', "1234568.yaml": "query:\n" })).toEqual([
      `1234567.yaml:1:8: ${expected}`,
      `1234568.yaml:1:7: ${expected}`,
    ]);
  });

  test("fails on two files with the same query, naming both", () => {
    const problems = problemsOf({
      "1234567.yaml": GOOD,
      "1234568.yaml": "query: >-\n  tags:job-output.txt &&\n  message:\"Timed out\"\n",
      "1234569.yaml": 'query: message:"Timed out" AND tags:"console"\n',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^1234567\.yaml:1:8: query: the same query as 1234568\.yaml \(compared after normalizing .*\); expected one file per failure signature/),
      expect.stringMatching(/^1234568\.yaml:2:3: query: the same query as 1234567\.yaml /),
    ]);
  });

  test("fails on a file name that is not a bug number, and on a .yml file the bot would skip", () => {
    expect(problemsOf({ "nova-detach.yaml": GOOD, "1234567.yml": 'query: message:"other" AND tags:"console"\n' })).toEqual([
      '1234567.yml: file name "1234567.yml": the bot only loads *.yaml files; expected 1234567.yaml',
      'nova-detach.yaml: file name "nova-detach.yaml" is not a bug number; expected <Launchpad bug number>.yaml, such as 1234567.yaml',
    ]);
  });

  test("fails on a YAML syntax error and on a file that is not a mapping", () => {
    expect(problemsOf({ "1234567.yaml": "query: [a\n", "1234568.yaml": "- query: x\n" })).toEqual([
      "1234567.yaml:2:1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]",
      "1234568.yaml:1:1: got a list; expected a mapping with the keys query, suppress-graph, suppress-notification, allow-nonvoting, test_ids (query is required)",
    ]);
  });
});

describe("npm run check-queries", () => {
  const tsxCli = path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs");
  const script = path.join(repoRoot, "scripts", "check-queries.ts");
  const env = { ...process.env };
  delete env.CONFIG_DIR;
  const run = (args: string[]) => spawnSync(process.execPath, [tsxCli, script, ...args], { cwd: repoRoot, env, encoding: "utf8" });

  test("exits 1 on a broken folder, printing the count and every problem without a stack trace", () => {
    const dir = queriesFolder({ "1234567.yaml": 'query: message:"x" AND\n', "1234568.yaml": `${GOOD}supress-graph: true\n` });
    const result = run([dir]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(
      [
        `2 queries checked, 2 problems in ${dir}:`,
        `  ${path.join(dir, "1234567.yaml")}:1:20: query: dangling operator "AND" at the end of the query; expected a term after it (the search engine refuses the query)`,
        `  ${path.join(dir, "1234568.yaml")}:2:1: supress-graph: unknown key; did you mean "suppress-graph"?`,
        "",
      ].join("\n"),
    );
    expect(result.stderr).toBe("");
  });

  test("exits 0 on the shipped folder, its default", () => {
    const result = run([]);
    expect(result.stdout).toMatch(/^\d+ queries checked, 0 problems in config\/queries\n$/);
    expect(result.status).toBe(0);
  });

  test("fails with exit 2 on a usage error, one line and a pointer to --help", () => {
    const result = run(["a", "b"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("check-queries: expected at most one folder, got 2: a b\nRun `npm run check-queries -- --help` for usage.\n");
  });

  test("fails with exit 1 on a folder without any query file", () => {
    const dir = queriesFolder({});
    const result = run([dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`check-queries: ${dir}: no query file; expected <bug number>.yaml files (see README: Bug queries)\n`);
  });
});
