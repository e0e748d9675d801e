/**
 * What differs between Elasticsearch and OpenSearch, in one place: packages and signed apt
 * repositories, paths, node settings, security setup and index lifecycle. Constructs ask an
 * EngineProfile and never branch on the engine themselves.
 */
import { LOG_FIELDS, LOG_INDEX_PATTERN, type FieldType } from "../field-contract";
import { DASHBOARDS_EDITOR_USER, ELASTICSEARCH_DASHBOARDS_ROLES } from "../frontend/dashboards-access";
import type { SignedAptRepository } from "../cloud-init/signed-apt-repository";
import type { SearchEngine, SearchTopology } from "./topology";

export const HTTP_PORT = 9200;
/**
 * A name every node's certificate carries besides its own, so that a client balancing over the
 * nodes (nginx's upstream group) can verify whichever node answers.
 */
export const CLUSTER_TLS_NAME = "search-cluster";
export const TRANSPORT_PORT = 9300;
/**
 * The engine user's uid and gid on every node, outside Debian's dynamic system range (100-999),
 * so that no package takes it first and a replacement node owns the old data volume's files.
 */
export const ENGINE_UID = 9200;

/** Users the cluster has; their passwords are generated at deploy time. */
export const SEARCH_USERS = {
  /** Ingestion: may only create documents in (and create) the log indices. */
  writer: "logwriter",
  /** elastic-recheck and the public front end: read the log indices only. */
  reader: "logreader",
  /** Every visitor of the public dashboards: read the log indices and saved objects only. */
  dashboardsReader: "dashboardsreader",
  /** The front end's setup: imports the dashboards' starter saved objects. */
  dashboardsEditor: DASHBOARDS_EDITOR_USER,
  /** The monitoring server's exporters: cluster health, node and index statistics, snapshots; no document. */
  monitor: "monitor",
} as const;

export const WRITER_ROLE = "log_writer";
export const READER_ROLE = "log_reader";
export const MONITOR_ROLE = "cluster_monitor_reader";
export const LIFECYCLE_POLICY_NAME = "logs-retention";
/**
 * Never `logs`: Elasticsearch owns a built-in composable template of that name (for `logs-*-*`)
 * and re-installs it over any `logs` template without a version, which would take the lifecycle
 * policy, the pipeline and the mapping away from the log indices.
 */
export const INDEX_TEMPLATE_NAME = "ci-log-analysis-logstash";
/**
 * Raise it with every change of the template's body, so that a reader of `GET _index_template`
 * sees which one is installed. Its priority stays above the unversioned `logs` template that
 * earlier releases of this project installed on OpenSearch (same patterns, priority 200), which
 * may still be on a cluster: two templates of equal priority and overlapping patterns are refused.
 */
export const INDEX_TEMPLATE_VERSION = 2;
const INDEX_TEMPLATE_PRIORITY = 300;

export interface NodeSettingsProps {
  readonly clusterName: string;
  readonly nodeName: string;
  /** The node's address, published to the other members. */
  readonly address: string;
  readonly masterEligible: boolean;
  readonly holdsData: boolean;
  /** Addresses of the master-eligible nodes. */
  readonly seedHosts: readonly string[];
  /** Names of the master-eligible nodes, for the first bootstrap of the cluster only. */
  readonly initialMasterNodes: readonly string[];
  readonly dataPath: string;
  readonly diskWatermarkPercent: number;
}

/** A request the setup unit sends to the cluster, idempotently (PUT of a whole object). */
export interface SetupRequest {
  readonly method: "PUT" | "POST";
  readonly path: string;
  readonly body: unknown;
  /** The request creates an object that cannot be replaced in place: a 409 (it exists) is fine. */
  readonly createOnly?: boolean;
  /**
   * The object can only be replaced with the `if_seq_no` and `if_primary_term` of its current
   * version (an ISM policy; a plain PUT of an existing one answers 409): the setup script reads
   * them first, when the object exists.
   */
  readonly versioned?: boolean;
  /**
   * Applied after the users, and a failure is reported without stopping the setup: object storage
   * the cluster cannot reach (snapshots) must never keep the users from being created.
   */
  readonly deferred?: boolean;
}

export const SNAPSHOT_REPOSITORY = "daily-snapshots";

/** Where snapshots go: the container the stack creates, under a folder named after the cluster. */
export interface SnapshotTarget {
  readonly container: string;
  readonly basePath: string;
}

export interface EngineProfile {
  readonly engine: SearchEngine;
  readonly displayName: string;
  readonly packageName: string;
  readonly serviceName: string;
  readonly user: string;
  readonly configDir: string;
  readonly logDir: string;
  /** The entry point of the packaged unit, for `systemd-analyze verify` of our drop-ins. */
  readonly executable: string;
  /** Name of the built-in superuser the setup unit authenticates as. */
  readonly adminUser: string;
  /** The user Kibana (OpenSearch Dashboards) manages its own indices as. */
  readonly dashboardsServerUser: string;
  aptRepository(version: string): SignedAptRepository;
  nodeSettings(props: NodeSettingsProps): Record<string, unknown>;
  /** Lifecycle policy, template and users, in the order the setup unit applies them. */
  setupRequests(topology: SearchTopology, ingestPipeline?: string, snapshots?: SnapshotTarget): SetupRequest[];
  /** Node settings of the S3 client that snapshots use (endpoint host, path-style). */
  snapshotClientSettings(s3Endpoint: string): Record<string, unknown>;
  readonly dashboards: {
    readonly packageName: string;
    readonly serviceName: string;
    readonly configFile: string;
    readonly executable: string;
    aptRepository(version: string): SignedAptRepository;
  };
}

function major(version: string): number {
  return Number(version.split(".")[0]);
}

interface ReleaseKey {
  readonly keyUrl: string;
  /** The primary key's fingerprint, as the vendor publishes it. */
  readonly fingerprint: string;
}

/**
 * The key that signs each major release line's apt repository. OpenSearch signs 3.x with a new
 * key (release@opensearch.org; its "How to verify signatures" page), 2.x with the old one
 * (opensearch@amazon.com); Elastic signs 8.x and 9.x with the same key. A release line without a
 * key here is refused by the config at search.version.
 */
const RELEASE_KEYS: Record<SearchEngine, Readonly<Record<number, ReleaseKey>>> = {
  elasticsearch: {
    8: { keyUrl: "https://artifacts.elastic.co/GPG-KEY-elasticsearch", fingerprint: "46095ACC8548582C1A2699A9D27D666CD88E42B4" },
    9: { keyUrl: "https://artifacts.elastic.co/GPG-KEY-elasticsearch", fingerprint: "46095ACC8548582C1A2699A9D27D666CD88E42B4" },
  },
  opensearch: {
    2: { keyUrl: "https://artifacts.opensearch.org/publickeys/opensearch.pgp", fingerprint: "C5B7498965EFD1C2924BA9D539D319879310D3FC" },
    3: { keyUrl: "https://artifacts.opensearch.org/publickeys/opensearch-release.pgp", fingerprint: "A8B2D9E04CD51FEF6AA2DB53BA81D99981191457" },
  },
};

/** The major release lines the project can install: those whose signing key it knows. */
export const SUPPORTED_MAJOR_VERSIONS: Record<SearchEngine, readonly number[]> = {
  elasticsearch: Object.keys(RELEASE_KEYS.elasticsearch).map(Number),
  opensearch: Object.keys(RELEASE_KEYS.opensearch).map(Number),
};

function releaseKey(engine: SearchEngine, version: string): ReleaseKey {
  const key = RELEASE_KEYS[engine][major(version)];
  if (key === undefined) throw new Error(`no signing key is known for ${engine} ${major(version)}.x (release ${version}); known: ${SUPPORTED_MAJOR_VERSIONS[engine].map((line) => `${line}.x`).join(", ")}`);
  return key;
}

/** Elasticsearch and Kibana share one repository per major version. */
function elasticRepository(version: string): SignedAptRepository {
  const key = releaseKey("elasticsearch", version);
  return {
    name: `elastic-${major(version)}.x`,
    line: `https://artifacts.elastic.co/packages/${major(version)}.x/apt stable main`,
    keyUrl: key.keyUrl,
    keyFingerprint: key.fingerprint,
  };
}

function opensearchRepository(product: "opensearch" | "opensearch-dashboards", version: string): SignedAptRepository {
  const key = releaseKey("opensearch", version);
  return {
    name: `${product}-${major(version)}.x`,
    line: `https://artifacts.opensearch.org/releases/bundle/${product}/${major(version)}.x/apt stable main`,
    keyUrl: key.keyUrl,
    keyFingerprint: key.fingerprint,
  };
}

const MAPPING_TYPES: Record<FieldType, object> = {
  keyword: { type: "keyword", ignore_above: 1024 },
  text: { type: "text" },
  date: { type: "date" },
  integer: { type: "integer" },
};

/** The log indices' mapping, derived from the field contract: every string is a keyword but `message`. */
export function logMapping(): object {
  return {
    dynamic_templates: [{ strings_as_keywords: { match_mapping_type: "string", mapping: MAPPING_TYPES.keyword } }],
    properties: Object.fromEntries(Object.entries(LOG_FIELDS).map(([name, field]) => [name, MAPPING_TYPES[field.type]])),
  };
}

function indexSettings(topology: SearchTopology, ingestPipeline: string | undefined, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    number_of_shards: topology.primaryShards,
    number_of_replicas: topology.replicas,
    ...(ingestPipeline ? { "index.default_pipeline": ingestPipeline } : {}),
    ...extra,
  };
}

/** The daily log indices' template: shards, replicas, the default pipeline and the mapping. */
function logIndexTemplate(topology: SearchTopology, ingestPipeline: string | undefined, extraSettings: Record<string, unknown>): SetupRequest {
  return {
    method: "PUT",
    path: `_index_template/${INDEX_TEMPLATE_NAME}`,
    body: {
      index_patterns: [LOG_INDEX_PATTERN],
      priority: INDEX_TEMPLATE_PRIORITY,
      version: INDEX_TEMPLATE_VERSION,
      _meta: { managed_by: "ci-log-analysis-infra" },
      template: { settings: indexSettings(topology, ingestPipeline, extraSettings), mappings: logMapping() },
    },
  };
}

/**
 * Both engines' S3 clients: the endpoint host, path-style, and a region. Elasticsearch 9's client
 * (AWS SDK v2) cannot guess the region of an endpoint that is not AWS's and needs one; Swift and
 * Ceph accept any. Elasticsearch 8 and OpenSearch read the same setting.
 */
function s3ClientSettings(s3Endpoint: string): Record<string, unknown> {
  const url = new URL(s3Endpoint);
  return {
    "s3.client.default.endpoint": url.host,
    "s3.client.default.protocol": url.protocol.replace(":", ""),
    "s3.client.default.path_style_access": true,
    "s3.client.default.region": "us-east-1",
  };
}

function snapshotRepository(snapshots: SnapshotTarget): SetupRequest {
  return {
    method: "PUT",
    path: `_snapshot/${SNAPSHOT_REPOSITORY}`,
    body: { type: "s3", settings: { bucket: snapshots.container, base_path: snapshots.basePath, client: "default" } },
    deferred: true,
  };
}

export function diskWatermarks(lowPercent: number): Record<string, string> {
  return {
    "cluster.routing.allocation.disk.watermark.low": `${lowPercent}%`,
    "cluster.routing.allocation.disk.watermark.high": `${Math.min(lowPercent + 5, 95)}%`,
    "cluster.routing.allocation.disk.watermark.flood_stage": `${Math.min(lowPercent + 10, 97)}%`,
  };
}

/**
 * What one search may cost, on every node: the public front end cannot look inside request
 * bodies, so the cluster refuses scripts outside indexing and updates (script_fields, script
 * queries and scores, runtime mappings), expensive queries (regexp, wildcard and prefix
 * queries, fuzzy, joins, scripts), bounds aggregations, and stops searches that run too long.
 */
export const SEARCH_LIMITS = {
  "search.default_search_timeout": "30s",
  "search.allow_expensive_queries": false,
  "search.max_buckets": 10000,
  "script.allowed_types": "inline",
} as const;

/**
 * Script contexts both engines' own features need: updates (the dashboards' saved object
 * migrations), ingest pipelines and their conditions. Names checked against OpenSearch 2.19's
 * ScriptContext classes (an unknown name would stop the node from starting).
 */
const SCRIPT_CONTEXTS = ["update", "ingest", "processor_conditional"];

function commonSettings(props: NodeSettingsProps, logDir: string): Record<string, unknown> {
  return {
    "cluster.name": props.clusterName,
    "node.name": props.nodeName,
    "network.bind_host": "0.0.0.0",
    "network.publish_host": props.address,
    "http.port": HTTP_PORT,
    "transport.port": TRANSPORT_PORT,
    "discovery.seed_hosts": [...props.seedHosts],
    "path.data": props.dataPath,
    // Our file replaces the package's, which set it: the default (logs/ under the install folder) does not exist.
    "path.logs": logDir,
    "bootstrap.memory_lock": true,
    "action.destructive_requires_name": true,
    ...diskWatermarks(props.diskWatermarkPercent),
    ...SEARCH_LIMITS,
  };
}

/**
 * The subject of the certificate that may change OpenSearch's security index (securityadmin),
 * outside the nodes' `CN=<cluster>-search-*`, so it can never join the cluster as a node.
 */
export function securityAdminCommonName(clusterName: string): string {
  return `${clusterName}-security-admin`;
}

/** Where both engines find the node's certificate, key and the cluster CA (relative to the config dir). */
export const CERT_FILES = { certificate: "certs/node.crt", key: "certs/node.key", ca: "certs/ca.crt" } as const;

const ELASTICSEARCH_LOG_DIR = "/var/log/elasticsearch";
const OPENSEARCH_LOG_DIR = "/var/log/opensearch";

const elasticsearch: EngineProfile = {
  engine: "elasticsearch",
  displayName: "Elasticsearch",
  packageName: "elasticsearch",
  serviceName: "elasticsearch.service",
  user: "elasticsearch",
  configDir: "/etc/elasticsearch",
  logDir: ELASTICSEARCH_LOG_DIR,
  executable: "/usr/share/elasticsearch/bin/systemd-entrypoint",
  adminUser: "elastic",
  dashboardsServerUser: "kibana_system",
  aptRepository: elasticRepository,
  nodeSettings: (props) => {
    const roles = [...(props.masterEligible ? ["master"] : []), ...(props.holdsData ? ["data", "ingest"] : [])];
    const tls = (layer: string) => ({
      [`xpack.security.${layer}.ssl.enabled`]: true,
      [`xpack.security.${layer}.ssl.verification_mode`]: "full",
      [`xpack.security.${layer}.ssl.key`]: CERT_FILES.key,
      [`xpack.security.${layer}.ssl.certificate`]: CERT_FILES.certificate,
      [`xpack.security.${layer}.ssl.certificate_authorities`]: [CERT_FILES.ca],
    });
    return {
      ...commonSettings(props, ELASTICSEARCH_LOG_DIR),
      "node.roles": roles,
      ...(props.masterEligible ? { "cluster.initial_master_nodes": [...props.initialMasterNodes] } : {}),
      // Set explicitly, these keep the package from generating certificates and a password of its own.
      // Kibana's task manager claims tasks with a script sort.
      "script.allowed_contexts": [...SCRIPT_CONTEXTS, "number_sort"],
      "xpack.security.enabled": true,
      "xpack.security.autoconfiguration.enabled": false,
      ...tls("transport"),
      ...tls("http"),
    };
  },
  snapshotClientSettings: s3ClientSettings,
  setupRequests: (topology, ingestPipeline, snapshots) => [
    {
      method: "PUT",
      path: `_ilm/policy/${LIFECYCLE_POLICY_NAME}`,
      body: {
        policy: {
          phases: {
            hot: { min_age: "0ms", actions: {} },
            delete: { min_age: `${topology.retentionDays}d`, actions: { delete: {} } },
          },
        },
      },
    },
    logIndexTemplate(topology, ingestPipeline, { "index.lifecycle.name": LIFECYCLE_POLICY_NAME }),
    {
      method: "PUT",
      path: `_security/role/${WRITER_ROLE}`,
      body: { cluster: ["monitor"], indices: [{ names: [LOG_INDEX_PATTERN], privileges: ["create_doc", "create_index", "auto_configure"] }] },
    },
    {
      method: "PUT",
      path: `_security/role/${READER_ROLE}`,
      body: {
        cluster: ["monitor"],
        indices: [{ names: [LOG_INDEX_PATTERN], privileges: ["read", "view_index_metadata"] }],
      },
    },
    {
      method: "PUT",
      path: `_security/role/${MONITOR_ROLE}`,
      body: { cluster: ["monitor", "monitor_snapshot"], indices: [{ names: ["*"], privileges: ["monitor", "view_index_metadata"] }] },
    },
    // The dashboards' visitors and editor (lib/frontend/dashboards-access.ts).
    ...Object.entries(ELASTICSEARCH_DASHBOARDS_ROLES).map(([role, body]) => ({ method: "PUT" as const, path: `_security/role/${role}`, body })),
    ...(snapshots && topology.snapshots
      ? [
          snapshotRepository(snapshots),
          {
            method: "PUT" as const,
            path: "_slm/policy/daily",
            deferred: true,
            body: {
              schedule: `0 30 ${topology.snapshots.hourUtc} * * ?`,
              name: "<daily-{now/d}>",
              repository: SNAPSHOT_REPOSITORY,
              config: { indices: [LOG_INDEX_PATTERN], include_global_state: false },
              retention: { expire_after: `${topology.snapshots.keepDays}d`, min_count: 3, max_count: topology.snapshots.keepDays + 5 },
            },
          },
        ]
      : []),
  ],
  dashboards: {
    packageName: "kibana",
    serviceName: "kibana.service",
    configFile: "/etc/kibana/kibana.yml",
    executable: "/usr/share/kibana/bin/kibana",
    aptRepository: elasticRepository,
  },
};

const opensearch: EngineProfile = {
  engine: "opensearch",
  displayName: "OpenSearch",
  packageName: "opensearch",
  serviceName: "opensearch.service",
  user: "opensearch",
  configDir: "/etc/opensearch",
  logDir: OPENSEARCH_LOG_DIR,
  executable: "/usr/share/opensearch/bin/systemd-entrypoint",
  adminUser: "admin",
  dashboardsServerUser: "dashboards",
  aptRepository: (version) => opensearchRepository("opensearch", version),
  nodeSettings: (props) => {
    const roles = [...(props.masterEligible ? ["cluster_manager"] : []), ...(props.holdsData ? ["data", "ingest"] : [])];
    const tls = (layer: string) => ({
      [`plugins.security.ssl.${layer}.pemcert_filepath`]: CERT_FILES.certificate,
      [`plugins.security.ssl.${layer}.pemkey_filepath`]: CERT_FILES.key,
      [`plugins.security.ssl.${layer}.pemtrustedcas_filepath`]: CERT_FILES.ca,
    });
    return {
      ...commonSettings(props, OPENSEARCH_LOG_DIR),
      "node.roles": roles,
      ...(props.masterEligible ? { "cluster.initial_cluster_manager_nodes": [...props.initialMasterNodes] } : {}),
      // Present before the package is installed, these keep its demo security installer from running.
      ...tls("transport"),
      "plugins.security.ssl.transport.enforce_hostname_verification": false,
      "plugins.security.ssl.http.enabled": true,
      ...tls("http"),
      "script.allowed_contexts": SCRIPT_CONTEXTS,
      // OpenSearch's runtime fields.
      "search.derived_field.enabled": false,
      "plugins.security.nodes_dn": [`CN=${props.clusterName}-search-*`],
      // The security files are applied again, with this certificate, on every setup run.
      "plugins.security.authcz.admin_dn": [`CN=${securityAdminCommonName(props.clusterName)}`],
      "plugins.security.allow_default_init_securityindex": true,
      "plugins.security.restapi.roles_enabled": ["all_access"],
    };
  },
  snapshotClientSettings: s3ClientSettings,
  setupRequests: (topology, ingestPipeline, snapshots) => [
    {
      method: "PUT",
      path: `_plugins/_ism/policies/${LIFECYCLE_POLICY_NAME}`,
      versioned: true,
      body: {
        policy: {
          description: `Delete log indices after ${topology.retentionDays} days`,
          default_state: "hot",
          states: [
            { name: "hot", actions: [], transitions: [{ state_name: "delete", conditions: { min_index_age: `${topology.retentionDays}d` } }] },
            { name: "delete", actions: [{ delete: {} }], transitions: [] },
          ],
          ism_template: { index_patterns: [LOG_INDEX_PATTERN], priority: 100 },
        },
      },
    },
    logIndexTemplate(topology, ingestPipeline, {}),
    ...(snapshots && topology.snapshots
      ? [
          snapshotRepository(snapshots),
          {
            // Snapshot management policies are created once; changing one needs its sequence number.
            method: "POST" as const,
            path: "_plugins/_sm/policies/daily",
            createOnly: true,
            deferred: true,
            body: {
              description: "Daily snapshot of the log indices",
              creation: { schedule: { cron: { expression: `30 ${topology.snapshots.hourUtc} * * *`, timezone: "UTC" } }, time_limit: "2h" },
              deletion: {
                schedule: { cron: { expression: `0 ${(topology.snapshots.hourUtc + 3) % 24} * * *`, timezone: "UTC" } },
                condition: { max_age: `${topology.snapshots.keepDays}d`, min_count: 3 },
                time_limit: "2h",
              },
              snapshot_config: { repository: SNAPSHOT_REPOSITORY, indices: LOG_INDEX_PATTERN, include_global_state: false, partial: true },
            },
          },
        ]
      : []),
  ],
  dashboards: {
    packageName: "opensearch-dashboards",
    serviceName: "opensearch-dashboards.service",
    configFile: "/etc/opensearch-dashboards/opensearch_dashboards.yml",
    executable: "/usr/share/opensearch-dashboards/bin/opensearch-dashboards",
    aptRepository: (version) => opensearchRepository("opensearch-dashboards", version),
  },
};

export const ENGINE_PROFILES: Record<SearchEngine, EngineProfile> = { elasticsearch, opensearch };
