/**
 * Every jest run gets its own TMPDIR, created before the first test and removed after the last:
 * whatever a test (or a library it drives, such as cdktf's Testing helpers, which make a
 * `cdktf.outdir.*` folder per synth and never remove it) leaves in os.tmpdir() goes with it, and
 * no test sees the temporary files of other programs on the machine.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const RUN_TMPDIR = "CI_LOG_ANALYSIS_TEST_TMPDIR";
const MACHINE_TMPDIR = "CI_LOG_ANALYSIS_MACHINE_TMPDIR";

/** Sets TMPDIR before jest starts its workers, which inherit it. */
export function usePrivateTmpdir(): void {
  const machineTmp = os.tmpdir();
  const runTmp = fs.mkdtempSync(path.join(machineTmp, "ci-log-analysis-jest-"));
  // tsx keeps its transpile cache in TMPDIR/tsx-<uid>: keep sharing the machine's, or every
  // script a test starts would be transpiled again on every run.
  const tsxCache = `tsx-${os.userInfo().uid}`;
  fs.mkdirSync(path.join(machineTmp, tsxCache), { recursive: true, mode: 0o700 });
  fs.symlinkSync(path.join(machineTmp, tsxCache), path.join(runTmp, tsxCache), "dir");
  process.env[MACHINE_TMPDIR] = machineTmp;
  process.env[RUN_TMPDIR] = runTmp;
  process.env.TMPDIR = runTmp;
}

/** Removes the run's TMPDIR with all it holds (the tsx cache link, not the cache) and restores TMPDIR. */
export function removePrivateTmpdir(): void {
  const runTmp = process.env[RUN_TMPDIR];
  if (runTmp) fs.rmSync(runTmp, { recursive: true, force: true });
  process.env.TMPDIR = process.env[MACHINE_TMPDIR];
  delete process.env[RUN_TMPDIR];
}
