import * as fs from "node:fs";
import * as path from "node:path";
import { MONITORING_ONLY_EXECUTABLES } from "../constructs/monitoring";
import { RECHECK_ONLY_EXECUTABLES } from "../constructs/recheck-service";
import { WORKER_ONLY_EXECUTABLES } from "../lib/ingestion/worker-software";
import { checkStackAgainstSchema } from "../lib/provider-schema";
import { copyExampleConfig, editConfig, repoRoot } from "./support/config-fixture";
import { resourcesOf, synthConfig, type StackJson } from "./support/synth";
import { deliveredUserData, executablesOf, shellScriptsOf, systemdUnitsOf, writtenFiles } from "./support/user-data";
import {
  describeWithTool,
  validateCloudConfig,
  validateShellScripts,
  validateSystemdUnits,
} from "./support/validators";

const providerSchema = JSON.parse(fs.readFileSync(path.join(repoRoot, "schema", "providers", "openstack@~%3E%203.4.json"), "utf8"));
const stacks = synthConfig();
const production = stacks.production;

const instances = () => Object.values(resourcesOf(production, "openstack_compute_instance_v2"));
const instanceNamed = (name: string) => instances().find((instance) => instance.name === name)!;
const roleOf = (instance: StackJson) => instance.metadata.role as string;

describe("DeploymentStack", () => {
  test("one stack per deployment file, named after it", () => {
    expect(Object.keys(stacks).sort()).toEqual(["evaluation", "production", "staging"]);
  });

  test("records the quota usage of the stack and of its cloud for the review tool", () => {
    expect(stacks.evaluation["//"].quota).toMatchObject({
      cloud: "example-cloud",
      stack_usage: { instances: 5, floating_ips: 2 },
      cloud_usage: { instances: 25, floating_ips: 4 },
      quota: { instances: 30, floating_ips: 4 },
    });
  });

  test("the recheck bot waits on the failures of the ingested tenants, and each tenant's shards run on different workers", () => {
    const recheck = JSON.parse(writtenFiles(instanceNamed("production-recheck-1").user_data).find((file) => file.path === "/etc/recheck/recheck.json")!.content);
    expect(recheck.tenants).toEqual(["openstack", "opendev"]);
    const shards = instances().filter((instance) => roleOf(instance) === "ingestion").map((instance) =>
      (JSON.parse(writtenFiles(instance.user_data).find((file) => file.path === "/etc/ingestion/ingestion.json")!.content).sources as { name: string; shard: number }[]).map((shard) => `${shard.name} ${shard.shard}`));
    expect(shards).toEqual([...Array.from({ length: 7 }, (_, shard) => [`openstack ${shard}`]), ["opendev 0"]]);
  });

  test("keeps each stack's state where its deployment says", () => {
    expect(production.terraform.backend).toEqual({
      s3: expect.objectContaining({ bucket: "ci-log-analysis-tfstate", key: "production.tfstate", endpoints: { s3: "https://object.example-cloud.example.org" }, use_lockfile: true }),
    });
    expect(stacks.staging.terraform.backend).toEqual({ pg: { schema_name: "staging" } });
    expect(stacks.evaluation.terraform.backend).toEqual({ local: { path: "../../../terraform.evaluation.tfstate" } });
  });

  test("on a provider network, creates no network, router or floating IP", () => {
    const staging = stacks.staging;
    for (const type of ["openstack_networking_network_v2", "openstack_networking_router_v2", "openstack_networking_floatingip_v2"]) {
      expect(resourcesOf(staging, type)).toEqual({});
    }
    expect(Object.values(resourcesOf(staging, "openstack_networking_network_v2", "data"))).toEqual([expect.objectContaining({ name: "public" })]);
  });

  test("uses only attributes the OpenStack provider has, with the right types and every required one", () => {
    for (const stack of Object.values(stacks)) expect(checkStackAgainstSchema(stack, providerSchema)).toEqual([]);
  });

  test("requires exactly the provider release whose schema the bindings were generated from", () => {
    expect(production.terraform.required_providers.openstack).toEqual({
      source: "terraform-provider-openstack/openstack",
      version: providerSchema.provider_versions["registry.terraform.io/terraform-provider-openstack/openstack"],
    });
  });

  test("configures the provider from the clouds.yaml entry and region, with no credentials", () => {
    expect(production.provider.openstack).toEqual([{ cloud: "example-cloud", region: "RegionOne" }]);
  });

  test("builds every role with the configured number of servers", () => {
    const counts: Record<string, number> = {};
    for (const instance of instances()) counts[roleOf(instance)] = (counts[roleOf(instance)] ?? 0) + 1;
    expect(counts).toEqual({ "search-data": 6, "search-master": 3, ingestion: 8, recheck: 1, frontend: 1, monitoring: 1 });
    expect(instanceNamed("production-search-data-6")).toMatchObject({
      flavor_name: "m1.xlarge-highmem",
      key_pair: "${openstack_compute_keypair_v2.admin-key-pair.name}",
    });
    expect(resourcesOf(production, "openstack_compute_keypair_v2")["admin-key-pair"]).toMatchObject({ name: "production-admin" });
  });

  test("boots every server from the image looked up by name", () => {
    const [imageId] = Object.keys(resourcesOf(production, "openstack_images_image_v2", "data"));
    expect(new Set(instances().map((instance) => instance.image_id))).toEqual(new Set([`\${data.openstack_images_image_v2.${imageId}.id}`]));
  });

  test("fails the plan, not the apply, on a flavor the cloud lacks: every flavor used is looked up by name, as the image is", () => {
    const looked = Object.entries(resourcesOf(production, "openstack_compute_flavor_v2", "data")).map(([id, flavor]) => [id, flavor.name]);
    expect(looked).toEqual([
      ["flavor-general-2x4", "m1.medium"],
      ["flavor-general-4x8", "m1.large"],
      ["flavor-search-data", "m1.xlarge-highmem"],
    ]);
    expect(new Set(instances().map((instance) => instance.flavor_name))).toEqual(new Set(looked.map(([, name]) => name)));
  });

  test("fails an admin prefix open to the whole Internet, naming the deployment file, line and setting", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/evaluation.yaml", "    - 203.0.113.0/24", "    - 0.0.0.0/0");
    const line = fs.readFileSync(path.join(dir, "deployments/evaluation.yaml"), "utf8").split("\n").indexOf("    - 0.0.0.0/0") + 1;
    expect(() => synthConfig(dir)).toThrow(
      `${dir}/deployments/evaluation.yaml:${line}:7: admin.ssh_allowed_prefixes[0]: got "0.0.0.0/0"; expected a prefix of /8 or longer (IPv4)`,
    );
  });

  test("gives search nodes and the monitoring server fixed addresses, a block per role", () => {
    const ports = Object.values(resourcesOf(production, "openstack_networking_port_v2"));
    const addresses = Object.fromEntries(ports.map((port) => [port.name, port.fixed_ip[0].ip_address]));
    expect(addresses).toMatchObject({
      "production-search-master-1": "10.42.0.16",
      "production-search-master-3": "10.42.0.18",
      "production-search-data-1": "10.42.0.48",
      "production-search-data-6": "10.42.0.53",
      "production-monitoring-1": "10.42.0.80",
    });
    expect(ports).toHaveLength(10);
  });

  test("gives every search data node a protected 1 TiB volume and the monitoring server its own, attached to them", () => {
    const volumes = Object.values(resourcesOf(production, "openstack_blockstorage_volume_v3"));
    expect(volumes.map((volume) => [volume.name, volume.size])).toEqual([
      ["production-monitoring-1-data", 50],
      ...[1, 2, 3, 4, 5, 6].map((n) => [`production-search-data-${n}-data`, 1024]),
    ]);
    for (const volume of volumes) expect(volume).toMatchObject({ lifecycle: { prevent_destroy: true } });
    expect(Object.keys(resourcesOf(production, "openstack_compute_volume_attach_v2"))).toHaveLength(7);
  });

  test("stateful servers ignore user data and image changes; stateless ones are created before destroyed", () => {
    for (const instance of instances()) {
      if (roleOf(instance).startsWith("search-") || roleOf(instance) === "monitoring") expect(instance.lifecycle).toEqual({ ignore_changes: ["user_data", "image_id"] });
      else expect(instance.lifecycle).toEqual({ create_before_destroy: true });
    }
  });

  test("only the front end and the recheck dashboard have floating IPs", () => {
    const associations = Object.values(resourcesOf(production, "openstack_networking_floatingip_associate_v2"));
    expect(associations.map((association) => association.port_id).sort()).toEqual([
      expect.stringMatching(/^\$\{openstack_compute_instance_v2\.frontend_servers_server-1_instance_\w+\.network\[0\]\.port\}$/),
      expect.stringMatching(/^\$\{openstack_compute_instance_v2\.recheck_server_server-1_instance_\w+\.network\[0\]\.port\}$/),
    ]);
    expect(Object.values(resourcesOf(production, "openstack_networking_floatingip_v2")).map((ip) => ip.description).sort()).toEqual([
      "Public address of production-frontend-1",
      "Public address of production-recheck-1",
    ]);
  });

  test("opens nothing to the world but 80 and 443 of the front end and the recheck dashboard", () => {
    const rules = Object.values(resourcesOf(production, "openstack_networking_secgroup_rule_v2"));
    const worldIngress = rules.filter((rule) => rule.direction === "ingress" && ["0.0.0.0/0", "::/0"].includes(rule.remote_ip_prefix));
    expect(worldIngress.map((rule) => `${rule.description}`).sort()).toEqual([
      "Public access on port 443", "Public access on port 80", "elastic-recheck dashboard on port 443", "elastic-recheck dashboard on port 80",
    ]);
  });

  test("accepts SSH only from the admin prefixes, and from the front end (the jump host) on a tenant network", () => {
    const rules = Object.values(resourcesOf(production, "openstack_networking_secgroup_rule_v2"));
    const ssh = rules.filter((rule) => rule.direction === "ingress" && rule.port_range_min === 22);
    const fromPrefixes = ssh.filter((rule) => rule.remote_ip_prefix !== undefined);
    expect(new Set(fromPrefixes.map((rule) => rule.remote_ip_prefix))).toEqual(new Set(["203.0.113.0/24", "2001:db8:100::/48"]));
    expect(fromPrefixes).toHaveLength(6 * 2);
    const fromGroups = ssh.filter((rule) => rule.remote_ip_prefix === undefined);
    expect([...new Set(fromGroups.map((rule) => rule.remote_group_id))]).toEqual([expect.stringMatching(/^\$\{openstack_networking_secgroup_v2\.frontend_servers_security-group_[0-9A-F]{8}\.id\}$/)]);
    expect(fromGroups).toHaveLength(5); // every other role
  });

  test("no config edit of image, flavor or user data changes a volume", () => {
    const config = copyExampleConfig();
    editConfig(config, "clouds/example-cloud.yaml", "Ubuntu 24.04 Noble Numbat", "Ubuntu 26.04");
    editConfig(config, "clouds/example-cloud.yaml", "name: m1.xlarge-highmem", "name: m2.xlarge");
    editConfig(config, "deployments/production.yaml", "infra-root@example.org", "infra-root@example.org\n    - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb second-admin");
    const edited = synthConfig(config).production;
    const volumes = (stack: StackJson) => resourcesOf(stack, "openstack_blockstorage_volume_v3");
    const attachments = (stack: StackJson) => resourcesOf(stack, "openstack_compute_volume_attach_v2");
    expect(volumes(edited)).toEqual(volumes(production));
    expect(attachments(edited)).toEqual(attachments(production));
    const before = instanceNamed("production-search-data-1");
    const after = Object.values(resourcesOf(edited, "openstack_compute_instance_v2")).find((i) => i.name === "production-search-data-1")!;
    expect(after.flavor_name).toBe("m2.xlarge");
    expect(after.user_data).not.toBe(before.user_data);
    expect(after.lifecycle.ignore_changes).toEqual(expect.arrayContaining(["user_data", "image_id"]));
  });
});

describe("rendered user data", () => {
  // Servers of one role differ only in names, addresses and references: one server of each role of each stack is checked.
  const userData = Object.entries(stacks).flatMap(([stackName, stack]) => {
    const byRole = new Map<string, StackJson>();
    for (const instance of Object.values(resourcesOf(stack, "openstack_compute_instance_v2"))) {
      if (!byRole.has(roleOf(instance))) byRole.set(roleOf(instance), instance);
    }
    return [...byRole.values()].map((instance) => ({ name: `${stackName}:${instance.name}`, text: instance.user_data as string }));
  });

  describeWithTool("cloud-init", "cloud-init schema", () => {
    test.each(userData)("$name passes cloud-init schema and uses known keys only", ({ text }) => {
      expect(validateCloudConfig(deliveredUserData(text))).toEqual([]);
    });
  });

  describeWithTool("shellcheck", "shellcheck", () => {
    // Scripts are static text, the same on every server that has them: each distinct one is checked once.
    const scripts = new Map<string, string>();
    for (const { name, text } of userData) {
      for (const [file, content] of Object.entries(shellScriptsOf(writtenFiles(text)))) {
        if (![...scripts.values()].includes(content)) scripts.set(`${name}:${file}`, content);
      }
    }
    test("there are scripts to check", () => expect(scripts.size).toBeGreaterThanOrEqual(4));
    test("every script passes shellcheck", () => {
      const problems = validateShellScripts(Object.fromEntries(scripts));
      expect(Object.fromEntries(Object.entries(problems).filter(([, lines]) => lines.length > 0))).toEqual({});
    });
    // What shellcheck accepts but a slip in a template literal produces: "\n" of a printf rendered
    // as a line break, a shared snippet pasted at column 0 inside an indented block.
    test("every script keeps its printf formats on one line and its blocks indented", () => {
      const problems = [...scripts].flatMap(([name, script]) => scriptLayoutProblems(script).map((problem) => `${name}: ${problem}`));
      expect(problems).toEqual([]);
    });
  });

  describeWithTool("systemd-analyze", "systemd-analyze verify", () => {
    const servers = new Map<string, { name: string; files: Record<string, string>; executables: string[] }>();
    for (const { name, text } of userData) {
      const written = writtenFiles(text);
      const files = systemdUnitsOf(written);
      // Scripts the user data writes, and programs the ingestion worker, the recheck and monitoring servers install at boot.
      const executables = [...executablesOf(written), ...WORKER_ONLY_EXECUTABLES, ...RECHECK_ONLY_EXECUTABLES, ...MONITORING_ONLY_EXECUTABLES];
      const key = JSON.stringify(files);
      if (!servers.has(key)) servers.set(key, { name, files, executables });
    }
    test("there are units to check", () => expect(servers.size).toBeGreaterThan(0));
    test.each([...servers.values()])("the units of $name pass systemd-analyze verify", ({ files, executables }) => {
      const problems = validateSystemdUnits(files, { providedExecutables: executables });
      expect(Object.fromEntries(Object.entries(problems).filter(([, lines]) => lines.length > 0))).toEqual({});
    });
  });
});

/** Lines of a script whose layout betrays a rendering slip (see the test that uses it). */
function scriptLayoutProblems(script: string): string[] {
  const problems: string[] = [];
  const lines = script.split("\n");
  const openers: number[] = [];
  lines.forEach((line, index) => {
    const where = `line ${index + 1}: ${JSON.stringify(line)}`;
    if (/\bprintf '[^']*$/.test(line)) problems.push(`${where}: the printf format string ends at the line break`);
    if (line.trim() === "" || lines[index - 1]?.endsWith("\\")) return;
    const indent = line.length - line.trimStart().length;
    const closes = /^(fi|done|esac|else|elif|\})(?=[\s;]|$)/.test(line.trimStart());
    if (closes) openers.pop();
    if (!closes && openers.length > 0 && indent <= openers[openers.length - 1]) problems.push(`${where}: not indented inside the block opened above it`);
    if (/(\bthen|\bdo|\belse|\bin|\{)$/.test(line.trimEnd()) && !/^#/.test(line.trimStart())) openers.push(indent);
  });
  return problems;
}
