/**
 * A Zuul tenant and its log server on 127.0.0.1, for the ingestion tests and the bench:
 * - `GET /api/tenant/<tenant>/builds?limit=N&skip=M`: the builds that have started by `now`,
 *   newest first by start, as Zuul's API lists them (its database numbers builds when they
 *   start), those still running without `result` and `end_time`; in Zuul 9's shape (change data
 *   at the top level) or Zuul 10's (`ref`);
 * - `GET /logs/<uuid>/<path>`: the build's log files, gzipped with `Content-Encoding: gzip` when
 *   the client accepts it (as OpenDev's log servers store them), `zuul-info/inventory.yaml` too;
 * - faults on demand: a status for the next requests of a path, or a connection cut halfway
 *   through a file.
 * `now` is the fake's clock (a build is listed once its start has passed, finished once its end
 * has), so a test moves time by setting it.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";

export interface FakeBuild {
  readonly uuid: string;
  readonly job: string;
  readonly startMs: number;
  readonly endMs: number;
  /** @default "SUCCESS" */
  readonly result?: string;
  /** @default true */
  readonly voting?: boolean;
  /** @default "openstack/nova" */
  readonly project?: string;
  /** @default "check" */
  readonly pipeline?: string;
  readonly change?: number;
  /** Path under the build's log folder → content; the build has no logs (no log_url) without it. */
  readonly logs?: ReadonlyMap<string, Buffer | string>;
}

export interface FakeZuulOptions {
  readonly tenant?: string;
  /** @default "zuul9" */
  readonly shape?: "zuul9" | "zuul10";
  /** @default Date.now */
  readonly now?: number;
  /** Serve log files with Content-Encoding: gzip when asked. @default true */
  readonly gzip?: boolean;
}

export class FakeZuul {
  /** Requests by kind: `builds` (the listing) and `logs`. */
  readonly requests = { builds: 0, logs: 0 };
  /** Path → statuses answered to its next requests, in order. */
  readonly faults = new Map<string, number[]>();
  /** Paths whose next answer stops halfway through the body, for so many requests. */
  readonly cuts = new Map<string, number>();
  now: number;
  private builds: FakeBuild[] = [];
  private readonly byUuid = new Map<string, FakeBuild>();
  private readonly ids = new Map<string, number>();
  private readonly gzipped = new Map<string, Buffer>();

  private constructor(private readonly server: http.Server, readonly origin: string, private readonly options: FakeZuulOptions) {
    this.now = options.now ?? Date.now();
  }

  static async start(builds: readonly FakeBuild[] = [], options: FakeZuulOptions = {}): Promise<FakeZuul> {
    const handler: { answer?: http.RequestListener } = {};
    const server = http.createServer((request, response) => handler.answer!(request, response));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const zuul = new FakeZuul(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, options);
    handler.answer = (request, response) => zuul.answer(request, response);
    zuul.add(...builds);
    return zuul;
  }

  get tenant(): string {
    return this.options.tenant ?? "openstack";
  }

  get apiUrl(): string {
    return `${this.origin}/api/tenant/${this.tenant}`;
  }

  logUrl(uuid: string): string {
    return `${this.origin}/logs/${uuid}/`;
  }

  add(...builds: FakeBuild[]): void {
    for (const build of builds) this.byUuid.set(build.uuid, build);
    this.builds.push(...builds);
    // Newest first by start; ties keep the order they were added in (the database's id).
    this.builds = this.builds.map((build, position) => ({ build, position })).sort((a, b) => b.build.startMs - a.build.startMs || b.position - a.position).map(({ build }) => build);
    this.builds.forEach((build, position) => this.ids.set(build.uuid, this.builds.length - position));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = new URL(request.url ?? "/", this.origin);
    const fault = this.faults.get(url.pathname);
    if (fault !== undefined && fault.length > 0) {
      response.writeHead(fault.shift()!).end("fault");
      return;
    }
    if (url.pathname === `/api/tenant/${this.tenant}/builds`) {
      this.requests.builds += 1;
      const limit = Number(url.searchParams.get("limit") ?? 50);
      const skip = Number(url.searchParams.get("skip") ?? 0);
      const listed = this.builds.filter((build) => build.startMs <= this.now).slice(skip, skip + limit).map((build) => this.json(build));
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(listed));
      return;
    }
    const logs = /^\/logs\/([0-9a-f]{32})\/(.+)$/.exec(url.pathname);
    if (logs) {
      this.requests.logs += 1;
      const content = this.byUuid.get(logs[1])?.logs?.get(logs[2]);
      if (content === undefined) {
        response.writeHead(404).end("not found");
        return;
      }
      const useGzip = (this.options.gzip ?? true) && /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
      const key = `${logs[1]}/${logs[2]}`;
      let body = Buffer.isBuffer(content) ? content : Buffer.from(content);
      if (useGzip) {
        body = this.gzipped.get(key) ?? gzipSync(body);
        this.gzipped.set(key, body);
      }
      response.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": body.length, ...(useGzip ? { "content-encoding": "gzip" } : {}) });
      const cuts = this.cuts.get(url.pathname) ?? 0;
      if (cuts > 0) {
        this.cuts.set(url.pathname, cuts - 1);
        response.write(body.subarray(0, Math.floor(body.length / 2)), () => response.destroy());
        return;
      }
      response.end(body);
      return;
    }
    response.writeHead(404).end();
  }

  private json(build: FakeBuild): Record<string, unknown> {
    const finished = build.endMs <= this.now;
    const time = (ms: number) => new Date(ms).toISOString().slice(0, 19);
    const change = build.change ?? 900000;
    const refData = {
      project: build.project ?? "openstack/nova",
      branch: "master",
      change,
      patchset: "3",
      ref: `refs/changes/${String(change).slice(-2)}/${change}/3`,
      newrev: null,
      ref_url: `https://review.opendev.org/${change}`,
    };
    return {
      _id: this.ids.get(build.uuid),
      uuid: build.uuid,
      job_name: build.job,
      result: finished ? (build.result ?? "SUCCESS") : null,
      held: false,
      start_time: time(build.startMs),
      end_time: finished ? time(build.endMs) : null,
      duration: finished ? (build.endMs - build.startMs) / 1000 : null,
      voting: build.voting ?? true,
      log_url: finished && build.logs ? this.logUrl(build.uuid) : null,
      nodeset: "ubuntu-noble",
      error_detail: null,
      final: true,
      artifacts: [],
      provides: [],
      pipeline: build.pipeline ?? "check",
      event_id: "e0",
      buildset: { uuid: `${build.uuid.slice(0, 16)}${"0".repeat(16)}` },
      ...(this.options.shape === "zuul10" ? { ref: refData } : refData),
    };
  }
}
