/**
 * The dashboards' starter saved objects, kept as code in each UI's own export format (ndjson:
 * one saved object per line, then the export's summary line) in `config/dashboards/`, checked
 * here at the edge and imported by the front end's setup with overwrite, so a re-import replaces
 * the objects of the same ids and never duplicates them. Admins change them by changing the
 * files (or by exporting from the UI, reached through the SSH tunnel, and committing the export).
 */
import * as z from "zod";
import { LOG_FIELDS } from "../field-contract";
import { analyzeQuery } from "../queries/lucene";
import type { DashboardsUi } from "./dashboards-routes";

/** The file of each UI in the config folder's `dashboards/`. */
export const SAVED_OBJECTS_FILES: Record<DashboardsUi, string> = {
  kibana: "kibana.ndjson",
  "opensearch-dashboards": "opensearch-dashboards.ndjson",
};

/** Every Zuul result of a build that failed (not SUCCESS, SKIPPED, ABORTED, CANCELED or RETRY, which Zuul runs again). */
export const ZUUL_FAILED_RESULTS = [
  "FAILURE", "ERROR", "POST_FAILURE", "RETRY_LIMIT", "TIMED_OUT", "NODE_FAILURE", "DISK_FULL", "MERGE_CONFLICT", "MERGE_FAILURE", "CONFIG_ERROR",
] as const;

const SAVED_OBJECT_TYPES = ["index-pattern", "search", "visualization", "dashboard"] as const;
type SavedObjectType = (typeof SAVED_OBJECT_TYPES)[number];

/** A string attribute that holds JSON (the UIs keep searchSourceJSON, visState and panelsJSON as strings). */
const jsonString = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, context) => {
    try {
      const parsed = schema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data as z.infer<T>;
      for (const issue of parsed.error.issues) context.addIssue({ code: "custom", message: `${issue.path.join(".") || "value"}: ${issue.message}` });
    } catch (error) {
      context.addIssue({ code: "custom", message: `not JSON: ${(error as Error).message}` });
    }
    return z.NEVER;
  });

/**
 * The starter objects' queries are Lucene: the language of elastic-recheck's queries, which the
 * config checks here as it checks those (lib/queries/lucene.ts) and the engine runs as
 * `query_string`; a DQL query could be checked only by a running dashboards server.
 */
const searchSource = z.strictObject({
  query: z.strictObject({
    query: z.string(),
    language: z.literal("lucene", { error: 'expected "lucene" (the starter objects\' queries are Lucene, checked when the config is loaded; DQL is not checked)' }),
  }),
  filter: z.array(z.unknown()),
  indexRefName: z.string().optional(),
});
const meta = z.strictObject({ searchSourceJSON: jsonString(searchSource) });
const agg = z.strictObject({
  id: z.string(),
  enabled: z.boolean(),
  type: z.string(),
  schema: z.string(),
  params: z.record(z.string(), z.unknown()),
});
const panel = z.strictObject({
  panelIndex: z.string(),
  gridData: z.strictObject({ x: z.int(), y: z.int(), w: z.int().min(1).max(48), h: z.int().min(1), i: z.string() }),
  embeddableConfig: z.record(z.string(), z.unknown()),
  panelRefName: z.string(),
  /** Kibana: the panel's saved object type. */
  type: z.string().optional(),
  /** OpenSearch Dashboards: the release that wrote the panel. */
  version: z.string().optional(),
});

const ATTRIBUTES: Record<SavedObjectType, z.ZodType> = {
  "index-pattern": z.strictObject({
    title: z.string().min(1),
    timeFieldName: z.string().optional(),
    /** Kibana data views' display name. */
    name: z.string().optional(),
    /** OpenSearch Dashboards keeps the field list in the index pattern. */
    fields: jsonString(z.array(z.strictObject({
      name: z.string(), type: z.string(), esTypes: z.array(z.string()).optional(), count: z.int(), scripted: z.boolean(),
      searchable: z.boolean(), aggregatable: z.boolean(), readFromDocValues: z.boolean(),
    }))).optional(),
  }),
  search: z.strictObject({
    title: z.string().min(1),
    description: z.string(),
    columns: z.array(z.string()).min(1),
    sort: z.array(z.tuple([z.string(), z.enum(["asc", "desc"])])),
    kibanaSavedObjectMeta: meta,
  }),
  visualization: z.strictObject({
    title: z.string().min(1),
    description: z.string(),
    visState: jsonString(z.strictObject({ title: z.string(), type: z.string(), params: z.record(z.string(), z.unknown()), aggs: z.array(agg).min(1) })),
    uiStateJSON: jsonString(z.record(z.string(), z.unknown())),
    savedSearchRefName: z.string().optional(),
    kibanaSavedObjectMeta: meta,
  }),
  dashboard: z.strictObject({
    title: z.string().min(1),
    description: z.string(),
    panelsJSON: jsonString(z.array(panel).min(1)),
    optionsJSON: jsonString(z.record(z.string(), z.unknown())),
    timeRestore: z.boolean(),
    timeFrom: z.string().optional(),
    timeTo: z.string().optional(),
    refreshInterval: z.strictObject({ pause: z.boolean(), value: z.int() }).optional(),
    kibanaSavedObjectMeta: meta,
  }),
};

const reference = z.strictObject({ name: z.string().min(1), type: z.enum(SAVED_OBJECT_TYPES), id: z.string().min(1) });
const common = {
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: "expected a fixed id of lowercase letters, digits and dashes (the import overwrites by id)" }),
  type: z.enum(SAVED_OBJECT_TYPES),
  attributes: z.record(z.string(), z.unknown()),
  references: z.array(reference),
};
/** The envelope of each UI's export: Kibana 8.8+ versions types and core separately, OpenSearch Dashboards per type. */
const ENVELOPES: Record<DashboardsUi, z.ZodType<{ id: string; type: SavedObjectType; attributes: Record<string, unknown>; references: z.infer<typeof reference>[] }>> = {
  kibana: z.strictObject({ ...common, coreMigrationVersion: z.string().regex(/^8\.\d+\.\d+$/), typeMigrationVersion: z.string().regex(/^\d+\.\d+\.\d+$/), managed: z.boolean() }),
  "opensearch-dashboards": z.strictObject({ ...common, migrationVersion: z.record(z.string(), z.string().regex(/^\d+\.\d+\.\d+$/)) }),
};
const summary = z.strictObject({ exportedCount: z.int(), missingRefCount: z.literal(0), missingReferences: z.array(z.unknown()).length(0) });

export interface SavedObject {
  readonly id: string;
  readonly type: SavedObjectType;
  readonly attributes: Record<string, unknown>;
  readonly references: readonly { readonly name: string; readonly type: SavedObjectType; readonly id: string }[];
  /** Line in the file. */
  readonly line: number;
}

export interface SavedObjectsProblem {
  readonly line: number;
  readonly setting: string;
  readonly message: string;
}

function issues(error: z.ZodError, prefix: string): { setting: string; message: string }[] {
  return error.issues.map((issue) => ({ setting: [prefix, ...issue.path].filter((part) => part !== "").join("."), message: issue.message }));
}

/** Every field name a saved object uses in its columns, sort, aggregations and time field. */
function fieldsUsed(object: SavedObject): string[] {
  const attributes = object.attributes as {
    timeFieldName?: string; columns?: string[]; sort?: [string, string][]; visState?: { aggs: { params: { field?: unknown } }[] };
  };
  return [
    ...(attributes.timeFieldName ? [attributes.timeFieldName] : []),
    ...(attributes.columns ?? []),
    ...(attributes.sort ?? []).map(([field]) => field),
    ...(attributes.visState?.aggs ?? []).flatMap((aggregation) => (typeof aggregation.params.field === "string" ? [aggregation.params.field] : [])),
  ];
}

/** The query of a saved object's search source, when it has one. */
function queryOf(object: SavedObject): string {
  const attributes = object.attributes as { kibanaSavedObjectMeta?: { searchSourceJSON: { query: { query: string } } } };
  return attributes.kibanaSavedObjectMeta?.searchSourceJSON.query.query ?? "";
}

/** The references a saved object's attributes name (`panelRefName`, `savedSearchRefName`, `indexRefName`). */
function referenceNamesUsed(object: SavedObject): string[] {
  const attributes = object.attributes as {
    savedSearchRefName?: string; panelsJSON?: { panelRefName: string }[]; kibanaSavedObjectMeta?: { searchSourceJSON: { indexRefName?: string } };
  };
  return [
    ...(attributes.savedSearchRefName ? [attributes.savedSearchRefName] : []),
    ...(attributes.panelsJSON ?? []).map((entry) => entry.panelRefName),
    ...(attributes.kibanaSavedObjectMeta?.searchSourceJSON.indexRefName ? [attributes.kibanaSavedObjectMeta.searchSourceJSON.indexRefName] : []),
  ];
}

/**
 * Parses one UI's export and checks it: each line against the UI's envelope and the type's
 * attributes (JSON-in-string attributes parsed too), unique ids, references that resolve within
 * the file and that the attributes use, fields of the log field contract, and the summary line.
 */
export function parseSavedObjects(ui: DashboardsUi, text: string): { objects: SavedObject[]; problems: SavedObjectsProblem[] } {
  const problems: SavedObjectsProblem[] = [];
  const objects: SavedObject[] = [];
  const lines = text.split("\n").map((content, index) => ({ content, line: index + 1 })).filter(({ content }) => content.trim() !== "");
  const last = lines.pop();
  for (const { content, line } of lines) {
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      problems.push({ line, setting: "", message: `not JSON: ${(error as Error).message}` });
      continue;
    }
    const envelope = ENVELOPES[ui].safeParse(value);
    if (!envelope.success) {
      problems.push(...issues(envelope.error, "").map((issue) => ({ line, ...issue })));
      continue;
    }
    const attributes = ATTRIBUTES[envelope.data.type].safeParse(envelope.data.attributes);
    if (!attributes.success) {
      problems.push(...issues(attributes.error, "attributes").map((issue) => ({ line, ...issue })));
      continue;
    }
    objects.push({ ...envelope.data, attributes: attributes.data as Record<string, unknown>, line });
  }
  const parsedSummary = last ? summary.safeParse((() => { try { return JSON.parse(last.content); } catch { return undefined; } })()) : undefined;
  if (!last || !parsedSummary?.success) {
    problems.push({ line: last?.line ?? 1, setting: "", message: 'expected the export\'s summary line last: {"exportedCount":<objects>,"missingRefCount":0,"missingReferences":[]}' });
  } else if (parsedSummary.data.exportedCount !== lines.length) {
    problems.push({ line: last.line, setting: "exportedCount", message: `got ${parsedSummary.data.exportedCount}; expected ${lines.length}, the number of objects above` });
  }
  const byKey = new Map<string, SavedObject>();
  for (const object of objects) {
    const key = `${object.type}:${object.id}`;
    if (byKey.has(key)) problems.push({ line: object.line, setting: "id", message: `${key} repeats line ${byKey.get(key)!.line}; an import keeps only one` });
    byKey.set(key, object);
  }
  for (const object of objects) {
    object.references.forEach((ref, index) => {
      if (!byKey.has(`${ref.type}:${ref.id}`)) {
        problems.push({ line: object.line, setting: `references.${index}`, message: `${ref.type} ${ref.id} is not in the file; expected one of: ${[...byKey.keys()].join(", ")}` });
      }
    });
    const names = new Set(object.references.map((ref) => ref.name));
    for (const name of referenceNamesUsed(object).filter((used) => !names.has(used))) {
      problems.push({ line: object.line, setting: "references", message: `the attributes use reference ${name}, which the object does not have` });
    }
    const query = queryOf(object);
    for (const issue of query.trim() === "" ? [] : analyzeQuery(query).issues) {
      problems.push({ line: object.line, setting: "attributes.kibanaSavedObjectMeta.searchSourceJSON.query.query", message: `${issue.message} (in ${JSON.stringify(query)} at offset ${issue.offset})` });
    }
    for (const field of fieldsUsed(object).filter((used) => !(used in LOG_FIELDS))) {
      problems.push({ line: object.line, setting: "attributes", message: `field ${field} is not a log field (lib/field-contract.ts)` });
    }
  }
  return { objects, problems };
}
