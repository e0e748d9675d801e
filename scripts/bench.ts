/**
 * Times what reviewers wait for: `npm run synth` and `npm test`, several runs each, and prints
 * the median and spread of the wall time.
 *
 *   npm run bench [-- --synth-runs 7 --test-runs 3]
 */
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import { parseArgs } from "node:util";

function timeRuns(command: string, args: string[], runs: number): number[] {
  const seconds: number[] = [];
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    if (result.status !== 0) {
      console.error(`${result.stdout}${result.stderr}\n${command} ${args.join(" ")} failed with exit code ${result.status}; nothing to time.`);
      process.exit(1);
    }
    seconds.push(elapsed);
  }
  return seconds;
}

function summary(label: string, seconds: number[]): string {
  const sorted = [...seconds].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  const fmt = (s: number) => s.toFixed(2);
  return `${label.padEnd(14)} runs=${sorted.length}  median=${fmt(median)} s  min=${fmt(sorted[0])} s  max=${fmt(sorted[sorted.length - 1])} s  spread=${fmt(sorted[sorted.length - 1] - sorted[0])} s`;
}

const { values } = parseArgs({
  options: { "synth-runs": { type: "string", default: "7" }, "test-runs": { type: "string", default: "3" } },
});
console.log(`machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
timeRuns("npm", ["run", "synth", "--silent"], 1); // warm the transpile cache, as a second run of a user would
console.log(summary("npm run synth", timeRuns("npm", ["run", "synth", "--silent"], Number(values["synth-runs"]))));
console.log(summary("npm test", timeRuns("npm", ["test", "--silent"], Number(values["test-runs"]))));
