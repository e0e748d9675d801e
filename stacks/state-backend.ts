import * as path from "node:path";
import { HttpBackend, LocalBackend, PgBackend, S3Backend, type TerraformStack } from "cdktf";
import type { StateConfig } from "../lib/config/schema";

/**
 * Terraform runs in the stack's folder, `cdktf.out/stacks/<stack>/`, and resolves a relative
 * state path from there; synth rewrites that folder, so the state must live outside it. This
 * leads from it back to the project folder (the one holding cdktf.out), without writing a
 * machine's absolute path into the synthesized JSON.
 */
export const PROJECT_FOLDER_FROM_STACK = "../../..";

/**
 * Sets where Terraform keeps the stack's state. Credentials never appear here: S3 takes
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (EC2 credentials of the sponsor's cloud), pg takes
 * PG_CONN_STR, http takes TF_HTTP_USERNAME / TF_HTTP_PASSWORD, all from the admin's environment.
 */
export function configureStateBackend(stack: TerraformStack, state: StateConfig): void {
  const stackName = stack.node.id;
  switch (state.backend) {
    case "local": {
      const file = state.path ?? `terraform.${stackName}.tfstate`;
      new LocalBackend(stack, { path: path.posix.isAbsolute(file) ? file : path.posix.join(PROJECT_FOLDER_FROM_STACK, file) });
      return;
    }
    case "s3": {
      const backend = new S3Backend(stack, {
        bucket: state.bucket,
        key: state.key ?? `${stackName}.tfstate`,
        region: state.region,
        endpoints: { s3: state.endpoint },
        usePathStyle: true,
        skipCredentialsValidation: true,
        skipRegionValidation: true,
        skipRequestingAccountId: true,
        skipMetadataApiCheck: true,
      });
      // Swift and Ceph do not compute the checksums newer AWS SDKs send.
      backend.addOverride("skip_s3_checksum", true);
      if (state.lockfile) backend.addOverride("use_lockfile", true);
      return;
    }
    case "pg": {
      const backend = new PgBackend(stack, { connStr: "", schemaName: state.schema_name ?? stackName });
      // The connection string holds a password: Terraform reads it from PG_CONN_STR when the setting is absent.
      backend.addOverride("conn_str", undefined);
      return;
    }
    case "http":
      new HttpBackend(stack, {
        address: state.address,
        lockAddress: state.lock_address,
        unlockAddress: state.unlock_address ?? state.lock_address,
      });
      return;
  }
}
