import { heapGiB, resolveSearchTopology, searchCapacity } from "../lib/search/topology";
import type { DeploymentConfig } from "../lib/config/schema";

const flavors = { big: { name: "m1.xl", vcpus: 16, ram_gib: 60, disk_gib: 160 }, small: { name: "m1.l", vcpus: 4, ram_gib: 8, disk_gib: 80 } };
const search = (overrides: Partial<DeploymentConfig["search"]> = {}): DeploymentConfig["search"] => ({
  engine: "elasticsearch",
  data_nodes: { count: 6, flavor: "big", volume_gib: 1024 },
  master_nodes: {},
  primary_shards: 5,
  retention_days: 10,
  daily_ingest_gib: 200,
  disk_watermark_percent: 85,
  ...overrides,
});

describe("resolveSearchTopology", () => {
  test("pins the tested release of each engine unless a version is given", () => {
    expect(resolveSearchTopology(search(), flavors).version).toBe("9.5.6");
    expect(resolveSearchTopology(search({ engine: "opensearch" }), flavors).version).toBe("3.8.0");
    expect(resolveSearchTopology(search({ version: "9.1.0" }), flavors).version).toBe("9.1.0");
  });

  test("adds 3 dedicated masters on the data flavor once there are 3 or more data nodes", () => {
    expect(resolveSearchTopology(search(), flavors).masterNodes).toEqual({ count: 3, flavorAlias: "big", flavor: flavors.big });
    expect(resolveSearchTopology(search({ data_nodes: { count: 2, flavor: "big", volume_gib: 100 } }), flavors).masterNodes.count).toBe(0);
    expect(resolveSearchTopology(search({ master_nodes: { count: 0 } }), flavors).masterNodes.count).toBe(0);
    expect(resolveSearchTopology(search({ master_nodes: { flavor: "small" } }), flavors).masterNodes.flavorAlias).toBe("small");
  });

  test("keeps one replica, or none with a single data node", () => {
    expect(resolveSearchTopology(search(), flavors).replicas).toBe(1);
    expect(resolveSearchTopology(search({ data_nodes: { count: 1, flavor: "big", volume_gib: 100 } }), flavors).replicas).toBe(0);
  });
});

describe("heapGiB", () => {
  test("is half the flavor's RAM, at most 31 GiB and at least 1", () => {
    expect(heapGiB(flavors.small)).toBe(4);
    expect(heapGiB(flavors.big)).toBe(30);
    expect(heapGiB({ name: "huge", vcpus: 32, ram_gib: 128, disk_gib: 160 })).toBe(31);
    expect(heapGiB({ name: "tiny", vcpus: 1, ram_gib: 1, disk_gib: 10 })).toBe(1);
  });
});

describe("searchCapacity", () => {
  // The historical service: 6 nodes with 1 TiB each, 10-day retention, 1 replica.
  test("the historical cluster holds 237 GiB a day", () => {
    const report = searchCapacity(resolveSearchTopology(search({ daily_ingest_gib: 237 }), flavors));
    expect(report).toMatchObject({ requiredGiB: 237 * 11 * 2, usableGiB: 6 * 1024 * 0.85, fits: true });
    expect(report.summary).toBe(
      "needs 5214 GiB (237 GiB/day × 11 days × 2 copies), has 5222.4 GiB (6 × 1024 GiB at 85% watermark)",
    );
  });

  test("fails 240 GiB a day on the historical cluster", () => {
    expect(searchCapacity(resolveSearchTopology(search({ daily_ingest_gib: 240 }), flavors)).fits).toBe(false);
  });
});
