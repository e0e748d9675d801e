import { Construct } from "constructs";
import { NetworkingSecgroupRuleV2 } from "../.gen/providers/openstack/networking-secgroup-rule-v2";
import { NetworkingSecgroupV2 } from "../.gen/providers/openstack/networking-secgroup-v2";
import { ANYWHERE_IPV4, ANYWHERE_IPV6, Connections, type IConnectable, type Port } from "./connections";

export interface SecurityGroupProps {
  /** Name of the group in Neutron; unique within the project, e.g. `production-search-data`. */
  readonly name: string;
  /** What the group protects; shown in the cloud and required by the policy checks. */
  readonly description: string;
  /**
   * Also create IPv6 rules for group peers and for "anywhere".
   * @default false
   */
  readonly ipv6?: boolean;
  /**
   * TCP ports this group may open to the whole Internet; the policy checks refuse any other
   * world-open ingress. Only the public front end has some.
   * @default []
   */
  readonly publicTcpPorts?: readonly number[];
}

export interface RuleSpec {
  readonly direction: "ingress" | "egress";
  readonly port: Port;
  /** The peer group; exactly one of remoteGroup and remotePrefix. */
  readonly remoteGroup?: SecurityGroup;
  readonly remotePrefix?: string;
  readonly description: string;
}

/**
 * A Neutron security group with its default rules removed: every allowed flow, egress
 * included, is a rule added through `connections`.
 */
export class SecurityGroup extends Construct implements IConnectable {
  readonly resource: NetworkingSecgroupV2;
  readonly connections: Connections;
  readonly groupName: string;
  readonly publicTcpPorts: readonly number[];
  private readonly ethertypes: readonly ("IPv4" | "IPv6")[];

  constructor(scope: Construct, id: string, props: SecurityGroupProps) {
    super(scope, id);
    if (!props.description.trim()) {
      throw new Error(`SecurityGroup ${this.node.path}: description is empty; describe what the group protects.`);
    }
    this.groupName = props.name;
    this.publicTcpPorts = props.publicTcpPorts ?? [];
    this.ethertypes = props.ipv6 ? ["IPv4", "IPv6"] : ["IPv4"];
    this.resource = new NetworkingSecgroupV2(this, "group", {
      name: props.name,
      description: props.description,
      deleteDefaultRules: true,
    });
    this.connections = new Connections(this);
  }

  /** The prefixes that mean "the whole Internet" for the address families in use. */
  get anywherePrefixes(): readonly string[] {
    return this.ethertypes.map((ethertype) => (ethertype === "IPv4" ? ANYWHERE_IPV4 : ANYWHERE_IPV6));
  }

  /** Adds a rule once; the same rule asked for twice (two wirings needing one flow) is created once. */
  addRule(rule: RuleSpec): void {
    if (!rule.description.trim()) {
      throw new Error(`SecurityGroup ${this.node.path}: rule ${rule.direction} ${rule.port} has no description; say why the flow is needed.`);
    }
    if ((rule.remoteGroup === undefined) === (rule.remotePrefix === undefined)) {
      throw new Error(`SecurityGroup ${this.node.path}: rule ${rule.direction} ${rule.port} needs exactly one of remoteGroup and remotePrefix.`);
    }
    const ethertypes = rule.remotePrefix ? [rule.remotePrefix.includes(":") ? "IPv6" : "IPv4"] : this.ethertypes;
    const peer = rule.remoteGroup ? rule.remoteGroup.groupName : rule.remotePrefix!.replace(/[^0-9a-zA-Z]+/g, "-").replace(/^-|-$/g, "");
    for (const ethertype of ethertypes) {
      const id = `${rule.direction}-${rule.port}-${peer}-${ethertype.toLowerCase()}`;
      if (this.node.tryFindChild(id)) continue;
      new NetworkingSecgroupRuleV2(this, id, {
        securityGroupId: this.resource.id,
        direction: rule.direction,
        ethertype,
        protocol: rule.port.protocol,
        portRangeMin: rule.port.fromPort,
        portRangeMax: rule.port.toPort,
        remoteGroupId: rule.remoteGroup?.resource.id,
        remoteIpPrefix: rule.remotePrefix,
        description: rule.description,
      });
    }
  }
}
