/**
 * Real Terraform for the tests that check where it puts things. It is not a Debian package (it
 * comes from HashiCorp's apt repository or release archive), and runs here without any network
 * for configurations that need no provider download.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { toolGate } from "./validators";

export const terraformGate = toolGate("terraform", "terraform (from HashiCorp's apt repository)");

/**
 * Runs `terraform -chdir=<dir> <args>` without colours, telemetry or prompts, and without the
 * caller's CLI configuration (TF_CLI_CONFIG_FILE may name a file that does not exist).
 */
export function runTerraform(dir: string, args: readonly string[]): SpawnSyncReturns<string> {
  return spawnSync("terraform", [`-chdir=${dir}`, ...args], {
    env: { ...process.env, TF_CLI_CONFIG_FILE: undefined, TF_DATA_DIR: undefined, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
    encoding: "utf8",
    timeout: 60_000,
  });
}
