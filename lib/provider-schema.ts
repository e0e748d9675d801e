/**
 * The OpenStack provider schema kept in schema/providers/, in the format of
 * `terraform providers schema -json`: filtering the real provider's full schema down to the
 * types this project uses, and checking synthesized Terraform JSON against it.
 */
import * as path from "node:path";
import cdktfJson from "../cdktf.json";

export type AttributeType = string | [string, AttributeType] | ["object", Record<string, AttributeType>];

export interface SchemaAttribute {
  type: AttributeType;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
}

export interface SchemaBlock {
  attributes?: Record<string, SchemaAttribute>;
  block_types?: Record<string, { nesting_mode: "single" | "list" | "set" | "map"; block: SchemaBlock; min_items?: number; max_items?: number }>;
}

export interface TypeSchema {
  version: number;
  block: SchemaBlock;
}

export interface ProviderSchemaEntry {
  provider: TypeSchema;
  resource_schemas: Record<string, TypeSchema>;
  data_source_schemas: Record<string, TypeSchema>;
}

export interface ProvidersSchemaJson {
  format_version: string;
  provider_schemas: Record<string, ProviderSchemaEntry>;
  provider_versions?: Record<string, string>;
}

export const OPENSTACK_PROVIDER_ADDRESS = "registry.terraform.io/terraform-provider-openstack/openstack";

const openstackBinding = cdktfJson.terraformProviders[0];
/** The committed schema, where `cdktf get --experimental-provider-schema-cache-path schema/providers` looks for it. */
export const COMMITTED_SCHEMA_FILE = path.join(
  __dirname, "..", "schema", "providers",
  `${encodeURIComponent(openstackBinding.name)}@${encodeURIComponent(openstackBinding.version)}.json`,
);

export interface UsedTypes {
  readonly resources: readonly string[];
  readonly dataSources: readonly string[];
}

export function usedTypesOf(schema: ProvidersSchemaJson): UsedTypes {
  const entry = openstackEntry(schema);
  return { resources: Object.keys(entry.resource_schemas), dataSources: Object.keys(entry.data_source_schemas) };
}

export function openstackEntry(schema: ProvidersSchemaJson): ProviderSchemaEntry {
  const entry = schema.provider_schemas[OPENSTACK_PROVIDER_ADDRESS];
  if (!entry) {
    throw new Error(
      `the schema has no ${OPENSTACK_PROVIDER_ADDRESS}; found: ${Object.keys(schema.provider_schemas).join(", ") || "(none)"}`,
    );
  }
  return entry;
}

/** Keeps only the OpenStack provider and the given resources and data sources; fails on a name the provider lacks. */
export function filterProviderSchema(full: ProvidersSchemaJson, keep: UsedTypes): ProvidersSchemaJson {
  const entry = openstackEntry(full);
  const pick = (all: Record<string, TypeSchema>, names: readonly string[], kind: string) => {
    const missing = names.filter((name) => !(name in all));
    if (missing.length > 0) throw new Error(`the provider has no ${kind} named ${missing.join(", ")}`);
    return Object.fromEntries([...names].sort().map((name) => [name, all[name]]));
  };
  const versions = full.provider_versions ?? {};
  return {
    format_version: full.format_version,
    provider_schemas: {
      [OPENSTACK_PROVIDER_ADDRESS]: {
        provider: entry.provider,
        resource_schemas: pick(entry.resource_schemas, keep.resources, "resource"),
        data_source_schemas: pick(entry.data_source_schemas, keep.dataSources, "data source"),
      },
    },
    ...(versions[OPENSTACK_PROVIDER_ADDRESS]
      ? { provider_versions: { [OPENSTACK_PROVIDER_ADDRESS]: versions[OPENSTACK_PROVIDER_ADDRESS] } }
      : {}),
  };
}

/** JSON with object keys sorted at every level, so that a regenerated schema diffs cleanly. */
export function stableJson(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === "object") {
      return Object.fromEntries(Object.keys(v).sort().map((key) => [key, sortKeys((v as Record<string, unknown>)[key])]));
    }
    return v;
  };
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

const META_ARGUMENTS = new Set(["//", "count", "for_each", "depends_on", "lifecycle", "provider", "connection", "provisioner"]);

function isReference(value: unknown): boolean {
  return typeof value === "string" && value.includes("${");
}

function typeProblem(type: AttributeType, value: unknown, where: string): string[] {
  if (isReference(value)) return [];
  if (typeof type === "string") {
    const expected = { string: "string", number: "number", bool: "boolean" }[type];
    if (expected && typeof value !== expected) return [`${where}: expected ${type}, got ${JSON.stringify(value)}`];
    return [];
  }
  const [kind, element] = type;
  if (kind === "list" || kind === "set") {
    if (!Array.isArray(value)) return [`${where}: expected ${kind}, got ${JSON.stringify(value)}`];
    return value.flatMap((item, index) => typeProblem(element as AttributeType, item, `${where}[${index}]`));
  }
  if (kind === "map") {
    if (!value || typeof value !== "object" || Array.isArray(value)) return [`${where}: expected map, got ${JSON.stringify(value)}`];
    return Object.entries(value).flatMap(([key, item]) => typeProblem(element as AttributeType, item, `${where}.${key}`));
  }
  return [];
}

function blockProblems(block: SchemaBlock, config: Record<string, unknown>, where: string): string[] {
  const problems: string[] = [];
  const attributes = block.attributes ?? {};
  const blockTypes = block.block_types ?? {};
  for (const [name, value] of Object.entries(config)) {
    if (META_ARGUMENTS.has(name)) continue;
    const attribute = attributes[name];
    const blockType = blockTypes[name];
    if (attribute) {
      if (!attribute.optional && !attribute.required) problems.push(`${where}.${name}: computed-only attribute set in config`);
      problems.push(...typeProblem(attribute.type, value, `${where}.${name}`));
    } else if (blockType) {
      const items = blockType.nesting_mode === "single" ? [value] : Array.isArray(value) ? value : [value];
      if (blockType.max_items !== undefined && items.length > blockType.max_items) {
        problems.push(`${where}.${name}: at most ${blockType.max_items} block(s), got ${items.length}`);
      }
      items.forEach((item, index) =>
        problems.push(...blockProblems(blockType.block, item as Record<string, unknown>, `${where}.${name}[${index}]`)),
      );
    } else {
      problems.push(`${where}.${name}: no such attribute or block in the provider schema`);
    }
  }
  for (const [name, attribute] of Object.entries(attributes)) {
    if (attribute.required && !(name in config)) problems.push(`${where}.${name}: required attribute missing`);
  }
  for (const [name, blockType] of Object.entries(blockTypes)) {
    if ((blockType.min_items ?? 0) > 0 && !(name in config)) problems.push(`${where}.${name}: required block missing`);
  }
  return problems;
}

/**
 * Checks the OpenStack resources, data sources and provider blocks of a synthesized stack
 * (cdk.tf.json) against the provider schema: names, required attributes, literal types, nesting.
 */
export function checkStackAgainstSchema(stack: Record<string, unknown>, schema: ProvidersSchemaJson): string[] {
  const entry = openstackEntry(schema);
  const problems: string[] = [];
  const sections: [string, Record<string, TypeSchema>][] = [
    ["resource", entry.resource_schemas],
    ["data", entry.data_source_schemas],
  ];
  for (const [section, types] of sections) {
    const byType = (stack[section] ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
    for (const [type, instances] of Object.entries(byType)) {
      if (!type.startsWith("openstack_")) continue;
      const typeSchema = types[type];
      if (!typeSchema) {
        problems.push(`${section}.${type}: not in the provider schema`);
        continue;
      }
      for (const [name, config] of Object.entries(instances)) {
        problems.push(...blockProblems(typeSchema.block, config, `${section}.${type}.${name}`));
      }
    }
  }
  const providers = ((stack.provider ?? {}) as Record<string, Record<string, unknown>[]>).openstack ?? [];
  providers.forEach((config, index) => problems.push(...blockProblems(entry.provider.block, config, `provider.openstack[${index}]`)));
  return problems;
}
