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
import { CommandError, parseCommandArgs, runMain, UsageError } from "../lib/cli";
import { formatProblem } from "../lib/config/problems";
import { loadQueries } from "../lib/queries/check";

const USAGE = `usage: npm run check-queries [-- <queries folder>]

Checks every <bug number>.yaml query file of the folder (default: $CONFIG_DIR/queries, else
config/queries). Exits 0 when there is no problem, 1 when there is one (or the folder holds no
query), 2 on a usage error or a missing folder.`;

runMain({
  name: "check-queries",
  usage: USAGE,
  run(argv, io) {
    const { positionals } = parseCommandArgs(argv, { allowPositionals: true, options: {} });
    if (positionals.length > 1) throw new UsageError(`expected at most one folder, got ${positionals.length}: ${positionals.join(" ")}`);
    const folder = positionals[0] ?? path.join(process.env.CONFIG_DIR ?? "config", "queries");
    if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
      throw new CommandError(`${folder}: no such folder; expected a folder of <bug number>.yaml files`, 2);
    }
    const { checked, problems } = loadQueries(folder);
    if (checked === 0 && problems.length === 0) {
      throw new CommandError(`${folder}: no query file; expected <bug number>.yaml files (see README: Bug queries)`, 1);
    }
    const summary = `${checked} ${checked === 1 ? "query" : "queries"} checked, ${problems.length} problem${problems.length === 1 ? "" : "s"}`;
    io.out(`${summary} in ${folder}${problems.length > 0 ? ":" : ""}`);
    for (const problem of problems) io.out(`  ${formatProblem(problem)}`);
    return problems.length > 0 ? 1 : 0;
  },
});
