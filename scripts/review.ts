/**
 * Reviews a change: synthesizes the stacks of a base revision and of the working tree, offline,
 * and prints a Markdown report of what the plan would do to each stack, risks first.
 *
 *   npm run review -- --base <git-ref> [--config <dir>]
 *
 * Exit status: 0 when no blocking risk was found, 1 when one was, 2 on a usage error or when a
 * side fails to synthesize. Neither the user's cdktf.out nor the repository's git metadata is
 * touched: the base revision is extracted with `git archive` into a temporary folder, which is
 * removed at the end, whatever happens.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CommandError, parseCommandArgs, runMain, UsageError } from "../lib/cli";
import { hasBlockingFinding, reviewStacks, type StackJson } from "../lib/review";
import { renderReport } from "../lib/review/report";

const USAGE = `usage: npm run review -- --base <git-ref> [--config <dir>]

Synthesizes the stacks of <git-ref> and of the working tree offline and prints a Markdown report
of what the plan would do to each stack, risks first.

  --base <git-ref>   the branch, tag or commit to compare with (required)
  --config <dir>     the config folder (default config/ of each tree)

Exits 0 when no blocking risk was found, 1 when one was, 2 on a usage error or when a side fails
to synthesize.`;

/** An error that ends the review with exit status 2 and this message, without a stack trace. */
class ReviewError extends CommandError {
  constructor(message: string) {
    super(message, 2);
  }
}

interface Options {
  readonly base: string;
  readonly config?: string;
}

function parseOptions(argv: readonly string[]): Options {
  const parsed = parseCommandArgs(argv, {
    allowPositionals: false,
    options: { base: { type: "string" }, config: { type: "string" } },
  });
  if (!parsed.values.base) throw new UsageError("--base is required");
  return { base: parsed.values.base, config: parsed.values.config };
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw new ReviewError(`${command} could not run: ${result.error.message}`);
  return result;
}

function git(repo: string, args: readonly string[]): string {
  const result = run("git", args, repo);
  if (result.status !== 0) throw new ReviewError(`git ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** Files that decide the generated bindings: when they are equal, the working tree's .gen serves both sides. */
function bindingInputs(tree: string): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(path.join(tree, "schema", "providers"));
  const cdktfJson = path.join(tree, "cdktf.json");
  if (fs.existsSync(cdktfJson)) files.push(cdktfJson);
  return files.map((file) => `${path.relative(tree, file)}\n${fs.readFileSync(file, "utf8")}`).join("\n\0");
}

/** Lines of a failed synth's stderr, without stack frames. */
function withoutStackTrace(stderr: string): string {
  return stderr
    .split("\n")
    .filter((line) => !/^\s+at\s/.test(line) && !/^Node\.js v\d/.test(line))
    .join("\n")
    .trim();
}

interface Side {
  readonly label: string;
  readonly tree: string;
  readonly configDir: string;
  readonly outdir: string;
}

/** Runs the side's app with tsx (no type check; a base revision may predate scripts/synth.js) and resolves to its stacks by name. */
async function synthesize(side: Side, repo: string): Promise<Record<string, StackJson>> {
  const tsx = path.join(repo, "node_modules", "tsx", "dist", "cli.mjs");
  const env = { ...process.env, CDKTF_OUTDIR: side.outdir, CONFIG_DIR: side.configDir, CHECKPOINT_DISABLE: "1" };
  const result = await runAsync(process.execPath, [tsx, "main.ts"], side.tree, env);
  if (result.status !== 0) {
    const output = withoutStackTrace(result.stderr) || result.stdout.trim() || `exit status ${result.status}`;
    throw new ReviewError(`Synthesis of ${side.label} failed:\n${output}`);
  }
  const stacksDir = path.join(side.outdir, "stacks");
  if (!fs.existsSync(stacksDir)) return {};
  // The backend's state path is absolute: make it the same on both sides.
  const treePath = JSON.stringify(side.tree).slice(1, -1);
  return Object.fromEntries(
    fs.readdirSync(stacksDir).sort().map((name) => {
      const text = fs.readFileSync(path.join(stacksDir, name, "cdk.tf.json"), "utf8");
      return [name, JSON.parse(text.split(treePath).join("<tree>")) as StackJson];
    }),
  );
}

/** Like `run`, without blocking: both sides synthesize at the same time. */
function runAsync(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => reject(new ReviewError(`${command} could not run: ${error.message}`)));
    child.on("close", (status) => resolve({ status, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") }));
  });
}

/** The config folder of each tree: the same path relative to each, unless --config names a folder outside the repository. */
function configDirs(repo: string, baseTree: string, config: string | undefined): { base: string; head: string } {
  if (config === undefined) return { base: path.join(baseTree, "config"), head: path.join(repo, "config") };
  const absolute = path.resolve(config);
  const relative = path.relative(repo, absolute);
  if (relative.startsWith("..") || path.isAbsolute(relative)) return { base: absolute, head: absolute };
  return { base: path.join(baseTree, relative), head: absolute };
}

async function review(options: Options): Promise<number> {
  const repo = git(process.cwd(), ["rev-parse", "--show-toplevel"]);
  const verify = run("git", ["rev-parse", "--verify", "--quiet", `${options.base}^{commit}`], repo);
  if (verify.status !== 0) throw new ReviewError(`--base ${options.base}: no such commit in ${repo}`);
  const commit = verify.stdout.trim();
  if (!fs.existsSync(path.join(repo, "node_modules"))) throw new ReviewError(`${repo}/node_modules is missing; run npm ci first.`);
  if (!fs.existsSync(path.join(repo, ".gen"))) throw new ReviewError(`${repo}/.gen is missing; run npm run get first.`);
  if (options.config !== undefined && !fs.existsSync(path.resolve(options.config))) {
    throw new ReviewError(`--config ${options.config}: no such folder`);
  }

  const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "review-")));
  const cleanUp = () => fs.rmSync(tmp, { recursive: true, force: true });
  const onSignal = (signal: NodeJS.Signals) => {
    cleanUp();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const baseTree = path.join(tmp, "base");
    fs.mkdirSync(baseTree);
    const archive = spawnSync("git", ["archive", "--format=tar", commit], { cwd: repo, maxBuffer: 1024 * 1024 * 1024 });
    if (archive.status !== 0) throw new ReviewError(`git archive ${commit} failed: ${archive.stderr.toString().trim()}`);
    const untar = spawnSync("tar", ["-x", "-C", baseTree], { input: archive.stdout });
    if (untar.status !== 0) throw new ReviewError(`tar failed: ${untar.stderr.toString().trim()}`);
    // The working tree's packages serve both sides (a committed node_modules link is replaced).
    fs.rmSync(path.join(baseTree, "node_modules"), { recursive: true, force: true });
    fs.symlinkSync(path.join(repo, "node_modules"), path.join(baseTree, "node_modules"), "dir");

    if (bindingInputs(baseTree) === bindingInputs(repo)) {
      fs.cpSync(path.join(repo, ".gen"), path.join(baseTree, ".gen"), { recursive: true });
    } else {
      const cdktf = path.join(repo, "node_modules", ".bin", "cdktf");
      const get = run(cdktf, ["get", "--experimental-provider-schema-cache-path", "schema/providers"], baseTree, {
        ...process.env,
        CHECKPOINT_DISABLE: "1",
      });
      if (get.status !== 0) {
        throw new ReviewError(`cdktf get failed for ${options.base}:\n${withoutStackTrace(get.stderr) || get.stdout.trim()}`);
      }
    }

    const dirs = configDirs(repo, baseTree, options.config);
    const baseHasConfig = fs.existsSync(dirs.base);
    const baseLabel = `\`${options.base}\` (${commit.slice(0, 10)}${baseHasConfig ? "" : `, which has no ${path.relative(baseTree, dirs.base)}/`})`;
    const sides = await Promise.allSettled([
      baseHasConfig
        ? synthesize({ label: options.base, tree: baseTree, configDir: dirs.base, outdir: path.join(tmp, "base-out") }, repo)
        : Promise.resolve({}),
      synthesize({ label: "the working tree", tree: repo, configDir: dirs.head, outdir: path.join(tmp, "head-out") }, repo),
    ]);
    const failed = sides.find((side) => side.status === "rejected");
    if (failed) throw failed.reason;
    const [before, after] = sides.map((side) => (side as PromiseFulfilledResult<Record<string, StackJson>>).value);
    const reviews = reviewStacks(before, after);
    process.stdout.write(renderReport(reviews, { base: baseLabel, head: "the working tree" }));
    return hasBlockingFinding(reviews) ? 1 : 0;
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    cleanUp();
  }
}

runMain({ name: "review", usage: USAGE, run: (argv) => review(parseOptions(argv)) });
