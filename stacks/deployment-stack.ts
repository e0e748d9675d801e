import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { DataOpenstackComputeFlavorV2 } from "../.gen/providers/openstack/data-openstack-compute-flavor-v2";
import { DataOpenstackImagesImageV2 } from "../.gen/providers/openstack/data-openstack-images-image-v2";
import { OpenstackProvider } from "../.gen/providers/openstack/provider";
import type { LoadedDeployment } from "../lib/config/load";

export interface DeploymentStackProps {
  /** The validated deployment, with the cloud it runs on. */
  readonly deployment: LoadedDeployment;
}

/** Everything one deployment of the service needs on one cloud. The stack name is the deployment name. */
export class DeploymentStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: DeploymentStackProps) {
    super(scope, id);
    const { config, cloud } = props.deployment;

    // Credentials come from clouds.yaml on the admin's machine; the provider only names the entry.
    new OpenstackProvider(this, "openstack", {
      cloud: cloud.config.clouds_yaml_entry,
      region: cloud.config.region,
    });

    const image = new DataOpenstackImagesImageV2(this, "image", {
      name: cloud.config.images[config.image],
      mostRecent: true,
    });
    new TerraformOutput(this, "image_id", { value: image.id, description: "The image every server boots." });

    const usedFlavors = new Set([
      config.search.data_nodes.flavor,
      ...(config.search.master_nodes ? [config.search.master_nodes.flavor] : []),
      config.ingestion.workers.flavor,
      config.recheck.flavor,
      config.frontend.flavor,
    ]);
    for (const alias of [...usedFlavors].sort()) {
      new DataOpenstackComputeFlavorV2(this, `flavor-${alias}`, { name: cloud.config.flavors[alias].name });
    }
  }
}
