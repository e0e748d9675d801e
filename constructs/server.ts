import { Fn, Lazy } from "cdktf";
import { Construct } from "constructs";
import { BlockstorageVolumeV3 } from "../.gen/providers/openstack/blockstorage-volume-v3";
import { ComputeInstanceV2 } from "../.gen/providers/openstack/compute-instance-v2";
import { ComputeVolumeAttachV2 } from "../.gen/providers/openstack/compute-volume-attach-v2";
import { NetworkingFloatingipAssociateV2 } from "../.gen/providers/openstack/networking-floatingip-associate-v2";
import { NetworkingFloatingipV2 } from "../.gen/providers/openstack/networking-floatingip-v2";
import { NetworkingPortV2 } from "../.gen/providers/openstack/networking-port-v2";
import { NODE_CONFIG_DIR, type CloudConfigBuilder } from "../lib/cloud-init/cloud-config";
import type { Network } from "./network";
import type { SecurityGroup } from "./security-group";


export interface DataVolumeProps {
  readonly sizeGiB: number;
  /** Where the volume is mounted, e.g. `/var/lib/search`. */
  readonly mountPath: string;
  /**
   * Cinder volume type.
   * @default the cloud's default type
   */
  readonly volumeType?: string;
}

export interface ServerProps {
  /** Name of the server in Nova, also its host name. */
  readonly name: string;
  readonly network: Network;
  readonly securityGroup: SecurityGroup;
  readonly serverGroupId: string;
  readonly imageId: string;
  readonly flavorName: string;
  /**
   * Boot from a Cinder volume of this size, made from the image when the server is created and
   * deleted with it, instead of the flavor's own disk (flavors with disk 0 need it).
   * @default the flavor's disk
   */
  readonly bootVolumeSizeGiB?: number;
  readonly keyPairName: string;
  /** Nova metadata; the deployment and role are the minimum. */
  readonly metadata: Record<string, string>;
  /** The server's cloud-init document; the server adds the data volume's mount to it. */
  readonly cloudConfig: CloudConfigBuilder;
  /**
   * A stateful server is never replaced by a config edit: changes to its user data or image
   * are ignored, and it is replaced one node at a time on purpose (see the README). A stateless
   * one is replaced by a new server created before the old one is destroyed.
   * @default false
   */
  readonly stateful?: boolean;
  /**
   * A fixed IPv4 address on the network, for stateful servers that others name at synth time.
   * @default an address assigned by Neutron
   */
  readonly fixedIpv4Address?: string;
  /**
   * A data volume, protected from destruction. Stateful servers only.
   * @default no data volume
   */
  readonly dataVolume?: DataVolumeProps;
  /**
   * Reachable from outside: a floating IP where the network uses them.
   * @default false
   */
  readonly public?: boolean;
}

/** The server's user data; a document over Nova's limit fails naming the server and its role. */
function renderUserData(props: ServerProps): string {
  try {
    return props.cloudConfig.render();
  } catch (error) {
    throw new Error(`Server ${props.name} (role ${props.metadata.role}): ${(error as Error).message}`);
  }
}

/**
 * One server: instance, its network attachment, an optional protected data volume mounted by
 * its stable virtio id, and a floating IP when it must be reachable from outside.
 */
export class Server extends Construct {
  /** The server's name in Nova, `<deployment>-<role>-<n>`. */
  readonly name: string;
  readonly instance: ComputeInstanceV2;
  /** The IPv4 address other servers reach this one at (a Terraform reference when Neutron assigns it). */
  readonly privateIpv4Address: string;
  /** The address the world reaches this server at; undefined for servers that are not public. */
  readonly publicIpv4Address?: string;
  readonly dataVolume?: BlockstorageVolumeV3;

  constructor(scope: Construct, id: string, props: ServerProps) {
    super(scope, id);
    this.name = props.name;
    const stateful = props.stateful ?? false;
    if (!stateful && props.dataVolume) {
      throw new Error(`Server ${props.name}: a data volume needs a stateful server; set stateful: true.`);
    }
    if (!stateful && props.fixedIpv4Address) {
      // A replacement created before the old server is destroyed could not take the same address.
      throw new Error(`Server ${props.name}: a fixed address needs a stateful server; set stateful: true or drop the address.`);
    }

    if (props.dataVolume) {
      this.dataVolume = this.addDataVolume(props.name, props.dataVolume, props.cloudConfig);
    }

    // A stateful server keeps its own port, so its address survives a replacement of the server.
    const port = stateful
      ? new NetworkingPortV2(this, "port", {
          name: props.name,
          description: `Port of ${props.name}`,
          networkId: props.network.networkId,
          adminStateUp: true,
          securityGroupIds: [props.securityGroup.resource.id],
          fixedIp: props.fixedIpv4Address
            ? [{ subnetId: props.network.ipv4SubnetId!, ipAddress: props.fixedIpv4Address }]
            : undefined,
        })
      : undefined;

    if (props.bootVolumeSizeGiB !== undefined && !(Number.isInteger(props.bootVolumeSizeGiB) && props.bootVolumeSizeGiB > 0)) {
      throw new Error(`Server ${props.name}: bootVolumeSizeGiB must be a whole number of GiB above 0; got ${props.bootVolumeSizeGiB}.`);
    }
    this.instance = new ComputeInstanceV2(this, "instance", {
      name: props.name,
      // Booted from a volume, the image is the volume's source: with image_id set too, provider
      // 3.4.0 reads it back as "Attempt to boot from volume - no image supplied" and would rebuild.
      ...(props.bootVolumeSizeGiB === undefined
        ? { imageId: props.imageId }
        : {
            blockDevice: [{
              sourceType: "image",
              uuid: props.imageId,
              destinationType: "volume",
              volumeSize: props.bootVolumeSizeGiB,
              bootIndex: 0,
              // What the provider reads back for a boot volume; anything else would replace the server.
              deleteOnTermination: true,
            }],
          }),
      flavorName: props.flavorName,
      keyPair: props.keyPairName,
      metadata: props.metadata,
      // Rendered at synth, so that what is added to the document after the server was created
      // (for instance the addresses of the other cluster members) is part of it.
      userData: Lazy.stringValue({ produce: () => renderUserData(props) }),
      schedulerHints: [{ group: props.serverGroupId }],
      network: [port ? { port: port.id } : { uuid: props.network.networkId }],
      securityGroups: port ? undefined : [props.securityGroup.resource.name],
      // A new image reaches a server booted from a volume through block_device, which forces a
      // new server: stateful servers ignore it as they ignore image_id.
      lifecycle: stateful ? { ignoreChanges: ["user_data", "image_id", ...(props.bootVolumeSizeGiB === undefined ? [] : ["block_device"])] } : { createBeforeDestroy: true },
    });

    if (this.dataVolume) {
      new ComputeVolumeAttachV2(this, "data-volume-attachment", {
        instanceId: this.instance.id,
        volumeId: this.dataVolume.id,
      });
    }

    this.privateIpv4Address =
      props.fixedIpv4Address ?? (port ? Fn.element(port.allFixedIps, 0) : this.instance.accessIpV4);

    if (props.public) {
      if (props.network.floatingIpPool) {
        const floatingIp = new NetworkingFloatingipV2(this, "floating-ip", {
          pool: props.network.floatingIpPool,
          description: `Public address of ${props.name}`,
        });
        new NetworkingFloatingipAssociateV2(this, "floating-ip-association", {
          floatingIp: floatingIp.address,
          portId: port ? port.id : this.instance.network.get(0).port,
        });
        this.publicIpv4Address = floatingIp.address;
      } else {
        this.publicIpv4Address = this.privateIpv4Address;
      }
    }
  }

  /**
   * The volume is attached after the server has booted, so a unit waits for it rather than
   * cloud-init's disk_setup (which would run before the disk exists); it formats the volume
   * only when it holds no filesystem and mounts it with nofail.
   */
  private addDataVolume(serverName: string, props: DataVolumeProps, cloudConfig: CloudConfigBuilder): BlockstorageVolumeV3 {
    const volume = new BlockstorageVolumeV3(this, "data-volume", {
      name: `${serverName}-data`,
      description: `Data of ${serverName}, mounted at ${props.mountPath}`,
      size: props.sizeGiB,
      volumeType: props.volumeType,
      enableOnlineResize: true,
      lifecycle: { preventDestroy: true },
    });
    cloudConfig.addFile({
      path: `${NODE_CONFIG_DIR}/data-volume.env`,
      content: [
        // Nova exposes a volume to the guest with the first 20 characters of its id as serial.
        `DATA_VOLUME_SERIAL=${Fn.substr(volume.id, 0, 20)}`,
        `DATA_VOLUME_MOUNT_PATH=${props.mountPath}`,
        "",
      ].join("\n"),
    });
    cloudConfig.addScript("/usr/local/sbin/mount-data-volume", MOUNT_DATA_VOLUME_SCRIPT);
    cloudConfig.addSystemdUnit("mount-data-volume.service", {
      Unit: {
        Description: "Format (only when empty) and mount the data volume",
        After: "local-fs.target",
      },
      Service: {
        Type: "oneshot",
        RemainAfterExit: true,
        EnvironmentFile: `${NODE_CONFIG_DIR}/data-volume.env`,
        ExecStart: "/usr/local/sbin/mount-data-volume",
        TimeoutStartSec: "15min",
      },
      Install: { WantedBy: "multi-user.target" },
    });
    return volume;
  }
}

/**
 * Prints where the data volume appears. Nova gives a volume the first 20 characters of its id
 * as serial; udev links it as `virtio-<serial>` on virtio-blk, and as
 * `scsi-0QEMU_QEMU_HARDDISK_<serial>` / `scsi-SQEMU_QEMU_HARDDISK_<serial>` (the serial possibly
 * the whole id) on virtio-scsi: any whole-disk link whose name contains the serial will do.
 */
export const FIND_DATA_VOLUME_FUNCTION = `data_volume_device() {
  local candidate
  for candidate in "\${DISK_BY_ID_DIR:-/dev/disk/by-id}"/*"$DATA_VOLUME_SERIAL"*; do
    case "$candidate" in *-part[0-9]*) continue ;; esac
    if [ -e "$candidate" ]; then
      printf '%s\\n' "$candidate"
      return 0
    fi
  done
  return 1
}
`;

const MOUNT_DATA_VOLUME_SCRIPT = `: "\${DATA_VOLUME_SERIAL:?set in the EnvironmentFile}"
: "\${DATA_VOLUME_MOUNT_PATH:?set in the EnvironmentFile}"
${FIND_DATA_VOLUME_FUNCTION}
device=""
for _ in $(seq 1 120); do
  if device=$(data_volume_device) && [ -b "$device" ]; then break; fi
  device=""
  sleep 5
done
if [ -z "$device" ]; then
  echo "data volume \${DATA_VOLUME_SERIAL} did not appear under /dev/disk/by-id (virtio or scsi) within 10 minutes" >&2
  exit 1
fi

# blkid -p exits 2 when it finds no signature at all; any other failure must not lead to mkfs.
probe=0
blkid -p "$device" >/dev/null 2>&1 || probe=$?
case "$probe" in
  0) ;;
  2) mkfs.ext4 -q -L data "$device" ;;
  *) echo "cannot probe $device (blkid exit code $probe); refusing to format it" >&2; exit 1 ;;
esac

mkdir -p "$DATA_VOLUME_MOUNT_PATH"
if ! grep -q "^$device " /etc/fstab; then
  echo "$device $DATA_VOLUME_MOUNT_PATH ext4 defaults,nofail,x-systemd.device-timeout=10min 0 2" >> /etc/fstab
fi
mountpoint -q "$DATA_VOLUME_MOUNT_PATH" || mount "$DATA_VOLUME_MOUNT_PATH"
`;
