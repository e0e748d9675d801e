import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App, TerraformStack, Testing } from "cdktf";
import type { StateConfig } from "../lib/config/schema";
import { configureStateBackend } from "../stacks/state-backend";
import { runTerraform } from "../lib/provider-binary";
import { terraformGate } from "./support/terraform";
import { describeGated } from "./support/validators";

function backendOf(state: StateConfig) {
  const stack = new TerraformStack(Testing.app(), "prod");
  configureStateBackend(stack, state);
  return JSON.parse(Testing.synth(stack)).terraform.backend;
}

describe("configureStateBackend", () => {
  test("keeps the state in a local file named after the stack by default", () => {
    expect(backendOf({ backend: "local" })).toEqual({ local: { path: "../../../terraform.prod.tfstate" } });
  });

  test("uses S3-compatible object storage with path-style requests and a lock file, no credentials", () => {
    expect(backendOf({ backend: "s3", bucket: "tfstate", endpoint: "https://object.example.org", region: "us-east-1", lockfile: true })).toEqual({
      s3: {
        bucket: "tfstate", key: "prod.tfstate", region: "us-east-1", endpoints: { s3: "https://object.example.org" },
        use_path_style: true, use_lockfile: true, skip_credentials_validation: true, skip_region_validation: true,
        skip_requesting_account_id: true, skip_metadata_api_check: true, skip_s3_checksum: true,
      },
    });
  });

  test("uses PostgreSQL without the connection string, which Terraform reads from PG_CONN_STR", () => {
    expect(backendOf({ backend: "pg" })).toEqual({ pg: { schema_name: "prod" } });
  });

  test("uses an HTTP state server, locking at the lock address", () => {
    expect(backendOf({ backend: "http", address: "https://state.example.org/prod", lock_address: "https://state.example.org/prod/lock" })).toEqual({
      http: { address: "https://state.example.org/prod", lock_address: "https://state.example.org/prod/lock", unlock_address: "https://state.example.org/prod/lock" },
    });
  });
});

describe("a local state file", () => {
  test("lies in the project folder, relative to the stack's folder, unless the path is absolute", () => {
    expect(backendOf({ backend: "local", path: "state/prod.tfstate" })).toEqual({ local: { path: "../../../state/prod.tfstate" } });
    expect(backendOf({ backend: "local", path: "/srv/state/prod.tfstate" })).toEqual({ local: { path: "/srv/state/prod.tfstate" } });
  });
});

describeGated(terraformGate, "a local state file, with real Terraform", () => {
  let project: string;
  beforeAll(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), "state-backend-"));
  });
  afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

  test("is written beside cdktf.out, where synth never touches it, not in the stack's folder", () => {
    const app = new App({ outdir: path.join(project, "cdktf.out") });
    const stack = new TerraformStack(app, "prod");
    configureStateBackend(stack, { backend: "local" });
    // A built-in resource: Terraform applies it without downloading any provider.
    stack.addOverride("resource.terraform_data.marker.input", "kept");
    app.synth();
    const stackDir = path.join(project, "cdktf.out", "stacks", "prod");
    // Without the caller's CLI configuration: TF_CLI_CONFIG_FILE may name a file that does not exist.
    const env = { ...process.env, TF_CLI_CONFIG_FILE: undefined, TF_DATA_DIR: undefined, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
    expect(runTerraform(["init", "-input=false", "-no-color"], stackDir, env)).toContain("Terraform has been successfully initialized");
    expect(runTerraform(["apply", "-auto-approve", "-input=false", "-no-color"], stackDir, env)).toContain("Apply complete!");
    expect(JSON.parse(fs.readFileSync(path.join(project, "terraform.prod.tfstate"), "utf8")).resources[0].instances[0].attributes.input).toEqual({ type: "string", value: "kept" });
    expect(fs.readdirSync(stackDir).filter((name) => name.endsWith(".tfstate"))).toEqual([]);
  });
});
