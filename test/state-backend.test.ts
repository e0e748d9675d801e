import { TerraformStack, Testing } from "cdktf";
import type { StateConfig } from "../lib/config/schema";
import { configureStateBackend } from "../stacks/state-backend";

function backendOf(state: StateConfig) {
  const stack = new TerraformStack(Testing.app(), "prod");
  configureStateBackend(stack, state);
  return JSON.parse(Testing.synth(stack)).terraform.backend;
}

describe("configureStateBackend", () => {
  test("keeps the state in a local file named after the stack by default", () => {
    expect(backendOf({ backend: "local" })).toEqual({ local: { path: "terraform.prod.tfstate" } });
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
