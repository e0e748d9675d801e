/**
 * The tenant listing (services/ingestion/lister.ts) against a fake Zuul on loopback that lists
 * builds as Zuul does (newest first by start, running builds without a result), with the fake's
 * clock moved by the tests.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { shardOf, type SourceShard } from "../lib/ingestion/partition";
import { jsonLogger } from "../services/shared/log";
import { Checkpoint } from "../services/ingestion/checkpoint";
import { HttpClient } from "../services/ingestion/http";
import { LONGEST_BUILD_MS, listNewBuilds } from "../services/ingestion/lister";
import { parseBuild } from "../services/ingestion/zuul";
import { random } from "./fixtures/ci-logs";
import { FakeZuul, type FakeBuild } from "./support/fake-zuul";

const NOW = Date.parse("2026-05-14T12:00:00Z");
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const BACKFILL = 6 * HOUR;
const LOGS = new Map([["job-output.txt", "x\n"]]);
const silent = jsonLogger(() => undefined);

let next = random(1);
const uuid = () => Array.from({ length: 32 }, () => "0123456789abcdef"[Math.floor(next() * 16)]).join("");

/** `count` builds of `jobs` job names, one starting every `everyMs` from `from`, each running `durationMs`. */
function builds(count: number, from: number, everyMs: number, durationMs: number, jobs = 50): FakeBuild[] {
  return Array.from({ length: count }, (_, i) => ({ uuid: uuid(), job: `job-${i % jobs}`, startMs: from + i * everyMs, endMs: from + i * everyMs + durationMs, logs: LOGS }));
}

let dir: string;
let zuul: FakeZuul;
let client: HttpClient;
beforeEach(async () => {
  next = random(1);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "listing-"));
  client = new HttpClient();
});
afterEach(async () => {
  client.close();
  await zuul?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const shard = (shards = 1, part = 0): SourceShard => ({ name: "openstack", zuulApiUrl: zuul.apiUrl, tenant: "openstack", shard: part, shards });
const checkpoint = (name = "checkpoint.json") => new Checkpoint(path.join(dir, name), silent);
const pass = (point: Checkpoint, options: { pageSize?: number; part?: SourceShard } = {}) =>
  listNewBuilds(client, options.part ?? shard(), point, { pageSize: options.pageSize ?? 100, backfillMs: BACKFILL, now: zuul.now });

describe("a tenant listing", () => {
  test("costs a few pages however many jobs the tenant has, and a page once nothing runs long", async () => {
    zuul = await FakeZuul.start(builds(1000, NOW - 4 * HOUR - 20 * MINUTE, 13_000, 10 * MINUTE, 2500), { now: NOW });
    const point = checkpoint();
    const first = await pass(point);
    expect(first.taken.length).toBe(1000);
    expect(first.stoppedBy).toBe("end of the listing");
    zuul.add(...builds(5, NOW + MINUTE, 5_000, MINUTE));
    zuul.now = NOW + 10 * MINUTE;
    const requestsBefore = zuul.requests.builds;
    const second = await pass(point);
    expect({ taken: second.taken.length, requests: zuul.requests.builds - requestsBefore, stoppedBy: second.stoppedBy }).toEqual({ taken: 5, requests: 1, stoppedBy: "known build before the horizon" });
  });

  test("takes a long build that ends after hundreds of shorter ones started after it, and nothing twice", async () => {
    const [long] = builds(1, NOW - 3 * HOUR, 0, 3 * HOUR + 2 * MINUTE);
    zuul = await FakeZuul.start([long, ...builds(600, NOW - 3 * HOUR + MINUTE, 15_000, 5 * MINUTE)], { now: NOW });
    const point = checkpoint();
    const taken = new Set((await pass(point)).taken.map((build) => build.uuid));
    expect(taken.has(long.uuid)).toBe(false);
    zuul.add(...builds(3, NOW + 30_000, 10_000, 30_000));
    zuul.now = NOW + 3 * MINUTE;
    const second = await pass(point);
    expect(second.taken.map((build) => build.uuid)).toContain(long.uuid);
    for (const build of second.taken) expect(taken.has(build.uuid)).toBe(false);
    expect(second.taken).toHaveLength(1 + 3 + 600 - taken.size);
    expect(second.pages).toBeLessThanOrEqual(8);
  });

  test("keeps what it needs in the checkpoint: a restart takes nothing again", async () => {
    zuul = await FakeZuul.start(builds(300, NOW - 2 * HOUR, 20_000, 20 * MINUTE), { now: NOW });
    const point = checkpoint();
    await pass(point);
    point.save();
    const again = await pass(checkpoint());
    expect(again.taken).toEqual([]);
  });

  test("reaches back backfillHours on a first start: older builds are not taken, and paging stops", async () => {
    zuul = await FakeZuul.start(builds(48, NOW - 24 * HOUR, 30 * MINUTE, 20 * MINUTE), { now: NOW });
    const result = await pass(checkpoint(), { pageSize: 10 });
    expect(result.taken.every((build) => build.endMs! >= NOW - BACKFILL)).toBe(true);
    expect(result.taken).toHaveLength(12);
    expect(result.stoppedBy).toBe("backfill limit");
    // Builds started up to backfillHours + LONGEST_BUILD_MS (+ 15 min) back are looked at: 23 of the 48, in 3 pages.
    expect(Math.ceil((BACKFILL + LONGEST_BUILD_MS) / (30 * MINUTE))).toBe(22);
    expect(result.pages).toBe(3);
  });

  test("takes only the builds of its shard; the shards together take every build once", async () => {
    zuul = await FakeZuul.start(builds(400, NOW - HOUR, 8_000, MINUTE), { now: NOW });
    const parts = await Promise.all([0, 1, 2].map(async (part) => (await pass(checkpoint(`part-${part}.json`), { part: shard(3, part) })).taken.map((build) => build.uuid)));
    for (const [part, uuids] of parts.entries()) for (const each of uuids) expect(shardOf(each, 3)).toBe(part);
    const all = parts.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(400);
  });

  test("takes no build without logs and no build still running", async () => {
    const [noLogs] = builds(1, NOW - HOUR, 0, MINUTE);
    const [running] = builds(1, NOW - 30 * MINUTE, 0, HOUR);
    zuul = await FakeZuul.start([{ ...noLogs, logs: undefined }, running], { now: NOW });
    expect((await pass(checkpoint())).taken).toEqual([]);
  });

  test("reads builds in Zuul 10's shape (change data under ref) as in Zuul 9's", async () => {
    const [build] = builds(1, NOW - HOUR, 0, MINUTE);
    zuul = await FakeZuul.start([{ ...build, change: 912345, project: "openstack/neutron" }], { now: NOW, shape: "zuul10" });
    const [taken] = (await pass(checkpoint())).taken;
    expect(taken).toMatchObject({ uuid: build.uuid, project: "openstack/neutron", change: "912345", patchset: "3", branch: "master", pipeline: "check", result: "SUCCESS", startMs: NOW - HOUR, endMs: NOW - HOUR + MINUTE });
  });

  test("fails when Zuul fails, and keeps the checkpoint's horizon for the next try", async () => {
    zuul = await FakeZuul.start(builds(10, NOW - HOUR, MINUTE, MINUTE), { now: NOW });
    zuul.faults.set(`/api/tenant/openstack/builds`, [503]);
    const point = checkpoint();
    await expect(pass(point)).rejects.toThrow(/HTTP 503/);
    expect(point.horizonMs).toBeUndefined();
    expect((await pass(point)).taken).toHaveLength(10);
  });
});

describe("parseBuild", () => {
  test("leaves out entries that are not builds", () => {
    expect([parseBuild(null), parseBuild({ uuid: "x", job_name: "j" }), parseBuild({ uuid: "0".repeat(32) })]).toEqual([undefined, undefined, undefined]);
  });
});
