/**
 * Regenerates schema/providers/openstack@~%3E%203.4.json from the real provider, on a machine
 * with Terraform and registry access:
 *
 *   npm run refresh-provider-schema [-- --add openstack_some_resource_v2 --add-data openstack_some_data_v2]
 *
 * It keeps the resources and data sources the committed file already holds (plus those added),
 * so the file stays as small as the project's use of the provider.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import cdktfJson from "../cdktf.json";
import { filterProviderSchema, stableJson, usedTypesOf, type ProvidersSchemaJson } from "../lib/provider-schema";

const provider = cdktfJson.terraformProviders[0];
const schemaFile = path.join(
  __dirname, "..", "schema", "providers",
  `${encodeURIComponent(provider.name)}@${encodeURIComponent(provider.version)}.json`,
);

function readRealProviderSchema(): ProvidersSchemaJson {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), "provider-schema-"));
  try {
    const mainTf = {
      terraform: { required_providers: { [provider.name]: { source: provider.source, version: provider.version } } },
      provider: { [provider.name]: {} },
    };
    fs.writeFileSync(path.join(workdir, "main.tf.json"), JSON.stringify(mainTf));
    const terraform = (args: string[]) => execFileSync("terraform", args, { cwd: workdir, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
    terraform(["init", "-input=false", "-no-color"]);
    const schema = JSON.parse(terraform(["providers", "schema", "-json"])) as ProvidersSchemaJson;
    schema.provider_versions = JSON.parse(terraform(["version", "-json"])).provider_selections;
    return schema;
  } finally {
    fs.rmSync(workdir, { recursive: true, force: true });
  }
}

function main(): void {
  const { values } = parseArgs({
    options: { add: { type: "string", multiple: true, default: [] }, "add-data": { type: "string", multiple: true, default: [] } },
  });
  const current = usedTypesOf(JSON.parse(fs.readFileSync(schemaFile, "utf8")));
  const keep = {
    resources: [...new Set([...current.resources, ...values.add])],
    dataSources: [...new Set([...current.dataSources, ...values["add-data"]])],
  };
  const filtered = filterProviderSchema(readRealProviderSchema(), keep);
  fs.writeFileSync(schemaFile, stableJson(filtered));
  console.log(`wrote ${path.relative(process.cwd(), schemaFile)}: ${keep.resources.length} resources, ${keep.dataSources.length} data sources`);
  console.log("Now run `npm run get` to regenerate .gen/ and `npm test`.");
}

main();
