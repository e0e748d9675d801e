/**
 * What the setup unit of the evaluation stack (OpenSearch) applies to the cluster, and the bug
 * queries, against a real OpenSearch node: the ingest pipeline and index template accepted as
 * rendered, the setup script idempotent, the pipeline's fields on real-shaped log lines, and
 * every shipped query finding its example document. The node has no security, ISM or
 * snapshot plugin (Maven Central does not serve them): those requests stay checked offline.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { LOG_INDEX_PATTERN } from "../lib/field-contract";
import { PIPELINE_NAME } from "../lib/ingestion/ingest-pipeline";
import { loadQueries } from "../lib/queries";
import { queryForBuild } from "../lib/queries/bug-query";
import { INDEX_TEMPLATE_NAME, logMapping } from "../lib/search/engine";
import { exampleConfigDir } from "./support/config-fixture";
import { describeWithSearchEngine, engineRequest, searchEngineUrl, uniqueIndexName } from "./support/search-engine";
import { synthConfig, type StackJson } from "./support/synth";
import { writtenFiles } from "./support/user-data";

type Doc = Record<string, unknown>;
const SETUP_DIR = "/etc/ci-log-analysis/search/setup";

/** The setup unit's files on the evaluation stack's first node: its script, `requests` and request bodies by file name. */
function renderedSetup(): { script: string; requests: string[][]; files: Record<string, string> } {
  const instances = synthConfig().evaluation.resource.openstack_compute_instance_v2 as Record<string, StackJson>;
  for (const instance of Object.values(instances)) {
    const files = writtenFiles(instance.user_data);
    const requests = files.find((file) => file.path === `${SETUP_DIR}/requests`);
    if (requests === undefined) continue;
    return {
      script: files.find((file) => file.path === "/usr/local/sbin/search-setup")!.content,
      requests: requests.content.trim().split("\n").map((line) => line.split(" ")),
      files: Object.fromEntries(files.filter((file) => file.path.startsWith(`${SETUP_DIR}/`)).map((file) => [path.basename(file.path), file.content])),
    };
  }
  throw new Error("no server of the evaluation stack has the setup unit's requests");
}

const setup = renderedSetup();
const bodyOf = (requestPath: string): Doc => {
  const request = setup.requests.find(([, pathOfRequest]) => pathOfRequest === requestPath);
  if (request === undefined) throw new Error(`the setup unit sends no request to ${requestPath}: ${setup.requests.map((r) => r.join(" ")).join("; ")}`);
  return JSON.parse(setup.files[request[2]]);
};
const pipelineBody = bodyOf(`_ingest/pipeline/${PIPELINE_NAME}`);
const templateBody = bodyOf(`_index_template/${INDEX_TEMPLATE_NAME}`) as { index_patterns: string[]; template: { settings: Doc; mappings: object } };

/** _simulate of the rendered pipeline on documents; returns each resulting _source. */
async function simulate(docs: readonly Doc[]): Promise<Doc[]> {
  const { status, body } = await engineRequest("POST", "_ingest/pipeline/_simulate", { pipeline: pipelineBody, docs: docs.map((doc) => ({ _source: doc })) });
  expect(status).toBe(200);
  return body.docs.map((result: { doc?: { _source: Doc }; error?: unknown }) => {
    if (result.doc === undefined) throw new Error(`the pipeline failed: ${JSON.stringify(result.error)}`);
    return result.doc._source;
  });
}

/** The fields the pipeline added to a document with only `message` (and build_uuid). */
/**
 * The fields the pipeline's line stage adds to each message. The error stage's fields
 * (error_normalized, error_fingerprint) are left out here: test/signatures-pipeline.engine.test.ts
 * proves them against the ingestion service's own.
 */
async function parsedFields(...messages: string[]): Promise<Doc[]> {
  const results = await simulate(messages.map((message) => ({ message })));
  return results.map(({ message: _message, error_normalized: _normalized, error_fingerprint: _fingerprint, ...added }) => added);
}

describeWithSearchEngine("the index template and ingest pipeline, on a real node", () => {
  test("the index template is accepted as rendered", async () => {
    const { status, body } = await engineRequest("POST", "_index_template/_simulate", templateBody);
    expect(status).toBe(200);
    expect(body.template.mappings).toEqual(logMapping());
    expect(body.template.settings.index).toMatchObject({ default_pipeline: PIPELINE_NAME });
    expect(templateBody).toMatchObject({ index_patterns: [LOG_INDEX_PATTERN] });
  });

  test("the ingest pipeline is accepted as rendered", async () => {
    const name = uniqueIndexName("pipeline");
    try {
      expect(await engineRequest("PUT", `_ingest/pipeline/${name}`, pipelineBody)).toEqual({ status: 200, body: { acknowledged: true } });
      const { body } = await engineRequest("GET", `_ingest/pipeline/${name}`);
      expect(body[name]).toEqual(JSON.parse(JSON.stringify(pipelineBody)));
    } finally {
      await engineRequest("DELETE", `_ingest/pipeline/${name}`);
    }
  });

  test("oslo.log lines, a traceback included, give pid, loglevel and module", async () => {
    const traceback = [
      "2024-05-14 10:21:34.456 12345 ERROR oslo_messaging.rpc.server [req-6f5f2a3c-6e0b-4f0e-9d2b-5c2f3c1d0a11 admin admin] Exception during message handling: nova.exception.NoValidHost: No valid host was found.",
      "2024-05-14 10:21:34.456 12345 ERROR oslo_messaging.rpc.server Traceback (most recent call last):",
      '2024-05-14 10:21:34.456 12345 ERROR oslo_messaging.rpc.server   File "/opt/stack/nova/nova/conductor/manager.py", line 1654, in schedule_and_build_instances',
      "2024-05-14 10:21:34.456 12345 ERROR oslo_messaging.rpc.server     host_lists = self._schedule_instances(context, request_specs[0],",
      "2024-05-14 10:21:34.456 12345 ERROR oslo_messaging.rpc.server ",
    ];
    const fields = await parsedFields(...traceback, "2024-05-14 10:21:33,123 4242 INFO     [tempest.lib.common.rest_client] Request (ServersTestJSON:test_list_servers): 200 GET http://10.0.0.5/compute/v2.1/servers 0.123s");
    for (const line of fields.slice(0, traceback.length)) expect(line).toEqual({ pid: 12345, loglevel: "ERROR", module: "oslo_messaging.rpc.server" });
    expect(fields[traceback.length]).toEqual({ pid: 4242, loglevel: "INFO", module: "tempest.lib.common.rest_client" });
  });

  test("devstack's journal lines give the syslog fields and the oslo.log payload's", async () => {
    expect(
      await parsedFields(
        "May 14 10:21:33.123456 np0037543210 devstack@n-cpu.service[12345]: INFO nova.compute.manager [None req-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d admin admin] Took 2.01 seconds to build instance.",
        'May 14 10:21:34.500000 np0037543210 devstack@n-api.service[7]: ERROR nova.api.openstack.wsgi   File "/usr/lib/python3/dist-packages/eventlet/hubs/hub.py", line 476, in fire_timers',
        "May 14 10:21:33 np0037543210 sudo[4321]:    stack : TTY=unknown ; PWD=/opt/stack/devstack ; USER=root ; COMMAND=/bin/true",
        "Jun  4 01:02:03 ubuntu-noble kernel: [  123.456789] virbr0: port 1(tap0) entered forwarding state",
      ),
    ).toEqual([
      { syslog_host: "np0037543210", syslog_program: "devstack@n-cpu.service", syslog_pid: 12345, loglevel: "INFO", module: "nova.compute.manager" },
      { syslog_host: "np0037543210", syslog_program: "devstack@n-api.service", syslog_pid: 7, loglevel: "ERROR", module: "nova.api.openstack.wsgi" },
      { syslog_host: "np0037543210", syslog_program: "sudo", syslog_pid: 4321 },
      { syslog_host: "ubuntu-noble", syslog_program: "kernel" },
    ]);
  });

  test("console and job-output lines give the fields of an oslo.log line printed into them, and nothing else", async () => {
    expect(
      await parsedFields(
        "2024-05-14 10:25:01.123456 | controller |     2024-05-14 10:21:33,123 4242 ERROR    [tempest.lib.common.rest_client] Request (ServersTestJSON:test_reboot): 500 POST",
        "controller |     2024-05-14 10:21:33,124 4242 DEBUG    [tempest.lib.common.rest_client] Response - Headers: {}",
        "2024-05-14 10:25:01.123456 | controller | ok: [controller]",
        "2024-05-14 10:25:01.123456 | PLAY RECAP *********************************************************",
      ),
    ).toEqual([{ pid: 4242, loglevel: "ERROR", module: "tempest.lib.common.rest_client" }, { pid: 4242, loglevel: "DEBUG", module: "tempest.lib.common.rest_client" }, {}, {}]);
  });

  test("a Python traceback in job-output.txt and other lines that match no pattern are indexed unchanged", async () => {
    const lines = [
      "2024-05-14 10:25:02.000001 | controller | Traceback (most recent call last):",
      '2024-05-14 10:25:02.000002 | controller |   File "/opt/stack/tempest/tempest/common/waiters.py", line 101, in wait_for_server_status',
      "2024-05-14 10:25:02.000003 | controller |     raise lib_exc.TimeoutException(message)",
      "Traceback (most recent call last):",
      "-- Logs begin at Tue 2024-05-14 10:00:00 UTC, end at Tue 2024-05-14 11:00:00 UTC. --",
      "2024-05-14 10:21:33.123 12345 NOTICE nova.compute.manager something",
      "",
    ];
    expect(await parsedFields(...lines)).toEqual(lines.map(() => ({})));
  });

  test("a multi-line message takes its fields from its first line only", async () => {
    expect(await parsedFields("Traceback (most recent call last):\n2024-05-14 10:21:34.456 12345 ERROR nova.compute.manager boom")).toEqual([{}]);
    expect(await parsedFields("2024-05-14 10:21:34.456 12345 ERROR nova.compute.manager boom\n  File \"x.py\", line 1")).toEqual([{ pid: 12345, loglevel: "ERROR", module: "nova.compute.manager" }]);
  });

  test("documents without message keep what they have (build_short_uuid comes from the ingestion service)", async () => {
    expect(await simulate([{ build_uuid: "4f1c2e9a77d04b1e9c3b0d6f0a1b2c3d" }, { build_name: "tempest-full" }])).toEqual([
      { build_uuid: "4f1c2e9a77d04b1e9c3b0d6f0a1b2c3d" },
      { build_name: "tempest-full" },
    ]);
  });
});

describeWithSearchEngine("the bug queries, on documents indexed through the pipeline and the template", () => {
  const queries = loadQueries(path.join(exampleConfigDir, "queries")).queries;
  const examples = parse(fs.readFileSync(path.join(__dirname, "fixtures", "query-examples.yaml"), "utf8")) as Record<string, Doc>;
  const index = uniqueIndexName("logstash-queries");
  const pipeline = uniqueIndexName("ci-log-lines-queries");
  const build = { uuid: "4f1c2e9a77d04b1e9c3b0d6f0a1b2c3d" };

  beforeAll(async () => {
    expect((await engineRequest("PUT", `_ingest/pipeline/${pipeline}`, pipelineBody)).status).toBe(200);
    // The template's settings and mappings, on an index of this file's own (the template itself would apply to every logstash-* index of other tests).
    const template = templateBody.template;
    const created = await engineRequest("PUT", index, { settings: { ...template.settings, number_of_replicas: 0, "index.default_pipeline": pipeline }, mappings: template.mappings });
    expect(created.status).toBe(200);
    const lines = Object.entries(examples).flatMap(([bug, doc]) => [
      JSON.stringify({ index: { _id: bug } }),
      JSON.stringify({ build_name: "tempest-full-py3", build_status: "FAILURE", voting: 1, build_uuid: build.uuid, filename: (doc.tags as string[])[0], ...doc }),
    ]);
    const bulk = await engineRequest("POST", `${index}/_bulk?refresh=true`, `${lines.join("\n")}\n`);
    expect(bulk.body.errors).toBe(false);
  });

  afterAll(async () => {
    await engineRequest("DELETE", index);
    await engineRequest("DELETE", `_ingest/pipeline/${pipeline}`);
  });

  test("every shipped query has an example document, and every example a query", () => {
    expect(queries.length).toBeGreaterThan(0);
    expect(Object.keys(examples).sort()).toEqual(queries.map((query) => query.bug).sort());
  });

  test.each(queries.map((query) => [query.bug, query] as const))("the query of bug %s finds its example, restricted to the build as the bot runs it", async (bug, query) => {
    const { status, body } = await engineRequest("POST", `${index}/_search`, { query: { query_string: { query: queryForBuild(query, build) } }, _source: false });
    expect(status).toBe(200);
    expect(body.hits.hits.map((hit: { _id: string }) => hit._id)).toContain(bug);
  });
});

describeWithSearchEngine("the setup script, run twice against the node", () => {
  const pipeline = uniqueIndexName("setup-pipeline");
  const template = uniqueIndexName("setup-template");
  const versionedIndex = uniqueIndexName("setup-versioned");
  let dir: string;

  /**
   * The rendered requests the plain node serves (pipeline and template; ISM, security and
   * snapshots need plugins it lacks), under names of this test's own so that the template
   * touches no other test's logstash-* index; plus one `versioned` request on a document,
   * whose GET answers with _seq_no and _primary_term as an ISM policy's does.
   */
  function writeSetupDir(): string {
    const setupDir = fs.mkdtempSync(path.join(os.tmpdir(), "search-setup-"));
    const lines: string[] = [];
    for (const [method, requestPath, file, mode] of setup.requests) {
      let body = setup.files[file];
      let target = requestPath;
      if (requestPath === `_ingest/pipeline/${PIPELINE_NAME}`) {
        target = `_ingest/pipeline/${pipeline}`;
      } else if (requestPath === `_index_template/${INDEX_TEMPLATE_NAME}`) {
        target = `_index_template/${template}`;
        const rendered = JSON.parse(body);
        rendered.index_patterns = [`${template}-*`];
        rendered.template.settings["index.default_pipeline"] = pipeline;
        body = JSON.stringify(rendered);
      } else {
        continue;
      }
      fs.writeFileSync(path.join(setupDir, file), body);
      lines.push([method, target, file, ...(mode ? [mode] : [])].join(" "));
    }
    fs.writeFileSync(path.join(setupDir, "versioned.json"), JSON.stringify({ policy: { description: "a versioned object" } }));
    lines.push(`PUT ${versionedIndex}/_doc/policy versioned.json versioned`);
    fs.writeFileSync(path.join(setupDir, "requests"), `${lines.join("\n")}\n`);
    return setupDir;
  }

  async function runSetup(): Promise<{ status: number | null; output: string }> {
    const env = { PATH: process.env.PATH, ENGINE_CONFIG_DIR: dir, NODE_ADDRESS: "127.0.0.1", ADMIN_USER: "admin", ADMIN_PASSWORD: "unused", SETUP_DIR: dir, SEARCH_URL: await searchEngineUrl() };
    const result = spawnSync("bash", ["-euo", "pipefail", "-c", setup.script], { env, encoding: "utf8", timeout: 60_000 });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  const state = async () => ({
    pipeline: (await engineRequest("GET", `_ingest/pipeline/${pipeline}`)).body,
    template: (await engineRequest("GET", `_index_template/${template}`)).body,
  });

  beforeAll(() => {
    dir = writeSetupDir();
  });

  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await engineRequest("DELETE", `_index_template/${template}`);
    await engineRequest("DELETE", `_ingest/pipeline/${pipeline}`);
    await engineRequest("DELETE", versionedIndex);
  });

  test("applies the pipeline and the template, and the second run succeeds and changes nothing", async () => {
    const first = await runSetup();
    expect(first).toMatchObject({ status: 0 });
    expect(first.output).toContain(`PUT _ingest/pipeline/${pipeline}`);
    expect(first.output).toContain(`PUT _index_template/${template}`);
    const applied = await state();
    expect(applied.pipeline[pipeline]).toEqual(pipelineBody);
    expect(applied.template.index_templates[0].index_template.template.mappings).toEqual(logMapping());

    const second = await runSetup();
    expect(second).toMatchObject({ status: 0 });
    expect(await state()).toEqual(applied);
  });

  test("replaces a versioned object with the sequence number of its current version", async () => {
    const before = (await engineRequest("GET", `${versionedIndex}/_doc/policy`)).body;
    expect((await runSetup()).status).toBe(0);
    const after = (await engineRequest("GET", `${versionedIndex}/_doc/policy`)).body;
    expect(after._seq_no).toBeGreaterThan(before._seq_no);
    expect(after._source).toEqual({ policy: { description: "a versioned object" } });
  });
});
