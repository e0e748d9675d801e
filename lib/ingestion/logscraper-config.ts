/**
 * logscraper's configuration file (`--config`): an INI `[DEFAULT]` section whose keys are the
 * program's option names (see python-ini.ts for how values are read). Keys left undefined are
 * not written, so logscraper's own default applies; the defaults documented here are what the
 * file says or what logscraper does without the key.
 */
import { renderIniDefaults } from "./python-ini";

/** A Zuul tenant's REST API, as logscraper requires it (it takes the tenant from the last segment). */
export const ZUUL_TENANT_API_URL = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~-]+)*\/api\/tenant\/([A-Za-z0-9._-]+)$/;

export interface LogscraperConfigProps {
  /** `zuul_api_url`: tenant API URLs, each `https://<host>/api/tenant/<tenant>`. */
  readonly zuulApiUrls: readonly string[];
  /**
   * `job_name`: scrape only these jobs (exact names; names Zuul does not know are dropped).
   * Each job is then scraped on its own, with its own checkpoint `<checkpointFile>-<job>`.
   * @default - every job of the tenant (key not written)
   */
  readonly jobNames?: readonly string[];
  /** `checkpoint_file`: SQLite database of the builds already fetched. */
  readonly checkpointFile: string;
  /** `file_list`: download lists (YAML), merged in order. */
  readonly fileList: readonly string[];
  /** `directory`: where builds are downloaded, one folder per build uuid. */
  readonly directory: string;
  /** `follow`: keep polling. @default true */
  readonly follow?: boolean;
  /** `workers`: builds downloaded in parallel (processes), and files per build (threads). @default 1 */
  readonly workers?: number;
  /** `max_skipped`: how many of the newest builds each pass looks at. @default 1000 */
  readonly maxSkipped?: number;
  /** `wait_time`: seconds between passes. @default 120 */
  readonly waitTimeSeconds?: number;
  /** `monitoring_port`: Prometheus metrics port (`logscraper_job_count`). @default - no metrics (key not written) */
  readonly monitoringPort?: number;
  /** `insecure`: skip TLS verification of Zuul and the log servers. @default false */
  readonly insecure?: boolean;
  /** `ca_file`: CA bundle for Zuul and the log servers. @default - the system's trust store (key not written) */
  readonly caFile?: string;
  /** `timeout`: seconds per HTTP request. @default 300 */
  readonly timeoutSeconds?: number;
  /** `debug`: verbose logging. @default false */
  readonly debug?: boolean;
}

/** Renders `/etc/logscraper/logscraper-<source>.config`; fails with the setting and the fix on a bad value. */
export function renderLogscraperConfig(props: LogscraperConfigProps): string {
  if (props.zuulApiUrls.length === 0) throw new Error("logscraper: zuulApiUrls is empty; give at least one tenant API URL");
  for (const url of props.zuulApiUrls) {
    if (!ZUUL_TENANT_API_URL.test(url)) {
      throw new Error(`logscraper zuul_api_url: got ${JSON.stringify(url)}; expected https://<host>/api/tenant/<tenant> (no trailing "/")`);
    }
  }
  if (props.jobNames !== undefined) {
    if (props.jobNames.length === 0) {
      throw new Error("logscraper job_name: got an empty list, which logscraper reads as every job; leave jobNames undefined for every job");
    }
    for (const job of props.jobNames) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(job)) throw new Error(`logscraper job_name: got ${JSON.stringify(job)}; expected a Zuul job name`);
    }
  }
  if (props.fileList.length === 0) throw new Error("logscraper file_list is empty; give the download list's path");
  for (const [key, path] of [["checkpoint_file", props.checkpointFile], ["directory", props.directory], ["ca_file", props.caFile], ...props.fileList.map((f) => ["file_list", f])]) {
    if (path !== undefined) checkAbsolutePath(`logscraper ${key}`, path);
  }
  if (props.insecure && props.caFile !== undefined) {
    throw new Error("logscraper: insecure and caFile are both set; logscraper then verifies with caFile anyway. Set one of them");
  }
  return renderIniDefaults(
    [
      ["zuul_api_url", props.zuulApiUrls],
      ["job_name", props.jobNames],
      ["follow", props.follow ?? true],
      ["checkpoint_file", props.checkpointFile],
      ["workers", positive("logscraper workers", props.workers ?? 1)],
      ["max_skipped", positive("logscraper max_skipped", props.maxSkipped ?? 1000)],
      ["file_list", props.fileList],
      ["directory", props.directory],
      ["wait_time", positive("logscraper wait_time", props.waitTimeSeconds ?? 120)],
      ["monitoring_port", props.monitoringPort === undefined ? undefined : port("logscraper monitoring_port", props.monitoringPort)],
      ["insecure", props.insecure ?? false],
      ["ca_file", props.caFile],
      ["timeout", positive("logscraper timeout", props.timeoutSeconds ?? 300)],
      ["debug", props.debug ?? false],
    ],
    ["logscraper configuration (generated; read by Python configparser, values are Python literals)"],
  );
}

export function positive(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${what}: got ${value}; expected a whole number of at least 1`);
  return value;
}

export function port(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > 65535) throw new Error(`${what}: got ${value}; expected a TCP port from 1 to 65535`);
  return value;
}

export function checkAbsolutePath(what: string, path: string): void {
  if (typeof path !== "string" || !path.startsWith("/") || /[\s%'"\\]/.test(path) || path.split("/").some((s) => s === "..")) {
    throw new Error(`${what}: got ${JSON.stringify(path)}; expected an absolute path without spaces, quotes, "%", "\\" or ".."`);
  }
}
