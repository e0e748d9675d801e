import { IngestionWorkers } from "../constructs/ingestion-workers";
import { smallSearchCluster, testServers } from "./support/deployment-parts";
import { resources, synthStack } from "./support/stack";
import { writtenFiles } from "./support/user-data";

const source = (name: string, jobFilter?: string) => ({
  name, zuul_api_url: "https://zuul.example.org/api/tenant/openstack", tenant: "openstack", ...(jobFilter ? { job_filter: jobFilter } : {}),
});

function synthWorkers(count: number, sources = [source("tempest", "^tempest-"), source("devstack", "^devstack"), source("rest")]) {
  const stack = synthStack((scope) => {
    const servers = testServers(scope);
    const search = smallSearchCluster(scope, servers);
    new IngestionWorkers(scope, "ingestion", { servers, count, flavorName: "m1.large", sources, search });
  });
  const workers = resources(stack, "openstack_compute_instance_v2").filter((instance) => instance.metadata.role === "ingestion");
  return { stack, workers };
}

describe("IngestionWorkers", () => {
  const { stack, workers } = synthWorkers(2);
  const units = (userData: string) =>
    writtenFiles(userData).map((file) => /^\/etc\/systemd\/system\/(log(scraper|sender)-[^/]+\.service)$/.exec(file.path)?.[1]).filter(Boolean);

  test("deals the sources round-robin, each to exactly one worker", () => {
    expect(workers.map((worker) => worker.name)).toEqual(["prod-ingestion-1", "prod-ingestion-2"]);
    expect(units(workers[0].user_data).sort()).toEqual(["logscraper-rest.service", "logscraper-tempest.service", "logsender-rest.service", "logsender-tempest.service"]);
    expect(units(workers[1].user_data).sort()).toEqual(["logscraper-devstack.service", "logsender-devstack.service"]);
  });

  test("gives each worker the writer's password in a root-only file and the cluster's CA", () => {
    const files = writtenFiles(workers[0].user_data);
    expect(files.find((file) => file.path === "/etc/ci-log-analysis/search-writer-password")).toMatchObject({ permissions: "0600", content: "stand-in-value\n" });
    expect(workers[0].user_data).toMatch(/\$\{random_password\.search_writer-password_\w+\.result\}/);
    expect(files.some((file) => file.path === "/etc/ci-log-analysis/search-ca.crt")).toBe(true);
  });

  test("are stateless: replaced by new servers created first", () => {
    expect(workers.every((worker) => worker.lifecycle.create_before_destroy === true)).toBe(true);
  });

  test("open their metrics ports to the admin prefixes only, and reach the cluster on 9200", () => {
    const rules = resources(stack, "openstack_networking_secgroup_rule_v2");
    const metrics = rules.filter((rule) => rule.port_range_min === 9128);
    expect(metrics).toEqual([expect.objectContaining({ direction: "ingress", port_range_max: 9129, remote_ip_prefix: "203.0.113.0/24" })]);
    expect(rules.some((rule) => rule.direction === "egress" && rule.port_range_min === 9200 && rule.remote_group_id)).toBe(true);
  });

  test("fails with more workers than sources", () => {
    expect(() => synthWorkers(4)).toThrow(/4 workers for 3 source\(s\)/);
  });
});
