import { LOG_FIELDS } from "../lib/field-contract";
import { captureGroups, expandGrok, grokRegExp } from "../lib/ingestion/grok";
import { GROK_PATTERNS, ingestPipelineBody, LINE_FIELDS, LINE_PATTERN, lineFields, PIPELINE_NAME, PIPELINE_STAGES, servicePipeline, type GrokProcessor, type Processor } from "../lib/ingestion/ingest-pipeline";
import { GrokMatcher, loadOniguruma } from "./support/grok";

const body = ingestPipelineBody();
const grok = (LINE_FIELDS.processors[0] as { grok: GrokProcessor }).grok;

/** The fields a processor sets: a grok's captures, a script's `ctx.<field> =`, a gsub's field (which it rewrites, never sets). */
function fieldsSetBy(processor: Processor): string[] {
  if ("grok" in processor) return processor.grok.patterns.flatMap((pattern) => expandGrok(pattern, processor.grok.pattern_definitions).captures.map((capture) => capture.field));
  if ("script" in processor) return [...processor.script.source.matchAll(/ctx\.([a-z_]+) =/g)].map((match) => match[1]);
  return [];
}
let oniguruma: GrokMatcher;

beforeAll(async () => {
  await loadOniguruma();
  oniguruma = new GrokMatcher(grok.patterns, grok.pattern_definitions);
});

/**
 * The fields of a line as the cluster's grok sets them (Oniguruma), after checking that the
 * ingestion service (lineFields, the same patterns in JavaScript) sets the same on its documents.
 */
const matcher = {
  match(line: string) {
    const fields = oniguruma.match(line);
    expect(lineFields(line)).toEqual(fields ?? {});
    return fields;
  },
};

describe("ingest pipeline: body", () => {
  test("is named for the PUT request", () => {
    expect(PIPELINE_NAME).toMatch(/^[a-z0-9][a-z0-9_-]*$/);
  });

  test("starts with the line fields: one grok processor with one anchored pattern on message, leaving non-matching or message-less documents unchanged", () => {
    expect(LINE_FIELDS.processors).toEqual([{ grok: expect.objectContaining({ field: "message", ignore_missing: true, ignore_failure: true, patterns: [LINE_PATTERN] }) }]);
    expect(body.processors[0]).toEqual(LINE_FIELDS.processors[0]);
    expect(expandGrok(LINE_PATTERN, GROK_PATTERNS).regex).toMatch(/^\(\?:\\A/);
  });

  test("is skipped for the service's documents, which carry the fields of every stage", () => {
    expect(PIPELINE_STAGES.every((stage) => stage.inService !== undefined)).toBe(true);
    expect(servicePipeline()).toBe("_none");
    expect(servicePipeline([...PIPELINE_STAGES, { name: "cluster only", fields: [], processors: [] }])).toBeUndefined();
  });

  test("is plain JSON", () => {
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
  });

  test("defines every pattern it uses in pattern_definitions, and uses every one it defines", () => {
    expect([...expandGrok(LINE_PATTERN, grok.pattern_definitions).used].sort()).toEqual(Object.keys(GROK_PATTERNS).sort());
  });

  test("uses no capturing group other than named fields, and no field twice", () => {
    const fields = expandGrok(LINE_PATTERN, grok.pattern_definitions).captures.map((capture) => capture.field);
    expect(new Set(fields).size).toBe(fields.length);
    for (const definition of Object.values(grok.pattern_definitions)) expect(captureGroups(definition)).not.toContain(undefined);
  });

  test("its stages set exactly the fields they declare, and together the fields the contract says the pipeline produces", () => {
    for (const stage of PIPELINE_STAGES) {
      const set = stage.processors.flatMap(fieldsSetBy);
      expect([...new Set(set)].sort()).toEqual([...stage.fields].sort());
    }
    const contract = Object.entries(LOG_FIELDS).filter(([, field]) => field.source === "ingest-pipeline").map(([name]) => name);
    expect(PIPELINE_STAGES.flatMap((stage) => stage.fields).sort()).toEqual(contract.sort());
  });

  test("converts to integers exactly the fields the contract maps as integer", () => {
    for (const capture of expandGrok(LINE_PATTERN, grok.pattern_definitions).captures) {
      const type = LOG_FIELDS[capture.field as keyof typeof LOG_FIELDS].type;
      expect([capture.field, capture.type === "int" ? "integer" : "keyword"]).toEqual([capture.field, type]);
    }
  });
});

describe("grok expansion", () => {
  test("fails on a pattern that is not defined", () => {
    expect(() => expandGrok("%{NOPE:x}", {})).toThrow("grok pattern NOPE is not defined in pattern_definitions");
  });

  test("fails on a pattern that refers to itself", () => {
    expect(() => expandGrok("%{A}", { A: "x%{B}", B: "%{A}" })).toThrow("grok pattern A refers to itself: A -> B -> A");
  });

  test("fails on an unnamed capturing group", () => {
    expect(() => expandGrok("(x)%{A:a}", { A: "y" })).toThrow('has an unnamed capturing group "(...)"');
  });

  test("expands names inline and fields as named groups, skipping classes and escapes", () => {
    const expanded = expandGrok("^%{A:a:int}[(]\\(%{B}", { A: "[0-9]+", B: "%{A:b}" });
    expect(expanded.regex).toBe("^(?<a>[0-9]+)[(]\\((?:(?<b>[0-9]+))");
    expect(expanded.captures).toEqual([{ field: "a", type: "int" }, { field: "b" }]);
  });

  test("reads \\A as the start of the text in JavaScript, never a later line's start", () => {
    const regex = grokRegExp("\\A%{A:a}", { A: "[0-9]+" });
    expect(regex.exec("12 x")?.groups).toEqual({ a: "12" });
    expect(regex.exec("x\n12")).toBeNull();
  });
});

describe("ingest pipeline: oslo.log lines", () => {
  test("extracts pid, level and module of a line with a request id", () => {
    expect(
      matcher.match("2024-05-14 10:21:33.123 12345 INFO nova.compute.manager [req-6f5f2a3c-6e0b-4f0e-9d2b-5c2f3c1d0a11 admin admin] [instance: 0c7b] Took 1.23 seconds to spawn"),
    ).toEqual({ pid: 12345, loglevel: "INFO", module: "nova.compute.manager" });
  });

  test("extracts a DEBUG line without context", () => {
    expect(matcher.match("2024-05-14 10:21:33.001 812 DEBUG oslo_concurrency.lockutils [-] Lock \"compute_resources\" acquired")).toEqual({
      pid: 812,
      loglevel: "DEBUG",
      module: "oslo_concurrency.lockutils",
    });
  });

  test("extracts a traceback line", () => {
    expect(matcher.match("2024-05-14 10:21:34.456 12345 ERROR oslo_messaging.rpc.server   File \"/opt/stack/nova/nova/compute/manager.py\", line 2459, in _build")).toEqual({
      pid: 12345,
      loglevel: "ERROR",
      module: "oslo_messaging.rpc.server",
    });
  });

  test("extracts tempest's captured logging (comma milliseconds, padded level, bracketed module)", () => {
    expect(matcher.match("2024-05-14 10:21:33,123 4242 INFO     [tempest.lib.common.rest_client] Request (ServersTestJSON:test_list_servers): 200 GET http://10.0.0.5/compute/v2.1/servers 0.123s")).toEqual({
      pid: 4242,
      loglevel: "INFO",
      module: "tempest.lib.common.rest_client",
    });
  });

  test("extracts a WARNING line with nothing after the module", () => {
    expect(matcher.match("2024-05-14 10:21:33.123 77 WARNING keystone.server.flask.application")).toEqual({
      pid: 77,
      loglevel: "WARNING",
      module: "keystone.server.flask.application",
    });
  });

  test("does not match a line with an unknown level", () => {
    expect(matcher.match("2024-05-14 10:21:33.123 12345 NOTICE nova.compute.manager something")).toBeUndefined();
  });

  test("does not match a line whose module is followed by a colon", () => {
    expect(matcher.match("2024-05-14 10:21:33.123 12345 INFO nova.compute.manager: something")).toBeUndefined();
  });
});

describe("ingest pipeline: syslog and journal lines", () => {
  test("extracts host, program and pid of a syslog line", () => {
    expect(matcher.match("May 14 10:21:33 np0037543210 sudo[4321]:    stack : TTY=unknown ; PWD=/opt/stack/devstack ; USER=root ; COMMAND=/bin/true")).toEqual({
      syslog_host: "np0037543210",
      syslog_program: "sudo",
      syslog_pid: 4321,
    });
  });

  test("extracts a program without pid and a space-padded day", () => {
    expect(matcher.match("Jun  4 01:02:03 ubuntu-noble kernel: [  123.456789] virbr0: port 1(tap0) entered forwarding state")).toEqual({
      syslog_host: "ubuntu-noble",
      syslog_program: "kernel",
    });
  });

  test("extracts the oslo.log payload of a devstack journal line, with a request id", () => {
    expect(
      matcher.match("May 14 10:21:33.123456 np0037543210 devstack@n-cpu.service[12345]: INFO nova.compute.manager [None req-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d admin admin] Took 2.01 seconds to build instance."),
    ).toEqual({ syslog_host: "np0037543210", syslog_program: "devstack@n-cpu.service", syslog_pid: 12345, loglevel: "INFO", module: "nova.compute.manager" });
  });

  test("extracts a DEBUG journal line", () => {
    expect(matcher.match("May 14 10:21:33.000001 np0037543210 devstack@q-svc.service[999]: DEBUG neutron.wsgi [-] (999) accepted ('10.0.0.5', 51234)")).toEqual({
      syslog_host: "np0037543210",
      syslog_program: "devstack@q-svc.service",
      syslog_pid: 999,
      loglevel: "DEBUG",
      module: "neutron.wsgi",
    });
  });

  test("extracts a journal traceback line", () => {
    expect(matcher.match('May 14 10:21:34.500000 np0037543210 devstack@n-api.service[7]: ERROR nova.api.openstack.wsgi   File "/usr/lib/python3/dist-packages/eventlet/hubs/hub.py", line 476, in fire_timers')).toEqual({
      syslog_host: "np0037543210",
      syslog_program: "devstack@n-api.service",
      syslog_pid: 7,
      loglevel: "ERROR",
      module: "nova.api.openstack.wsgi",
    });
  });

  test("does not match a journal header", () => {
    expect(matcher.match("-- Logs begin at Tue 2024-05-14 10:00:00 UTC, end at Tue 2024-05-14 11:00:00 UTC. --")).toBeUndefined();
  });

  test("does not match a line without program and colon", () => {
    expect(matcher.match("May 14 10:21:33 just some words")).toBeUndefined();
  });
});

describe("ingest pipeline: console lines", () => {
  test("extracts the oslo.log line a failed test printed into the whole console line", () => {
    expect(matcher.match("2024-05-14 10:25:01.123456 | controller |     2024-05-14 10:21:33,123 4242 ERROR    [tempest.lib.common.rest_client] Request (ServersTestJSON:test_reboot): 500 POST")).toEqual({
      pid: 4242,
      loglevel: "ERROR",
      module: "tempest.lib.common.rest_client",
    });
  });

  test("extracts it from a console line as the service sends it (its timestamp moved to @timestamp)", () => {
    expect(matcher.match("controller |     2024-05-14 10:21:33,124 4242 DEBUG    [tempest.lib.common.rest_client] Response - Headers: {}")).toEqual({
      pid: 4242,
      loglevel: "DEBUG",
      module: "tempest.lib.common.rest_client",
    });
  });

  test("extracts it from a console line without node", () => {
    expect(matcher.match("2024-05-14 10:25:01.654321 | 2024-05-14 10:25:01.600 3131 WARNING oslo_config.cfg [-] Deprecated: Option \"x\" is deprecated")).toEqual({
      pid: 3131,
      loglevel: "WARNING",
      module: "oslo_config.cfg",
    });
  });

  test("sets nothing for a console line without an oslo.log line in it", () => {
    expect(matcher.match("2024-05-14 10:25:01.123456 | controller | ok: [controller]")).toBeUndefined();
    expect(matcher.match("controller | TASK [run-devstack : Write the devstack local.conf] ****")).toBeUndefined();
  });

  test("takes the fields of a multi-line message from its first line only", () => {
    expect(matcher.match("Traceback (most recent call last):\n2024-05-14 10:21:34.456 12345 ERROR nova.compute.manager boom")).toBeUndefined();
  });

  test("does not match a plain text line", () => {
    expect(matcher.match("Traceback (most recent call last):")).toBeUndefined();
  });

  test("matches a line with non-ASCII text in the message", () => {
    expect(matcher.match("2024-05-14 10:25:01.123456 | controller | 2024-05-14 10:25:01.600 3131 INFO nova.api [-] ünïcode ✓")).toEqual({
      pid: 3131,
      loglevel: "INFO",
      module: "nova.api",
    });
  });
});
