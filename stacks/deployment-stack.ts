import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { ComputeKeypairV2 } from "../.gen/providers/openstack/compute-keypair-v2";
import { DataOpenstackImagesImageV2 } from "../.gen/providers/openstack/data-openstack-images-image-v2";
import { OpenstackProvider } from "../.gen/providers/openstack/provider";
import { Port } from "../constructs/connections";
import { Network } from "../constructs/network";
import { PolicyChecks } from "../constructs/policy-checks";
import { ServerRole, type ServerRoleProps } from "../constructs/server-role";
import type { LoadedDeployment } from "../lib/config/load";

export interface DeploymentStackProps {
  /** The validated deployment, with the cloud it runs on. */
  readonly deployment: LoadedDeployment;
}

/** Fixed address blocks of the roles whose members are named at synth time; never renumber them. */
const ADDRESS_BLOCKS = { "search-master": 0, "search-data": 1 } as const;

export const SEARCH_DATA_MOUNT_PATH = "/var/lib/search";

/** Everything one deployment of the service needs on one cloud. The stack name is the deployment name. */
export class DeploymentStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: DeploymentStackProps) {
    super(scope, id);
    const { config, cloud, name } = props.deployment;
    PolicyChecks.applyTo(this);

    // Credentials come from clouds.yaml on the admin's machine; the provider only names the entry.
    new OpenstackProvider(this, "openstack", {
      cloud: cloud.config.clouds_yaml_entry,
      region: cloud.config.region,
    });

    const image = new DataOpenstackImagesImageV2(this, "image", {
      name: cloud.config.images[config.image],
      mostRecent: true,
    });
    const keyPair = new ComputeKeypairV2(this, "admin-key-pair", {
      name: `${name}-admin`,
      publicKey: config.admin.ssh_public_keys[0],
    });
    const network = new Network(this, "network", { name, config: cloud.config.network });

    const roleDefaults = {
      deploymentName: name,
      network,
      imageId: image.id,
      keyPairName: keyPair.name,
      serverGroupPolicy: cloud.config.server_group_policy,
      adminSshPublicKeys: config.admin.ssh_public_keys,
      adminPrefixes: config.admin.ssh_allowed_prefixes,
    };
    const flavorName = (alias: string) => cloud.config.flavors[alias].name;
    const role = (roleId: string, roleProps: Omit<ServerRoleProps, keyof typeof roleDefaults>) =>
      new ServerRole(this, roleId, { ...roleDefaults, ...roleProps });

    const searchData = role("search-data", {
      roleName: "search-data",
      description: "Search cluster data nodes",
      count: config.search.data_nodes.count,
      flavorName: flavorName(config.search.data_nodes.flavor),
      stateful: true,
      fixedAddressBlock: ADDRESS_BLOCKS["search-data"],
      dataVolume: { sizeGiB: config.search.data_nodes.volume_gib, mountPath: SEARCH_DATA_MOUNT_PATH },
    });
    const masters = config.search.master_nodes;
    const searchMasters =
      masters && masters.count > 0
        ? role("search-master", {
            roleName: "search-master",
            description: "Search cluster dedicated master-eligible nodes",
            count: masters.count,
            flavorName: flavorName(masters.flavor),
            stateful: true,
            fixedAddressBlock: ADDRESS_BLOCKS["search-master"],
          })
        : undefined;
    const ingestion = role("ingestion", {
      roleName: "ingestion",
      description: "Log ingestion workers",
      count: config.ingestion.workers.count,
      flavorName: flavorName(config.ingestion.workers.flavor),
    });
    const recheck = role("recheck", {
      roleName: "recheck",
      description: "elastic-recheck bot and dashboard",
      count: 1,
      flavorName: flavorName(config.recheck.flavor),
    });
    const publicTcpPorts = [80, 443, ...config.frontend.extra_public_ports];
    const frontend = role("frontend", {
      roleName: "frontend",
      description: "Public read-only front end",
      count: 1,
      flavorName: flavorName(config.frontend.flavor),
      public: true,
      publicTcpPorts,
    });

    const transport = Port.tcp(9300);
    const http = Port.tcp(9200);
    searchData.connections.allowInternally(transport, "Search cluster transport between data nodes");
    if (searchMasters) {
      searchMasters.connections.allowInternally(transport, "Search cluster transport between masters");
      searchData.connections.allowFrom(searchMasters, transport, "Search cluster transport from masters");
      searchMasters.connections.allowFrom(searchData, transport, "Search cluster transport from data nodes");
    }
    searchData.connections.allowFrom(ingestion, http, "Ingestion writes logs to the search cluster");
    searchData.connections.allowFrom(recheck, http, "elastic-recheck reads the search cluster");
    searchData.connections.allowFrom(frontend, http, "The public front end proxies read-only searches");
    for (const port of publicTcpPorts) frontend.connections.allowFromAnyone(Port.tcp(port), `Public access on port ${port}`);

    new TerraformOutput(this, "frontend_address", {
      value: frontend.servers[0].publicIpv4Address,
      description: "Public IPv4 address of the front end.",
    });
  }
}
