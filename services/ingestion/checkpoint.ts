/**
 * What a source must not forget across a restart, in one JSON file in the state directory,
 * replaced atomically: the builds its listings have seen (so that none is taken twice), how far
 * back the next listing must look, and the builds taken but not yet indexed (so that none is
 * lost). A build is marked seen when it is taken, before it is indexed: its place in `pending`
 * keeps it until it is done, and a crash in between indexes it again, which adds nothing (every
 * document has a fixed id).
 */
import { readStateFile, writeAtomically } from "../shared/files";
import type { Logger } from "../shared/log";
import type { Build } from "./zuul";

export interface PendingBuild {
  readonly build: Build;
  /** Tries so far that failed. */
  attempts: number;
  /** Not tried again before this time (ms). */
  notBefore: number;
}

interface CheckpointFile {
  readonly version: 1;
  /** uuid → start time (s) of every finished build a listing has seen, back to the oldest time a listing can reach. */
  seen: Record<string, number>;
  /**
   * Start time (ms) of the oldest build still running at the last listing, or of its newest build
   * when none ran: the next listing has seen everything that finished before it.
   */
  horizonMs?: number;
  pending: PendingBuild[];
}

export class Checkpoint {
  private state: CheckpointFile = { version: 1, seen: {}, pending: [] };
  private dirty = false;

  constructor(private readonly file: string, log: Logger) {
    const saved = readStateFile(file, log, (data) => {
      const state = data as CheckpointFile;
      if (state.version !== 1 || typeof state.seen !== "object" || state.seen === null || !Array.isArray(state.pending)) throw new Error("expected version 1 with seen and pending");
      return state;
    }, "the first listing reaches back backfillHours");
    if (saved !== undefined) this.state = saved;
  }

  get horizonMs(): number | undefined {
    return this.state.horizonMs;
  }

  get pending(): readonly PendingBuild[] {
    return this.state.pending;
  }

  get seenCount(): number {
    return Object.keys(this.state.seen).length;
  }

  hasSeen(uuid: string): boolean {
    return Object.hasOwn(this.state.seen, uuid);
  }

  see(build: Build): void {
    this.state.seen[build.uuid] = Math.floor((build.startMs ?? build.endMs ?? 0) / 1000);
    this.dirty = true;
  }

  /** After a complete listing: where the next one may stop, and the seen builds older than any listing reaches are forgotten. */
  listed(horizonMs: number | undefined, forgetBeforeMs: number): void {
    if (horizonMs !== undefined) this.state.horizonMs = horizonMs;
    for (const [uuid, startSeconds] of Object.entries(this.state.seen)) if (startSeconds * 1000 < forgetBeforeMs) delete this.state.seen[uuid];
    this.dirty = true;
  }

  take(build: Build): void {
    this.see(build);
    this.state.pending.push({ build, attempts: 0, notBefore: 0 });
  }

  /** The build is indexed, or given up: it leaves `pending`. */
  done(uuid: string): void {
    this.state.pending = this.state.pending.filter((entry) => entry.build.uuid !== uuid);
    this.dirty = true;
  }

  /** A try failed: the build stays, tried again after `retryInMs`. */
  failed(uuid: string, retryAtMs: number): PendingBuild | undefined {
    const entry = this.state.pending.find((candidate) => candidate.build.uuid === uuid);
    if (entry) {
      entry.attempts += 1;
      entry.notBefore = retryAtMs;
      this.dirty = true;
    }
    return entry;
  }

  /** Writes the file when something changed since the last save. */
  save(): void {
    if (!this.dirty) return;
    writeAtomically(this.file, JSON.stringify(this.state));
    this.dirty = false;
  }
}
