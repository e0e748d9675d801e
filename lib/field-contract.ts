/**
 * The one declaration of the fields a log document has in the search cluster. The index
 * template's mapping (search cluster) and the bug-query field check (recheck service) are both
 * derived from it, so a query can only name a field that ingestion really produces.
 */

export type FieldType = "keyword" | "text" | "date" | "integer";

export interface LogField {
  readonly type: FieldType;
  /** Who fills the field: the ingestion service on the workers (services/ingestion), or the cluster's ingest pipeline. */
  readonly source: "worker" | "ingest-pipeline";
  readonly description: string;
}

const sent = (type: FieldType, description: string): LogField => ({ type, source: "worker", description });
const parsed = (type: FieldType, description: string): LogField => ({ type, source: "ingest-pipeline", description });

export const LOG_FIELDS = {
  "@timestamp": sent("date", "Time of the message's first line (UTC); a line without a time of its own takes its message's"),
  message: sent("text", "One log message: a line and the lines without a timestamp that follow it; the only analysed (full-text) field"),
  line_number: sent("integer", "Line of the file where the message starts (1-based)"),
  build_node: sent("keyword", "Nodeset of the build (Zuul's nodeset name), when Zuul reports it"),
  build_name: sent("keyword", "Zuul job name"),
  build_status: sent("keyword", "Build result: SUCCESS, FAILURE, TIMED_OUT, POST_FAILURE, ..."),
  build_uuid: sent("keyword", "Zuul build UUID"),
  build_short_uuid: sent("keyword", "First 7 characters of build_uuid; elastic-recheck finds a build's documents by it"),
  build_set: sent("keyword", "Zuul buildset UUID"),
  build_queue: sent("keyword", "Zuul pipeline: check, gate, periodic, ..."),
  build_ref: sent("keyword", "Git ref the build tested"),
  build_branch: sent("keyword", "Branch of the change"),
  build_change: sent("keyword", "Gerrit change number"),
  build_patchset: sent("keyword", "Gerrit patchset number"),
  build_newrev: sent("keyword", "New revision for ref-updated builds"),
  project: sent("keyword", "Project of the change, e.g. openstack/nova"),
  voting: sent("integer", "1 when the job votes, 0 when not"),
  tenant: sent("keyword", "Zuul tenant"),
  node_provider: sent("keyword", "Nodepool providers of the build's nodes (zuul-info/inventory.yaml)"),
  hosts_id: sent("keyword", "Nodepool host ids of the build's nodes (zuul-info/inventory.yaml)"),
  hosts_region: sent("keyword", "Clouds and regions of the build's nodes, <cloud>-<region> (zuul-info/inventory.yaml)"),
  zuul_executor: sent("keyword", "Zuul executor that ran the build (zuul-info/inventory.yaml)"),
  log_url: sent("keyword", "URL of the log file"),
  change_url: sent("keyword", "URL of the change in Gerrit"),
  filename: sent("keyword", "Base name of the log file"),
  tags: sent("keyword", "Tags of the log file from the download list, plus its base name"),
  loglevel: parsed("keyword", "Level of an oslo.log, syslog or libvirt line: DEBUG, INFO, WARNING, ERROR, ..."),
  module: parsed("keyword", "Python module of an oslo.log line, e.g. oslo_messaging.rpc.server"),
  pid: parsed("integer", "Process id of an oslo.log line"),
  syslog_host: parsed("keyword", "Host name of a syslog line"),
  syslog_program: parsed("keyword", "Program of a syslog or journal line"),
  syslog_pid: parsed("integer", "Process id of a syslog or journal line"),
  error_normalized: parsed(
    "keyword",
    "The error text of an error-like message (oslo.log ERROR/CRITICAL, a traceback's final exception line, a tempest or console failure), ids, addresses, numbers, hex, times and temporary paths replaced by <uuid>, <ip>, <n>, <hex>, <time>, <tmp> (lib/signatures)",
  ),
  error_fingerprint: parsed("keyword", "The first 16 hex digits of the SHA-1 of error_normalized: the same error in every build"),
} as const satisfies Record<string, LogField>;

export type LogFieldName = keyof typeof LOG_FIELDS;

/**
 * Log indices are daily, `logstash-YYYY.MM.DD`, as the historical service and elastic-recheck
 * name them: the day (UTC) of each document's `@timestamp`, so that the index of a day holds that
 * day's lines and is deleted with them.
 */
export const LOG_INDEX_PREFIX = "logstash-";
export const LOG_INDEX_PATTERN = `${LOG_INDEX_PREFIX}*`;
/** elastic-recheck's `[data_source] index_format` for the same indices (strftime). */
export const LOG_INDEX_STRFTIME = `${LOG_INDEX_PREFIX}%Y.%m.%d`;

/**
 * Zuul results of a build that failed and left logs: the bot classifies these, and the dashboard
 * counts them as failures. Left out: SUCCESS and SKIPPED; builds stopped from outside (ABORTED,
 * CANCELED, and RETRY, whose retry is a build of its own); and results without logs to read
 * (NODE_FAILURE, MERGE_CONFLICT, CONFIG_ERROR, ERROR), which the bot would wait for in vain.
 */
export const FAILED_BUILD_RESULTS = ["FAILURE", "POST_FAILURE", "TIMED_OUT", "RETRY_LIMIT", "DISK_FULL"] as const;
