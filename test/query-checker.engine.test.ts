/**
 * check-queries against the search engine it checks for: on a corpus of valid and invalid
 * Lucene strings, the checker finds a `rejected` problem exactly when OpenSearch's
 * `_validate/query` (query_string, on an index with the log mapping) refuses the query or drops
 * a clause of it (an explanation with `failed [field]`, which then matches nothing). Bare
 * words are validated against `message` (the bot's default field is all fields, where every
 * word "fails" on the whole-number fields, which is not a dropped clause). The checker's
 * `misleading` problems are queries the engine runs, but not as they read.
 */
import { analyzeQuery } from "../lib/queries";
import { logMapping } from "../lib/search/engine";
import { describeWithSearchEngine, engineRequest, uniqueIndexName } from "./support/search-engine";

const CORPUS: readonly string[] = [
  // escapes in phrases, terms and regular expressions
  String.raw`message:"\nNo matching distribution found for"`,
  String.raw`message:"a \"quoted\" word"`,
  String.raw`message:"tab\there"`,
  String.raw`message:"back\\slash"`,
  String.raw`message:foo\:bar`,
  String.raw`message:foo\nbar`,
  String.raw`message:C\:\\Windows`,
  String.raw`message:foo\ bar`,
  String.raw`message:foo\\`,
  String.raw`message:foo\\`.slice(0, -1),
  String.raw`message:"unclosed \"`,
  String.raw`message:/a\d+b/`,
  String.raw`message:/a\/b/`,
  // phrases, terms, wildcards
  'message:"Device detach failed for" AND loglevel:"ERROR" AND tags:"screen-n-cpu.txt"',
  'message:"Traceback (most recent call last)"',
  'message:""',
  'message:("a b" "c")',
  "message:fo*",
  "message:*foo",
  "message:f?o",
  "message:*",
  "*:*",
  "message:foo bar",
  'message:"unclosed',
  // ranges
  "pid:[1 TO 5]",
  "pid:{1 TO 5]",
  "pid:[1 TO *]",
  "pid:>5",
  "pid:<=5",
  "pid:[a TO b]",
  "message:[a TO c}",
  "message:[a TO]",
  "@timestamp:[now-1d TO now]",
  "@timestamp:[2024-05-01 TO 2024-05-14T10:21:33Z]",
  "@timestamp:>=2024-05-01||-1d/d",
  "@timestamp:[yesterday TO now]",
  // numbers in whole-number fields
  "voting:1",
  "voting:yes",
  "pid:12a",
  // regular expressions
  "message:/ab+c/",
  "message:/.*error.*/",
  "message:/[a-z/",
  "message:/(unclosed/",
  "message:/unclosed",
  // fuzzy, proximity, boosts
  "message:foo~",
  "message:foo~1",
  'message:"a b"~3',
  "message:foo^2",
  'message:"a b"^0.5',
  "message:foo^",
  // field groups
  'build_name:(tempest-full OR "tempest-integrated-compute")',
  "build_name:(a OR b",
  "build_name:a OR b)",
  "(message:x OR message:y) AND tags:console",
  "()",
  "message:()",
  // operators
  "a && b",
  "a || b",
  "!a",
  "+a -b",
  "a AND NOT b",
  "a NOT b",
  'message:"x" AND',
  "a ||",
  "a AND (b OR)",
  "a OR OR b",
  "AND a",
  "&& a",
  "NOT foo",
  "a and b",
  "a AND b OR c",
  // fields
  "message:",
  ":foo",
  "message:foo:bar",
  "unknown_field:x",
  "_exists_:module",
  "_exists_:nope",
  "module:oslo_messaging.rpc.server",
];

interface EngineVerdict {
  readonly accepted: boolean;
  readonly why: string;
}

describeWithSearchEngine("check-queries against OpenSearch's _validate/query", () => {
  const index = uniqueIndexName("query-checker");

  beforeAll(async () => {
    expect((await engineRequest("PUT", index, { mappings: logMapping() })).status).toBe(200);
  });

  afterAll(async () => {
    await engineRequest("DELETE", index);
  });

  async function engineVerdict(query: string): Promise<EngineVerdict> {
    const { status, body } = await engineRequest("POST", `${index}/_validate/query?explain=true`, { query: { query_string: { query, default_field: "message" } } });
    expect(status).toBe(200);
    const explanation: { error?: string; explanation?: string } = body.explanations?.[0] ?? {};
    const dropped = /failed \[[^\]]+\] query, caused by [^")]*/.exec(explanation.explanation ?? "");
    if (!body.valid) return { accepted: false, why: (explanation.error ?? "invalid").split("\n")[0].slice(-160) };
    if (dropped) return { accepted: false, why: dropped[0] };
    return { accepted: true, why: "valid" };
  }

  test.each(CORPUS.map((query) => [query]))("the checker rejects %s exactly when the engine does", async (query) => {
    const verdict = await engineVerdict(query);
    const rejected = analyzeQuery(query).issues.filter((issue) => issue.kind === "rejected").map((issue) => issue.message);
    expect({ query, checkerRejects: rejected.length > 0, checker: rejected, engine: verdict.why }).toEqual({
      query,
      checkerRejects: !verdict.accepted,
      checker: rejected,
      engine: verdict.why,
    });
  });

  test("the escaped newline of the upstream query for 'No matching distribution found' is valid", async () => {
    const query = String.raw`message:"\nNo matching distribution found for"`;
    expect(analyzeQuery(query).issues).toEqual([]);
    expect((await engineVerdict(query)).accepted).toBe(true);
  });

  test("the checker's misleading-only problems are queries the engine runs", async () => {
    const misleading = CORPUS.filter((query) => {
      const kinds = analyzeQuery(query).issues.map((issue) => issue.kind);
      return kinds.length > 0 && kinds.every((kind) => kind === "misleading");
    });
    expect(misleading).toEqual(expect.arrayContaining(["NOT foo", "a and b", "unknown_field:x", "_exists_:nope", "*:*"]));
    for (const query of misleading) expect(await engineVerdict(query)).toEqual({ accepted: true, why: "valid" });
  });
});
