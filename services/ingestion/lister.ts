/**
 * One pass over a tenant's builds listing: which builds finished since the last pass, in one
 * listing per tenant, however many jobs it has.
 *
 * The listing is newest first by start (Zuul numbers a build when it starts), but builds finish
 * in another order: a 3-hour build that finishes now sits below the hundreds of short builds that
 * started after it. So "stop at the first known build" alone would miss it. Instead the pass
 * pages back until the first build it already knows that started before the horizon: the start
 * of the oldest build that was still running at the last pass (or, when none was, the newest
 * start it saw). Every build that started before the horizon had finished by the last pass, and
 * that pass saw it. With no long build running the pass reads one page; with one running it reads
 * back to that build's start, a few pages. On a first start (no checkpoint) the pass reaches back
 * `backfillHours` plus LONGEST_BUILD_MS, and never takes a build that ended more than
 * `backfillHours` ago, which also bounds the catch-up after the service was stopped for long.
 *
 * Builds are taken (for indexing) when they finished, have logs, ended within the backfill window
 * and fall in this worker's shard; every finished build listed is remembered as seen, taken or not.
 */
import { shardOf, type SourceShard } from "../../lib/ingestion/partition";
import type { Checkpoint } from "./checkpoint";
import type { HttpClient } from "./http";
import { listBuilds, type Build } from "./zuul";

/** The longest a build is assumed to run, for a first start only (later passes know the running builds). */
export const LONGEST_BUILD_MS = 5 * 3600_000;
/** Builds are numbered when they start, but their start times are the executors' clocks: allow for that much disorder. */
export const START_ORDER_SLACK_MS = 15 * 60_000;

export interface ListingOptions {
  readonly pageSize: number;
  readonly backfillMs: number;
  readonly now: number;
}

export interface ListingResult {
  /** Builds taken, in listing order (newest first). */
  readonly taken: Build[];
  /** Finished builds listed for the first time (any shard). */
  readonly newlySeen: number;
  readonly pages: number;
  readonly stoppedBy: "known build before the horizon" | "backfill limit" | "end of the listing";
}

export async function listNewBuilds(client: HttpClient, shard: SourceShard, checkpoint: Checkpoint, options: ListingOptions): Promise<ListingResult> {
  const cutoff = options.now - options.backfillMs;
  const hardStop = cutoff - LONGEST_BUILD_MS - START_ORDER_SLACK_MS;
  const horizon = checkpoint.horizonMs === undefined ? hardStop : Math.max(checkpoint.horizonMs - START_ORDER_SLACK_MS, hardStop);
  const listedNow = new Set<string>();
  const taken: Build[] = [];
  let oldestRunning = Infinity;
  let newestStart = -Infinity;
  let newlySeen = 0;
  let pages = 0;
  let stoppedBy: ListingResult["stoppedBy"] | undefined;
  for (let skip = 0; stoppedBy === undefined; ) {
    const page = await listBuilds(client, shard.zuulApiUrl, skip, options.pageSize);
    pages += 1;
    skip += page.entries;
    for (const build of page.builds) {
      // New builds push the list down between two pages: the next page repeats some.
      if (listedNow.has(build.uuid)) continue;
      listedNow.add(build.uuid);
      const start = build.startMs ?? build.endMs;
      if (start === undefined) continue;
      newestStart = Math.max(newestStart, start);
      if (build.result === undefined) {
        oldestRunning = Math.min(oldestRunning, start);
        continue;
      }
      const known = checkpoint.hasSeen(build.uuid);
      if (known && start < horizon) {
        stoppedBy = "known build before the horizon";
        break;
      }
      if (start < hardStop) {
        stoppedBy = "backfill limit";
        break;
      }
      if (known) continue;
      newlySeen += 1;
      const wanted = build.logUrl !== undefined && (build.endMs ?? start) >= cutoff && shardOf(build.uuid, shard.shards) === shard.shard;
      if (wanted) {
        checkpoint.take(build);
        taken.push(build);
      } else {
        checkpoint.see(build);
      }
    }
    if (stoppedBy === undefined && page.entries < options.pageSize) stoppedBy = "end of the listing";
  }
  const nextHorizon = Math.min(oldestRunning, newestStart);
  checkpoint.listed(Number.isFinite(nextHorizon) ? nextHorizon : undefined, hardStop);
  return { taken, newlySeen, pages, stoppedBy: stoppedBy! };
}
