/** Writes schema/config/*.schema.json from the zod config model. Run after changing lib/config/schema.ts. */
import * as fs from "node:fs";
import * as path from "node:path";
import { renderJsonSchemas } from "../lib/config/json-schema";

const folder = path.join(__dirname, "..", "schema", "config");
for (const { file, text } of renderJsonSchemas()) {
  fs.writeFileSync(path.join(folder, file), text);
  console.log(`wrote ${path.relative(process.cwd(), path.join(folder, file))}`);
}
