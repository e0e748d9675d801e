/**
 * A server booted from its user data with systemd-nspawn, as a cloud boots one: systemd as PID 1
 * in the Debian root of test/support/debian-root.ts, cloud-init finding the user data in a
 * NoCloud seed (/var/lib/cloud/seed/nocloud, where its NoCloud data source looks first).
 *
 * - The root stays untouched: each boot runs on an overlay (the root below, a private folder
 *   above), removed when the server stops.
 * - Network: the container's own, with loopback only (`--private-network`). The one way out is
 *   the test's allowlisting proxy (test/support/boot-proxy.ts), whose Unix socket is bind-mounted
 *   into the container; a socket unit of systemd's own `systemd-socket-proxyd` makes it
 *   127.0.0.1:3128 inside, and apt is told to use it (/etc/apt/apt.conf.d/00boot-test-proxy).
 *   Nothing else is: a unit that fetches with curl from elsewhere fails, as it would behind a
 *   firewall that lets only Debian's mirrors through.
 * - This host runs no systemd (no machined, no bus): nspawn runs with `--register=no
 *   --keep-unit`, each container in its own cgroup made here, and commands run in the container
 *   through nsenter into its PID 1's namespaces.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { DebianRoot } from "./debian-root";
import { allGates, toolGate, type ToolGate } from "./validators";
import { debianRootGate } from "./debian-root";
import { terraformGate } from "./terraform";

/** Inside the container: where the proxy's socket is bind-mounted, and the address it is offered on. */
const PROXY_DIR_INSIDE = "/run/boot-test-proxy";
const PROXY_ADDRESS_INSIDE = "127.0.0.1:3128";
const CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** What the boot tests need: a root (mmdebstrap, root), systemd-nspawn, and Terraform to render the user data. */
export function bootGate(env: NodeJS.ProcessEnv = process.env): ToolGate {
  return allGates(debianRootGate(env), toolGate("systemd-nspawn", "systemd-container", env), toolGate("nsenter", "util-linux", env), terraformGate);
}

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface BootOptions {
  readonly root: DebianRoot;
  /** Machine name and hostname (meta-data's local-hostname). */
  readonly name: string;
  /** The user data as the cloud delivers it (rendered, see test/support/boot-user-data.ts). */
  readonly userData: string;
  /** A private folder for the overlay and the console's log. */
  readonly workDir: string;
  /** The host path of the allowlisting proxy's socket. */
  readonly proxySocket: string;
  /**
   * A data volume: an empty loop device of `sizeMiB`, at /dev/disk/by-id/virtio-<serial> in the
   * container, where udev names a virtio disk whose serial Nova sets to the volume id's start.
   */
  readonly dataVolume?: { readonly serial: string; readonly sizeMiB: number };
  /**
   * The server's Nova metadata (its `metadata` map): when given, a stand-in of the OpenStack
   * metadata service serves it at http://169.254.169.254/openstack/latest/meta_data.json from
   * early in the boot, as a cloud does. Not for roles with nginx, which listens on every address's port 80.
   */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface CloudInitStatus {
  readonly status: string;
  readonly errors: string[];
  readonly recoverable_errors: Record<string, string[]>;
  readonly [key: string]: unknown;
}

/** The units systemd reports failed, by name, on a booted system of either kind (container or virtual machine). */
export async function failedUnits(system: { check(command: readonly string[]): Promise<string> }): Promise<string[]> {
  const listing = await system.check(["systemctl", "list-units", "--state=failed", "--plain", "--no-legend", "--no-pager"]);
  return listing.split("\n").map((line) => line.split(" ")[0]).filter((unit) => unit !== "");
}

export class BootedServer {
  private constructor(
    readonly name: string,
    /** The container's root as the host sees it (the overlay). */
    readonly rootDir: string,
    readonly consoleLog: string,
    private readonly nspawn: ChildProcess,
    private readonly initPid: number,
    private readonly cleanup: () => Promise<void>,
    readonly startedAt: number,
  ) {}

  static async boot(options: BootOptions): Promise<BootedServer> {
    const work = (name: string) => path.join(options.workDir, name);
    for (const dir of ["upper", "overlay-work", "merged"]) fs.mkdirSync(work(dir), { recursive: true });
    const merged = work("merged");
    await runHost("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${options.root.dir},upperdir=${work("upper")},workdir=${work("overlay-work")}`, merged]);
    const cgroups = ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"]
      .filter((hierarchy) => fs.existsSync(path.join(hierarchy, "cgroup.procs")))
      .map((hierarchy) => path.join(hierarchy, `boot-test-${options.name}-${process.pid}`));
    let loopDevice: string | undefined;
    const unmount = async () => {
      for (const cgroup of cgroups) removeCgroup(cgroup);
      await runHost("umount", ["--lazy", merged], { allowFailure: true });
      if (loopDevice) await runHost("losetup", ["--detach", loopDevice], { allowFailure: true });
    };
    try {
      seed(merged, options);
      if (options.dataVolume) {
        fs.writeFileSync(work("data-volume.img"), "");
        fs.truncateSync(work("data-volume.img"), options.dataVolume.sizeMiB * 1024 * 1024);
        loopDevice = (await runHost("losetup", ["--find", "--show", work("data-volume.img")])).stdout.trim();
      }
      for (const cgroup of cgroups) fs.mkdirSync(cgroup, { recursive: true });
      const consoleLog = work("console.log");
      const out = fs.openSync(consoleLog, "w");
      const nspawnArgs = [
        "--boot", `--directory=${merged}`, `--machine=${options.name}`, "--private-network", "--register=no", "--keep-unit",
        "--console=read-only", `--bind=${path.dirname(options.proxySocket)}:${PROXY_DIR_INSIDE}`,
        ...(loopDevice ? [`--bind=${loopDevice}:/dev/disk/by-id/virtio-${options.dataVolume!.serial}`] : []),
      ];
      // Each container in a cgroup of its own (--keep-unit uses the caller's), so that two booted at once do not share one.
      const enter = cgroups.map((cgroup) => `echo $$ > ${cgroup}/cgroup.procs`).join(" && ");
      const startedAt = Date.now();
      const nspawn = spawn("sh", ["-c", `${enter} && exec systemd-nspawn "$@"`, "sh", ...nspawnArgs], { stdio: ["ignore", out, out] });
      fs.closeSync(out);
      const initPid = await containerInit(nspawn, consoleLog);
      return new BootedServer(options.name, merged, consoleLog, nspawn, initPid, unmount, startedAt);
    } catch (error) {
      await unmount();
      throw error;
    }
  }

  /** Runs `command` in the container (as root, or as `user`), with a clean environment. */
  run(command: readonly string[], options: { user?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
    const asUser = options.user ? ["runuser", "--user", options.user, "--"] : [];
    return runHost("nsenter", [`--target=${this.initPid}`, "--all", "--", "env", "-i", `PATH=${CONTAINER_PATH}`, "LANG=C.UTF-8", ...asUser, ...command], {
      timeoutMs: options.timeoutMs ?? 60_000,
      allowFailure: true,
    });
  }

  /** Like run, failing unless the command succeeds; returns its output. */
  async check(command: readonly string[], options: { user?: string; timeoutMs?: number } = {}): Promise<string> {
    const result = await this.run(command, options);
    if (result.status !== 0) throw new Error(`${command.join(" ")} in ${this.name} failed (${result.status}): ${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  /** The path on the host of `file` in the container. */
  hostPath(file: string): string {
    return path.join(this.rootDir, file);
  }

  /** Polls `cloud-init status` until cloud-init has finished (done, error, disabled) or `timeoutMs` passes. */
  async cloudInitFinished(timeoutMs: number): Promise<{ status: CloudInitStatus; seconds: number }> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      if (this.nspawn.exitCode !== null) throw new Error(`${this.name} stopped (exit ${this.nspawn.exitCode}); its console: ${tail(this.consoleLog)}`);
      const result = await this.run(["cloud-init", "status", "--format=json"]);
      last = result.stdout + result.stderr;
      try {
        const status = JSON.parse(result.stdout) as CloudInitStatus;
        if (["done", "error", "disabled"].includes(status.status)) return { status, seconds: (Date.now() - this.startedAt) / 1000 };
      } catch {
        // not answering yet: systemd is still starting
      }
      if (Date.now() > deadline) throw new Error(`cloud-init in ${this.name} did not finish within ${timeoutMs / 1000} s; last status: ${last}; console: ${tail(this.consoleLog)}`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  /** systemd's view of a unit: ActiveState, SubState, Result, NRestarts, LoadState, UnitFileState. */
  async unitState(unit: string): Promise<Record<string, string>> {
    const stdout = await this.check(["systemctl", "show", unit, "--property=ActiveState,SubState,Result,NRestarts,LoadState,UnitFileState"]);
    return Object.fromEntries(stdout.trim().split("\n").map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
  }

  /** The unit's journal, for failure messages. */
  async journal(unit: string, lines = 30): Promise<string> {
    return (await this.run(["journalctl", "--no-pager", "--output=cat", `--lines=${lines}`, "--unit", unit])).stdout;
  }

  /** Powers the container off (nspawn passes SIGTERM on as a clean shutdown), then removes its overlay. */
  async stop(): Promise<void> {
    if (this.nspawn.exitCode === null && this.nspawn.signalCode === null) {
      const exited = new Promise((resolve) => this.nspawn.once("exit", resolve));
      this.nspawn.kill("SIGTERM");
      const timer = setTimeout(() => this.nspawn.kill("SIGKILL"), 60_000);
      await exited;
      clearTimeout(timer);
    }
    await this.cleanup();
  }
}

/** The NoCloud seed, and the way to the proxy (a socket unit, apt's setting), written into the overlay. */
function seed(merged: string, options: BootOptions): void {
  const write = (file: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(merged, file)), { recursive: true });
    fs.writeFileSync(path.join(merged, file), content);
  };
  write("var/lib/cloud/seed/nocloud/meta-data", `instance-id: ${options.name}\nlocal-hostname: ${options.name}\n`);
  write("var/lib/cloud/seed/nocloud/user-data", options.userData);
  write("etc/apt/apt.conf.d/00boot-test-proxy", `Acquire::http::Proxy "http://${PROXY_ADDRESS_INSIDE}/";\nAcquire::https::Proxy "http://${PROXY_ADDRESS_INSIDE}/";\n`);
  write("etc/systemd/system/boot-test-proxy.socket", `[Unit]\nDescription=The boot test's way out (its allowlisting proxy)\n\n[Socket]\nListenStream=${PROXY_ADDRESS_INSIDE}\n\n[Install]\nWantedBy=sockets.target\n`);
  write(
    "etc/systemd/system/boot-test-proxy.service",
    `[Unit]\nDescription=The boot test's way out (its allowlisting proxy)\nRequires=boot-test-proxy.socket\n\n[Service]\nExecStart=/usr/lib/systemd/systemd-socket-proxyd ${PROXY_DIR_INSIDE}/${path.basename(options.proxySocket)}\n`,
  );
  fs.mkdirSync(path.join(merged, "etc/systemd/system/sockets.target.wants"), { recursive: true });
  fs.symlinkSync("/etc/systemd/system/boot-test-proxy.socket", path.join(merged, "etc/systemd/system/sockets.target.wants/boot-test-proxy.socket"));
  if (options.metadata) {
    write("var/lib/boot-test-metadata/openstack/latest/meta_data.json", `${JSON.stringify({ name: options.name, hostname: options.name, meta: options.metadata })}\n`);
    write(
      "etc/systemd/system/boot-test-metadata.service",
      "[Unit]\nDescription=The boot test's stand-in of the OpenStack metadata service\n\n[Service]\n" +
        "ExecStartPre=/usr/sbin/ip address replace 169.254.169.254/32 dev lo\n" +
        "ExecStart=/usr/bin/python3 -m http.server --bind 169.254.169.254 --directory /var/lib/boot-test-metadata 80\n\n[Install]\nWantedBy=multi-user.target\n",
    );
    fs.mkdirSync(path.join(merged, "etc/systemd/system/multi-user.target.wants"), { recursive: true });
    fs.symlinkSync("/etc/systemd/system/boot-test-metadata.service", path.join(merged, "etc/systemd/system/multi-user.target.wants/boot-test-metadata.service"));
  }
}

/** The PID (on the host) of the container's systemd: the first descendant of nspawn in another PID namespace. */
async function containerInit(nspawn: ChildProcess, consoleLog: string): Promise<number> {
  const ownNamespace = fs.readlinkSync("/proc/self/ns/pid");
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (nspawn.exitCode !== null) throw new Error(`systemd-nspawn exited (${nspawn.exitCode}): ${tail(consoleLog)}`);
    const pending = nspawn.pid === undefined ? [] : [nspawn.pid];
    while (pending.length > 0) {
      const pid = pending.shift()!;
      try {
        if (fs.readlinkSync(`/proc/${pid}/ns/pid`) !== ownNamespace) return pid;
        for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
          pending.push(...fs.readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").split(" ").filter((text) => text !== "").map(Number));
        }
      } catch {
        // the process is gone
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the container's systemd did not start within 30 s: ${tail(consoleLog)}`);
}

/** Removes a cgroup the container has left (its payload and supervisor cgroups first), when empty. */
function removeCgroup(cgroup: string): void {
  if (!fs.existsSync(cgroup)) return;
  for (const entry of fs.readdirSync(cgroup, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroup(path.join(cgroup, entry.name));
  }
  try {
    fs.rmdirSync(cgroup);
  } catch {
    // a process still in it (the container did not stop): left for the machine's next boot
  }
}

function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no console log)";
  }
}

/** Runs a program on the host; fails unless it exits 0, or allowFailure. */
function runHost(program: string, args: readonly string[], options: { timeoutMs?: number; allowFailure?: boolean } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ["ignore", "pipe", "pipe"], timeout: options.timeoutMs ?? 60_000, killSignal: "SIGKILL" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (status) => {
      if (status !== 0 && !options.allowFailure) reject(new Error(`${program} ${args.join(" ")} failed (${status}): ${stderr}`));
      else resolve({ status, stdout, stderr });
    });
  });
}
