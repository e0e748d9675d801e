/**
 * Checks the elastic-recheck bug queries before they are merged or deployed:
 *
 *   npm run check-queries [-- <folder>]
 *
 * The folder defaults to config/queries, or $CONFIG_DIR/queries when CONFIG_DIR is set. Prints
 * how many queries were checked and every problem (file:line:column); exits 1 when there is a
 * problem, 2 on a usage error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { formatProblem } from "../lib/config/problems";
import { loadQueries } from "../lib/queries/check";

const USAGE = "usage: npm run check-queries [-- <queries folder>]   (default: $CONFIG_DIR/queries, else config/queries)";

function main(argv: string[]): number {
  let positionals: string[];
  try {
    ({ positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (positionals.length > 1) {
    console.error(`expected at most one folder, got ${positionals.length}\n${USAGE}`);
    return 2;
  }
  const folder = positionals[0] ?? path.join(process.env.CONFIG_DIR ?? "config", "queries");
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
    console.error(`${folder}: no such folder; expected a folder of <bug number>.yaml files\n${USAGE}`);
    return 2;
  }
  const { checked, problems } = loadQueries(folder);
  const summary = `${checked} ${checked === 1 ? "query" : "queries"} checked, ${problems.length} problem${problems.length === 1 ? "" : "s"}`;
  console.log(`${summary} in ${folder}${problems.length > 0 ? ":" : ""}`);
  for (const problem of problems) console.log(`  ${formatProblem(problem)}`);
  return problems.length > 0 ? 1 : 0;
}

// A closed pipe (`npm run check-queries | head`) ends the output quietly, without a stack trace.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
});
process.exitCode = main(process.argv.slice(2));
