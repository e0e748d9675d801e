/**
 * What an ingestion worker runs: logscraper and logsender from openstack/ci-log-processing,
 * one pair of services per source assigned to the worker (partition.ts).
 *
 * Install choice: a pinned git commit of openstack/ci-log-processing, installed with pip into
 * a Python virtualenv at first boot (not the container image). The project publishes no release
 * tags, and its image is pushed as `latest` to a registry that its own roles disagree about
 * (Docker Hub or quay.io), so no digest can be reviewed and pinned here; a commit id names
 * exactly the code that runs, and moving it is a one-line, reviewable change. Running natively
 * under systemd also means MemoryMax, the file size cap and the hardening apply to the program
 * itself, without podman's user-namespace and volume plumbing.
 * (Its Python dependencies are not pinned upstream; WORKER_PYTHON_REQUIREMENTS pins them, with hashes.)
 *
 * On the worker:
 * - `/etc/logscraper/`: the download list, and per source `logscraper-<source>.config` and
 *   `logsender-<source>.config` (public: the password is a placeholder);
 * - `ingestion-prepare.service` (every boot, idempotent): makes and mounts the bounded scratch
 *   area at /srv/ingestion, installs the software once;
 * - `logscraper-<source>.service`, `logsender-<source>.service`: run as the `logscraper`
 *   user, restart on failure, memory-capped; each start step writes the runtime configuration
 *   to `/run/<service>/` (job names resolved, password filled in, a reachable cluster node);
 * - checkpoints in /var/lib/logscraper/<source>.checkpoint (`-<job>` appended per job for a
 *   source with a job filter: logscraper then keeps one per job);
 * - downloads in /srv/ingestion/<source>/: logsender deletes a build after sending it, and
 *   `ingestion-scratch-clean.timer` deletes anything older than `scratchRetentionHours`.
 */
import { LOG_INDEX_PREFIX } from "../field-contract";
import type { CloudConfigBuilder } from "../cloud-init/cloud-config";
import type { UnitSections } from "../cloud-init/systemd-unit";
import { WORKER_PYTHON_REQUIREMENTS } from "./python-requirements";
import { DEFAULT_DOWNLOAD_LIST, type DownloadListEntry, renderDownloadList } from "./download-list";
import { checkAbsolutePath, port, positive, renderLogscraperConfig } from "./logscraper-config";
import { renderLogsenderConfig } from "./logsender-config";
import type { WorkerAssignment } from "./partition";
import { CAPPED_LOGSCRAPER_SCRIPT, PREPARE_SCRIPT, RUNTIME_CONFIG_SCRIPT } from "./worker-scripts";

/** Where the software comes from: the upstream repository on OpenDev. */
export const LOGSCRAPER_GIT_URL = "https://opendev.org/openstack/ci-log-processing";
/** The reviewed commit of openstack/ci-log-processing (master, 2026-07-21). */
export const LOGSCRAPER_GIT_COMMIT = "510723f6fe54dee2b6e7a1da35a36a42071fbeac";

export const INGESTION_USER = "logscraper";
export const CONFIG_DIR = "/etc/logscraper";
export const DOWNLOAD_LIST_PATH = `${CONFIG_DIR}/download-list.yaml`;
export const VENV_ROOT = "/opt/logscraper";
export const SCRATCH_MOUNT = "/srv/ingestion";
export const SCRATCH_IMAGE = "/var/lib/ingestion/scratch.img";
export const STATE_DIR = "/var/lib/logscraper";
export const HELPER_DIR = "/usr/local/lib/ingestion";
export const PREPARE_SCRIPT_PATH = "/usr/local/sbin/ingestion-prepare";
export const RUNTIME_CONFIG_PATH = `${HELPER_DIR}/runtime-config`;
export const CAPPED_LOGSCRAPER_PATH = `${HELPER_DIR}/logscraper-capped.py`;
export const TMPFILES_PATH = "/etc/tmpfiles.d/ingestion-scratch.conf";
/** Programs the units run that only the worker has (for systemd-analyze verify in tests). */
export const WORKER_ONLY_EXECUTABLES: readonly string[] = [
  `${VENV_ROOT}/current/bin/python3`,
  `${VENV_ROOT}/current/bin/logsender`,
  PREPARE_SCRIPT_PATH,
  RUNTIME_CONFIG_PATH,
];

const INSTALL_ENV_PATH = `${CONFIG_DIR}/install.env`;
const CREDENTIAL = "writer-password";
const TOKEN = /\$\{TfToken\[[A-Za-z0-9:._-]+\]\}/;
const CLUSTER_URL = /^https:\/\/(\[[0-9A-Fa-f:.]+\]|\$\{TfToken\[[A-Za-z0-9:._-]+\]\}|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::([0-9]{1,5}))?(\/[A-Za-z0-9._~/-]*)?$/;

export interface IngestionWorkerProps {
  /** This worker's sources, from partitionSources. */
  readonly assignment: WorkerAssignment;
  /**
   * The search cluster's HTTPS endpoints, such as `https://10.42.0.48:9200` (a host may be a
   * cdktf token). Each source prefers a different one (by its position), and its logsender
   * uses the first that accepts a connection when it starts.
   */
  readonly clusterUrls: readonly string[];
  /** User that writes the log indices. */
  readonly writerUsername: string;
  /** Root-only file on the worker with the writer's password (one line), written at deploy time. */
  readonly writerPasswordFile: string;
  /** CA certificate that signed the cluster's certificate. @default - the system's trust store */
  readonly caCertificateFile?: string;
  /** @default DEFAULT_DOWNLOAD_LIST */
  readonly downloadList?: readonly DownloadListEntry[];
  /** Daily indices `<prefix>YYYY.MM.DD`. @default LOG_INDEX_PREFIX */
  readonly indexPrefix?: string;
  /** Git repository of ci-log-processing. @default LOGSCRAPER_GIT_URL */
  readonly gitUrl?: string;
  /** Commit to install (40 hex digits). @default LOGSCRAPER_GIT_COMMIT */
  readonly gitCommit?: string;
  /**
   * A pip requirements file pinning every Python dependency with its hash (`name==version --hash=sha256:...`).
   * @default WORKER_PYTHON_REQUIREMENTS
   */
  readonly pipRequirements?: string;
  /** Metrics port of the worker's first logscraper; the n-th source gets base + n. @default 9128 */
  readonly metricsPortBase?: number;
  /** Builds downloaded in parallel per source (logscraper `workers`). @default 4 */
  readonly logscraperWorkers?: number;
  /** Builds sent in parallel per source (logsender `workers`). @default 4 */
  readonly logsenderWorkers?: number;
  /** Newest builds looked at per pass (logscraper `max_skipped`). @default 1000 */
  readonly maxSkippedBuilds?: number;
  /** Seconds between logscraper passes. @default 120 */
  readonly scraperWaitSeconds?: number;
  /** Seconds between logsender passes. @default 10 */
  readonly senderWaitSeconds?: number;
  /** Size of the scratch area for downloads (all sources). @default 20 */
  readonly scratchSizeGiB?: number;
  /** Downloads older than this are deleted even when unsent (cluster unreachable for long). @default 12 */
  readonly scratchRetentionHours?: number;
  /** Largest part of one log file that is downloaded; the rest is cut at a line break. @default 256 */
  readonly maxLogFileSizeMiB?: number;
  /** MemoryMax of each logscraper service. @default 1024 */
  readonly logscraperMemoryMaxMiB?: number;
  /** MemoryMax of each logsender service. @default 2048 */
  readonly logsenderMemoryMaxMiB?: number;
  /** Seconds before a failed service is restarted. @default 30 */
  readonly restartSeconds?: number;
  /**
   * For sources with a job filter: restart logscraper after this long, so that jobs added to
   * Zuul since the last start are picked up.
   * @default 24
   */
  readonly jobListRefreshHours?: number;
}

export interface IngestionWorkerSoftware {
  /** Metrics ports of the worker's logscrapers (Prometheus), one per source: open them to admin prefixes only. */
  readonly metricsPorts: readonly number[];
  /** The units that run the sources: `logscraper-<source>.service` and `logsender-<source>.service`. */
  readonly serviceUnits: readonly string[];
}

/** Adds to `cloudConfig` everything a worker needs to ingest its sources. Fails early, naming the prop and the fix. */
export function configureIngestionWorker(cloudConfig: CloudConfigBuilder, props: IngestionWorkerProps): IngestionWorkerSoftware {
  const sources = props.assignment.sources;
  if (sources.length === 0) throw new Error(`ingestion worker ${props.assignment.worker}: the assignment has no source; see partitionSources`);
  const clusters = parseClusterUrls(props.clusterUrls);
  checkAbsolutePath("writerPasswordFile", props.writerPasswordFile);
  if (props.caCertificateFile !== undefined) checkAbsolutePath("caCertificateFile", props.caCertificateFile);
  const gitUrl = props.gitUrl ?? LOGSCRAPER_GIT_URL;
  if (!/^https:\/\/[A-Za-z0-9.-]+(\/[A-Za-z0-9._~-]+)+$/.test(gitUrl)) throw new Error(`gitUrl: got ${JSON.stringify(gitUrl)}; expected an https URL of a git repository`);
  const gitCommit = props.gitCommit ?? LOGSCRAPER_GIT_COMMIT;
  if (!/^[0-9a-f]{40}$/.test(gitCommit)) throw new Error(`gitCommit: got ${JSON.stringify(gitCommit)}; expected a full commit id (40 lowercase hex digits), not a branch or tag`);
  const metricsPortBase = port("metricsPortBase", props.metricsPortBase ?? 9128);
  port("metricsPortBase + sources", metricsPortBase + sources.length - 1);
  const restartSeconds = positive("restartSeconds", props.restartSeconds ?? 30);
  const maxFileBytes = positive("maxLogFileSizeMiB", props.maxLogFileSizeMiB ?? 256) * 1024 * 1024;
  const scratchSizeGiB = positive("scratchSizeGiB", props.scratchSizeGiB ?? 20);
  const retentionHours = positive("scratchRetentionHours", props.scratchRetentionHours ?? 12);
  const refreshHours = positive("jobListRefreshHours", props.jobListRefreshHours ?? 24);
  const scraperMemory = positive("logscraperMemoryMaxMiB", props.logscraperMemoryMaxMiB ?? 1024);
  const senderMemory = positive("logsenderMemoryMaxMiB", props.logsenderMemoryMaxMiB ?? 2048);
  if (maxFileBytes / (1024 * 1024) > scratchSizeGiB * 1024) {
    throw new Error(`maxLogFileSizeMiB (${maxFileBytes / 1048576}) is larger than the scratch area (${scratchSizeGiB} GiB); lower it or grow scratchSizeGiB`);
  }

  cloudConfig.addPackages("python3-venv", "git", "e2fsprogs", "util-linux");
  cloudConfig.addUser({ name: INGESTION_USER, system: true, shell: "/usr/sbin/nologin", lockPasswd: true });

  cloudConfig.addFile({ path: DOWNLOAD_LIST_PATH, content: renderDownloadList(props.downloadList ?? DEFAULT_DOWNLOAD_LIST) });
  const installEnv = [
    `LOGSCRAPER_GIT_URL=${gitUrl}`,
    `LOGSCRAPER_GIT_COMMIT=${gitCommit}`,
    `VENV_ROOT=${VENV_ROOT}`,
    `SCRATCH_IMAGE=${SCRATCH_IMAGE}`,
    `SCRATCH_SIZE_GIB=${scratchSizeGiB}`,
    `SCRATCH_MOUNT=${SCRATCH_MOUNT}`,
  ];
  const requirements = props.pipRequirements ?? WORKER_PYTHON_REQUIREMENTS;
  cloudConfig.addFile({ path: `${CONFIG_DIR}/python-requirements.txt`, content: requirements.endsWith("\n") ? requirements : `${requirements}\n` });
  installEnv.push(`PIP_REQUIREMENTS=${CONFIG_DIR}/python-requirements.txt`);
  cloudConfig.addFile({ path: INSTALL_ENV_PATH, content: `${installEnv.join("\n")}\n` });
  cloudConfig.addScript(PREPARE_SCRIPT_PATH, PREPARE_SCRIPT);
  cloudConfig.addFile({ path: RUNTIME_CONFIG_PATH, content: RUNTIME_CONFIG_SCRIPT, permissions: "0755" });
  cloudConfig.addFile({ path: CAPPED_LOGSCRAPER_PATH, content: CAPPED_LOGSCRAPER_SCRIPT });
  cloudConfig.addSystemdUnit("ingestion-prepare.service", {
    Unit: {
      Description: "Prepare the ingestion worker: scratch area for downloads, logscraper installation",
      Wants: "network-online.target",
      After: "network-online.target",
    },
    Service: {
      Type: "oneshot",
      RemainAfterExit: true,
      EnvironmentFile: INSTALL_ENV_PATH,
      ExecStart: PREPARE_SCRIPT_PATH,
      // Up to 8 pip attempts a minute apart when PyPI or OpenDev is unreachable at first boot.
      TimeoutStartSec: "60min",
    },
    Install: { WantedBy: "multi-user.target" },
  });

  cloudConfig.addFile({
    path: TMPFILES_PATH,
    content: [
      "# Download folders of the ingestion sources; contents older than the age are deleted by ingestion-scratch-clean.timer.",
      ...sources.map(({ source }) => `d ${SCRATCH_MOUNT}/${source.name} 0750 ${INGESTION_USER} ${INGESTION_USER} ${retentionHours}h`),
      "",
    ].join("\n"),
  });
  cloudConfig.addSystemdUnit(
    "ingestion-scratch-clean.service",
    {
      // Requisite: never clean the folder under the mount point when the scratch area is not mounted.
      Unit: { Description: "Delete downloads older than the retention from the ingestion scratch area", Requisite: "ingestion-prepare.service", After: "ingestion-prepare.service" },
      Service: { Type: "oneshot", ExecStart: `/usr/bin/systemd-tmpfiles --clean ${TMPFILES_PATH}` },
    },
    { enable: false, start: false },
  );
  cloudConfig.addSystemdUnit("ingestion-scratch-clean.timer", {
    Unit: { Description: "Hourly clean-up of the ingestion scratch area" },
    Timer: { OnBootSec: "15min", OnUnitActiveSec: "1h" },
    Install: { WantedBy: "timers.target" },
  });

  const serviceUnits: string[] = [];
  const metricsPorts: number[] = [];
  sources.forEach((assigned, position) => {
    const name = assigned.source.name;
    const directory = `${SCRATCH_MOUNT}/${name}`;
    const metricsPort = metricsPortBase + position;
    metricsPorts.push(metricsPort);
    const filtered = assigned.source.job_filter !== undefined || assigned.excludeJobFilters.length > 0;
    cloudConfig.addFile({
      path: `${CONFIG_DIR}/logscraper-${name}.config`,
      content: renderLogscraperConfig({
        zuulApiUrls: [assigned.source.zuul_api_url],
        checkpointFile: `${STATE_DIR}/${name}.checkpoint`,
        fileList: [DOWNLOAD_LIST_PATH],
        directory,
        workers: props.logscraperWorkers ?? 4,
        maxSkipped: props.maxSkippedBuilds ?? 1000,
        waitTimeSeconds: props.scraperWaitSeconds ?? 120,
        monitoringPort: metricsPort,
      }),
    });
    const preferred = rotate(clusters, assigned.index % clusters.length);
    cloudConfig.addFile({
      path: `${CONFIG_DIR}/logsender-${name}.config`,
      content: renderLogsenderConfig({
        host: preferred[0].host,
        port: preferred[0].port,
        subpath: preferred[0].path,
        username: props.writerUsername,
        indexPrefix: props.indexPrefix ?? LOG_INDEX_PREFIX,
        directory,
        fileList: [DOWNLOAD_LIST_PATH],
        workers: props.logsenderWorkers ?? 4,
        waitTimeSeconds: props.senderWaitSeconds ?? 10,
        caFile: props.caCertificateFile,
      }),
    });

    const scraperRun = `/run/logscraper-${name}`;
    cloudConfig.addSystemdUnit(`logscraper-${name}.service`, service({
      description: `logscraper: download the logs of new builds of ${assigned.source.zuul_api_url}${filtered ? " (some jobs)" : ""}`,
      runtimeDirectory: `logscraper-${name}`,
      memoryMaxMiB: scraperMemory,
      restartSeconds,
      extra: {
        StateDirectory: "logscraper",
        Environment: `INGESTION_MAX_FILE_BYTES=${maxFileBytes}`,
        ...(filtered ? { RuntimeMaxSec: `${refreshHours}h` } : {}),
      },
      execStartPre: [
        runtimeConfigCommand("logscraper", name, [
          ...(assigned.source.job_filter !== undefined ? ["--job-filter", assigned.source.job_filter] : []),
          ...assigned.excludeJobFilters.flatMap((filter) => ["--exclude-job-filter", filter]),
        ]),
      ],
      execStart: `${VENV_ROOT}/current/bin/python3 ${CAPPED_LOGSCRAPER_PATH} --config ${scraperRun}/logscraper.config`,
    }));
    cloudConfig.addSystemdUnit(`logsender-${name}.service`, service({
      description: `logsender: index the downloaded logs of ${name} into the search cluster`,
      runtimeDirectory: `logsender-${name}`,
      memoryMaxMiB: senderMemory,
      restartSeconds,
      extra: { LoadCredential: `${CREDENTIAL}:${props.writerPasswordFile}` },
      execStartPre: [
        runtimeConfigCommand("logsender", name, [
          "--password-credential", CREDENTIAL,
          ...preferred.flatMap((cluster) => ["--candidate", `${cluster.host.includes(":") ? `[${cluster.host}]` : cluster.host}:${cluster.port}`]),
        ]),
      ],
      execStart: `${VENV_ROOT}/current/bin/logsender --config /run/logsender-${name}/logsender.config`,
    }));
    serviceUnits.push(`logscraper-${name}.service`, `logsender-${name}.service`);
  });
  return { metricsPorts, serviceUnits };
}

interface ServiceOptions {
  readonly description: string;
  readonly runtimeDirectory: string;
  readonly memoryMaxMiB: number;
  readonly restartSeconds: number;
  readonly extra: Record<string, string>;
  readonly execStartPre: readonly string[];
  readonly execStart: string;
}

function service(options: ServiceOptions): UnitSections {
  return {
    Unit: {
      Description: options.description,
      Documentation: "https://opendev.org/openstack/ci-log-processing",
      Requires: "ingestion-prepare.service",
      After: ["ingestion-prepare.service", "network-online.target"],
      Wants: "network-online.target",
    },
    Service: {
      Type: "simple",
      User: INGESTION_USER,
      Group: INGESTION_USER,
      RuntimeDirectory: options.runtimeDirectory,
      RuntimeDirectoryMode: "0700",
      ...options.extra,
      // "+": as root, to create the source's download folder on the scratch area.
      ExecStartPre: [`+/usr/bin/systemd-tmpfiles --create ${TMPFILES_PATH}`, ...options.execStartPre],
      ExecStart: options.execStart,
      Restart: "on-failure",
      RestartSec: `${options.restartSeconds}s`,
      MemoryMax: `${options.memoryMaxMiB}M`,
      // An out-of-memory kill of one worker process stops the whole service, which then restarts.
      OOMPolicy: "stop",
      Nice: 5,
      NoNewPrivileges: true,
      PrivateTmp: true,
      PrivateDevices: true,
      ProtectHome: true,
      ProtectSystem: "strict",
      ReadWritePaths: SCRATCH_MOUNT,
    },
    Install: { WantedBy: "multi-user.target" },
  };
}

function runtimeConfigCommand(program: "logscraper" | "logsender", source: string, args: readonly string[]): string {
  const words = [
    RUNTIME_CONFIG_PATH, program,
    "--template", `${CONFIG_DIR}/${program}-${source}.config`,
    "--output", `/run/${program}-${source}/${program}.config`,
    ...args,
  ];
  return words.map(systemdQuote).join(" ");
}

/**
 * A word of a systemd command line: plain when it has no special character, otherwise in
 * double quotes with `\` and `"` escaped; `%` (a specifier) is doubled and `$` (a variable) too.
 */
export function systemdQuote(word: string): string {
  if (/[\r\n]/.test(word)) throw new Error(`a command argument cannot contain a line break: ${JSON.stringify(word)}`);
  const escaped = word.replace(/%/g, "%%").replace(/\$(?!\{TfToken\[)/g, "$$$$");
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped) || TOKEN.test(word)) return escaped;
  return `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

interface ClusterEndpoint {
  readonly host: string;
  readonly port: number;
  readonly path?: string;
}

function parseClusterUrls(urls: readonly string[]): ClusterEndpoint[] {
  if (urls.length === 0) throw new Error("clusterUrls is empty; give the search cluster's HTTPS endpoints, such as https://10.42.0.48:9200");
  const endpoints = urls.map((url) => {
    const match = CLUSTER_URL.exec(url);
    if (!match) throw new Error(`clusterUrls: got ${JSON.stringify(url)}; expected https://<host>[:<port>][/<path>] (logsender always uses TLS)`);
    const path = match[3] === undefined || match[3] === "/" ? undefined : match[3].replace(/\/$/, "");
    return { host: match[1].replace(/^\[|\]$/g, ""), port: port(`port of ${url}`, Number(match[2] ?? "443")), path };
  });
  if (new Set(endpoints.map((e) => e.path ?? "")).size > 1) throw new Error("clusterUrls: every endpoint must have the same path (logsender's subpath)");
  if (new Set(urls).size !== urls.length) throw new Error("clusterUrls: an endpoint is given twice");
  return endpoints;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  return [...items.slice(by), ...items.slice(0, by)];
}
