/**
 * The real terraform-provider-openstack binary without the Terraform registry: built from its Go
 * module (the Go module proxy serves it), cached by version, and offered to Terraform through a
 * filesystem mirror in a private CLI configuration. `npm run refresh-provider-schema` and the
 * provider tests use it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ProvidersSchemaJson } from "./provider-schema";

export const OPENSTACK_PROVIDER_SOURCE = "terraform-provider-openstack/openstack";
const OPENSTACK_PROVIDER_GO_MODULE = "github.com/terraform-provider-openstack/terraform-provider-openstack";

/** The cache folder of this project's built tools (`$XDG_CACHE_HOME` or ~/.cache). */
export function toolCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "ci-log-analysis-infra");
}

/** Terraform's name of this machine's platform, e.g. linux_amd64. */
function terraformPlatform(): string {
  const arch: Record<string, string> = { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" };
  return `${process.platform}_${arch[process.arch] ?? process.arch}`;
}

/** The filesystem mirror Terraform installs the provider from; the binary lies in it. */
export function providerMirrorDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(toolCacheDir(env), "terraform-mirror");
}

/** Where the binary of a release lies once built (in the mirror's unpacked layout). */
export function openstackProviderBinaryPath(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(
    providerMirrorDir(env), "registry.terraform.io", OPENSTACK_PROVIDER_SOURCE, version, terraformPlatform(),
    `terraform-provider-openstack_v${version}`,
  );
}

/**
 * The provider binary of `version`, built with `go install` (minutes on 2 cores, then cached)
 * unless the cache holds it. Fails with go's output when the build fails.
 */
export function buildOpenstackProvider(version: string): string {
  const binary = openstackProviderBinaryPath(version);
  if (fs.existsSync(binary)) return binary;
  const major = Number(version.split(".")[0]);
  const module = major >= 2 ? `${OPENSTACK_PROVIDER_GO_MODULE}/v${major}` : OPENSTACK_PROVIDER_GO_MODULE;
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  // Build into a private folder and move: a concurrent run never finds half a binary.
  const gobin = fs.mkdtempSync(`${binary}.partial-`);
  try {
    execFileSync("go", ["install", `${module}@v${version}`], {
      env: { ...process.env, GOBIN: gobin, GOFLAGS: "-buildvcs=false" },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 30 * 60_000,
    });
    fs.renameSync(path.join(gobin, "terraform-provider-openstack"), binary);
  } catch (error) {
    const output = (error as { stderr?: Buffer }).stderr?.toString().trim() ?? String(error);
    throw new Error(`go install ${module}@v${version} failed:\n${output.split("\n").slice(-20).join("\n")}`);
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
  return binary;
}

/**
 * Writes a Terraform CLI configuration into `dir` that installs providers from the mirror only
 * (never the registry), and returns the environment to run terraform with. TF_CLI_CONFIG_FILE
 * replaces whatever the machine's environment names.
 */
export function mirrorTerraformEnv(dir: string): NodeJS.ProcessEnv {
  const config = path.join(dir, "terraform-cli.tfrc");
  fs.writeFileSync(
    config,
    `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(providerMirrorDir())}\n    include = ["registry.terraform.io/*/*"]\n  }\n}\n`,
  );
  return { ...process.env, TF_CLI_CONFIG_FILE: config, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
}

/**
 * `terraform providers schema -json` of the real provider at `version` (built if needed), with
 * `provider_versions` from `terraform version -json`, in a temporary folder that is removed.
 */
export function readRealProviderSchema(version: string): ProvidersSchemaJson {
  buildOpenstackProvider(version);
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), "provider-schema-"));
  try {
    const env = mirrorTerraformEnv(workdir);
    const mainTf = { terraform: { required_providers: { openstack: { source: OPENSTACK_PROVIDER_SOURCE, version } } }, provider: { openstack: {} } };
    fs.writeFileSync(path.join(workdir, "main.tf.json"), JSON.stringify(mainTf));
    const terraform = (args: string[]) => runTerraform(args, workdir, env);
    terraform(["init", "-input=false", "-no-color"]);
    const schema = JSON.parse(terraform(["providers", "schema", "-json"])) as ProvidersSchemaJson;
    schema.provider_versions = JSON.parse(terraform(["version", "-json"])).provider_selections;
    return schema;
  } finally {
    fs.rmSync(workdir, { recursive: true, force: true });
  }
}

/** Runs terraform in `cwd` and returns its output; fails with its message (or how to install it). */
export function runTerraform(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const result = spawnSync("terraform", args, { cwd, env, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (result.error) throw new Error(`terraform could not run: ${result.error.message}; install Terraform 1.5 or later`);
  if (result.status !== 0) throw new Error(`\`terraform ${args.join(" ")}\` failed:\n${result.stderr.trim() || result.stdout.trim()}`);
  return result.stdout;
}
