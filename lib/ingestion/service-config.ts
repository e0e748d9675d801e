/**
 * The ingestion service's settings file (`/etc/ingestion/ingestion.json`): written per worker by
 * the IngestionWorkers construct from the validated deployment config, read by the service
 * (services/ingestion) at start. It holds no secret: the writer's password reaches the service
 * as a systemd credential (a file in $CREDENTIALS_DIRECTORY named INGESTION_CREDENTIAL).
 */
import type { DownloadListEntry } from "./download-list";
import type { SourceShard } from "./partition";

/** The credential file with the writer's password (systemd LoadCredential=). */
export const INGESTION_CREDENTIAL = "writer-password";

/** Where the distribution keeps its trust store (Debian, Ubuntu): Zuul and the log servers are checked against it. */
export const SYSTEM_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

export type DebugMessages = "drop" | "keep";

export interface IngestionServiceConfig {
  /** The shards of tenants this worker indexes (lib/ingestion/partition.ts). */
  readonly sources: readonly SourceShard[];
  /** The files read from each build, with their tags. */
  readonly downloadList: readonly DownloadListEntry[];
  readonly zuul: {
    /** PEM file of the CAs Zuul's API and the log servers are checked against. */
    readonly caFile: string;
    /** Builds per page of the builds listing. */
    readonly pageSize: number;
    /** Between two listings of a tenant. */
    readonly pollSeconds: number;
    /** A build that ended longer ago than this is never taken: how far the first start (and the catch-up after a stop) reaches back. */
    readonly backfillHours: number;
  };
  readonly search: {
    /** Every data node's base URL; a bulk request goes to the next one when a node fails. */
    readonly urls: readonly string[];
    /** Basic auth user; the password is the INGESTION_CREDENTIAL. @default no auth */
    readonly username?: string;
    /** PEM file of the CA that signed the nodes' certificates. @default the system's */
    readonly caFile?: string;
    /** Daily indices `<prefix>YYYY.MM.DD`. */
    readonly indexPrefix: string;
    /** Days the cluster keeps an index: documents of an older day are not sent (their index is gone or about to be). */
    readonly retentionDays: number;
  };
  readonly lines: {
    /** drop: DEBUG messages (with their continuation lines) are not indexed; keep: they are, whole. */
    readonly debugMessages: DebugMessages;
    /** A file is read up to this many bytes (cut at a line break, with a note saying so). */
    readonly maxFileBytes: number;
  };
  /** Builds indexed at the same time, over all sources. */
  readonly parallelBuilds: number;
  /** `GET /metrics` (Prometheus text) and `GET /health` listen here; no address means every address. */
  readonly metrics: { readonly port: number; readonly address?: string };
}

export function renderIngestionConfig(config: IngestionServiceConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The settings the deployment config does not expose. */
export const INGESTION_DEFAULTS = {
  pageSize: 500,
  parallelBuilds: 4,
  metricsPort: 9128,
} as const;
