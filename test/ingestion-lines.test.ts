import { documentOf, indexOf } from "../services/ingestion/documents";
import { fingerprintOf } from "../lib/signatures/normalize";
import { lineTime, messageFields, MAX_MESSAGE_CHARS, MAX_MESSAGE_LINES, MessageReader, Utf8Lines, type Message } from "../services/ingestion/lines";
import type { Build } from "../services/ingestion/zuul";
import { generateLogs, type GeneratedFile } from "./fixtures/ci-logs";

const START = Date.parse("2026-05-14T10:00:00Z");
const END = START + 3600_000;

/** Reads a file as the indexer does: bytes in chunks of `chunkSize`, lines, messages. */
function read(content: Buffer, options: { console?: boolean; debugMessages?: "drop" | "keep"; chunkSize?: number } = {}): Omit<Message, "fields">[] {
  const lines = new Utf8Lines();
  const reader = new MessageReader({ console: options.console ?? false, debugMessages: options.debugMessages ?? "keep", startMs: START, endMs: END });
  const messages: Message[] = [];
  const chunkSize = options.chunkSize ?? 7;
  for (let offset = 0; offset < content.length; offset += chunkSize) {
    for (const line of lines.push(content.subarray(offset, offset + chunkSize))) messages.push(...reader.push(line));
  }
  for (const line of lines.finish()) messages.push(...reader.push(line));
  return [...messages, ...reader.finish()].map(({ fields: _fields, ...message }) => message);
}

/** The messages with their fields. */
function readWithFields(content: Buffer, options: { console?: boolean } = {}): Message[] {
  const reader = new MessageReader({ console: options.console ?? false, debugMessages: "keep", startMs: START, endMs: END });
  return [...content.toString("utf8").split("\n").flatMap((line) => reader.push(line)), ...reader.finish()];
}

const expected = (file: GeneratedFile, debugMessages: "drop" | "keep") =>
  file.messages.filter((message) => debugMessages === "keep" || !message.debug).map(({ line, timeMs, text }) => ({ line, timeMs, text }));
const readFile = (file: GeneratedFile, debugMessages: "drop" | "keep") => read(file.content, { console: file.tags.includes("console"), debugMessages });

describe("reading real-shaped CI logs", () => {
  const files = generateLogs(7, START, { linesPerFile: 300, invalidUtf8: true });

  test.each(files.map((file) => [file.name, file] as const))("%s: every message with its first line, time and text, DEBUG ones kept whole", (_name, file) => {
    expect(readFile(file, "keep")).toEqual(expected(file, "keep"));
  });

  test.each(files.map((file) => [file.name, file] as const))("%s: DEBUG messages dropped whole, continuation lines included", (_name, file) => {
    expect(readFile(file, "drop")).toEqual(expected(file, "drop"));
  });

  test("the files hold what the tests above are about: DEBUG messages with continuation lines, invalid UTF-8, '|' in lines that are not console lines", () => {
    const tempest = files.find((file) => file.name.endsWith("tempest_log.txt"))!;
    expect(tempest.messages.filter((message) => message.debug && message.text.includes("\n")).length).toBeGreaterThan(10);
    expect(files.find((file) => file.name.endsWith("screen-n-cpu.txt"))!.content.includes(Buffer.from([0xff, 0xfe]))).toBe(true);
    expect(files.find((file) => file.name.endsWith("screen-n-api.txt"))!.messages.some((message) => message.text.includes("[pid: 4321|app: 0|req:"))).toBe(true);
    expect(files.find((file) => file.name.endsWith("syslog.txt"))!.messages.some((message) => /ovs\|\d{5}\|vsctl\|INFO\|/.test(message.text))).toBe(true);
  });

  test("a continuation line carries its message's time, never another line's or the time of reading", () => {
    const tempest = files.find((file) => file.name.endsWith("tempest_log.txt"))!;
    for (const message of readFile(tempest, "keep")) {
      const head = message.text.split("\n")[0];
      expect(message.timeMs).toBe(lineTime(head, () => 2026));
    }
  });
});

describe("bytes that are not UTF-8", () => {
  test("become replacement characters; the rest of the line and of the file are read", () => {
    const content = Buffer.concat([Buffer.from("2026-05-14 10:00:01.000 1 INFO a.b caf"), Buffer.from([0xe9, 0x0a]), Buffer.from("2026-05-14 10:00:02.000 1 INFO a.b next\n")]);
    expect(read(content).map((message) => message.text)).toEqual(["2026-05-14 10:00:01.000 1 INFO a.b caf\ufffd", "2026-05-14 10:00:02.000 1 INFO a.b next"]);
  });

  test("a character split between two chunks is decoded whole", () => {
    const content = Buffer.from("2026-05-14 10:00:01.000 1 INFO a.b ünï ✓ 😀\n");
    for (const chunkSize of [1, 2, 3, 5]) expect(read(content, { chunkSize })[0].text).toBe("2026-05-14 10:00:01.000 1 INFO a.b ünï ✓ 😀");
  });

  test("\\r\\n ends a line, and a last line without a line break is read", () => {
    expect(read(Buffer.from("2026-05-14 10:00:01 a\r\n2026-05-14 10:00:02 b")).map((message) => message.text)).toEqual(["2026-05-14 10:00:01 a", "2026-05-14 10:00:02 b"]);
  });
});

describe("console lines", () => {
  test("lose their leading timestamp, which becomes the message's time", () => {
    expect(read(Buffer.from("2026-05-14 10:25:01.123456 | controller | ok: [controller]\n"), { console: true })).toEqual([
      { line: 1, timeMs: Date.parse("2026-05-14T10:25:01.123Z"), text: "controller | ok: [controller]" },
    ]);
  });

  test("keep every later '|', and lines of other files keep their timestamp and every '|'", () => {
    const uwsgi = "May 14 10:21:33.123456 np0037543210 devstack@n-api.service[4321]: [pid: 4321|app: 0|req: 1/2] GET / => generated 1 bytes";
    expect(read(Buffer.from(`${uwsgi}\n`), { console: false })[0].text).toBe(uwsgi);
    expect(read(Buffer.from("2026-05-14 10:25:01.123456 | controller | | ID | Name |\n"), { console: true })[0].text).toBe("controller | | ID | Name |");
  });

  test("a console line with nothing after its timestamp makes no document", () => {
    expect(read(Buffer.from("2026-05-14 10:25:01.123456 | \n"), { console: true })).toEqual([]);
  });
});

describe("messages", () => {
  test("lines before the first timestamp are documents of their own, with the build's start time", () => {
    expect(read(Buffer.from("-- Logs begin at Tue 2026-05-14 10:00:00 UTC. --\nplain\n\n2026-05-14 10:00:05 x\n"))).toEqual([
      { line: 1, timeMs: START, text: "-- Logs begin at Tue 2026-05-14 10:00:00 UTC. --" },
      { line: 2, timeMs: START, text: "plain" },
      { line: 4, timeMs: START + 5000, text: "2026-05-14 10:00:05 x" },
    ]);
  });

  test("a line that only mentions DEBUG is not a DEBUG message", () => {
    const text = "2026-05-14 10:00:01.000 7 INFO nova.x Setting DEBUG to true";
    expect(read(Buffer.from(`${text}\n`), { debugMessages: "drop" }).map((message) => message.text)).toEqual([text]);
  });

  test("a timestamp far outside the build's run is not believed: the message takes the previous time", () => {
    expect(read(Buffer.from("2026-05-14 10:00:01 a\n2019-01-01 00:00:00 old date in a log\n")).map((message) => message.timeMs)).toEqual([START + 1000, START + 1000]);
  });

  test(`a run of continuation lines goes on in a new document after ${MAX_MESSAGE_LINES} lines, with the same time`, () => {
    const lines = ["2026-05-14 10:00:01 head", ...Array.from({ length: MAX_MESSAGE_LINES + 10 }, (_, i) => `  frame ${i}`)];
    const messages = read(Buffer.from(`${lines.join("\n")}\n`));
    expect(messages.map((message) => [message.line, message.timeMs, message.text.split("\n").length])).toEqual([[1, START + 1000, MAX_MESSAGE_LINES], [MAX_MESSAGE_LINES + 1, START + 1000, 11]]);
  });

  test(`a line longer than ${MAX_MESSAGE_CHARS} characters is cut, with a note`, () => {
    const [message] = read(Buffer.from(`2026-05-14 10:00:01 ${"x".repeat(MAX_MESSAGE_CHARS * 2)}\n`));
    expect(message.text.length).toBe(MAX_MESSAGE_CHARS);
    expect(message.text).toMatch(/ \[ingestion: line cut at 32768 characters of 65556\]$/);
  });
});

describe("times", () => {
  const year = () => 2026;
  test("reads oslo.log, tempest, console, ISO 8601 with a zone and syslog times as UTC", () => {
    expect([
      lineTime("2026-05-14 10:21:33.123 12345 INFO x", year),
      lineTime("2026-05-14 10:21:33,123 4242 INFO     [x]", year),
      lineTime("2026-05-14 10:21:33.123456 | controller | x", year),
      lineTime("2026-05-14T12:21:33.123+02:00 x", year),
      lineTime("May 14 10:21:33.123456 host prog[1]: x", year),
      lineTime("May  4 10:21:33 host prog: x", year),
    ]).toEqual([
      Date.parse("2026-05-14T10:21:33.123Z"), Date.parse("2026-05-14T10:21:33.123Z"), Date.parse("2026-05-14T10:21:33.123Z"),
      Date.parse("2026-05-14T10:21:33.123Z"), Date.parse("2026-05-14T10:21:33.123Z"), Date.parse("2026-05-04T10:21:33Z"),
    ]);
  });

  test("gives a syslog line of December in a January build the year before", () => {
    const reader = new MessageReader({ console: false, debugMessages: "keep", startMs: Date.parse("2027-01-01T00:10:00Z"), endMs: Date.parse("2027-01-01T01:00:00Z") });
    expect(reader.push("Dec 31 23:59:59 host prog: x")).toEqual([]);
    expect(reader.finish()[0].timeMs).toBe(Date.parse("2026-12-31T23:59:59Z"));
  });

  test("finds no time in a line that does not start with one", () => {
    expect([lineTime("Traceback (most recent call last):", year), lineTime("  at 2026-05-14 10:21:33", year), lineTime("2026-13-14 10:21:33 x", year)]).toEqual([undefined, undefined, undefined]);
  });
});

describe("messageFields", () => {
  test("reads the level of oslo.log, journal, tempest and console lines as the pipeline does", () => {
    expect([
      messageFields("2026-05-14 10:21:33.001 812 DEBUG oslo_concurrency.lockutils [-] x").loglevel,
      messageFields("May 14 10:21:33.000001 np1 devstack@q-svc.service[999]: DEBUG neutron.wsgi [-] x").loglevel,
      messageFields("2026-05-14 10:21:33,124 4242 DEBUG    [tempest.lib.common.rest_client] x").loglevel,
      messageFields("controller |     2026-05-14 10:21:33,124 4242 ERROR    [tempest.lib.common.rest_client] x").loglevel,
      messageFields("controller | DEBUG is not a level here").loglevel,
    ]).toEqual(["DEBUG", "DEBUG", "DEBUG", "ERROR", undefined]);
  });

  test("gives a message the fields of its first line, integers as integers, its error fingerprint when it is error-like, and a plain line none", () => {
    const messages = readWithFields(Buffer.from([
      "May 14 10:21:33.000001 np1 devstack@n-cpu.service[999]: ERROR nova.compute.manager [-] boom",
      "  a continuation line 2026-05-14 10:21:33.001 812 INFO x.y z",
      "2026-05-14 10:25:01.123456 | controller | ok: [controller]",
    ].join("\n")), { console: true });
    expect(messages.map((message) => message.fields)).toEqual([
      { syslog_host: "np1", syslog_program: "devstack@n-cpu.service", syslog_pid: 999, loglevel: "ERROR", module: "nova.compute.manager", error_normalized: "boom", error_fingerprint: fingerprintOf("boom") },
      {},
    ]);
  });
});

describe("documents", () => {
  const build: Build = { uuid: "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", job: "tempest-full-py3", result: "FAILURE", voting: true, logUrl: "https://logs.example.org/4f1/" };
  const entry = { name: "controller/logs/screen-n-cpu.txt", tags: ["screen"] };

  test("have an id of the build, the file and the line: the same whenever the file is read", () => {
    const message = { line: 42, timeMs: START, text: "x", fields: {} };
    expect(documentOf(build, entry, {}, "logstash-", message).id).toBe("4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e:controller/logs/screen-n-cpu.txt:42");
  });

  test("skip the index's default pipeline: the service sets the fields of every stage itself", () => {
    const document = documentOf(build, entry, {}, "logstash-", { line: 1, timeMs: START, text: "2026-05-14 10:00:00.000 7 INFO a.b x", fields: { pid: 7, loglevel: "INFO", module: "a.b" } });
    expect(document).toMatchObject({ pipeline: "_none", source: { pid: 7, loglevel: "INFO", module: "a.b", line_number: 1 } });
  });

  test("go to the index of their line's day (UTC)", () => {
    expect([indexOf("logstash-", Date.parse("2026-05-14T23:59:59.999Z")), indexOf("logstash-", Date.parse("2026-05-15T00:00:00Z"))]).toEqual(["logstash-2026.05.14", "logstash-2026.05.15"]);
  });
});
