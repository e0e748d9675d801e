import { Construct } from "constructs";
import { NODE_CONFIG_DIR } from "../lib/cloud-init/cloud-config";
import type { DownloadListEntry } from "../lib/ingestion/download-list";
import { partitionSources, type FollowedSource } from "../lib/ingestion/partition";
import { configureIngestionWorker } from "../lib/ingestion/worker-software";
import { Port, type Connections, type IConnectable } from "./connections";
import type { SearchCluster } from "./search-cluster";
import { ServerRole, type ServerRoleDefaults } from "./server-role";

const WRITER_PASSWORD_FILE = `${NODE_CONFIG_DIR}/search-writer-password`;
const METRICS_PORT_BASE = 9128;

export interface IngestionWorkersProps {
  readonly servers: ServerRoleDefaults;
  readonly count: number;
  readonly flavorName: string;
  /** The Zuul tenants (or parts of one) to follow; dealt round-robin, each to exactly one worker. */
  readonly sources: readonly FollowedSource[];
  readonly search: SearchCluster;
  /** @default the built-in list (lib/ingestion/download-list.ts) */
  readonly downloadList?: readonly DownloadListEntry[];
  /** @default the reviewed commit of ci-log-processing */
  readonly gitCommit?: string;
  /** @default 20 */
  readonly scratchSizeGiB?: number;
  /** @default 256 */
  readonly maxLogFileSizeMiB?: number;
}

/**
 * The ingestion workers: stateless servers running logscraper and logsender for their share of
 * the sources, writing into the search cluster as the writer user. Their metrics ports answer
 * the admin prefixes only.
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
      description: "Log ingestion workers (logscraper and logsender)",
      count: props.count,
      flavorName: props.flavorName,
      configureNode: (cloudConfig, node) => {
        cloudConfig.addFile({ path: WRITER_PASSWORD_FILE, content: `${props.search.writer.password}\n`, permissions: "0600" });
        const caCertificateFile = props.search.addCaCertificateTo(cloudConfig);
        configureIngestionWorker(cloudConfig, {
          assignment: assignments[node.index],
          clusterUrls: props.search.endpoints,
          writerUsername: props.search.writer.username,
          writerPasswordFile: WRITER_PASSWORD_FILE,
          caCertificateFile,
          downloadList: props.downloadList,
          gitCommit: props.gitCommit,
          metricsPortBase: METRICS_PORT_BASE,
          scratchSizeGiB: props.scratchSizeGiB,
          maxLogFileSizeMiB: props.maxLogFileSizeMiB,
        });
      },
    });
    this.connections = this.role.connections;
    props.search.allowClient(this, "Ingestion writes logs to the search cluster");
    const mostSources = Math.max(...assignments.map((assignment) => assignment.sources.length));
    this.connections.allowFromPrefixes(
      props.servers.adminPrefixes,
      Port.tcpRange(METRICS_PORT_BASE, METRICS_PORT_BASE + mostSources - 1),
      "Prometheus metrics of logscraper, for the admins",
    );
  }
}
