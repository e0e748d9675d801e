import { TerraformStack, Testing } from "cdktf";
import { BlockstorageVolumeV3 } from "../.gen/providers/openstack/blockstorage-volume-v3";
import { ComputeInstanceV2 } from "../.gen/providers/openstack/compute-instance-v2";
import { addUsage, exceeded, formatUsage, usageOf } from "../lib/quota";
import { copyExampleConfig, editConfig } from "./support/config-fixture";
import { synthConfig } from "./support/synth";

describe("usageOf", () => {
  test("counts servers with their flavors' vCPUs and RAM, and volumes with their size", () => {
    const stack = new TerraformStack(Testing.app(), "quota");
    new ComputeInstanceV2(stack, "a", { name: "a", flavorName: "m1.large" });
    new ComputeInstanceV2(stack, "b", { name: "b", flavorName: "m1.large" });
    new BlockstorageVolumeV3(stack, "v", { size: 100, lifecycle: { preventDestroy: true } });
    const usage = usageOf(stack, { large: { name: "m1.large", vcpus: 4, ram_gib: 8, disk_gib: 80 } });
    expect(usage).toMatchObject({ instances: 2, cores: 8, ram_gib: 16, volumes: 1, volume_gib: 100, floating_ips: 0 });
  });
});

describe("usageOf, with boot volumes", () => {
  test("counts each server's boot volume as a volume of its size", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "clouds/example-cloud.yaml", "    disk_gib: 40\n", "    disk_gib: 0\n    boot_volume_gib: 50\n");
    editConfig(dir, "clouds/example-cloud.yaml", "  volumes: 10\n  volume_gib: 7000\n", "  volumes: 20\n  volume_gib: 8000\n");
    // evaluation: 1 data volume of 200 GiB and the monitoring's of 10; its worker, recheck, front end and monitoring server use general-2x4, now booted from 50 GiB volumes.
    expect(synthConfig(dir).evaluation["//"].quota.stack_usage).toMatchObject({ instances: 5, volumes: 6, volume_gib: 410 });
  });
});

describe("exceeded", () => {
  test("names each item over the quota with both figures, and ignores items without a quota", () => {
    const usage = addUsage(
      { instances: 10, cores: 100, ram_gib: 300, volumes: 2, volume_gib: 500, floating_ips: 1, security_groups: 4, security_group_rules: 50 },
      { instances: 12, cores: 120, ram_gib: 300, volumes: 2, volume_gib: 500, floating_ips: 1, security_groups: 4, security_group_rules: 50 },
    );
    expect(exceeded(usage, { instances: 20, cores: 200, floating_ips: 1 })).toEqual([
      "instances: needs 22, the quota is 20",
      "cores: needs 220, the quota is 200",
      "floating_ips: needs 2, the quota is 1",
    ]);
    expect(formatUsage(usage, { instances: 20 })).toMatch(/^instances 22\/20, cores 220\/-, /);
  });
});

describe("the example deployments", () => {
  test("fail synth when together they exceed their cloud's quota, naming the cloud and the deployments", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "clouds/example-cloud.yaml", "  cores: 200", "  cores: 150");
    expect(() => synthConfig(dir)).toThrow(/example-cloud\.yaml: quota: cores: needs 160, the quota is 150 \(deployments evaluation, production\)/);
  });
});
