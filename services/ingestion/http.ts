/**
 * HTTP(S) as the ingestion service needs it: streamed GETs (a log file is read while it arrives,
 * decompressed when the server sends it gzipped, never held whole in memory), JSON GETs for
 * Zuul's API, and POSTs for the cluster's bulk API. Connections are kept alive per origin; a
 * request fails when nothing arrives for `idleTimeoutMs`, not after a fixed total (a large log
 * file may take minutes).
 */
import * as http from "node:http";
import * as https from "node:https";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";

export interface HttpOptions {
  /** PEM text of the CAs to trust. @default Node.js's own list */
  readonly ca?: string;
  /** Longest silence on a connection. @default 60000 */
  readonly idleTimeoutMs?: number;
  /** Parallel connections per origin. @default 8 */
  readonly maxSockets?: number;
}

export interface StreamedAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The body, decompressed when the server sent it with `Content-Encoding: gzip`. */
  readonly body: Readable;
  /** Whether the server's `Content-Encoding: gzip` was undone for `body`. */
  readonly decoded: boolean;
  /** Whether the whole answer arrived (false after the body ended early: a connection cut). */
  readonly complete: () => boolean;
}

/** An HTTP status that a later try may not get again: the server is overloaded or failing. */
export const isTransientStatus = (status: number): boolean => status === 429 || status >= 500;

export class HttpError extends Error {
  constructor(message: string, readonly transient: boolean) {
    super(message);
  }
}

const MAX_REDIRECTS = 3;

export class HttpClient {
  private readonly agents: { readonly "http:": http.Agent; readonly "https:": https.Agent };
  /** Requests sent, for the metrics and the bench. */
  requests = 0;

  constructor(private readonly options: HttpOptions = {}) {
    const common = { keepAlive: true, maxSockets: options.maxSockets ?? 8 };
    this.agents = { "http:": new http.Agent(common), "https:": new https.Agent({ ...common, ...(options.ca ? { ca: options.ca } : {}) }) };
  }

  /** GET with the body as a stream; follows up to three redirects. The caller must read or destroy the body. */
  async get(url: string, headers: Readonly<Record<string, string>> = {}): Promise<StreamedAnswer> {
    let target = new URL(url);
    for (let redirects = 0; ; redirects++) {
      const answer = await this.send("GET", target, { "accept-encoding": "gzip", ...headers });
      const location = answer.headers.location;
      if (answer.status >= 300 && answer.status < 400 && location !== undefined && redirects < MAX_REDIRECTS) {
        answer.body.resume();
        target = new URL(location, target);
        continue;
      }
      return answer;
    }
  }

  /** GET of a JSON document; fails on any status but 200. */
  async getJson(url: string): Promise<unknown> {
    const answer = await this.get(url, { accept: "application/json" });
    const text = await readText(answer.body);
    if (answer.status !== 200) throw new HttpError(`GET ${url}: HTTP ${answer.status}: ${text.slice(0, 300)}`, isTransientStatus(answer.status));
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new HttpError(`GET ${url}: the answer is not JSON (${(error as Error).message})`, true);
    }
  }

  /** POST of a text body; the whole answer as text. */
  async post(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<{ status: number; body: string }> {
    const answer = await this.send("POST", new URL(url), { ...headers, "content-length": String(Buffer.byteLength(body)) }, body);
    return { status: answer.status, body: await readText(answer.body) };
  }

  close(): void {
    this.agents["http:"].destroy();
    this.agents["https:"].destroy();
  }

  private send(method: string, url: URL, headers: Readonly<Record<string, string>>, body?: string): Promise<StreamedAnswer> {
    const transport = url.protocol === "https:" ? https : url.protocol === "http:" ? http : undefined;
    if (transport === undefined) return Promise.reject(new HttpError(`${url.href}: only http and https URLs can be read`, false));
    const agent = this.agents[url.protocol as "http:" | "https:"];
    this.requests += 1;
    return new Promise((resolve, reject) => {
      const request = transport.request(url, { method, headers: { "user-agent": "ci-log-ingestion", ...headers }, agent }, (response) => {
        const gzipped = /^\s*(x-)?gzip\s*$/i.test(response.headers["content-encoding"] ?? "");
        const body: Readable = gzipped ? response.pipe(createGunzip()) : response;
        if (gzipped) response.on("error", (error) => body.destroy(error));
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body, decoded: gzipped, complete: () => response.complete });
      });
      request.setTimeout(this.options.idleTimeoutMs ?? 60_000, () => request.destroy(new HttpError(`${method} ${url.href}: no answer for ${(this.options.idleTimeoutMs ?? 60_000) / 1000} s`, true)));
      request.on("error", (error) => reject(error instanceof HttpError ? error : new HttpError(`${method} ${url.href}: ${error.message}`, true)));
      request.end(body);
    });
  }
}

/** The whole of a body as UTF-8 text (for small answers: JSON, errors). */
export async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
