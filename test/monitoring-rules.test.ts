/**
 * The alert rules with the real promtool (Debian's `prometheus` package): `promtool check rules`
 * on the rendered file, and `promtool test rules` with series that make each alert fire and
 * series that must not. The logic tests run on the rendered rules without their annotations
 * (promtool compares annotations exactly; their templates are checked by `check rules` and
 * expanded by the last test here), so every expression, `for` and threshold is the rendered one.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { alertRuleGroups, alertRules, renderRuleFile, type AlertRuleSettings } from "../lib/monitoring/alert-rules";
import { describeGated, toolGate } from "./support/validators";

const settings: AlertRuleSettings = {
  dataNodes: 3,
  searchNodes: 6,
  watermarks: { lowPercent: 85, highPercent: 90, floodStagePercent: 95 },
  retentionDays: 14,
  plannedStoreGiB: 100,
  snapshots: true,
  sourceGapMinutes: { tempest: 60, opendev: 360 },
};

interface Series {
  readonly series: string;
  readonly values: string;
}

interface Case {
  readonly series: readonly Series[];
  /** When the alert is looked at. */
  readonly at: string;
  /** The labels of the alert that fires (severity and alertname are added); absent in the quiet case. */
  readonly labels?: Record<string, string>;
  /** Time between samples. @default 1m */
  readonly interval?: string;
}

/** Alerts that look back hours are evaluated every 10 minutes: promtool evaluates every rule at every step. */
const SLOW = "10m";

const GIB = 1024 ** 3;
const disk = (available: number) => [
  { series: 'elasticsearch_filesystem_data_available_bytes{cluster="prod",name="prod-search-data-1",mount="/var/lib/search (/dev/vdb)",path="/var/lib/search/opensearch"}', values: `${available}x30` },
  { series: 'elasticsearch_filesystem_data_size_bytes{cluster="prod",name="prod-search-data-1",mount="/var/lib/search (/dev/vdb)",path="/var/lib/search/opensearch"}', values: "100x30" },
];
const diskLabels = { cluster: "prod", name: "prod-search-data-1", mount: "/var/lib/search (/dev/vdb)", path: "/var/lib/search/opensearch" };
/** The index settings series come from the first search node's exporter, without a cluster label. */
const settingsExporter = 'instance="prod-search-data-1",job="search"';
const logIndices = (count: number) =>
  Array.from({ length: count }, (_, day) => ({ series: `elasticsearch_indices_settings_total_fields{${settingsExporter},index="logstash-2026.01.${String(day + 1).padStart(2, "0")}"}`, values: "60x400" }));
const one = (series: string, values: string) => [{ series, values }];
const worker = 'instance="prod-ingestion-1",job="ingestion"';

/** For every alert: series that make it fire, and series that must not. */
const CASES: Record<string, { fires: Case; quiet: Case }> = {
  SearchClusterRed: {
    fires: { series: one('elasticsearch_cluster_health_status{cluster="prod",color="red"}', "1x10"), at: "6m", labels: { cluster: "prod" } },
    quiet: { series: one('elasticsearch_cluster_health_status{cluster="prod",color="red"}', "0x5 1x4"), at: "9m" },
  },
  SearchClusterYellow: {
    fires: { series: one('elasticsearch_cluster_health_status{cluster="prod",color="yellow"}', "1x40"), at: "31m", labels: { cluster: "prod" } },
    quiet: { series: one('elasticsearch_cluster_health_status{cluster="prod",color="yellow"}', "1x40"), at: "20m" },
  },
  SearchDataNodeMissing: {
    fires: { series: one('elasticsearch_cluster_health_number_of_data_nodes{cluster="prod"}', "2x10"), at: "6m", labels: { cluster: "prod" } },
    quiet: { series: one('elasticsearch_cluster_health_number_of_data_nodes{cluster="prod"}', "3x10"), at: "6m" },
  },
  SearchNodeMissing: {
    fires: { series: one('elasticsearch_cluster_health_number_of_nodes{cluster="prod"}', "5x15"), at: "11m", labels: { cluster: "prod" } },
    quiet: { series: one('elasticsearch_cluster_health_number_of_nodes{cluster="prod"}', "6x15"), at: "11m" },
  },
  SearchNodeUnreachable: {
    fires: { series: one('up{job="search",instance="prod-search-data-1"}', "0x10"), at: "6m", labels: { job: "search", instance: "prod-search-data-1" } },
    quiet: { series: one('up{job="search",instance="prod-search-data-1"}', "1x10"), at: "6m" },
  },
  SearchDiskAboveLowWatermark: { fires: { series: disk(12), at: "16m", labels: diskLabels }, quiet: { series: disk(20), at: "16m" } },
  SearchDiskAboveHighWatermark: { fires: { series: disk(8), at: "6m", labels: diskLabels }, quiet: { series: disk(12), at: "6m" } },
  SearchDiskAtFloodStage: { fires: { series: disk(4), at: "2m", labels: diskLabels }, quiet: { series: disk(6), at: "2m" } },
  SearchIndicesReadOnly: {
    fires: { series: one(`elasticsearch_indices_settings_stats_read_only_indices{${settingsExporter}}`, "2x10"), at: "6m", labels: {} },
    quiet: { series: one(`elasticsearch_indices_settings_stats_read_only_indices{${settingsExporter}}`, "0x10"), at: "6m" },
  },
  SearchDiskFillsWithinThreeDays: {
    // 100 MB a minute is 144 GB a day: 228 GB left after 13 hours last less than 3 days.
    fires: { series: disk(0).slice(0, 1).map((s) => ({ ...s, values: "300000000000-100000000x800" })), at: "13h10m", labels: diskLabels },
    quiet: { series: disk(0).slice(0, 1).map((s) => ({ ...s, values: "300000000000-1000000x800" })), at: "13h10m" },
  },
  SearchStoreLargerThanPlanned: {
    fires: {
      series: ["1", "2"].map((n) => ({ series: `elasticsearch_indices_store_size_bytes{cluster="prod",name="prod-search-data-${n}"}`, values: `${60 * GIB}x400` })),
      at: "6h10m",
      labels: { cluster: "prod" },
    },
    quiet: {
      series: ["1", "2"].map((n) => ({ series: `elasticsearch_indices_store_size_bytes{cluster="prod",name="prod-search-data-${n}"}`, values: `${40 * GIB}x400` })),
      at: "6h10m",
    },
  },
  SearchRetentionNotApplied: {
    fires: { series: logIndices(17), at: "6h10m", labels: {} },
    quiet: { series: [...logIndices(15), ...one(`elasticsearch_indices_settings_total_fields{${settingsExporter},index=".kibana_1"}`, "60x400"), ...one(`elasticsearch_indices_settings_total_fields{${settingsExporter},index=".opendistro-ism-config"}`, "60x400")], at: "6h10m" },
  },
  SearchHeapPressure: {
    fires: {
      series: [
        { series: 'elasticsearch_jvm_memory_used_bytes{cluster="prod",name="prod-search-data-1",area="heap"}', values: "90x20" },
        { series: 'elasticsearch_jvm_memory_max_bytes{cluster="prod",name="prod-search-data-1",area="heap"}', values: "100x20" },
      ],
      at: "16m",
      labels: { cluster: "prod", name: "prod-search-data-1", area: "heap" },
    },
    quiet: {
      series: [
        { series: 'elasticsearch_jvm_memory_used_bytes{cluster="prod",name="prod-search-data-1",area="heap"}', values: "80x20" },
        { series: 'elasticsearch_jvm_memory_max_bytes{cluster="prod",name="prod-search-data-1",area="heap"}', values: "100x20" },
      ],
      at: "16m",
    },
  },
  SearchSnapshotFailed: {
    fires: { series: one('elasticsearch_snapshot_stats_snapshot_start_time_timestamp{repository="daily-snapshots",state="FAILED",version="3.4.0"}', "1700000000x5"), at: "2m", labels: { repository: "daily-snapshots" } },
    quiet: { series: one('elasticsearch_snapshot_stats_snapshot_start_time_timestamp{repository="daily-snapshots",state="SUCCESS",version="3.4.0"}', "1700000000x5"), at: "2m" },
  },
  SearchSnapshotTooOld: {
    fires: { series: one('elasticsearch_snapshot_stats_latest_snapshot_timestamp_seconds{repository="daily-snapshots"}', "1x250"), interval: SLOW, at: "40h", labels: { repository: "daily-snapshots" } },
    quiet: { series: one('elasticsearch_snapshot_stats_latest_snapshot_timestamp_seconds{repository="daily-snapshots"}', "100000x250"), interval: SLOW, at: "40h" },
  },
  SearchSnapshotsMissing: {
    fires: { series: one('elasticsearch_snapshot_stats_number_of_snapshots{repository="daily-snapshots"}', "0x230"), interval: SLOW, at: "37h", labels: { repository: "daily-snapshots" } },
    quiet: { series: one('elasticsearch_snapshot_stats_number_of_snapshots{repository="daily-snapshots"}', "1x230"), interval: SLOW, at: "37h" },
  },
  IngestionSourceStale: {
    // tempest may go 60 minutes without a new build, opendev 360.
    fires: { series: one(`ingestion_newest_indexed_build_timestamp_seconds{source="tempest",${worker}}`, "0x100"), at: "1h30m", labels: { source: "tempest" } },
    quiet: { series: one(`ingestion_newest_indexed_build_timestamp_seconds{source="opendev",${worker}}`, "0x100"), at: "1h30m" },
  },
  IngestionSourceNotReporting: {
    fires: { series: one(`ingestion_newest_indexed_build_timestamp_seconds{source="opendev",${worker}}`, "0x40"), at: "31m", labels: { source: "tempest" } },
    quiet: {
      series: [...one(`ingestion_newest_indexed_build_timestamp_seconds{source="opendev",${worker}}`, "0x40"), ...one(`ingestion_newest_indexed_build_timestamp_seconds{source="tempest",${worker}}`, "0x40")],
      at: "31m",
    },
  },
  IngestionPassesFailing: {
    fires: { series: one(`ingestion_last_successful_pass_timestamp_seconds{source="tempest",${worker}}`, "0x60"), at: "45m", labels: { source: "tempest" } },
    quiet: { series: one(`ingestion_last_successful_pass_timestamp_seconds{source="tempest",${worker}}`, "0x60"), at: "25m" },
  },
  IngestionBuildsFailing: {
    fires: {
      series: [...one(`ingestion_builds_failed_total{source="tempest",${worker}}`, "0+1x70"), ...one(`ingestion_builds_indexed_total{source="tempest",${worker}}`, "0+0.5x70")],
      at: "1h",
      labels: { source: "tempest", instance: "prod-ingestion-1", job: "ingestion" },
    },
    quiet: { series: [...one(`ingestion_builds_failed_total{source="tempest",${worker}}`, "0+1x70"), ...one(`ingestion_builds_indexed_total{source="tempest",${worker}}`, "0+2x70")], at: "1h" },
  },
  IngestionDocumentsRefused: {
    fires: {
      series: [...one(`ingestion_documents_failed_total{source="tempest",${worker}}`, "0+10x40"), ...one(`ingestion_documents_sent_total{source="tempest",${worker}}`, "0+100x40")],
      at: "30m",
      labels: { source: "tempest", instance: "prod-ingestion-1", job: "ingestion" },
    },
    quiet: { series: [...one(`ingestion_documents_failed_total{source="tempest",${worker}}`, "0+1x40"), ...one(`ingestion_documents_sent_total{source="tempest",${worker}}`, "0+100x40")], at: "30m" },
  },
  IngestionMetricsDown: {
    fires: { series: one(`up{${worker}}`, "0x15"), at: "11m", labels: { instance: "prod-ingestion-1", job: "ingestion" } },
    quiet: { series: one(`up{${worker}}`, "1x15"), at: "11m" },
  },
  RecheckGerritDisconnected: {
    fires: { series: one('recheck_gerrit_stream_up{instance="prod-recheck-1",job="recheck"}', "0x20"), at: "16m", labels: { instance: "prod-recheck-1", job: "recheck" } },
    quiet: { series: one('recheck_gerrit_stream_up{instance="prod-recheck-1",job="recheck"}', "0x10 1x10"), at: "16m" },
  },
  RecheckMostBuildsTimedOut: {
    fires: {
      series: [...one('recheck_builds_timed_out_total{instance="prod-recheck-1",job="recheck"}', "0+1x400"), ...one('recheck_builds_classified_total{instance="prod-recheck-1",job="recheck"}', "0+0.5x400")],
      at: "6h",
      labels: { instance: "prod-recheck-1", job: "recheck" },
    },
    quiet: { series: [...one('recheck_builds_timed_out_total{instance="prod-recheck-1",job="recheck"}', "0+1x400"), ...one('recheck_builds_classified_total{instance="prod-recheck-1",job="recheck"}', "0+2x400")], at: "6h" },
  },
  RecheckServiceDown: {
    fires: { series: one('up{instance="prod-recheck-1",job="recheck"}', "0x10"), at: "6m", labels: { instance: "prod-recheck-1", job: "recheck" } },
    quiet: { series: one('up{instance="prod-recheck-1",job="recheck"}', "1x10"), at: "6m" },
  },
  ServerDown: {
    fires: { series: one('up{instance="prod-ingestion-1",job="node",role="ingestion"}', "0x10"), at: "6m", labels: { instance: "prod-ingestion-1", job: "node", role: "ingestion" } },
    quiet: { series: one('up{instance="prod-ingestion-1",job="node",role="ingestion"}', "0x3 1x7"), at: "6m" },
  },
  ServerDiskAlmostFull: {
    fires: {
      series: [...one('node_filesystem_avail_bytes{instance="prod-frontend-1",mountpoint="/",fstype="ext4",device="/dev/vda1"}', "5x15"), ...one('node_filesystem_size_bytes{instance="prod-frontend-1",mountpoint="/",fstype="ext4",device="/dev/vda1"}', "100x15")],
      at: "11m",
      labels: { instance: "prod-frontend-1", mountpoint: "/", fstype: "ext4", device: "/dev/vda1" },
    },
    quiet: {
      series: [
        ...one('node_filesystem_avail_bytes{instance="prod-search-data-1",mountpoint="/var/lib/search",fstype="ext4",device="/dev/vdb"}', "5x15"),
        ...one('node_filesystem_size_bytes{instance="prod-search-data-1",mountpoint="/var/lib/search",fstype="ext4",device="/dev/vdb"}', "100x15"),
        ...one('node_filesystem_avail_bytes{instance="prod-frontend-1",mountpoint="/run",fstype="tmpfs",device="tmpfs"}', "1x15"),
        ...one('node_filesystem_size_bytes{instance="prod-frontend-1",mountpoint="/run",fstype="tmpfs",device="tmpfs"}', "100x15"),
      ],
      at: "11m",
    },
  },
  ServerOutOfMemoryKills: {
    fires: { series: one('node_vmstat_oom_kill{instance="prod-ingestion-1",job="node"}', "0 0 0 1 1 1 1"), at: "6m", labels: { instance: "prod-ingestion-1", job: "node" } },
    quiet: { series: one('node_vmstat_oom_kill{instance="prod-ingestion-1",job="node"}', "0x6"), at: "6m" },
  },
  ServiceRestartingInALoop: {
    fires: { series: one('node_systemd_service_restart_total{instance="prod-ingestion-1",name="ingestion.service"}', "0+1x40"), at: "30m", labels: { instance: "prod-ingestion-1", name: "ingestion.service" } },
    quiet: { series: one('node_systemd_service_restart_total{instance="prod-ingestion-1",name="ingestion.service"}', "0+0.05x40"), at: "30m" },
  },
  ServiceFailed: {
    fires: { series: one('node_systemd_unit_state{instance="prod-search-master-1",name="search-setup.service",state="failed",type="oneshot"}', "1x20"), at: "16m", labels: { instance: "prod-search-master-1", name: "search-setup.service", state: "failed", type: "oneshot" } },
    quiet: { series: one('node_systemd_unit_state{instance="prod-search-master-1",name="search-setup.service",state="failed",type="oneshot"}', "0x20"), at: "16m" },
  },
  CertificateExpiresSoon: {
    fires: { series: one('probe_ssl_earliest_cert_expiry{instance="prod-frontend-1:443",job="tls"}', `${10 * 86400}x70`), at: "1h5m", labels: { instance: "prod-frontend-1:443", job: "tls" } },
    quiet: { series: one('probe_ssl_earliest_cert_expiry{instance="prod-frontend-1:443",job="tls"}', `${30 * 86400}x70`), at: "1h5m" },
  },
  TlsEndpointDown: {
    fires: { series: one('probe_success{instance="prod-frontend-1:443",job="tls"}', "0x15"), at: "11m", labels: { instance: "prod-frontend-1:443", job: "tls" } },
    quiet: { series: one('probe_success{instance="prod-frontend-1:443",job="tls"}', "1x15"), at: "11m" },
  },
  NginxDown: {
    fires: { series: one('nginx_up{instance="prod-frontend-1",job="nginx"}', "0x10"), at: "6m", labels: { instance: "prod-frontend-1", job: "nginx" } },
    quiet: { series: [...one('nginx_up{instance="prod-frontend-1",job="nginx"}', "1x10"), ...one('up{instance="prod-frontend-1",job="nginx"}', "1x10")], at: "6m" },
  },
  MonitoringTargetDown: {
    fires: { series: one('up{instance="prod-monitoring-1",job="alertmanager"}', "0x15"), at: "11m", labels: { instance: "prod-monitoring-1", job: "alertmanager" } },
    quiet: { series: one('up{instance="prod-ingestion-1",job="node"}', "0x15"), at: "11m" },
  },
  AlertNotificationsFailing: {
    fires: { series: one('alertmanager_notifications_failed_total{instance="prod-monitoring-1",integration="email",job="alertmanager"}', "0 0 1 2 2x10"), at: "10m", labels: { instance: "prod-monitoring-1", integration: "email", job: "alertmanager" } },
    quiet: { series: one('alertmanager_notifications_failed_total{instance="prod-monitoring-1",integration="email",job="alertmanager"}', "0x14"), at: "10m" },
  },
};

const promtoolGate = toolGate("promtool", "prometheus");

function promtool(dir: string, ...args: string[]): { status: number | null; output: string } {
  const result = spawnSync("promtool", args, { cwd: dir, encoding: "utf8", timeout: 120_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/**
 * The rule groups in the order promtool evaluates them at each step: the recording groups first.
 * Without group_eval_order promtool takes them in Go's map order, which differs from run to run;
 * an alert on a recorded series (IngestionSourceStale) evaluated before its recording group, at
 * the 10-minute interval of the slow cases, finds the record older than the 5-minute lookback
 * and stays quiet. Prometheus itself evaluates each group on its own interval, so a record is
 * always fresh there.
 */
const GROUP_EVAL_ORDER: readonly string[] = (() => {
  const groups = (parse(renderRuleFile(alertRuleGroups(settings))) as { groups: { name: string; rules: { record?: string }[] }[] }).groups;
  const recordsOnly = (group: (typeof groups)[number]) => group.rules.every((rule) => rule.record !== undefined);
  return [...groups.filter(recordsOnly), ...groups.filter((group) => !recordsOnly(group))].map((group) => group.name);
})();

function testFile(ruleFile: string, alert: string, cases: { fires: Case; quiet: Case }): string {
  const test = (c: Case) => ({
    interval: c.interval ?? "1m",
    input_series: c.series.map((s) => ({ series: s.series, values: s.values })),
    alert_rule_test: [{ eval_time: c.at, alertname: alert, exp_alerts: c.labels ? [{ exp_labels: { ...c.labels, severity: severityOf(alert) } }] : [] }],
  });
  const slow = [cases.fires, cases.quiet].some((c) => /h/.test(c.at));
  return stringify({ rule_files: [ruleFile], evaluation_interval: slow ? SLOW : "1m", group_eval_order: GROUP_EVAL_ORDER, tests: [test(cases.fires), test(cases.quiet)] });
}

const rules = alertRules(alertRuleGroups(settings));
function severityOf(alert: string): string {
  return rules.find((rule) => rule.alert === alert)!.severity;
}

describe("alert rules", () => {
  test("every alert has a case that fires it and one that must not", () => {
    expect(Object.keys(CASES).sort()).toEqual(rules.map((rule) => rule.alert).sort());
  });

  test("thresholds come from the deployment: watermarks, node counts, retention, planned store, each source's gap", () => {
    const text = renderRuleFile(alertRuleGroups({ ...settings, dataNodes: 6, watermarks: { lowPercent: 80, highPercent: 85, floodStagePercent: 90 }, retentionDays: 10 }));
    expect(text).toContain("elasticsearch_cluster_health_number_of_data_nodes) < 6");
    expect(text).toContain("> 0.8\n");
    expect(text).toContain(">= 0.9\n");
    expect(text).toContain('index=~"logstash-.*"})) > 12');
    expect(text).toContain(`> ${100 * GIB}`);
    expect(parse(text).groups.find((group: { name: string }) => group.name === "ingestion-expectations").rules).toEqual([
      { record: "ingestion:expected_max_gap_seconds", expr: "3600", labels: { source: "tempest" } },
      { record: "ingestion:expected_max_gap_seconds", expr: "21600", labels: { source: "opendev" } },
    ]);
  });

  test("the README says what each alert means and what to do first", () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    expect(rules.map((rule) => rule.alert).filter((alert) => !readme.includes(`| \`${alert}\` |`))).toEqual([]);
  });

  test("without snapshots there is no snapshot alert", () => {
    expect(alertRules(alertRuleGroups({ ...settings, snapshots: false })).map((rule) => rule.alert).filter((name) => name.includes("Snapshot"))).toEqual([]);
  });
});

describeGated(promtoolGate, "alert rules (promtool)", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "alert-rules-"));
    const rendered = renderRuleFile(alertRuleGroups(settings));
    fs.writeFileSync(path.join(dir, "rules.yml"), rendered);
    const document = parse(rendered);
    for (const group of document.groups) for (const rule of group.rules) delete rule.annotations;
    fs.writeFileSync(path.join(dir, "logic.yml"), stringify(document));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("promtool check rules accepts the rendered file", () => {
    const { status, output } = promtool(dir, "check", "rules", "rules.yml");
    expect(output).toContain(`SUCCESS: ${rules.length + Object.keys(settings.sourceGapMinutes).length} rules found`);
    expect(status).toBe(0);
  });

  test("promtool test rules: each alert fires on its case and stays quiet on the other", () => {
    const files = Object.entries(CASES).map(([alert, cases]) => {
      const file = `${alert}.test.yml`;
      fs.writeFileSync(path.join(dir, file), testFile("logic.yml", alert, cases));
      return file;
    });
    const { status, output } = promtool(dir, "test", "rules", ...files);
    expect(output).not.toContain("FAILED");
    expect(output.match(/SUCCESS/g)?.length).toBe(files.length);
    expect(status).toBe(0);
  });

  test("a wrong expectation fails: the quiet case of the flood stage, expected to fire", () => {
    const cases = CASES.SearchDiskAtFloodStage;
    fs.writeFileSync(path.join(dir, "wrong.test.yml"), testFile("logic.yml", "SearchDiskAtFloodStage", { fires: { ...cases.quiet, labels: diskLabels }, quiet: cases.quiet }));
    const { status, output } = promtool(dir, "test", "rules", "wrong.test.yml");
    expect(output).toContain("FAILED");
    expect(status).not.toBe(0);
  });

  test("annotations expand: the flood stage alert says how full and what to read", () => {
    const rule = rules.find((r) => r.alert === "SearchDiskAtFloodStage")!;
    const test = {
      rule_files: ["rules.yml"],
      evaluation_interval: "1m",
      tests: [{
        interval: "1m",
        input_series: CASES.SearchDiskAtFloodStage.fires.series,
        alert_rule_test: [{
          eval_time: "2m",
          alertname: "SearchDiskAtFloodStage",
          exp_alerts: [{
            exp_labels: { ...diskLabels, severity: "critical" },
            exp_annotations: { summary: "Data volume of prod-search-data-1 is 96% full, at the flood stage (95%): its indices are read-only and ingestion stops.", action: rule.action },
          }],
        }],
      }],
    };
    fs.writeFileSync(path.join(dir, "annotations.test.yml"), stringify(test));
    const { status, output } = promtool(dir, "test", "rules", "annotations.test.yml");
    expect(output).toContain("SUCCESS");
    expect(status).toBe(0);
  });
});
