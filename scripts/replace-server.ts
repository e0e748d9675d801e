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
import { CommandError, parseCommandArgs, runMain, UsageError } from "../lib/cli";
import { serverAddress } from "../lib/stack-addresses";

const USAGE = `usage: npm run replace-server -- <stack> <server-name> [--print]

Runs \`terraform -chdir=cdktf.out/stacks/<stack> apply -replace=<the server's instance>\`, which
asks for confirmation before it changes anything. The server's port, address and data volume
are kept. Run \`npm run synth\` first; the stack folder must have been initialised by
\`cdktf deploy\`.

  --print   only print the Terraform command

Exits with Terraform's exit code, 1 when the stack or the server is unknown, 2 on a usage error.`;

function listStacks(stacksDir: string): string {
  return fs.existsSync(stacksDir) ? fs.readdirSync(stacksDir).join(", ") : "none synthesized";
}

runMain({
  name: "replace-server",
  usage: USAGE,
  run(argv, io) {
    const parsed = parseCommandArgs(argv, { allowPositionals: true, options: { print: { type: "boolean", default: false } } });
    const [stackName, serverName] = parsed.positionals;
    if (!stackName || !serverName || parsed.positionals.length > 2) {
      throw new UsageError(`expected a stack and a server name, got ${parsed.positionals.length} argument(s)`);
    }
    const stackDir = path.join(process.env.CDKTF_OUTDIR ?? "cdktf.out", "stacks", stackName);
    const stackFile = path.join(stackDir, "cdk.tf.json");
    if (!fs.existsSync(stackFile)) {
      throw new CommandError(`${stackFile} not found; run \`npm run synth\` first (stacks: ${listStacks(path.dirname(stackDir))}).`);
    }
    let address: string;
    try {
      address = serverAddress(JSON.parse(fs.readFileSync(stackFile, "utf8")), serverName);
    } catch (error) {
      throw new CommandError((error as Error).message);
    }
    const args = [`-chdir=${stackDir}`, "apply", `-replace=${address}`];
    io.out(`terraform ${args.join(" ")}`);
    if (parsed.values.print) return 0;
    const result = spawnSync("terraform", args, { stdio: "inherit" });
    if (result.error) throw new CommandError(`terraform could not run: ${result.error.message}; install Terraform 1.5 or later`);
    return result.status ?? 1;
  },
});
