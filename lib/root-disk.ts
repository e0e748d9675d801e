/**
 * What each role keeps on its servers' root disk, checked against the flavor's disk (or its boot
 * volume) before anything is synthesized, as the search capacity is checked against the data
 * volumes: a root disk that fills up stops cloud-init, apt and every service at once.
 *
 * Each role declares its own needs in ROLE_ROOT_DISK_NEEDS, from the settings that size them.
 * The figures are budgets with headroom, not measurements of one release: the boot tests
 * (test/boot/) print what a booted Debian 13 server of each role really uses.
 */
import type { DeploymentConfig, FlavorConfig } from "./config/schema";
import { rootDiskGiB } from "./config/schema";
import { heapGiB, type SearchTopology } from "./search/topology";

export interface RootDiskNeed {
  /** What takes the space, as the error message names it. */
  readonly what: string;
  readonly gib: number;
}

/** The system itself on every server: the image, its first upgrade, apt's cache and the journal. */
export const SYSTEM_ROOT_DISK: RootDiskNeed = { what: "the system (image, upgrades, apt cache, journal)", gib: 6 };

/** One role's servers: the config setting that picks their flavor, and what their root disk holds besides the system. */
export interface RoleRootDisk {
  readonly role: string;
  /** The setting path of the role's flavor alias, where a problem is reported. */
  readonly flavorSetting: readonly PropertyKey[];
  readonly flavorAlias: string;
  readonly needs: readonly RootDiskNeed[];
}

type RoleNeeds = (config: DeploymentConfig, search: SearchTopology) => RoleRootDisk[];

/** The search engine on a node: its package (with its JDK), its logs, and the heap dump it writes on running out of memory. */
function searchNodeNeeds(flavor: FlavorConfig): RootDiskNeed[] {
  return [
    { what: "the engine's package and bundled JDK", gib: 2 },
    { what: "the engine's logs", gib: 2 },
    // The packages set -XX:HeapDumpPath=/var/lib/<engine>, on the root disk even on data nodes.
    { what: "a heap dump on out-of-memory (the heap)", gib: heapGiB(flavor) },
  ];
}

/** Each role's needs; a role whose figures change edits its own entry. */
export const ROLE_ROOT_DISK_NEEDS: Readonly<Record<string, RoleNeeds>> = {
  "search-data": (config, search) => [
    { role: "search-data", flavorSetting: ["search", "data_nodes", "flavor"], flavorAlias: config.search.data_nodes.flavor, needs: searchNodeNeeds(search.dataNodes.flavor) },
  ],
  "search-master": (config, search) =>
    search.masterNodes.count === 0
      ? []
      : [{
          role: "search-master",
          flavorSetting: config.search.master_nodes.flavor ? ["search", "master_nodes", "flavor"] : ["search", "data_nodes", "flavor"],
          flavorAlias: config.search.master_nodes.flavor ?? config.search.data_nodes.flavor,
          // A master keeps the cluster state on its root disk.
          needs: [...searchNodeNeeds(search.masterNodes.flavor), { what: "the cluster state", gib: 1 }],
        }],
  ingestion: (config) => [{
    role: "ingestion",
    flavorSetting: ["ingestion", "workers", "flavor"],
    flavorAlias: config.ingestion.workers.flavor,
    // Files stream from the log servers into the cluster: nothing is downloaded to disk. Node.js
    // and its libraries install about 60 MB (Debian 12's nodejs and libnode108); the checkpoints
    // hold a few hours of build uuids (well under 10 MB).
    needs: [{ what: "Node.js, the ingestion service and its checkpoints", gib: 1 }],
  }],
  recheck: (config) => [{
    role: "recheck",
    flavorSetting: ["recheck", "flavor"],
    flavorAlias: config.recheck.flavor,
    needs: [{ what: "Node.js and the recheck service", gib: 1 }, { what: "nginx's logs", gib: 1 }],
  }],
  frontend: (config) => [{
    role: "frontend",
    flavorSetting: ["frontend", "flavor"],
    flavorAlias: config.frontend.flavor,
    needs: [
      { what: "nginx's logs", gib: 2 },
      ...(config.frontend.dashboards ? [{ what: "the dashboards' package", gib: 2 }] : []),
      ...(config.monitoring.host === "frontend" ? monitoringNeeds(config) : []),
    ],
  }],
  monitoring: (config) =>
    config.monitoring.host === "dedicated"
      ? [{
          role: "monitoring",
          flavorSetting: config.monitoring.flavor ? ["monitoring", "flavor"] : ["frontend", "flavor"],
          flavorAlias: config.monitoring.flavor ?? config.frontend.flavor,
          // Its metrics history is on the protected volume.
          needs: monitoringNeeds(config).slice(0, 1),
        }]
      : [],
};

/** Prometheus and its packages; on the front end's server its history too (a dedicated server keeps that on its volume). */
function monitoringNeeds(config: DeploymentConfig): RootDiskNeed[] {
  return [
    { what: "Prometheus, Alertmanager and the exporters' packages", gib: 1 },
    { what: `the metrics history (monitoring.retention_days × ${METRICS_GIB_PER_DAY} GiB)`, gib: Math.ceil(config.monitoring.retention_days * METRICS_GIB_PER_DAY) },
  ];
}

/**
 * A day of the deployment's metrics in Prometheus' store: about 50,000 series (the example
 * production's 20 servers and 9 search exporters) scraped every 30 s at 1 to 2 bytes a sample.
 */
export const METRICS_GIB_PER_DAY = 0.3;

export interface RootDiskReport {
  readonly role: string;
  readonly flavorSetting: readonly PropertyKey[];
  readonly requiredGiB: number;
  readonly availableGiB: number;
  readonly fits: boolean;
  /** One line with the figures, for error messages. */
  readonly summary: string;
}

/** Every role's root disk needs against its flavor's disk, with the figures. */
export function rootDiskReports(config: DeploymentConfig, search: SearchTopology, flavors: Readonly<Record<string, FlavorConfig>>): RootDiskReport[] {
  return Object.values(ROLE_ROOT_DISK_NEEDS).flatMap((needs) => needs(config, search)).map((role) => {
    const flavor = flavors[role.flavorAlias];
    const needs = [SYSTEM_ROOT_DISK, ...role.needs];
    const requiredGiB = needs.reduce((sum, need) => sum + need.gib, 0);
    const availableGiB = rootDiskGiB(flavor);
    const disk = flavor.boot_volume_gib !== undefined ? `its boot volume (boot_volume_gib) of ${availableGiB} GiB` : `${availableGiB} GiB of disk`;
    return {
      role: role.role,
      flavorSetting: role.flavorSetting,
      requiredGiB,
      availableGiB,
      fits: requiredGiB <= availableGiB,
      summary:
        `${role.role} servers need ${requiredGiB} GiB on their root disk (${needs.map((need) => `${need.what} ${need.gib}`).join(" + ")}), ` +
        `flavor ${role.flavorAlias} (${flavor.name}) has ${disk}`,
    };
  });
}
