import * as fs from "node:fs";
import * as path from "node:path";
import cdktfJson from "../cdktf.json";
import { openstackEntry, type ProvidersSchemaJson, type SchemaBlock } from "../lib/provider-schema";
import { REPLACEMENT_FACTS, replacementReason, SENSITIVE_ATTRIBUTES } from "../lib/review/force-new";
import { repoRoot } from "./support/config-fixture";

const provider = cdktfJson.terraformProviders[0];
const schemaFile = path.join(
  repoRoot, "schema", "providers", `${encodeURIComponent(provider.name)}@${encodeURIComponent(provider.version)}.json`,
);
const resourceSchemas = openstackEntry(JSON.parse(fs.readFileSync(schemaFile, "utf8")) as ProvidersSchemaJson).resource_schemas;

/** An argument the configuration can set (not computed-only). */
const settable = (block: SchemaBlock, name: string) => {
  const attribute = block.attributes?.[name];
  return attribute !== undefined && (attribute.optional === true || attribute.required === true);
};

describe("REPLACEMENT_FACTS against the committed OpenStack provider schema", () => {
  const types = Object.keys(resourceSchemas);

  test("the schema has resource types to check", () => {
    expect(types.length).toBeGreaterThan(0);
  });

  test("every resource type of the schema has an entry", () => {
    expect(types.filter((type) => !(type in REPLACEMENT_FACTS))).toEqual([]);
  });

  test.each(types)("%s: every ForceNew argument is a settable attribute of the schema", (type) => {
    const block = resourceSchemas[type].block;
    const facts = REPLACEMENT_FACTS[type];
    expect(facts.forceNew.filter((name) => !settable(block, name))).toEqual([]);
    expect(Object.keys(facts.inPlaceNotes ?? {}).filter((name) => !settable(block, name) && !block.block_types?.[name])).toEqual([]);
  });

  test.each(types)("%s: every ForceNew block and its nested attributes exist in the schema", (type) => {
    const block = resourceSchemas[type].block;
    const problems: string[] = [];
    for (const [name, facts] of Object.entries(REPLACEMENT_FACTS[type].forceNewBlocks ?? {})) {
      const nested = block.block_types?.[name];
      if (!nested) {
        problems.push(`${name}: no such block`);
        continue;
      }
      for (const attribute of facts.nested) if (!nested.block.attributes?.[attribute]) problems.push(`${name}.${attribute}: no such attribute`);
      if (!facts.block && facts.nested.length === 0) problems.push(`${name}: neither the block nor an attribute in it is ForceNew`);
    }
    expect(problems).toEqual([]);
  });

  test("every sensitive attribute of the schema is listed as sensitive", () => {
    const missing = Object.entries(resourceSchemas).flatMap(([type, schema]) =>
      Object.entries(schema.block.attributes ?? {})
        .filter(([name, attribute]) => attribute.sensitive && !SENSITIVE_ATTRIBUTES[type]?.includes(name))
        .map(([name]) => `${type}.${name}`),
    );
    expect(missing).toEqual([]);
  });
});

describe("REPLACEMENT_FACTS of the random and tls resources", () => {
  // The bindings of @cdktf/provider-random and -tls declare each argument as a camelCase property.
  const bindings: Record<string, string> = {
    random_password: "@cdktf/provider-random/lib/password/index.d.ts",
    tls_private_key: "@cdktf/provider-tls/lib/private-key/index.d.ts",
    tls_self_signed_cert: "@cdktf/provider-tls/lib/self-signed-cert/index.d.ts",
    tls_cert_request: "@cdktf/provider-tls/lib/cert-request/index.d.ts",
    tls_locally_signed_cert: "@cdktf/provider-tls/lib/locally-signed-cert/index.d.ts",
  };
  const camel = (name: string) => name.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());

  test.each(Object.keys(bindings))("%s: every listed name is an attribute of the provider's binding", (type) => {
    const declarations = fs.readFileSync(path.join(repoRoot, "node_modules", bindings[type]), "utf8");
    const facts = REPLACEMENT_FACTS[type];
    const names = [
      ...facts.forceNew,
      ...Object.keys(facts.forceNewBlocks ?? {}),
      ...Object.values(facts.forceNewBlocks ?? {}).flatMap((block) => block.nested),
      ...Object.keys(facts.inPlaceNotes ?? {}),
      ...(SENSITIVE_ATTRIBUTES[type] ?? []),
    ];
    expect(names.filter((name) => !new RegExp(`\\b(readonly |get )${camel(name)}\\??[(:]`).test(declarations))).toEqual([]);
  });

  test("any argument change of random_password replaces it", () => {
    for (const argument of ["length", "special", "upper", "lower", "numeric", "min_special", "override_special", "keepers"]) {
      expect(replacementReason("random_password", argument)).toBeDefined();
    }
  });
});

describe("replacementReason", () => {
  test("names a ForceNew argument", () => {
    expect(replacementReason("openstack_compute_instance_v2", "user_data")).toBe("user_data forces replacement");
  });

  test("says when a whole block is treated as forcing replacement because of a nested attribute", () => {
    expect(replacementReason("openstack_compute_instance_v2", "scheduler_hints")).toMatch(
      /^scheduler_hints \(block\) forces replacement: attributes inside it \(group, different_host, same_host, …\) are ForceNew/,
    );
  });

  test("is undefined for an in-place argument and for an unknown type", () => {
    expect(replacementReason("openstack_compute_instance_v2", "flavor_name")).toBeUndefined();
    expect(replacementReason("openstack_blockstorage_volume_v3", "size")).toBeUndefined();
    expect(replacementReason("openstack_unknown_v9", "name")).toBeUndefined();
  });
});
