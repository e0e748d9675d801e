/**
 * The public status page: a Prometheus console template (Go's html/template, rendered by
 * Prometheus itself at /consoles/status.html on each request, with fixed queries only), which
 * the front end serves read-only at /status/ with a short cache. Plain HTML and inline CSS: no
 * script, nothing from a CDN. It shows what a contributor wants to know before they wonder
 * whether the service is broken: the cluster's health, how fresh each source's logs are, the
 * indexing rate, what the recheck bot classified, and which alerts are firing.
 */

export const STATUS_PAGE_DIR = "/etc/prometheus/status-page";
export const STATUS_PAGE_FILE = "status.html";
/** Where Prometheus serves it. */
export const STATUS_PAGE_PROMETHEUS_PATH = `/consoles/${STATUS_PAGE_FILE}`;
/** Where the front end serves it. */
export const STATUS_PAGE_PUBLIC_PATH = "/status/";

/** One query's first value, formatted, or `fallback` when the query has no result. */
function scalar(query: string, format: string, fallback = "no data"): string {
  return `{{ with query ${JSON.stringify(query)} }}{{ . | first | value | ${format} }}{{ else }}${fallback}{{ end }}`;
}

export function renderStatusPage(deploymentName: string): string {
  const rate = (metric: string) => `sum(rate(${metric}[10m]))`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="60">
<link rel="icon" href="data:,">
<title>CI log search status (${deploymentName})</title>
<style>
body { font-family: sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.8em; text-align: left; }
.green { background: #cfc; } .yellow { background: #ffc; } .red { background: #fcc; }
.critical { color: #a00; font-weight: bold; }
</style>
</head>
<body>
<h1>CI log search: status</h1>
<p>Deployment <b>${deploymentName}</b>, as of {{ with query "time()" }}{{ . | first | value | humanizeTimestamp }}{{ end }}. The page refreshes every minute.</p>

<h2>Search cluster</h2>
<table>
<tr><th>health</th>{{ with query "max by (color) (elasticsearch_cluster_health_status) == 1" }}{{ range . }}<td id="cluster-health" class="{{ .Labels.color }}">{{ .Labels.color }}</td>{{ end }}{{ else }}<td id="cluster-health">unknown: the monitoring server does not reach the cluster</td>{{ end }}</tr>
<tr><th>nodes</th><td id="cluster-nodes">${scalar("max(elasticsearch_cluster_health_number_of_nodes)", "printf \"%.0f\"")}</td></tr>
<tr><th>data nodes</th><td id="cluster-data-nodes">${scalar("max(elasticsearch_cluster_health_number_of_data_nodes)", "printf \"%.0f\"")}</td></tr>
<tr><th>unassigned shards</th><td>${scalar("max(elasticsearch_cluster_health_unassigned_shards)", "printf \"%.0f\"")}</td></tr>
<tr><th>indexing rate</th><td id="indexing-rate">${scalar(rate("elasticsearch_indices_indexing_index_total"), "printf \"%.1f\"")} documents/s</td></tr>
</table>

<h2>Data freshness per source</h2>
<table id="sources">
<tr><th>source</th><th>newest build indexed</th><th>documents sent</th></tr>
{{ range query "max by (source) (ingestion_newest_indexed_build_timestamp_seconds)" | sortByLabel "source" }}<tr><td>{{ .Labels.source }}</td><td>{{ .Value | humanizeTimestamp }}</td><td>{{ with printf "sum(rate(ingestion_documents_sent_total{source='%s'}[10m]))" .Labels.source | query }}{{ . | first | value | printf "%.1f" }}/s{{ else }}no data{{ end }}</td></tr>
{{ else }}<tr><td colspan="3">no source reports yet</td></tr>
{{ end }}</table>

<h2>Recheck bot</h2>
<table>
<tr><th>Gerrit event stream</th><td id="gerrit-stream">{{ with query "max(recheck_gerrit_stream_up)" }}{{ if eq (. | first | value) 1.0 }}connected{{ else }}disconnected{{ end }}{{ else }}no data{{ end }}</td></tr>
<tr><th>failed builds classified, last 24 hours</th><td id="classified">${scalar("sum(increase(recheck_builds_classified_total[1d]))", "printf \"%.0f\"")}</td></tr>
<tr><th>of which matched a known bug</th><td>${scalar("sum(increase(recheck_builds_matched_total[1d]))", "printf \"%.0f\"")}</td></tr>
<tr><th>given up (logs not indexed in time)</th><td>${scalar("sum(increase(recheck_builds_timed_out_total[1d]))", "printf \"%.0f\"")}</td></tr>
</table>

<h2>Alerts firing</h2>
<table id="alerts">
<tr><th>alert</th><th>severity</th></tr>
{{ range query "count by (alertname, severity) (ALERTS{alertstate='firing'})" | sortByLabel "alertname" }}<tr><td>{{ .Labels.alertname }}</td><td class="{{ .Labels.severity }}">{{ .Labels.severity }}</td></tr>
{{ else }}<tr><td colspan="2">none</td></tr>
{{ end }}</table>
</body>
</html>
`;
}

/**
 * The front end's location for the page: GET only, and nothing of the request but the method
 * passed on: not its query string (a console template can read it), headers or body. Every
 * other path, Prometheus' API and UI included, falls to the front end's refusal. Limited per
 * client like the search API.
 */
export function statusPageLocation(upstream: string, limitZone: string): string {
  return `
        # the monitoring's read-only status page (lib/monitoring/status-page.ts)
        location = ${STATUS_PAGE_PUBLIC_PATH} {
            limit_except GET { deny all; }
            limit_req zone=${limitZone} burst=20 nodelay;
            proxy_pass_request_headers off;
            proxy_pass_request_body off;
            proxy_set_header Connection "";
            # The ? drops the visitor's query string.
            rewrite ^ ${STATUS_PAGE_PROMETHEUS_PATH}? break;
            proxy_pass http://${upstream};
            default_type text/html;
        }`;
}
