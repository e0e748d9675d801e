/**
 * How the followed Zuul sources are split between the ingestion workers, so that every build is
 * fetched by exactly one worker.
 *
 * The unit of work is a source: one tenant of one Zuul, optionally narrowed by `job_filter`.
 * Each source runs on exactly one worker (its own logscraper and logsender services, its own
 * checkpoint); sources are dealt round-robin in the order they are declared (source i goes to
 * worker i mod N), so adding a worker moves only the sources from index N on and leaves the
 * first N where they were.
 *
 * logscraper cannot split one tenant by itself: its `job_name` takes exact job names, not a
 * pattern. A tenant too big for one worker is therefore declared as several sources with
 * `job_filter`s; on the worker, each source's start step asks Zuul for the tenant's jobs and
 * passes the matching names as `job_name`. Sources of the same tenant are matched in declared
 * order, first match wins: a job belongs to the first source whose filter matches it, so each
 * source also excludes the filters of the sources before it (`excludeJobFilters`). The sources of
 * one tenant are thus disjoint by construction, and a source without a filter takes the rest.
 * Filters are Python regular expressions (`re.search` on the job name), checked here with
 * JavaScript's, which agree on the common syntax; Python-only syntax is rejected.
 *
 * A worker with nothing to do is an error, not a warning: an idle server would hold donated
 * capacity (the old service was retired partly for its footprint) while looking like ingestion
 * capacity. Lower the worker count, or split a tenant into more sources.
 */
import { ZUUL_TENANT_API_URL } from "./logscraper-config";

/** A Zuul tenant (or part of one) that the workers follow. Keys as in the public config. */
export interface FollowedSource {
  /** Short name, used in unit and file names: `logscraper-<name>.service`. */
  readonly name: string;
  /** The tenant's API, `https://<host>/api/tenant/<tenant>`. */
  readonly zuul_api_url: string;
  /** The tenant; must be the last segment of `zuul_api_url` (logscraper takes the tenant from there). */
  readonly tenant: string;
  /** Python regex searched in the job name; only matching jobs are fetched. @default - every job not taken by an earlier source of the tenant */
  readonly job_filter?: string;
}

export interface SourceAssignment {
  readonly source: FollowedSource;
  /** Position of the source in the declared list. */
  readonly index: number;
  /** Filters of the earlier sources of the same tenant: jobs matching any of them belong to those sources. */
  readonly excludeJobFilters: readonly string[];
}

export interface WorkerAssignment {
  /** 0-based worker number. */
  readonly worker: number;
  readonly sources: readonly SourceAssignment[];
}

const SOURCE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
/** Syntax that Python's `re` reads differently from JavaScript's (or not at all). */
const NOT_PORTABLE: readonly [RegExp, string][] = [
  [/\(\?<(?![=!])/, 'named groups: Python spells them (?P<name>...), JavaScript (?<name>...); use a plain group'],
  [/\(\?P/, "Python-only group syntax"],
  [/\\[pPkuxcAZzG]/, "an escape that Python and JavaScript read differently"],
  [/\(\?[a-zA-Z]/, "inline flags"],
];

/** Every problem of the sources for `workerCount` workers; empty when the split is sound. */
export function validateSources(sources: readonly FollowedSource[], workerCount: number): string[] {
  const problems: string[] = [];
  if (!Number.isSafeInteger(workerCount) || workerCount < 1) problems.push(`worker count: got ${workerCount}; expected a whole number of at least 1`);
  if (sources.length === 0) problems.push("no sources: give at least one Zuul tenant to follow");
  const names = new Map<string, number>();
  const unfilteredOfTenant = new Map<string, number>();
  const filtersOfTenant = new Map<string, Map<string, number>>();
  sources.forEach((source, index) => {
    const where = `sources[${index}] ${JSON.stringify(source.name)}`;
    if (typeof source.name !== "string" || !SOURCE_NAME.test(source.name)) {
      problems.push(`${where}: name must be 1-32 lowercase letters, digits and "-" (it names units and files)`);
    }
    const earlierName = names.get(source.name);
    if (earlierName !== undefined) problems.push(`${where}: duplicates the name of sources[${earlierName}]; names must be unique`);
    else names.set(source.name, index);

    const url = ZUUL_TENANT_API_URL.exec(source.zuul_api_url ?? "");
    if (!url) {
      problems.push(`${where}: zuul_api_url ${JSON.stringify(source.zuul_api_url)} is not of the form https://<host>/api/tenant/<tenant>`);
    } else if (url[3] !== source.tenant) {
      problems.push(`${where}: tenant ${JSON.stringify(source.tenant)} differs from the tenant of zuul_api_url (${JSON.stringify(url[3])}); logscraper uses the URL's`);
    }

    if (source.job_filter !== undefined) {
      const filterProblem = checkJobFilter(source.job_filter);
      if (filterProblem) problems.push(`${where}: job_filter ${JSON.stringify(source.job_filter)}: ${filterProblem}`);
    }
    const tenantKey = `${source.zuul_api_url}`;
    const catchAll = unfilteredOfTenant.get(tenantKey);
    if (catchAll !== undefined) {
      problems.push(
        `${where}: overlaps sources[${catchAll}] ${JSON.stringify(sources[catchAll].name)}, which takes every job of ${source.zuul_api_url} ` +
          "left by the sources before it, so this one would get nothing; give the earlier source a job_filter, or put this one first",
      );
      return;
    }
    if (source.job_filter === undefined) {
      unfilteredOfTenant.set(tenantKey, index);
      return;
    }
    const filters = filtersOfTenant.get(tenantKey) ?? new Map<string, number>();
    const same = filters.get(source.job_filter);
    if (same !== undefined) {
      problems.push(`${where}: has the same job_filter as sources[${same}] ${JSON.stringify(sources[same].name)} on ${source.zuul_api_url}, so it would get nothing`);
    }
    filters.set(source.job_filter, index);
    filtersOfTenant.set(tenantKey, filters);
  });
  if (Number.isSafeInteger(workerCount) && workerCount > sources.length && sources.length > 0) {
    problems.push(
      `${workerCount} workers for ${sources.length} source(s): workers ${sources.length}..${workerCount - 1} (0-based) would have nothing to do; ` +
        `lower the worker count to ${sources.length}, or split a tenant into more sources with job_filter`,
    );
  }
  return problems;
}

/** The sources of each worker (round-robin in declared order); fails listing every problem of validateSources. */
export function partitionSources(sources: readonly FollowedSource[], workerCount: number): WorkerAssignment[] {
  const problems = validateSources(sources, workerCount);
  if (problems.length > 0) {
    throw new Error(`The ingestion sources have ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
  const workers = Array.from({ length: workerCount }, (_, worker) => ({ worker, sources: [] as SourceAssignment[] }));
  sources.forEach((source, index) => {
    const excludeJobFilters = sources
      .slice(0, index)
      .filter((earlier) => earlier.zuul_api_url === source.zuul_api_url && earlier.job_filter !== undefined)
      .map((earlier) => earlier.job_filter!);
    workers[index % workerCount].sources.push({ source, index, excludeJobFilters });
  });
  return workers;
}

function checkJobFilter(filter: string): string | undefined {
  if (typeof filter !== "string" || filter === "") return "must be a non-empty regular expression";
  if (/[\r\n]/.test(filter)) return "must be one line";
  for (const [pattern, why] of NOT_PORTABLE) if (pattern.test(filter)) return `uses ${why}`;
  try {
    new RegExp(filter);
  } catch (error) {
    return `is not a valid regular expression (${(error as Error).message})`;
  }
  if (new RegExp(filter).test("")) return "matches the empty string, so it matches every job; leave job_filter out to take every job";
  return undefined;
}
