import { randomBytes } from "node:crypto";
import { partitionSources, shardOf, validateSources, type IngestionSource } from "../lib/ingestion/partition";

const tenant = (name: string, shards?: number): IngestionSource => ({
  name, zuul_api_url: `https://zuul.opendev.org/api/tenant/${name}`, ...(shards === undefined ? {} : { shards }),
});

const shardsOf = (workers: ReturnType<typeof partitionSources>) => workers.map((worker) => worker.shards.map((shard) => `${shard.name} ${shard.shard + 1}/${shard.shards}`));

describe("partitionSources", () => {
  test("deals the shards round-robin in declared order, each to exactly one worker", () => {
    expect(shardsOf(partitionSources([tenant("openstack", 3), tenant("opendev"), tenant("zuul")], 3))).toEqual([
      ["openstack 1/3", "opendev 1/1"],
      ["openstack 2/3", "zuul 1/1"],
      ["openstack 3/3"],
    ]);
  });

  test("puts the shards of one tenant on different workers", () => {
    for (const workers of [partitionSources([tenant("opendev"), tenant("openstack", 7)], 8), partitionSources([tenant("a", 2), tenant("b", 3), tenant("c", 3)], 3)]) {
      for (const worker of workers) expect(new Set(worker.shards.map((shard) => shard.name)).size).toBe(worker.shards.length);
    }
  });

  test("takes the tenant from the URL", () => {
    expect(partitionSources([tenant("openstack")], 1)[0].shards[0]).toEqual({ name: "openstack", zuulApiUrl: "https://zuul.opendev.org/api/tenant/openstack", tenant: "openstack", shard: 0, shards: 1 });
  });

  test("adding a worker keeps the first shards where they were", () => {
    const before = shardsOf(partitionSources([tenant("openstack", 2), tenant("opendev"), tenant("zuul")], 2));
    const after = shardsOf(partitionSources([tenant("openstack", 2), tenant("opendev"), tenant("zuul")], 3));
    expect(after.map((worker) => worker[0])).toEqual([before[0][0], before[1][0], "opendev 1/1"]);
  });

  test("fails listing every problem", () => {
    expect(() => partitionSources([tenant("bad name"), tenant("opendev")], 3)).toThrow(/^The ingestion sources have 3 problem\(s\):\n {2}sources\[0\] "bad name": name must be/);
  });
});

describe("shardOf", () => {
  const uuids = Array.from({ length: 6000 }, () => randomBytes(16).toString("hex"));

  test("puts every build in exactly one of the shards, the same one every time", () => {
    for (const uuid of uuids.slice(0, 100)) {
      const shard = shardOf(uuid, 7);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(7);
      expect(shardOf(uuid, 7)).toBe(shard);
    }
  });

  test("spreads builds evenly (each of 7 shards within 15% of its share)", () => {
    const counts = Array.from({ length: 7 }, () => 0);
    for (const uuid of uuids) counts[shardOf(uuid, 7)] += 1;
    for (const count of counts) expect(Math.abs(count - uuids.length / 7)).toBeLessThan((uuids.length / 7) * 0.15);
  });

  test("does not depend on anything but the uuid (a fixed value, for every release)", () => {
    expect([shardOf("4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", 7), shardOf("4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", 1)]).toEqual([shardOf("4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e", 7), 0]);
  });
});

describe("validateSources", () => {
  test("accepts a tenant shared by every worker and a tenant of its own", () => {
    expect(validateSources([tenant("openstack", 7), tenant("opendev")], 8)).toEqual([]);
  });

  test("fails a tenant listed twice, saying to give it shards instead", () => {
    expect(validateSources([tenant("openstack"), { name: "rest", zuul_api_url: "https://zuul.opendev.org/api/tenant/openstack" }], 2)).toEqual([
      'sources[1] "rest": lists the tenant of sources[0] "openstack" again; list each tenant once, and give it shards: <workers> to share its builds between several workers',
    ]);
  });

  test("fails more shards than workers", () => {
    expect(validateSources([tenant("openstack", 3)], 2)).toEqual([
      'sources[0] "openstack": shards: got 3 for 2 worker(s); each shard needs a worker of its own: lower shards or raise ingestion.workers.count',
    ]);
  });

  test("fails a worker that would have nothing to do", () => {
    expect(validateSources([tenant("openstack", 2), tenant("opendev")], 4)).toEqual([
      "4 workers for 3 shard(s): workers 3..3 (0-based) would have nothing to do; lower the worker count to 3, or give a tenant more shards",
    ]);
  });

  test("fails duplicate names, bad names and URLs that are not a tenant API", () => {
    expect(validateSources([tenant("a"), { name: "a", zuul_api_url: "https://zuul.opendev.org/t/b" }, { name: "Bad!", zuul_api_url: "https://zuul.example.org/api/tenant/c" }], 3)).toEqual([
      'sources[1] "a": duplicates the name of sources[0]; names must be unique',
      'sources[1] "a": zuul_api_url "https://zuul.opendev.org/t/b" is not of the form https://<host>/api/tenant/<tenant>',
      'sources[2] "Bad!": name must be 1-32 lowercase letters, digits and "-" (it names the checkpoint and labels the metrics)',
    ]);
  });

  test("fails a tenant that differs from the URL's", () => {
    expect(validateSources([{ name: "x", zuul_api_url: "https://zuul.opendev.org/api/tenant/openstack", tenant: "opendev" }], 1)).toEqual([
      'sources[0] "x": tenant "opendev" differs from the tenant of zuul_api_url ("openstack"); leave tenant out, or make them agree',
    ]);
  });

  test("fails an empty list and a bad worker count", () => {
    expect(validateSources([], 0)).toEqual(["worker count: got 0; expected a whole number of at least 1", "no sources: give at least one Zuul tenant to follow"]);
  });
});
