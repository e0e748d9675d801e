import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadQueries } from "../lib/queries/check";
import { analyzeQuery } from "../lib/queries/lucene";
import { constantPhrase, quoted, suggestedQuery, suggestedQueryFile } from "../lib/signatures/query";
import { ERROR_LINE_CASES } from "./fixtures/error-lines";

describe("constantPhrase", () => {
  test.each([
    ["the longest stretch between placeholders", "nova.exception.PortBindingFailed: Binding failed for port <uuid> on host np<n> after <n> attempts", "nova.exception.PortBindingFailed: Binding failed for port"],
    ["without a word a placeholder cuts", "{<n>} tempest.api.compute.test_x.T.test_y [<n>s] ... FAILED and retried", "FAILED and retried"],
    ["more words win over more characters", "averyveryverylongidentifierword <n> two words", "two words"],
    ["the whole text without placeholders", "tempest.lib.exceptions.TimeoutException: Request timed out", "tempest.lib.exceptions.TimeoutException: Request timed out"],
    ["punctuation at the ends left out", "Instance <uuid> could not be found.", "could not be found"],
  ])("%s", (_what, normalized, phrase) => {
    expect(constantPhrase(normalized)).toBe(phrase);
  });

  test("is undefined without a word", () => {
    expect(constantPhrase("<n> <uuid>: <ip>")).toBeUndefined();
  });
});

describe("suggestedQuery", () => {
  test("quotes the phrase, with the file's tag when there is one file", () => {
    expect(suggestedQuery('say "hi" \\o/', "job-output.txt")).toBe('message:"say \\"hi\\" \\\\o/" AND tags:"job-output.txt"');
    expect(suggestedQuery("boom")).toBe('message:"boom"');
    expect(quoted("a")).toBe('"a"');
  });

  test("writes queries that the project's Lucene checker accepts, for every real-shaped error line", () => {
    const phrases = ERROR_LINE_CASES.flatMap((item) => (item.normalized === undefined ? [] : [constantPhrase(item.normalized)!]));
    expect(phrases.length).toBeGreaterThan(10);
    for (const phrase of phrases) expect([phrase, analyzeQuery(suggestedQuery(phrase, "screen-n-cpu.txt")).issues]).toEqual([phrase, []]);
  });

  test("writes a query file that check-queries loads with the query unchanged, whatever quotes the comment and query hold", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "suggested-file-"));
    try {
      const query = suggestedQuery("can't open 'x' # not a comment", "job-output.txt");
      fs.writeFileSync(path.join(dir, "1234567.yaml"), suggestedQueryFile(query, "Suggested from 3 builds:\nError: can't open 'x'"));
      expect(loadQueries(dir)).toMatchObject({ problems: [], queries: [expect.objectContaining({ bug: "1234567", query })] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
