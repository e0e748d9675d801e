/** The JSON Schemas (draft-07) that editors use to check config/ files as they are typed. */
import * as z from "zod";
import { configKinds, type ConfigKind } from "./schema";

export function renderJsonSchemas(): { file: string; text: string }[] {
  return (Object.keys(configKinds) as ConfigKind[]).map((kind) => {
    const { schema, jsonSchemaFile } = configKinds[kind];
    const jsonSchema = z.toJSONSchema(schema, { target: "draft-07", io: "input" });
    return { file: jsonSchemaFile, text: `${JSON.stringify(jsonSchema, null, 2)}\n` };
  });
}
