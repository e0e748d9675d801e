import { ipv4Host, Network } from "../constructs/network";
import type { NetworkConfig } from "../lib/config/schema";
import { synthStack } from "./support/stack";

const tenant: NetworkConfig = {
  mode: "tenant",
  external_network: "public",
  ipv4_cidr: "10.42.0.0/24",
  dns_nameservers: ["1.1.1.1", "2606:4700:4700::1111"],
};

function synthNetwork(config: NetworkConfig) {
  let network: Network | undefined;
  const stack = synthStack((scope) => {
    network = new Network(scope, "network", { name: "production", config });
  });
  return { stack, network: network! };
}

describe("ipv4Host", () => {
  test("computes addresses as Terraform's cidrhost() does", () => {
    expect(ipv4Host("10.42.0.0/24", 16)).toBe("10.42.0.16");
    expect(ipv4Host("10.42.0.7/23", 300)).toBe("10.42.1.44");
  });

  test("fails on a host number outside the CIDR", () => {
    expect(() => ipv4Host("10.42.0.0/24", 255)).toThrow("Host number 255 is outside 10.42.0.0/24 (256 addresses); use a larger CIDR.");
  });
});

describe("Network, tenant mode", () => {
  const { stack, network } = synthNetwork(tenant);

  test("creates a network, an IPv4 subnet with the configured DNS servers, and a router to the external network", () => {
    const external = Object.values(stack.data.openstack_networking_network_v2)[0];
    expect(external).toEqual({ name: "public", external: true });
    const [subnet] = Object.values(stack.resource.openstack_networking_subnet_v2) as Record<string, unknown>[];
    expect(subnet).toMatchObject({
      name: "production-ipv4", cidr: "10.42.0.0/24", ip_version: 4, dns_nameservers: ["1.1.1.1"],
      allocation_pool: [{ start: "10.42.0.192", end: "10.42.0.254" }],
    });
    const [router] = Object.values(stack.resource.openstack_networking_router_v2) as Record<string, string>[];
    expect(router.external_network_id).toMatch(/^\$\{data\.openstack_networking_network_v2\.network_external-network_\w+\.id\}$/);
    expect(Object.keys(stack.resource.openstack_networking_router_interface_v2)).toHaveLength(1);
  });

  test("hands out fixed addresses below the DHCP range, a block per role", () => {
    expect(network.fixedIpv4Address(0, 0, 32)).toBe("10.42.0.16");
    expect(network.fixedIpv4Address(1, 5, 32)).toBe("10.42.0.53");
  });

  test("fails when a role has more servers than its block of fixed addresses", () => {
    expect(() => network.fixedIpv4Address(1, 32, 32)).toThrow("Server 33 does not fit the 32 fixed addresses of its role; lower the count.");
  });

  test("fails when a block would reach the DHCP range", () => {
    expect(() => network.fixedIpv4Address(6, 0, 32)).toThrow("Fixed address block 6 reaches the DHCP range of 10.42.0.0/24");
  });

  test("floating IPs come from the external network", () => {
    expect(network.floatingIpPool).toBe("public");
    expect(network.ipv6).toBe(false);
  });

  test("adds an IPv6 subnet (SLAAC) with the IPv6 DNS servers when configured", () => {
    const { stack: withIpv6, network: dualStack } = synthNetwork({ ...tenant, ipv6_cidr: "fd00:42::/64" });
    const subnets = Object.values(withIpv6.resource.openstack_networking_subnet_v2) as Record<string, unknown>[];
    expect(subnets.find((subnet) => subnet.ip_version === 6)).toMatchObject({
      cidr: "fd00:42::/64", ipv6_address_mode: "slaac", ipv6_ra_mode: "slaac", dns_nameservers: ["2606:4700:4700::1111"],
    });
    expect(Object.keys(withIpv6.resource.openstack_networking_router_interface_v2)).toHaveLength(2);
    expect(dualStack.ipv6).toBe(true);
  });

  test("sets the MTU only when configured", () => {
    expect(Object.values(stack.resource.openstack_networking_network_v2)[0]).not.toHaveProperty("mtu");
    const { stack: jumbo } = synthNetwork({ ...tenant, mtu: 8950 });
    expect(Object.values(jumbo.resource.openstack_networking_network_v2)[0]).toMatchObject({ mtu: 8950 });
  });
});

describe("Network, provider mode", () => {
  const { stack, network } = synthNetwork({ mode: "provider", network_name: "public-provider" });

  test("looks up the existing network and creates no network, router or subnet", () => {
    expect(Object.values(stack.data.openstack_networking_network_v2)).toEqual([{ name: "public-provider" }]);
    expect(stack.resource ?? {}).toEqual({});
  });

  test("has no fixed addresses and no floating IPs", () => {
    expect(network.fixedIpv4Address(0, 0, 32)).toBeUndefined();
    expect(network.floatingIpPool).toBeUndefined();
  });
});
