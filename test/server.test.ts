import { Network } from "../constructs/network";
import { SecurityGroup } from "../constructs/security-group";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FIND_DATA_VOLUME_FUNCTION, Server, type ServerProps } from "../constructs/server";
import { CloudConfigBuilder, MAX_USER_DATA_BYTES } from "../lib/cloud-init/cloud-config";
import type { NetworkConfig } from "../lib/config/schema";
import { resources, synthStack } from "./support/stack";

const tenant: NetworkConfig = { mode: "tenant", external_network: "public", ipv4_cidr: "10.42.0.0/24", dns_nameservers: [] };

function synthServer(props: Partial<ServerProps>, networkConfig: NetworkConfig = tenant) {
  let server: Server | undefined;
  const cloudConfig = new CloudConfigBuilder();
  const stack = synthStack((scope) => {
    const network = new Network(scope, "network", { name: "d", config: networkConfig });
    server = new Server(scope, "server", {
      name: "d-role-1",
      network,
      securityGroup: new SecurityGroup(scope, "group", { name: "d-role", description: "Role" }),
      serverGroupId: "group-id",
      imageId: "image-id",
      flavorName: "m1.large",
      keyPairName: "d-admin",
      metadata: { deployment: "d", role: "role" },
      cloudConfig,
      ...props,
    });
  });
  return { stack, server: server!, cloudConfig };
}

describe("Server, stateful", () => {
  const { stack, server, cloudConfig } = synthServer({
    stateful: true,
    fixedIpv4Address: "10.42.0.48",
    dataVolume: { sizeGiB: 100, mountPath: "/var/lib/search" },
  });
  const [instance] = resources(stack, "openstack_compute_instance_v2");

  test("keeps its own port with the fixed address and the role's security group", () => {
    const [port] = resources(stack, "openstack_networking_port_v2");
    expect(port).toMatchObject({ name: "d-role-1", fixed_ip: [{ ip_address: "10.42.0.48" }], admin_state_up: true });
    expect(port.security_group_ids).toEqual([expect.stringMatching(/^\$\{openstack_networking_secgroup_v2\.group_\w+\.id\}$/)]);
    expect(instance.network).toEqual([{ port: expect.stringMatching(/^\$\{openstack_networking_port_v2\.server_port_\w+\.id\}$/) }]);
    expect(instance).not.toHaveProperty("security_groups");
    expect(server.privateIpv4Address).toBe("10.42.0.48");
  });

  test("is never replaced by a change of user data or image", () => {
    expect(instance.lifecycle).toEqual({ ignore_changes: ["user_data", "image_id"] });
  });

  test("boots with the image, flavor, key pair, metadata and anti-affinity group given", () => {
    expect(instance).toMatchObject({
      name: "d-role-1", image_id: "image-id", flavor_name: "m1.large", key_pair: "d-admin",
      metadata: { deployment: "d", role: "role" }, scheduler_hints: [{ group: "group-id" }],
    });
  });

  test("has a protected data volume, attached to it", () => {
    expect(resources(stack, "openstack_blockstorage_volume_v3")).toEqual([
      expect.objectContaining({ name: "d-role-1-data", size: 100, enable_online_resize: true, lifecycle: { prevent_destroy: true } }),
    ]);
    expect(resources(stack, "openstack_compute_volume_attach_v2")).toEqual([
      expect.objectContaining({
        instance_id: expect.stringMatching(/^\$\{openstack_compute_instance_v2\.server_instance_\w+\.id\}$/),
        volume_id: expect.stringMatching(/^\$\{openstack_blockstorage_volume_v3\.server_data-volume_\w+\.id\}$/),
      }),
    ]);
  });

  test("mounts the volume by its virtio serial, the first 20 characters of its id", () => {
    expect(instance.user_data).toContain("DATA_VOLUME_SERIAL=${substr(openstack_blockstorage_volume_v3.server_data-volume_");
    expect(instance.user_data).toContain("DATA_VOLUME_MOUNT_PATH=/var/lib/search");
    expect(cloudConfig.systemdUnitFiles()["mount-data-volume.service"]).toContain("ExecStart=/usr/local/sbin/mount-data-volume");
  });

  test("formats the volume only when it holds no filesystem, and mounts it with nofail", () => {
    const [script] = cloudConfig.scripts();
    expect(script.content).toContain('2) mkfs.ext4 -q -L data "$device" ;;');
    expect(script.content).toContain("refusing to format it");
    expect(script.content).toContain("defaults,nofail,");
  });
});

describe("finding the data volume by its serial", () => {
  const serial = "3f1c2a7e-9b4d-4e21-8";
  const volumeId = "3f1c2a7e-9b4d-4e21-8a6c-0d2f5e7b9c11";

  function found(links: string[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "by-id-"));
    try {
      for (const link of links) fs.writeFileSync(path.join(dir, link), "");
      const result = spawnSync("bash", ["-c", `${FIND_DATA_VOLUME_FUNCTION}data_volume_device`], {
        encoding: "utf8",
        env: { PATH: process.env.PATH, DISK_BY_ID_DIR: dir, DATA_VOLUME_SERIAL: serial },
      });
      return result.status === 0 ? path.basename(result.stdout.trim()) : `exit ${result.status}`;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test.each([
    ["virtio-blk", [`virtio-${serial}`, `virtio-${serial}-part1`, "virtio-0000aaaa-bbbb-cccc-d"], `virtio-${serial}`],
    ["virtio-scsi, truncated serial", [`scsi-0QEMU_QEMU_HARDDISK_${serial}-part1`, `scsi-0QEMU_QEMU_HARDDISK_${serial}`], `scsi-0QEMU_QEMU_HARDDISK_${serial}`],
    ["virtio-scsi, whole id", [`scsi-0QEMU_QEMU_HARDDISK_${volumeId}`, `scsi-SQEMU_QEMU_HARDDISK_${volumeId}`], `scsi-0QEMU_QEMU_HARDDISK_${volumeId}`],
    ["another volume only", ["virtio-0000aaaa-bbbb-cccc-d", "scsi-0QEMU_QEMU_HARDDISK_root"], "exit 1"],
  ])("%s", (_, links, expected) => {
    expect(found(links)).toBe(expected);
  });
});

describe("Server, stateless", () => {
  const { stack, server } = synthServer({});
  const [instance] = resources(stack, "openstack_compute_instance_v2");

  test("is replaced by a new server created before the old one is destroyed", () => {
    expect(instance.lifecycle).toEqual({ create_before_destroy: true });
  });

  test("lets Nova create its port, with the role's security group by name", () => {
    expect(resources(stack, "openstack_networking_port_v2")).toEqual([]);
    expect(instance.network).toEqual([{ uuid: expect.stringMatching(/^\$\{openstack_networking_network_v2\.network_\w+\.id\}$/) }]);
    expect(instance.security_groups).toEqual([expect.stringMatching(/^\$\{openstack_networking_secgroup_v2\.group_\w+\.name\}$/)]);
    expect(server.publicIpv4Address).toBeUndefined();
  });

  test("fails with a data volume", () => {
    expect(() => synthServer({ dataVolume: { sizeGiB: 10, mountPath: "/data" } })).toThrow(
      "Server d-role-1: a data volume needs a stateful server; set stateful: true.",
    );
  });

  test("fails with a fixed address", () => {
    expect(() => synthServer({ fixedIpv4Address: "10.42.0.20" })).toThrow(
      "Server d-role-1: a fixed address needs a stateful server; set stateful: true or drop the address.",
    );
  });

  test("fails a user data document over Nova's limit, naming the server, its role and the size", () => {
    const cloudConfig = new CloudConfigBuilder();
    cloudConfig.addFile({ path: "/etc/large", content: "x".repeat(MAX_USER_DATA_BYTES) });
    expect(() => synthServer({ cloudConfig })).toThrow(new RegExp(`Server d-role-1 \\(role role\\): cloud-config user data is \\d+ bytes; the limit is ${MAX_USER_DATA_BYTES} bytes`));
  });
});

describe("Server, booted from a volume", () => {
  const expectedDevice = { source_type: "image", uuid: "image-id", destination_type: "volume", volume_size: 60, boot_index: 0, delete_on_termination: true };

  test("boots from a volume of the size given, made from the image and deleted with the server, without image_id", () => {
    const [instance] = resources(synthServer({ bootVolumeSizeGiB: 60 }).stack, "openstack_compute_instance_v2");
    expect(instance.block_device).toEqual([expectedDevice]);
    expect(instance).not.toHaveProperty("image_id");
    expect(instance.lifecycle).toEqual({ create_before_destroy: true });
  });

  test("when stateful, is not replaced by a new image either: it ignores block_device too", () => {
    const { stack } = synthServer({ bootVolumeSizeGiB: 60, stateful: true, dataVolume: { sizeGiB: 100, mountPath: "/var/lib/search" } });
    const [instance] = resources(stack, "openstack_compute_instance_v2");
    expect(instance.lifecycle).toEqual({ ignore_changes: ["user_data", "image_id", "block_device"] });
    expect(resources(stack, "openstack_blockstorage_volume_v3").map((volume) => volume.lifecycle)).toEqual([{ prevent_destroy: true }]);
  });

  test.each([0, 2.5, -10])("fails with a boot volume of %s GiB", (size) => {
    expect(() => synthServer({ bootVolumeSizeGiB: size })).toThrow(`Server d-role-1: bootVolumeSizeGiB must be a whole number of GiB above 0; got ${size}.`);
  });
});

describe("Server, public", () => {
  test("gets a floating IP from the external network, associated with its port", () => {
    const { stack, server } = synthServer({ public: true });
    expect(resources(stack, "openstack_networking_floatingip_v2")).toEqual([expect.objectContaining({ pool: "public" })]);
    expect(resources(stack, "openstack_networking_floatingip_associate_v2")).toEqual([
      expect.objectContaining({ port_id: expect.stringMatching(/^\$\{openstack_compute_instance_v2\.server_instance_\w+\.network\[0\]\.port\}$/) }),
    ]);
    expect(server.publicIpv4Address).toMatch(/^\$\{TfToken\[TOKEN\.\d+\]\}$/);
  });

  test("on a provider network uses its own address and no floating IP", () => {
    const { stack, server } = synthServer({ public: true }, { mode: "provider", network_name: "public-provider" });
    expect(resources(stack, "openstack_networking_floatingip_v2")).toEqual([]);
    expect(server.publicIpv4Address).toBe(server.privateIpv4Address);
  });
});
