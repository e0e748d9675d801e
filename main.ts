/**
 * The app: one stack per deployment in the config folder (config/, or CONFIG_DIR).
 * `npm run synth` and `npx cdktf synth|diff|deploy` both run this file.
 */
import type { App } from "cdktf";
import { loadConfig, type LoadedConfig } from "./lib/config/load";
import { ConfigError, formatProblem } from "./lib/config/problems";
import { searchCapacity } from "./lib/search/topology";
import { synthesizeAtomically } from "./lib/synth";
import { DeploymentStack } from "./stacks/deployment-stack";

/** How cdktf starts the error it throws when a construct's validation (our policy checks) fails. */
const VALIDATION_FAILURE = "Validation failed with the following errors:";

export function buildApp(app: App, config: LoadedConfig): void {
  for (const deployment of config.deployments) {
    new DeploymentStack(app, deployment.name, { deployment, queries: config.queries });
  }
}

function main(): number {
  const configDir = process.env.CONFIG_DIR ?? "config";
  const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
  try {
    const config = loadConfig(configDir);
    synthesizeAtomically(outdir, (app) => buildApp(app, config));
    console.log(`Synthesized ${config.deployments.map((d) => d.name).join(", ")} into ${outdir}/stacks/`);
    for (const deployment of config.deployments) {
      console.log(`  ${deployment.name}: search cluster ${searchCapacity(deployment.search).summary}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration has ${error.problems.length} problem(s); nothing was written:`);
      for (const problem of error.problems) console.error(`  ${formatProblem(problem)}`);
      return 1;
    }
    if (error instanceof Error && error.message.startsWith(VALIDATION_FAILURE)) {
      const violations = error.message.split("\n").map((line) => line.trim()).filter((line) => line.startsWith("["));
      console.error(`Policy checks failed with ${violations.length} problem(s); nothing was written:`);
      for (const violation of violations) console.error(`  ${violation}`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  process.exitCode = main();
}
