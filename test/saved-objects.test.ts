import * as fs from "node:fs";
import * as http from "node:http";
import type * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { IMPORT_SAVED_OBJECTS_SCRIPT } from "../constructs/frontend";
import type { DashboardsUi } from "../lib/frontend/dashboards-routes";
import { parseSavedObjects, SAVED_OBJECTS_FILES, ZUUL_FAILED_RESULTS, type SavedObject } from "../lib/frontend/saved-objects";
import { LOG_FIELDS } from "../lib/field-contract";
import { runProcess } from "./support/scripts";
import { allGates, describeGated, toolGate } from "./support/validators";

const UIS = Object.keys(SAVED_OBJECTS_FILES) as DashboardsUi[];
const shipped = (ui: DashboardsUi) => fs.readFileSync(path.join("config", "dashboards", SAVED_OBJECTS_FILES[ui]), "utf8");
const byId = (objects: SavedObject[], id: string) => objects.find((object) => object.id === id)!;

describe.each(UIS)("the shipped saved objects of %s", (ui) => {
  const { objects, problems } = parseSavedObjects(ui, shipped(ui));

  test("pass the export format's schema and the cross checks", () => {
    expect(problems).toEqual([]);
    expect(objects.map((object) => `${object.type}:${object.id}`)).toEqual([
      "index-pattern:logstash", "search:failed-builds", "visualization:failures-per-job", "visualization:failures-per-project", "visualization:error-lines", "dashboard:ci-failures",
    ]);
  });

  test("have the logstash-* index pattern, on @timestamp", () => {
    expect(byId(objects, "logstash").attributes).toMatchObject({ title: "logstash-*", timeFieldName: "@timestamp" });
  });

  test("find every failed Zuul result in the failed builds search, not only FAILURE", () => {
    const { query } = (byId(objects, "failed-builds").attributes.kibanaSavedObjectMeta as { searchSourceJSON: { query: { query: string } } }).searchSourceJSON;
    expect(query).toEqual({ query: `build_status:(${ZUUL_FAILED_RESULTS.join(" OR ")})`, language: "lucene" });
  });

  test("build the CI failures dashboard from failures per job and per project over time and the error lines by module and level", () => {
    const dashboard = byId(objects, "ci-failures");
    expect(dashboard.attributes.title).toBe("CI failures");
    expect(dashboard.references.map((reference) => reference.id)).toEqual(["failures-per-job", "failures-per-project", "error-lines", "failed-builds"]);
    const aggregations = (id: string) => (byId(objects, id).attributes.visState as { aggs: { type: string; params: { field?: string } }[] }).aggs.map((agg) => `${agg.type}:${agg.params.field ?? ""}`);
    expect(aggregations("failures-per-job")).toEqual(["cardinality:build_uuid", "date_histogram:@timestamp", "terms:build_name"]);
    expect(aggregations("failures-per-project")).toEqual(["cardinality:build_uuid", "date_histogram:@timestamp", "terms:project"]);
    expect(aggregations("error-lines")).toEqual(["count:", "terms:module", "terms:loglevel"]);
    for (const id of ["failures-per-job", "failures-per-project", "error-lines"]) expect(byId(objects, id).references).toEqual([{ name: "search_0", type: "search", id: "failed-builds" }]);
  });
});

test("OpenSearch Dashboards' index pattern lists exactly the log fields, with the types and aggregatability of their mapping", () => {
  const fields = byId(parseSavedObjects("opensearch-dashboards", shipped("opensearch-dashboards")).objects, "logstash").attributes.fields as { name: string; type: string; aggregatable: boolean }[];
  const logFields = fields.filter((field) => !field.name.startsWith("_"));
  const expected = { keyword: "string", text: "string", date: "date", integer: "number" };
  expect(logFields.map((field) => [field.name, field.type, field.aggregatable])).toEqual(
    Object.entries(LOG_FIELDS).map(([name, field]) => [name, expected[field.type], field.type !== "text"]),
  );
});

describe("parseSavedObjects fails", () => {
  const lines = (ui: DashboardsUi) => shipped(ui).trimEnd().split("\n");
  const problemsOf = (ui: DashboardsUi, edited: string[]) => parseSavedObjects(ui, `${edited.join("\n")}\n`).problems;

  test("fails another UI's export (Kibana's has no migrationVersion, OpenSearch Dashboards' no typeMigrationVersion)", () => {
    expect(problemsOf("opensearch-dashboards", lines("kibana"))).toContainEqual({ line: 1, setting: "migrationVersion", message: expect.any(String) });
    expect(problemsOf("kibana", lines("opensearch-dashboards")).map((problem) => problem.line)).toContain(1);
  });

  test("fails an attribute the type does not have, at its line", () => {
    const edited = lines("kibana");
    edited[1] = edited[1].replace('"columns":', '"colums":[],"columns":');
    expect(problemsOf("kibana", edited)[0]).toEqual({ line: 2, setting: "attributes", message: expect.stringContaining("colums") });
  });

  test("fails a JSON attribute that is not JSON", () => {
    const edited = lines("opensearch-dashboards");
    const object = JSON.parse(edited[2]);
    object.attributes.visState = "{not json";
    edited[2] = JSON.stringify(object);
    expect(problemsOf("opensearch-dashboards", edited)[0]).toEqual({ line: 3, setting: "attributes.visState", message: expect.stringMatching(/^not JSON/) });
  });

  test("fails a field that is not a log field", () => {
    const edited = lines("kibana");
    edited[2] = edited[2].replace('\\"field\\": \\"build_name\\"', '\\"field\\": \\"job_name\\"');
    expect(problemsOf("kibana", edited)).toEqual([{ line: 3, setting: "attributes", message: "field job_name is not a log field (lib/field-contract.ts)" }]);
  });

  test("fails a query that does not parse or names a field that is not a log field, at its line", () => {
    const edited = lines("opensearch-dashboards");
    edited[1] = edited[1].replace("build_status:(FAILURE OR", "build_status:(FAILURE OR OR");
    edited[4] = edited[4].replace("loglevel:(ERROR", "log_level:(ERROR");
    expect(problemsOf("opensearch-dashboards", edited).map((problem) => [problem.line, problem.setting])).toEqual([
      [2, "attributes.kibanaSavedObjectMeta.searchSourceJSON.query.query"],
      [5, "attributes.kibanaSavedObjectMeta.searchSourceJSON.query.query"],
    ]);
  });

  test("fails a DQL query, which the config cannot check", () => {
    const edited = lines("kibana");
    edited[1] = edited[1].replace('\\"language\\": \\"lucene\\"', '\\"language\\": \\"kuery\\"');
    expect(problemsOf("kibana", edited)[0]).toEqual({ line: 2, setting: "attributes.kibanaSavedObjectMeta.searchSourceJSON", message: expect.stringContaining('query.language: expected "lucene"') });
  });

  test("fails a reference to an object the file lacks, a repeated id and a wrong count", () => {
    const edited = lines("kibana");
    edited.splice(1, 1, edited[0]);
    expect(problemsOf("kibana", edited).map((problem) => [problem.line, problem.setting])).toEqual(
      expect.arrayContaining([[2, "id"], [3, "references.0"], [6, "references.3"]]),
    );
    const miscounted = lines("kibana");
    miscounted[miscounted.length - 1] = '{"exportedCount":5,"missingRefCount":0,"missingReferences":[]}';
    expect(problemsOf("kibana", miscounted)).toEqual([{ line: 7, setting: "exportedCount", message: "got 5; expected 6, the number of objects above" }]);
  });
});

/**
 * The import script run for real (bash, curl, jq) against a stand-in of the dashboards' import
 * API on loopback that records what it gets, as neither UI can run here.
 */
describeGated(allGates(toolGate("curl", "curl"), toolGate("jq", "jq")), "the import script", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "saved-objects-"));
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  let answer = '{"success":true,"successCount":6}';
  let statusUp = true;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      seen.push({ method: request.method!, url: request.url!, headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      if (request.url!.endsWith("/api/status")) response.writeHead(statusUp ? 200 : 503).end("{}");
      else response.writeHead(200, { "content-type": "application/json" }).end(answer);
    });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    fs.writeFileSync(path.join(dir, "objects.ndjson"), shipped("opensearch-dashboards"));
    fs.writeFileSync(path.join(dir, "editor.curl"), 'user = "dashboardseditor:s3cret"\n', { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "script"), `#!/bin/bash\nset -euo pipefail\n${IMPORT_SAVED_OBJECTS_SCRIPT}`, { mode: 0o755 });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = () =>
    runProcess("bash", [path.join(dir, "script")], {
      timeoutMs: 20_000,
      env: {
        PATH: process.env.PATH!,
        DASHBOARDS_URL: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/dashboards`,
        XSRF_HEADER: "osd-xsrf", TENANT: "global", SAVED_OBJECTS: path.join(dir, "objects.ndjson"), CURL_CONFIG: path.join(dir, "editor.curl"),
        STATUS_ATTEMPTS: "2", STATUS_WAIT_SECONDS: "0",
      },
    });

  test("imports the file with overwrite, as the editor, into the global tenant; a second run sends the same import", async () => {
    seen.length = 0;
    const first = await run();
    const second = await run();
    expect([first.status, second.status]).toEqual([0, 0]);
    expect(first.stdout).toContain("imported 6 saved objects");
    const imports = seen.filter((request) => request.url.includes("_import"));
    expect(imports.map((request) => [request.method, request.url, request.headers.authorization, request.headers["osd-xsrf"], request.headers.securitytenant])).toEqual([
      ["POST", "/dashboards/api/saved_objects/_import?overwrite=true", `Basic ${Buffer.from("dashboardseditor:s3cret").toString("base64")}`, "true", "global"],
      ["POST", "/dashboards/api/saved_objects/_import?overwrite=true", `Basic ${Buffer.from("dashboardseditor:s3cret").toString("base64")}`, "true", "global"],
    ]);
    expect(imports[0].headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(imports[0].body).toContain(shipped("opensearch-dashboards"));
  });

  test("fails when the import is not a success, with the answer", async () => {
    answer = '{"success":false,"errors":[{"id":"ci-failures","error":{"type":"conflict"}}]}';
    const result = await run();
    answer = '{"success":true,"successCount":6}';
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the import failed: {"success":false');
  });

  test("fails, naming the URL, when the dashboards server never answers", async () => {
    statusUp = false;
    const result = await run();
    statusUp = true;
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/the dashboards server did not answer at http:\/\/127\.0\.0\.1:\d+\/dashboards/);
  });
});
