/**
 * Checks a deployed stack from the outside: the public front end answers, the cluster is green,
 * and every write is refused.
 *
 *   npm run smoke -- <stack> [--insecure | --ca-file <pem>] [--recheck-url <url>] [--timeout <seconds>]
 *   npm run smoke -- --outputs <file.json>     (the JSON of `terraform output -json`)
 *
 * Prints one PASS/WARN/FAIL line per check and `N passed, N failed`; exits 1 when a check
 * failed, 2 on a usage error or unreadable outputs. See lib/smoke.ts.
 */
import { runMain } from "../lib/cli";
import { smokeCommand } from "../lib/smoke";

runMain(smokeCommand({ outdir: process.env.CDKTF_OUTDIR ?? "cdktf.out" }));
