/**
 * Replaces one server on purpose, e.g. a search node after an image or user-data change (those
 * changes are ignored on stateful servers so that no plan replaces them silently). Its data
 * volume is kept and mounted again by the new server.
 *
 *   npm run replace-server -- <stack> <server-name> [--print]
 *
 * Run `npm run synth` first. With --print it only prints the Terraform command.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { serverAddress } from "../lib/stack-addresses";

function main(): number {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { print: { type: "boolean", default: false } } });
  const [stackName, serverName] = positionals;
  if (!stackName || !serverName || positionals.length > 2) {
    console.error("usage: npm run replace-server -- <stack> <server-name> [--print]");
    return 2;
  }
  const stackDir = path.join(process.env.CDKTF_OUTDIR ?? "cdktf.out", "stacks", stackName);
  const stackFile = path.join(stackDir, "cdk.tf.json");
  if (!fs.existsSync(stackFile)) {
    console.error(`${stackFile} not found; run \`npm run synth\` first (stacks: ${listStacks(path.dirname(stackDir))}).`);
    return 1;
  }
  let address: string;
  try {
    address = serverAddress(JSON.parse(fs.readFileSync(stackFile, "utf8")), serverName);
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  const args = [`-chdir=${stackDir}`, "apply", `-replace=${address}`];
  console.log(`terraform ${args.join(" ")}`);
  if (values.print) return 0;
  return spawnSync("terraform", args, { stdio: "inherit" }).status ?? 1;
}

function listStacks(stacksDir: string): string {
  return fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).join(", ") : "none synthesized";
}

process.exitCode = main();
