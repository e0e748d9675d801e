/** Writes schema/config/query.schema.json from the zod model of a bug query file. Run after changing lib/queries/schema.ts. */
import * as fs from "node:fs";
import * as path from "node:path";
import { QUERY_JSON_SCHEMA_FILE, renderQueryJsonSchema } from "../lib/queries/schema";

const file = path.join(__dirname, "..", "schema", "config", QUERY_JSON_SCHEMA_FILE);
fs.writeFileSync(file, renderQueryJsonSchema());
console.log(`wrote ${path.relative(process.cwd(), file)}`);
