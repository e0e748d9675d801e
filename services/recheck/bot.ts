/**
 * The bot: turns CI failure reports from Gerrit's event stream into pending reports, waits for
 * each failed build's logs to be indexed, classifies them with the bug queries, and reports.
 */
import { buildKey, type PendingJob, type PendingReport, type StateStore } from "./state";
import { buildTerm, queryForBuild, type BugQuery, type BuildId } from "../../lib/queries/bug-query";
import { failedJobs, pipelineOf } from "./zuul";
import { commentText, ircLine } from "./report";
import { totalHits, type SearchClient } from "./search";
import { errorText, type Logger } from "../shared/log";
import type { QueryLoader } from "./queries";

export interface BotOptions {
  readonly ciUsername: string;
  readonly jobsRe: RegExp;
  /** Tenants whose logs are indexed; a failure of another tenant is not waited on. */
  readonly tenants: ReadonlySet<string>;
  readonly indexPattern: string;
  readonly timeoutMs: number;
  readonly dashboardUrl: string;
  readonly search: SearchClient;
  readonly state: StateStore;
  readonly queries: QueryLoader;
  readonly log: Logger;
  /** Posts a comment; absent when the bot must not comment. */
  readonly comment?: (change: number, patchset: number, message: string) => Promise<void>;
  /** Announces a line to the channels subscribed to this project and kind. */
  readonly announce?: (project: string, kind: "positive" | "negative", text: string) => void;
  readonly now?: () => Date;
}

export interface BotCounters {
  failuresSeen: number;
  /** Failures of tenants whose logs are not indexed: not waited on. */
  notIngested: number;
  classified: number;
  matched: number;
  timedOut: number;
  comments: number;
  commentErrors: number;
  searchErrors: number;
}

export class RecheckBot {
  readonly counters: BotCounters = { failuresSeen: 0, notIngested: 0, classified: 0, matched: 0, timedOut: 0, comments: 0, commentErrors: 0, searchErrors: 0 };
  private busy = false;
  private outbox: Promise<void> = Promise.resolve();

  constructor(private readonly options: BotOptions) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Takes one event of the stream; only the CI account's reports with failed jobs count. */
  onEvent(event: Record<string, unknown>): void {
    if (event.type !== "comment-added") return;
    const { author, comment, change, patchSet } = event as { author?: { username?: string }; comment?: unknown; change?: Record<string, unknown>; patchSet?: Record<string, unknown> };
    if (author?.username !== this.options.ciUsername || typeof comment !== "string" || !change || !patchSet) return;
    const failed = failedJobs(comment, this.options.jobsRe).filter((job) => !this.options.state.knows(job.build));
    const jobs = failed.filter((job) => job.tenant === undefined || this.options.tenants.has(job.tenant));
    if (jobs.length < failed.length) {
      this.counters.notIngested += failed.length - jobs.length;
      this.options.log.log("info", "CI failures of a tenant whose logs are not indexed; not waited on", {
        change: change.number, jobs: failed.filter((job) => !jobs.includes(job)).map((job) => `${job.name} (${job.tenant})`),
      });
    }
    if (jobs.length === 0) return;
    const report: PendingReport = {
      change: Number(change.number),
      patchset: Number(patchSet.number),
      project: String(change.project),
      ...(typeof change.branch === "string" ? { branch: change.branch } : {}),
      ...(typeof change.url === "string" ? { changeUrl: change.url } : {}),
      ...(pipelineOf(comment) ? { pipeline: pipelineOf(comment) } : {}),
      seenAt: this.now().toISOString(),
      jobs: jobs.map((job) => ({ name: job.name, url: job.url, build: job.build, voting: job.voting })),
    };
    this.options.state.add(report);
    this.counters.failuresSeen += jobs.length;
    this.options.log.log("info", "CI failure seen; waiting for its logs", {
      change: report.change, patchset: report.patchset, jobs: jobs.map((job) => `${job.name} ${buildKey(job.build)}`),
    });
  }

  /** One look at every pending report; never runs twice at once. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (const report of [...this.options.state.pending]) await this.advance(report);
    } finally {
      this.busy = false;
    }
  }

  private async advance(report: PendingReport): Promise<void> {
    const { log, state } = this.options;
    const expired = this.now().getTime() - Date.parse(report.seenAt) > this.options.timeoutMs;
    let queries: readonly BugQuery[] | undefined;
    for (const job of report.jobs.filter((each) => each.outcome === undefined)) {
      try {
        const count = await this.countDocuments(job.build);
        // Logs arrive file by file: a build is ready when its count stopped growing, or has
        // documents when the wait is over.
        if (count > 0 && (count === job.lastCount || expired)) {
          queries ??= this.options.queries.load().queries;
          job.outcome = { bugs: await this.classify(job, queries) };
          this.counters.classified += 1;
          if (job.outcome.bugs.length > 0) this.counters.matched += 1;
          log.log("info", "classified a failed build", { change: report.change, patchset: report.patchset, job: job.name, build: buildKey(job.build), bugs: job.outcome.bugs });
        } else if (expired) {
          job.outcome = { timedOut: true };
          this.counters.timedOut += 1;
          log.log("warn", "gave up waiting for a failed build's logs", { change: report.change, job: job.name, build: buildKey(job.build), documents: count, waitedSeconds: this.options.timeoutMs / 1000 });
        } else {
          job.lastCount = count;
        }
      } catch (error) {
        this.counters.searchErrors += 1;
        log.log("error", "search failed; will look again", { change: report.change, job: job.name, error: errorText(error) });
        if (expired) job.outcome = { timedOut: true };
      }
      state.save();
    }
    if (report.jobs.every((job) => job.outcome !== undefined)) await this.finish(report, queries ?? this.options.queries.load().queries);
  }

  private async countDocuments(build: BuildId): Promise<number> {
    const answer = await this.options.search.post<{ hits?: { total?: { value?: number } } }>(`/${this.options.indexPattern}/_search`, {
      size: 0,
      track_total_hits: true,
      query: { term: { [buildTerm(build).field]: buildTerm(build).value } },
    });
    return totalHits(answer);
  }

  /** The bugs whose query matches a line of the build's logs. */
  private async classify(job: PendingJob, queries: readonly BugQuery[]): Promise<string[]> {
    const bugs: string[] = [];
    for (const query of queries) {
      try {
        const answer = await this.options.search.post<{ hits?: { total?: { value?: number } } }>(`/${this.options.indexPattern}/_search`, {
          size: 0,
          track_total_hits: true,
          query: { query_string: { query: queryForBuild(query, job.build) } },
        });
        if (totalHits(answer) > 0) bugs.push(query.bug);
      } catch (error) {
        this.counters.searchErrors += 1;
        this.options.log.log("error", "a bug query failed; the other queries still run", { file: query.file, bug: query.bug, error: errorText(error) });
      }
    }
    return bugs;
  }

  /**
   * Marks the report done (saved first: a crash after this never repeats it), then speaks, in
   * order but without holding up the wait for other builds (a comment takes an SSH connection).
   */
  private async finish(report: PendingReport, queries: readonly BugQuery[]): Promise<void> {
    this.options.state.finish(report, this.now());
    this.outbox = this.outbox.then(() => this.speak(report, queries));
  }

  private async speak(report: PendingReport, queries: readonly BugQuery[]): Promise<void> {
    const { log } = this.options;
    const message = commentText(report, queries, this.options.dashboardUrl);
    if (message !== undefined && this.options.comment) {
      try {
        await this.options.comment(report.change, report.patchset, message);
        this.counters.comments += 1;
        log.log("info", "commented on the change", { change: report.change, patchset: report.patchset });
      } catch (error) {
        this.counters.commentErrors += 1;
        log.log("error", "could not comment on the change", { change: report.change, patchset: report.patchset, error: errorText(error) });
      }
    }
    const line = ircLine(report, queries);
    if (line && this.options.announce) this.options.announce(report.project, line.kind, line.text);
  }
}
