/**
 * The alert rules, as code: the failures that killed the old service (full disks, ingestion
 * falling behind, workers killed by out-of-memory, a node down) and the usual signals of a
 * search cluster (the elasticsearch exporter's own mixin: red, yellow, missing nodes,
 * watermarks, heap). Thresholds that depend on the deployment come from its config: the
 * watermark percentages the engine is given, the number of nodes, the retention and planned
 * daily ingest, each source's expected gap. Every rule has a promtool unit test that makes it
 * fire and one that does not (test/monitoring-rules.test.ts); README: Monitoring says what
 * each alert means and the first thing to do.
 *
 * Metric names and labels are those of the programs that export them: prometheus-node-exporter,
 * prometheus-elasticsearch-exporter (checked at v1.5.0, v1.7.0 and v1.9.0: `cluster`, `name`,
 * `mount`, `path`, `area`, `repository`, `state`), prometheus-blackbox-exporter, Alertmanager,
 * the recheck service (services/recheck/main.ts) and the ingestion metrics contract.
 */
import { stringify } from "yaml";

export type Severity = "critical" | "warning";

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  /** How long the condition must hold, such as `5m`. */
  readonly for?: string;
  readonly severity: Severity;
  readonly summary: string;
  /** The first thing to do (README: Monitoring has the longer version). */
  readonly action: string;
}

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly (AlertRule | RecordingRule)[];
}

export interface AlertRuleSettings {
  /** Data nodes and all search nodes (masters included) the cluster should have. */
  readonly dataNodes: number;
  readonly searchNodes: number;
  /** The engine's disk watermarks, in percent of a data volume. */
  readonly watermarks: { readonly lowPercent: number; readonly highPercent: number; readonly floodStagePercent: number };
  readonly retentionDays: number;
  /** What the capacity check planned to be on the data volumes, replicas included (GiB). */
  readonly plannedStoreGiB: number;
  /** Whether the cluster takes daily snapshots. */
  readonly snapshots: boolean;
  /** Each ingestion source's name and the minutes it may go without a newly indexed build. */
  readonly sourceGapMinutes: Readonly<Record<string, number>>;
}

/** Certificates closer than this to expiry raise an alert; the renewals run 30 days ahead. */
export const CERTIFICATE_WARNING_DAYS = 21;
/** A daily snapshot older than this is overdue. */
const SNAPSHOT_MAX_AGE_HOURS = 36;
const GIB = 1024 ** 3;

/** `used / size` of each node's data path, from the exporter's filesystem metrics. */
const DATA_DISK_USED = "(1 - elasticsearch_filesystem_data_available_bytes / elasticsearch_filesystem_data_size_bytes)";
const HEAP_USED = 'elasticsearch_jvm_memory_used_bytes{area="heap"} / elasticsearch_jvm_memory_max_bytes{area="heap"}';
/** Local file systems of the servers, without the search data volumes (the watermark alerts watch those). */
const LOCAL_FILESYSTEMS = 'fstype=~"ext[234]|xfs|btrfs", mountpoint!="/var/lib/search"';

export function alertRuleGroups(settings: AlertRuleSettings): RuleGroup[] {
  const { lowPercent, highPercent, floodStagePercent } = settings.watermarks;
  const ratio = (percent: number) => String(percent / 100);
  const groups: RuleGroup[] = [
    {
      name: "search-cluster",
      rules: [
        {
          alert: "SearchClusterRed",
          expr: 'max by (cluster) (elasticsearch_cluster_health_status{color="red"}) == 1',
          for: "5m",
          severity: "critical",
          summary: "Search cluster {{ $labels.cluster }} is red: some primary shards are not allocated, their documents are neither searchable nor indexed.",
          action: "GET _cluster/allocation/explain on a data node says why; bring back the node that held them.",
        },
        {
          alert: "SearchClusterYellow",
          expr: 'max by (cluster) (elasticsearch_cluster_health_status{color="yellow"}) == 1',
          for: "30m",
          severity: "warning",
          summary: "Search cluster {{ $labels.cluster }} has been yellow for 30 minutes: replicas are missing, one more node lost loses data.",
          action: "GET _cat/shards?v&h=index,shard,prirep,state,unassigned.reason shows which; usually a node is down or a disk is above the high watermark.",
        },
        {
          alert: "SearchDataNodeMissing",
          expr: `min by (cluster) (elasticsearch_cluster_health_number_of_data_nodes) < ${settings.dataNodes}`,
          for: "5m",
          severity: "critical",
          summary: `Search cluster {{ $labels.cluster }} has {{ $value }} data nodes, ${settings.dataNodes} expected.`,
          action: "Find the node (GET _cat/nodes), then journalctl -u opensearch (or elasticsearch) on it.",
        },
        {
          alert: "SearchNodeMissing",
          expr: `min by (cluster) (elasticsearch_cluster_health_number_of_nodes) < ${settings.searchNodes}`,
          for: "10m",
          severity: "warning",
          summary: `Search cluster {{ $labels.cluster }} has {{ $value }} nodes, ${settings.searchNodes} expected.`,
          action: "GET _cat/nodes names the ones present; a master missing leaves less room for the next failure.",
        },
        {
          alert: "SearchNodeUnreachable",
          expr: 'up{job="search"} == 0 or elasticsearch_node_stats_up == 0',
          for: "5m",
          severity: "critical",
          summary: "The search API of {{ $labels.instance }} does not answer the monitoring server.",
          action: "curl -k https://<node>:9200/ from the monitoring server; then systemctl status on the node.",
        },
        {
          alert: "SearchDiskAboveLowWatermark",
          expr: `${DATA_DISK_USED} > ${ratio(lowPercent)}`,
          for: "15m",
          severity: "warning",
          summary: `Data volume of {{ $labels.name }} is {{ $value | humanizePercentage }} full, above the low watermark (${lowPercent}%): no new shards go there.`,
          action: "Check the ingest against search.daily_ingest_gib and the oldest index against retention_days; plan more volume or data nodes.",
        },
        {
          alert: "SearchDiskAboveHighWatermark",
          expr: `${DATA_DISK_USED} > ${ratio(highPercent)}`,
          for: "5m",
          severity: "critical",
          summary: `Data volume of {{ $labels.name }} is {{ $value | humanizePercentage }} full, above the high watermark (${highPercent}%): shards are being moved away from it.`,
          action: `Free space now (delete the oldest logstash-* index), before the flood stage (${floodStagePercent}%) makes every index read-only.`,
        },
        {
          alert: "SearchDiskAtFloodStage",
          expr: `${DATA_DISK_USED} >= ${ratio(floodStagePercent)}`,
          for: "1m",
          severity: "critical",
          summary: `Data volume of {{ $labels.name }} is {{ $value | humanizePercentage }} full, at the flood stage (${floodStagePercent}%): its indices are read-only and ingestion stops.`,
          action: "README: Monitoring, Recovering from the flood stage.",
        },
        {
          alert: "SearchIndicesReadOnly",
          // The exporter's index settings series carry no cluster label (v1.5.0 to v1.9.0): one cluster per deployment.
          expr: "max(elasticsearch_indices_settings_stats_read_only_indices) > 0",
          for: "5m",
          severity: "critical",
          summary: "{{ $value }} indices of the search cluster are blocked read-only: documents sent to them are refused.",
          action: "README: Monitoring, Recovering from the flood stage (remove the block once there is room).",
        },
        {
          alert: "SearchDiskFillsWithinThreeDays",
          expr: "predict_linear(elasticsearch_filesystem_data_available_bytes[12h], 3 * 86400) < 0",
          for: "1h",
          severity: "warning",
          summary: "At the rate of the last 12 hours, the data volume of {{ $labels.name }} is full within 3 days.",
          action: "Compare the daily ingest with search.daily_ingest_gib; check that indices older than retention_days are deleted.",
        },
        {
          alert: "SearchStoreLargerThanPlanned",
          expr: `sum by (cluster) (elasticsearch_indices_store_size_bytes) > ${Math.round(settings.plannedStoreGiB * GIB)}`,
          for: "6h",
          severity: "warning",
          summary: `The indices of {{ $labels.cluster }} take {{ $value | humanize1024 }}B, more than the capacity check planned (${round(settings.plannedStoreGiB)} GiB: daily_ingest_gib × (retention_days + 1) × copies).`,
          action: "Raise search.daily_ingest_gib to the measured ingest and let the capacity check size the volumes, or lower the retention.",
        },
        {
          alert: "SearchRetentionNotApplied",
          expr: `count(max by (index) (elasticsearch_indices_settings_total_fields{index=~"logstash-.*"})) > ${settings.retentionDays + 2}`,
          for: "6h",
          severity: "warning",
          summary: `The search cluster holds {{ $value }} daily log indices; with a retention of ${settings.retentionDays} days it should hold at most ${settings.retentionDays + 1}.`,
          action: "The lifecycle policy is not deleting: GET _plugins/_ism/explain/logstash-* (OpenSearch) or GET logstash-*/_ilm/explain (Elasticsearch).",
        },
        {
          alert: "SearchHeapPressure",
          expr: `${HEAP_USED} > 0.85`,
          for: "15m",
          severity: "warning",
          summary: "{{ $labels.name }} has used {{ $value | humanizePercentage }} of its heap for 15 minutes.",
          action: "Look for expensive searches (GET _tasks?actions=*search&detailed) and the shard count per node; a larger flavor doubles the heap.",
        },
      ],
    },
  ];
  if (settings.snapshots) {
    groups.push({
      name: "search-snapshots",
      rules: [
        {
          alert: "SearchSnapshotFailed",
          expr: 'max by (repository) (elasticsearch_snapshot_stats_snapshot_start_time_timestamp{state!~"SUCCESS|IN_PROGRESS"}) > 0',
          severity: "warning",
          summary: "The last snapshot in {{ $labels.repository }} did not succeed.",
          action: "GET _snapshot/<repository>/_all shows its failures: often the object storage keys or quota.",
        },
        {
          alert: "SearchSnapshotTooOld",
          expr: `(time() - max by (repository) (elasticsearch_snapshot_stats_latest_snapshot_timestamp_seconds)) > ${SNAPSHOT_MAX_AGE_HOURS * 3600} and max by (repository) (elasticsearch_snapshot_stats_latest_snapshot_timestamp_seconds) > 0`,
          severity: "warning",
          summary: `The newest good snapshot in {{ $labels.repository }} is {{ $value | humanizeDuration }} old; they are taken daily.`,
          action: "Check the snapshot policy (GET _slm/policy on Elasticsearch, GET _plugins/_sm/policies on OpenSearch) and the last failures.",
        },
        {
          alert: "SearchSnapshotsMissing",
          expr: "max by (repository) (elasticsearch_snapshot_stats_number_of_snapshots) == 0",
          for: `${SNAPSHOT_MAX_AGE_HOURS}h`,
          severity: "warning",
          summary: `No snapshot at all in {{ $labels.repository }} for ${SNAPSHOT_MAX_AGE_HOURS} hours.`,
          action: "The snapshot policy never ran: check that search-setup.service registered it (journalctl -u search-setup on the first master).",
        },
      ],
    });
  }
  const gaps = Object.entries(settings.sourceGapMinutes);
  groups.push(
    {
      name: "ingestion-expectations",
      rules: gaps.map(([source, minutes]) => ({ record: "ingestion:expected_max_gap_seconds", expr: String(minutes * 60), labels: { source } })),
    },
    {
      name: "ingestion",
      rules: [
        {
          alert: "IngestionSourceStale",
          expr: "(time() - max by (source) (ingestion_newest_indexed_build_timestamp_seconds)) > on (source) ingestion:expected_max_gap_seconds",
          for: "10m",
          severity: "warning",
          summary: "The newest build of source {{ $labels.source }} in the index is {{ $value | humanizeDuration }} old, longer than its expected gap.",
          action: "journalctl on the source's worker; compare with the tenant's builds page in Zuul (a quiet tenant needs a longer monitoring.source_gaps entry).",
        },
        {
          alert: "IngestionSourceNotReporting",
          expr: "ingestion:expected_max_gap_seconds unless on (source) ingestion_newest_indexed_build_timestamp_seconds",
          for: "30m",
          severity: "warning",
          summary: "No worker reports source {{ $labels.source }}: nothing of it is being ingested.",
          action: "Is its worker up (ServerDown) and its service running? journalctl on the worker the source is assigned to.",
        },
        {
          alert: "IngestionPassesFailing",
          expr: "(time() - max by (source) (ingestion_last_successful_pass_timestamp_seconds)) > 1800",
          for: "10m",
          severity: "warning",
          summary: "Source {{ $labels.source }} has had no successful pass for {{ $value | humanizeDuration }}.",
          action: "journalctl on its worker: Zuul's API, the log servers or the cluster refusing the bulk requests.",
        },
        {
          alert: "IngestionBuildsFailing",
          expr: "increase(ingestion_builds_failed_total[1h]) > 3 and increase(ingestion_builds_failed_total[1h]) > increase(ingestion_builds_indexed_total[1h])",
          severity: "warning",
          summary: "Most builds of source {{ $labels.source }} failed to be indexed in the last hour ({{ $value }} failed).",
          action: "journalctl on its worker names the builds and the errors.",
        },
        {
          alert: "IngestionDocumentsRefused",
          expr: "increase(ingestion_documents_failed_total[30m]) > 0.01 * increase(ingestion_documents_sent_total[30m]) and increase(ingestion_documents_failed_total[30m]) > 100",
          severity: "warning",
          summary: "More than 1% of the documents of source {{ $labels.source }} were refused by the cluster in the last 30 minutes.",
          action: "Read-only indices (SearchIndicesReadOnly), a mapping conflict or rejections under load: the worker's journal has the cluster's answer.",
        },
        {
          alert: "IngestionMetricsDown",
          expr: 'up{job="ingestion"} == 0',
          for: "10m",
          severity: "warning",
          summary: "The ingestion service on {{ $labels.instance }} does not answer on its metrics port.",
          action: "systemctl --failed and journalctl on the worker: a service crashed or restarts in a loop.",
        },
      ],
    },
  );
  groups.push(
    {
      name: "recheck",
      rules: [
        {
          alert: "RecheckGerritDisconnected",
          expr: "max_over_time(recheck_gerrit_stream_up[15m]) == 0",
          severity: "critical",
          summary: "The recheck bot has not been connected to Gerrit's event stream for 15 minutes: no failure is classified.",
          action: "journalctl -u recheck on the recheck server: the key (recheck_gerrit_ssh_private_key), the host key, or Gerrit itself.",
        },
        {
          alert: "RecheckMostBuildsTimedOut",
          expr: "increase(recheck_builds_timed_out_total[6h]) > 3 and increase(recheck_builds_timed_out_total[6h]) > increase(recheck_builds_classified_total[6h])",
          severity: "warning",
          summary: "The recheck bot gave up on most failed builds of the last 6 hours ({{ $value }} timed out): their logs were not indexed in time.",
          action: "Ingestion is behind or not following those tenants (IngestionSourceStale); the bot waits 20 minutes per build.",
        },
        {
          alert: "RecheckServiceDown",
          expr: 'up{job="recheck"} == 0',
          for: "5m",
          severity: "critical",
          summary: "The recheck service on {{ $labels.instance }} does not answer on its metrics port.",
          action: "systemctl status recheck and journalctl -u recheck on the recheck server.",
        },
      ],
    },
    {
      name: "servers",
      rules: [
        {
          alert: "ServerDown",
          expr: 'up{job="node"} == 0',
          for: "5m",
          severity: "critical",
          summary: "{{ $labels.instance }} ({{ $labels.role }}) does not answer the monitoring server.",
          action: "openstack server show and openstack console log show <server>; then reboot it, or replace it (README: Data volumes and replacements).",
        },
        {
          alert: "ServerDiskAlmostFull",
          expr: `node_filesystem_avail_bytes{${LOCAL_FILESYSTEMS}} / node_filesystem_size_bytes{${LOCAL_FILESYSTEMS}} < 0.1`,
          for: "10m",
          severity: "warning",
          summary: "{{ $labels.mountpoint }} on {{ $labels.instance }} has {{ $value | humanizePercentage }} free.",
          action: "du -xsh /var/log/* /var/lib/* on the server; journalctl --vacuum-size=500M frees the journal.",
        },
        {
          alert: "ServerOutOfMemoryKills",
          expr: "increase(node_vmstat_oom_kill[30m]) > 0",
          severity: "warning",
          summary: "The kernel killed {{ $value }} processes for lack of memory on {{ $labels.instance }} in the last 30 minutes.",
          action: "journalctl -k | grep -i 'out of memory' names the process; on a worker, a huge log file (ingestion.max_log_file_mib).",
        },
        {
          alert: "ServiceRestartingInALoop",
          expr: "increase(node_systemd_service_restart_total[30m]) > 3",
          severity: "warning",
          summary: "{{ $labels.name }} on {{ $labels.instance }} restarted {{ $value }} times in 30 minutes.",
          action: "journalctl -u {{ $labels.name }} on the server shows why it stops.",
        },
        {
          alert: "ServiceFailed",
          expr: 'node_systemd_unit_state{state="failed"} == 1',
          for: "15m",
          severity: "warning",
          summary: "{{ $labels.name }} on {{ $labels.instance }} has failed.",
          action: "journalctl -u {{ $labels.name }}; installers and setup units retry 4 times, then stay failed until fixed and restarted.",
        },
        {
          alert: "CertificateExpiresSoon",
          expr: `(probe_ssl_earliest_cert_expiry - time()) < ${CERTIFICATE_WARNING_DAYS} * 86400`,
          for: "1h",
          severity: "warning",
          summary: "The certificate served by {{ $labels.instance }} expires in {{ $value | humanizeDuration }}; renewals start 30 days ahead.",
          action: "On the front end or recheck server: systemctl status certbot.timer or public-certificate-renew.timer; for a search node, replace it (its certificate comes from the plan).",
        },
        {
          alert: "TlsEndpointDown",
          expr: 'probe_success{job="tls"} == 0',
          for: "10m",
          severity: "warning",
          summary: "{{ $labels.instance }} does not complete a TLS handshake.",
          action: "systemctl status nginx (or the search engine) on the server.",
        },
        {
          alert: "NginxDown",
          expr: 'nginx_up == 0 or up{job="nginx"} == 0',
          for: "5m",
          severity: "critical",
          summary: "nginx on {{ $labels.instance }} is not serving.",
          action: "systemctl status nginx and nginx -t on the server.",
        },
      ],
    },
    {
      name: "monitoring",
      rules: [
        {
          alert: "MonitoringTargetDown",
          expr: 'up{job=~"prometheus|alertmanager|blackbox"} == 0',
          for: "10m",
          severity: "warning",
          summary: "{{ $labels.job }} on the monitoring server does not answer.",
          action: "systemctl status on the monitoring server (prometheus, prometheus-alertmanager, prometheus-blackbox-exporter).",
        },
        {
          alert: "AlertNotificationsFailing",
          expr: "increase(alertmanager_notifications_failed_total[30m]) > 0",
          severity: "warning",
          summary: "Alertmanager failed to deliver {{ $value }} notifications through {{ $labels.integration }} in the last 30 minutes.",
          action: "journalctl -u prometheus-alertmanager: the SMTP password, the webhook URL, egress to them, or (webhook to the recheck server) the bot off IRC: journalctl -u recheck.",
        },
      ],
    },
  );
  return groups;
}

/** Every alert of the groups. */
export function alertRules(groups: readonly RuleGroup[]): AlertRule[] {
  return groups.flatMap((group) => group.rules.filter((rule): rule is AlertRule => "alert" in rule));
}

/** The rule file Prometheus loads (and promtool checks). */
export function renderRuleFile(groups: readonly RuleGroup[]): string {
  return stringify(
    {
      groups: groups
        .filter((group) => group.rules.length > 0)
        .map((group) => ({
          name: group.name,
          rules: group.rules.map((rule) =>
            "alert" in rule
              ? {
                  alert: rule.alert,
                  expr: rule.expr,
                  ...(rule.for ? { for: rule.for } : {}),
                  labels: { severity: rule.severity },
                  annotations: { summary: rule.summary, action: rule.action },
                }
              : { record: rule.record, expr: rule.expr, ...(rule.labels ? { labels: rule.labels } : {}) },
          ),
        })),
    },
    { lineWidth: 0 },
  );
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
