import * as fs from "node:fs";
import * as path from "node:path";
import { checkStackAgainstSchema } from "../lib/provider-schema";
import { repoRoot } from "./support/config-fixture";
import { resourcesOf, synthConfig } from "./support/synth";

const providerSchema = JSON.parse(fs.readFileSync(path.join(repoRoot, "schema", "providers", "openstack@~%3E%203.4.json"), "utf8"));
const stacks = synthConfig();
const production = stacks.production;

describe("DeploymentStack", () => {
  test("one stack per deployment file, named after it", () => {
    expect(Object.keys(stacks)).toEqual(["production"]);
  });

  test("uses only attributes the OpenStack provider has, with the right types and every required one", () => {
    for (const stack of Object.values(stacks)) expect(checkStackAgainstSchema(stack, providerSchema)).toEqual([]);
  });

  test("requires exactly the provider release whose schema the bindings were generated from", () => {
    expect(production.terraform.required_providers.openstack).toEqual({
      source: "terraform-provider-openstack/openstack",
      version: providerSchema.provider_versions["registry.terraform.io/terraform-provider-openstack/openstack"],
    });
  });

  test("configures the provider from the clouds.yaml entry and region, with no credentials", () => {
    expect(production.provider.openstack).toEqual([{ cloud: "example-cloud", region: "RegionOne" }]);
  });

  test("looks up the image by the name the cloud file gives", () => {
    expect(resourcesOf(production, "openstack_images_image_v2", "data").image).toMatchObject({
      name: "Ubuntu 24.04 Noble Numbat",
      most_recent: true,
    });
  });

  test("looks up each flavor the deployment uses, once", () => {
    const flavors = resourcesOf(production, "openstack_compute_flavor_v2", "data");
    expect(Object.fromEntries(Object.entries(flavors).map(([id, flavor]) => [id, flavor.name]))).toEqual({
      "flavor-general-2x4": "m1.medium",
      "flavor-general-4x8": "m1.large",
      "flavor-search-data": "m1.xlarge-highmem",
    });
  });
});
