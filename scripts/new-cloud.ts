/**
 * Writes the config file of a new donated cloud, checked before it is written:
 *
 *   npm run new-cloud -- <name> --clouds-yaml-entry <entry> --region <region> --image-name <name> \
 *     --flavor <alias=name:vcpus:ram_gib> ... --network-mode tenant --external-network <name> [--force]
 *
 * Writes $CONFIG_DIR/clouds/<name>.yaml (default config/clouds/). On a terminal, missing answers
 * are asked for; otherwise the missing flags are listed. Exits 0 when written, 1 on a problem or
 * an existing file, 2 on a usage error. See lib/new-cloud.ts.
 */
import * as readline from "node:readline/promises";
import { runNewCloud } from "../lib/new-cloud";

async function main(): Promise<number> {
  const interactive = Boolean(process.stdin.isTTY);
  const prompt = interactive ? readline.createInterface({ input: process.stdin, output: process.stdout }) : undefined;
  try {
    return await runNewCloud(process.argv.slice(2), {
      interactive,
      ask: prompt ? (question) => prompt.question(question) : undefined,
      out: (line) => console.log(line),
      err: (line) => console.error(line),
      configDir: process.env.CONFIG_DIR ?? "config",
    });
  } finally {
    prompt?.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
