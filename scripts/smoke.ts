/**
 * Checks a deployed stack from the outside: the public front end answers, the cluster is green,
 * and every write is refused.
 *
 *   npm run smoke -- <stack> [--insecure | --ca-file <pem>] [--recheck-url <url>] [--timeout <seconds>]
 *   npm run smoke -- --outputs <file.json>     (the JSON of `terraform output -json`)
 *
 * Prints one PASS/WARN/FAIL line per check and `N passed, N failed`; exits 1 when a check
 * failed, 2 on a usage error. See lib/smoke.ts.
 */
import { runSmoke } from "../lib/smoke";

runSmoke(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  outdir: process.env.CDKTF_OUTDIR ?? "cdktf.out",
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
