/**
 * The service's Prometheus metrics, per source (label `source`), in the text format. The names
 * of the monitoring contract (helpers' OWNERS.md; the monitoring server scrapes them) are kept
 * as they are: builds seen/indexed/failed, documents sent/failed, the end time of the newest build
 * fully indexed and the time of the last successful pass. The others say where time and
 * documents go.
 */

export const METRICS = {
  ingestion_builds_seen_total: ["counter", "Finished builds of this worker's shard taken for indexing"],
  ingestion_builds_indexed_total: ["counter", "Builds whose every file was read and whose documents the cluster holds (or refused for good)"],
  ingestion_builds_failed_total: ["counter", "Builds given up after every try failed (see the service's log for the files and reasons)"],
  ingestion_documents_sent_total: ["counter", "Documents the cluster holds after a bulk request: stored now, or already there under the same id"],
  ingestion_documents_existing_total: ["counter", "Of the documents sent, those the cluster already had (a file read again)"],
  ingestion_documents_failed_total: ["counter", "Documents the cluster refused for good (a mapping error, a document too large)"],
  ingestion_documents_expired_total: ["counter", "Documents of a day older than the retention, not sent"],
  ingestion_debug_messages_dropped_total: ["counter", "DEBUG messages not indexed (debug_messages: drop)"],
  ingestion_files_indexed_total: ["counter", "Files read to their end (or to the size limit)"],
  ingestion_files_missing_total: ["counter", "Files of the download list a build does not have"],
  ingestion_files_truncated_total: ["counter", "Files read only up to max_log_file_mib"],
  ingestion_file_retries_total: ["counter", "Files read again after a try that failed"],
  ingestion_bulk_retries_total: ["counter", "Bulk requests sent again (no answer, 429, 5xx)"],
  ingestion_zuul_requests_total: ["counter", "Requests to Zuul's builds API"],
  ingestion_passes_total: ["counter", "Listings of the tenant that completed"],
  ingestion_pass_errors_total: ["counter", "Listings of the tenant that failed (Zuul unreachable or erring)"],
  ingestion_builds_pending: ["gauge", "Builds taken and not yet indexed (or waiting for another try)"],
  ingestion_last_pass_seconds: ["gauge", "Duration of the last completed listing"],
  ingestion_last_pass_pages: ["gauge", "Pages of the builds listing the last completed listing read"],
  ingestion_newest_indexed_build_timestamp_seconds: ["gauge", "End time of the newest build fully indexed"],
  ingestion_last_successful_pass_timestamp_seconds: ["gauge", "When the last listing completed"],
} as const;

export type MetricName = keyof typeof METRICS;

export class Metrics {
  private readonly values = new Map<string, Map<MetricName, number>>();

  constructor(sources: readonly string[]) {
    for (const source of sources) this.values.set(source, new Map(Object.keys(METRICS).map((name) => [name as MetricName, 0])));
  }

  add(source: string, name: MetricName, by = 1): void {
    const values = this.values.get(source)!;
    values.set(name, values.get(name)! + by);
  }

  set(source: string, name: MetricName, value: number): void {
    this.values.get(source)!.set(name, value);
  }

  get(source: string, name: MetricName): number {
    return this.values.get(source)!.get(name)!;
  }

  /** The Prometheus text format (version 0.0.4). */
  render(): string {
    const lines: string[] = [];
    for (const [name, [type, help]] of Object.entries(METRICS)) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [source, values] of this.values) lines.push(`${name}{source="${source}"} ${values.get(name as MetricName)}`);
    }
    return `${lines.join("\n")}\n`;
  }
}
