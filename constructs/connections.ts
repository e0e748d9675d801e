/**
 * Security wiring in the style of aws-cdk's Connections: code says who may talk to whom on
 * which port, and the rules on both security groups follow from it.
 *
 *   cluster.connections.allowFrom(workers, Port.tcp(9200), "ingestion writes logs");
 */
import type { SecurityGroup } from "./security-group";

export type Protocol = "tcp" | "udp" | "icmp";

export class Port {
  static tcp(port: number): Port {
    return new Port("tcp", port, port);
  }

  static tcpRange(from: number, to: number): Port {
    return new Port("tcp", from, to);
  }

  static udp(port: number): Port {
    return new Port("udp", port, port);
  }

  static allIcmp(): Port {
    return new Port("icmp");
  }

  private constructor(
    readonly protocol: Protocol,
    readonly fromPort?: number,
    readonly toPort?: number,
  ) {
    for (const value of [fromPort, toPort]) {
      if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > 65535)) {
        throw new Error(`Port ${value} is not a port number; expected a whole number from 1 to 65535.`);
      }
    }
    if (fromPort !== undefined && toPort !== undefined && fromPort > toPort) {
      throw new Error(`Port range ${fromPort}-${toPort} is reversed; expected the lower port first.`);
    }
  }

  /** `tcp-9200`, `tcp-9300-9400`, `icmp`: stable, so usable in construct ids. */
  toString(): string {
    if (this.fromPort === undefined) return this.protocol;
    return this.fromPort === this.toPort ? `${this.protocol}-${this.fromPort}` : `${this.protocol}-${this.fromPort}-${this.toPort}`;
  }

  /** Whether every port of this one is among `ports` (single TCP ports). */
  isWithin(protocol: Protocol, ports: readonly number[]): boolean {
    if (this.protocol !== protocol || this.fromPort === undefined || this.toPort === undefined) return false;
    for (let port = this.fromPort; port <= this.toPort; port++) if (!ports.includes(port)) return false;
    return true;
  }
}

/** Anything with a security group of its own: a role's servers, the search cluster, ... */
export interface IConnectable {
  readonly connections: Connections;
}

export const ANYWHERE_IPV4 = "0.0.0.0/0";
export const ANYWHERE_IPV6 = "::/0";

export class Connections implements IConnectable {
  constructor(readonly securityGroup: SecurityGroup) {}

  get connections(): Connections {
    return this;
  }

  /** Lets `other` open connections to us on `port`: ingress on our group, egress on theirs. */
  allowFrom(other: IConnectable, port: Port, description: string): void {
    const peer = other.connections.securityGroup;
    this.securityGroup.addRule({ direction: "ingress", port, remoteGroup: peer, description });
    if (peer !== this.securityGroup) {
      peer.addRule({ direction: "egress", port, remoteGroup: this.securityGroup, description });
    }
  }

  /** Lets us open connections to `other` on `port`. */
  allowTo(other: IConnectable, port: Port, description: string): void {
    other.connections.allowFrom(this, port, description);
  }

  /** Lets members of our own group talk to each other on `port` (a cluster's transport). */
  allowInternally(port: Port, description: string): void {
    this.securityGroup.addRule({ direction: "ingress", port, remoteGroup: this.securityGroup, description });
    this.securityGroup.addRule({ direction: "egress", port, remoteGroup: this.securityGroup, description });
  }

  allowFromPrefixes(prefixes: readonly string[], port: Port, description: string): void {
    for (const prefix of prefixes) this.securityGroup.addRule({ direction: "ingress", port, remotePrefix: prefix, description });
  }

  /** Opens `port` to the whole Internet; the policy checks refuse this except on the public front end. */
  allowFromAnyone(port: Port, description: string): void {
    this.allowFromPrefixes(this.securityGroup.anywherePrefixes, port, description);
  }

  allowToPrefixes(prefixes: readonly string[], port: Port, description: string): void {
    for (const prefix of prefixes) this.securityGroup.addRule({ direction: "egress", port, remotePrefix: prefix, description });
  }

  allowToAnyone(port: Port, description: string): void {
    this.allowToPrefixes(this.securityGroup.anywherePrefixes, port, description);
  }
}
