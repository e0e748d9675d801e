/**
 * What the deployments on one cloud use of its donated quota, counted on the constructs that
 * will be created, so the count follows the code: servers (with their flavors' vCPUs and RAM),
 * volumes, floating IPs, security groups and rules.
 */
import type { TerraformStack } from "cdktf";
import { BlockstorageVolumeV3 } from "../.gen/providers/openstack/blockstorage-volume-v3";
import { ComputeInstanceV2 } from "../.gen/providers/openstack/compute-instance-v2";
import { NetworkingFloatingipV2 } from "../.gen/providers/openstack/networking-floatingip-v2";
import { NetworkingSecgroupRuleV2 } from "../.gen/providers/openstack/networking-secgroup-rule-v2";
import { NetworkingSecgroupV2 } from "../.gen/providers/openstack/networking-secgroup-v2";
import type { FlavorConfig, QuotaConfig } from "./config/schema";

export type QuotaItem = keyof QuotaConfig;
export type QuotaUsage = Record<QuotaItem, number>;

export const QUOTA_ITEMS: readonly QuotaItem[] = [
  "instances", "cores", "ram_gib", "volumes", "volume_gib", "floating_ips", "security_groups", "security_group_rules",
];

export function emptyUsage(): QuotaUsage {
  return Object.fromEntries(QUOTA_ITEMS.map((item) => [item, 0])) as QuotaUsage;
}

/** The quota one stack uses; `flavors` are the cloud's, to know a server's vCPUs and RAM by its flavor name. */
export function usageOf(stack: TerraformStack, flavors: Readonly<Record<string, FlavorConfig>>): QuotaUsage {
  const byName = new Map(Object.values(flavors).map((flavor) => [flavor.name, flavor]));
  const usage = emptyUsage();
  for (const node of stack.node.findAll()) {
    if (node instanceof ComputeInstanceV2) {
      const flavor = byName.get(node.flavorNameInput ?? "");
      usage.instances += 1;
      usage.cores += flavor?.vcpus ?? 0;
      usage.ram_gib += flavor?.ram_gib ?? 0;
      // A boot volume (ServerProps.bootVolumeSizeGiB) counts against Cinder's quota.
      for (const device of (node.blockDeviceInput as { volumeSize?: number; destinationType?: string }[] | undefined) ?? []) {
        if (device.destinationType !== "volume") continue;
        usage.volumes += 1;
        usage.volume_gib += device.volumeSize ?? 0;
      }
    } else if (node instanceof BlockstorageVolumeV3) {
      usage.volumes += 1;
      usage.volume_gib += node.sizeInput ?? 0;
    } else if (node instanceof NetworkingFloatingipV2) {
      usage.floating_ips += 1;
    } else if (node instanceof NetworkingSecgroupV2) {
      usage.security_groups += 1;
    } else if (node instanceof NetworkingSecgroupRuleV2) {
      usage.security_group_rules += 1;
    }
  }
  return usage;
}

export function addUsage(a: QuotaUsage, b: QuotaUsage): QuotaUsage {
  return Object.fromEntries(QUOTA_ITEMS.map((item) => [item, a[item] + b[item]])) as QuotaUsage;
}

/** `cores 212/200` lines for the items whose usage exceeds the quota set for them. */
export function exceeded(usage: QuotaUsage, quota: QuotaConfig): string[] {
  return QUOTA_ITEMS.filter((item) => quota[item] !== undefined && usage[item] > quota[item]!).map(
    (item) => `${item}: needs ${usage[item]}, the quota is ${quota[item]}`,
  );
}

/** `instances 21/30, cores 120/200, ...` (`-` where the cloud file sets no quota). */
export function formatUsage(usage: QuotaUsage, quota: QuotaConfig): string {
  return QUOTA_ITEMS.map((item) => `${item} ${usage[item]}/${quota[item] ?? "-"}`).join(", ");
}
