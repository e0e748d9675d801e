import { Aspects, TerraformStack, Testing } from "cdktf";
import { BlockstorageVolumeV3 } from "../.gen/providers/openstack/blockstorage-volume-v3";
import { ComputeInstanceV2 } from "../.gen/providers/openstack/compute-instance-v2";
import { NetworkingSecgroupRuleV2 } from "../.gen/providers/openstack/networking-secgroup-rule-v2";
import { NetworkingSecgroupV2 } from "../.gen/providers/openstack/networking-secgroup-v2";
import { OpenstackProvider } from "../.gen/providers/openstack/provider";
import { Port } from "../constructs/connections";
import { PolicyChecks } from "../constructs/policy-checks";
import { SecurityGroup } from "../constructs/security-group";

/** Synthesizes a stack with the policy checks applied; returns the violations, or [] when synth passes. */
function violations(build: (stack: TerraformStack) => void, providerConfig: Record<string, string> = { cloud: "c" }): string[] {
  const stack = new TerraformStack(Testing.app(), "policy");
  new OpenstackProvider(stack, "openstack", providerConfig);
  PolicyChecks.applyTo(stack);
  build(stack);
  try {
    Testing.synth(stack, true);
    return [];
  } catch (error) {
    return (error as Error).message.split("\n").map((line) => line.trim()).filter((line) => line.startsWith("["));
  }
}

const frontend = (stack: TerraformStack) =>
  new SecurityGroup(stack, "frontend", { name: "d-frontend", description: "Front end", publicTcpPorts: [80, 443] });

describe("PolicyChecks", () => {
  test("passes the public front end's ports open to the world", () => {
    expect(violations((stack) => frontend(stack).connections.allowFromAnyone(Port.tcp(443), "HTTPS"))).toEqual([]);
  });

  test("fails a world-open admin port, with the construct path and the fix", () => {
    expect(violations((stack) => frontend(stack).connections.allowFromAnyone(Port.tcp(22), "SSH"))).toEqual([
      "[policy/frontend/ingress-tcp-22-0-0-0-0-0-ipv4] ingress from 0.0.0.0/0 on tcp 22 opens the port to the whole Internet. " +
        "Only the ports a public role declares may be (80 and 443 of the front end and the recheck dashboard, and frontend.extra_public_ports); " +
        "allow the admin prefixes (admin.ssh_allowed_prefixes) or a peer security group instead.",
    ]);
  });

  test("fails a world-open port on a group that has no public ports, for IPv6 too", () => {
    expect(
      violations((stack) => {
        new SecurityGroup(stack, "cluster", { name: "d-cluster", description: "Cluster", ipv6: true }).connections.allowFromAnyone(Port.tcp(443), "HTTPS");
      }),
    ).toEqual([
      expect.stringMatching(/^\[policy\/cluster\/ingress-tcp-443-0-0-0-0-0-ipv4\] ingress from 0\.0\.0\.0\/0 on tcp 443 opens/),
      expect.stringMatching(/^\[policy\/cluster\/ingress-tcp-443-0-ipv6\] ingress from ::\/0 on tcp 443 opens/),
    ]);
  });

  test("fails a world-open rule written without the constructs, and one with no port range", () => {
    expect(
      violations((stack) => {
        const group = new NetworkingSecgroupV2(stack, "raw-group", { name: "raw", description: "Raw" });
        new NetworkingSecgroupRuleV2(stack, "raw-rule", {
          securityGroupId: group.id, direction: "ingress", ethertype: "IPv4", protocol: "tcp",
          portRangeMin: 443, portRangeMax: 443, remoteIpPrefix: "0.0.0.0/0", description: "raw",
        });
        new NetworkingSecgroupRuleV2(stack, "any-rule", { securityGroupId: group.id, direction: "ingress", ethertype: "IPv4", description: "any" });
      }),
    ).toEqual([
      expect.stringMatching(/^\[policy\/raw-rule\] ingress from 0\.0\.0\.0\/0 on tcp 443 opens/),
      expect.stringMatching(/^\[policy\/any-rule\] ingress from anywhere on any protocol opens/),
    ]);
  });

  test("fails a security group or rule without a description", () => {
    expect(
      violations((stack) => {
        const group = new NetworkingSecgroupV2(stack, "group", { name: "g" });
        new NetworkingSecgroupRuleV2(stack, "rule", { securityGroupId: group.id, direction: "egress", ethertype: "IPv4" });
      }),
    ).toEqual([
      "[policy/group] security group has no description; say what it protects.",
      "[policy/rule] security group rule has no description; say why the flow is needed.",
    ]);
  });

  test("fails a volume without prevent_destroy", () => {
    expect(violations((stack) => new BlockstorageVolumeV3(stack, "volume", { size: 10 }))).toEqual([
      "[policy/volume] data volume is not protected; set lifecycle.preventDestroy (Server does this for its data volume).",
    ]);
    expect(violations((stack) => new BlockstorageVolumeV3(stack, "volume", { size: 10, lifecycle: { preventDestroy: true } }))).toEqual([]);
  });

  test("fails a server with an admin password", () => {
    expect(violations((stack) => new ComputeInstanceV2(stack, "server", { name: "s", adminPass: "hunter22" }))).toEqual([
      "[policy/server] admin_pass is set; servers are reached with SSH keys only, remove adminPass.",
    ]);
  });

  test("fails credentials in the provider block", () => {
    expect(violations(() => undefined, { cloud: "c", password: "x", applicationCredentialSecret: "y" })).toEqual([
      "[policy/openstack] provider argument password is set; credentials belong in clouds.yaml, name the entry with cloud instead.",
      "[policy/openstack] provider argument applicationCredentialSecret is set; credentials belong in clouds.yaml, name the entry with cloud instead.",
    ]);
  });

  test("is an aspect, so it also sees constructs added after it was applied", () => {
    const stack = new TerraformStack(Testing.app(), "late");
    PolicyChecks.applyTo(stack);
    expect(Aspects.of(stack).all.some((aspect) => aspect instanceof PolicyChecks)).toBe(true);
  });
});
