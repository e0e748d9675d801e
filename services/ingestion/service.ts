/**
 * The service's work: every `pollSeconds`, one listing per source (lister.ts) takes the builds
 * that finished; up to `parallelBuilds` builds are indexed at a time (indexer.ts), the newest
 * first, so that the builds the recheck bot waits for are not queued behind a backfill. A build
 * whose try fails is tried again after 2, 4, 8, 16 and 32 minutes; after the last try it is
 * given up, counted (ingestion_builds_failed_total) and logged with the reason. Checkpoints are
 * saved after every listing and within CHECKPOINT_SAVE_MS of every finished build.
 */
import * as path from "node:path";
import type { SourceShard } from "../../lib/ingestion/partition";
import type { IngestionServiceConfig } from "../../lib/ingestion/service-config";
import { errorText, type Logger } from "../shared/log";
import { Checkpoint, type PendingBuild } from "./checkpoint";
import type { HttpClient } from "./http";
import { BuildIndexer, type FileOutcome } from "./indexer";
import { listNewBuilds } from "./lister";
import { Metrics } from "./metrics";
import type { SearchWriter } from "./bulk";

export const BUILD_TRIES = 6;
const FIRST_RETRY_MS = 2 * 60_000;
const CHECKPOINT_SAVE_MS = 5_000;
const RETRY_CHECK_MS = 15_000;

interface SourceState {
  readonly shard: SourceShard;
  readonly checkpoint: Checkpoint;
  listing: boolean;
  lastPassAt?: number;
}

export interface ServiceOptions {
  readonly config: IngestionServiceConfig;
  readonly stateDir: string;
  readonly log: Logger;
  /** For Zuul's API and the log servers. */
  readonly http: HttpClient;
  readonly writer: SearchWriter;
  /** @default Date.now */
  readonly now?: () => number;
}

export class IngestionService {
  readonly metrics: Metrics;
  private readonly sources: SourceState[];
  private readonly indexer: BuildIndexer;
  private readonly inFlight = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private saveTimer?: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly startedAt: number;
  private stopped = false;

  constructor(private readonly options: ServiceOptions) {
    const { config } = options;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.metrics = new Metrics(config.sources.map((source) => source.name));
    this.sources = config.sources.map((shard) => ({ shard, checkpoint: new Checkpoint(path.join(options.stateDir, `checkpoint-${shard.name}.json`), options.log), listing: false }));
    this.indexer = new BuildIndexer({
      http: options.http,
      writer: options.writer,
      downloadList: config.downloadList,
      indexPrefix: config.search.indexPrefix,
      retentionDays: config.search.retentionDays,
      debugMessages: config.lines.debugMessages,
      maxFileBytes: config.lines.maxFileBytes,
      now: this.now,
    });
    for (const source of this.sources) this.metrics.set(source.shard.name, "ingestion_builds_pending", source.checkpoint.pending.length);
  }

  start(): void {
    for (const source of this.sources) {
      void this.pass(source);
      this.timers.push(setInterval(() => void this.pass(source), this.options.config.zuul.pollSeconds * 1000));
    }
    this.timers.push(setInterval(() => this.schedule(), RETRY_CHECK_MS));
    this.schedule();
  }

  /** Stops taking work and saves the checkpoints; builds being indexed are taken up again at the next start. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.saveTimer);
    for (const source of this.sources) source.checkpoint.save();
  }

  /** Whether every source has listed its tenant lately, and the facts behind it. */
  health(): { ok: boolean; details: Record<string, unknown> } {
    const stale = 3 * this.options.config.zuul.pollSeconds * 1000;
    const now = this.now();
    const sources = Object.fromEntries(
      this.sources.map((source) => [source.shard.name, {
        lastPassAt: source.lastPassAt === undefined ? null : new Date(source.lastPassAt).toISOString(),
        pendingBuilds: source.checkpoint.pending.length,
        ok: (source.lastPassAt ?? this.startedAt) > now - stale,
      }]),
    );
    return { ok: Object.values(sources).every((source) => source.ok), details: { sources, buildsInFlight: this.inFlight.size } };
  }

  /** One listing of every source's tenant (the timers run them every pollSeconds). */
  async listAll(): Promise<void> {
    await Promise.all(this.sources.map((source) => this.pass(source)));
  }

  /** One listing of the source's tenant; a second one does not start while the first runs. */
  private async pass(source: SourceState): Promise<void> {
    if (source.listing || this.stopped) return;
    source.listing = true;
    const name = source.shard.name;
    const started = this.now();
    const requestsBefore = this.options.http.requests;
    try {
      const result = await listNewBuilds(this.options.http, source.shard, source.checkpoint, {
        pageSize: this.options.config.zuul.pageSize,
        backfillMs: this.options.config.zuul.backfillHours * 3600_000,
        now: started,
      });
      source.lastPassAt = this.now();
      this.metrics.add(name, "ingestion_builds_seen_total", result.taken.length);
      this.metrics.add(name, "ingestion_passes_total");
      this.metrics.set(name, "ingestion_last_pass_seconds", (source.lastPassAt - started) / 1000);
      this.metrics.set(name, "ingestion_last_pass_pages", result.pages);
      this.metrics.set(name, "ingestion_last_successful_pass_timestamp_seconds", Math.floor(source.lastPassAt / 1000));
      if (result.taken.length > 0 || result.pages > 1) {
        this.options.log.log("info", "listed the tenant's builds", { source: name, taken: result.taken.length, newlySeen: result.newlySeen, pages: result.pages, stoppedBy: result.stoppedBy });
      }
    } catch (error) {
      this.metrics.add(name, "ingestion_pass_errors_total");
      this.options.log.log("error", "could not list the tenant's builds; the next pass tries again", { source: name, error: errorText(error) });
    } finally {
      this.metrics.add(name, "ingestion_zuul_requests_total", this.options.http.requests - requestsBefore);
      source.listing = false;
      source.checkpoint.save();
      this.metrics.set(name, "ingestion_builds_pending", source.checkpoint.pending.length);
    }
    this.schedule();
  }

  /** Whether nothing is being indexed or waits to be (tests, the bench). */
  idle(): boolean {
    return this.inFlight.size === 0 && this.sources.every((source) => !source.listing && source.checkpoint.pending.length === 0);
  }

  /** Starts the next builds, newest first, while fewer than parallelBuilds run. */
  private schedule(): void {
    while (!this.stopped && this.inFlight.size < this.options.config.parallelBuilds) {
      const now = this.now();
      let next: { source: SourceState; pending: PendingBuild } | undefined;
      for (const source of this.sources) {
        for (const pending of source.checkpoint.pending) {
          if (pending.notBefore > now || this.inFlight.has(pending.build.uuid)) continue;
          if (next === undefined || (pending.build.endMs ?? 0) > (next.pending.build.endMs ?? 0)) next = { source, pending };
        }
      }
      if (next === undefined) return;
      const { source, pending } = next;
      this.inFlight.add(pending.build.uuid);
      void this.indexBuild(source, pending).finally(() => {
        this.inFlight.delete(pending.build.uuid);
        this.saveSoon();
        this.schedule();
      });
    }
  }

  private async indexBuild(source: SourceState, pending: PendingBuild): Promise<void> {
    const name = source.shard.name;
    const { build } = pending;
    const counted = (outcome: FileOutcome) => {
      if (outcome.failedTries > 0) this.metrics.add(name, "ingestion_file_retries_total", outcome.failedTries);
      if (outcome.missing) return this.metrics.add(name, "ingestion_files_missing_total");
      this.metrics.add(name, "ingestion_files_indexed_total");
      if (outcome.truncated) this.metrics.add(name, "ingestion_files_truncated_total");
      this.metrics.add(name, "ingestion_documents_sent_total", outcome.created + outcome.existing);
      this.metrics.add(name, "ingestion_documents_existing_total", outcome.existing);
      this.metrics.add(name, "ingestion_documents_failed_total", outcome.rejected);
      this.metrics.add(name, "ingestion_documents_expired_total", outcome.expired);
      this.metrics.add(name, "ingestion_debug_messages_dropped_total", outcome.droppedDebug);
      this.metrics.add(name, "ingestion_bulk_retries_total", outcome.bulkRetries);
      if (outcome.rejected > 0) {
        this.options.log.log("error", "the cluster refused documents of a file", { source: name, build: build.uuid, file: outcome.name, refused: outcome.rejected, reasons: outcome.reasons });
      }
    };
    try {
      const files = await this.indexer.index(build, source.shard, counted);
      source.checkpoint.done(build.uuid);
      this.metrics.add(name, "ingestion_builds_indexed_total");
      const ended = Math.floor((build.endMs ?? 0) / 1000);
      if (ended > this.metrics.get(name, "ingestion_newest_indexed_build_timestamp_seconds")) this.metrics.set(name, "ingestion_newest_indexed_build_timestamp_seconds", ended);
      this.options.log.log("info", "indexed a build", {
        source: name, build: build.uuid, job: build.job, result: build.result,
        files: files.filter((file) => !file.missing).length, documents: files.reduce((sum, file) => sum + file.created + file.existing, 0),
      });
    } catch (error) {
      const entry = source.checkpoint.failed(build.uuid, this.now() + FIRST_RETRY_MS * 2 ** pending.attempts);
      if (entry !== undefined && entry.attempts >= BUILD_TRIES) {
        source.checkpoint.done(build.uuid);
        this.metrics.add(name, "ingestion_builds_failed_total");
        this.options.log.log("error", "gave up a build: every try failed", { source: name, build: build.uuid, job: build.job, logUrl: build.logUrl, tries: entry.attempts, error: errorText(error) });
      } else {
        this.options.log.log("warn", "a try of a build failed; it is tried again later", { source: name, build: build.uuid, tries: entry?.attempts, retryAt: entry ? new Date(entry.notBefore).toISOString() : null, error: errorText(error) });
      }
    }
    this.metrics.set(name, "ingestion_builds_pending", source.checkpoint.pending.length);
  }

  private saveSoon(): void {
    if (this.saveTimer !== undefined || this.stopped) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      for (const source of this.sources) source.checkpoint.save();
    }, CHECKPOINT_SAVE_MS);
  }
}
