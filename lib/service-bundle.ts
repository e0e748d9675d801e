/**
 * The services that run on the servers (services/recheck, services/ingestion), each as the one
 * JavaScript file its server runs with the distribution's Node.js. esbuild builds one in a
 * fraction of a second; the result is cached in node_modules/.cache by a hash of every input file
 * esbuild read (and of esbuild's version and options), so a synth reuses it until one of those
 * files changes and never ships a stale one.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildSync, version as esbuildVersion, type BuildOptions } from "esbuild";

const ROOT = path.resolve(__dirname, "..");

/** The oldest Node.js the services support: Debian 12 and Ubuntu 24.04 ship 18. */
export const SERVICE_NODE_TARGET = "node18";

export type ServiceName = "recheck" | "ingestion";

function optionsOf(service: ServiceName): BuildOptions {
  return {
    entryPoints: [path.join(ROOT, `services/${service}/main.ts`)],
    absWorkingDir: ROOT,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: SERVICE_NODE_TARGET,
    minify: true,
    legalComments: "none",
    charset: "utf8",
    banner: { js: `// The ${service} service (services/${service} in ci-log-analysis-infra), bundled by esbuild. Run: node ${service}.js <settings.json>` },
  };
}

const cacheDirOf = (service: ServiceName) => path.join(ROOT, "node_modules", ".cache", `${service}-service`);

interface CacheManifest {
  readonly inputs: readonly string[];
  readonly hash: string;
}

function digest(options: BuildOptions, inputs: readonly string[]): string | undefined {
  const hash = createHash("sha256").update(`${esbuildVersion}\n${JSON.stringify(options)}\n`);
  for (const input of inputs) {
    try {
      hash.update(`${input}\n`).update(fs.readFileSync(path.join(ROOT, input))).update("\n");
    } catch {
      return undefined;
    }
  }
  return hash.digest("hex");
}

function cached(service: ServiceName): string | undefined {
  const dir = cacheDirOf(service);
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as CacheManifest;
    if (digest(optionsOf(service), manifest.inputs) !== manifest.hash) return undefined;
    return fs.readFileSync(path.join(dir, `${manifest.hash}.js`), "utf8");
  } catch {
    return undefined;
  }
}

function build(service: ServiceName): string {
  const options = optionsOf(service);
  const dir = cacheDirOf(service);
  const result = buildSync({ ...options, write: false, metafile: true, logLevel: "silent" });
  const text = result.outputFiles[0].text;
  const inputs = Object.keys(result.metafile.inputs).sort();
  const hash = digest(options, inputs);
  if (hash !== undefined) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      for (const old of fs.readdirSync(dir)) if (old.endsWith(".js") && old !== `${hash}.js`) fs.rmSync(path.join(dir, old), { force: true });
      // Test workers may build at the same time: each file appears whole, by rename.
      replaceFile(path.join(dir, `${hash}.js`), text);
      replaceFile(path.join(dir, "manifest.json"), JSON.stringify({ inputs, hash } satisfies CacheManifest));
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

const bundles = new Map<ServiceName, string>();

/** The bundled service's JavaScript. */
export function serviceBundle(service: ServiceName): string {
  let bundle = bundles.get(service);
  if (bundle === undefined) {
    bundle = cached(service) ?? build(service);
    bundles.set(service, bundle);
  }
  return bundle;
}
