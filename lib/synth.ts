/**
 * Writes a synthesis into the output folder (cdktf.out) without losing what Terraform keeps in
 * it. Terraform works in `cdktf.out/stacks/<stack>/`: `.terraform/` (the initialised backend and
 * providers) and `.terraform.lock.hcl` (the providers' hashes) live there, so the folder is
 * updated, never replaced. The app synthesizes into a staging folder first and publishes only
 * when synthesis succeeded: a failed run (bad config, a failed policy check) changes nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { App, Manifest } from "cdktf";

/** Terraform's dependency lock file: in each stack's folder, and the committed copy in the project folder. */
export const LOCK_FILE = ".terraform.lock.hcl";

export interface SynthResult {
  /** Stack folders in the output folder that this synthesis does not have (another config folder, a removed deployment). */
  readonly otherStacks: readonly string[];
}

export interface SynthOptions {
  /** Record where each token and construct was created, for debugging a failed token resolution. @default false */
  readonly creationStackTraces?: boolean;
}

export function synthesizeInto(outdir: string, build: (app: App) => void, options: SynthOptions = {}): SynthResult {
  const parent = path.dirname(path.resolve(outdir));
  const staging = fs.mkdtempSync(path.join(parent, `${path.basename(outdir)}.staging-`));
  try {
    const synthesize = () => {
      const app = new App({ outdir: staging, stackTraces: options.creationStackTraces ?? false });
      build(app);
      app.synth();
    };
    if (options.creationStackTraces) synthesize();
    else withoutCreationStackTraces(synthesize);
    return publish(staging, outdir, parent);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * cdktf and constructs capture a full stack trace for every token and lazy value they create
 * (Error.captureStackTrace on a plain object), read only in the message of a token that fails
 * to resolve: a fifth of the time of a large synth. Skips those while `run` runs; errors keep
 * their stack traces.
 */
export function withoutCreationStackTraces<T>(run: () => T): T {
  const capture = Error.captureStackTrace;
  Error.captureStackTrace = (target, constructorOpt) => {
    if (target instanceof Error) capture(target, constructorOpt);
  };
  try {
    return run();
  } finally {
    Error.captureStackTrace = capture;
  }
}

/**
 * Moves each synthesized file over its old version (a rename, atomic per file), creating stack
 * folders as needed, and the manifest last. Leaves every other file of a stack folder, and the
 * folders of stacks not synthesized this time, as they are: the cdktf CLI lists the stack folders
 * before it runs the app and deletes those the app did not write afterwards, so a stack folder
 * that vanished under it makes it fail. Seeds a new stack folder with the project's committed
 * lock file, so Terraform verifies the providers against the recorded hashes.
 */
function publish(staging: string, outdir: string, projectFolder: string): SynthResult {
  const stagedStacks = path.join(staging, Manifest.stacksFolder);
  const stacksFolder = path.join(outdir, Manifest.stacksFolder);
  const synthesized = fs.readdirSync(stagedStacks);
  const committedLock = path.join(projectFolder, LOCK_FILE);
  const hasCommittedLock = fs.existsSync(committedLock);
  for (const stack of synthesized) {
    const target = path.join(stacksFolder, stack);
    fs.mkdirSync(target, { recursive: true });
    for (const entry of fs.readdirSync(path.join(stagedStacks, stack), { withFileTypes: true })) {
      const destination = path.join(target, entry.name);
      if (entry.isDirectory()) fs.rmSync(destination, { recursive: true, force: true });
      fs.renameSync(path.join(stagedStacks, stack, entry.name), destination);
    }
    if (hasCommittedLock && !fs.existsSync(path.join(target, LOCK_FILE))) fs.copyFileSync(committedLock, path.join(target, LOCK_FILE));
  }
  fs.renameSync(path.join(staging, Manifest.fileName), path.join(outdir, Manifest.fileName));
  const otherStacks = fs.readdirSync(stacksFolder).filter((name) => !synthesized.includes(name)).sort();
  return { otherStacks };
}
