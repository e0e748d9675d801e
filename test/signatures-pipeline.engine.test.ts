/**
 * The error fingerprints' one definition (lib/signatures) run twice: by the ingestion service in
 * JavaScript and by the real node's ingest pipeline (grok, gsub, Painless), on the same messages.
 */
import { ingestPipelineBody, serviceFields } from "../lib/ingestion/ingest-pipeline";
import { generateLogs } from "./fixtures/ci-logs";
import { ERROR_LINE_CASES } from "./fixtures/error-lines";
import { describeWithSearchEngine, engineRequest, uniqueIndexName } from "./support/search-engine";

const ERROR_FIELDS = ["error_normalized", "error_fingerprint"] as const;

describeWithSearchEngine("error fingerprints on the real node", () => {
  const pipeline = uniqueIndexName("signatures-pipeline");

  beforeAll(async () => {
    const { status, body } = await engineRequest("PUT", `_ingest/pipeline/${pipeline}`, ingestPipelineBody());
    expect({ status, body }).toEqual({ status: 200, body: { acknowledged: true } });
  });

  afterAll(async () => {
    await engineRequest("DELETE", `_ingest/pipeline/${pipeline}`);
  });

  async function simulate(sources: readonly Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const { status, body } = await engineRequest("POST", `_ingest/pipeline/${pipeline}/_simulate`, { docs: sources.map((source) => ({ _source: source })) });
    expect(status).toBe(200);
    return body.docs.map((result: { doc?: { _source: Record<string, unknown> }; error?: unknown }) => {
      if (result.error !== undefined) throw new Error(`the pipeline failed a document: ${JSON.stringify(result.error)}`);
      return result.doc!._source;
    });
  }

  const errorFieldsOf = (doc: Record<string, unknown>) => Object.fromEntries(ERROR_FIELDS.filter((name) => doc[name] !== undefined).map((name) => [name, doc[name]]));

  test("the pipeline gives every real-shaped case the normalized text and fingerprint the service gives it", async () => {
    const simulated = await simulate(ERROR_LINE_CASES.map((item) => ({ message: item.message })));
    expect(simulated.map((doc, index) => [ERROR_LINE_CASES[index].what, doc.error_normalized])).toEqual(ERROR_LINE_CASES.map((item) => [item.what, item.normalized]));
    expect(simulated.map(errorFieldsOf)).toEqual(ERROR_LINE_CASES.map((item) => errorFieldsOf(serviceFields(item.message))));
  });

  test("and every message of generated devstack and tempest builds", async () => {
    const messages = [7, 8].flatMap((seed) => generateLogs(seed, Date.UTC(2026, 4, 14, 10), { linesPerFile: 400 }).flatMap((file) => file.messages.map((message) => message.text)));
    const simulated = await simulate(messages.map((message) => ({ message })));
    expect(simulated.map(errorFieldsOf)).toEqual(messages.map((message) => errorFieldsOf(serviceFields(message))));
    expect(simulated.filter((doc) => doc.error_fingerprint !== undefined).length).toBeGreaterThan(50);
  });

  test("leaves a document without a message, or with a message that is no string, as it is", async () => {
    expect(await simulate([{ build_uuid: "a" }, { message: 42 }])).toEqual([{ build_uuid: "a" }, { message: 42 }]);
  });
});
