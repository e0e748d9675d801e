/**
 * Checks a deployment's cloud before the first plan, with read-only API calls:
 *
 *   npm run preflight -- <deployment> [--timeout <seconds>]
 *
 * Exits 0 when every check passed, 1 when one failed, 2 on a usage or config error, 3 when no
 * cloud could be asked. See lib/preflight.ts.
 */
import { CommandError, runMain } from "../lib/cli";
import { preflightCommand } from "../lib/preflight";

runMain(
  preflightCommand({
    configDir: process.env.CONFIG_DIR ?? "config",
    // The stacks are built in memory only, to count what they need; nothing is written. Loaded
    // on use, so that --help and usage errors answer at once.
    neededByCloud: async (config) => {
      const [{ App }, { buildApp, QuotaError }] = await Promise.all([import("cdktf"), import("../main")]);
      try {
        return buildApp(new App(), config);
      } catch (error) {
        if (!(error instanceof QuotaError)) throw error;
        throw new CommandError(`the deployments do not fit the quota their cloud files declare (\`npm run synth\` says the same):\n  ${error.message.split("\n").join("\n  ")}`, 2);
      }
    },
  }),
);
