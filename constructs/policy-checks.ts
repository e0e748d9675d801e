import { Aspects, Token, type IAspect, type TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { BlockstorageVolumeV3 } from "../.gen/providers/openstack/blockstorage-volume-v3";
import { ComputeInstanceV2 } from "../.gen/providers/openstack/compute-instance-v2";
import { NetworkingSecgroupRuleV2 } from "../.gen/providers/openstack/networking-secgroup-rule-v2";
import { NetworkingSecgroupV2 } from "../.gen/providers/openstack/networking-secgroup-v2";
import { OpenstackProvider } from "../.gen/providers/openstack/provider";
import { ANYWHERE_IPV4, ANYWHERE_IPV6 } from "./connections";
import { SecurityGroup } from "./security-group";

/** Provider arguments that carry credentials; they belong in clouds.yaml, never in the stack. */
const CREDENTIAL_ARGUMENTS = [
  "password", "token", "applicationCredentialSecret", "applicationCredentialId", "applicationCredentialName",
  "userName", "userId", "key", "cert",
] as const;

/**
 * The project's safety rules, checked on every synthesized stack: a violation fails synth with
 * the construct path and the fix. They hold for code written later too, including escape
 * hatches that bypass the constructs.
 */
export class PolicyChecks implements IAspect {
  /** Applies the checks to every construct of `stack`. */
  static applyTo(stack: TerraformStack): void {
    Aspects.of(stack).add(new PolicyChecks());
  }

  visit(node: IConstruct): void {
    // Aspects run before validations during synth: a failed check fails synth, naming the construct's path.
    const fail = (message: string) => node.node.addValidation({ validate: () => [message] });

    if (node instanceof NetworkingSecgroupRuleV2) this.checkRule(node, fail);
    if (node instanceof NetworkingSecgroupV2 && !node.descriptionInput?.trim()) {
      fail("security group has no description; say what it protects.");
    }
    if (node instanceof BlockstorageVolumeV3 && !node.lifecycle?.preventDestroy) {
      fail("data volume is not protected; set lifecycle.preventDestroy (Server does this for its data volume).");
    }
    if (node instanceof ComputeInstanceV2 && node.adminPassInput !== undefined) {
      fail("admin_pass is set; servers are reached with SSH keys only, remove adminPass.");
    }
    if (node instanceof OpenstackProvider) {
      for (const argument of CREDENTIAL_ARGUMENTS) {
        if (node[argument] !== undefined) {
          fail(`provider argument ${argument} is set; credentials belong in clouds.yaml, name the entry with cloud instead.`);
        }
      }
    }
  }

  private checkRule(rule: NetworkingSecgroupRuleV2, fail: (message: string) => void): void {
    if (!rule.descriptionInput?.trim()) fail("security group rule has no description; say why the flow is needed.");
    if (rule.directionInput !== "ingress") return;
    const prefix = rule.remoteIpPrefixInput;
    const worldOpen = prefix === ANYWHERE_IPV4 || prefix === ANYWHERE_IPV6 || (prefix === undefined && rule.remoteGroupIdInput === undefined);
    if (!worldOpen) return;
    const group = rule.node.scope instanceof SecurityGroup ? rule.node.scope : undefined;
    const allowed = group?.publicTcpPorts ?? [];
    const protocol = rule.protocolInput;
    const from = rule.portRangeMinInput;
    const to = rule.portRangeMaxInput;
    const ports = from === undefined || Token.isUnresolved(from) ? undefined : Array.from({ length: (to ?? from) - from + 1 }, (_, i) => from + i);
    const permitted = protocol === "tcp" && ports !== undefined && ports.every((port) => allowed.includes(port));
    if (!permitted) {
      const what = `${protocol ?? "any protocol"}${from === undefined ? "" : ` ${from}${to !== undefined && to !== from ? `-${to}` : ""}`}`;
      fail(
        `ingress from ${prefix ?? "anywhere"} on ${what} opens the port to the whole Internet. ` +
          `Only the ports a public role declares may be (80 and 443 of the front end and the recheck dashboard, and frontend.extra_public_ports); ` +
          `allow the admin prefixes (admin.ssh_allowed_prefixes) or a peer security group instead.`,
      );
    }
  }
}
