/**
 * logsender's configuration file (`--config`), in the same INI format as logscraper's (see
 * python-ini.ts). logsender reads the cluster password only from this file or from
 * `--password` on its command line (visible to every local user in the process list); it has
 * no environment variable for it. So the file rendered here is public and holds a placeholder,
 * LOGSENDER_PASSWORD_PLACEHOLDER; on the worker, the service's start step copies it to a
 * private runtime folder (`/run/logsender-<source>/`, mode 0700, on tmpfs) with the password
 * from the root-only password file put in its place (worker-software.ts).
 */
import { LOG_INDEX_PREFIX } from "../field-contract";
import { checkAbsolutePath, port, positive } from "./logscraper-config";
import { renderIniDefaults } from "./python-ini";

/** Written instead of the password; not a Python literal, so it can never be mistaken for one. */
export const LOGSENDER_PASSWORD_PLACEHOLDER = "@WRITER_PASSWORD@";

export interface LogsenderConfigProps {
  /** `host`: the cluster node's host name or address (logsender always uses TLS). */
  readonly host: string;
  /** `port`. @default 9200 */
  readonly port?: number;
  /** `subpath`: URL path prefix of the cluster behind a proxy. @default - none (key not written) */
  readonly subpath?: string;
  /**
   * `username` of the writer; when set, `password` is written as LOGSENDER_PASSWORD_PLACEHOLDER.
   * @default - no authentication (neither key written)
   */
  readonly username?: string;
  /** `index_prefix`: daily indices `<prefix>YYYY.MM.DD`. @default LOG_INDEX_PREFIX ("logstash-") */
  readonly indexPrefix?: string;
  /**
   * `performance_index_prefix`: index for `performance.json`; "" turns it off (logsender's own
   * default is "performance-", so the key is always written).
   * @default "" (off)
   */
  readonly performanceIndexPrefix?: string;
  /** `subunit_index_prefix`: index for `*.subunit`; "" turns it off. @default "" (off) */
  readonly subunitIndexPrefix?: string;
  /** `chunk_size`: documents per bulk request. @default 1500 */
  readonly chunkSize?: number;
  /** `skip_debug`: drop every line that contains "DEBUG" anywhere. @default true */
  readonly skipDebug?: boolean;
  /** `keep`: keep a build's folder after it was sent. @default false */
  readonly keep?: boolean;
  /** `workers`: build folders sent in parallel (processes). @default 1 */
  readonly workers?: number;
  /** `directory`: logscraper's download folder of the same source. */
  readonly directory: string;
  /** `file_list`: the same download lists as logscraper's (for the tags). */
  readonly fileList: readonly string[];
  /** `follow`: keep watching the folder. @default true */
  readonly follow?: boolean;
  /** `wait_time`: seconds between passes. @default 120 */
  readonly waitTimeSeconds?: number;
  /** `insecure`: skip TLS verification of the cluster. @default false */
  readonly insecure?: boolean;
  /** `ca_file`: CA certificate of the cluster. @default - the system's trust store (key not written) */
  readonly caFile?: string;
  /** `debug`: verbose logging. @default false */
  readonly debug?: boolean;
}

/** Renders `/etc/logscraper/logsender-<source>.config`; fails with the setting and the fix on a bad value. */
export function renderLogsenderConfig(props: LogsenderConfigProps): string {
  const token = /^\$\{TfToken\[[A-Za-z0-9:._-]+\]\}$/.test(props.host); // an address known at deploy time
  if (!token && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(props.host) && !/^[0-9A-Fa-f:.]+$/.test(props.host)) {
    throw new Error(`logsender host: got ${JSON.stringify(props.host)}; expected a host name or address, without scheme or port`);
  }
  if (props.subpath !== undefined && !/^\/[A-Za-z0-9._~/-]*$/.test(props.subpath)) {
    throw new Error(`logsender subpath: got ${JSON.stringify(props.subpath)}; expected a URL path such as "/search"`);
  }
  if (props.username !== undefined && !/^[A-Za-z0-9._@-]+$/.test(props.username)) {
    throw new Error(`logsender username: got ${JSON.stringify(props.username)}; expected letters, digits, ".", "_", "@" and "-"`);
  }
  const indexPrefix = props.indexPrefix ?? LOG_INDEX_PREFIX;
  for (const [key, prefix] of [["index_prefix", indexPrefix], ["performance_index_prefix", props.performanceIndexPrefix], ["subunit_index_prefix", props.subunitIndexPrefix]] as const) {
    if (prefix !== undefined && prefix !== "" && !/^[a-z0-9][a-z0-9._-]*$/.test(prefix)) {
      throw new Error(`logsender ${key}: got ${JSON.stringify(prefix)}; index names are lowercase letters, digits, ".", "_" and "-"`);
    }
  }
  if (indexPrefix === "") throw new Error('logsender index_prefix: got ""; the main index needs a prefix such as "logstash-"');
  if (props.fileList.length === 0) throw new Error("logsender file_list is empty; give the download list's path");
  for (const [key, path] of [["directory", props.directory], ["ca_file", props.caFile], ...props.fileList.map((f) => ["file_list", f])]) {
    if (path !== undefined) checkAbsolutePath(`logsender ${key}`, path);
  }
  if (props.insecure && props.caFile !== undefined) throw new Error("logsender: insecure and caFile are both set; set one of them");
  return renderIniDefaults(
    [
      ["host", props.host],
      ["port", port("logsender port", props.port ?? 9200)],
      ["subpath", props.subpath],
      ["username", props.username],
      ["password", props.username === undefined ? undefined : { raw: LOGSENDER_PASSWORD_PLACEHOLDER }],
      ["index_prefix", indexPrefix],
      ["performance_index_prefix", props.performanceIndexPrefix ?? ""],
      ["subunit_index_prefix", props.subunitIndexPrefix ?? ""],
      ["chunk_size", positive("logsender chunk_size", props.chunkSize ?? 1500)],
      ["skip_debug", props.skipDebug ?? true],
      ["keep", props.keep ?? false],
      ["workers", positive("logsender workers", props.workers ?? 1)],
      ["directory", props.directory],
      ["file_list", props.fileList],
      ["follow", props.follow ?? true],
      ["wait_time", positive("logsender wait_time", props.waitTimeSeconds ?? 120)],
      ["insecure", props.insecure ?? false],
      ["ca_file", props.caFile],
      ["debug", props.debug ?? false],
    ],
    [
      "logsender configuration (generated; read by Python configparser, values are Python literals)",
      `The password is not here: ${LOGSENDER_PASSWORD_PLACEHOLDER} is replaced at service start in a private runtime copy.`,
    ],
  );
}
