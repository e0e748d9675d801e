/**
 * The app: one stack per deployment in the config folder (config/, or CONFIG_DIR).
 * `npm run synth` and `npx cdktf synth|diff|deploy` both run this file.
 */
import type { App } from "cdktf";
import { loadConfig, type LoadedConfig } from "./lib/config/load";
import { ConfigError, formatProblem } from "./lib/config/problems";
import { serviceBundle } from "./lib/service-bundle";
import { addUsage, emptyUsage, exceeded, formatUsage, usageOf, type QuotaUsage } from "./lib/quota";
import { rootDiskReports } from "./lib/root-disk";
import { ingestRate } from "./lib/ingestion/ingest-rate";
import { searchCapacity } from "./lib/search/topology";
import { synthesizeInto } from "./lib/synth";
import { DeploymentStack } from "./stacks/deployment-stack";

/** How cdktf starts the error it throws when a construct's validation (our policy checks) fails. */
const VALIDATION_FAILURE = "Validation failed with the following errors:";

export class QuotaError extends Error {}

/**
 * Builds one stack per deployment and checks that the deployments of each cloud fit its donated
 * quota together (they share one project). Returns each cloud's usage, for the synth summary.
 * @throws QuotaError naming the cloud, the deployments and every item over quota
 */
export function buildApp(app: App, config: LoadedConfig): Map<string, QuotaUsage> {
  const usageByCloud = new Map<string, QuotaUsage>();
  const serviceBundles = { recheck: serviceBundle("recheck"), ingestion: serviceBundle("ingestion") };
  const stacks = config.deployments.map((deployment) => {
    const stack = new DeploymentStack(app, deployment.name, { deployment, queries: config.queries, savedObjects: config.savedObjects, serviceBundles });
    const usage = usageOf(stack, deployment.cloud.config.flavors);
    usageByCloud.set(deployment.cloud.name, addUsage(usageByCloud.get(deployment.cloud.name) ?? emptyUsage(), usage));
    return { stack, deployment, usage };
  });
  // Recorded in the stack's "//" metadata (Terraform ignores it) for `npm run review`.
  for (const { stack, deployment, usage } of stacks) {
    stack.addOverride("//.quota", {
      cloud: deployment.cloud.name,
      stack_usage: usage,
      cloud_usage: usageByCloud.get(deployment.cloud.name),
      quota: deployment.cloud.config.quota,
    });
  }
  const problems = [...usageByCloud].flatMap(([cloudName, usage]) => {
    const cloud = config.clouds.get(cloudName)!;
    const deployments = config.deployments.filter((deployment) => deployment.cloud.name === cloudName).map((deployment) => deployment.name);
    return exceeded(usage, cloud.config.quota).map((line) => `${cloud.file}: quota: ${line} (deployments ${deployments.join(", ")})`);
  });
  if (problems.length > 0) {
    throw new QuotaError(
      `${problems.join("\n")}\nAsk the sponsor for more quota, or make the deployments smaller (counts, flavors, volume sizes).`,
    );
  }
  return usageByCloud;
}

/** `npm run synth`: synthesizes the config folder into the output folder; returns the exit code. */
export function main(): number {
  const configDir = process.env.CONFIG_DIR ?? "config";
  const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
  try {
    const config = loadConfig(configDir);
    let usageByCloud = new Map<string, QuotaUsage>();
    const { otherStacks } = synthesizeInto(
      outdir,
      (app) => {
        usageByCloud = buildApp(app, config);
      },
      { creationStackTraces: process.env.SYNTH_STACK_TRACES === "1" },
    );
    console.log(`Synthesized ${config.deployments.map((d) => d.name).join(", ")} into ${outdir}/stacks/`);
    if (otherStacks.length > 0) {
      console.log(`  left as they are (not in ${configDir}): ${otherStacks.map((name) => `${outdir}/stacks/${name}`).join(", ")}`);
    }
    for (const deployment of config.deployments) {
      console.log(`  ${deployment.name}: search cluster ${searchCapacity(deployment.search).summary}; ${ingestRate(deployment.search).summary}`);
      const rootDisks = rootDiskReports(deployment.config, deployment.search, deployment.cloud.config.flavors);
      console.log(`  ${deployment.name}: root disks needed/available ${rootDisks.map((disk) => `${disk.role} ${disk.requiredGiB}/${disk.availableGiB} GiB`).join(", ")}`);
    }
    for (const [cloudName, usage] of usageByCloud) {
      console.log(`  cloud ${cloudName}: quota used ${formatUsage(usage, config.clouds.get(cloudName)!.config.quota)}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration has ${error.problems.length} problem(s); nothing was written:`);
      for (const problem of error.problems) console.error(`  ${formatProblem(problem)}`);
      return 1;
    }
    if (error instanceof QuotaError) {
      console.error(`The deployments do not fit the donated quota; nothing was written:`);
      for (const line of error.message.split("\n")) console.error(`  ${line}`);
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
