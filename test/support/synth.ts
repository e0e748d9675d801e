import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { buildApp } from "../../main";
import { loadConfig } from "../../lib/config/load";
import { withoutCreationStackTraces } from "../../lib/synth";
import { exampleConfigDir, repoRoot } from "./config-fixture";

export type StackJson = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Synthesizes every stack of a config folder, in process, and returns each stack's cdk.tf.json by name. */
export function synthConfig(configDir = exampleConfigDir): Record<string, StackJson> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "synth-"));
  const config = loadConfig(configDir);
  withoutCreationStackTraces(() => {
    const app = new App({ outdir, stackTraces: false });
    buildApp(app, config);
    app.synth();
  });
  const stacksDir = path.join(outdir, "stacks");
  const stacks = Object.fromEntries(
    fs.readdirSync(stacksDir).map((name) => [name, JSON.parse(fs.readFileSync(path.join(stacksDir, name, "cdk.tf.json"), "utf8"))]),
  );
  fs.rmSync(outdir, { recursive: true, force: true });
  return stacks;
}

/** Runs `npm run synth` (of the project in `root`), on a config folder, into an output folder. */
export function runSynth(configDir: string, outdir: string, root = repoRoot): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [path.join(root, "scripts", "synth.js")], {
    cwd: root,
    env: { ...process.env, CONFIG_DIR: configDir, CDKTF_OUTDIR: outdir },
    encoding: "utf8",
  });
}

/** The resources (or data sources) of one type in a synthesized stack, by their Terraform name. */
export function resourcesOf(stack: StackJson, type: string, section: "resource" | "data" = "resource"): Record<string, StackJson> {
  return stack[section]?.[type] ?? {};
}
