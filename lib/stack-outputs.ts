/**
 * The outputs of a deployed stack, as `terraform output -json` prints them, for the commands
 * that work on a deployment (smoke, ssh-config): read from Terraform in the stack's folder, or
 * from a file holding that JSON.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { CommandError, UsageError } from "./cli";

/** Outputs that cannot be read or are not what the stack writes (exit 2, without the usage: the command line was right). */
export class OutputsError extends CommandError {
  constructor(message: string) {
    super(message, 2);
    this.name = "OutputsError";
  }
}

/** Terraform's error (`-no-color`): its "Error:" line and the paragraph after it, without the box drawing and warnings. */
function terraformError(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.replace(/^[\s╷│╵]+/, "").trimEnd());
  const start = lines.findIndex((line) => line.startsWith("Error:"));
  if (start === -1) return lines.filter((line) => line !== "").join("\n  ");
  const paragraphEnd = (from: number) => {
    const end = lines.findIndex((line, index) => index > from && line === "");
    return end === -1 ? lines.length : end;
  };
  const firstEnd = paragraphEnd(start);
  const next = lines.findIndex((line, index) => index > firstEnd && line !== "");
  const shown = next === -1 ? lines.slice(start, firstEnd) : [...lines.slice(start, firstEnd), ...lines.slice(next, paragraphEnd(next))];
  return shown.join("\n  ");
}

/**
 * The text of `terraform -chdir=<outdir>/stacks/<stack> output -json`.
 * @throws OutputsError when the stack is not synthesized, not deployed, or Terraform fails
 */
export function terraformOutputJson(stack: string, outdir = "cdktf.out", terraform = "terraform"): string {
  const stackDir = path.join(outdir, "stacks", stack);
  if (!fs.existsSync(path.join(stackDir, "cdk.tf.json"))) {
    throw new OutputsError(`${stackDir}/cdk.tf.json not found; run \`npm run synth\` and deploy the stack first`);
  }
  const args = [`-chdir=${stackDir}`, "output", "-json", "-no-color"];
  const result = spawnSync(terraform, args, { encoding: "utf8", timeout: 60_000, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  if (result.error) throw new OutputsError(`${terraform} could not run (${result.error.message}); install Terraform, or pass --outputs <file.json>`);
  if (result.status !== 0) {
    throw new OutputsError(
      `cannot read the outputs of ${stack}: has it been deployed from this folder (\`npx cdktf deploy ${stack}\`)? \`${terraform} ${args.join(" ")}\` said:\n  ${terraformError(result.stderr)}`,
    );
  }
  return result.stdout;
}

/**
 * The outputs JSON text from `--outputs <file>` when given, else from Terraform for `stack`.
 * @throws UsageError when the file cannot be read, OutputsError as terraformOutputJson
 */
export function readOutputsJson(stack: string | undefined, outputsFile: string | undefined, outdir?: string, terraform?: string): { json: string; source: string } {
  if (outputsFile) {
    try {
      return { json: fs.readFileSync(outputsFile, "utf8"), source: outputsFile };
    } catch (error) {
      throw new UsageError(`--outputs: ${(error as Error).message}`);
    }
  }
  if (!stack) throw new UsageError("expected a stack name, or --outputs <file.json>");
  return { json: terraformOutputJson(stack, outdir, terraform), source: `${terraform ?? "terraform"} output of ${stack}` };
}

/**
 * The outputs as a map of name to value, from the JSON `terraform output -json` prints.
 * @throws OutputsError
 */
export function outputValues(json: string, source: string): Record<string, unknown> {
  let outputs: unknown;
  try {
    outputs = JSON.parse(json);
  } catch (error) {
    throw new OutputsError(`${source}: not JSON (${(error as Error).message}); expected the output of \`terraform output -json\``);
  }
  if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) {
    throw new OutputsError(`${source}: expected an object of outputs, as \`terraform output -json\` prints`);
  }
  return Object.fromEntries(
    Object.entries(outputs).map(([name, output]) => [name, typeof output === "object" && output !== null && "value" in output ? (output as { value: unknown }).value : output]),
  );
}
