/**
 * What an ingestion worker runs: the ingestion service (services/ingestion), one process for
 * every shard of a tenant the worker indexes (partition.ts), as `ingestion.service`.
 *
 * On the worker:
 * - the distribution's `nodejs`, and the service's bundle (lib/service-bundle.ts) at
 *   `/usr/local/lib/ingestion/ingestion.js`, written gzipped by cloud-init;
 * - `/etc/ingestion/ingestion.json`: the settings (lib/ingestion/service-config.ts), public;
 * - `ingestion.service`: user `ingestion`, the writer's password as a systemd credential,
 *   checkpoints in its StateDirectory (`/var/lib/ingestion/`), memory-capped, restarted when it
 *   stops, hardened (nothing on the file system is writable to it but its state directory).
 * Nothing else: no scratch area (files stream from the log server into bulk requests), no Python,
 * no install step that needs the network at boot beyond the distribution's packages.
 */
import { gzipSync } from "node:zlib";
import type { CloudConfigBuilder } from "../cloud-init/cloud-config";
import { LOG_INDEX_PREFIX } from "../field-contract";
import { checkedDownloadList, DEFAULT_DOWNLOAD_LIST, type DownloadListEntry } from "./download-list";
import type { WorkerAssignment } from "./partition";
import { INGESTION_CREDENTIAL, INGESTION_DEFAULTS, renderIngestionConfig, SYSTEM_CA_BUNDLE, type DebugMessages, type IngestionServiceConfig } from "./service-config";

export const INGESTION_USER = "ingestion";
export const INGESTION_UNIT = "ingestion.service";
export const CONFIG_FILE = "/etc/ingestion/ingestion.json";
export const BUNDLE_FILE = "/usr/local/lib/ingestion/ingestion.js";
/** Programs the units run that only the worker has (for systemd-analyze verify in tests). */
export const WORKER_ONLY_EXECUTABLES: readonly string[] = ["/usr/bin/node"];

/** Defaults of the settings the deployment config exposes (lib/config/schema.ts says the same). */
export const WORKER_DEFAULTS = {
  debugMessages: "drop" as DebugMessages,
  backfillHours: 6,
  pollSeconds: 60,
  maxLogFileSizeMiB: 256,
  memoryMaxMiB: 1024,
};

export interface IngestionWorkerProps {
  /** This worker's shards, from partitionSources. */
  readonly assignment: WorkerAssignment;
  /** The search cluster's HTTPS endpoints, such as `https://10.42.0.48:9200` (a host may be a cdktf token). */
  readonly clusterUrls: readonly string[];
  /** User that writes the log indices. */
  readonly writerUsername: string;
  /** Root-only file on the worker with the writer's password (one line), written at deploy time. */
  readonly writerPasswordFile: string;
  /** CA certificate that signed the cluster's certificate. @default - the system's trust store */
  readonly caCertificateFile?: string;
  /** The service's JavaScript (lib/service-bundle.ts). */
  readonly serviceBundle: string;
  /** Days the cluster keeps a daily index (search.retention_days). */
  readonly retentionDays: number;
  /** @default DEFAULT_DOWNLOAD_LIST */
  readonly downloadList?: readonly DownloadListEntry[];
  /** Daily indices `<prefix>YYYY.MM.DD`. @default LOG_INDEX_PREFIX */
  readonly indexPrefix?: string;
  /** @default "drop" */
  readonly debugMessages?: DebugMessages;
  /** How far back the first start reaches (and a catch-up after a stop). @default 6 */
  readonly backfillHours?: number;
  /** Between two listings of a tenant. @default 60 */
  readonly pollSeconds?: number;
  /** Largest part of one log file that is read; the rest is cut at a line break. @default 256 */
  readonly maxLogFileSizeMiB?: number;
  /** MemoryMax of the service. @default 1024 */
  readonly memoryMaxMiB?: number;
}

/** Adds to `cloudConfig` everything a worker needs to ingest its shards. Fails early, naming the prop and the fix. */
export function configureIngestionWorker(cloudConfig: CloudConfigBuilder, props: IngestionWorkerProps): IngestionServiceConfig {
  const { shards } = props.assignment;
  if (shards.length === 0) throw new Error(`ingestion worker ${props.assignment.worker}: the assignment has no shard; see partitionSources`);
  if (props.clusterUrls.length === 0) throw new Error("clusterUrls is empty; give the search cluster's HTTPS endpoints, such as https://10.42.0.48:9200");
  for (const url of props.clusterUrls) {
    if (!/^https:\/\/[^\s/]+(\/\S*)?$/.test(url)) throw new Error(`clusterUrls: got ${JSON.stringify(url)}; expected https://<host>[:<port>][/<path>] (the cluster speaks TLS only)`);
  }
  for (const [what, file] of [["writerPasswordFile", props.writerPasswordFile], ["caCertificateFile", props.caCertificateFile]] as const) {
    if (file !== undefined && !/^\/[^\s]+$/.test(file)) throw new Error(`${what}: got ${JSON.stringify(file)}; expected an absolute path without spaces`);
  }
  const memoryMaxMiB = whole("memoryMaxMiB", props.memoryMaxMiB ?? WORKER_DEFAULTS.memoryMaxMiB, 256);
  const config: IngestionServiceConfig = {
    sources: shards,
    downloadList: checkedDownloadList(props.downloadList ?? DEFAULT_DOWNLOAD_LIST),
    zuul: {
      caFile: SYSTEM_CA_BUNDLE,
      pageSize: INGESTION_DEFAULTS.pageSize,
      pollSeconds: whole("pollSeconds", props.pollSeconds ?? WORKER_DEFAULTS.pollSeconds, 1),
      backfillHours: whole("backfillHours", props.backfillHours ?? WORKER_DEFAULTS.backfillHours, 0),
    },
    search: {
      urls: props.clusterUrls,
      username: props.writerUsername,
      ...(props.caCertificateFile !== undefined ? { caFile: props.caCertificateFile } : {}),
      indexPrefix: props.indexPrefix ?? LOG_INDEX_PREFIX,
      retentionDays: whole("retentionDays", props.retentionDays, 1),
    },
    lines: {
      debugMessages: props.debugMessages ?? WORKER_DEFAULTS.debugMessages,
      maxFileBytes: whole("maxLogFileSizeMiB", props.maxLogFileSizeMiB ?? WORKER_DEFAULTS.maxLogFileSizeMiB, 1) * 1024 * 1024,
    },
    parallelBuilds: INGESTION_DEFAULTS.parallelBuilds,
    metrics: { port: INGESTION_DEFAULTS.metricsPort },
  };

  cloudConfig.addPackages("nodejs", "ca-certificates");
  cloudConfig.addUser({ name: INGESTION_USER, system: true, shell: "/usr/sbin/nologin", lockPasswd: true });
  cloudConfig.addFile({ path: BUNDLE_FILE, content: gzipSync(props.serviceBundle, { level: 9 }).toString("base64"), encoding: "gz+b64" });
  cloudConfig.addFile({ path: CONFIG_FILE, content: renderIngestionConfig(config) });
  const tenants = [...new Set(shards.map((shard) => `${shard.tenant}${shard.shards > 1 ? ` (shard ${shard.shard + 1} of ${shard.shards})` : ""}`))];
  cloudConfig.addSystemdUnit(INGESTION_UNIT, {
    Unit: {
      Description: `Ingestion: index the CI logs of ${tenants.join(", ")} into the search cluster`,
      Wants: "network-online.target",
      After: "network-online.target",
    },
    Service: {
      Type: "exec",
      User: INGESTION_USER,
      Group: INGESTION_USER,
      ExecStart: `/usr/bin/node ${BUNDLE_FILE} ${CONFIG_FILE}`,
      LoadCredential: `${INGESTION_CREDENTIAL}:${props.writerPasswordFile}`,
      StateDirectory: "ingestion",
      StateDirectoryMode: "0700",
      // The heap stays below MemoryMax, so a huge batch fails in the service, not by the kernel's kill.
      Environment: `NODE_OPTIONS=--max-old-space-size=${Math.floor(memoryMaxMiB / 2)}`,
      MemoryMax: `${memoryMaxMiB}M`,
      Restart: "always",
      RestartSec: "10s",
      Nice: 5,
      NoNewPrivileges: true,
      ProtectSystem: "strict",
      ProtectHome: true,
      PrivateTmp: true,
      PrivateDevices: true,
      ProtectKernelTunables: true,
      ProtectControlGroups: true,
      RestrictSUIDSGID: true,
    },
    Install: { WantedBy: "multi-user.target" },
  });
  return config;
}

function whole(what: string, value: number, minimum: number): number {
  if (!Number.isSafeInteger(value) || value < minimum) throw new Error(`${what}: got ${value}; expected a whole number of at least ${minimum}`);
  return value;
}
