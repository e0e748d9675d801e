/**
 * Zuul's report comments on Gerrit: one line per job, `- <job> <url> : <RESULT> in <time>`, with
 * ` (non-voting)` for non-voting jobs. Today the URL is the build page
 * `https://zuul.opendev.org/t/<tenant>/build/<32 hex>`; older reports linked the logs, whose
 * last path segment was the build's short (7 hex) or full uuid.
 */
import { FAILED_BUILD_RESULTS } from "../../lib/field-contract";
import type { BuildId } from "../../lib/queries/bug-query";

export interface FailedJob {
  readonly name: string;
  readonly url: string;
  readonly build: BuildId;
  readonly result: string;
  readonly voting: boolean;
  /** The Zuul tenant, when the URL names it (`/t/<tenant>/build/<uuid>`). */
  readonly tenant?: string;
}

/** Results whose build has logs worth classifying. */
const FAILED_RESULTS: ReadonlySet<string> = new Set(FAILED_BUILD_RESULTS);
const JOB_LINE = /^- (\S+) (\S+) : ([A-Z_]+)\b(.*)$/;

function buildIdOf(url: string): BuildId | undefined {
  const page = /\/build\/([0-9a-f]{32})\/?(?:[?#].*)?$/.exec(url);
  if (page) return { uuid: page[1] };
  const logs = /\/([0-9a-f]{7}|[0-9a-f]{32})\/?$/.exec(url);
  if (!logs) return undefined;
  return logs[1].length === 32 ? { uuid: logs[1] } : { shortUuid: logs[1] };
}

/** The failed jobs of a report whose names match `jobsRe`. */
export function failedJobs(comment: string, jobsRe: RegExp): FailedJob[] {
  const jobs: FailedJob[] = [];
  for (const line of comment.split("\n")) {
    const match = JOB_LINE.exec(line.trim());
    if (!match || !FAILED_RESULTS.has(match[3]) || !jobsRe.test(match[1])) continue;
    const build = buildIdOf(match[2]);
    if (build === undefined) continue;
    const tenant = /\/t\/([^/]+)\/build\//.exec(match[2])?.[1];
    jobs.push({ name: match[1], url: match[2], build, result: match[3], voting: !/\(non-voting\)/.test(match[4]), ...(tenant !== undefined ? { tenant } : {}) });
  }
  return jobs;
}

/** The pipeline a report speaks of: "Build failed (check pipeline)." → check. */
export function pipelineOf(comment: string): string | undefined {
  return /\((\S+) pipeline\)/.exec(comment)?.[1];
}
