/**
 * An HTTP(S) client for the commands that talk to deployed services and clouds (smoke,
 * preflight): one deadline per request (connection, TLS, answer and body), an origin that did
 * not answer is not waited for again, and network and certificate errors become one readable line.
 */
import * as http from "node:http";
import * as https from "node:https";

export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly body?: string;
  /** @default "application/json" when there is a body */
  readonly contentType?: string;
  /** @default none besides user-agent and accept */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpClientOptions {
  /** Per request, from connecting to the end of the body. */
  readonly timeoutMs: number;
  /** Shown in the user-agent header, e.g. `smoke`. */
  readonly userAgent: string;
  /** Accept any certificate. @default false */
  readonly insecure?: boolean;
  /** PEM certificates to trust instead of the system's. @default the system's CAs */
  readonly ca?: string | Buffer;
  /** What to do about a refused certificate, appended to that error. */
  readonly certificateHint: string;
  /** At most this much of an answer is read. @default 8 MiB */
  readonly maxBodyBytes?: number;
}

const CERTIFICATE_ERRORS = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

export class HttpClient {
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent = new http.Agent({ keepAlive: false });
  /** Origins that did not answer at all: later requests to them fail at once instead of waiting again. */
  private readonly unreachable = new Map<string, string>();

  constructor(private readonly options: HttpClientOptions) {
    this.httpsAgent = new https.Agent({ keepAlive: false, rejectUnauthorized: !options.insecure, ...(options.ca ? { ca: options.ca } : {}) });
  }

  request(spec: HttpRequest): Promise<HttpAnswer> {
    const url = new URL(spec.url);
    const earlier = this.unreachable.get(url.origin);
    if (earlier) return Promise.reject(new Error(`not tried: ${url.origin} did not answer an earlier check (${earlier})`));
    const { timeoutMs } = this.options;
    const maxBodyBytes = this.options.maxBodyBytes ?? 8 * 1024 * 1024;
    const transport = url.protocol === "https:" ? https : http;
    return new Promise<HttpAnswer>((resolve, reject) => {
      let answered = false;
      let settled = false;
      const settle = (outcome: { answer: HttpAnswer } | { error: NodeJS.ErrnoException }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if ("answer" in outcome) return resolve(outcome.answer);
        const message = this.describeNetworkError(outcome.error, url);
        if (!answered) this.unreachable.set(url.origin, message);
        reject(new Error(message));
      };
      const request = transport.request(
        url,
        {
          method: spec.method,
          agent: url.protocol === "https:" ? this.httpsAgent : this.httpAgent,
          headers: {
            "user-agent": `ci-log-analysis-${this.options.userAgent}`,
            accept: "application/json, text/html;q=0.9, */*;q=0.8",
            ...(spec.body !== undefined
              ? { "content-type": spec.contentType ?? "application/json", "content-length": Buffer.byteLength(spec.body) }
              : {}),
            ...spec.headers,
          },
        },
        (response) => {
          answered = true;
          const chunks: Buffer[] = [];
          let size = 0;
          response.on("data", (chunk: Buffer) => {
            if (size < maxBodyBytes) chunks.push(chunk);
            size += chunk.length;
          });
          response.on("end", () =>
            settle({ answer: { status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") } }),
          );
          response.on("error", (error) => settle({ error }));
        },
      );
      const timer = setTimeout(() => {
        settle({ error: new Error(`no ${answered ? "complete " : ""}answer within ${timeoutMs / 1000} s`) });
        request.destroy();
      }, timeoutMs);
      request.on("error", (error: NodeJS.ErrnoException) => settle({ error }));
      request.end(spec.body);
    });
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }

  private describeNetworkError(error: NodeJS.ErrnoException, url: URL): string {
    const code = error.code ? ` (${error.code})` : "";
    if (error.code && CERTIFICATE_ERRORS.has(error.code)) return `certificate of ${url.host} refused: ${error.message}${code}; ${this.options.certificateHint}`;
    return `${url.host}: ${error.message}${code}`;
  }
}
