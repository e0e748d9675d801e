/**
 * How the followed Zuul tenants are split between the ingestion workers, so that every build is
 * indexed by exactly one worker.
 *
 * Each source is one tenant, listed once by every worker that serves it. A tenant too big for one
 * worker is given `shards`: its builds are split into that many shards by a hash of the build
 * uuid (shardOf), and each shard runs on its own worker. A build's uuid never changes, so it
 * always falls in the same shard, whatever the jobs are called, however many jobs the tenant has
 * and whenever it is listed; splitting by job name instead would need a listing per job and
 * would move builds between workers whenever jobs are added or renamed.
 *
 * Shards are dealt round-robin in the order the sources are declared (the k-th shard of all, over
 * every source, goes to worker k mod N), so the shards of one source land on different workers
 * as long as it has at most N of them, and adding a worker moves only the shards from position N on.
 *
 * A worker with nothing to do is an error, not a warning: an idle server would hold donated
 * capacity while looking like ingestion capacity. Lower the worker count, or give a tenant more shards.
 */
import { createHash } from "node:crypto";

/** A Zuul tenant's REST API: `https://<host>/api/tenant/<tenant>` (the tenant is the last segment). */
export const ZUUL_TENANT_API_URL = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~-]+)*\/api\/tenant\/([A-Za-z0-9._-]+)$/;

/** A Zuul tenant that the workers follow. Keys as in the public config. */
export interface IngestionSource {
  /** Short name: the `source` label of the metrics and the name of its checkpoint. */
  readonly name: string;
  /** The tenant's API, `https://<host>/api/tenant/<tenant>`. */
  readonly zuul_api_url: string;
  /** The tenant; must be the last segment of `zuul_api_url`. @default that segment */
  readonly tenant?: string;
  /** How many workers share the tenant's builds. @default 1 */
  readonly shards?: number;
}

/** One worker's part of a source. */
export interface SourceShard {
  readonly name: string;
  readonly zuulApiUrl: string;
  readonly tenant: string;
  /** This part, 0-based: the builds whose shardOf(uuid, shards) is `shard`. */
  readonly shard: number;
  readonly shards: number;
}

export interface WorkerAssignment {
  /** 0-based worker number. */
  readonly worker: number;
  readonly shards: readonly SourceShard[];
}

const SOURCE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/**
 * The shard of a build: the first 32 bits of the SHA-256 of its uuid, modulo `shards`. Stable
 * across workers, restarts and releases (the ingestion service and the tests use this function).
 */
export function shardOf(buildUuid: string, shards: number): number {
  return createHash("sha256").update(buildUuid).digest().readUInt32BE(0) % shards;
}

/** The tenant of a source: `tenant`, or the last segment of its URL. */
export function tenantOf(source: IngestionSource): string | undefined {
  return source.tenant ?? ZUUL_TENANT_API_URL.exec(source.zuul_api_url)?.[3];
}

/** Every problem of the sources for `workerCount` workers; empty when the split is sound. */
export function validateSources(sources: readonly IngestionSource[], workerCount: number): string[] {
  const problems: string[] = [];
  if (!Number.isSafeInteger(workerCount) || workerCount < 1) problems.push(`worker count: got ${workerCount}; expected a whole number of at least 1`);
  if (sources.length === 0) problems.push("no sources: give at least one Zuul tenant to follow");
  const names = new Map<string, number>();
  const tenants = new Map<string, number>();
  sources.forEach((source, index) => {
    const where = `sources[${index}] ${JSON.stringify(source.name)}`;
    if (typeof source.name !== "string" || !SOURCE_NAME.test(source.name)) {
      problems.push(`${where}: name must be 1-32 lowercase letters, digits and "-" (it names the checkpoint and labels the metrics)`);
    }
    const earlierName = names.get(source.name);
    if (earlierName !== undefined) problems.push(`${where}: duplicates the name of sources[${earlierName}]; names must be unique`);
    else names.set(source.name, index);

    const url = ZUUL_TENANT_API_URL.exec(source.zuul_api_url ?? "");
    if (!url) {
      problems.push(`${where}: zuul_api_url ${JSON.stringify(source.zuul_api_url)} is not of the form https://<host>/api/tenant/<tenant>`);
    } else if (source.tenant !== undefined && url[3] !== source.tenant) {
      problems.push(`${where}: tenant ${JSON.stringify(source.tenant)} differs from the tenant of zuul_api_url (${JSON.stringify(url[3])}); leave tenant out, or make them agree`);
    } else {
      const earlier = tenants.get(source.zuul_api_url);
      if (earlier !== undefined) {
        problems.push(
          `${where}: lists the tenant of sources[${earlier}] ${JSON.stringify(sources[earlier].name)} again; list each tenant once, ` +
            "and give it shards: <workers> to share its builds between several workers",
        );
      } else {
        tenants.set(source.zuul_api_url, index);
      }
    }
    const shards = source.shards ?? 1;
    if (!Number.isSafeInteger(shards) || shards < 1) {
      problems.push(`${where}: shards: got ${shards}; expected a whole number of at least 1`);
    } else if (Number.isSafeInteger(workerCount) && shards > workerCount) {
      problems.push(`${where}: shards: got ${shards} for ${workerCount} worker(s); each shard needs a worker of its own: lower shards or raise ingestion.workers.count`);
    }
  });
  const total = sources.reduce((sum, source) => sum + (source.shards ?? 1), 0);
  if (Number.isSafeInteger(workerCount) && Number.isSafeInteger(total) && workerCount > total && sources.length > 0) {
    problems.push(
      `${workerCount} workers for ${total} shard(s): workers ${total}..${workerCount - 1} (0-based) would have nothing to do; ` +
        `lower the worker count to ${total}, or give a tenant more shards`,
    );
  }
  return problems;
}

/** The shards of each worker (round-robin in declared order); fails listing every problem of validateSources. */
export function partitionSources(sources: readonly IngestionSource[], workerCount: number): WorkerAssignment[] {
  const problems = validateSources(sources, workerCount);
  if (problems.length > 0) {
    throw new Error(`The ingestion sources have ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
  const workers = Array.from({ length: workerCount }, (_, worker) => ({ worker, shards: [] as SourceShard[] }));
  const all = sources.flatMap((source) =>
    Array.from({ length: source.shards ?? 1 }, (_, shard) => ({ name: source.name, zuulApiUrl: source.zuul_api_url, tenant: tenantOf(source)!, shard, shards: source.shards ?? 1 })),
  );
  all.forEach((shard, position) => workers[position % workerCount].shards.push(shard));
  return workers;
}
