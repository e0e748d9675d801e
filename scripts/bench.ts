/**
 * Times what reviewers and admins wait for, several runs each, and prints the median and spread
 * of the wall time: `npm run synth` of the example config, `npx cdktf synth` of the same app
 * (and their ratio), synth of a generated fleet at two sizes (seconds per 100 servers),
 * `npm test` and `npm run review`; the ingestion's figures (scripts/bench-ingestion.ts): a
 * listing pass over the openstack tenant's shape, and the ingest pipeline's cost on the real node;
 * the test search cluster's (scripts/bench-cluster.ts): its start, a data node's restart and a
 * cluster-manager's replacement, each to a green cluster; the suggested signatures of a generated
 * day of failures on the real node (scripts/bench-suggestions.ts); and the boot tests' times per
 * role (`npx jest --selectProjects boot`, see test/support/boot-role.ts), with the search node's
 * boot under qemu (first boot and reboot, test/search-node.qemu.boot.test.ts).
 *
 *   npm run bench [-- --synth-runs 7 --cli-runs 3 --fleet-runs 3 --test-runs 3 --review-runs 3
 *                     --listing-passes 5 --ingest-documents 60000 --ingest-rounds 3 --cluster-runs 1
 *                     --suggestion-builds 1000 --suggestion-runs 3 --boot-runs 1]
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { writeFleetConfig } from "../test/fixtures/fleet-config";
import { benchCluster } from "./bench-cluster";
import { benchIngest, benchListing } from "./bench-ingestion";
import { benchSuggestions } from "./bench-suggestions";
import { SERVICE_DEFAULTS } from "../lib/recheck/service-config";

const ROOT = path.join(__dirname, "..");
const SYNTH = path.join(ROOT, "scripts", "synth.js");

/** Wall seconds of each run; a run that ends with another exit status than `accepted` stops the bench. */
interface Runs {
  readonly wall: number[];
  /** CPU seconds (user + system) of the command and the processes it waited for: what other load on the machine does not change. */
  readonly cpu: number[];
}

/** CPU seconds used by the children this process has waited for (Linux: /proc/self/stat, clock ticks of 1/100 s). */
function childrenCpuSeconds(): number {
  const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** Wall and CPU seconds of each run; a run that ends with another exit status than `accepted` stops the bench. */
function timeRuns(command: string, args: string[], runs: number, env: NodeJS.ProcessEnv = {}, accepted: readonly number[] = [0]): Runs {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < runs; run++) {
    const cpuBefore = childrenCpuSeconds();
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, {
      cwd: ROOT,
      env: { ...process.env, CHECKPOINT_DISABLE: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    if (!accepted.includes(result.status ?? -1)) {
      console.error(`${result.stdout}${result.stderr}\n${command} ${args.join(" ")} failed with exit code ${result.status}; nothing to time.`);
      process.exit(1);
    }
    wall.push(elapsed);
    cpu.push(childrenCpuSeconds() - cpuBefore);
  }
  return { wall, cpu };
}

function median(seconds: readonly number[]): number {
  const sorted = [...seconds].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const fmt = (s: number) => s.toFixed(2);

function summary(label: string, runs: Runs): string {
  const sorted = [...runs.wall].sort((a, b) => a - b);
  return (
    `${label.padEnd(22)} runs=${sorted.length}  median=${fmt(median(sorted))} s  min=${fmt(sorted[0])} s  max=${fmt(sorted[sorted.length - 1])} s` +
    `  (cpu median=${fmt(median(runs.cpu))} s)`
  );
}

/** Servers (openstack_compute_instance_v2) in the stacks a synth wrote. */
function serversIn(outdir: string): number {
  const stacks = path.join(outdir, "stacks");
  return fs.readdirSync(stacks).reduce((total, stack) => {
    const json = JSON.parse(fs.readFileSync(path.join(stacks, stack, "cdk.tf.json"), "utf8"));
    return total + Object.keys(json.resource?.openstack_compute_instance_v2 ?? {}).length;
  }, 0);
}

const { values } = parseArgs({
  options: {
    "synth-runs": { type: "string", default: "7" },
    "cli-runs": { type: "string", default: "3" },
    "fleet-runs": { type: "string", default: "3" },
    "test-runs": { type: "string", default: "3" },
    "review-runs": { type: "string", default: "3" },
    "listing-passes": { type: "string", default: "5" },
    "ingest-documents": { type: "string", default: "60000" },
    "ingest-rounds": { type: "string", default: "3" },
    "cluster-runs": { type: "string", default: "1" },
    "boot-runs": { type: "string", default: "1" },
    "suggestion-builds": { type: "string", default: "1000" },
    "suggestion-runs": { type: "string", default: "3" },
  },
});
const runs = (name: keyof typeof values) => Number(values[name]);
// The synth figures are the bench's core and its ratio needs both: each runs at least once; the other parts may be skipped with 0.
for (const name of ["synth-runs", "cli-runs", "fleet-runs"] as const) {
  if (!Number.isInteger(runs(name)) || runs(name) < 1) {
    console.error(`npm run bench: --${name}: got ${JSON.stringify(values[name])}; expected a whole number of runs, at least 1`);
    process.exit(2);
  }
}

/** The ingestion's figures: a listing of the openstack tenant's shape, and the pipeline's cost on the real node. */
async function ingestionFigures(): Promise<void> {
  const shape = { jobs: 2500, buildsPerDay: 24_000, shards: 7 };
  if (runs("listing-passes") > 0) {
    const passes = await benchListing(shape, runs("listing-passes"), shape.shards);
    const later = passes.slice(1);
    console.log(`${"zuul listing".padEnd(22)} fake Zuul of ${shape.jobs} job names and ${shape.buildsPerDay} builds a day (a third short, half 1-2.5 h, the rest 2.5-4 h); shard 1 of ${shape.shards}, pages of 500`);
    console.log(`${"  first start".padEnd(26)} requests=${passes[0].requests}  seconds=${fmt(passes[0].seconds)}  builds taken=${passes[0].taken} (6 h back)`);
    console.log(
      `${"  passes a minute apart".padEnd(26)} runs=${later.length}  requests median=${median(later.map((pass) => pass.requests))} max=${Math.max(...later.map((pass) => pass.requests))}` +
        `  seconds median=${fmt(median(later.map((pass) => pass.seconds)))}  builds taken median=${median(later.map((pass) => pass.taken))}`,
    );
  }
  if (runs("ingest-documents") > 0) {
    const ingest = await benchIngest(ROOT, runs("ingest-documents"), runs("ingest-rounds"));
    if (typeof ingest === "string") {
      console.log(`${"ingest (real node)".padEnd(22)} ${ingest}`);
      return;
    }
    const base = ingest.figures[0].documentsPerSecond;
    console.log(`${"ingest (real node)".padEnd(22)} ${runs("ingest-documents")} documents of real-shaped logs, fixed ids, 2 bulk requests at a time, best of ${runs("ingest-rounds")}`);
    for (const figure of ingest.figures) {
      console.log(`${`  ${figure.label}`.padEnd(40)} ${Math.round(figure.documentsPerSecond)} documents/s  (${(figure.documentsPerSecond / base).toFixed(2)}x)`);
    }
    console.log(`${"  per vCPU".padEnd(40)} ${Math.round(base / os.cpus().length)} documents/s (${os.cpus().length} vCPUs, shared with the bench)`);
    console.log(`${"  bytes per document".padEnd(40)} ${Math.round(ingest.bytesPerDocument)} after a flush, ${Math.round(ingest.mergedBytesPerDocument)} merged into one segment (primary store)`);
  }
}

/** The test search cluster's figures: its start, a data node's restart, a cluster-manager's replacement, each to green. */
async function clusterFigures(): Promise<void> {
  if (runs("cluster-runs") === 0) return;
  const figures = await benchCluster(runs("cluster-runs"));
  if (typeof figures === "string") {
    console.log(`${"search cluster".padEnd(22)} ${figures}`);
    return;
  }
  const spread = (values: readonly number[]) => `median=${fmt(median(values))} s  min=${fmt(Math.min(...values))} s  max=${fmt(Math.max(...values))} s`;
  console.log(`${"search cluster".padEnd(22)} 3 cluster-manager and 2 data nodes from the production example's rendered files, security plugin, TLS on transport; runs=${figures.startSeconds.length}`);
  console.log(`${"  start to green".padEnd(40)} ${spread(figures.startSeconds)}`);
  console.log(`${"  data node killed, restarted".padEnd(40)} ${spread(figures.dataNodeRestartSeconds)}`);
  console.log(`${"  cluster-manager replaced, empty disk".padEnd(40)} ${spread(figures.managerReplacementSeconds)}`);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-"));
try {
  console.log(`machine: ${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);

  const exampleOut = path.join(tmp, "example.out");
  const exampleEnv = { CONFIG_DIR: path.join(ROOT, "config"), CDKTF_OUTDIR: exampleOut };
  timeRuns(process.execPath, [SYNTH], 1, exampleEnv); // builds the bundle if the sources changed, as a user's first run would
  const synth = timeRuns(process.execPath, [SYNTH], runs("synth-runs"), exampleEnv);
  console.log(summary("npm run synth", synth));
  const cli = timeRuns(path.join(ROOT, "node_modules", ".bin", "cdktf"), ["synth", "--output", path.join(tmp, "cli.out")], runs("cli-runs"), {
    CONFIG_DIR: path.join(ROOT, "config"),
  });
  console.log(summary("npx cdktf synth", cli));
  console.log(`${"ratio".padEnd(22)} npx cdktf synth / npm run synth = ${(median(cli.wall) / median(synth.wall)).toFixed(1)}x (wall medians)`);

  // Two fleets of 3 deployments per cloud and 31 servers per deployment: the slope between them.
  const sizes = [5, 10].map((clouds) => {
    const config = path.join(tmp, `fleet-${clouds}`);
    writeFleetConfig(path.join(ROOT, "config"), config, { clouds, deploymentsPerCloud: 3, dataNodes: 13 });
    const outdir = path.join(tmp, `fleet-${clouds}.out`);
    const fleet = timeRuns(process.execPath, [SYNTH], runs("fleet-runs"), { CONFIG_DIR: config, CDKTF_OUTDIR: outdir });
    const servers = serversIn(outdir);
    console.log(summary(`synth ${servers} servers`, fleet));
    return { servers, runs: fleet };
  });
  const example = { servers: serversIn(exampleOut), runs: synth };
  type Point = typeof example;
  const per100 = (from: Point, to: Point, kind: keyof Runs) => fmt(((median(to.runs[kind]) - median(from.runs[kind])) / (to.servers - from.servers)) * 100);
  const [half, full] = sizes;
  console.log(
    `${"scaling".padEnd(22)} ${per100(half, full, "wall")} s per 100 servers from ${half.servers} to ${full.servers} servers (cpu ${per100(half, full, "cpu")} s); ` +
      `${per100(example, half, "wall")} s from the example's ${example.servers} to ${half.servers} (cpu ${per100(example, half, "cpu")} s)`,
  );

  if (runs("test-runs") > 0) console.log(summary("npm test", timeRuns("npm", ["test", "--silent"], runs("test-runs"))));
  // Exit status 1 means the review found a blocking risk in the working tree: still a complete run.
  if (runs("review-runs") > 0) {
    console.log(summary("npm run review", timeRuns("npm", ["run", "review", "--silent", "--", "--base", "HEAD"], runs("review-runs"), {}, [0, 1])));
  }
  if (runs("boot-runs") > 0) bootFigures(runs("boot-runs"));
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

/** The boot tests' own figures: each role's seconds to cloud-init's end and to its units settled, and the project's wall time. */
function bootFigures(count: number): void {
  const perRole = new Map<string, { cloudInit: number[]; settled: number[] }>();
  const qemu = { firstBoot: [] as number[], reboot: [] as number[] };
  const wall: number[] = [];
  for (let run = 0; run < count; run++) {
    const started = Date.now();
    const result = spawnSync(path.join(ROOT, "node_modules", ".bin", "jest"), ["--selectProjects", "boot"], { cwd: ROOT, encoding: "utf8" });
    wall.push((Date.now() - started) / 1000);
    if (result.status !== 0) {
      console.log(`${"boot tests".padEnd(22)} failed (exit ${result.status}): npx jest --selectProjects boot says why`);
      return;
    }
    for (const [, role, cloudInit, settled] of `${result.stdout}\n${result.stderr}`.matchAll(/^boot of (.+): cloud-init done after (\d+) s, units settled after (\d+) s/gm)) {
      const figures = perRole.get(role) ?? { cloudInit: [], settled: [] };
      figures.cloudInit.push(Number(cloudInit));
      figures.settled.push(Number(settled));
      perRole.set(role, figures);
    }
    for (const [, firstBoot, reboot] of `${result.stdout}\n${result.stderr}`.matchAll(/^qemu boot of .+: first boot .+ after (\d+) s, reboot .+ after (\d+) s/gm)) {
      qemu.firstBoot.push(Number(firstBoot));
      qemu.reboot.push(Number(reboot));
    }
  }
  if (perRole.size === 0) {
    console.log(`${"boot tests".padEnd(22)} skipped (they print what to install)`);
    return;
  }
  console.log(`${"boot tests".padEnd(22)} runs=${count}  wall median=${fmt(median(wall))} s (2 boots at a time)`);
  for (const [role, figures] of perRole) {
    console.log(`${`  ${role}`.padEnd(40)} cloud-init done median=${median(figures.cloudInit)} s  units settled median=${median(figures.settled)} s`);
  }
  if (qemu.firstBoot.length > 0) {
    console.log(`${"  search node under qemu".padEnd(40)} first boot median=${median(qemu.firstBoot)} s (to cloud-init done)  reboot median=${median(qemu.reboot)} s (to the data volume mounted)`);
  }
}

/** The suggested signatures of a generated day of uncategorized failures, computed on the real node. */
async function suggestionFigures(): Promise<void> {
  if (runs("suggestion-builds") <= 0) return;
  const figures = await benchSuggestions(runs("suggestion-builds"), runs("suggestion-runs"));
  if (typeof figures === "string") {
    console.log(`${"suggestions (real node)".padEnd(22)} ${figures}`);
    return;
  }
  const { data } = figures;
  console.log(`${"suggestions (real node)".padEnd(22)} ${data.failures} uncategorized failed builds of a day and the passing builds of their jobs over ${data.baselineDays} days: ${figures.documents} error documents (indexed in ${fmt(figures.indexSeconds)} s)`);
  console.log(
    `${"  computed".padEnd(26)} runs=${figures.runs.length}  seconds median=${fmt(median(figures.runs))} max=${fmt(Math.max(...figures.runs))}  ` +
      `fingerprints=${data.fingerprints} checked=${data.checked} suggestions=${data.suggestions.length} partial=${data.partial.length === 0 ? "no" : data.partial.join("; ")}; the dashboard refreshes every ${SERVICE_DEFAULTS.dashboardIntervalSeconds} s`,
  );
}

ingestionFigures()
  .then(clusterFigures)
  .then(suggestionFigures)
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
