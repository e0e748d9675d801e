import { DEFAULT_ENGINE_VERSIONS } from "../lib/search/topology";
import { describeWithSearchEngine, engineRequest, searchEngineGate, searchEngineUrl, uniqueIndexName } from "./support/search-engine";

describe("searchEngineGate", () => {
  test("skips with one line naming the packages when java and mvn are missing", () => {
    expect(searchEngineGate({ PATH: "/nonexistent" })).toEqual({
      run: false,
      skip: expect.stringMatching(/^SKIPPED: java and mvn not found; install the Debian packages openjdk-17-jdk-headless and maven/),
    });
  });

  test("fails under CI=true when they are missing", () => {
    expect(searchEngineGate({ PATH: "/nonexistent", CI: "true" })).toEqual({ run: false, fail: expect.stringContaining("CI=true requires the search engine tests") });
  });
});

describeWithSearchEngine("the test node", () => {
  test("is the OpenSearch release the project deploys, on loopback", async () => {
    expect(await searchEngineUrl()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { body } = await engineRequest("GET", "/");
    expect(body.version).toMatchObject({ distribution: "opensearch", number: DEFAULT_ENGINE_VERSIONS.opensearch });
  });

  test("has the modules the rendered requests need", async () => {
    const { body } = await engineRequest("GET", "_nodes/plugins?filter_path=nodes.*.plugins.name");
    const names = Object.values(body.nodes as Record<string, { plugins: { name: string }[] }>).flatMap((node) => node.plugins.map((plugin) => plugin.name));
    expect(names.sort()).toEqual([
      "org.opensearch.analysis.common.CommonAnalysisPlugin",
      "org.opensearch.ingest.common.IngestCommonPlugin",
      "org.opensearch.painless.PainlessPlugin",
      "org.opensearch.transport.Netty4Plugin",
    ]);
  });

  test("indexes and finds a document in an index of the test's own", async () => {
    const index = uniqueIndexName("harness");
    try {
      expect((await engineRequest("PUT", `${index}/_doc/1?refresh=true`, { message: "hello engine" })).status).toBe(201);
      const { body } = await engineRequest("POST", `${index}/_search`, { query: { match: { message: "engine" } } });
      expect(body.hits.total.value).toBe(1);
    } finally {
      await engineRequest("DELETE", index);
    }
  });
});
