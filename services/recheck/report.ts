/**
 * What the bot says: its Gerrit comment in elastic-recheck's shape, and its IRC lines.
 */
import type { BugQuery } from "../../lib/queries/bug-query";
import type { PendingJob, PendingReport } from "./state";

export const bugUrl = (bug: string): string => `https://bugs.launchpad.net/bugs/${bug}`;

/** The bugs of a job worth telling people about (suppress-notification left out). */
export function notableBugs(job: PendingJob, queries: readonly BugQuery[]): string[] {
  if (job.outcome === undefined || !("bugs" in job.outcome)) return [];
  const quiet = new Set(queries.filter((query) => query.suppressNotification).map((query) => query.bug));
  return job.outcome.bugs.filter((bug) => !quiet.has(bug));
}

/**
 * The comment on the change, or undefined when no voting job hit a known bug: the bot only
 * speaks when it has something to say (non-voting jobs never make it comment).
 */
export function commentText(report: PendingReport, queries: readonly BugQuery[], dashboardUrl: string): string | undefined {
  const voting = report.jobs.filter((job) => job.voting);
  if (!voting.some((job) => notableBugs(job, queries).length > 0)) return undefined;
  const lines = voting.map((job) => {
    const bugs = notableBugs(job, queries);
    if (bugs.length > 0) return `- ${job.name}: ${bugs.map(bugUrl).join(" ")}`;
    return job.outcome && "timedOut" in job.outcome ? `- ${job.name}: its logs were not indexed in time` : `- ${job.name}: unrecognized error`;
  });
  const understood = voting.every((job) => notableBugs(job, queries).length > 0);
  return [
    "I noticed Zuul failed, I think you hit bug(s):",
    lines.join("\n"),
    `For more details on this and other bugs, please see ${dashboardUrl}`,
    understood
      ? "If you believe we've correctly identified the failure, feel free to leave a 'recheck' comment to run the tests again."
      : "Some of the tests failed in a way that we did not understand. Please help us classify these issues so that they can be part of the recheck service.",
  ].join("\n\n");
}

/** One IRC line per report: positive when a known bug matched, negative when none did. */
export function ircLine(report: PendingReport, queries: readonly BugQuery[]): { readonly kind: "positive" | "negative"; readonly text: string } | undefined {
  const failed = report.jobs.filter((job) => job.outcome && "bugs" in job.outcome);
  if (failed.length === 0) return undefined;
  const bugs = [...new Set(failed.flatMap((job) => notableBugs(job, queries)))];
  const where = `${report.project} change ${report.changeUrl ?? report.change},${report.patchset}`;
  return bugs.length > 0
    ? { kind: "positive", text: `${where} failed ${failed.map((job) => job.name).join(", ")} because of: ${bugs.map(bugUrl).join(" ")}` }
    : { kind: "negative", text: `${where} failed ${failed.map((job) => job.name).join(", ")} with an unrecognized error` };
}
