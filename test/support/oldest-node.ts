/**
 * The oldest Node.js the recheck service supports (18, as Debian 12 and Ubuntu 24.04 ship it),
 * unpacked from the distribution's packages by `.ci/fetch-oldest-node` into a private folder.
 * Tests run the service's bundle with it; without it they say how to get it, and fail under CI.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ToolGate } from "./validators";

export const OLDEST_NODE_MAJOR = 18;

/** The wrapper script that runs the unpacked Node.js 18. */
export function oldestNodePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "ci-log-analysis-infra", "node-18", "node");
}

export function oldestNodeGate(env: NodeJS.ProcessEnv = process.env): ToolGate {
  const file = oldestNodePath(env);
  if (fs.existsSync(file)) return { run: true };
  const how =
    "install the Debian packages node-acorn node-cjs-module-lexer node-undici, then run .ci/fetch-oldest-node (it unpacks the distribution's nodejs 18 with its libnode, without installing it)";
  if (env.CI === "true") return { run: false, fail: `Node.js ${OLDEST_NODE_MAJOR} not found at ${file}, and CI=true requires it: ${how}` };
  return { run: false, skip: `SKIPPED: Node.js ${OLDEST_NODE_MAJOR} not found at ${file}; ${how} to run the recheck service's bundle with it` };
}
