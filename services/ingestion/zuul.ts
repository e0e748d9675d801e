/**
 * Zuul's builds API, the part of upstream's contract the service keeps:
 * `GET <zuul_api_url>/builds?limit=N&skip=M` lists the tenant's builds, newest first (by the
 * database's build id, given when a build starts). Without `complete=true` the list also holds the
 * builds still running (no `result` yet): the listing needs them to know how far back the next
 * pass must look (lister.ts). A build's change data is at the top level in Zuul up to 9 and under
 * `ref` since; both shapes are read.
 */
import type { HttpClient } from "./http";

export interface Build {
  readonly uuid: string;
  readonly job: string;
  /** undefined while the build runs. */
  readonly result?: string;
  readonly startMs?: number;
  readonly endMs?: number;
  /** The folder of the build's logs, ending with "/". */
  readonly logUrl?: string;
  readonly voting: boolean;
  readonly project?: string;
  readonly branch?: string;
  readonly pipeline?: string;
  readonly change?: string;
  readonly patchset?: string;
  readonly ref?: string;
  readonly newrev?: string;
  readonly changeUrl?: string;
  readonly buildset?: string;
  readonly nodeset?: string;
}

const UUID = /^[0-9a-f]{32}$/;

/** Zuul's times: `2024-05-14T10:21:33` in UTC (no zone written), or ISO with a zone. */
export function zuulTime(value: unknown): number | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`;
  const ms = Date.parse(withZone);
  return Number.isFinite(ms) ? ms : undefined;
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : typeof value === "number" && Number.isFinite(value) ? String(value) : undefined;

/** One build of the listing, or undefined when it is not a build (no 32-hex uuid or job name). */
export function parseBuild(raw: unknown): Build | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const build = raw as Record<string, unknown>;
  const uuid = text(build.uuid);
  const job = text(build.job_name);
  if (uuid === undefined || !UUID.test(uuid) || job === undefined) return undefined;
  // Zuul 10 moved the change data under `ref` (a dict; before, `ref` was the git ref itself).
  const ref = typeof build.ref === "object" && build.ref !== null ? (build.ref as Record<string, unknown>) : build;
  const project = typeof ref.project === "object" && ref.project !== null ? text((ref.project as Record<string, unknown>).name) : text(ref.project);
  const buildset = typeof build.buildset === "object" && build.buildset !== null ? text((build.buildset as Record<string, unknown>).uuid) : undefined;
  const logUrl = text(build.log_url);
  return {
    uuid,
    job,
    result: text(build.result),
    startMs: zuulTime(build.start_time),
    endMs: zuulTime(build.end_time),
    logUrl: logUrl === undefined ? undefined : logUrl.endsWith("/") ? logUrl : `${logUrl}/`,
    voting: build.voting !== false,
    project,
    branch: text(ref.branch),
    pipeline: text(build.pipeline),
    change: text(ref.change),
    patchset: text(ref.patchset),
    ref: text(ref.ref),
    newrev: text(ref.newrev),
    changeUrl: text(ref.ref_url),
    buildset,
    nodeset: text(build.nodeset),
  };
}

/** One page of the tenant's builds, newest first; entries that are not builds are left out. */
export async function listBuilds(client: HttpClient, apiUrl: string, skip: number, limit: number): Promise<{ builds: Build[]; entries: number }> {
  const answer = await client.getJson(`${apiUrl}/builds?limit=${limit}&skip=${skip}`);
  if (!Array.isArray(answer)) throw new Error(`${apiUrl}/builds: expected a list of builds, got ${JSON.stringify(answer).slice(0, 200)}`);
  return { builds: answer.map(parseBuild).filter((build): build is Build => build !== undefined), entries: answer.length };
}
