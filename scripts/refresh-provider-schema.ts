/**
 * Regenerates schema/providers/openstack@~%3E%203.4.json from the real provider, built from its
 * Go module (no Terraform registry needed; needs Go and Terraform):
 *
 *   npm run refresh-provider-schema [-- --version 3.4.0 --add openstack_some_resource_v2 --add-data openstack_some_data_v2]
 *
 * `--version` defaults to the release the committed file records. It keeps the resources and
 * data sources the committed file already holds (plus those added), so the file stays as small
 * as the project's use of the provider.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CommandError, parseCommandArgs, runMain, UsageError } from "../lib/cli";
import { readRealProviderSchema } from "../lib/provider-binary";
import { COMMITTED_SCHEMA_FILE, filterProviderSchema, OPENSTACK_PROVIDER_ADDRESS, stableJson, usedTypesOf, type ProvidersSchemaJson } from "../lib/provider-schema";

const schemaFile = COMMITTED_SCHEMA_FILE;

const USAGE = `usage: npm run refresh-provider-schema [-- --version <release> --add <resource type> ... --add-data <data source type> ...]

Needs Terraform and Go (no Terraform registry). Builds terraform-provider-openstack from its Go
module (cached in ~/.cache/ci-log-analysis-infra), runs \`terraform providers schema -json\` and
rewrites schema/providers/ with the resources and data sources the committed file holds, plus
those given:

  --version <release> the provider release, e.g. 3.4.1 (default: the one the committed file records)
  --add <type>        also keep this resource type, e.g. openstack_dns_recordset_v2 (repeatable)
  --add-data <type>   also keep this data source type, e.g. openstack_compute_flavor_v2 (repeatable)

Then run \`npm run get\` and \`npm test\`. Exits 0 when written, 1 when the build or Terraform fails, 2 on a usage error.`;

function refresh(argv: readonly string[], out: (line: string) => void): number {
  const committed = JSON.parse(fs.readFileSync(schemaFile, "utf8")) as ProvidersSchemaJson;
  const { values } = parseCommandArgs(argv, {
    options: {
      version: { type: "string", default: committed.provider_versions?.[OPENSTACK_PROVIDER_ADDRESS] },
      add: { type: "string", multiple: true, default: [] },
      "add-data": { type: "string", multiple: true, default: [] },
    },
  });
  if (values.version === undefined || !/^\d+\.\d+\.\d+$/.test(values.version)) {
    throw new UsageError(`--version: expected a provider release such as 3.4.0, got ${JSON.stringify(values.version)}`);
  }
  const current = usedTypesOf(committed);
  const keep = {
    resources: [...new Set([...current.resources, ...values.add])],
    dataSources: [...new Set([...current.dataSources, ...values["add-data"]])],
  };
  let real: ProvidersSchemaJson;
  try {
    real = readRealProviderSchema(values.version);
  } catch (error) {
    throw new CommandError((error as Error).message);
  }
  const filtered = filterProviderSchema(real, keep);
  fs.writeFileSync(schemaFile, stableJson(filtered));
  out(`wrote ${path.relative(process.cwd(), schemaFile)} from terraform-provider-openstack ${values.version}: ${keep.resources.length} resources, ${keep.dataSources.length} data sources`);
  out("Now run `npm run get` to regenerate .gen/ and `npm test`.");
  return 0;
}

runMain({ name: "refresh-provider-schema", usage: USAGE, run: (argv, io) => refresh(argv, io.out) });
