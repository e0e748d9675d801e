/**
 * The search cluster's REST API as the bot needs it: JSON with its Content-Type, basic auth,
 * the cluster's own CA, and failover: a request goes to the node that answered last and moves on
 * to the next when a node cannot be reached or answers 5xx.
 */
import * as http from "node:http";
import * as https from "node:https";

export interface SearchOptions {
  readonly urls: readonly string[];
  readonly username?: string;
  readonly password?: string;
  /** PEM text of the CA to trust. @default the system's */
  readonly ca?: string;
  /** @default 30000 */
  readonly timeoutMs?: number;
}

export class SearchError extends Error {}

interface Answer {
  readonly status: number;
  readonly body: string;
}

export class SearchClient {
  private current = 0;

  constructor(private readonly options: SearchOptions) {
    if (options.urls.length === 0) throw new Error("search: expected at least one node URL");
  }

  /** POSTs `body` as JSON to `path` on the first node that answers; the parsed answer. */
  post<T>(path: string, body: unknown): Promise<T> {
    return this.postText<T>(path, JSON.stringify(body), "application/json");
  }

  /** POSTs one JSON line per item (`_msearch`, `_bulk`); the parsed answer. */
  postNdjson<T>(path: string, lines: readonly unknown[]): Promise<T> {
    return this.postText<T>(path, lines.map((line) => `${JSON.stringify(line)}\n`).join(""), "application/x-ndjson");
  }

  private async postText<T>(path: string, body: string, contentType: string): Promise<T> {
    const failures: string[] = [];
    for (let tried = 0; tried < this.options.urls.length; tried += 1) {
      const index = (this.current + tried) % this.options.urls.length;
      const url = new URL(path, this.options.urls[index]);
      let answer: Answer;
      try {
        answer = await this.send(url, body, contentType);
      } catch (error) {
        failures.push(`${url.origin}: ${(error as Error).message}`);
        continue;
      }
      if (answer.status >= 500 || answer.status === 429) {
        failures.push(`${url.origin}: HTTP ${answer.status}`);
        continue;
      }
      this.current = index;
      if (answer.status >= 300) throw new SearchError(`${url.origin}${url.pathname}: HTTP ${answer.status}: ${answer.body.slice(0, 500)}`);
      return JSON.parse(answer.body) as T;
    }
    throw new SearchError(`no search node answered: ${failures.join("; ")}`);
  }

  private send(url: URL, body: string, contentType: string): Promise<Answer> {
    const headers: Record<string, string> = { "Content-Type": contentType, Accept: "application/json", "Content-Length": String(Buffer.byteLength(body)) };
    if (this.options.username !== undefined) {
      headers.Authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password ?? ""}`).toString("base64")}`;
    }
    const transport = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(url, { method: "POST", headers, ...(this.options.ca ? { ca: this.options.ca } : {}), timeout: this.options.timeoutMs ?? 30_000 }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        response.on("error", reject);
      });
      request.on("timeout", () => request.destroy(new Error("timed out")));
      request.on("error", reject);
      request.end(body);
    });
  }
}

/** hits.total of a search answer: an object since Elasticsearch 7 and in OpenSearch. */
export function totalHits(answer: { hits?: { total?: { value?: number } | number } }): number {
  const total = answer.hits?.total;
  if (typeof total === "object" && typeof total.value === "number") return total.value;
  throw new SearchError(`expected hits.total as an object with a value (track_total_hits); got ${JSON.stringify(total)}`);
}
