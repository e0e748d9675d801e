/**
 * The boot test of one role: the role's first server of an example stack, its user data rendered
 * with deploy-time values (test/support/boot-user-data.ts), booted with systemd-nspawn in the
 * Debian 13 root (test/support/boot.ts, test/support/debian-root.ts) behind a proxy that lets
 * only Debian's mirror through. What every role's test asserts:
 *
 * - cloud-init finishes with `status: done` and no error, recoverable ones included;
 * - every `write_files` entry is on disk with its mode, owner and content;
 * - every unit the role enables (its runcmd's `systemctl enable`) and every packaged unit it
 *   configures with a drop-in is active, except the units named in `retrying`, whose upstream
 *   cannot be reached from here: those must still be trying (activating: a try running, or
 *   waiting to restart), or not installed yet when their installer is one of them. A unit that
 *   is neither fails the test, and so does a named one that became active (the list is stale);
 * - the metadata guard: root reaches a stand-in metadata service on 169.254.169.254, another
 *   user is refused by the guard's rule (its counter counts the refusal).
 *
 * The role's own probes run after these, on the booted server. The boot's seconds (start to
 * cloud-init done, and to every unit settled) are printed as one line.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { BootedServer, bootGate, failedUnits } from "./boot";
import { startAllowlistProxy, type AllowlistProxy } from "./boot-proxy";
import { DeployValues, renderTemplate } from "./boot-user-data";
import { debianRoot, DEBIAN_MIRROR_HOSTS } from "./debian-root";
import { synthConfig } from "./synth";
import { decodedContent, type WriteFilesEntry } from "./user-data";
import { describeGated } from "./validators";

/** Longest a boot may take to cloud-init's end: the slowest role installs about 300 MB of packages through the proxy. */
const CLOUD_INIT_TIMEOUT_MS = 20 * 60_000;
/** Longest the units may take after that to be active or retrying (an installer's first try). */
const UNITS_SETTLE_TIMEOUT_MS = 10 * 60_000;
const METADATA_ADDRESS = "169.254.169.254";
/** Not 80, where nginx listens on every address of the front end and recheck servers; the guard's rule holds for any port. */
const METADATA_PORT = 8775;

/** A search node's units that wait for OpenSearch, whose apt repository the proxy refuses. */
export const SEARCH_NODE_RETRYING: Readonly<Record<string, string>> = {
  "install-search-engine.service": "adds OpenSearch's apt repository from artifacts.opensearch.org, which the proxy refuses",
  "opensearch.service": "the package install-search-engine.service installs",
  "search-setup.service": "waits for the cluster (OpenSearch is not installed)",
};

export interface RoleBoot {
  readonly server: BootedServer;
  readonly values: DeployValues;
  readonly proxy: AllowlistProxy;
  /** The rendered cloud-config, parsed. */
  readonly cloudConfig: CloudConfig;
  /** The server's name and its Nova metadata, rendered. */
  readonly name: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Where the role's test may keep files on the host. */
  readonly dir: string;
}

export interface CloudConfig {
  readonly write_files?: WriteFilesEntry[];
  readonly runcmd?: (string | string[])[];
  readonly packages?: string[];
}

export interface RoleBootSpec {
  /** The example stack (config/deployments/<stack>.yaml) and the role (its servers' metadata `role`). */
  readonly stack: string;
  readonly role: string;
  /** Units that cannot become active from here, each with why (the upstream it waits for). */
  readonly retrying: Readonly<Record<string, string>>;
  /** The stack's input variables the role's user data reads (its secrets), by name. */
  readonly variables?: (dir: string) => Record<string, string>;
  /**
   * Files of write_files that a unit changes on purpose after cloud-init wrote them, each with
   * the mode and owner it leaves (as `stat --format="%a %U:%G"` prints them) and why.
   */
  readonly rewritten?: Readonly<Record<string, { readonly modeAndOwner: string; readonly why: string }>>;
  /** The server's data volume: a loop device of this size whose by-id name carries the volume's serial. */
  readonly dataVolumeMiB?: number;
  /** Whether the server gets a stand-in metadata service with its Nova metadata (see BootOptions.metadata). */
  readonly metadataService?: boolean;
  /** The role's probes: tests on the booted server. */
  readonly probes?: (boot: () => RoleBoot) => void;
}

/** Every unit the role's user data enables or configures with a drop-in. */
export function unitsOfRole(cloudConfig: CloudConfig): string[] {
  const enabled = (cloudConfig.runcmd ?? []).flatMap((command) =>
    Array.isArray(command) && command[0] === "systemctl" && command[1] === "enable" ? command.slice(2).filter((word) => !word.startsWith("-")) : []);
  const configured = (cloudConfig.write_files ?? []).flatMap((file) => /^\/etc\/systemd\/system\/([^/]+)\.d\/[^/]+\.conf$/.exec(file.path)?.[1] ?? []);
  return [...new Set([...enabled, ...configured])];
}

type UnitState = Record<string, string>;

/** Whether a unit is where the test wants it: active, or for a named one, still trying (or not installed by its retrying installer). */
function settled(unit: string, state: UnitState, retrying: Readonly<Record<string, string>>): boolean {
  if (!(unit in retrying)) return state.ActiveState === "active";
  return state.ActiveState === "activating" || state.LoadState === "not-found";
}

export function describeRoleBoot(spec: RoleBootSpec): void {
  describeGated(bootGate(), `the ${spec.role} server of the ${spec.stack} stack, booted from its user data`, () => {
    let boot: RoleBoot | undefined;
    let cloudInit: Awaited<ReturnType<BootedServer["cloudInitFinished"]>>;
    let units: Record<string, UnitState> = {};
    let settledSeconds = 0;
    const booted = () => {
      if (!boot) throw new Error("the server did not boot (see the first failure)");
      return boot;
    };

    beforeAll(async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `boot-${spec.role}-`));
      const instance = Object.values(synthConfig()[spec.stack].resource.openstack_compute_instance_v2 as Record<string, { metadata: { role: string } & Record<string, string>; user_data: string; name: string }>)
        .find((candidate) => candidate.metadata.role === spec.role);
      if (!instance) throw new Error(`the ${spec.stack} stack has no ${spec.role} server`);
      fs.mkdirSync(path.join(dir, "values"));
      const values = new DeployValues(path.join(dir, "values"), spec.variables?.(dir) ?? {});
      const userData = renderTemplate(instance.user_data, values, dir);
      const metadata = JSON.parse(renderTemplate(JSON.stringify(instance.metadata), values, dir)) as Record<string, string>;
      const cloudConfig = parse(userData) as CloudConfig;
      const root = await debianRoot();
      fs.mkdirSync(path.join(dir, "proxy"));
      const proxy = await startAllowlistProxy(path.join(dir, "proxy", "proxy.sock"), DEBIAN_MIRROR_HOSTS);
      const dataVolumeSerial = spec.dataVolumeMiB === undefined ? undefined : dataVolumeSerialOf(cloudConfig);
      const server = await BootedServer.boot({
        root, name: `${spec.stack}-${spec.role}`, userData, workDir: path.join(dir, "boot"), proxySocket: proxy.socketPath,
        ...(dataVolumeSerial === undefined ? {} : { dataVolume: { serial: dataVolumeSerial, sizeMiB: spec.dataVolumeMiB! } }),
        ...(spec.metadataService ? { metadata } : {}),
      });
      boot = { server, values, proxy, cloudConfig, dir, name: instance.name, metadata };
      cloudInit = await server.cloudInitFinished(CLOUD_INIT_TIMEOUT_MS);
      const deadline = Date.now() + UNITS_SETTLE_TIMEOUT_MS;
      for (;;) {
        units = Object.fromEntries(await Promise.all(unitsOfRole(cloudConfig).map(async (unit) => [unit, await server.unitState(unit)] as const)));
        if (Object.entries(units).every(([unit, state]) => settled(unit, state, spec.retrying)) || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 5000));
      }
      settledSeconds = (Date.now() - server.startedAt) / 1000;
      const refused = [...new Set(proxy.refused)].join(", ") || "none";
      process.stdout.write(
        `boot of ${spec.stack}'s ${spec.role}: cloud-init done after ${cloudInit.seconds.toFixed(0)} s, units settled after ${settledSeconds.toFixed(0)} s; ` +
          `${proxy.forwarded.length} requests through the proxy, refused: ${refused}\n`,
      );
    }, CLOUD_INIT_TIMEOUT_MS + UNITS_SETTLE_TIMEOUT_MS + 5 * 60_000);

    afterAll(async () => {
      await boot?.server.stop();
      await boot?.proxy.close();
      if (boot) fs.rmSync(boot.dir, { recursive: true, force: true });
    }, 120_000);

    test("cloud-init finishes: status done, no error", () => {
      expect({ status: cloudInit.status.status, errors: cloudInit.status.errors, recoverable: cloudInit.status.recoverable_errors }).toEqual({ status: "done", errors: [], recoverable: {} });
    });

    test("every write_files entry is on disk with its mode, owner and content", async () => {
      const { server, cloudConfig } = booted();
      const files = cloudConfig.write_files ?? [];
      expect(files.length).toBeGreaterThan(0);
      const stats = (await server.check(["stat", "--format=%n %a %U:%G", ...files.map((file) => file.path)])).trim().split("\n");
      expect(stats).toEqual(files.map((file) =>
        `${file.path} ${spec.rewritten?.[file.path]?.modeAndOwner ?? `${Number.parseInt(file.permissions, 8).toString(8)} ${file.owner ?? "root:root"}`}`));
      expect(Object.keys(spec.rewritten ?? {}).filter((file) => !files.some((entry) => entry.path === file))).toEqual([]);
      const differing = files.filter((file) => fs.readFileSync(server.hostPath(file.path), "utf8") !== decodedContent(file)).map((file) => file.path);
      expect(differing).toEqual([]);
    });

    test("every unit it enables is active, but those named as retrying, which are still trying", async () => {
      const { server } = booted();
      const wrong = Object.entries(units).filter(([unit, state]) => !settled(unit, state, spec.retrying));
      const details = await Promise.all(wrong.map(async ([unit, state]) => `${unit}: ${JSON.stringify(state)}\n${await server.journal(unit, 15)}`));
      expect(details).toEqual([]);
      // A name in the list that the role no longer has is a stale list too.
      expect(Object.keys(spec.retrying).filter((unit) => !(unit in units))).toEqual([]);
    });

    test("the node exporter is installed without its textfile collectors, which apt's pin keeps out", async () => {
      const { server } = booted();
      const status = await server.run(["dpkg-query", "--show", "--showformat=${Package} ${db:Status-Status}\n", "prometheus-node-exporter", "prometheus-node-exporter-collectors", "openipmi", "nvme-cli"]);
      expect(status.stdout.trim().split("\n").filter((line) => line.endsWith(" installed"))).toEqual(["prometheus-node-exporter installed"]);
    });

    test("no other unit failed", async () => {
      const { server } = booted();
      const failed = (await failedUnits(server)).filter((unit) => !(unit in spec.retrying));
      expect(await Promise.all(failed.map(async (unit) => `${unit}\n${await server.journal(unit, 10)}`))).toEqual([]);
    });

    test("the metadata guard lets root reach the metadata service and refuses another user", async () => {
      const { server } = booted();
      await server.check(["ip", "address", "replace", `${METADATA_ADDRESS}/32`, "dev", "lo"]);
      await server.check(["systemd-run", "--unit=boot-test-guard-probe", "--property=WorkingDirectory=/var/lib/cloud/seed/nocloud",
        "python3", "-m", "http.server", "--bind", METADATA_ADDRESS, String(METADATA_PORT)]);
      const url = `http://${METADATA_ADDRESS}:${METADATA_PORT}/meta-data`;
      const refusals = async () => Number(/ip daddr 169\.254\.169\.254 .*counter packets (\d+)/.exec(await server.check(["nft", "list", "table", "inet", "metadata_guard"]))?.[1]);
      let asRoot = await server.run(["curl", "--silent", "--show-error", "--max-time", "2", url]);
      for (let attempt = 0; attempt < 40 && asRoot.status !== 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 250)); // the stand-in is still starting
        asRoot = await server.run(["curl", "--silent", "--show-error", "--max-time", "2", url]);
      }
      expect(asRoot.stdout).toContain("instance-id:");
      const before = await refusals();
      const asNobody = await server.run(["curl", "--silent", "--show-error", "--max-time", "5", url], { user: "nobody" });
      expect(asNobody.status).toBe(7); // couldn't connect: the rule's reject
      expect(asNobody.stdout).toBe("");
      expect(await refusals()).toBe(before + 1);
    }, 180_000);

    spec.probes?.(booted);
  });
}

/** The serial the data volume's mount unit looks for, from the rendered data-volume.env. */
function dataVolumeSerialOf(cloudConfig: CloudConfig): string {
  const file = (cloudConfig.write_files ?? []).find((entry) => entry.path === "/etc/ci-log-analysis/data-volume.env");
  const serial = file && /^DATA_VOLUME_SERIAL=(\S+)$/m.exec(decodedContent(file))?.[1];
  if (!serial) throw new Error("the role's user data names no data volume serial (/etc/ci-log-analysis/data-volume.env)");
  return serial;
}
