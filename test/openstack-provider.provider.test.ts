/**
 * The real terraform-provider-openstack (built from its Go module, see lib/provider-binary.ts)
 * against what the project commits and synthesizes: the schema file must be exactly the real
 * provider's schema for the types we use, and every synthesized stack must pass
 * `terraform validate`. The random and tls providers are not served by the Go module proxy at
 * the versions the stacks pin (README: Tests against the real programs), so their resources are
 * replaced by `terraform_data` holding the same arguments before validating: everything of the
 * OpenStack provider is validated, the random and tls resources' own arguments are not.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildOpenstackProvider, mirrorTerraformEnv, openstackProviderBinaryPath, OPENSTACK_PROVIDER_SOURCE, readRealProviderSchema, runTerraform } from "../lib/provider-binary";
import { COMMITTED_SCHEMA_FILE, filterProviderSchema, OPENSTACK_PROVIDER_ADDRESS, stableJson, usedTypesOf, type ProvidersSchemaJson } from "../lib/provider-schema";
import { synthConfig, type StackJson } from "./support/synth";
import { describeGated, findExecutable, type ToolGate } from "./support/validators";

const committedText = fs.readFileSync(COMMITTED_SCHEMA_FILE, "utf8");
const committed = JSON.parse(committedText) as ProvidersSchemaJson;
const version = committed.provider_versions![OPENSTACK_PROVIDER_ADDRESS];

/** Providers whose pinned releases cannot be built here (the Go module proxy does not serve them). */
const UNAVAILABLE_PROVIDERS = ["random", "tls"];

function providerGate(env: NodeJS.ProcessEnv = process.env): ToolGate {
  const missing = [
    ...(findExecutable("terraform", env.PATH ?? "") === undefined ? ["terraform (1.5 or later, https://developer.hashicorp.com/terraform/install)"] : []),
    ...(!fs.existsSync(openstackProviderBinaryPath(version, env)) && findExecutable("go", env.PATH ?? "") === undefined ? ["go (1.24 or later, https://go.dev/dl/)"] : []),
  ];
  if (missing.length === 0) return { run: true };
  if (env.CI === "true") return { run: false, fail: `CI=true requires the provider tests: install ${missing.join(" and ")}` };
  return { run: false, skip: `SKIPPED: install ${missing.join(" and ")} to run the tests against the real OpenStack provider` };
}

/**
 * The stack with every resource of an unavailable provider turned into a `terraform_data` that
 * holds the same arguments (so their references are still checked), and references to it
 * rewritten to that resource's output.
 */
function withStandInsFor(stack: StackJson, providers: readonly string[]): StackJson {
  const isUnavailable = (type: string) => providers.some((name) => type.startsWith(`${name}_`));
  const copy = structuredClone(stack);
  const standIns: Record<string, StackJson> = {};
  for (const [type, resources] of Object.entries(copy.resource as Record<string, Record<string, StackJson>>)) {
    if (!isUnavailable(type)) continue;
    for (const [name, body] of Object.entries(resources)) {
      const { lifecycle, depends_on: dependsOn, ...input } = body;
      delete input["//"];
      standIns[`${type}__${name}`] = { input, ...(lifecycle ? { lifecycle } : {}), ...(dependsOn ? { depends_on: dependsOn } : {}) };
    }
    delete copy.resource[type];
  }
  copy.resource.terraform_data = standIns;
  for (const name of providers) {
    delete copy.provider?.[name];
    delete copy.terraform.required_providers[name];
  }
  const reference = new RegExp(`\\b((?:${providers.join("|")})_[a-z0-9_]+)\\.([A-Za-z0-9_-]+)((?:\\[[^\\]]*\\])?)\\.`, "g");
  return JSON.parse(JSON.stringify(copy).replace(reference, "terraform_data.$1__$2$3.output."));
}

describe("stand-ins for the providers that cannot be built", () => {
  test("keep the arguments and turn references into the stand-in's output", () => {
    const stack = {
      terraform: { required_providers: { openstack: {}, random: {} } },
      provider: { openstack: [{}], random: [{}] },
      resource: {
        random_password: { pw: { length: 32, lifecycle: { prevent_destroy: true } } },
        openstack_compute_instance_v2: { vm: { name: "${random_password.pw.result}-${random_password.pw.bcrypt_hash}" } },
      },
    };
    expect(withStandInsFor(stack, ["random"])).toEqual({
      terraform: { required_providers: { openstack: {} } },
      provider: { openstack: [{}] },
      resource: {
        terraform_data: { random_password__pw: { input: { length: 32 }, lifecycle: { prevent_destroy: true } } },
        openstack_compute_instance_v2: { vm: { name: "${terraform_data.random_password__pw.output.result}-${terraform_data.random_password__pw.output.bcrypt_hash}" } },
      },
    });
  });
});

describe("providerGate", () => {
  test("skips with one line naming what to install", () => {
    expect(providerGate({ PATH: "/nonexistent", XDG_CACHE_HOME: "/nonexistent" })).toEqual({
      run: false,
      skip: expect.stringMatching(/^SKIPPED: install terraform .* and go .* to run the tests against the real OpenStack provider$/),
    });
  });

  test("fails under CI=true", () => {
    expect(providerGate({ PATH: "/nonexistent", XDG_CACHE_HOME: "/nonexistent", CI: "true" })).toMatchObject({ run: false, fail: expect.stringContaining("CI=true") });
  });
});

describeGated(providerGate(), `terraform-provider-openstack ${version}, built from its Go module`, () => {
  beforeAll(() => {
    buildOpenstackProvider(version);
  }, 30 * 60_000);

  test("has exactly the schema committed in schema/providers for the types the project uses", () => {
    const real = filterProviderSchema(readRealProviderSchema(version), usedTypesOf(committed));
    expect(real.provider_schemas[OPENSTACK_PROVIDER_ADDRESS].resource_schemas).toEqual(committed.provider_schemas[OPENSTACK_PROVIDER_ADDRESS].resource_schemas);
    expect(stableJson(real)).toBe(committedText);
  });

  describe("terraform validate", () => {
    let workdir: string;
    let env: NodeJS.ProcessEnv;
    let stacks: Record<string, StackJson>;
    const exampleStacks = ["evaluation", "production", "staging"];

    const validate = (stack: StackJson) => {
      fs.writeFileSync(path.join(workdir, "main.tf.json"), JSON.stringify(withStandInsFor(stack, UNAVAILABLE_PROVIDERS)));
      const result = spawnSync("terraform", ["validate", "-json", "-no-color"], { cwd: workdir, env, encoding: "utf8" });
      const report = JSON.parse(result.stdout) as { valid: boolean; diagnostics: { severity: string; summary: string; detail?: string; address?: string }[] };
      return report.diagnostics.map((d) => `${d.severity}: ${d.address ?? ""} ${d.summary}${d.detail ? `: ${d.detail}` : ""}`.replace(/\s+/g, " "));
    };

    beforeAll(() => {
      stacks = synthConfig();
      workdir = fs.mkdtempSync(path.join(os.tmpdir(), "terraform-validate-"));
      env = mirrorTerraformEnv(workdir);
      const required = { terraform: { required_providers: { openstack: { source: OPENSTACK_PROVIDER_SOURCE, version } } } };
      fs.writeFileSync(path.join(workdir, "main.tf.json"), JSON.stringify(required));
      runTerraform(["init", "-backend=false", "-input=false", "-no-color"], workdir, env);
    });

    afterAll(() => fs.rmSync(workdir, { recursive: true, force: true }));

    test("covers every stack of the example config", () => {
      expect(Object.keys(stacks).sort()).toEqual(exampleStacks);
    });

    test.each(exampleStacks)("accepts the %s stack", (name) => {
      expect(validate(stacks[name])).toEqual([]);
    });

    test("rejects a stack with an argument the provider does not have", () => {
      const broken = structuredClone(stacks.evaluation);
      const instances = broken.resource.openstack_compute_instance_v2 as Record<string, StackJson>;
      Object.values(instances)[0].flavour_name = "m1.small";
      expect(validate(broken).join("\n")).toMatch(/Extraneous JSON object property.*flavour_name/);
    });
  });
});
