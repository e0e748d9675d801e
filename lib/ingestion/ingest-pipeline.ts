/**
 * The parsing that the Logstash tier used to do: the fields the historical grok extracted from
 * a log line, which bug queries filter on (`loglevel`, `module`, ...). Messages are indexed as
 * they are, so queries on `message` keep matching the whole text; these fields come on top.
 *
 * The patterns are defined once, here, and run in two places:
 * - in the ingestion service, in JavaScript (lineFields): it reads every message's first line
 *   anyway (to drop DEBUG messages), so it sets the fields on its documents and sends them with
 *   `pipeline: _none`; the data nodes, the capacity that limits the service, then parse nothing;
 * - in the cluster, as the ingest pipeline `ci-log-lines`, the log indices' default pipeline, for
 *   documents that other senders index (a re-import, a test's fixtures).
 * The tests run both on the same lines (Oniguruma, grok's regex engine, and JavaScript) and check
 * that they agree; `npm run bench` measures what the pipeline costs on the real node.
 *
 * The pipeline is a list of stages (PIPELINE_STAGES), each a few processors and the fields of the
 * contract (lib/field-contract.ts) it sets, with their computation in the service when it has one
 * (inService; without one, the service would send its documents through the pipeline:
 * servicePipeline). After LINE_FIELDS comes the error fingerprints' stage
 * (lib/signatures/error-lines.ts), gated by `if` conditions on what LINE_FIELDS set, so that
 * documents that are no error pay little for it. The tests check that the stages together set
 * exactly the contract's `ingest-pipeline` fields.
 *
 * The pipeline's shape keeps it cheap for the documents it does parse: one grok processor with one
 * pattern, anchored at the start of the message (`\A`: the regex engine tries a single position,
 * and a line that is none of the formats fails on its first characters), where first-match-wins
 * lists of patterns run the regex once per pattern; and nothing the sender knows: `build_short_uuid`
 * comes with the document.
 *
 * The line pattern, CI_LOG_LINE, reads three formats, each from the first character:
 * - a syslog or journal line, `May 14 10:21:33[.123456] host program[pid]: ...`, whose text may be
 *   an oslo.log line without date and pid, as in devstack's journal-derived `screen-*.txt` files
 *   (`... devstack@n-cpu.service[1234]: ERROR nova.compute.manager ...`);
 * - an oslo.log line, `2024-05-14 10:21:33.123 12345 INFO nova.compute.manager [req-...] ...`
 *   (also tempest's captured logging, `... 12345 INFO     [tempest.lib.common.rest_client] ...`);
 * - a console line, `[2024-05-14 10:21:33.123456 | ][node | ]...` (the service sends it without
 *   its timestamp, which becomes `@timestamp`), whose fields come from an oslo.log line printed
 *   into the console (a failed test's captured logging); console lines have no level of their
 *   own, so other console lines set nothing.
 * A line that matches none is indexed unchanged (`ignore_failure`), as is a document without
 * `message` (`ignore_missing`). The first line of a message decides (`\A`, not `^`: in grok's
 * regex engine ^ also matches after every newline, and a multi-line message would take its fields
 * from a later line).
 *
 * Every grok pattern is defined in `pattern_definitions`, from regex primitives, never from the
 * cluster's built-in library: the tests expand them exactly as the cluster does and run them with
 * Oniguruma (the regex engine grok uses), and the service runs the same expansion (grok.ts).
 */
import type { LogFieldName } from "../field-contract";
import { errorFieldsStage } from "../signatures/error-lines";
import { expandGrok, grokRegExp } from "./grok";

/** The name of the pipeline: `PUT _ingest/pipeline/<PIPELINE_NAME>`. */
export const PIPELINE_NAME = "ci-log-lines";

/**
 * The patterns, each a regex in which `%{NAME}` inlines pattern NAME and `%{NAME:field}` (or
 * `%{NAME:field:int}`) captures it into `field`. Only non-capturing groups `(?:...)` and
 * lookaheads are used besides captures.
 */
export const GROK_PATTERNS: Readonly<Record<string, string>> = {
  // Base patterns (the cluster's library has some of the same names; these definitions win).
  CI_INT: "[0-9]+",
  CI_YEAR: "[0-9]{4}",
  CI_MONTHNUM: "(?:0[1-9]|1[0-2])",
  CI_MONTHDAY: "(?:0[1-9]|[12][0-9]|3[01])",
  CI_SPACED_MONTHDAY: "(?: [1-9]|0[1-9]|[12][0-9]|3[01]|[1-9])",
  CI_MONTHNAME: "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)",
  CI_TIME: "(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)",
  CI_FRACTION: "[.,][0-9]{1,9}",
  CI_HOSTNAME: "[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?",
  // Log levels of oslo.log (AUDIT and TRACE from old releases) and of Python's logging.
  LOGLEVEL: "(?:AUDIT|CRITICAL|DEBUG|INFO|TRACE|WARNING|ERROR)",
  // A Python logger name: nova.compute.manager, oslo_messaging._drivers.impl_rabbit.
  PY_MODULE: "[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z0-9_]+)*",
  // journald/syslog program: devstack@n-cpu.service, kernel, ovs-vswitchd, sudo.
  SYSLOG_PROGRAM: "[A-Za-z0-9_.@/-]+",

  OSLO_TIMESTAMP: "%{CI_YEAR}-%{CI_MONTHNUM}-%{CI_MONTHDAY}[ T]%{CI_TIME}(?:%{CI_FRACTION})?",
  SYSLOG_TIMESTAMP: "%{CI_MONTHNAME} %{CI_SPACED_MONTHDAY} %{CI_TIME}(?:%{CI_FRACTION})?",
  CONSOLE_TIMESTAMP: "%{CI_YEAR}-%{CI_MONTHNUM}-%{CI_MONTHDAY} %{CI_TIME}%{CI_FRACTION}",
  // LEVEL module, after the date (and pid) of an oslo.log line; the module may be bracketed (tempest).
  LEVEL_MODULE: "%{LOGLEVEL} +\\[?%{PY_MODULE}\\]?(?= |$)",
  OSLO_LEVEL_MODULE: "%{LOGLEVEL:loglevel} +\\[?%{PY_MODULE:module}\\]?(?= |$)",
  // The spaces after the colon are taken only before a level and module.
  SYSLOG_HEAD: "%{SYSLOG_TIMESTAMP} %{CI_HOSTNAME:syslog_host} %{SYSLOG_PROGRAM:syslog_program}(?:\\[%{CI_INT:syslog_pid:int}\\])?:(?: +(?=%{LEVEL_MODULE}))?",
  // An oslo.log head, at the start or after a console line's node name (and timestamp, as other
  // senders keep it); only with a level and module after it.
  OSLO_HEAD: "(?:%{CONSOLE_TIMESTAMP} \\| )?(?:%{CI_HOSTNAME} \\| )? *%{OSLO_TIMESTAMP} %{CI_INT:pid:int} +(?=%{LEVEL_MODULE})",
  CI_LOG_LINE: "\\A(?:%{SYSLOG_HEAD}|%{OSLO_HEAD})(?:%{OSLO_LEVEL_MODULE})?",
};

/** The one pattern of the line grok. */
export const LINE_PATTERN = "%{CI_LOG_LINE}";

export interface GrokProcessor {
  readonly field: string;
  readonly patterns: readonly string[];
  readonly pattern_definitions: Readonly<Record<string, string>>;
  readonly ignore_missing: boolean;
  readonly ignore_failure: boolean;
  readonly description: string;
  /** A Painless condition: the processor runs only on documents it is true for. */
  readonly if?: string;
}

export interface GsubProcessor {
  readonly field: string;
  /** A Java regular expression. */
  readonly pattern: string;
  readonly replacement: string;
  readonly ignore_missing: boolean;
  readonly description: string;
}

export interface ScriptProcessor {
  readonly lang: "painless";
  readonly source: string;
  readonly description: string;
  readonly if?: string;
}

/** The processors the pipeline uses (each one key, as the ingest API writes them). */
export type Processor = { readonly grok: GrokProcessor } | { readonly gsub: GsubProcessor } | { readonly script: ScriptProcessor };

export type StageFields = Partial<Record<LogFieldName, string | number>>;

export interface PipelineStage {
  readonly name: string;
  /** The contract fields this stage sets (those with `source: "ingest-pipeline"`). */
  readonly fields: readonly LogFieldName[];
  readonly processors: readonly Processor[];
  /**
   * The same fields as the ingestion service computes them from a message (its whole text) and
   * the fields the stages before set, with the same patterns (in JavaScript): the service sets
   * them on its documents and spares the cluster the stage. Without it, the service's documents
   * go through the pipeline.
   */
  readonly inService?: (message: string, earlier: StageFields) => StageFields;
}

const LINE = grokRegExp(LINE_PATTERN, GROK_PATTERNS);
const INTEGER_FIELDS = new Set(expandGrok(LINE_PATTERN, GROK_PATTERNS).captures.filter((capture) => capture.type === "int").map((capture) => capture.field));

/** The fields the line grok sets on `message`, as the cluster sets them (integers converted). */
export function lineFields(message: string): StageFields {
  const fields: StageFields = {};
  for (const [name, value] of Object.entries(LINE.exec(message)?.groups ?? {})) {
    if (value !== undefined) fields[name as LogFieldName] = INTEGER_FIELDS.has(name) ? Number.parseInt(value, 10) : value;
  }
  return fields;
}

/** loglevel, module, pid and the syslog fields, from the first line of the message. */
export const LINE_FIELDS: PipelineStage = {
  name: "line fields",
  fields: ["loglevel", "module", "pid", "syslog_host", "syslog_program", "syslog_pid"],
  processors: [
    {
      grok: {
        description: "oslo.log, syslog/journal and console lines: level, module, pid, syslog host and program",
        field: "message",
        patterns: [LINE_PATTERN],
        pattern_definitions: { ...GROK_PATTERNS },
        ignore_missing: true,
        ignore_failure: true,
      },
    },
  ],
  // The first line decides: in JavaScript `$` is only the text's end (in Oniguruma a line's).
  inService: (message) => lineFields(message.split("\n", 1)[0]),
};

/** error_normalized and error_fingerprint of error-like messages (lib/signatures/error-lines.ts). */
export const ERROR_FIELDS: PipelineStage = errorFieldsStage(GROK_PATTERNS);

/** The stages in the order the pipeline runs them. */
export const PIPELINE_STAGES: readonly PipelineStage[] = [LINE_FIELDS, ERROR_FIELDS];

/**
 * The fields of the stages that have their computation in the service, for a message (its whole
 * text), in the stages' order, on top of `earlier` (what the stages before them set).
 */
export function serviceFields(message: string, stages: readonly PipelineStage[] = PIPELINE_STAGES, earlier: StageFields = {}): StageFields {
  return stages.reduce<StageFields>((fields, stage) => ({ ...fields, ...stage.inService?.(message, fields) }), earlier);
}

/**
 * The `pipeline` of the ingestion service's bulk items: `_none` (the index's default pipeline is
 * skipped) when the service sets the fields of every stage itself, else the default pipeline runs.
 */
export function servicePipeline(stages: readonly PipelineStage[] = PIPELINE_STAGES): "_none" | undefined {
  return stages.every((stage) => stage.inService !== undefined) ? "_none" : undefined;
}

export interface IngestPipelineBody {
  readonly description: string;
  readonly processors: readonly Processor[];
}

/** The body of `PUT _ingest/pipeline/<PIPELINE_NAME>`. */
export function ingestPipelineBody(stages: readonly PipelineStage[] = PIPELINE_STAGES): IngestPipelineBody {
  return {
    description: `Fields of CI log messages (${stages.map((stage) => stage.name).join(", ")}); messages that match nothing are kept as they are`,
    processors: stages.flatMap((stage) => stage.processors),
  };
}
