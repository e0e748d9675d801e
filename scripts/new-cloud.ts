/**
 * Writes the config file of a new donated cloud, checked before it is written:
 *
 *   npm run new-cloud -- <name> --clouds-yaml-entry <entry> --region <region> --image-name <name> \
 *     --flavor <alias=name:vcpus:ram_gib> ... --network-mode tenant --external-network <name> [--force]
 *
 * Writes $CONFIG_DIR/clouds/<name>.yaml (default config/clouds/). On a terminal, missing answers
 * are asked for; otherwise the missing flags are listed. Exits 0 when written, 1 on a problem or
 * an existing file, 2 on a usage error, 130 when a prompt is cancelled (Ctrl+C, Ctrl+D). See
 * lib/new-cloud.ts.
 */
import * as readline from "node:readline/promises";
import { runMain } from "../lib/cli";
import { newCloudCommand } from "../lib/new-cloud";

const interactive = Boolean(process.stdin.isTTY);
let prompt: readline.Interface | undefined;
const command = newCloudCommand({
  interactive,
  ask: interactive
    ? (question) => {
        prompt ??= readline.createInterface({ input: process.stdin, output: process.stdout });
        return prompt.question(question);
      }
    : undefined,
  configDir: process.env.CONFIG_DIR ?? "config",
});
runMain({
  ...command,
  run: async (argv, io) => {
    try {
      return await command.run(argv, io);
    } finally {
      prompt?.close();
    }
  },
});
