/**
 * Suggested bug signatures: the error fingerprints (lib/signatures) that recur across the failed
 * builds no bug query matched, and that no passing build of the same job had, ranked by the
 * failed builds they appear in, each with a ready query. Everything is computed by the cluster's
 * own aggregations over the fingerprint fields; no log is read here.
 *
 * 1. The fingerprints of the uncategorized failures (the dashboard's list): a composite
 *    aggregation over (error_fingerprint, build_name), with the distinct builds and the first and
 *    last time of each pair, paged PAGE_SIZE pairs at a time, up to MAX_PAIRS.
 * 2. Those of at least `minBuilds` builds, most builds first, are checked against the passing
 *    builds of the same jobs over `baselineDays`, CHECK_BATCH fingerprints a request (a composite
 *    over the pairs that occur there), up to MAX_CHECKED; a pair seen in a passing build is
 *    dropped. Checking stops once `maxSuggestions` fingerprints are left whose builds are as many
 *    as the next unchecked one's: the ranking is exact.
 * 3. For the best `maxSuggestions`: one `_msearch` for an example line (the newest), the builds
 *    and the files it comes from, then one for the ready query's failed and passing builds over
 *    the window (a query that also hits passing builds is weak).
 * Every request carries a search timeout (REQUEST_TIMEOUT), and an answer that timed out or
 * missed shards makes the result say it is partial.
 */
import { FAILED_BUILD_RESULTS } from "../../lib/field-contract";
import { constantPhrase, suggestedQuery, suggestedQueryFile } from "../../lib/signatures/query";
import type { SuggestionSettings } from "../../lib/recheck/service-config";
import type { UncategorizedFailure } from "./dashboard";
import type { SearchClient } from "./search";

export const SUGGESTION_LIMITS = {
  /** Pairs a composite page holds (the cluster refuses more than search.max_buckets, 10,000, in an answer). */
  pageSize: 2000,
  /** (fingerprint, job) pairs read from the uncategorized failures at most. */
  maxPairs: 100_000,
  /** Fingerprints checked against the passing builds in one request. */
  checkBatch: 500,
  /** Fingerprints checked against the passing builds at most. */
  maxChecked: 5000,
  /** Builds listed per suggestion (the count is exact beyond that too). */
  listedBuilds: 100,
  /** Each request's search timeout: the cluster stops and answers with what it has. */
  requestTimeout: "30s",
} as const;

export interface SuggestionsOptions {
  readonly search: SearchClient;
  readonly indexPattern: string;
  /** The uncategorized failures' window, in hours (their documents are looked for twice as far back). */
  readonly windowHours: number;
  readonly settings: SuggestionSettings;
}

export interface SuggestedBuild {
  readonly build: string;
  readonly job: string;
  readonly project?: string;
  readonly logUrl?: string;
}

export interface Suggestion {
  readonly fingerprint: string;
  readonly normalized: string;
  /** Uncategorized failed builds it appears in, and in no passing build of their job. */
  readonly builds: number;
  readonly jobs: readonly string[];
  readonly projects: readonly string[];
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly example: { readonly message: string; readonly logUrl?: string; readonly file?: string; readonly line?: number; readonly build: string };
  readonly listedBuilds: readonly SuggestedBuild[];
  /** The ready query and its hits over the window; absent when the normalized text has no constant word. */
  readonly query?: {
    readonly text: string;
    readonly file: string;
    readonly failedBuilds: number;
    readonly passingBuilds: number;
    /** It also hits passing builds. */
    readonly weak: boolean;
  };
}

export interface SuggestionsData {
  readonly generatedAt: string;
  readonly windowHours: number;
  readonly baselineDays: number;
  readonly minBuilds: number;
  /** Uncategorized failures looked at. */
  readonly failures: number;
  /** Fingerprints of those failures, and how many were checked against the passing builds. */
  readonly fingerprints: number;
  readonly checked: number;
  /** A bound was reached or the cluster answered partly: the list may miss some. */
  readonly partial: readonly string[];
  readonly seconds: number;
  readonly suggestions: readonly Suggestion[];
}

interface Pair {
  builds: number;
  first: number;
  last: number;
}

interface CompositeAnswer {
  readonly timed_out?: boolean;
  readonly _shards?: { readonly failed?: number };
  readonly aggregations: {
    readonly pairs: {
      readonly after_key?: Record<string, string>;
      readonly buckets: readonly { readonly key: { fp: string; job: string }; readonly builds?: { value: number }; readonly first?: { value: number }; readonly last?: { value: number } }[];
    };
  };
}

const FAILED = { terms: { build_status: [...FAILED_BUILD_RESULTS] } };
const PASSED = { term: { build_status: "SUCCESS" } };
const PAIR_SOURCES = [{ fp: { terms: { field: "error_fingerprint" } } }, { job: { terms: { field: "build_name" } } }];

/** The cluster stopped early or a shard failed: said once per kind. */
function noteIfPartial(answer: { timed_out?: boolean; _shards?: { failed?: number } }, what: string, partial: Set<string>): void {
  if (answer.timed_out) partial.add(`${what}: the cluster's search timed out (${SUGGESTION_LIMITS.requestTimeout})`);
  if ((answer._shards?.failed ?? 0) > 0) partial.add(`${what}: some shards failed`);
}

/** Every page of a composite aggregation over (fingerprint, job) pairs, up to `maxPairs`. */
async function pairsOf(options: SuggestionsOptions, filter: readonly object[], metrics: object, maxPairs: number, what: string, partial: Set<string>): Promise<CompositeAnswer["aggregations"]["pairs"]["buckets"]> {
  const buckets: CompositeAnswer["aggregations"]["pairs"]["buckets"][number][] = [];
  let after: Record<string, string> | undefined;
  for (;;) {
    const answer = await options.search.post<CompositeAnswer>(`/${options.indexPattern}/_search`, {
      size: 0,
      timeout: SUGGESTION_LIMITS.requestTimeout,
      query: { bool: { filter } },
      aggs: { pairs: { composite: { size: SUGGESTION_LIMITS.pageSize, sources: PAIR_SOURCES, ...(after ? { after } : {}) }, aggs: metrics } },
    });
    noteIfPartial(answer, what, partial);
    buckets.push(...answer.aggregations.pairs.buckets);
    after = answer.aggregations.pairs.after_key;
    if (after === undefined || answer.aggregations.pairs.buckets.length < SUGGESTION_LIMITS.pageSize) return buckets;
    if (buckets.length >= maxPairs) {
      partial.add(`${what}: stopped at ${maxPairs} (fingerprint, job) pairs`);
      return buckets;
    }
  }
}

interface Candidate {
  readonly fingerprint: string;
  readonly jobs: Map<string, Pair>;
}

const buildsOf = (candidate: Candidate) => [...candidate.jobs.values()].reduce((sum, pair) => sum + pair.builds, 0);

interface DetailAnswer {
  readonly hits: { readonly hits: readonly { readonly _source: Record<string, unknown> }[] };
  readonly aggregations: { readonly builds: { readonly buckets: readonly { key: string }[] }; readonly count: { value: number }; readonly files: { readonly buckets: readonly { key: string }[] } };
}

interface HitsAnswer {
  readonly aggregations: { readonly failed: { readonly builds: { value: number } }; readonly passing: { readonly builds: { value: number } } };
}

/** One `_msearch`: a header and a body per search; the answers in order (a failed search throws). */
async function msearch<T>(options: SuggestionsOptions, bodies: readonly object[]): Promise<T[]> {
  if (bodies.length === 0) return [];
  const answer = await options.search.postNdjson<{ responses: (T & { error?: unknown })[] }>(
    `/${options.indexPattern}/_msearch`,
    bodies.flatMap((body) => [{}, { timeout: SUGGESTION_LIMITS.requestTimeout, ...body }]),
  );
  return answer.responses.map((response) => {
    if (response.error !== undefined) throw new Error(`_msearch: ${JSON.stringify(response.error).slice(0, 300)}`);
    return response;
  });
}

export async function computeSuggestions(options: SuggestionsOptions, failures: readonly UncategorizedFailure[], now: Date): Promise<SuggestionsData> {
  const started = Date.now();
  const { settings } = options;
  const partial = new Set<string>();
  const byBuild = new Map(failures.map((failure) => [failure.build, failure]));
  const since = { range: { "@timestamp": { gte: `now-${options.windowHours * 2}h` } } };
  const base = {
    generatedAt: now.toISOString(),
    windowHours: options.windowHours,
    baselineDays: settings.baselineDays,
    minBuilds: settings.minBuilds,
    failures: failures.length,
  };
  if (failures.length === 0) return { ...base, fingerprints: 0, checked: 0, partial: [], seconds: 0, suggestions: [] };

  // 1. The fingerprints of the uncategorized failures, per job.
  const failedPairs = await pairsOf(
    options,
    [{ terms: { build_uuid: [...byBuild.keys()] } }, { exists: { field: "error_fingerprint" } }, since],
    { builds: { cardinality: { field: "build_uuid", precision_threshold: 1000 } }, first: { min: { field: "@timestamp" } }, last: { max: { field: "@timestamp" } } },
    SUGGESTION_LIMITS.maxPairs,
    "uncategorized failures",
    partial,
  );
  const candidates = new Map<string, Candidate>();
  for (const bucket of failedPairs) {
    const candidate = candidates.get(bucket.key.fp) ?? { fingerprint: bucket.key.fp, jobs: new Map() };
    candidate.jobs.set(bucket.key.job, { builds: bucket.builds?.value ?? 0, first: bucket.first?.value ?? 0, last: bucket.last?.value ?? 0 });
    candidates.set(bucket.key.fp, candidate);
  }
  const ranked = [...candidates.values()].filter((candidate) => buildsOf(candidate) >= settings.minBuilds).sort((a, b) => buildsOf(b) - buildsOf(a) || a.fingerprint.localeCompare(b.fingerprint));

  // 2. Against the passing builds of the same jobs, most builds first, until the top is settled.
  const survivors: Candidate[] = [];
  let checked = 0;
  while (checked < ranked.length) {
    const settled = survivors.length >= settings.maxSuggestions && buildsOf(survivors[settings.maxSuggestions - 1]) >= buildsOf(ranked[checked]);
    if (settled) break;
    if (checked >= SUGGESTION_LIMITS.maxChecked) {
      partial.add(`checked ${SUGGESTION_LIMITS.maxChecked} fingerprints against the passing builds, of ${ranked.length}`);
      break;
    }
    const batch = ranked.slice(checked, checked + SUGGESTION_LIMITS.checkBatch);
    checked += batch.length;
    const jobs = [...new Set(batch.flatMap((candidate) => [...candidate.jobs.keys()]))];
    const passing = await pairsOf(
      options,
      [{ terms: { error_fingerprint: batch.map((candidate) => candidate.fingerprint) } }, { terms: { build_name: jobs } }, PASSED, { range: { "@timestamp": { gte: `now-${settings.baselineDays}d` } } }],
      {},
      Number.POSITIVE_INFINITY,
      "passing builds",
      partial,
    );
    const seen = new Set(passing.map((bucket) => `${bucket.key.fp} ${bucket.key.job}`));
    for (const candidate of batch) {
      const jobs = new Map([...candidate.jobs].filter(([job]) => !seen.has(`${candidate.fingerprint} ${job}`)));
      const left = { fingerprint: candidate.fingerprint, jobs };
      if (buildsOf(left) >= settings.minBuilds) survivors.push(left);
    }
    survivors.sort((a, b) => buildsOf(b) - buildsOf(a) || a.fingerprint.localeCompare(b.fingerprint));
  }
  const top = survivors.slice(0, settings.maxSuggestions);

  // 3. An example, the builds and files of each, then its ready query's hits.
  const details = await msearch<DetailAnswer>(options, top.map((candidate) => ({
    size: 1,
    sort: [{ "@timestamp": "desc" }],
    _source: ["message", "error_normalized", "log_url", "filename", "line_number", "build_uuid"],
    query: { bool: { filter: [{ term: { error_fingerprint: candidate.fingerprint } }, { terms: { build_uuid: [...byBuild.keys()] } }, { terms: { build_name: [...candidate.jobs.keys()] } }, since] } },
    aggs: {
      builds: { terms: { field: "build_uuid", size: SUGGESTION_LIMITS.listedBuilds } },
      count: { cardinality: { field: "build_uuid", precision_threshold: 1000 } },
      files: { terms: { field: "filename", size: 2 } },
    },
  })));
  const queries = top.map((_candidate, index) => {
    const source = details[index].hits.hits[0]?._source ?? {};
    const phrase = constantPhrase(String(source.error_normalized ?? ""));
    const files = details[index].aggregations.files.buckets.map((bucket) => bucket.key);
    return phrase === undefined ? undefined : suggestedQuery(phrase, files.length === 1 ? files[0] : undefined);
  });
  const window = { range: { "@timestamp": { gte: `now-${options.windowHours}h` } } };
  const withQueries = queries.flatMap((query) => (query === undefined ? [] : [query]));
  const hits = await msearch<HitsAnswer>(options, withQueries.map((query) => ({
    size: 0,
    query: { bool: { filter: [{ query_string: { query } }, window] } },
    aggs: {
      failed: { filter: FAILED, aggs: { builds: { cardinality: { field: "build_uuid", precision_threshold: 1000 } } } },
      passing: { filter: PASSED, aggs: { builds: { cardinality: { field: "build_uuid", precision_threshold: 1000 } } } },
    },
  })));
  const hitsOf = new Map(withQueries.map((query, index) => [query, hits[index]]));

  const suggestions = top.map((candidate, index): Suggestion => {
    const detail = details[index];
    const source = detail.hits.hits[0]?._source ?? {};
    const pairs = [...candidate.jobs.values()];
    const listed = detail.aggregations.builds.buckets.map((bucket): SuggestedBuild => {
      const failure = byBuild.get(bucket.key);
      return { build: bucket.key, job: failure?.job ?? "", project: failure?.project, logUrl: failure?.logUrl };
    });
    const query = queries[index];
    const files = detail.aggregations.files.buckets.map((bucket) => bucket.key);
    const answer = query === undefined ? undefined : hitsOf.get(query);
    const normalized = String(source.error_normalized ?? "");
    const builds = listed.length < SUGGESTION_LIMITS.listedBuilds ? listed.length : detail.aggregations.count.value;
    return {
      fingerprint: candidate.fingerprint,
      normalized,
      builds,
      jobs: [...candidate.jobs.keys()].sort(),
      projects: [...new Set(listed.flatMap((build) => (build.project ? [build.project] : [])))].sort(),
      firstSeen: new Date(Math.min(...pairs.map((pair) => pair.first))).toISOString(),
      lastSeen: new Date(Math.max(...pairs.map((pair) => pair.last))).toISOString(),
      example: {
        message: String(source.message ?? ""),
        logUrl: typeof source.log_url === "string" ? source.log_url : undefined,
        file: typeof source.filename === "string" ? source.filename : undefined,
        line: typeof source.line_number === "number" ? source.line_number : undefined,
        build: String(source.build_uuid ?? ""),
      },
      listedBuilds: listed,
      ...(query !== undefined && answer !== undefined
        ? {
            query: {
              text: query,
              file: suggestedQueryFile(query, `Suggested from ${builds} uncategorized failed builds (${[...candidate.jobs.keys()].sort().join(", ")}), fingerprint ${candidate.fingerprint}:\n${normalized}${files.length > 1 ? "\n(seen in several files)" : ""}`),
              failedBuilds: answer.aggregations.failed.builds.value,
              passingBuilds: answer.aggregations.passing.builds.value,
              weak: answer.aggregations.passing.builds.value > 0,
            },
          }
        : {}),
    };
  });
  return { ...base, fingerprints: candidates.size, checked, partial: [...partial], seconds: (Date.now() - started) / 1000, suggestions };
}
