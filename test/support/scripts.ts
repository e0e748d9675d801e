import { spawn } from "node:child_process";
import * as path from "node:path";
import { repoRoot } from "./config-fixture";

export interface ScriptRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a program to its end, collecting what it prints, killed after `timeoutMs`. Asynchronous,
 * so that a server of the test can answer it. `env` replaces the environment when given; `input`
 * is written to its standard input.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill(), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/**
 * Runs scripts/<name>.ts as `npm run <name>` does (tsx, from the repository), without CONFIG_DIR
 * or CDKTF_OUTDIR unless `env` sets them.
 */
export function runScript(name: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<ScriptRun> {
  return runProcess(process.execPath, [path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs"), path.join(repoRoot, "scripts", `${name}.ts`), ...args], {
    cwd: repoRoot,
    env: { ...process.env, CONFIG_DIR: undefined, CDKTF_OUTDIR: undefined, ...env },
    timeoutMs,
  });
}
