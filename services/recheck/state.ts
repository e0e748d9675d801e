/**
 * What the bot must not forget across a restart: the failures it is waiting on, the builds
 * it has finished with (so that no build is ever reported twice), and the suggested signatures
 * it said on IRC (so that none is said twice). One JSON file in the state
 * directory, replaced atomically after every change.
 */
import type { BuildId } from "../../lib/queries/bug-query";
import { readStateFile, writeAtomically } from "../shared/files";
import type { Logger } from "../shared/log";

export type JobOutcome = { readonly bugs: readonly string[] } | { readonly timedOut: true };

export interface PendingJob {
  readonly name: string;
  readonly url: string;
  readonly build: BuildId;
  readonly voting: boolean;
  /** How many documents of the build were indexed at the last look. */
  lastCount?: number;
  outcome?: JobOutcome;
}

/** One CI report on a patchset, with the failed jobs it listed. */
export interface PendingReport {
  readonly change: number;
  readonly patchset: number;
  readonly project: string;
  readonly branch?: string;
  readonly changeUrl?: string;
  readonly pipeline?: string;
  /** ISO time the report was seen: the wait for logs is counted from it. */
  readonly seenAt: string;
  readonly jobs: PendingJob[];
}

interface StateFile {
  pending: PendingReport[];
  /** Build key → when it was done; kept for `keepDays`. */
  done: Record<string, string>;
  /** Fingerprint of a suggestion said on IRC → when it was last suggested (a file of an older bot has none). */
  announcedSuggestions?: Record<string, string>;
}

export const buildKey = (build: BuildId): string => ("uuid" in build ? build.uuid : build.shortUuid);

export class StateStore {
  private state: StateFile = { pending: [], done: {} };

  constructor(private readonly file: string, log: Logger, private readonly keepDays = 30) {
    const saved = readStateFile(file, log, (data) => {
      const state = data as StateFile;
      if (!Array.isArray(state.pending) || typeof state.done !== "object" || state.done === null) throw new Error("expected pending and done");
      return state;
    }, "no failure is waited on any more");
    if (saved !== undefined) this.state = saved;
  }

  get pending(): readonly PendingReport[] {
    return this.state.pending;
  }

  /** Whether the build is being waited on or was finished with. */
  knows(build: BuildId): boolean {
    const key = buildKey(build);
    return key in this.state.done || this.state.pending.some((report) => report.jobs.some((job) => buildKey(job.build) === key));
  }

  add(report: PendingReport): void {
    this.state.pending.push(report);
    this.save();
  }

  /** Marks the report's builds done and forgets the report; saved before anything is posted. */
  finish(report: PendingReport, now: Date): void {
    for (const job of report.jobs) this.state.done[buildKey(job.build)] = now.toISOString();
    this.state.pending = this.state.pending.filter((other) => other !== report);
    const oldest = now.getTime() - this.keepDays * 86_400_000;
    for (const [key, at] of Object.entries(this.state.done)) if (Date.parse(at) < oldest) delete this.state.done[key];
    this.save();
  }

  /** The suggestions said on IRC: fingerprint → ISO time it was last suggested. */
  get announcedSuggestions(): Readonly<Record<string, string>> {
    return this.state.announcedSuggestions ?? {};
  }

  setAnnouncedSuggestions(announced: Record<string, string>): void {
    this.state.announcedSuggestions = announced;
    this.save();
  }

  save(): void {
    writeAtomically(this.file, JSON.stringify(this.state));
  }
}
