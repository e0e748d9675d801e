/**
 * What the monitoring server scrapes, and how it learns where: every other server is listed in
 * the monitoring server's own Nova metadata (`monitor:<server name>` = `<address> <role>
 * <job>=<port> ...`), which a plan updates in place, and a timer on the monitoring server reads
 * it from the metadata service every minute (lib/monitoring/discovery.ts). The addresses of
 * stateless servers change whenever they are replaced; through the metadata, that never
 * replaces the monitoring server (and loses neither its history nor its silences), and the front
 * end and the monitoring server can name each other without a dependency cycle.
 */

/** The jobs of the Prometheus configuration, by the port their targets serve on each server. */
export const SCRAPE_PORTS = {
  /** prometheus-node-exporter on every server. */
  node: 9100,
  /** prometheus-nginx-exporter beside nginx (front end, recheck dashboard), reading nginx's stub_status on loopback. */
  nginx: 9113,
  /** The ingestion workers' metrics (the ingestion metrics contract in OWNERS.md / README: Monitoring). */
  ingestion: 9128,
  /** The recheck service's /metrics (services/recheck/health.ts). */
  recheck: 9464,
  /** The search API, read by one elasticsearch exporter per node on the monitoring server. */
  search: 9200,
  /** TLS endpoints whose certificates the blackbox exporter watches. */
  tls: 443,
} as const;

export type ScrapeJob = keyof typeof SCRAPE_PORTS;

/** nginx's stub_status, on loopback only, where prometheus-nginx-exporter looks by default. */
export const NGINX_STATUS_LISTEN = "127.0.0.1:8080";
export const NGINX_STATUS_PATH = "/stub_status";

export const PROMETHEUS_PORT = 9090;
export const ALERTMANAGER_PORT = 9093;
export const BLACKBOX_PORT = 9115;
/** The search exporters listen on loopback from this port up, one per search node. */
export const FIRST_SEARCH_EXPORTER_PORT = 19200;

/** The prefix of the metadata keys that list targets. */
export const TARGET_METADATA_PREFIX = "monitor:";
/** Nova's limit on a metadata value. */
const MAX_METADATA_VALUE = 255;

export interface ScrapeTarget {
  /** The server's name, which becomes the series' `instance` label. */
  readonly server: string;
  readonly role: string;
  /** Its private address (a Terraform reference for servers whose address Neutron assigns). */
  readonly address: string;
  /** The jobs it serves, each on the port of its job, or another where given. */
  readonly jobs: readonly ScrapeJob[];
  readonly ports?: Partial<Record<ScrapeJob, number>>;
}

/** The metadata entry of one target. */
export function targetMetadata(target: ScrapeTarget): [string, string] {
  const jobs = target.jobs.map((job) => `${job}=${target.ports?.[job] ?? SCRAPE_PORTS[job]}`);
  const value = [target.address, target.role, ...jobs].join(" ");
  // A Terraform reference stands for an address of at most 39 characters (IPv6) once resolved.
  const resolvedLength = value.replace(/\$\{[^}]*\}/g, "x".repeat(39)).length;
  if (resolvedLength > MAX_METADATA_VALUE) {
    throw new Error(`monitoring target ${target.server}: its metadata value would be ${resolvedLength} characters; Nova allows ${MAX_METADATA_VALUE}: give it fewer jobs`);
  }
  return [`${TARGET_METADATA_PREFIX}${target.server}`, value];
}
