/**
 * Writes documents with the cluster's bulk API, as `create` actions with the documents' fixed
 * ids: a document the cluster already holds answers 409, which counts as indexed (the writer role
 * needs no right to overwrite). What the cluster cannot take now is tried again:
 * - a whole request that fails (no answer, 429, 5xx) goes to the next data node, after a pause
 *   that doubles from BACKOFF_MS up to MAX_BACKOFF_MS;
 * - items answered 429 or 5xx (a full queue, a shard moving) are sent again, the same way.
 * After MAX_TRIES the batch fails with a TransientBulkError: the caller gives the file (and the
 * build) another try later. Items the cluster refuses for good (4xx: a mapping error, a document
 * too large) are counted and reported with their reason; trying them again cannot help.
 */
import { isTransientStatus, type HttpClient } from "./http";
import type { Document } from "./documents";

export const BACKOFF_MS = 500;
export const MAX_BACKOFF_MS = 30_000;
export const MAX_TRIES = 8;

export interface BulkOutcome {
  /** Documents the cluster stored now. */
  created: number;
  /** Documents it had already (their id was taken). */
  existing: number;
  /** Documents it refused for good, with a few of the reasons. */
  rejected: number;
  readonly reasons: string[];
  /** Requests sent again after a failure or because of items to try again. */
  retries: number;
}

export class TransientBulkError extends Error {}
/** The cluster refused the request itself (401 or 403: the password or the role is wrong; another 4xx: a bug). */
export class BulkRefusedError extends Error {}

export interface SearchWriterOptions {
  readonly urls: readonly string[];
  readonly username?: string;
  readonly password?: string;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

interface BulkItem {
  readonly create?: { readonly status: number; readonly error?: { readonly type?: string; readonly reason?: string } };
}

export class SearchWriter {
  private current = 0;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly client: HttpClient, private readonly options: SearchWriterOptions) {
    if (options.urls.length === 0) throw new Error("search: expected at least one node URL");
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Sends the documents until each is stored, already there or refused for good. */
  async write(documents: readonly Document[]): Promise<BulkOutcome> {
    const outcome: BulkOutcome = { created: 0, existing: 0, rejected: 0, reasons: [], retries: 0 };
    let todo = documents;
    let lastProblem = "";
    for (let tries = 0; todo.length > 0; tries++) {
      if (tries >= MAX_TRIES) {
        throw new TransientBulkError(`${todo.length} of ${documents.length} documents not stored after ${MAX_TRIES} tries: ${lastProblem}`);
      }
      if (tries > 0) {
        outcome.retries += 1;
        const pause = Math.min(MAX_BACKOFF_MS, BACKOFF_MS * 2 ** (tries - 1));
        await this.sleep(pause / 2 + Math.random() * (pause / 2));
      }
      const url = `${this.options.urls[this.current].replace(/\/$/, "")}/_bulk`;
      let answer: { status: number; body: string };
      try {
        answer = await this.client.post(url, ndjson(todo), this.headers());
      } catch (error) {
        lastProblem = (error as Error).message;
        this.current = (this.current + 1) % this.options.urls.length;
        continue;
      }
      if (isTransientStatus(answer.status)) {
        lastProblem = `${url}: HTTP ${answer.status}: ${answer.body.slice(0, 300)}`;
        this.current = (this.current + 1) % this.options.urls.length;
        continue;
      }
      if (answer.status !== 200) throw new BulkRefusedError(`${url}: HTTP ${answer.status}: ${answer.body.slice(0, 300)}`);
      const items = (JSON.parse(answer.body) as { items?: BulkItem[] }).items ?? [];
      if (items.length !== todo.length) throw new TransientBulkError(`${url}: ${items.length} results for ${todo.length} documents`);
      const again: Document[] = [];
      items.forEach((item, position) => {
        const status = item.create?.status ?? 0;
        if (status === 201 || status === 200) outcome.created += 1;
        else if (status === 409) outcome.existing += 1;
        else if (isTransientStatus(status)) {
          again.push(todo[position]);
          lastProblem = `HTTP ${status} ${item.create?.error?.type ?? ""}: ${item.create?.error?.reason ?? ""}`;
        } else {
          outcome.rejected += 1;
          if (outcome.reasons.length < 5) outcome.reasons.push(`${todo[position].id}: HTTP ${status} ${item.create?.error?.type ?? ""}: ${item.create?.error?.reason ?? ""}`);
        }
      });
      todo = again;
    }
    return outcome;
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { "content-type": "application/x-ndjson", accept: "application/json" };
    if (this.options.username !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password ?? ""}`).toString("base64")}`;
    }
    return headers;
  }
}

function ndjson(documents: readonly Document[]): string {
  let body = "";
  for (const document of documents) body += `${JSON.stringify({ create: { _index: document.index, _id: document.id, ...(document.pipeline !== undefined ? { pipeline: document.pipeline } : {}) } })}\n${JSON.stringify(document.source)}\n`;
  return body;
}
