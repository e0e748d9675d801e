/**
 * The recheck service (services/recheck) as the one JavaScript file its server runs with the
 * distribution's Node.js. esbuild builds it in a fraction of a second; the result is cached in
 * node_modules/.cache by a hash of every input file esbuild read (and of esbuild's version and
 * options), so a synth reuses it until one of those files changes and never ships a stale one.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildSync, version as esbuildVersion, type BuildOptions } from "esbuild";

const ROOT = path.resolve(__dirname, "../..");
const CACHE_DIR = path.join(ROOT, "node_modules", ".cache", "recheck-service");

/** The oldest Node.js the service supports: Debian 12 and Ubuntu 24.04 ship 18. */
export const RECHECK_NODE_TARGET = "node18";

const OPTIONS: BuildOptions = {
  entryPoints: [path.join(ROOT, "services/recheck/main.ts")],
  absWorkingDir: ROOT,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: RECHECK_NODE_TARGET,
  minify: true,
  legalComments: "none",
  charset: "utf8",
  banner: { js: "// The recheck service (services/recheck in ci-log-analysis-infra), bundled by esbuild. Run: node recheck.js <settings.json>" },
};

interface CacheManifest {
  readonly inputs: readonly string[];
  readonly hash: string;
}

function digest(inputs: readonly string[]): string | undefined {
  const hash = createHash("sha256").update(`${esbuildVersion}\n${JSON.stringify(OPTIONS)}\n`);
  for (const input of inputs) {
    try {
      hash.update(`${input}\n`).update(fs.readFileSync(path.join(ROOT, input))).update("\n");
    } catch {
      return undefined;
    }
  }
  return hash.digest("hex");
}

function cached(): string | undefined {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(CACHE_DIR, "manifest.json"), "utf8")) as CacheManifest;
    if (digest(manifest.inputs) !== manifest.hash) return undefined;
    return fs.readFileSync(path.join(CACHE_DIR, `${manifest.hash}.js`), "utf8");
  } catch {
    return undefined;
  }
}

function build(): string {
  const result = buildSync({ ...OPTIONS, write: false, metafile: true, logLevel: "silent" });
  const text = result.outputFiles[0].text;
  const inputs = Object.keys(result.metafile.inputs).sort();
  const hash = digest(inputs);
  if (hash !== undefined) {
    try {
      fs.mkdirSync(CACHE_DIR, { recursive: true });
      for (const old of fs.readdirSync(CACHE_DIR)) if (old.endsWith(".js") && old !== `${hash}.js`) fs.rmSync(path.join(CACHE_DIR, old), { force: true });
      // Test workers may build at the same time: each file appears whole, by rename.
      replaceFile(path.join(CACHE_DIR, `${hash}.js`), text);
      replaceFile(path.join(CACHE_DIR, "manifest.json"), JSON.stringify({ inputs, hash } satisfies CacheManifest));
    } catch {
      // A read-only checkout builds every time; the bundle is the same.
    }
  }
  return text;
}

function replaceFile(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

let bundle: string | undefined;

/** The bundled service's JavaScript. */
export function recheckServiceBundle(): string {
  bundle ??= cached() ?? build();
  return bundle;
}
