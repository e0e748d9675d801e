import { IngestionWorkers, INGESTION_METRICS_PORT } from "../constructs/ingestion-workers";
import type { IngestionSource } from "../lib/ingestion/partition";
import type { IngestionServiceConfig } from "../lib/ingestion/service-config";
import { CONFIG_FILE } from "../lib/ingestion/worker-software";
import { serviceBundle } from "../lib/service-bundle";
import { smallSearchCluster, testServers } from "./support/deployment-parts";
import { resources, synthStack } from "./support/stack";
import { writtenFiles } from "./support/user-data";

const SOURCES: IngestionSource[] = [
  { name: "openstack", zuul_api_url: "https://zuul.example.org/api/tenant/openstack", shards: 2 },
  { name: "opendev", zuul_api_url: "https://zuul.example.org/api/tenant/opendev" },
];

function synthWorkers(count: number, sources = SOURCES) {
  const stack = synthStack((scope) => {
    const servers = testServers(scope);
    const search = smallSearchCluster(scope, servers);
    new IngestionWorkers(scope, "ingestion", { servers, count, flavorName: "m1.large", sources, search, serviceBundle: serviceBundle("ingestion"), retentionDays: 7 });
  });
  const workers = resources(stack, "openstack_compute_instance_v2").filter((instance) => instance.metadata.role === "ingestion");
  const settings = workers.map((worker) => JSON.parse(writtenFiles(worker.user_data).find((file) => file.path === CONFIG_FILE)!.content) as IngestionServiceConfig);
  return { stack, workers, settings };
}

describe("IngestionWorkers", () => {
  const { stack, workers, settings } = synthWorkers(3);

  test("deals the shards round-robin, each to exactly one worker", () => {
    expect(workers.map((worker) => worker.name)).toEqual(["prod-ingestion-1", "prod-ingestion-2", "prod-ingestion-3"]);
    expect(settings.map((each) => each.sources.map((shard) => `${shard.tenant} ${shard.shard + 1}/${shard.shards}`))).toEqual([["openstack 1/2"], ["openstack 2/2"], ["opendev 1/1"]]);
  });

  test("points each worker at every data node, starting with a different one", () => {
    expect(settings.map((each) => each.search.urls.length)).toEqual([2, 2, 2]);
    expect(settings[0].search.urls[0]).not.toBe(settings[1].search.urls[0]);
    expect(settings[0].search.retentionDays).toBe(7);
  });

  test("gives each worker the writer's password in a root-only file and the cluster's CA", () => {
    const files = writtenFiles(workers[0].user_data);
    expect(files.find((file) => file.path === "/etc/ci-log-analysis/search-writer-password")).toMatchObject({ permissions: "0600", content: "stand-in-value\n" });
    expect(workers[0].user_data).toMatch(/\$\{random_password\.search_writer-password_\w+\.result\}/);
    expect(settings[0].search.caFile).toBe("/etc/ci-log-analysis/search-ca.crt");
    expect(files.some((file) => file.path === "/etc/ci-log-analysis/search-ca.crt")).toBe(true);
  });

  test("are stateless: replaced by new servers created first", () => {
    expect(workers.every((worker) => worker.lifecycle.create_before_destroy === true)).toBe(true);
  });

  test(`open the metrics port ${INGESTION_METRICS_PORT} to the admin prefixes only, and reach the cluster on 9200`, () => {
    const rules = resources(stack, "openstack_networking_secgroup_rule_v2");
    expect(rules.filter((rule) => rule.port_range_min === INGESTION_METRICS_PORT)).toEqual([
      expect.objectContaining({ direction: "ingress", port_range_max: INGESTION_METRICS_PORT, remote_ip_prefix: "203.0.113.0/24" }),
    ]);
    expect(rules.some((rule) => rule.direction === "egress" && rule.port_range_min === 9200 && rule.remote_group_id)).toBe(true);
  });

  test("fails with more workers than shards", () => {
    expect(() => synthWorkers(4)).toThrow(/4 workers for 3 shard\(s\)/);
  });
});
