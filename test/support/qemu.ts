/**
 * A Debian root (test/support/debian-root.ts) booted as a virtual machine by qemu with software
 * emulation (TCG: KVM does not work on these machines), with real block devices: a root disk, a
 * NoCloud seed (a `cidata` ISO 9660 disk holding the user data and meta data, as cloud-init
 * reads it on OpenStack's config drive), and data disks that carry a serial as Nova gives a
 * Cinder volume (the first 20 characters of its id), so udev links them as
 * `/dev/disk/by-id/virtio-<serial>`.
 *
 * How it boots: qemu loads the root's own kernel and initramfs (`-kernel`/`-initrd`, no boot
 * loader); the root disk is an ext4 image that `mke2fs -d` makes from the root folder, with no
 * loop mount, and its UUID names it on the kernel's command line, since the order of the virtio
 * disks is not the order of the options. The network is qemu's user networking with
 * `restrict=on`: the guest reaches nothing but an HTTP proxy on the host (a Unix socket, which
 * guestfwd joins at 10.0.2.100:3128), which apt uses (QEMU_APT_PROXY_CONF, the one file added
 * to the image), and the host reaches the guest's SSH server on a loopback port. The test logs
 * in as the image's default user with a key it gives in the meta data's `public-keys` (Nova's
 * key pair), and checks the host key that cloud-init prints on the console.
 *
 * Everything the guest prints on its serial console goes to `serialLog`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import type { CloudInitStatus, CommandResult } from "./boot";
import { debianRootGate, type DebianRoot } from "./debian-root";
import { freePort } from "./nginx-live";
import { findExecutable, type ToolGate } from "./validators";

/** What the root needs on top of a cloud image's packages to boot under qemu: Debian's cloud kernel (its Depends bring initramfs-tools). */
export const QEMU_ROOT_PACKAGES: readonly string[] = ["linux-image-cloud-amd64"];

/** Programs the qemu boot runs on the host, and the Debian package of each. */
const HOST_TOOLS: Readonly<Record<string, string>> = {
  "qemu-system-x86_64": "qemu-system-x86",
  genisoimage: "genisoimage",
  mke2fs: "e2fsprogs",
  debugfs: "e2fsprogs",
  ssh: "openssh-client",
  "ssh-keygen": "openssh-client",
};

/** Whether this machine can boot a root under qemu: the root's builder and every host tool, named in one line when missing. */
export function qemuGate(env: NodeJS.ProcessEnv = process.env): ToolGate {
  const root = debianRootGate(env);
  if (!root.run) return root;
  const missing = Object.keys(HOST_TOOLS).filter((tool) => findExecutable(tool) === undefined);
  if (missing.length === 0) return { run: true };
  const packages = [...new Set(missing.map((tool) => HOST_TOOLS[tool]))].join(" ");
  const what = `${missing.join(", ")} not found; install the Debian packages ${packages}`;
  if (env.CI === "true") return { run: false, fail: `${what}: CI=true requires the qemu boot test` };
  return { run: false, skip: `SKIPPED: ${what} to run the qemu boot test` };
}

/** Where the guest finds the host's proxy (guestfwd's address in qemu's user network). */
export const GUEST_PROXY_URL = "http://10.0.2.100:3128";
/** apt's proxy setting, added to the image: the only change to the root besides its kernel. */
export const QEMU_APT_PROXY_CONF = { path: "/etc/apt/apt.conf.d/00boot-test-proxy", content: `Acquire::http::Proxy "${GUEST_PROXY_URL}";\nAcquire::https::Proxy "${GUEST_PROXY_URL}";\n` };

/** A fixed UUID for the root file system, which the kernel's command line names. */
const ROOT_FS_UUID = "2d4f8a61-93c5-4b07-8e1a-5c6d7e8f9a0b";

export interface QemuDataDisk {
  /** The disk's serial, as Nova sets it: the first 20 characters of the volume's id. */
  readonly serial: string;
  readonly sizeGiB: number;
}

export interface QemuMachineOptions {
  /** A root built with QEMU_ROOT_PACKAGES among its extra packages. */
  readonly root: DebianRoot;
  /** A private folder for the disks, the seed, the SSH key and the logs. */
  readonly workDir: string;
  /** The user data as the cloud delivers it (Terraform's references filled in). */
  readonly userData: string;
  /** The meta data's `local-hostname`. */
  readonly hostname: string;
  /** The meta data's `instance-id`: cloud-init's first-boot modules run again only for a new one. @default "iid-<hostname>" */
  readonly instanceId?: string;
  /** @default none */
  readonly dataDisks?: readonly QemuDataDisk[];
  /** The Unix socket of the proxy the guest may use (test/support/boot-proxy.ts). @default no way out */
  readonly proxySocketPath?: string;
  /** The login user of the image, which gets the test's key. @default "debian" */
  readonly loginUser?: string;
  /** @default 8 */
  readonly rootDiskGiB?: number;
  /** @default 2048 */
  readonly memoryMiB?: number;
  /**
   * Virtual CPUs. One, because with two, qemu 7.2's multi-threaded TCG (Debian 12's) has panicked
   * the guest's kernel as it patched its own code ("Oops: int3" in sched_clock_cpu, fixed in
   * qemu 8.1); one also leaves the second core to the other test worker.
   * @default 1
   */
  readonly cpus?: number;
  /** Where the serial console goes. @default `<workDir>/serial.log` */
  readonly serialLog?: string;
}

/** A booted virtual machine: commands over SSH, a reboot, a power-off. */
export class QemuMachine {
  /** The disk image of each data disk, by serial: the same file through reboots. */
  readonly dataDiskFiles: Readonly<Record<string, string>>;

  private constructor(
    private process: ChildProcess,
    readonly serialLog: string,
    private readonly sshPort: number,
    private readonly sshKey: string,
    private readonly knownHosts: string,
    private readonly loginUser: string,
    dataDiskFiles: Record<string, string>,
    private readonly exited: Promise<number | null>,
  ) {
    this.dataDiskFiles = dataDiskFiles;
  }

  /** Builds the disks and the seed, and starts qemu; the guest is booting when this returns. */
  static async boot(options: QemuMachineOptions): Promise<QemuMachine> {
    const dir = options.workDir;
    const loginUser = options.loginUser ?? "debian";
    const serialLog = options.serialLog ?? path.join(dir, "serial.log");
    const rootImage = path.join(dir, "root.img");
    await buildRootImage(options.root, rootImage, options.rootDiskGiB ?? 8);

    const sshKey = path.join(dir, "ssh-key");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "qemu-boot-test", "-f", sshKey]);
    const seedDir = path.join(dir, "seed");
    fs.mkdirSync(seedDir);
    fs.writeFileSync(path.join(seedDir, "user-data"), options.userData);
    fs.writeFileSync(
      path.join(seedDir, "meta-data"),
      stringify({
        "instance-id": options.instanceId ?? `iid-${options.hostname}`,
        "local-hostname": options.hostname,
        "public-keys": [fs.readFileSync(`${sshKey}.pub`, "utf8").trim()],
      }),
    );
    const seed = path.join(dir, "seed.iso");
    await run("genisoimage", ["-quiet", "-output", seed, "-volid", "cidata", "-joliet", "-rock", path.join(seedDir, "user-data"), path.join(seedDir, "meta-data")]);

    const dataDiskFiles: Record<string, string> = {};
    const dataDrives = (options.dataDisks ?? []).flatMap((disk, index) => {
      if (disk.serial.length > 20) throw new Error(`data disk serial ${disk.serial} is longer than the 20 characters virtio-blk keeps`);
      const file = path.join(dir, `data-${index}.img`);
      fs.writeFileSync(file, "");
      fs.truncateSync(file, disk.sizeGiB * 2 ** 30);
      dataDiskFiles[disk.serial] = file;
      return ["-drive", `if=none,id=data${index},file=${file},format=raw`, "-device", `virtio-blk-pci,drive=data${index},serial=${disk.serial}`];
    });

    const sshPort = await freePort();
    const forwards = [`hostfwd=tcp:127.0.0.1:${sshPort}-:22`];
    if (options.proxySocketPath) {
      // One forwarder process per connection the guest opens (guestfwd's cmd: form).
      forwards.push(`guestfwd=tcp:10.0.2.100:3128-cmd:${process.execPath} ${path.join(__dirname, "qemu-proxy-forward.js")} ${options.proxySocketPath}`);
    }
    const args = [
      "-machine", "q35", "-accel", "tcg", "-m", String(options.memoryMiB ?? 2048), "-smp", String(options.cpus ?? 1),
      "-nographic", "-monitor", "none", "-serial", `file:${serialLog}`,
      "-kernel", path.join(options.root.dir, "vmlinuz"),
      "-initrd", path.join(options.root.dir, "initrd.img"),
      "-append", `root=UUID=${ROOT_FS_UUID} rw console=ttyS0`,
      // The test's root disk ignores flushes (nothing outlives the run); the data disks do not.
      "-drive", `if=virtio,file=${rootImage},format=raw,cache=unsafe`,
      "-drive", `if=virtio,file=${seed},format=raw,readonly=on`,
      ...dataDrives,
      "-netdev", `user,id=net0,restrict=on,${forwards.join(",")}`, "-device", "virtio-net-pci,netdev=net0",
      // Entropy for the guest's early boot (SSH host keys, Python's random module).
      "-device", "virtio-rng-pci",
    ];
    const qemuLog = fs.openSync(path.join(dir, "qemu.log"), "a");
    const child = spawn("qemu-system-x86_64", args, { stdio: ["ignore", qemuLog, qemuLog] });
    fs.closeSync(qemuLog);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    return new QemuMachine(child, serialLog, sshPort, sshKey, path.join(dir, "known_hosts"), loginUser, dataDiskFiles, exited);
  }

  /** The last `lines` lines of the serial console, for a failure message. */
  consoleTail(lines = 60): string {
    const text = fs.existsSync(this.serialLog) ? fs.readFileSync(this.serialLog, "utf8") : "";
    return text.split("\n").slice(-lines).join("\n");
  }

  /**
   * Waits until cloud-init has printed the SSH host keys on the console (its last module of the
   * first boot) and the guest's SSH server lets the test's key in.
   */
  async waitForFirstLogin(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const keys = hostKeysOnConsole(fs.existsSync(this.serialLog) ? fs.readFileSync(this.serialLog, "utf8") : "");
      if (keys.length > 0) {
        fs.writeFileSync(this.knownHosts, keys.map((key) => `[127.0.0.1]:${this.sshPort} ${key}\n`).join(""));
        break;
      }
      await this.pauseBefore(deadline, "cloud-init to print the SSH host keys on the console");
    }
    await this.waitForSsh(deadline);
  }

  /** Runs `command` in the guest over SSH, as root (sudo) or as `user`; never fails on the command's exit status. */
  run(command: readonly string[], options: { user?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
    const asUser = options.user === undefined ? ["sudo", "-n", "--"] : ["sudo", "-n", "-u", options.user, "--"];
    return capture("ssh", [
      "-F", "/dev/null", "-p", String(this.sshPort), "-i", this.sshKey,
      "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${this.knownHosts}`,
      "-o", "ConnectTimeout=30", "-o", "ServerAliveInterval=15", "-o", "LogLevel=ERROR",
      `${this.loginUser}@127.0.0.1`, "--", [...asUser, ...command].map(shellQuote).join(" "),
    ], options.timeoutMs ?? 120_000);
  }

  /** Like run, failing unless the command exits 0; returns its standard output. */
  async check(command: readonly string[], options: { user?: string; timeoutMs?: number } = {}): Promise<string> {
    const result = await this.run(command, options);
    if (result.status !== 0) throw new Error(`${command.join(" ")} in the guest failed (${result.status}): ${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  /** systemd's view of a unit: the properties asked for, by name. */
  async unitProperties(unit: string, properties: readonly string[]): Promise<Record<string, string>> {
    const stdout = await this.check(["systemctl", "show", unit, `--property=${properties.join(",")}`]);
    return Object.fromEntries(stdout.trim().split("\n").map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
  }

  /** The unit's journal (every boot), for failure messages. */
  async journal(unit: string, lines = 30): Promise<string> {
    return (await this.run(["journalctl", "--no-pager", "--output=short-monotonic", `--lines=${lines}`, "--unit", unit])).stdout;
  }

  /** Polls `cloud-init status` until cloud-init has finished (done, error, disabled). */
  async cloudInitFinished(timeoutMs: number): Promise<CloudInitStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await this.run(["cloud-init", "status", "--format=json"]);
      try {
        const status = JSON.parse(result.stdout) as CloudInitStatus;
        if (["done", "error", "disabled"].includes(status.status)) return status;
      } catch {
        // not answering yet
      }
      await this.pauseBefore(deadline, `cloud-init to finish (last status: ${result.stdout}${result.stderr})`);
    }
  }

  /** Reboots the guest (systemctl reboot) and waits until it is up again with a new boot id. */
  async reboot(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const before = (await this.check(["cat", "/proc/sys/kernel/random/boot_id"])).trim();
    // The connection may end before ssh sees the command's exit status.
    await this.run(["systemctl", "reboot"]);
    for (;;) {
      const now = await this.run(["cat", "/proc/sys/kernel/random/boot_id"], { timeoutMs: 60_000 });
      if (now.status === 0 && now.stdout.trim() !== before) return;
      await this.pauseBefore(deadline, "the guest to come back from its reboot");
    }
  }

  /** Powers the guest off and waits for qemu to end; kills qemu when the guest does not stop in time. */
  async stop(timeoutMs = 120_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    await this.run(["systemctl", "poweroff"], { timeoutMs: 30_000 }).catch(() => undefined);
    const timer = setTimeout(() => this.process.kill("SIGKILL"), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  private async waitForSsh(deadline: number): Promise<void> {
    for (;;) {
      const result = await this.run(["true"], { timeoutMs: 60_000 });
      if (result.status === 0) return;
      await this.pauseBefore(deadline, `the guest's SSH server (last answer: ${result.stderr.trim() || `exit ${result.status}`})`);
    }
  }

  private async pauseBefore(deadline: number, what: string): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) {
      throw new Error(`qemu ended (${this.process.exitCode ?? this.process.signalCode}) while waiting for ${what}; console:\n${this.consoleTail()}`);
    }
    // A panicked kernel halts and qemu runs on: nothing more will come.
    if (fs.existsSync(this.serialLog) && fs.readFileSync(this.serialLog, "utf8").includes("Kernel panic - not syncing")) {
      throw new Error(`the guest's kernel panicked while waiting for ${what}; console:\n${this.consoleTail()}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; console:\n${this.consoleTail()}`);
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}

/** The host keys between cloud-init's `-----BEGIN SSH HOST KEY KEYS-----` markers (keys_to_console). */
export function hostKeysOnConsole(console: string): string[] {
  const block = /-----BEGIN SSH HOST KEY KEYS-----\r?\n([\s\S]*?)-----END SSH HOST KEY KEYS-----/.exec(console);
  if (!block) return [];
  return block[1]
    .split(/\r?\n/)
    .map((line) => /(?:^|\s)((?:ssh|ecdsa)-[a-z0-9-]+ [A-Za-z0-9+/=]+)/.exec(line)?.[1])
    .filter((key): key is string => key !== undefined);
}

/** An ext4 image of the root folder (mke2fs -d: no loop mount), with the apt proxy setting added by debugfs. */
async function buildRootImage(root: DebianRoot, image: string, sizeGiB: number): Promise<void> {
  await run("mke2fs", ["-q", "-t", "ext4", "-L", "root", "-U", ROOT_FS_UUID, "-d", root.dir, image, `${sizeGiB}G`]);
  const staged = `${image}.apt-proxy`;
  fs.writeFileSync(staged, QEMU_APT_PROXY_CONF.content, { mode: 0o644 });
  await run("debugfs", ["-w", "-R", `write ${staged} ${QEMU_APT_PROXY_CONF.path}`, image]);
  fs.rmSync(staged);
}

/** `value` as one word of a POSIX shell command line (ssh passes the command to the login shell). */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_.,:=/@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

function capture(program: string, args: string[], timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs, killSignal: "SIGKILL" });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

async function run(program: string, args: string[]): Promise<void> {
  const result = await capture(program, args, 10 * 60_000);
  if (result.status !== 0) throw new Error(`${program} ${args.join(" ")} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
}
