/**
 * A Debian root file system for the boot tests, built with mmdebstrap from Debian's own packages
 * and cached, so that only the first run on a machine downloads it.
 *
 * What is in it mirrors what a Debian `genericcloud` image brings before its user data runs
 * (CLOUD_IMAGE_PACKAGES): systemd, cloud-init, OpenSSH's server, sudo, curl and the like, and
 * nothing a role installs itself: a role's user data must install its own packages, as it must
 * on a real server. Two changes from an image, both for this machine: the root trusts the host's
 * CA bundle (this machine's egress intercepts TLS), and extraPackages adds what a way of booting
 * needs (a kernel and an initramfs for qemu; systemd-nspawn needs none).
 *
 * Use:
 *
 *   const root = await debianRoot({ extraPackages: ["linux-image-amd64"] });
 *   root.dir      // the root folder (owned by root): copy it, or boot it read-only or with an overlay
 *   await debianRootTarball(root)   // the same root as a tar file, for a disk image (mke2fs -d, virt-make-fs)
 *
 * Never write into `root.dir`: every test on the machine shares it. Under
 * `$XDG_CACHE_HOME/ci-log-analysis-infra/debian-root/` (or ~/.cache) each root is a folder named
 * after its suite and a hash of everything that went into it (suite, mirror, package list, the
 * host's CA bundle, BUILDER_VERSION); a change to any of them builds a new root beside the old
 * ones. The build runs in a `.partial` folder renamed into place at the end, so a failed or
 * killed build leaves no root behind that a later run would take as complete; a lock folder
 * keeps two test workers from building the same root at once (the second waits for the first).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { toolCacheDir } from "../../lib/provider-binary";
import { findExecutable, type ToolGate } from "./validators";

/** Bump when the build itself changes (hooks, variant, options), which the hash cannot see. */
export const BUILDER_VERSION = 2;

export type DebianSuite = "trixie" | "bookworm";

/** Debian's mirror, as Debian's cloud images name it, and the one this machine reaches (plain HTTP: apt checks signatures). */
export const DEBIAN_MIRROR = "http://deb.debian.org/debian";
export const DEBIAN_SECURITY_MIRROR = "http://deb.debian.org/debian-security";
/** The host names apt fetches from (the allowlist of a proxy in front of a booted root). */
export const DEBIAN_MIRROR_HOSTS: readonly string[] = ["deb.debian.org"];

/**
 * Packages of a Debian `genericcloud` image beyond Priority important (mmdebstrap's
 * `important` variant, which brings apt, systemd-sysv, iproute2, nftables' kernel side and the
 * like): cloud-init and what it works with (netplan and systemd-networkd render its network
 * configuration), an SSH server, sudo for the default user, the CA certificates, and the small
 * tools an admin finds there.
 */
export const CLOUD_IMAGE_PACKAGES: readonly string[] = [
  "ca-certificates",
  "cloud-init",
  "curl",
  "dbus",
  "less",
  "locales",
  "netplan.io",
  "openssh-server",
  "python3",
  "sudo",
  "systemd-resolved",
  "wget",
];

/** The host's CA bundle, which the root trusts (egress here intercepts TLS); absent on some machines. */
export const HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** Longest the build may take: about 2 minutes with a warm network, much longer on a slow mirror. */
const BUILD_TIMEOUT_MS = 30 * 60_000;

export interface DebianRootOptions {
  /** Debian release. Default `trixie` (Debian 13, the supported image `debian-13`). */
  readonly suite?: DebianSuite;
  /** Packages on top of CLOUD_IMAGE_PACKAGES, e.g. `linux-image-amd64` for a qemu boot. Default none. */
  readonly extraPackages?: readonly string[];
  /** The cache folder; default `toolCacheDir()/debian-root`. */
  readonly cacheDir?: string;
}

export interface DebianRoot {
  /** The root folder: read-only for its users (see the module's header). */
  readonly dir: string;
  readonly suite: DebianSuite;
  /** Every package asked for (the image's and the extra ones), sorted. */
  readonly packages: readonly string[];
  /** The hash that names the root's folder. */
  readonly key: string;
}

export function debianRootCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(toolCacheDir(env), "debian-root");
}

/** Whether this machine can build a root: mmdebstrap, and root (mmdebstrap's root mode keeps owners and device nodes). */
export function debianRootGate(env: NodeJS.ProcessEnv = process.env): ToolGate {
  const missing =
    findExecutable("mmdebstrap") === undefined ? "mmdebstrap not found; install the Debian package mmdebstrap"
    : process.getuid?.() !== 0 ? "building a Debian root needs root (mmdebstrap's root mode)"
    : undefined;
  if (missing === undefined) return { run: true };
  if (env.CI === "true") return { run: false, fail: `${missing}, and CI=true requires the boot tests` };
  return { run: false, skip: `SKIPPED: ${missing} to run the boot tests` };
}

function sourcesOf(suite: DebianSuite): string[] {
  return [`deb ${DEBIAN_MIRROR} ${suite} main`, `deb ${DEBIAN_MIRROR} ${suite}-updates main`, `deb ${DEBIAN_SECURITY_MIRROR} ${suite}-security main`];
}

function rootKey(suite: DebianSuite, packages: readonly string[]): string {
  const caBundle = fs.existsSync(HOST_CA_BUNDLE) ? fs.readFileSync(HOST_CA_BUNDLE) : Buffer.alloc(0);
  const hash = createHash("sha256")
    .update(JSON.stringify({ builder: BUILDER_VERSION, suite, sources: sourcesOf(suite), packages }))
    .update(caBundle)
    .digest("hex");
  return `${suite}-${hash.slice(0, 16)}`;
}

/** The root for `options`, from the cache or built now (minutes: it downloads about 150 MB of packages). */
export async function debianRoot(options: DebianRootOptions = {}): Promise<DebianRoot> {
  const suite = options.suite ?? "trixie";
  const packages = [...new Set([...CLOUD_IMAGE_PACKAGES, ...(options.extraPackages ?? [])])].sort();
  const key = rootKey(suite, packages);
  const cacheDir = options.cacheDir ?? debianRootCacheDir();
  const dir = path.join(cacheDir, key);
  const root: DebianRoot = { dir, suite, packages, key };
  if (fs.existsSync(dir)) return root;
  fs.mkdirSync(cacheDir, { recursive: true });
  await withLock(`${dir}.lock`, async () => {
    if (fs.existsSync(dir)) return; // another worker built it while this one waited
    const partial = `${dir}.partial`;
    fs.rmSync(partial, { recursive: true, force: true });
    try {
      await run("mmdebstrap", mmdebstrapArguments(suite, packages, partial), BUILD_TIMEOUT_MS);
      fs.renameSync(partial, dir);
    } finally {
      fs.rmSync(partial, { recursive: true, force: true });
    }
  });
  return root;
}

function mmdebstrapArguments(suite: DebianSuite, packages: readonly string[], target: string): string[] {
  const trustHostCa = fs.existsSync(HOST_CA_BUNDLE)
    ? [
        // update-ca-certificates adds every certificate of a file under /usr/local/share/ca-certificates
        // to the bundle, and keeps doing so when a later package upgrade rebuilds it.
        `--customize-hook=upload ${HOST_CA_BUNDLE} /usr/local/share/ca-certificates/host-ca-bundle.crt`,
        '--customize-hook=chroot "$1" update-ca-certificates --fresh >/dev/null',
      ]
    : [];
  return [
    "--mode=root",
    "--variant=important",
    // Priority important brings ifupdown, which a cloud image leaves out (its network is netplan's,
    // rendered for systemd-networkd): under qemu its networking.service failed on every boot.
    '--customize-hook=chroot "$1" apt-get purge --yes --quiet ifupdown >/dev/null',
    "--format=directory",
    `--include=${packages.join(",")}`,
    ...trustHostCa,
    suite,
    target,
    ...sourcesOf(suite),
  ];
}

/** A tar file of `root` (numeric owners, device nodes, extended attributes), cached beside it. */
export async function debianRootTarball(root: DebianRoot): Promise<string> {
  const tarball = `${root.dir}.tar`;
  if (fs.existsSync(tarball)) return tarball;
  await withLock(`${tarball}.lock`, async () => {
    if (fs.existsSync(tarball)) return;
    const partial = `${tarball}.partial`;
    try {
      await run("tar", ["--create", "--file", partial, "--numeric-owner", "--xattrs", "--xattrs-include=*", "--directory", root.dir, "."], BUILD_TIMEOUT_MS);
      fs.renameSync(partial, tarball);
    } finally {
      fs.rmSync(partial, { force: true });
    }
  });
  return tarball;
}

/** Runs `fn` holding the lock folder `lock` (taken from a process that died holding it). */
async function withLock(lock: string, fn: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (!holderAlive(lock)) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  try {
    fs.writeFileSync(path.join(lock, "pid"), String(process.pid));
    await fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

function holderAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(lock, "pid"), "utf8"));
  } catch {
    // Just made, its pid not yet written: alive, unless it stays so for a minute.
    try {
      return Date.now() - fs.statSync(lock).mtimeMs < 60_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs a program, failing with the end of its output when it fails or outlasts `timeoutMs`. */
function run(program: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-8000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${program} ${args.join(" ")} failed (${signal ?? `exit ${code}`}):\n${output}`));
    });
  });
}
