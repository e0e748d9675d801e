import { Construct } from "constructs";
import { ComputeServergroupV2 } from "../.gen/providers/openstack/compute-servergroup-v2";
import { CloudConfigBuilder } from "../lib/cloud-init/cloud-config";
import { addMetadataGuard } from "../lib/cloud-init/metadata-guard";
import { Port, type Connections, type IConnectable } from "./connections";
import type { Network } from "./network";
import { SecurityGroup } from "./security-group";
import { Server, type DataVolumeProps } from "./server";

/** Fixed addresses reserved for each role that has them, so adding a node never moves another. */
export const ADDRESSES_PER_ROLE = 32;

export interface ServerNode {
  /** The server's name, `<deployment>-<role>-<n>`. */
  readonly name: string;
  /** 0-based position in the role. */
  readonly index: number;
  /** The fixed IPv4 address, where the role has fixed addresses. */
  readonly fixedIpv4Address?: string;
  /** The address other servers reach it at: the fixed one, or a Terraform reference to its port. */
  readonly address: string;
  /** The address the world reaches it at, for public roles. */
  readonly publicAddress?: string;
}

export interface ServerRoleProps {
  readonly deploymentName: string;
  /** Short name of the role, e.g. `search-data`; part of every resource name. */
  readonly roleName: string;
  /** What the role's servers do; used in the security group description. */
  readonly description: string;
  readonly count: number;
  readonly network: Network;
  readonly imageId: string;
  readonly flavorName: string;
  /**
   * Boot volume sizes by flavor name, for flavors whose servers boot from a volume (see
   * ServerProps.bootVolumeSizeGiB).
   * @default every flavor boots from its own disk
   */
  readonly bootVolumeSizes?: Readonly<Record<string, number>>;
  readonly keyPairName: string;
  readonly serverGroupPolicy: "anti-affinity" | "soft-anti-affinity";
  readonly adminSshPublicKeys: readonly string[];
  /** Prefixes that may reach SSH. */
  readonly adminPrefixes: readonly string[];
  /**
   * Stateful servers are never replaced by a config edit (see Server).
   * @default false
   */
  readonly stateful?: boolean;
  /**
   * Which block of fixed addresses the role's servers take (stateful roles on tenant networks).
   * @default addresses assigned by Neutron
   */
  readonly fixedAddressBlock?: number;
  /**
   * A protected data volume on every server of the role.
   * @default no data volume
   */
  readonly dataVolume?: DataVolumeProps;
  /**
   * Reachable from outside (floating IPs on tenant networks).
   * @default false
   */
  readonly public?: boolean;
  /**
   * TCP ports the role may open to the whole Internet; see SecurityGroupProps.publicTcpPorts.
   * @default []
   */
  readonly publicTcpPorts?: readonly number[];
  /**
   * Adds the role's own software to each server's cloud-init document. It is called once every
   * server of the role exists, so a node can name its peers (`nodes`).
   * @default nothing beyond the admin keys and the data volume
   */
  readonly configureNode?: (cloudConfig: CloudConfigBuilder, node: ServerNode, nodes: readonly ServerNode[]) => void;
}

/** The props every role of one deployment shares. */
export type ServerRoleDefaults = Pick<
  ServerRoleProps,
  "deploymentName" | "network" | "imageId" | "bootVolumeSizes" | "keyPairName" | "serverGroupPolicy" | "adminSshPublicKeys" | "adminPrefixes"
>;

/**
 * The servers of one role: one security group, one anti-affinity server group, and `count`
 * servers built alike. Admin SSH from the configured prefixes and the egress every server
 * needs (packages, DNS, time) are wired here once for every role.
 */
export class ServerRole extends Construct implements IConnectable {
  readonly connections: Connections;
  readonly securityGroup: SecurityGroup;
  readonly servers: readonly Server[];
  readonly nodes: readonly ServerNode[];
  private readonly cloudConfigs: readonly CloudConfigBuilder[];

  constructor(scope: Construct, id: string, props: ServerRoleProps) {
    super(scope, id);
    const baseName = `${props.deploymentName}-${props.roleName}`;
    this.securityGroup = new SecurityGroup(this, "security-group", {
      name: baseName,
      description: `${props.description} (${props.deploymentName})`,
      ipv6: props.network.ipv6,
      publicTcpPorts: props.publicTcpPorts,
    });
    this.connections = this.securityGroup.connections;
    this.connections.allowFromPrefixes(props.adminPrefixes, Port.tcp(22), "Admin SSH");
    this.connections.allowToAnyone(Port.tcp(80), "Package mirrors and the metadata service");
    this.connections.allowToAnyone(Port.tcp(443), "Package mirrors and HTTPS APIs");
    this.connections.allowToAnyone(Port.udp(53), "DNS");
    this.connections.allowToAnyone(Port.tcp(53), "DNS over TCP");
    this.connections.allowToAnyone(Port.udp(123), "NTP");

    const serverGroup = new ComputeServergroupV2(this, "server-group", {
      name: baseName,
      policies: [props.serverGroupPolicy],
    });

    const planned = Array.from({ length: props.count }, (_, index) => ({
      name: `${baseName}-${index + 1}`,
      index,
      fixedIpv4Address:
        props.fixedAddressBlock === undefined
          ? undefined
          : props.network.fixedIpv4Address(props.fixedAddressBlock, index, ADDRESSES_PER_ROLE),
      cloudConfig: new CloudConfigBuilder(),
    }));
    this.servers = planned.map((node) => {
      node.cloudConfig.authorizeSshKeys(...props.adminSshPublicKeys);
      node.cloudConfig.setPackageUpgrade(true);
      addMetadataGuard(node.cloudConfig);
      return new Server(this, `server-${node.index + 1}`, {
        name: node.name,
        network: props.network,
        securityGroup: this.securityGroup,
        serverGroupId: serverGroup.id,
        imageId: props.imageId,
        flavorName: props.flavorName,
        bootVolumeSizeGiB: props.bootVolumeSizes?.[props.flavorName],
        keyPairName: props.keyPairName,
        metadata: { deployment: props.deploymentName, role: props.roleName },
        cloudConfig: node.cloudConfig,
        stateful: props.stateful,
        fixedIpv4Address: node.fixedIpv4Address,
        dataVolume: props.dataVolume,
        public: props.public,
      });
    });
    this.nodes = planned.map(({ name, index, fixedIpv4Address }) => ({
      name,
      index,
      fixedIpv4Address,
      address: this.servers[index].privateIpv4Address,
      publicAddress: this.servers[index].publicIpv4Address,
    }));
    this.cloudConfigs = planned.map((node) => node.cloudConfig);
    for (const node of this.nodes) props.configureNode?.(planned[node.index].cloudConfig, node, this.nodes);
  }

  /** Adds to every server's cloud-init document once the role exists: software another construct runs on these servers (the monitoring's exporters). */
  addToEachNode(configure: (cloudConfig: CloudConfigBuilder, node: ServerNode) => void): void {
    for (const node of this.nodes) configure(this.cloudConfigs[node.index], node);
  }
}
