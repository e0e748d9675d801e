/**
 * The one declaration of the fields a log document has in the search cluster. The index
 * template's mapping (search cluster) and the bug-query field check (recheck service) are both
 * derived from it, so a query can only name a field that ingestion really produces.
 */

export type FieldType = "keyword" | "text" | "date" | "integer";

export interface LogField {
  readonly type: FieldType;
  /** Who fills the field: logsender on the workers, or the cluster's ingest pipeline. */
  readonly source: "logsender" | "ingest-pipeline";
  readonly description: string;
}

const sent = (type: FieldType, description: string): LogField => ({ type, source: "logsender", description });
const parsed = (type: FieldType, description: string): LogField => ({ type, source: "ingest-pipeline", description });

export const LOG_FIELDS = {
  "@timestamp": sent("date", "Time of the log line (UTC)"),
  message: sent("text", "The log line; the only analysed (full-text) field"),
  build_node: sent("keyword", "Where the build ran, as logsender reports it"),
  build_name: sent("keyword", "Zuul job name"),
  build_status: sent("keyword", "Build result: SUCCESS, FAILURE, TIMED_OUT, POST_FAILURE, ..."),
  build_uuid: sent("keyword", "Zuul build UUID"),
  build_short_uuid: parsed("keyword", "First 7 characters of build_uuid; elastic-recheck finds a build's documents by it"),
  build_set: sent("keyword", "Zuul buildset UUID"),
  build_queue: sent("keyword", "Zuul pipeline: check, gate, periodic, ..."),
  build_ref: sent("keyword", "Git ref the build tested"),
  build_branch: sent("keyword", "Branch of the change"),
  build_change: sent("keyword", "Gerrit change number"),
  build_patchset: sent("keyword", "Gerrit patchset number"),
  build_newrev: sent("keyword", "New revision for ref-updated builds"),
  project: sent("keyword", "Project of the change, e.g. openstack/nova"),
  voting: sent("integer", "1 when the job votes, 0 when not, 2 when unknown"),
  tenant: sent("keyword", "Zuul tenant"),
  node_provider: sent("keyword", "Node provider of the build"),
  hosts_id: sent("keyword", "Nodepool host ids of the build's nodes"),
  hosts_region: sent("keyword", "Cloud regions of the build's nodes"),
  zuul_executor: sent("keyword", "Zuul executor that ran the build"),
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
} as const satisfies Record<string, LogField>;

export type LogFieldName = keyof typeof LOG_FIELDS;

/** Log indices are daily: `logstash-YYYY.MM.DD`, as the historical service and elastic-recheck name them. */
export const LOG_INDEX_PREFIX = "logstash-";
export const LOG_INDEX_PATTERN = `${LOG_INDEX_PREFIX}*`;
/** elastic-recheck's `[data_source] index_format` for the same indices (strftime). */
export const LOG_INDEX_STRFTIME = `${LOG_INDEX_PREFIX}%Y.%m.%d`;
