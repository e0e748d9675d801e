/**
 * Test files that keep both cores busy for minutes take turns: the search cluster's five JVMs and
 * the qemu guest under software emulation each need the machine to themselves to keep their time
 * bounds. Run side by side on two cores, the cluster did not turn green within its 8 minutes while
 * the emulated guest ran beside it.
 *
 * A turn is a lock folder in the run's private TMPDIR (test/global/private-tmpdir.ts), which
 * every jest worker of the run shares; a turn whose holder process is gone is taken over. The
 * test sequencer (test/global/sequencer.js) starts the qemu test first and the cluster's last,
 * so that the cluster usually finds the turn free.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const POLL_MS = 2000;

export interface CpuTurn {
  /** How long the holder waited for its turn. */
  readonly waitedMs: number;
  release(): void;
}

function holderAlive(lockDir: string): boolean {
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(path.join(lockDir, "pid"), "utf8"), 10);
  } catch {
    // Between the folder's creation and its pid file: the holder is alive.
    return true;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until no other test file of this run holds the turn, up to `timeoutMs`, then holds it. */
export async function takeCpuTurn(holder: string, timeoutMs: number, tmpDir = os.tmpdir()): Promise<CpuTurn> {
  const lockDir = path.join(tmpDir, "cpu-heavy-turn.lock");
  const started = Date.now();
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, "pid"), String(process.pid));
      fs.writeFileSync(path.join(lockDir, "holder"), holder);
      return { waitedMs: Date.now() - started, release: () => fs.rmSync(lockDir, { recursive: true, force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (!holderAlive(lockDir)) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      const other = fs.existsSync(path.join(lockDir, "holder")) ? fs.readFileSync(path.join(lockDir, "holder"), "utf8") : "another test file";
      throw new Error(`${holder} waited ${Math.round(timeoutMs / 1000)} s for ${other} to finish with the machine's cores`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
