import { Port } from "../constructs/connections";
import { SecurityGroup } from "../constructs/security-group";
import { refByName, resources, synthStack } from "./support/stack";

const GROUP = "openstack_networking_secgroup_v2";

const RULE = "openstack_networking_secgroup_rule_v2";

function twoGroups(ipv6 = false) {
  let groups: { cluster: SecurityGroup; workers: SecurityGroup } | undefined;
  const stack = synthStack((scope) => {
    const cluster = new SecurityGroup(scope, "cluster", { name: "d-cluster", description: "Cluster", ipv6 });
    const workers = new SecurityGroup(scope, "workers", { name: "d-workers", description: "Workers", ipv6 });
    cluster.connections.allowFrom(workers, Port.tcp(9200), "Workers write logs");
    groups = { cluster, workers };
  });
  return { stack, groups: groups! };
}

describe("Port", () => {
  test("names single ports, ranges and ICMP stably", () => {
    expect([Port.tcp(9200), Port.tcpRange(9300, 9400), Port.udp(53), Port.allIcmp()].map(String)).toEqual([
      "tcp-9200", "tcp-9300-9400", "udp-53", "icmp",
    ]);
  });

  test("fails on a number that is not a port", () => {
    expect(() => Port.tcp(70000)).toThrow("Port 70000 is not a port number; expected a whole number from 1 to 65535.");
    expect(() => Port.tcp(0)).toThrow("Port 0 is not a port number");
  });

  test("fails on a reversed range", () => {
    expect(() => Port.tcpRange(9400, 9300)).toThrow("Port range 9400-9300 is reversed; expected the lower port first.");
  });
});

describe("Connections", () => {
  test("allowFrom adds ingress on the target from the peer group and egress on the peer to the target", () => {
    const { stack } = twoGroups();
    const cluster = refByName(stack, GROUP, "d-cluster");
    const workers = refByName(stack, GROUP, "d-workers");
    expect(resources(stack, RULE)).toEqual([
      {
        security_group_id: cluster,
        direction: "ingress", ethertype: "IPv4", protocol: "tcp", port_range_min: 9200, port_range_max: 9200,
        remote_group_id: workers,
        description: "Workers write logs",
      },
      {
        security_group_id: workers,
        direction: "egress", ethertype: "IPv4", protocol: "tcp", port_range_min: 9200, port_range_max: 9200,
        remote_group_id: cluster,
        description: "Workers write logs",
      },
    ]);
  });

  test("with IPv6 on, group rules exist for both address families", () => {
    const { stack } = twoGroups(true);
    expect(resources(stack, RULE).map((rule) => `${rule.direction} ${rule.ethertype}`).sort()).toEqual([
      "egress IPv4", "egress IPv6", "ingress IPv4", "ingress IPv6",
    ]);
  });

  test("allowInternally lets members of one group reach each other", () => {
    const stack = synthStack((scope) => {
      new SecurityGroup(scope, "cluster", { name: "d-cluster", description: "Cluster" }).connections.allowInternally(Port.tcp(9300), "Transport");
    });
    const group = refByName(stack, GROUP, "d-cluster");
    expect(resources(stack, RULE).map((rule) => [rule.direction, rule.security_group_id, rule.remote_group_id]).sort()).toEqual([
      ["egress", group, group],
      ["ingress", group, group],
    ]);
  });

  test("allowFromPrefixes takes the address family from each prefix", () => {
    const stack = synthStack((scope) => {
      const group = new SecurityGroup(scope, "g", { name: "d-g", description: "G" });
      group.connections.allowFromPrefixes(["203.0.113.0/24", "2001:db8::/48"], Port.tcp(22), "Admin SSH");
    });
    expect(resources(stack, RULE).map((rule) => [rule.ethertype, rule.remote_ip_prefix, rule.port_range_min]).sort()).toEqual([
      ["IPv4", "203.0.113.0/24", 22],
      ["IPv6", "2001:db8::/48", 22],
    ]);
  });

  test("allowToAnyone opens egress to every address family in use", () => {
    const stack = synthStack((scope) => {
      new SecurityGroup(scope, "g", { name: "d-g", description: "G", ipv6: true }).connections.allowToAnyone(Port.tcp(443), "HTTPS");
    });
    expect(resources(stack, RULE).map((rule) => [rule.direction, rule.remote_ip_prefix]).sort()).toEqual([
      ["egress", "0.0.0.0/0"],
      ["egress", "::/0"],
    ]);
  });

  test("the same flow asked for twice is one rule", () => {
    const stack = synthStack((scope) => {
      const a = new SecurityGroup(scope, "a", { name: "d-a", description: "A" });
      const b = new SecurityGroup(scope, "b", { name: "d-b", description: "B" });
      a.connections.allowFrom(b, Port.tcp(9200), "Reads");
      a.connections.allowFrom(b, Port.tcp(9200), "Reads again");
    });
    expect(resources(stack, RULE)).toHaveLength(2);
  });
});

describe("SecurityGroup", () => {
  test("removes the default rules and carries its description", () => {
    const stack = synthStack((scope) => {
      new SecurityGroup(scope, "g", { name: "production-frontend", description: "Public read-only front end" });
    });
    expect(resources(stack, "openstack_networking_secgroup_v2")).toEqual([
      { name: "production-frontend", description: "Public read-only front end", delete_default_rules: true },
    ]);
  });

  test("fails on an empty description", () => {
    expect(() => synthStack((scope) => new SecurityGroup(scope, "g", { name: "d-g", description: " " }))).toThrow(
      "SecurityGroup test/g: description is empty; describe what the group protects.",
    );
  });

  test("fails on a rule without a description", () => {
    expect(() =>
      synthStack((scope) => {
        new SecurityGroup(scope, "g", { name: "d-g", description: "G" }).connections.allowToAnyone(Port.tcp(443), "");
      }),
    ).toThrow("SecurityGroup test/g: rule egress tcp-443 has no description; say why the flow is needed.");
  });
});
