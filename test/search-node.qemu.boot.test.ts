/**
 * A search node booted as a cloud boots it, on real (virtual) disks: qemu with software emulation
 * (test/support/qemu.ts) runs the Debian 13 root of the boot tests with Debian's cloud kernel,
 * the rendered user data of the example's evaluation deployment (its image set to debian-trixie)
 * in a NoCloud seed, and a second disk whose serial is the first 20 characters of the data
 * volume's id, as Nova attaches a Cinder volume. Values known only at deploy time are filled in
 * as test/support/boot-user-data.ts documents (the volume's id is a random UUID: the disk's
 * serial is its prefix). The data disk is 4 GiB instead of the deployment's 200: the mount unit
 * does not read the size, and a smaller file keeps mkfs quick under emulation.
 *
 * The engine itself cannot be installed here (its vendor's apt repository is not among the hosts
 * the proxy lets through): its installer unit must be found retrying, and everything the node
 * puts in place before the engine (its configuration, the limits of its service, the kernel
 * settings, the data volume) is checked. Then the node reboots, as after a maintenance, and the
 * data written to the volume is still there on the same file system.
 *
 * Slow: several minutes per boot on 2 cores. The serial console goes to
 * test-artifacts/search-node-qemu-console.log (git-ignored); a failure names it and quotes its end.
 * The boot times are printed as one line (npm run bench reads it).
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { startAllowlistProxy, type AllowlistProxy } from "./support/boot-proxy";
import { DeployValues, renderTemplate } from "./support/boot-user-data";
import { copyExampleConfig, editConfig, repoRoot } from "./support/config-fixture";
import { takeCpuTurn, type CpuTurn } from "./support/cpu-turns";
import { debianRoot, DEBIAN_MIRROR_HOSTS } from "./support/debian-root";
import { failedUnits, type CloudInitStatus } from "./support/boot";
import { QEMU_ROOT_PACKAGES, QemuMachine, qemuGate } from "./support/qemu";
import { resourcesOf, synthConfig } from "./support/synth";
import { terraformGate } from "./support/terraform";
import { decodedContent, type WriteFilesEntry } from "./support/user-data";
import { allGates, describeGated } from "./support/validators";

const SERVER_NAME = "evaluation-search-data-1";
const DATA_DISK_GIB = 4;
const FIRST_BOOT_TIMEOUT_MS = 40 * 60_000;
const REBOOT_TIMEOUT_MS = 20 * 60_000;
/** How long the boot may wait for the search cluster's test to finish with the cores (test/support/cpu-turns.ts). */
const TURN_TIMEOUT_MS = 20 * 60_000;
const ARTIFACTS = path.join(repoRoot, "test-artifacts");
const CONSOLE_LOG = path.join(ARTIFACTS, "search-node-qemu-console.log");

/** `KEY=value` lines of an environment file, by key. */
function envFile(content: string): Record<string, string> {
  return Object.fromEntries(content.split("\n").filter((line) => line.includes("=")).map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

/** `Key=value` lines of a systemd unit file (every section), by key. */
function unitSettings(content: string): Record<string, string> {
  return Object.fromEntries(content.split("\n").filter((line) => /^[A-Za-z]+=/.test(line)).map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

describeGated(allGates(qemuGate(), terraformGate), "a search node booted under qemu (software emulation)", () => {
  let workDir: string;
  let machine: QemuMachine;
  let proxy: AllowlistProxy;
  let turn: CpuTurn | undefined;
  let files: WriteFilesEntry[];
  let serial: string;
  let firstBoot: CloudInitStatus;
  const times: { firstBootSeconds?: number; rebootSeconds?: number } = {};

  const file = (filePath: string) => {
    const found = files.find((written) => written.path === filePath);
    if (!found) throw new Error(`the rendered user data writes no ${filePath}`);
    return { ...found, content: decodedContent(found) };
  };
  const dataVolume = () => envFile(file("/etc/ci-log-analysis/data-volume.env").content);
  const engine = () => envFile(file("/etc/ci-log-analysis/search-engine.env").content);

  /** A test that, when it fails, names the console log and quotes its end; a command in the emulated guest can take a minute. */
  const bootTest = (name: string, fn: () => Promise<void>, timeoutMs = 10 * 60_000) =>
    test(name, async () => {
      try {
        await fn();
      } catch (error) {
        if (error instanceof Error) error.message += `\n\nserial console: ${CONSOLE_LOG}; its end:\n${machine?.consoleTail() ?? "(not booted)"}`;
        throw error;
      }
    }, timeoutMs);

  beforeAll(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), "qemu-search-node-"));
    const configDir = copyExampleConfig();
    editConfig(configDir, "deployments/evaluation.yaml", "image: ubuntu-noble", "image: debian-trixie");
    const stack = synthConfig(configDir).evaluation;
    const instance = Object.values(resourcesOf(stack, "openstack_compute_instance_v2")).find((server) => server.name === SERVER_NAME);
    const volume = Object.entries(resourcesOf(stack, "openstack_blockstorage_volume_v3")).find(([, resource]) => resource.name === `${SERVER_NAME}-data`);
    if (!instance || !volume) throw new Error(`the evaluation stack has no server ${SERVER_NAME} with a data volume`);
    const values = new DeployValues(workDir);
    const userData = renderTemplate(instance.user_data, values, workDir);
    files = (parse(userData) as { write_files: WriteFilesEntry[] }).write_files;
    serial = values.reference("openstack_blockstorage_volume_v3", volume[0], "id").slice(0, 20);

    const root = await debianRoot({ extraPackages: QEMU_ROOT_PACKAGES });
    turn = await takeCpuTurn("the qemu boot test", TURN_TIMEOUT_MS);
    proxy = await startAllowlistProxy(path.join(workDir, "proxy.sock"), DEBIAN_MIRROR_HOSTS);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.rmSync(CONSOLE_LOG, { force: true });
    const started = Date.now();
    machine = await QemuMachine.boot({
      root, workDir, userData, hostname: SERVER_NAME, proxySocketPath: proxy.socketPath,
      dataDisks: [{ serial, sizeGiB: DATA_DISK_GIB }], serialLog: CONSOLE_LOG,
    });
    await machine.waitForFirstLogin(FIRST_BOOT_TIMEOUT_MS);
    firstBoot = await machine.cloudInitFinished(FIRST_BOOT_TIMEOUT_MS - (Date.now() - started));
    times.firstBootSeconds = (Date.now() - started) / 1000;
  }, TURN_TIMEOUT_MS + FIRST_BOOT_TIMEOUT_MS + 5 * 60_000);

  afterAll(async () => {
    await machine?.stop();
    turn?.release();
    await proxy?.close();
    if (times.firstBootSeconds !== undefined) {
      process.stdout.write(
        `qemu boot of evaluation's search node: first boot (from making its disks to cloud-init done) after ${times.firstBootSeconds.toFixed(0)} s, ` +
          `reboot (to the data volume mounted again) after ${times.rebootSeconds?.toFixed(0) ?? "-"} s\n`,
      );
    }
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  }, 5 * 60_000);

  bootTest("cloud-init finishes the first boot with status done, without errors", async () => {
    expect({ status: firstBoot.status, errors: firstBoot.errors, recoverable_errors: firstBoot.recoverable_errors }).toEqual({
      status: "done", errors: [], recoverable_errors: {},
    });
  });

  bootTest("no unit failed on the way (the units waiting to retry are activating, not failed)", async () => {
    expect(await failedUnits(machine)).toEqual([]);
  });

  bootTest("the mount unit finds the data disk by its serial, formats it and mounts it at the rendered path", async () => {
    const { DATA_VOLUME_SERIAL, DATA_VOLUME_MOUNT_PATH } = dataVolume();
    expect(DATA_VOLUME_SERIAL).toBe(serial);
    const link = `/dev/disk/by-id/virtio-${serial}`;
    const device = (await machine.check(["readlink", "--canonicalize-existing", link])).trim();
    expect(await machine.unitProperties("mount-data-volume.service", ["ActiveState", "Result"])).toEqual({ ActiveState: "active", Result: "success" });
    expect((await machine.check(["findmnt", "--noheadings", "--output", "SOURCE,FSTYPE", "--mountpoint", DATA_VOLUME_MOUNT_PATH])).trim().split(/\s+/)).toEqual([device, "ext4"]);
    expect((await machine.check(["blkid", "--match-tag", "LABEL", "--output", "value", device])).trim()).toBe("data");
    // Mounted through /etc/fstab by its by-id link, which names the same disk on every boot.
    expect((await machine.check(["cat", "/etc/fstab"])).split("\n").filter((line) => line.startsWith(`${link} `))).toEqual([
      `${link} ${DATA_VOLUME_MOUNT_PATH} ext4 defaults,nofail,x-systemd.device-timeout=10min 0 2`,
    ]);
  });

  bootTest("the engine's staged configuration is in place as rendered: content, mode and owner of every file", async () => {
    const staged = files.filter((written) => written.path.startsWith(`${engine().STAGED_CONFIG}/`)).map((written) => file(written.path));
    expect(staged.length).toBeGreaterThan(5);
    const listing = await machine.check(["sh", "-c", 'for f in "$@"; do printf "%s %s %s\\n" "$f" "$(stat -c "%a %U:%G" "$f")" "$(sha256sum < "$f" | cut -d" " -f1)"; done', "sh", ...staged.map((written) => written.path)]);
    expect(listing.trim().split("\n")).toEqual(
      staged.map((written) => `${written.path} ${Number.parseInt(written.permissions, 8).toString(8)} ${written.owner ?? "root:root"} ${createHash("sha256").update(written.content).digest("hex")}`),
    );
  });

  bootTest("the engine's service, once its package's unit is in place, runs with the rendered limits, restart policy and data mount", async () => {
    const service = engine().ENGINE_SERVICE;
    const dropIn = unitSettings(file(`/etc/systemd/system/${service}.d/limits.conf`).content);
    // systemd reads no drop-in for a unit that does not exist, and the package cannot be installed
    // here: a stand-in takes the package unit's place (/usr/lib/systemd/system), under our drop-in.
    await machine.check(["sh", "-c", `printf '%s\\n' '[Unit]' 'Description=Stand-in for the package unit of ${service}' '[Service]' 'ExecStart=/bin/sleep infinity' > /usr/lib/systemd/system/${service}`]);
    await machine.check(["systemctl", "daemon-reload"]);
    await machine.check(["systemctl", "start", service]);
    const shown = await machine.unitProperties(service, ["DropInPaths", "LimitNOFILE", "LimitMEMLOCK", "Restart", "RestartUSec", "RequiresMountsFor", "MainPID"]);
    expect({ ...shown, MainPID: undefined }).toEqual({
      DropInPaths: `/etc/systemd/system/${service}.d/limits.conf`,
      LimitNOFILE: dropIn.LimitNOFILE,
      LimitMEMLOCK: dropIn.LimitMEMLOCK,
      Restart: dropIn.Restart,
      RestartUSec: dropIn.RestartSec,
      RequiresMountsFor: dropIn.RequiresMountsFor,
      MainPID: undefined,
    });
    // The process itself has them: soft and hard limit alike.
    const limits = await machine.check(["cat", `/proc/${shown.MainPID}/limits`]);
    const limit = (name: string) => new RegExp(`^${name} +(\\S+) +(\\S+)`, "m").exec(limits)?.slice(1);
    const asProcShows = (value: string) => (value === "infinity" ? "unlimited" : value);
    expect({ openFiles: limit("Max open files"), lockedMemory: limit("Max locked memory") }).toEqual({
      openFiles: [dropIn.LimitNOFILE, dropIn.LimitNOFILE],
      lockedMemory: [asProcShows(dropIn.LimitMEMLOCK), asProcShows(dropIn.LimitMEMLOCK)],
    });
    await machine.check(["systemctl", "stop", service]);
    await machine.check(["rm", `/usr/lib/systemd/system/${service}`]);
  });

  bootTest("the kernel runs with the rendered sysctl settings (vm.max_map_count for the engine)", async () => {
    const settings = envFile(file("/etc/sysctl.d/60-search.conf").content.replace(/ = /g, "="));
    expect(Object.keys(settings)).toContain("vm.max_map_count");
    for (const [key, value] of Object.entries(settings)) expect(`${key}=${(await machine.check(["sysctl", "--values", key])).trim()}`).toBe(`${key}=${value}`);
  });

  bootTest("install-search-engine.service keeps retrying: the engine vendor's apt repository is out of reach here", async () => {
    const unit = unitSettings(file("/etc/systemd/system/install-search-engine.service").content);
    const keyHost = new URL(/https:\/\/\S+/.exec(unit.ExecStartPre)![0]).hostname;
    const state = await machine.unitProperties("install-search-engine.service", ["ActiveState", "SubState", "Result"]);
    expect(state).toEqual({ ActiveState: "activating", SubState: "auto-restart", Result: "exit-code" });
    expect(await machine.journal("install-search-engine.service")).toContain(keyHost);
  });

  bootTest("a reboot keeps the data volume's files, on the same file system, mounted again by the unit", async () => {
    const { DATA_VOLUME_MOUNT_PATH } = dataVolume();
    const marker = `${DATA_VOLUME_MOUNT_PATH}/qemu-boot-test-marker`;
    const content = randomBytes(16).toString("hex");
    await machine.check(["sh", "-c", `printf %s ${content} > ${marker} && sync`]);
    const device = (await machine.check(["readlink", "--canonicalize-existing", `/dev/disk/by-id/virtio-${serial}`])).trim();
    const fsUuid = (await machine.check(["blkid", "--match-tag", "UUID", "--output", "value", device])).trim();

    const started = Date.now();
    await machine.reboot(REBOOT_TIMEOUT_MS);
    await machine.check(["systemctl", "start", "mount-data-volume.service"], { timeoutMs: REBOOT_TIMEOUT_MS });
    times.rebootSeconds = (Date.now() - started) / 1000;

    const deviceNow = (await machine.check(["readlink", "--canonicalize-existing", `/dev/disk/by-id/virtio-${serial}`])).trim();
    expect((await machine.check(["blkid", "--match-tag", "UUID", "--output", "value", deviceNow])).trim()).toBe(fsUuid);
    expect(await machine.check(["cat", marker])).toBe(content);
    expect((await machine.check(["findmnt", "--noheadings", "--output", "SOURCE", "--mountpoint", DATA_VOLUME_MOUNT_PATH])).trim()).toBe(deviceNow);
    expect((await machine.check(["grep", "--count", `virtio-${serial} `, "/etc/fstab"])).trim()).toBe("1");
    expect((await machine.check(["sysctl", "--values", "vm.max_map_count"])).trim()).toBe(envFile(file("/etc/sysctl.d/60-search.conf").content.replace(/ = /g, "="))["vm.max_map_count"]);
    expect(await failedUnits(machine)).toEqual([]);
  }, REBOOT_TIMEOUT_MS + 5 * 60_000);
});
