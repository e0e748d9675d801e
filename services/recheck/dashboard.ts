/**
 * The dashboard, recomputed periodically from the cluster and written as static files that
 * nginx serves: `index.html` (each bug's failed builds per day over the retention window, its
 * trend and the jobs and queues it hits, plus failure rates per job and queue),
 * `uncategorized.html` (recent failed builds no query matched) and the same data as JSON under
 * `data/`. Plain HTML with inline SVG: no script, nothing fetched from elsewhere.
 */
import * as path from "node:path";
import { FAILED_BUILD_RESULTS } from "../../lib/field-contract";
import { queryForBuild, type BugQuery } from "../../lib/queries/bug-query";
import { writeAtomically } from "../shared/files";
import { bugUrl } from "./report";
import type { SearchClient } from "./search";

export interface DashboardOptions {
  readonly search: SearchClient;
  readonly indexPattern: string;
  readonly days: number;
  readonly uncategorizedHours: number;
  readonly jobsRe: RegExp;
  readonly logsUrl: string;
}

interface Bucket { readonly key: string; readonly doc_count: number; readonly builds?: { readonly value: number } }
interface DayBucket { readonly key_as_string: string; readonly builds: { readonly value: number } }
interface Rate { readonly name: string; readonly builds: number; readonly runs: number; readonly rate: number }

export interface BugGraph {
  readonly bug: string;
  readonly url: string;
  readonly query: string;
  /** Failed builds the query matched over the window. */
  readonly builds: number;
  readonly daily: readonly { readonly date: string; readonly builds: number }[];
  readonly trend: "rising" | "falling" | "steady";
  readonly jobs: readonly Rate[];
  readonly queues: readonly Rate[];
}

export interface UncategorizedFailure {
  readonly build: string;
  readonly job: string;
  readonly queue?: string;
  readonly project?: string;
  readonly change?: string;
  readonly patchset?: string;
  readonly changeUrl?: string;
  readonly logUrl?: string;
  readonly time?: string;
}

export interface DashboardData {
  readonly generatedAt: string;
  readonly days: number;
  readonly bugs: readonly BugGraph[];
  readonly jobs: readonly Rate[];
  readonly queues: readonly Rate[];
  readonly uncategorizedHours: number;
  readonly uncategorized: readonly UncategorizedFailure[];
}

/** Every failed result (FAILURE, TIMED_OUT, POST_FAILURE, ...), as the bot classifies them. */
const FAILED = { terms: { build_status: [...FAILED_BUILD_RESULTS] } };
const BUILDS = { builds: { cardinality: { field: "build_uuid" } } };

function trendOf(daily: readonly { builds: number }[]): BugGraph["trend"] {
  const half = Math.floor(daily.length / 2);
  const sum = (items: readonly { builds: number }[]) => items.reduce((total, item) => total + item.builds, 0);
  const before = sum(daily.slice(0, half)) / Math.max(half, 1);
  const after = sum(daily.slice(half)) / Math.max(daily.length - half, 1);
  if (after > before * 1.5 && after - before >= 1) return "rising";
  if (after < before / 1.5 && before - after >= 1) return "falling";
  return "steady";
}

export async function computeDashboard(options: DashboardOptions, queries: readonly BugQuery[], now: Date): Promise<DashboardData> {
  const { search, indexPattern, days } = options;
  const window = { range: { "@timestamp": { gte: `now-${days - 1}d/d` } } };
  const runs = await search.post<{
    aggregations: { jobs: { buckets: (Bucket & { failed: { builds: { value: number } } })[] }; queues: { buckets: (Bucket & { failed: { builds: { value: number } } })[] }; recent: { builds: { buckets: (Bucket & { first: { hits: { hits: { _source: Record<string, string> }[] } } })[] } } };
  }>(`/${indexPattern}/_search`, {
    size: 0,
    query: { bool: { filter: [window] } },
    aggs: {
      jobs: { terms: { field: "build_name", size: 500 }, aggs: { ...BUILDS, failed: { filter: FAILED, aggs: BUILDS } } },
      queues: { terms: { field: "build_queue", size: 50 }, aggs: { ...BUILDS, failed: { filter: FAILED, aggs: BUILDS } } },
      recent: {
        filter: { bool: { filter: [FAILED, { range: { "@timestamp": { gte: `now-${options.uncategorizedHours}h` } } }] } },
        aggs: {
          builds: {
            terms: { field: "build_uuid", size: 1000 },
            aggs: { first: { top_hits: { size: 1, _source: ["build_name", "build_queue", "project", "build_change", "build_patchset", "change_url", "log_url", "@timestamp"] } } },
          },
        },
      },
    },
  });
  const runsOf = (buckets: readonly Bucket[]) => new Map(buckets.map((bucket) => [bucket.key, bucket.builds?.value ?? 0]));
  const jobRuns = runsOf(runs.aggregations.jobs.buckets);
  const queueRuns = runsOf(runs.aggregations.queues.buckets);
  const rates = (buckets: readonly Bucket[], all: Map<string, number>): Rate[] =>
    buckets.map((bucket) => {
      const builds = bucket.builds?.value ?? 0;
      const total = Math.max(all.get(bucket.key) ?? 0, builds);
      return { name: bucket.key, builds, runs: total, rate: total > 0 ? builds / total : 0 };
    });

  const matched = new Set<string>();
  const bugs: BugGraph[] = [];
  for (const query of queries) {
    const answer = await search.post<{
      aggregations: { days: { buckets: DayBucket[] }; jobs: { buckets: Bucket[] }; queues: { buckets: Bucket[] }; all: { buckets: Bucket[] } };
    }>(`/${indexPattern}/_search`, {
      size: 0,
      query: { bool: { filter: [{ query_string: { query: queryForBuild(query) } }, FAILED, window] } },
      aggs: {
        days: {
          date_histogram: { field: "@timestamp", calendar_interval: "1d", format: "yyyy-MM-dd", min_doc_count: 0, extended_bounds: { min: `now-${days - 1}d/d`, max: "now/d" } },
          aggs: BUILDS,
        },
        jobs: { terms: { field: "build_name", size: 50 }, aggs: BUILDS },
        queues: { terms: { field: "build_queue", size: 20 }, aggs: BUILDS },
        all: { terms: { field: "build_uuid", size: 10000 } },
      },
    });
    for (const bucket of answer.aggregations.all.buckets) matched.add(bucket.key);
    if (query.suppressGraph) continue;
    const daily = answer.aggregations.days.buckets.map((bucket) => ({ date: bucket.key_as_string, builds: bucket.builds.value }));
    bugs.push({
      bug: query.bug,
      url: bugUrl(query.bug),
      query: query.query,
      builds: answer.aggregations.all.buckets.length,
      daily,
      trend: trendOf(daily),
      jobs: rates(answer.aggregations.jobs.buckets, jobRuns),
      queues: rates(answer.aggregations.queues.buckets, queueRuns),
    });
  }
  bugs.sort((a, b) => b.builds - a.builds || a.bug.localeCompare(b.bug));

  const uncategorized: UncategorizedFailure[] = [];
  for (const bucket of runs.aggregations.recent.builds.buckets) {
    const source = bucket.first.hits.hits[0]?._source ?? {};
    const job = source.build_name ?? "";
    if (matched.has(bucket.key) || !options.jobsRe.test(job)) continue;
    uncategorized.push({
      build: bucket.key,
      job,
      queue: source.build_queue,
      project: source.project,
      change: source.build_change,
      patchset: source.build_patchset,
      changeUrl: source.change_url,
      logUrl: source.log_url,
      time: source["@timestamp"],
    });
  }
  uncategorized.sort((a, b) => (b.time ?? "").localeCompare(a.time ?? ""));
  const failedRates = (buckets: readonly (Bucket & { failed: { builds: { value: number } } })[]): Rate[] =>
    buckets.map((bucket) => {
      const total = bucket.builds?.value ?? 0;
      const builds = bucket.failed.builds.value;
      return { name: bucket.key, builds, runs: total, rate: total > 0 ? builds / total : 0 };
    });
  return {
    generatedAt: now.toISOString(),
    days,
    bugs,
    jobs: failedRates(runs.aggregations.jobs.buckets),
    queues: failedRates(runs.aggregations.queues.buckets),
    uncategorizedHours: options.uncategorizedHours,
    uncategorized,
  };
}

export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const percent = (rate: number): string => `${(rate * 100).toFixed(1)}%`;

/** Daily counts as an SVG bar chart, sized for a table cell. */
function barChart(daily: BugGraph["daily"]): string {
  const width = 12;
  const height = 40;
  const top = Math.max(1, ...daily.map((day) => day.builds));
  const bars = daily
    .map((day, index) => {
      const barHeight = Math.round((day.builds / top) * (height - 2));
      return `<rect x="${index * width}" y="${height - barHeight}" width="${width - 2}" height="${barHeight}"><title>${escapeHtml(day.date)}: ${day.builds}</title></rect>`;
    })
    .join("");
  return `<svg class="graph" role="img" aria-label="failed builds per day" width="${daily.length * width}" height="${height}" viewBox="0 0 ${daily.length * width} ${height}">${bars}</svg>`;
}

function rateTable(title: string, rates: readonly Rate[]): string {
  const rows = rates.map((rate) => `<tr><td>${escapeHtml(rate.name)}</td><td>${rate.builds}</td><td>${rate.runs}</td><td>${percent(rate.rate)}</td></tr>`).join("\n");
  return `<table><caption>${escapeHtml(title)}</caption><thead><tr><th>name</th><th>failed</th><th>runs</th><th>rate</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

export function page(title: string, body: string, generatedAt: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: sans-serif; margin: 1em 2em; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
svg.graph rect { fill: #b22; }
pre { white-space: pre-wrap; background: #f4f4f4; padding: 0.3em; }
.weak { color: #b60; font-weight: bold; }
.trend-rising { color: #b22; } .trend-falling { color: #282; }
</style>
</head>
<body>
<nav><a href="index.html">Known bugs</a> | <a href="uncategorized.html">Uncategorized failures</a> | <a href="suggestions.html">Suggested signatures</a> | <a href="data/dashboard.json">JSON</a></nav>
<h1>${escapeHtml(title)}</h1>
${body}
<p>Generated at ${escapeHtml(generatedAt)}.</p>
</body>
</html>
`;
}

export function renderGraphPage(data: DashboardData): string {
  const rows = data.bugs
    .map((bug) => {
      const jobs = bug.jobs.map((job) => `${escapeHtml(job.name)} (${job.builds}/${job.runs}, ${percent(job.rate)})`).join("<br>");
      const queues = bug.queues.map((queue) => `${escapeHtml(queue.name)} (${queue.builds})`).join("<br>");
      return `<tr id="bug-${escapeHtml(bug.bug)}"><td><a href="${escapeHtml(bug.url)}">${escapeHtml(bug.bug)}</a></td><td>${bug.builds}</td><td class="trend-${bug.trend}">${bug.trend}</td><td>${barChart(bug.daily)}</td><td>${jobs}</td><td>${queues}</td><td><code>${escapeHtml(bug.query)}</code></td></tr>`;
    })
    .join("\n");
  const body = `<p>Failed builds per day matching each bug's query, over the last ${data.days} days.</p>
<table><thead><tr><th>bug</th><th>failed builds</th><th>trend</th><th>per day</th><th>jobs (failed/runs)</th><th>queues</th><th>query</th></tr></thead><tbody>
${rows}
</tbody></table>
${rateTable("Failure rate per job", data.jobs)}
${rateTable("Failure rate per queue", data.queues)}`;
  return page("Known bugs in CI failures", body, data.generatedAt);
}

export function renderUncategorizedPage(data: DashboardData, logsUrl: string): string {
  const rows = data.uncategorized
    .map((failure) => {
      const change = failure.change ? `${failure.change},${failure.patchset ?? ""}` : "";
      const changeCell = failure.changeUrl ? `<a href="${escapeHtml(failure.changeUrl)}">${escapeHtml(change)}</a>` : escapeHtml(change);
      const logs = failure.logUrl ? `<a href="${escapeHtml(failure.logUrl)}">logs</a>` : "";
      return `<tr><td>${escapeHtml(failure.time ?? "")}</td><td>${escapeHtml(failure.job)}</td><td>${escapeHtml(failure.queue ?? "")}</td><td>${escapeHtml(failure.project ?? "")}</td><td>${changeCell}</td><td>${logs}</td><td><code>${escapeHtml(failure.build)}</code></td></tr>`;
    })
    .join("\n");
  const body = `<p>Failed builds of the last ${data.uncategorizedHours} hours that no bug query matched. Search their logs at <a href="${escapeHtml(logsUrl)}">${escapeHtml(logsUrl)}</a> and add a query for the bug; the errors that recur across them, with a ready query each, are the <a href="suggestions.html">suggested signatures</a>.</p>
<table><thead><tr><th>time</th><th>job</th><th>queue</th><th>project</th><th>change</th><th>logs</th><th>build</th></tr></thead><tbody>
${rows}
</tbody></table>`;
  return page("Uncategorized failures", body, data.generatedAt);
}

/** Writes the pages and the JSON into `dir`, each file replaced atomically. */
export function writeDashboard(dir: string, data: DashboardData, logsUrl: string): void {
  writeAtomically(path.join(dir, "data", "dashboard.json"), `${JSON.stringify(data, null, 1)}\n`);
  writeAtomically(path.join(dir, "index.html"), renderGraphPage(data));
  writeAtomically(path.join(dir, "uncategorized.html"), renderUncategorizedPage(data, logsUrl));
}
