import { Password } from "@cdktf/provider-random/lib/password";
import { Fn, TerraformVariable } from "cdktf";
import { ObjectstorageContainerV1 } from "../.gen/providers/openstack/objectstorage-container-v1";
import { Construct } from "constructs";
import { stringify } from "yaml";
import { NODE_CONFIG_DIR, type CloudConfigBuilder } from "../lib/cloud-init/cloud-config";
import { signedAptRepositoryCommand } from "../lib/cloud-init/signed-apt-repository";
import { INSTALLER_RETRY } from "../lib/cloud-init/systemd-unit";
import { LOG_INDEX_PATTERN } from "../lib/field-contract";
import {
  CERT_FILES,
  CLUSTER_TLS_NAME,
  ENGINE_PROFILES,
  MONITOR_ROLE,
  ENGINE_UID,
  HTTP_PORT,
  READER_ROLE,
  SEARCH_USERS,
  securityAdminCommonName,
  TRANSPORT_PORT,
  WRITER_ROLE,
  type EngineProfile,
  type SetupRequest,
  type SnapshotTarget,
} from "../lib/search/engine";
import { DASHBOARDS_EDITOR_ROLE, DASHBOARDS_READER_ROLE, OPENSEARCH_DASHBOARDS_ROLES, openSearchDashboardsTenancy } from "../lib/frontend/dashboards-access";
import { INSTALL_SEARCH_ENGINE_SCRIPT, SEARCH_BOOTSTRAP_GUARD_SCRIPT, SEARCH_SETUP_SCRIPT } from "../lib/search/node-scripts";
import { heapGiB, type SearchTopology } from "../lib/search/topology";
import { Port, type Connections, type IConnectable } from "./connections";
import { PrivateCa } from "./private-ca";
import { ServerRole, type ServerNode, type ServerRoleDefaults } from "./server-role";

export const SEARCH_DATA_MOUNT_PATH = "/var/lib/search";
const STAGED_CONFIG = `${NODE_CONFIG_DIR}/search/config`;
const SETUP_DIR = `${NODE_CONFIG_DIR}/search/setup`;
/** The security admin's certificate and key, on OpenSearch's setup node only (root-only: not in the engine's config folder). */
const SECURITY_ADMIN_DIR = `${NODE_CONFIG_DIR}/search/security-admin`;

/** Fixed address blocks of the cluster's roles; never renumber them (it would move nodes). */
const ADDRESS_BLOCKS = { master: 0, data: 1 } as const;

export interface Credentials {
  readonly username: string;
  /** A sensitive Terraform reference, generated at deploy time. */
  readonly password: string;
}

export interface IngestPipeline {
  readonly name: string;
  readonly body: unknown;
}

export interface SearchClusterProps {
  /** What every server of the deployment shares: network, image, key pair, admin access. */
  readonly servers: ServerRoleDefaults;
  readonly topology: SearchTopology;
  /** Flavor names in Nova of the data and master nodes. */
  readonly dataFlavorName: string;
  readonly masterFlavorName: string;
  /**
   * The ingest pipeline set as the log indices' default pipeline.
   * @default none
   */
  readonly ingestPipeline?: IngestPipeline;
}

/**
 * The search cluster: Elasticsearch or OpenSearch on dedicated masters (when there are any) and
 * data nodes with protected volumes, TLS everywhere from a private CA, authentication on, and
 * users for writers, readers and the dashboards generated at deploy time. Clients connect to
 * the data nodes: `cluster.connections.allowFrom(workers, ...)` is wired for port 9200.
 */
export class SearchCluster extends Construct implements IConnectable {
  readonly engine: EngineProfile;
  /** The pinned engine release; the dashboards use the same. */
  readonly version: string;
  readonly connections: Connections;
  readonly dataNodes: ServerRole;
  readonly masterNodes?: ServerRole;
  /** `<address>:9200` of every data node, where clients connect. */
  readonly hosts: readonly string[];
  /** `https://<address>:9200` of every data node. */
  readonly endpoints: readonly string[];
  readonly caCertificatePem: string;
  readonly writer: Credentials;
  readonly reader: Credentials;
  /** The public dashboards' visitors: log indices and saved objects, read only. */
  readonly dashboardsReader: Credentials;
  /** The front end's setup: writes the dashboards' saved objects, nothing else. */
  readonly dashboardsEditor: Credentials;
  readonly dashboardsServer: Credentials;
  /** The monitoring server's exporters: statistics and snapshots, no document. */
  readonly monitor: Credentials;
  private readonly admin: Credentials;
  private readonly ca: PrivateCa;
  private snapshots?: { target: SnapshotTarget; accessKey: string; secretKey: string };

  constructor(scope: Construct, id: string, props: SearchClusterProps) {
    super(scope, id);
    const { topology } = props;
    const clusterName = props.servers.deploymentName;
    this.engine = ENGINE_PROFILES[topology.engine];
    this.version = topology.version;
    this.ca = new PrivateCa(this, "ca", { commonName: `${clusterName} search cluster CA` });
    this.caCertificatePem = this.ca.certificatePem;
    const passwords: SearchPasswords = {
      admin: new Password(this, "admin-password", { length: 32, special: false }),
      writer: new Password(this, "writer-password", { length: 32, special: false }),
      reader: new Password(this, "reader-password", { length: 32, special: false }),
      dashboards: new Password(this, "dashboards-password", { length: 32, special: false }),
      dashboardsReader: new Password(this, "dashboards-reader-password", { length: 32, special: false }),
      dashboardsEditor: new Password(this, "dashboards-editor-password", { length: 32, special: false }),
      monitor: new Password(this, "monitor-password", { length: 32, special: false }),
    };
    this.admin = { username: this.engine.adminUser, password: passwords.admin.result };
    this.writer = { username: SEARCH_USERS.writer, password: passwords.writer.result };
    this.reader = { username: SEARCH_USERS.reader, password: passwords.reader.result };
    this.dashboardsReader = { username: SEARCH_USERS.dashboardsReader, password: passwords.dashboardsReader.result };
    this.dashboardsEditor = { username: SEARCH_USERS.dashboardsEditor, password: passwords.dashboardsEditor.result };
    this.dashboardsServer = { username: this.engine.dashboardsServerUser, password: passwords.dashboards.result };
    this.monitor = { username: SEARCH_USERS.monitor, password: passwords.monitor.result };

    if (topology.snapshots) this.addSnapshotStorage(clusterName);

    const dedicatedMasters = topology.masterNodes.count > 0;
    const configure = (role: "master" | "data") => (cloudConfig: CloudConfigBuilder, node: ServerNode, roleNodes: readonly ServerNode[]) => {
      const masterEligible = this.masterNodes?.nodes ?? roleNodes;
      this.configureNode(cloudConfig, node, {
        topology,
        clusterName,
        masterEligible: role === "master" || !dedicatedMasters,
        holdsData: role === "data",
        seedHosts: masterEligible.map((member) => member.address),
        peerMasters: masterEligible.filter((member) => member.name !== node.name).map((member) => member.address),
        initialMasterNodes: masterEligible.map((member) => member.name),
        isSetupNode: node.name === masterEligible[0].name,
        ingestPipeline: props.ingestPipeline,
        passwords,
      });
    };

    if (dedicatedMasters) {
      this.masterNodes = new ServerRole(this, "masters", {
        ...props.servers,
        roleName: "search-master",
        description: `${this.engine.displayName} dedicated master-eligible nodes`,
        count: topology.masterNodes.count,
        flavorName: props.masterFlavorName,
        stateful: true,
        fixedAddressBlock: ADDRESS_BLOCKS.master,
        configureNode: configure("master"),
      });
    }
    this.dataNodes = new ServerRole(this, "data", {
      ...props.servers,
      roleName: "search-data",
      description: `${this.engine.displayName} data nodes`,
      count: topology.dataNodes.count,
      flavorName: props.dataFlavorName,
      stateful: true,
      fixedAddressBlock: ADDRESS_BLOCKS.data,
      dataVolume: { sizeGiB: topology.dataNodes.volumeGiB, mountPath: SEARCH_DATA_MOUNT_PATH },
      configureNode: configure("data"),
    });
    this.connections = this.dataNodes.connections;

    const transport = Port.tcp(TRANSPORT_PORT);
    this.dataNodes.connections.allowInternally(transport, "Search cluster transport between data nodes");
    if (this.masterNodes) {
      this.masterNodes.connections.allowInternally(transport, "Search cluster transport between masters");
      this.dataNodes.connections.allowFrom(this.masterNodes, transport, "Search cluster transport from masters");
      this.masterNodes.connections.allowFrom(this.dataNodes, transport, "Search cluster transport from data nodes");
    }
    this.hosts = this.dataNodes.nodes.map((node) => `${node.address}:${HTTP_PORT}`);
    this.endpoints = this.hosts.map((host) => `https://${host}`);
  }

  /**
   * The container snapshots go to (protected like a data volume), and the S3 keys to write into
   * it, which the sponsor creates (`openstack ec2 credentials create`) and passes as sensitive
   * Terraform variables.
   */
  private addSnapshotStorage(clusterName: string): void {
    const container = new ObjectstorageContainerV1(this, "snapshot-container", {
      name: `${clusterName}-search-snapshots`,
      lifecycle: { preventDestroy: true },
    });
    const variable = (name: string, what: string) =>
      new TerraformVariable(this.node.scope!, name, { type: "string", sensitive: true, nullable: false, description: what }).stringValue;
    this.snapshots = {
      target: { container: container.name, basePath: clusterName },
      accessKey: variable("search_snapshot_s3_access_key", "S3 access key (EC2 credential) with write access to the snapshot container."),
      secretKey: variable("search_snapshot_s3_secret_key", "S3 secret key of search_snapshot_s3_access_key."),
    };
  }

  /** Writes the cluster's CA certificate on a client server (once, whoever asks first), so that it can verify the nodes; returns its path. */
  addCaCertificateTo(cloudConfig: CloudConfigBuilder): string {
    const file = `${NODE_CONFIG_DIR}/search-ca.crt`;
    if (!cloudConfig.files().some((written) => written.path === file)) {
      cloudConfig.addFile({ path: file, content: Fn.base64encode(this.caCertificatePem), encoding: "b64" });
    }
    return file;
  }

  /** Lets `client` use the search API (port 9200 of the data nodes). */
  allowClient(client: IConnectable, description: string): void {
    this.connections.allowFrom(client, Port.tcp(HTTP_PORT), description);
  }

  private configureNode(
    cloudConfig: CloudConfigBuilder,
    node: ServerNode,
    options: {
      topology: SearchTopology;
      clusterName: string;
      masterEligible: boolean;
      holdsData: boolean;
      seedHosts: string[];
      /** The other master-eligible nodes' addresses (for a master only). */
      peerMasters: string[];
      initialMasterNodes: string[];
      isSetupNode: boolean;
      ingestPipeline?: IngestPipeline;
      passwords: SearchPasswords;
    },
  ): void {
    const engine = this.engine;
    const { topology } = options;
    const address = node.address;
    const flavor = options.holdsData ? topology.dataNodes.flavor : topology.masterNodes.flavor;
    const dataPath = options.holdsData ? `${SEARCH_DATA_MOUNT_PATH}/${engine.engine}` : `/var/lib/${engine.engine}`;
    const certificate = this.ca.issue(node.name, {
      commonName: node.name,
      ipAddresses: [node.address],
      dnsNames: [node.name, CLUSTER_TLS_NAME],
    });

    cloudConfig.addPackages("curl", "jq");
    const settings = engine.nodeSettings({
      clusterName: options.clusterName,
      nodeName: node.name,
      address,
      masterEligible: options.masterEligible,
      holdsData: options.holdsData,
      seedHosts: options.seedHosts,
      initialMasterNodes: options.initialMasterNodes,
      dataPath,
      diskWatermarkPercent: topology.diskWatermarkPercent,
    });
    if (topology.snapshots) Object.assign(settings, engine.snapshotClientSettings(topology.snapshots.s3Endpoint));
    // One `key: JSON value` line per setting (YAML accepts JSON), so a line can be removed by name.
    cloudConfig.addFile({
      path: `${STAGED_CONFIG}/${engine.engine}.yml`,
      content: Object.entries(settings).map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join("\n") + "\n",
    });
    const heap = heapGiB(flavor);
    cloudConfig.addFile({ path: `${STAGED_CONFIG}/jvm.options.d/heap.options`, content: `-Xms${heap}g\n-Xmx${heap}g\n` });
    cloudConfig.addFile({ path: `${STAGED_CONFIG}/${CERT_FILES.ca}`, content: Fn.base64encode(this.caCertificatePem), encoding: "b64" });
    cloudConfig.addFile({ path: `${STAGED_CONFIG}/${CERT_FILES.certificate}`, content: Fn.base64encode(certificate.certificatePem), encoding: "b64" });
    cloudConfig.addFile({
      path: `${STAGED_CONFIG}/${CERT_FILES.key}`,
      content: Fn.base64encode(certificate.privateKeyPem),
      encoding: "b64",
      permissions: "0600",
    });
    if (engine.engine === "opensearch") this.addOpenSearchSecurityConfig(cloudConfig, options.passwords);

    cloudConfig.addFile({ path: "/etc/sysctl.d/60-search.conf", content: "vm.max_map_count = 262144\nvm.swappiness = 1\n" });
    cloudConfig.addRuncmd(["sysctl", "--system"]);
    cloudConfig.addRuncmd(["swapoff", "--all"]);

    cloudConfig.addFile({
      path: `${NODE_CONFIG_DIR}/search-engine.env`,
      content: envFile({
        ENGINE: engine.engine,
        ENGINE_PACKAGE: engine.packageName,
        ENGINE_VERSION: topology.version,
        ENGINE_SERVICE: engine.serviceName,
        ENGINE_USER: engine.user,
        ENGINE_UID: String(ENGINE_UID),
        ENGINE_CONFIG_DIR: engine.configDir,
        STAGED_CONFIG,
        DATA_PATH: dataPath,
        NODE_ADDRESS: address,
        SETUP_DIR,
        ...(options.masterEligible ? { PEER_MASTERS: options.peerMasters.join(",") } : {}),
        ...(options.isSetupNode && engine.engine === "opensearch" ? { SECURITY_ADMIN_DIR } : {}),
      }),
    });
    // The admin's password only where it is used: masters watch the cluster form with it (and
    // Elasticsearch's keystore bootstraps it there); a data-only node never needs it.
    const secrets: Record<string, string> = options.masterEligible ? { ADMIN_USER: this.admin.username, ADMIN_PASSWORD: this.admin.password } : {};
    if (this.snapshots) Object.assign(secrets, { S3_ACCESS_KEY: this.snapshots.accessKey, S3_SECRET_KEY: this.snapshots.secretKey });
    // Elasticsearch users are created through its API by the setup node; OpenSearch reads bcrypt hashes instead.
    if (options.isSetupNode && engine.engine === "elasticsearch") {
      Object.assign(secrets, {
        WRITER_PASSWORD: this.writer.password,
        READER_PASSWORD: this.reader.password,
        DASHBOARDS_READER_PASSWORD: this.dashboardsReader.password,
        DASHBOARDS_EDITOR_PASSWORD: this.dashboardsEditor.password,
        DASHBOARDS_PASSWORD: this.dashboardsServer.password,
        MONITOR_PASSWORD: this.monitor.password,
      });
    }
    cloudConfig.addFile({ path: `${NODE_CONFIG_DIR}/search-secrets.env`, content: envFile(secrets), permissions: "0600" });

    cloudConfig.addSystemdDropIn(engine.serviceName, "limits", {
      // Never start on the root disk when the data volume is not mounted.
      ...(options.holdsData ? { Unit: { RequiresMountsFor: SEARCH_DATA_MOUNT_PATH } } : {}),
      Service: { LimitMEMLOCK: "infinity", LimitNOFILE: 65536, Restart: "on-failure", RestartSec: "30s" },
    });
    cloudConfig.addFile({ path: NEEDRESTART_CONFIG_FILE, content: renderNeedrestartConfig(engine.serviceName) });
    cloudConfig.addScript("/usr/local/sbin/install-search-engine", INSTALL_SEARCH_ENGINE_SCRIPT);
    cloudConfig.addScript("/usr/local/sbin/search-bootstrap-guard", SEARCH_BOOTSTRAP_GUARD_SCRIPT);
    cloudConfig.addSystemdUnit("install-search-engine.service", {
      Unit: {
        ...INSTALLER_RETRY.Unit,
        Description: `Install and start ${engine.displayName} ${topology.version}`,
        Wants: "network-online.target",
        After: ["network-online.target", ...(options.holdsData ? ["mount-data-volume.service"] : [])],
        ...(options.holdsData ? { Requires: "mount-data-volume.service" } : {}),
      },
      Service: {
        ...INSTALLER_RETRY.Service,
        Type: "oneshot",
        RemainAfterExit: true,
        EnvironmentFile: [`${NODE_CONFIG_DIR}/search-engine.env`, `${NODE_CONFIG_DIR}/search-secrets.env`],
        ExecStartPre: signedAptRepositoryCommand(cloudConfig, engine.aptRepository(topology.version)),
        ExecStart: "/usr/local/sbin/install-search-engine",
        TimeoutStartSec: "40min",
      },
      Install: { WantedBy: "multi-user.target" },
    });
    if (options.isSetupNode) this.addClusterSetup(cloudConfig, topology, options.ingestPipeline);
    if (options.isSetupNode && engine.engine === "opensearch") this.addSecurityAdminCertificate(cloudConfig, options.clusterName);
  }

  /** The one-shot unit on the first master-eligible node that applies the index management and users. */
  private addClusterSetup(cloudConfig: CloudConfigBuilder, topology: SearchTopology, ingestPipeline?: IngestPipeline): void {
    const requests: SetupRequest[] = [
      ...(ingestPipeline ? [{ method: "PUT" as const, path: `_ingest/pipeline/${ingestPipeline.name}`, body: ingestPipeline.body }] : []),
      ...this.engine.setupRequests(topology, ingestPipeline?.name, this.snapshots?.target),
    ];
    const lines = requests.map((request, index) => {
      const file = `${String(index + 1).padStart(2, "0")}-${request.path.replace(/[^a-zA-Z0-9]+/g, "-").replace(/^-|-$/g, "")}.json`;
      cloudConfig.addFile({ path: `${SETUP_DIR}/${file}`, content: `${JSON.stringify(request.body, null, 2)}\n` });
      return { deferred: request.deferred === true, line: `${request.method} ${request.path} ${file}${request.createOnly ? " create-only" : request.versioned ? " versioned" : ""}` };
    });
    // The users come between the two files (see SEARCH_SETUP_SCRIPT): snapshots never block them.
    for (const [name, deferred] of [["requests", false], ["deferred-requests", true]] as const) {
      const selected = lines.filter((entry) => entry.deferred === deferred).map((entry) => entry.line);
      if (selected.length > 0) cloudConfig.addFile({ path: `${SETUP_DIR}/${name}`, content: `${selected.join("\n")}\n` });
    }
    if (this.engine.engine === "elasticsearch") {
      cloudConfig.addFile({
        path: `${SETUP_DIR}/users`,
        content: [
          // Stored in the security index, the password works on every node; bootstrap.password
          // (in the masters' keystores) only on the node that holds it, until then.
          `${this.admin.username} - ADMIN_PASSWORD`,
          `${this.writer.username} ${WRITER_ROLE} WRITER_PASSWORD`,
          `${this.reader.username} ${READER_ROLE} READER_PASSWORD`,
          `${this.dashboardsReader.username} ${DASHBOARDS_READER_ROLE} DASHBOARDS_READER_PASSWORD`,
          `${this.dashboardsEditor.username} ${DASHBOARDS_EDITOR_ROLE} DASHBOARDS_EDITOR_PASSWORD`,
          `${this.dashboardsServer.username} - DASHBOARDS_PASSWORD`,
          `${this.monitor.username} ${MONITOR_ROLE} MONITOR_PASSWORD`,
          "",
        ].join("\n"),
      });
    }
    cloudConfig.addScript("/usr/local/sbin/search-setup", SEARCH_SETUP_SCRIPT);
    cloudConfig.addSystemdUnit("search-setup.service", {
      Unit: {
        ...INSTALLER_RETRY.Unit,
        Description: "Apply the log index template, lifecycle policy, ingest pipeline and users",
        After: "install-search-engine.service",
        Wants: "install-search-engine.service",
      },
      Service: {
        ...INSTALLER_RETRY.Service,
        Type: "oneshot",
        RemainAfterExit: true,
        EnvironmentFile: [`${NODE_CONFIG_DIR}/search-engine.env`, `${NODE_CONFIG_DIR}/search-secrets.env`],
        ExecStart: "/usr/local/sbin/search-setup",
        TimeoutStartSec: "45min",
      },
      Install: { WantedBy: "multi-user.target" },
    });
  }

  /**
   * The certificate securityadmin applies the security files with (`plugins.security.authcz.admin_dn`),
   * on the setup node only: whoever holds it may rewrite every role and user.
   */
  private addSecurityAdminCertificate(cloudConfig: CloudConfigBuilder, clusterName: string): void {
    const certificate = this.ca.issue("security-admin", { commonName: securityAdminCommonName(clusterName) });
    cloudConfig.addFile({ path: `${SECURITY_ADMIN_DIR}/admin.crt`, content: Fn.base64encode(certificate.certificatePem), encoding: "b64", permissions: "0600" });
    cloudConfig.addFile({ path: `${SECURITY_ADMIN_DIR}/admin.key`, content: Fn.base64encode(certificate.privateKeyPem), encoding: "b64", permissions: "0600" });
  }

  /** OpenSearch reads users and roles from files on its first start; passwords appear only as bcrypt hashes. */
  private addOpenSearchSecurityConfig(cloudConfig: CloudConfigBuilder, passwords: SearchPasswords): void {
    const file = (name: string, type: string, content: object) =>
      cloudConfig.addFile({
        path: `${STAGED_CONFIG}/opensearch-security/${name}`,
        // No YAML anchors for repeated values: the security plugin's parser (Jackson) rejects
        // aliases, and the security index would never be set up.
        content: stringify({ _meta: { type, config_version: 2 }, ...content }, { aliasDuplicateObjects: false }),
        permissions: "0600",
      });
    file("config.yml", "config", {
      config: {
        dynamic: {
          http: { anonymous_auth_enabled: false },
          // A request over several indices (`_cat/indices`, `logstash-*,x`) answers for the ones
          // the user may see instead of 403: the public index list shows the log indices only.
          do_not_fail_on_forbidden: true,
          authc: {
            basic_internal_auth_domain: {
              http_enabled: true,
              transport_enabled: true,
              order: 0,
              http_authenticator: { type: "basic", challenge: true },
              authentication_backend: { type: "internal" },
            },
          },
          kibana: openSearchDashboardsTenancy(this.dashboardsServer.username),
        },
      },
    });
    file("internal_users.yml", "internalusers", {
      [this.admin.username]: { hash: passwords.admin.bcryptHash, reserved: true, backend_roles: ["admin"], description: "Cluster administrator" },
      [this.writer.username]: { hash: passwords.writer.bcryptHash, reserved: false, description: "Ingestion: writes log indices" },
      [this.reader.username]: { hash: passwords.reader.bcryptHash, reserved: false, description: "elastic-recheck and the public front end: read log indices" },
      [this.dashboardsReader.username]: { hash: passwords.dashboardsReader.bcryptHash, reserved: false, description: "Visitors of the public dashboards: read log indices and saved objects" },
      [this.dashboardsEditor.username]: { hash: passwords.dashboardsEditor.bcryptHash, reserved: false, description: "The front end's setup: imports the dashboards' saved objects" },
      [this.dashboardsServer.username]: { hash: passwords.dashboards.bcryptHash, reserved: true, description: "OpenSearch Dashboards server" },
      [this.monitor.username]: { hash: passwords.monitor.bcryptHash, reserved: false, description: "The monitoring server's exporters: statistics and snapshots" },
    });
    file("roles.yml", "roles", {
      [WRITER_ROLE]: {
        cluster_permissions: ["cluster_monitor", "cluster_composite_ops"],
        index_permissions: [{ index_patterns: [LOG_INDEX_PATTERN], allowed_actions: ["create_index", "index"] }],
      },
      [READER_ROLE]: {
        cluster_permissions: ["cluster_monitor", "cluster_composite_ops_ro"],
        // "read" lacks GET _mapping, which the front end lets through (and Kibana-style clients need).
        index_permissions: [{ index_patterns: [LOG_INDEX_PATTERN], allowed_actions: ["read", "indices_monitor", "indices:admin/mappings/get"] }],
      },
      ...OPENSEARCH_DASHBOARDS_ROLES,
      [MONITOR_ROLE]: {
        cluster_permissions: ["cluster_monitor", "cluster:admin/repository/get", "cluster:admin/snapshot/get"],
        index_permissions: [{ index_patterns: ["*"], allowed_actions: ["indices_monitor"] }],
      },
    });
    file("roles_mapping.yml", "rolesmapping", {
      all_access: { reserved: false, users: [this.admin.username], backend_roles: ["admin"] },
      kibana_server: { reserved: true, users: [this.dashboardsServer.username] },
      [WRITER_ROLE]: { users: [this.writer.username] },
      [READER_ROLE]: { users: [this.reader.username] },
      [DASHBOARDS_READER_ROLE]: { users: [this.dashboardsReader.username] },
      [DASHBOARDS_EDITOR_ROLE]: { users: [this.dashboardsEditor.username] },
      [MONITOR_ROLE]: { users: [this.monitor.username] },
    });
  }
}

/** The generated password of each of the cluster's users (the key names the user's role, not its name). */
type SearchPasswords = Record<"admin" | "writer" | "reader" | "dashboards" | "dashboardsReader" | "dashboardsEditor" | "monitor", Password>;

export const NEEDRESTART_CONFIG_FILE = "/etc/needrestart/conf.d/50-search-engine.conf";

/**
 * needrestart (run by unattended upgrades) would restart the engine on every node in the same
 * window and turn the cluster red; it is told to leave it alone: restart nodes one at a time
 * (README: Rolling restart).
 */
export function renderNeedrestartConfig(serviceName: string): string {
  const pattern = serviceName.replace(/[.]/g, "\\.");
  return `# Rendered by ci-log-analysis-infra: restart ${serviceName} by hand, one node at a time.\n$nrconf{override_rc}{qr(^${pattern}$)} = 0;\n`;
}

/** KEY=value lines for systemd's EnvironmentFile=; values are single words or Terraform references. */
function envFile(variables: Record<string, string>): string {
  return Object.entries(variables).map(([key, value]) => `${key}=${value}`).join("\n") + "\n";
}
