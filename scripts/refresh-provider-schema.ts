/**
 * Regenerates schema/providers/openstack@~%3E%203.4.json from the real provider, on a machine
 * with Terraform and registry access:
 *
 *   npm run refresh-provider-schema [-- --add openstack_some_resource_v2 --add-data openstack_some_data_v2]
 *
 * It keeps the resources and data sources the committed file already holds (plus those added),
 * so the file stays as small as the project's use of the provider.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import cdktfJson from "../cdktf.json";
import { CommandError, runMain, UsageError } from "../lib/cli";
import { filterProviderSchema, stableJson, usedTypesOf, type ProvidersSchemaJson } from "../lib/provider-schema";

const provider = cdktfJson.terraformProviders[0];
const schemaFile = path.join(
  __dirname, "..", "schema", "providers",
  `${encodeURIComponent(provider.name)}@${encodeURIComponent(provider.version)}.json`,
);

const USAGE = `usage: npm run refresh-provider-schema [-- --add <resource type> ... --add-data <data source type> ...]

Needs Terraform and access to its registry. Downloads ${provider.source} ${provider.version}, runs
\`terraform providers schema -json\` and rewrites schema/providers/ with the resources and data
sources the committed file holds, plus those given:

  --add <type>        also keep this resource type, e.g. openstack_dns_recordset_v2 (repeatable)
  --add-data <type>   also keep this data source type, e.g. openstack_compute_flavor_v2 (repeatable)

Then run \`npm run get\` and \`npm test\`. Exits 0 when written, 1 when Terraform fails, 2 on a usage error.`;

/** Runs Terraform in `cwd`; a failure (no Terraform, no registry) is the user's to fix, not a bug. */
function terraform(args: string[], cwd: string): string {
  const result = spawnSync("terraform", args, { cwd, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (result.error) throw new CommandError(`terraform could not run: ${result.error.message}; install Terraform 1.5 or later`);
  if (result.status !== 0) {
    throw new CommandError(`\`terraform ${args.join(" ")}\` failed (it needs the Terraform registry):\n${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result.stdout;
}

function readRealProviderSchema(): ProvidersSchemaJson {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), "provider-schema-"));
  try {
    const mainTf = {
      terraform: { required_providers: { [provider.name]: { source: provider.source, version: provider.version } } },
      provider: { [provider.name]: {} },
    };
    fs.writeFileSync(path.join(workdir, "main.tf.json"), JSON.stringify(mainTf));
    terraform(["init", "-input=false", "-no-color"], workdir);
    const schema = JSON.parse(terraform(["providers", "schema", "-json"], workdir)) as ProvidersSchemaJson;
    schema.provider_versions = JSON.parse(terraform(["version", "-json"], workdir)).provider_selections;
    return schema;
  } finally {
    fs.rmSync(workdir, { recursive: true, force: true });
  }
}

function refresh(argv: readonly string[], out: (line: string) => void): number {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: { add: { type: "string", multiple: true, default: [] }, "add-data": { type: "string", multiple: true, default: [] } },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const current = usedTypesOf(JSON.parse(fs.readFileSync(schemaFile, "utf8")));
  const keep = {
    resources: [...new Set([...current.resources, ...values.add])],
    dataSources: [...new Set([...current.dataSources, ...values["add-data"]])],
  };
  const filtered = filterProviderSchema(readRealProviderSchema(), keep);
  fs.writeFileSync(schemaFile, stableJson(filtered));
  out(`wrote ${path.relative(process.cwd(), schemaFile)}: ${keep.resources.length} resources, ${keep.dataSources.length} data sources`);
  out("Now run `npm run get` to regenerate .gen/ and `npm test`.");
  return 0;
}

runMain({ name: "refresh-provider-schema", usage: USAGE, run: (argv, io) => refresh(argv, io.out) });
