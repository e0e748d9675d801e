/**
 * The model of one bug query file, `queries/<launchpad bug number>.yaml`, in elastic-recheck's
 * upstream format. It is the single source of the validation done by `npm run check-queries`
 * and of the JSON Schema that editors use (`schema/config/query.schema.json`, written by
 * `npm run query-schema`).
 *
 * Keys are spelt as upstream spells them (kebab-case flags, snake_case `test_ids`); the object
 * is strict, so a misspelt key is an error instead of a flag the bot silently ignores.
 */
import * as z from "zod";

export const queryFileSchema = z
  .strictObject({
    query: z
      .string()
      .regex(/\S/, { error: "expected a Lucene query, not an empty one" })
      .describe(
        "Lucene query_string matched against single log lines, e.g. message:\"...\" AND tags:\"screen-n-cpu.txt\". " +
          "The bot appends ' AND voting:1' unless allow-nonvoting is true.",
      ),
    "suppress-graph": z
      .boolean()
      .optional()
      .describe("true leaves the bug out of the dashboard graphs."),
    "suppress-notification": z
      .boolean()
      .optional()
      .describe("true keeps the bot from commenting on Gerrit or IRC when the query matches."),
    "allow-nonvoting": z
      .boolean()
      .optional()
      .describe("true also matches non-voting jobs: the bot does not append ' AND voting:1' (graphs only; no comment is made for non-voting jobs)."),
    test_ids: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe("Tempest test ids: besides the query hit, one of them must have failed in the build."),
  })
  .describe("One elastic-recheck bug query; the file name is the Launchpad bug number.");

export type QueryFile = z.infer<typeof queryFileSchema>;

/** The keys a query file may have, in the order of the schema. */
export const QUERY_FILE_KEYS: readonly string[] = Object.keys(queryFileSchema.shape);

/** The name of the published JSON Schema, in schema/config/. */
export const QUERY_JSON_SCHEMA_FILE = "query.schema.json";

/** The JSON Schema (draft-07) of a query file, as written to schema/config/query.schema.json. */
export function renderQueryJsonSchema(): string {
  const jsonSchema = z.toJSONSchema(queryFileSchema, { target: "draft-07", io: "input" });
  return `${JSON.stringify(jsonSchema, null, 2)}\n`;
}
