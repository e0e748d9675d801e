import * as fs from "node:fs";
import * as path from "node:path";
import { renderJsonSchemas } from "../lib/config/json-schema";
import { configKinds, type ConfigKind } from "../lib/config/schema";
import { exampleConfigDir, repoRoot } from "./support/config-fixture";

describe("published JSON Schemas for editors", () => {
  test.each(renderJsonSchemas())("schema/config/$file is current (run `npm run config-schemas` after changing lib/config/schema.ts)", ({ file, text }) => {
    expect(fs.readFileSync(path.join(repoRoot, "schema", "config", file), "utf8")).toBe(text);
  });

  test("they are draft-07 and reject unknown keys", () => {
    for (const { text } of renderJsonSchemas()) {
      const schema = JSON.parse(text);
      expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
      expect(schema.additionalProperties).toBe(false);
    }
  });

  const configFiles = (Object.keys(configKinds) as ConfigKind[]).flatMap((kind) =>
    fs.readdirSync(path.join(exampleConfigDir, kind)).map((file) => ({ kind, file: path.join(kind, file) })),
  );
  test.each(configFiles)("config/$file names its JSON Schema on its first line", ({ kind, file }) => {
    const firstLine = fs.readFileSync(path.join(exampleConfigDir, file), "utf8").split("\n")[0];
    expect(firstLine).toBe(`# yaml-language-server: $schema=../../schema/config/${configKinds[kind].jsonSchemaFile}`);
  });
});
