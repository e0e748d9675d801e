/**
 * Synthesizes into a staging folder and swaps it in only when synthesis succeeded, so that a
 * failed run (bad config, a failed policy check) leaves the previous cdktf.out as it was.
 */
import * as fs from "node:fs";
import { App } from "cdktf";

export function synthesizeAtomically(outdir: string, build: (app: App) => void): void {
  const staging = `${outdir}.staging-${process.pid}`;
  const previous = `${outdir}.previous-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    const app = new App({ outdir: staging });
    build(app);
    app.synth();
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  const hadPrevious = fs.existsSync(outdir);
  if (hadPrevious) fs.renameSync(outdir, previous);
  fs.renameSync(staging, outdir);
  if (hadPrevious) fs.rmSync(previous, { recursive: true, force: true });
}
