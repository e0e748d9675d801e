/**
 * Indexes one build: its node facts from `zuul-info/inventory.yaml`, then each file of the
 * download list, streamed from the log server into bulk requests as it arrives. Nothing is
 * written to disk and at most one batch per file is held in memory; the log server's stream is
 * read only as fast as the cluster takes the batches.
 *
 * A file is tried FILE_TRIES times when it cannot be read to its end or its documents cannot be
 * stored (a cut connection, a 5xx, a cluster that stays overloaded): each try reads it again from
 * the start, and the documents sent before are refused by the cluster as already there (fixed
 * ids), so a retry adds nothing. After that the build's try fails, and the build is tried again
 * later (service.ts). A file the log server does not have (404; `name.gz` is tried too) is
 * missing, which is normal: not every job writes every file.
 */
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import type { DownloadListEntry } from "../../lib/ingestion/download-list";
import type { SourceShard } from "../../lib/ingestion/partition";
import type { DebugMessages } from "../../lib/ingestion/service-config";
import { BulkRefusedError, type BulkOutcome, type SearchWriter } from "./bulk";
import { buildFields, documentOf, fileFields, type Document, type Fields } from "./documents";
import { HttpError, isTransientStatus, type HttpClient, type StreamedAnswer } from "./http";
import { NO_NODE_FACTS, nodeFacts } from "./inventory";
import { MessageReader, Utf8Lines, type Message } from "./lines";
import type { Build } from "./zuul";

export const FILE_TRIES = 3;
const BATCH_DOCUMENTS = 1000;
const BATCH_BYTES = 4 * 1024 * 1024;
/** Per document, beyond its message: the build's fields, the id and the action line. */
const FIELDS_BYTES = 700;
const MAX_INVENTORY_BYTES = 16 * 1024 * 1024;
const DAY_MS = 86_400_000;

export interface IndexerOptions {
  readonly http: HttpClient;
  readonly writer: SearchWriter;
  readonly downloadList: readonly DownloadListEntry[];
  readonly indexPrefix: string;
  readonly retentionDays: number;
  readonly debugMessages: DebugMessages;
  readonly maxFileBytes: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface FileOutcome {
  readonly name: string;
  readonly missing: boolean;
  readonly created: number;
  readonly existing: number;
  readonly rejected: number;
  /** A few reasons the cluster gave for rejected documents. */
  readonly reasons: readonly string[];
  readonly droppedDebug: number;
  /** Documents of a day whose index the retention has removed, not sent. */
  readonly expired: number;
  readonly cutLines: number;
  /** The file was larger than maxFileBytes and was read only that far. */
  readonly truncated: boolean;
  /** Tries of this file that failed before the one that worked. */
  readonly failedTries: number;
  readonly bulkRetries: number;
}

export class TransientBuildError extends Error {}

/** A file that could not be read or stored this time (transient), with what was already sent. */
class FileTryError extends Error {}

export class BuildIndexer {
  private readonly now: () => number;

  constructor(private readonly options: IndexerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Indexes every file of the build; throws TransientBuildError when a try failed and a later one may work. */
  async index(build: Build, shard: SourceShard, onFile: (outcome: FileOutcome) => void = () => undefined): Promise<FileOutcome[]> {
    if (build.logUrl === undefined) return [];
    const common = buildFields(build, shard, await this.nodeFactsOf(build));
    const outcomes: FileOutcome[] = [];
    for (const entry of this.options.downloadList) {
      let failedTries = 0;
      for (;;) {
        try {
          const outcome = { ...(await this.indexFile(build, entry, common)), failedTries };
          outcomes.push(outcome);
          onFile(outcome);
          break;
        } catch (error) {
          if (error instanceof BulkRefusedError) throw error;
          failedTries += 1;
          if (failedTries >= FILE_TRIES) throw new TransientBuildError(`${build.logUrl}${entry.name}: ${FILE_TRIES} tries failed, the last with: ${(error as Error).message}`);
        }
      }
    }
    return outcomes;
  }

  private async nodeFactsOf(build: Build) {
    const url = `${build.logUrl}zuul-info/inventory.yaml`;
    for (let tries = 1; ; tries++) {
      try {
        const answer = await this.options.http.get(url);
        if (answer.status === 200) return nodeFacts(await readCapped(answer.body, MAX_INVENTORY_BYTES));
        answer.body.resume();
        if (!isTransientStatus(answer.status)) return NO_NODE_FACTS;
        throw new HttpError(`GET ${url}: HTTP ${answer.status}`, true);
      } catch (error) {
        if (tries >= FILE_TRIES) throw new TransientBuildError(`${url}: ${(error as Error).message}`);
      }
    }
  }

  /** `name`, or `name.gz` when the log server has no `name`; undefined when it has neither. */
  private async open(build: Build, entry: DownloadListEntry): Promise<{ answer: StreamedAnswer; gzipFile: boolean } | undefined> {
    for (const gzipFile of [false, true]) {
      const url = `${build.logUrl}${entry.name}${gzipFile ? ".gz" : ""}`;
      const answer = await this.options.http.get(url);
      if (answer.status === 200) return { answer, gzipFile };
      answer.body.resume();
      if (isTransientStatus(answer.status) || answer.status === 408) throw new FileTryError(`GET ${url}: HTTP ${answer.status}`);
    }
    return undefined;
  }

  private async indexFile(build: Build, entry: DownloadListEntry, buildCommon: Fields): Promise<Omit<FileOutcome, "failedTries">> {
    const empty = { name: entry.name, created: 0, existing: 0, rejected: 0, reasons: [] as string[], droppedDebug: 0, expired: 0, cutLines: 0, truncated: false, bulkRetries: 0 };
    const opened = await this.open(build, entry);
    if (opened === undefined) return { ...empty, missing: true };
    const { answer, gzipFile } = opened;
    // A `.gz` file the server sends as it is (not with Content-Encoding: gzip) is gunzipped here.
    const body: Readable = gzipFile && !answer.decoded ? answer.body.pipe(createGunzip()) : answer.body;
    if (body !== answer.body) answer.body.on("error", (error) => body.destroy(error));

    const common = fileFields(build, buildCommon, entry);
    const reader = new MessageReader({
      console: entry.tags.includes("console"),
      debugMessages: this.options.debugMessages,
      startMs: build.startMs ?? build.endMs ?? this.now(),
      endMs: build.endMs ?? this.now(),
    });
    const lines = new Utf8Lines();
    const totals: BulkOutcome = { created: 0, existing: 0, rejected: 0, reasons: [], retries: 0 };
    let expired = 0;
    let batch: Document[] = [];
    let batchBytes = 0;
    // A day whose index the lifecycle policy deletes after retentionDays: its start is that long ago.
    const expiredDays = this.now() - this.options.retentionDays * DAY_MS;
    const send = async () => {
      if (batch.length === 0) return;
      const outcome = await this.options.writer.write(batch);
      totals.created += outcome.created;
      totals.existing += outcome.existing;
      totals.rejected += outcome.rejected;
      totals.retries += outcome.retries;
      for (const reason of outcome.reasons) if (totals.reasons.length < 5) totals.reasons.push(reason);
      batch = [];
      batchBytes = 0;
    };
    const add = async (messages: readonly Message[]) => {
      for (const message of messages) {
        if (Math.floor(message.timeMs / DAY_MS) * DAY_MS <= expiredDays) {
          expired += 1;
          continue;
        }
        batch.push(documentOf(build, entry, common, this.options.indexPrefix, message));
        batchBytes += message.text.length + FIELDS_BYTES;
        if (batch.length >= BATCH_DOCUMENTS || batchBytes >= BATCH_BYTES) await send();
      }
    };

    let bytes = 0;
    let truncated = false;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        let part = chunk;
        if (bytes + chunk.length > this.options.maxFileBytes) {
          // Up to the last line break before the limit; the rest of the file is not read.
          const allowed = chunk.subarray(0, this.options.maxFileBytes - bytes);
          part = allowed.subarray(0, allowed.lastIndexOf(0x0a) + 1);
          truncated = true;
        }
        bytes += part.length;
        for (const line of lines.push(part)) await add(reader.push(line));
        if (truncated) break;
      }
    } catch (error) {
      if (error instanceof BulkRefusedError) throw error;
      throw new FileTryError(`reading ${build.logUrl}${entry.name}: ${(error as Error).message}`);
    } finally {
      if (truncated) answer.body.destroy();
    }
    if (!truncated && !answer.complete()) throw new FileTryError(`reading ${build.logUrl}${entry.name}: the connection ended before the file did`);
    if (!truncated) for (const line of lines.finish()) await add(reader.push(line));
    await add(reader.finish());
    if (truncated) await add([reader.note(`[ingestion: the rest of this file was not read: it is larger than ${this.options.maxFileBytes} bytes]`)]);
    try {
      await send();
    } catch (error) {
      if (error instanceof BulkRefusedError) throw error;
      throw new FileTryError((error as Error).message);
    }
    return {
      ...empty, missing: false, created: totals.created, existing: totals.existing, rejected: totals.rejected, reasons: totals.reasons,
      droppedDebug: reader.droppedDebug, expired, cutLines: reader.cutLines, truncated, bulkRetries: totals.retries,
    };
  }
}

/** The body as UTF-8 text, or its first maxBytes: the rest is not read. */
async function readCapped(body: Readable, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    bytes += chunk.length;
    if (bytes >= maxBytes) break;
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString("utf8");
}
