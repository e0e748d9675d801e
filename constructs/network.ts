import { Construct } from "constructs";
import { DataOpenstackNetworkingNetworkV2 } from "../.gen/providers/openstack/data-openstack-networking-network-v2";
import { NetworkingNetworkV2 } from "../.gen/providers/openstack/networking-network-v2";
import { NetworkingRouterInterfaceV2 } from "../.gen/providers/openstack/networking-router-interface-v2";
import { NetworkingRouterV2 } from "../.gen/providers/openstack/networking-router-v2";
import { NetworkingSubnetV2 } from "../.gen/providers/openstack/networking-subnet-v2";
import type { NetworkConfig } from "../lib/config/schema";

export interface NetworkProps {
  /** Prefix of every name in Neutron, usually the deployment name. */
  readonly name: string;
  readonly config: NetworkConfig;
}

/** Addresses below this host number are left to the router and the cloud's services. */
const FIRST_FIXED_HOST = 16;
/** Neutron's DHCP hands out addresses from this host number on, so fixed addresses never collide with them. */
const FIRST_DHCP_HOST = 192;

function ipv4ToNumber(address: string): number {
  return address.split(".").reduce((total, octet) => total * 256 + Number(octet), 0);
}

function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** The `hostNumber`-th address of an IPv4 CIDR, as Terraform's cidrhost() computes it. */
export function ipv4Host(cidr: string, hostNumber: number): string {
  const [base, prefixText] = cidr.split("/");
  const size = 2 ** (32 - Number(prefixText));
  if (hostNumber < 1 || hostNumber >= size - 1) {
    throw new Error(`Host number ${hostNumber} is outside ${cidr} (${size} addresses); use a larger CIDR.`);
  }
  const network = ipv4ToNumber(base) - (ipv4ToNumber(base) % size);
  return numberToIpv4(network + hostNumber);
}

/**
 * Where the servers of a deployment are attached, in one of the shapes donated clouds have:
 * a tenant network behind a router (floating IPs for public nodes), or an existing provider
 * network whose addresses are already public.
 */
export class Network extends Construct {
  readonly networkId: string;
  readonly ipv6: boolean;
  /** The external network floating IPs come from; undefined where servers need none. */
  readonly floatingIpPool?: string;
  /** The subnet fixed addresses are taken from; undefined where Neutron assigns them. */
  readonly ipv4SubnetId?: string;
  private readonly ipv4Cidr?: string;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { config } = props;
    if (config.mode === "provider") {
      const existing = new DataOpenstackNetworkingNetworkV2(this, "provider-network", { name: config.network_name });
      this.networkId = existing.id;
      this.ipv6 = false;
      return;
    }

    const external = new DataOpenstackNetworkingNetworkV2(this, "external-network", {
      name: config.external_network,
      external: true,
    });
    const network = new NetworkingNetworkV2(this, "network", {
      name: props.name,
      description: `Private network of the ${props.name} deployment`,
      adminStateUp: true,
      mtu: config.mtu,
    });
    const router = new NetworkingRouterV2(this, "router", {
      name: props.name,
      description: `Gateway of the ${props.name} deployment to ${config.external_network}`,
      externalNetworkId: external.id,
    });
    const ipv4Subnet = new NetworkingSubnetV2(this, "subnet-ipv4", {
      name: `${props.name}-ipv4`,
      networkId: network.id,
      cidr: config.ipv4_cidr,
      ipVersion: 4,
      dnsNameservers: config.dns_nameservers.filter((server) => !server.includes(":")),
      allocationPool: [
        { start: ipv4Host(config.ipv4_cidr, FIRST_DHCP_HOST), end: ipv4Host(config.ipv4_cidr, 2 ** (32 - Number(config.ipv4_cidr.split("/")[1])) - 2) },
      ],
    });
    new NetworkingRouterInterfaceV2(this, "router-interface-ipv4", { routerId: router.id, subnetId: ipv4Subnet.id });
    if (config.ipv6_cidr) {
      const ipv6Subnet = new NetworkingSubnetV2(this, "subnet-ipv6", {
        name: `${props.name}-ipv6`,
        networkId: network.id,
        cidr: config.ipv6_cidr,
        ipVersion: 6,
        ipv6AddressMode: "slaac",
        ipv6RaMode: "slaac",
        dnsNameservers: config.dns_nameservers.filter((server) => server.includes(":")),
      });
      new NetworkingRouterInterfaceV2(this, "router-interface-ipv6", { routerId: router.id, subnetId: ipv6Subnet.id });
    }
    this.networkId = network.id;
    this.ipv4SubnetId = ipv4Subnet.id;
    this.ipv4Cidr = config.ipv4_cidr;
    this.ipv6 = config.ipv6_cidr !== undefined;
    this.floatingIpPool = config.external_network;
  }

  /**
   * A fixed IPv4 address for the `index`-th server of an address block, known at synth time so
   * that cluster members can name each other; undefined on provider networks.
   */
  fixedIpv4Address(block: number, index: number, blockSize: number): string | undefined {
    if (!this.ipv4Cidr) return undefined;
    if (index >= blockSize) {
      throw new Error(`Server ${index + 1} does not fit the ${blockSize} fixed addresses of its role; lower the count.`);
    }
    const host = FIRST_FIXED_HOST + block * blockSize + index;
    if (host >= FIRST_DHCP_HOST) {
      throw new Error(`Fixed address block ${block} reaches the DHCP range of ${this.ipv4Cidr}; use fewer roles or smaller blocks.`);
    }
    return ipv4Host(this.ipv4Cidr, host);
  }
}
