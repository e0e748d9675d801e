/**
 * `npm run synth` and cdktf.json's app: runs main.ts as one JavaScript file bundled by esbuild,
 * which starts in a fraction of the time a TypeScript loader takes. Plain JavaScript, so that
 * nothing has to be compiled before it runs.
 *
 * Usage: see USAGE.
 *
 * Never stale: the bundle is cached under node_modules/.cache by a fingerprint of what it was
 * built from (the content of every project file esbuild read and the listing of their folders,
 * npm's record of the installed packages, tsconfig.json, this file, esbuild's version), checked
 * on every run. The project's files are read by this script for esbuild, so the fingerprint is of
 * exactly what was bundled. V8's code cache of the bundle is kept beside it, which saves
 * compiling it again on every run.
 */
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const { parseArgs } = require("node:util");
const vm = require("node:vm");

const USAGE = `usage: npm run synth [-- --build]

Synthesizes every deployment of the config folder (config/, or CONFIG_DIR) into
cdktf.out/stacks/<deployment>/cdk.tf.json (or CDKTF_OUTDIR), keeping what Terraform keeps there.

  --build   only build the app's bundle if a source changed (npm ci's prepare step)

SYNTH_STACK_TRACES=1 records where each token was created, for a token that fails to resolve.
Exits 0 when every stack was written, 1 on a config, policy or quota problem (nothing written),
2 on a usage error.`;

const ROOT = path.join(__dirname, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "synth");
/** The inputs of the last build: the list the next run fingerprints. */
const INPUTS = path.join(CACHE, "inputs.json");
const bundleOf = (fingerprint) => path.join(CACHE, `main-${fingerprint}.js`);
const LOADERS = { ".ts": "ts", ".js": "js", ".cjs": "js", ".mjs": "js", ".json": "json" };

/** What every build depends on besides the project's own files. */
function baseHash() {
  const hash = crypto.createHash("sha256");
  for (const file of [__filename, path.join(ROOT, "tsconfig.json"), path.join(ROOT, "node_modules", ".package-lock.json")]) {
    hash.update(`${file}\n`).update(fs.existsSync(file) ? fs.readFileSync(file) : "(none)").update("\n");
  }
  // The bundle holds the project's absolute paths (__dirname): a copy of the project builds its own.
  return hash.update(`${ROOT}\n${require("esbuild/package.json").version}`);
}

/** The fingerprint of project files (paths relative to ROOT) with the given contents, or undefined when one is gone. */
function fingerprintOf(files, contentOf) {
  const hash = baseHash();
  const folders = new Set();
  for (const file of [...files].sort()) {
    const content = contentOf(file);
    if (content === undefined) return undefined;
    hash.update(`${file}\n`).update(content).update("\n");
    folders.add(path.dirname(file));
  }
  // A new file can change what an import resolves to without changing any file that was read.
  for (const folder of [...folders].sort()) hash.update(`${folder}/\n${fs.readdirSync(path.join(ROOT, folder)).sort().join("\n")}\n`);
  return hash.digest("hex").slice(0, 32);
}

function readOrUndefined(file) {
  try {
    return fs.readFileSync(path.join(ROOT, file));
  } catch {
    return undefined;
  }
}

/** The cached bundle of the current sources, if there is one. */
function cachedBundle() {
  let files;
  try {
    files = JSON.parse(fs.readFileSync(INPUTS, "utf8"));
  } catch {
    return undefined;
  }
  const fingerprint = fingerprintOf(files, readOrUndefined);
  return fingerprint !== undefined && fs.existsSync(bundleOf(fingerprint)) ? bundleOf(fingerprint) : undefined;
}

/**
 * Bundles main.ts and the packages it imports. `__dirname` and `__filename` keep their meaning in
 * the project's modules (the bundle lives elsewhere); esbuild itself stays outside the bundle.
 */
async function build() {
  const esbuild = require("esbuild");
  const read = new Map();
  const projectFiles = {
    name: "project-files",
    setup(build) {
      build.onLoad({ filter: /.*/ }, (args) => {
        const file = path.relative(ROOT, args.path);
        if (file.startsWith(`node_modules${path.sep}`)) return undefined;
        const content = fs.readFileSync(args.path);
        read.set(file, content);
        const paths = `var __dirname = ${JSON.stringify(path.dirname(args.path))}, __filename = ${JSON.stringify(args.path)};\n`;
        const text = content.toString("utf8");
        return { contents: /__dirname|__filename/.test(text) ? paths + text : text, loader: LOADERS[path.extname(args.path)] ?? "js" };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: [path.join(ROOT, "main.ts")],
    absWorkingDir: ROOT,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    external: ["esbuild"],
    write: false,
    logLevel: "error",
    plugins: [projectFiles],
  });
  const fingerprint = fingerprintOf(read.keys(), (file) => read.get(file));
  fs.mkdirSync(CACHE, { recursive: true });
  // Old bundles go once no run that found them a moment ago can still be loading them.
  const stale = Date.now() - 10 * 60_000;
  for (const old of fs.readdirSync(CACHE).filter((name) => name.startsWith("main-")).map((name) => path.join(CACHE, name))) {
    if (fs.statSync(old, { throwIfNoEntry: false })?.mtimeMs < stale) fs.rmSync(old, { force: true });
  }
  writeAtomically(bundleOf(fingerprint), result.outputFiles[0].contents);
  writeAtomically(INPUTS, JSON.stringify([...read.keys()].sort()));
  return bundleOf(fingerprint);
}

/** Written under a private name, then renamed: a concurrent run sees the old file or the new one. */
function writeAtomically(file, content) {
  fs.writeFileSync(`${file}.${process.pid}`, content);
  fs.renameSync(`${file}.${process.pid}`, file);
}

/** Loads the bundle as CommonJS, with V8's code cache of it when there is a usable one, and returns its exports. */
function load(bundle) {
  const codeCache = `${bundle}.v8-cache`;
  const cachedData = fs.existsSync(codeCache) ? fs.readFileSync(codeCache) : undefined;
  const script = new vm.Script(Module.wrap(fs.readFileSync(bundle, "utf8")), { filename: bundle, cachedData });
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, Module.createRequire(bundle), module, bundle, path.dirname(bundle));
  return { exports: module.exports, saveCodeCache: () => (cachedData === undefined || script.cachedDataRejected) && writeAtomically(codeCache, script.createCachedData()) };
}

async function main() {
  let options;
  try {
    options = parseArgs({ options: { build: { type: "boolean" }, help: { type: "boolean", short: "h" } } }).values;
  } catch (error) {
    console.error(`synth: ${error.message}\nRun \`npm run synth -- --help\` for usage.`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const bundle = cachedBundle() ?? (await build());
  if (options.build) return;
  process.env.CHECKPOINT_DISABLE ??= "1";
  const { exports, saveCodeCache } = load(bundle);
  process.exitCode = exports.main();
  // After the run, so that the cache holds the functions the run compiled too.
  saveCodeCache();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
