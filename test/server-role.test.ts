import { Network } from "../constructs/network";
import { ServerRole, type ServerRoleProps } from "../constructs/server-role";
import { resources, synthStack } from "./support/stack";

function synthRole(props: Partial<ServerRoleProps> = {}) {
  let role: ServerRole | undefined;
  const stack = synthStack((scope) => {
    const network = new Network(scope, "network", {
      name: "prod",
      config: { mode: "tenant", external_network: "public", ipv4_cidr: "10.42.0.0/24", dns_nameservers: [] },
    });
    role = new ServerRole(scope, "search-data", {
      deploymentName: "prod",
      roleName: "search-data",
      description: "Search data nodes",
      count: 3,
      network,
      imageId: "image-id",
      flavorName: "m1.xlarge",
      keyPairName: "prod-admin",
      serverGroupPolicy: "soft-anti-affinity",
      adminSshPublicKeys: ["ssh-ed25519 AAAA admin@example.org"],
      adminPrefixes: ["203.0.113.0/24"],
      stateful: true,
      fixedAddressBlock: 1,
      configureNode: (cloudConfig, node) => cloudConfig.addFile({ path: "/etc/node-name", content: `${node.name}\n` }),
      ...props,
    });
  });
  return { stack, role: role! };
}

describe("ServerRole", () => {
  const { stack, role } = synthRole();
  const instances = resources(stack, "openstack_compute_instance_v2");

  test("builds count servers named <deployment>-<role>-<n>, with the role in their metadata", () => {
    expect(instances.map((instance) => instance.name)).toEqual(["prod-search-data-1", "prod-search-data-2", "prod-search-data-3"]);
    expect(instances.every((instance) => instance.metadata.role === "search-data" && instance.metadata.deployment === "prod")).toBe(true);
  });

  test("spreads them with one server group of the cloud's policy", () => {
    expect(resources(stack, "openstack_compute_servergroup_v2")).toEqual([{ name: "prod-search-data", policies: ["soft-anti-affinity"] }]);
    expect(new Set(instances.map((instance) => instance.scheduler_hints[0].group)).size).toBe(1);
  });

  test("lets only root reach the metadata service on every server", () => {
    for (const instance of instances) expect(instance.user_data).toContain("ExecStart=/usr/sbin/nft -f /etc/ci-log-analysis/metadata-guard.nft");
  });

  test("takes the fixed addresses of its block", () => {
    expect(role.nodes.map((node) => node.fixedIpv4Address)).toEqual(["10.42.0.48", "10.42.0.49", "10.42.0.50"]);
  });

  test("lets each node add its own software to its user data, after the admin keys", () => {
    expect(instances[1].user_data).toContain("ssh_authorized_keys:\n  - ssh-ed25519 AAAA admin@example.org");
    expect(instances[1].user_data).toContain("prod-search-data-2");
  });

  test("accepts SSH from the admin prefixes only and reaches the world for packages, DNS and time", () => {
    const rules = resources(stack, "openstack_networking_secgroup_rule_v2").map(
      (rule) => `${rule.direction} ${rule.protocol}/${rule.port_range_min} ${rule.remote_ip_prefix}`,
    );
    expect(rules.sort()).toEqual([
      "egress tcp/443 0.0.0.0/0", "egress tcp/53 0.0.0.0/0", "egress tcp/80 0.0.0.0/0", "egress udp/123 0.0.0.0/0",
      "egress udp/53 0.0.0.0/0", "ingress tcp/22 203.0.113.0/24",
    ]);
  });

  test("fails when the role has more servers than fixed addresses", () => {
    expect(() => synthRole({ count: 33 })).toThrow("Server 33 does not fit the 32 fixed addresses of its role; lower the count.");
  });
});
