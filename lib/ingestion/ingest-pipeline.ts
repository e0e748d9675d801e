/**
 * The parsing that the Logstash tier used to do, as an ingest pipeline run by the search cluster
 * on every log document (set it as the log indices' `index.default_pipeline`: logsender sends
 * no pipeline parameter). logsender indexes each line as it is, so queries on `message` keep
 * matching the whole line; the pipeline only adds the fields the historical grok extracted,
 * which elastic-recheck queries filter on (`loglevel`, `module`, ...).
 *
 * One grok processor tries three line formats, first match wins:
 * - OSLO_LINE: an oslo.log line, `2024-05-14 10:21:33.123 12345 INFO nova.compute.manager [req-...] ...`
 *   (also tempest's captured logging, `... 12345 INFO     [tempest.lib.common.rest_client] ...`);
 * - SYSLOG_LINE: a syslog or journal line, `May 14 10:21:33[.123456] host program[pid]: ...`,
 *   whose text may be an oslo.log line without date and pid, as in devstack's journal-derived
 *   `screen-*.txt` files (`... devstack@n-cpu.service[1234]: ERROR nova.compute.manager ...`);
 * - CONSOLE_LINE: a console line, `2024-05-14 10:21:33.123456 | [node | ]...`, where logsender
 *   usually has cut the text before the first "|" already; console lines have no level of
 *   their own, so the fields come from an oslo.log line printed into the console (a failed
 *   test's captured logging), and a console line without one sets nothing.
 * A line that matches none is indexed unchanged (`ignore_failure`), as is a document without
 * `message` (`ignore_missing`).
 *
 * Every grok pattern is defined in `pattern_definitions`, from regex primitives and the base
 * patterns below, never from the cluster's built-in library: the tests expand them exactly as
 * the cluster does and run them with Oniguruma (the regex engine grok uses).
 */

/** The name of the pipeline: `PUT _ingest/pipeline/<PIPELINE_NAME>`. */
export const PIPELINE_NAME = "ci-log-lines";

/**
 * The patterns, each a regex in which `%{NAME}` inlines pattern NAME and `%{NAME:field}` (or
 * `%{NAME:field:int}`) captures it into `field`. Only non-capturing groups `(?:...)` are used
 * besides captures.
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
  // LEVEL module: what follows the date (and pid) of an oslo.log line; the module may be bracketed (tempest).
  OSLO_LEVEL_MODULE: "%{LOGLEVEL:loglevel} +\\[?%{PY_MODULE:module}\\]?(?= |$)",
  OSLO_PAYLOAD: "%{OSLO_TIMESTAMP} %{CI_INT:pid:int} +%{OSLO_LEVEL_MODULE}",

  // \A, not ^: in grok's regex engine ^ also matches after every newline, and a multi-line
  // message would take its fields from a later line.
  OSLO_LINE: "\\A%{OSLO_PAYLOAD}",
  SYSLOG_LINE:
    "\\A%{SYSLOG_TIMESTAMP} %{CI_HOSTNAME:syslog_host} %{SYSLOG_PROGRAM:syslog_program}(?:\\[%{CI_INT:syslog_pid:int}\\])?:(?: +%{OSLO_LEVEL_MODULE})?",
  CONSOLE_LINE: "\\A(?:%{CONSOLE_TIMESTAMP} \\| )?(?:%{CI_HOSTNAME} \\| )? *%{OSLO_PAYLOAD}",
};

/** The patterns the processor tries, in order. */
export const LINE_PATTERNS: readonly string[] = ["%{OSLO_LINE}", "%{SYSLOG_LINE}", "%{CONSOLE_LINE}"];

export interface GrokProcessor {
  readonly field: string;
  readonly patterns: readonly string[];
  readonly pattern_definitions: Readonly<Record<string, string>>;
  readonly ignore_missing: boolean;
  readonly ignore_failure: boolean;
  readonly description: string;
}

export interface IngestPipelineBody {
  readonly description: string;
  readonly processors: readonly { readonly grok: GrokProcessor }[];
}

/**
 * elastic-recheck finds a failed build's documents by `build_short_uuid`, the first 7 characters
 * of the build's UUID, which the old submitter sent and logsender does not.
 */
export const SHORT_UUID_PATTERNS: Readonly<Record<string, string>> = { CI_SHORT_UUID: "[0-9a-f]{7}" };

/** The body of `PUT _ingest/pipeline/<PIPELINE_NAME>`. */
export function ingestPipelineBody(): IngestPipelineBody {
  return {
    description: "Fields of CI log lines (oslo.log, syslog/journal, console) and build_short_uuid, which elastic-recheck uses; lines that match nothing are kept as they are",
    processors: [
      {
        grok: {
          description: "oslo.log, syslog/journal and console lines",
          field: "message",
          patterns: [...LINE_PATTERNS],
          pattern_definitions: { ...GROK_PATTERNS },
          ignore_missing: true,
          ignore_failure: true,
        },
      },
      {
        grok: {
          description: "build_short_uuid for elastic-recheck",
          field: "build_uuid",
          patterns: ["\\A%{CI_SHORT_UUID:build_short_uuid}"],
          pattern_definitions: { ...SHORT_UUID_PATTERNS },
          ignore_missing: true,
          ignore_failure: true,
        },
      },
    ],
  };
}
