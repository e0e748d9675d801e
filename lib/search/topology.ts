/**
 * The search cluster's shape resolved from config, with every default applied once, and the
 * sizing rules that follow from it (heap, storage needed for the retention).
 */
import type { DeploymentConfig, FlavorConfig } from "../config/schema";

export type SearchEngine = DeploymentConfig["search"]["engine"];

/**
 * The releases this project renders and tests; a deployment pins another with search.version.
 * OpenSearch: the newest release whose server and modules Maven Central serves, so that the test
 * node (test/engine/pom.xml, a test checks) runs exactly it (3.9.0 lacks ingest-common there).
 * Elasticsearch: the newest 9.x (8.19, the last 8.x line, ends support on 2027-07-15).
 */
export const DEFAULT_ENGINE_VERSIONS: Record<SearchEngine, string> = { elasticsearch: "9.5.6", opensearch: "3.8.0" };

/** Compressed object pointers stop working above about 32 GiB of heap. */
const MAX_HEAP_GIB = 31;

export interface NodeGroup {
  readonly count: number;
  readonly flavorAlias: string;
  readonly flavor: FlavorConfig;
}

export interface SearchTopology {
  readonly engine: SearchEngine;
  readonly version: string;
  readonly dataNodes: NodeGroup & { readonly volumeGiB: number };
  /** Dedicated master-eligible nodes; count 0 makes the data nodes master-eligible. */
  readonly masterNodes: NodeGroup;
  readonly primaryShards: number;
  readonly replicas: number;
  readonly retentionDays: number;
  readonly dailyIngestGiB: number;
  readonly diskWatermarkPercent: number;
  /** Daily snapshots to S3-compatible storage; undefined means none. */
  readonly snapshots?: { readonly s3Endpoint: string; readonly hourUtc: number; readonly keepDays: number };
}

export function resolveSearchTopology(search: DeploymentConfig["search"], flavors: Record<string, FlavorConfig>): SearchTopology {
  const dataCount = search.data_nodes.count;
  const masterFlavor = search.master_nodes.flavor ?? search.data_nodes.flavor;
  return {
    engine: search.engine,
    version: search.version ?? DEFAULT_ENGINE_VERSIONS[search.engine],
    dataNodes: { count: dataCount, flavorAlias: search.data_nodes.flavor, flavor: flavors[search.data_nodes.flavor], volumeGiB: search.data_nodes.volume_gib },
    masterNodes: { count: search.master_nodes.count ?? (dataCount >= 3 ? 3 : 0), flavorAlias: masterFlavor, flavor: flavors[masterFlavor] },
    primaryShards: search.primary_shards,
    replicas: search.replicas ?? (dataCount > 1 ? 1 : 0),
    retentionDays: search.retention_days,
    dailyIngestGiB: search.daily_ingest_gib,
    diskWatermarkPercent: search.disk_watermark_percent,
    snapshots: search.snapshots
      ? { s3Endpoint: search.snapshots.s3_endpoint, hourUtc: search.snapshots.hour_utc, keepDays: search.snapshots.keep_days }
      : undefined,
  };
}

/** Half the flavor's RAM for the JVM heap (the rest is file system cache), at most 31 GiB, at least 1. */
export function heapGiB(flavor: FlavorConfig): number {
  return Math.max(1, Math.min(MAX_HEAP_GIB, Math.floor(flavor.ram_gib / 2)));
}

export interface CapacityReport {
  /** Storage the retained indices need, replicas included. */
  readonly requiredGiB: number;
  /** What the data volumes may hold below the disk watermark. */
  readonly usableGiB: number;
  readonly fits: boolean;
  /** One line with the figures, for the synth output and error messages. */
  readonly summary: string;
}

/**
 * Indices are deleted once older than the retention, so retention + 1 days are on disk at the
 * worst moment (today's index is being written while the oldest awaits deletion).
 */
export function searchCapacity(topology: SearchTopology): CapacityReport {
  const daysOnDisk = topology.retentionDays + 1;
  const copies = 1 + topology.replicas;
  const requiredGiB = topology.dailyIngestGiB * daysOnDisk * copies;
  const totalGiB = topology.dataNodes.count * topology.dataNodes.volumeGiB;
  const usableGiB = (totalGiB * topology.diskWatermarkPercent) / 100;
  const round = (value: number) => Math.round(value * 10) / 10;
  const summary =
    `needs ${round(requiredGiB)} GiB (${topology.dailyIngestGiB} GiB/day × ${daysOnDisk} days × ${copies} copies), ` +
    `has ${round(usableGiB)} GiB (${topology.dataNodes.count} × ${topology.dataNodes.volumeGiB} GiB at ${topology.diskWatermarkPercent}% watermark)`;
  return { requiredGiB, usableGiB, fits: requiredGiB <= usableGiB, summary };
}
