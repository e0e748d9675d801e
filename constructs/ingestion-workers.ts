import { Construct } from "constructs";
import { NODE_CONFIG_DIR } from "../lib/cloud-init/cloud-config";
import type { DownloadListEntry } from "../lib/ingestion/download-list";
import { partitionSources, type IngestionSource } from "../lib/ingestion/partition";
import { INGESTION_DEFAULTS, type DebugMessages } from "../lib/ingestion/service-config";
import { configureIngestionWorker } from "../lib/ingestion/worker-software";
import { Port, type Connections, type IConnectable } from "./connections";
import type { SearchCluster } from "./search-cluster";
import { ServerRole, type ServerRoleDefaults } from "./server-role";

const WRITER_PASSWORD_FILE = `${NODE_CONFIG_DIR}/search-writer-password`;
/** Where every worker serves `/metrics` (Prometheus) and `/health`. */
export const INGESTION_METRICS_PORT = INGESTION_DEFAULTS.metricsPort;

export interface IngestionWorkersProps {
  readonly servers: ServerRoleDefaults;
  readonly count: number;
  readonly flavorName: string;
  /** The Zuul tenants to follow; their shards are dealt round-robin, each to exactly one worker. */
  readonly sources: readonly IngestionSource[];
  readonly search: SearchCluster;
  /** The ingestion service's JavaScript (lib/service-bundle.ts), written gzipped into the user data. */
  readonly serviceBundle: string;
  /** Days the cluster keeps a daily index. */
  readonly retentionDays: number;
  /** @default the built-in list (lib/ingestion/download-list.ts) */
  readonly downloadList?: readonly DownloadListEntry[];
  /** @default "drop" */
  readonly debugMessages?: DebugMessages;
  /** @default 6 */
  readonly backfillHours?: number;
  /** @default 60 */
  readonly pollSeconds?: number;
  /** @default 256 */
  readonly maxLogFileSizeMiB?: number;
}

/**
 * The ingestion workers: stateless servers running the ingestion service for their shards of
 * the followed tenants, writing into the search cluster as the writer user. Their metrics port
 * answers the admin prefixes (and whoever else `connections` lets in).
 */
export class IngestionWorkers extends Construct implements IConnectable {
  readonly role: ServerRole;
  readonly connections: Connections;

  constructor(scope: Construct, id: string, props: IngestionWorkersProps) {
    super(scope, id);
    const assignments = partitionSources(props.sources, props.count);
    this.role = new ServerRole(this, "workers", {
      ...props.servers,
      roleName: "ingestion",
      description: "Log ingestion workers",
      count: props.count,
      flavorName: props.flavorName,
      configureNode: (cloudConfig, node) => {
        cloudConfig.addFile({ path: WRITER_PASSWORD_FILE, content: `${props.search.writer.password}\n`, permissions: "0600" });
        const caCertificateFile = props.search.addCaCertificateTo(cloudConfig);
        configureIngestionWorker(cloudConfig, {
          assignment: assignments[node.index],
          clusterUrls: rotate(props.search.endpoints, node.index),
          writerUsername: props.search.writer.username,
          writerPasswordFile: WRITER_PASSWORD_FILE,
          caCertificateFile,
          serviceBundle: props.serviceBundle,
          retentionDays: props.retentionDays,
          downloadList: props.downloadList,
          debugMessages: props.debugMessages,
          backfillHours: props.backfillHours,
          pollSeconds: props.pollSeconds,
          maxLogFileSizeMiB: props.maxLogFileSizeMiB,
        });
      },
    });
    this.connections = this.role.connections;
    props.search.allowClient(this, "Ingestion writes logs to the search cluster");
    this.connections.allowFromPrefixes(props.servers.adminPrefixes, Port.tcp(INGESTION_METRICS_PORT), "Prometheus metrics of the ingestion service, for the admins");
  }
}

/** Each worker starts with a different data node, so the bulk requests spread over the cluster. */
function rotate<T>(items: readonly T[], by: number): T[] {
  const start = by % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}
