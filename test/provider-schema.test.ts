import * as fs from "node:fs";
import * as path from "node:path";
import {
  checkStackAgainstSchema,
  COMMITTED_SCHEMA_FILE,
  filterProviderSchema,
  openstackEntry,
  OPENSTACK_PROVIDER_ADDRESS,
  stableJson,
  usedTypesOf,
  type ProvidersSchemaJson,
} from "../lib/provider-schema";
import cdktfJson from "../cdktf.json";

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"));
const fullFixture: ProvidersSchemaJson = readJson(path.join(__dirname, "fixtures", "providers-schema-full.json"));

const committedSchemaFile = COMMITTED_SCHEMA_FILE;
const committed: ProvidersSchemaJson = readJson(committedSchemaFile);

describe("filterProviderSchema", () => {
  test("keeps only the OpenStack provider and the listed types, sorted", () => {
    const filtered = filterProviderSchema(fullFixture, {
      resources: ["openstack_networking_port_v2", "openstack_compute_keypair_v2"],
      dataSources: ["openstack_compute_flavor_v2"],
    });
    expect(Object.keys(filtered.provider_schemas)).toEqual([OPENSTACK_PROVIDER_ADDRESS]);
    expect(usedTypesOf(filtered)).toEqual({
      resources: ["openstack_compute_keypair_v2", "openstack_networking_port_v2"],
      dataSources: ["openstack_compute_flavor_v2"],
    });
    expect(filtered.provider_versions).toEqual({ [OPENSTACK_PROVIDER_ADDRESS]: "3.4.0" });
    expect(openstackEntry(filtered).provider).toEqual(openstackEntry(fullFixture).provider);
  });

  test("fails on a type the provider does not have", () => {
    expect(() => filterProviderSchema(fullFixture, { resources: ["openstack_compute_instance_v9"], dataSources: [] })).toThrow(
      "the provider has no resource named openstack_compute_instance_v9",
    );
  });

  test("fails on a schema without the OpenStack provider", () => {
    const onlyRandom = { ...fullFixture, provider_schemas: { "registry.terraform.io/hashicorp/random": fullFixture.provider_schemas["registry.terraform.io/hashicorp/random"] } };
    expect(() => filterProviderSchema(onlyRandom, { resources: [], dataSources: [] })).toThrow(
      `the schema has no ${OPENSTACK_PROVIDER_ADDRESS}; found: registry.terraform.io/hashicorp/random`,
    );
  });
});

describe("the committed provider schema", () => {
  test("is where `cdktf get --experimental-provider-schema-cache-path schema/providers` looks for it", () => {
    expect(path.basename(committedSchemaFile)).toBe("openstack@~%3E%203.4.json");
    expect(cdktfJson.terraformProviders[0].source).toBe("terraform-provider-openstack/openstack");
  });

  test("is pinned to a 3.4 release of the provider", () => {
    expect(committed.provider_versions?.[OPENSTACK_PROVIDER_ADDRESS]).toMatch(/^3\.4\.\d+$/);
  });

  test("holds every type the project needs", () => {
    expect(usedTypesOf(committed)).toEqual({
      resources: expect.arrayContaining([
        "openstack_blockstorage_volume_v3", "openstack_compute_instance_v2", "openstack_compute_keypair_v2",
        "openstack_compute_servergroup_v2", "openstack_compute_volume_attach_v2", "openstack_dns_recordset_v2",
        "openstack_networking_floatingip_associate_v2", "openstack_networking_floatingip_v2",
        "openstack_networking_network_v2", "openstack_networking_port_v2", "openstack_networking_router_interface_v2",
        "openstack_networking_router_v2", "openstack_networking_secgroup_rule_v2", "openstack_networking_secgroup_v2",
        "openstack_networking_subnet_v2", "openstack_objectstorage_container_v1",
      ]),
      dataSources: expect.arrayContaining([
        "openstack_compute_flavor_v2", "openstack_images_image_v2", "openstack_networking_network_v2",
      ]),
    });
  });

  test("is stored with sorted keys, as the refresh script writes it", () => {
    expect(fs.readFileSync(committedSchemaFile, "utf8")).toBe(stableJson(committed));
  });

  test("marks secrets the provider marks sensitive", () => {
    const entry = openstackEntry(committed);
    expect(entry.provider.block.attributes?.password.sensitive).toBe(true);
    expect(entry.resource_schemas.openstack_compute_instance_v2.block.attributes?.admin_pass.sensitive).toBe(true);
    expect(entry.resource_schemas.openstack_compute_keypair_v2.block.attributes?.private_key.sensitive).toBe(true);
  });
});

describe("checkStackAgainstSchema", () => {
  const stack = (resource: Record<string, unknown>) => ({ resource: { openstack_networking_port_v2: { port: resource } } });

  test("accepts known attributes with references and literals of the right type", () => {
    expect(checkStackAgainstSchema(stack({ network_id: "${openstack_networking_network_v2.net.id}", admin_state_up: true }), committed)).toEqual([]);
  });

  test("fails on an attribute the provider does not have", () => {
    expect(checkStackAgainstSchema(stack({ network_id: "n", colour: "red" }), committed)).toEqual([
      "resource.openstack_networking_port_v2.port.colour: no such attribute or block in the provider schema",
    ]);
  });

  test("fails on a missing required attribute", () => {
    expect(checkStackAgainstSchema(stack({ name: "p" }), committed)).toEqual([
      "resource.openstack_networking_port_v2.port.network_id: required attribute missing",
    ]);
  });

  test("fails on a literal of the wrong type and on a computed-only attribute", () => {
    expect(checkStackAgainstSchema(stack({ network_id: "n", admin_state_up: "yes", all_tags: ["a"] }), committed)).toEqual([
      "resource.openstack_networking_port_v2.port.admin_state_up: expected bool, got \"yes\"",
      "resource.openstack_networking_port_v2.port.all_tags: computed-only attribute set in config",
    ]);
  });

  test("checks nested blocks and their max items", () => {
    const problems = checkStackAgainstSchema(
      stack({ network_id: "n", binding: [{ vnic_type: "normal" }, { vnic_type: "direct" }], allowed_address_pairs: [{ ip_adress: "10.0.0.5" }] }),
      committed,
    );
    expect(problems).toEqual([
      "resource.openstack_networking_port_v2.port.binding: at most 1 block(s), got 2",
      "resource.openstack_networking_port_v2.port.allowed_address_pairs[0].ip_adress: no such attribute or block in the provider schema",
      "resource.openstack_networking_port_v2.port.allowed_address_pairs[0].ip_address: required attribute missing",
    ]);
  });

  test("fails on a resource type the schema does not hold", () => {
    expect(checkStackAgainstSchema({ resource: { openstack_lb_loadbalancer_v2: { lb: {} } } }, committed)).toEqual([
      "resource.openstack_lb_loadbalancer_v2: not in the provider schema",
    ]);
  });
});
