import { Password } from "@cdktf/provider-random/lib/password";
import { Fn } from "cdktf";
import { gzipSync } from "node:zlib";
import { Construct } from "constructs";
import { stringify } from "yaml";
import { DnsRecordsetV2 } from "../.gen/providers/openstack/dns-recordset-v2";
import { NODE_CONFIG_DIR, type CloudConfigBuilder } from "../lib/cloud-init/cloud-config";
import { addPublicCertificate } from "../lib/cloud-init/public-certificate";
import { signedAptRepositoryCommand } from "../lib/cloud-init/signed-apt-repository";
import { APT_RETRIES, INSTALLER_RETRY } from "../lib/cloud-init/systemd-unit";
import type { DashboardsUi } from "../lib/frontend/dashboards-routes";
import { renderFrontendNginx } from "../lib/frontend/nginx";
import { parseSavedObjects } from "../lib/frontend/saved-objects";
import { CLUSTER_TLS_NAME } from "../lib/search/engine";
import { Port, type Connections, type IConnectable } from "./connections";
import type { Credentials, SearchCluster } from "./search-cluster";
import { ServerRole, type ServerRoleDefaults } from "./server-role";

const READER_AUTH_INCLUDE = "/etc/nginx/search-reader-auth.conf";
const DASHBOARDS_AUTH_INCLUDE = "/etc/nginx/dashboards-reader-auth.conf";
const DASHBOARDS_PORT = 5601;
const SAVED_OBJECTS_FILE = `${NODE_CONFIG_DIR}/saved-objects.ndjson`;
const EDITOR_CURL_CONFIG = `${NODE_CONFIG_DIR}/dashboards-editor.curl`;
/** OpenSearch Dashboards' global tenant, the only one visitors have (read only) and where the starter objects go. */
const GLOBAL_TENANT = "global";

export interface FrontendProps {
  readonly servers: ServerRoleDefaults;
  readonly flavorName: string;
  readonly search: SearchCluster;
  /** TCP ports open to the world; 80 and 443 at least. */
  readonly publicTcpPorts: readonly number[];
  /**
   * Public DNS name; with it, a Let's Encrypt certificate replaces the self-signed one.
   * @default the public address, with a self-signed certificate
   */
  readonly dnsName?: string;
  /** Let's Encrypt account contact; required with dnsName. @default none */
  readonly acmeEmail?: string;
  /** Designate zone in which to create the A record of dnsName. @default no record */
  readonly designateZoneId?: string;
  /** Serve Kibana (OpenSearch Dashboards) read-only under /dashboards/. @default true */
  readonly dashboards?: boolean;
  /**
   * Starter saved objects of each UI (its ndjson export); the deployed UI's are imported, with
   * overwrite, once the dashboards server answers.
   * @default none: the dashboards start empty
   */
  readonly savedObjects?: Partial<Record<DashboardsUi, string>>;
  /** @default 10 */
  readonly requestsPerSecond?: number;
  /** @default 1024 */
  readonly maxRequestBodyKib?: number;
  /** `address:port` of Prometheus, whose status page the front end serves at /status/. @default no status page */
  readonly statusPageUpstream?: string;
}

/**
 * The public, read-only window on the logs: nginx that lets through only search, count,
 * mapping, health and index-list requests, as the reader user, with request size, rate and
 * connection limits; and Kibana (OpenSearch Dashboards) signed in as a read-only dashboards
 * user, with nginx letting through only what the read-only UI requests.
 */
export class Frontend extends Construct implements IConnectable {
  readonly role: ServerRole;
  readonly connections: Connections;
  readonly publicAddress: string;
  /** `https://<name or address>/` */
  readonly url: string;
  readonly dashboardsUrl?: string;

  constructor(scope: Construct, id: string, props: FrontendProps) {
    super(scope, id);
    const dashboards = props.dashboards ?? true;
    if (props.dnsName && !props.acmeEmail) {
      throw new Error(`Frontend ${this.node.path}: dnsName ${props.dnsName} needs acmeEmail for Let's Encrypt.`);
    }
    this.role = new ServerRole(this, "servers", {
      ...props.servers,
      roleName: "frontend",
      description: "Public read-only front end",
      count: 1,
      flavorName: props.flavorName,
      public: true,
      publicTcpPorts: props.publicTcpPorts,
      configureNode: (cloudConfig, node) => this.configure(cloudConfig, props, dashboards, node.publicAddress),
    });
    this.connections = this.role.connections;
    for (const port of props.publicTcpPorts) this.connections.allowFromAnyone(Port.tcp(port), `Public access on port ${port}`);
    props.search.allowClient(this, "The public front end proxies read-only searches");

    this.publicAddress = this.role.servers[0].publicIpv4Address!;
    if (props.designateZoneId && props.dnsName) {
      new DnsRecordsetV2(this, "dns-record", {
        zoneId: props.designateZoneId,
        name: `${props.dnsName}.`,
        type: "A",
        ttl: 300,
        records: [this.publicAddress],
        description: "Public read-only front end of the CI log search",
      });
    }
    this.url = `https://${props.dnsName ?? this.publicAddress}/`;
    this.dashboardsUrl = dashboards ? `${this.url}dashboards/` : undefined;
  }

  private configure(cloudConfig: CloudConfigBuilder, props: FrontendProps, dashboards: boolean, publicAddress: string | undefined): void {
    const { search } = props;
    const ui: DashboardsUi = search.engine.engine === "opensearch" ? "opensearch-dashboards" : "kibana";
    // OpenSearch Dashboards has no anonymous login here: nginx signs its visitors in.
    const dashboardsAuthInclude = dashboards && search.engine.engine === "opensearch" ? DASHBOARDS_AUTH_INCLUDE : undefined;
    const certificate = addPublicCertificate(cloudConfig, { ...props, publicAddress });
    const searchCaFile = search.addCaCertificateTo(cloudConfig);
    // Written after the packages are installed, so that nginx's own install starts it with its default configuration.
    cloudConfig.addFile({
      path: "/etc/nginx/nginx.conf",
      defer: true,
      encoding: "gz+b64",
      content: gzipped(renderFrontendNginx({
        serverName: props.dnsName ?? "_",
        searchUpstreams: search.hosts,
        upstreamCaFile: searchCaFile,
        upstreamTlsName: CLUSTER_TLS_NAME,
        tlsCertificateFile: certificate.certificateFile,
        tlsKeyFile: certificate.keyFile,
        readerAuthInclude: READER_AUTH_INCLUDE,
        acmeWebroot: certificate.acmeWebroot,
        dashboards: dashboards
          ? { upstream: `127.0.0.1:${DASHBOARDS_PORT}`, ui, authInclude: dashboardsAuthInclude }
          : undefined,
        requestsPerSecond: props.requestsPerSecond ?? 10,
        maxRequestBodyKib: props.maxRequestBodyKib ?? 1024,
        statusPageUpstream: props.statusPageUpstream,
      })),
    });
    const addAuthInclude = (path: string, user: Credentials) =>
      cloudConfig.addFile({
        path,
        defer: true,
        permissions: "0600",
        content: `proxy_set_header Authorization "Basic ${Fn.base64encode(`${user.username}:${user.password}`)}";\n`,
      });
    addAuthInclude(READER_AUTH_INCLUDE, search.reader);
    if (dashboardsAuthInclude) addAuthInclude(dashboardsAuthInclude, search.dashboardsReader);
    if (dashboards) this.addDashboards(cloudConfig, props, searchCaFile, ui);
  }

  /** Kibana or OpenSearch Dashboards on the front end itself, reachable only through nginx. */
  private addDashboards(cloudConfig: CloudConfigBuilder, props: FrontendProps, searchCaFile: string, ui: DashboardsUi): void {
    const { search } = props;
    const engine = search.engine;
    const key = (id: string) => new Password(this, id, { length: 48, special: false }).result;
    const savedObjects = props.savedObjects?.[ui];
    // The starter index pattern is the default one, fixed here rather than in a per-release config object.
    const defaultIndex = savedObjects ? parseSavedObjects(ui, savedObjects).objects.find((object) => object.type === "index-pattern")?.id : undefined;
    const common = {
      "server.host": "127.0.0.1",
      "server.port": DASHBOARDS_PORT,
      "server.basePath": "/dashboards",
      "server.rewriteBasePath": true,
      ...(defaultIndex ? { "uiSettings.overrides.defaultIndex": defaultIndex } : {}),
    };
    const settings =
      engine.engine === "elasticsearch"
        ? {
            ...common,
            ...(props.dnsName ? { "server.publicBaseUrl": `https://${props.dnsName}/dashboards` } : {}),
            "elasticsearch.hosts": [...search.endpoints],
            "elasticsearch.username": search.dashboardsServer.username,
            "elasticsearch.password": search.dashboardsServer.password,
            "elasticsearch.ssl.certificateAuthorities": [searchCaFile],
            "elasticsearch.ssl.verificationMode": "full",
            "xpack.security.encryptionKey": key("kibana-security-key"),
            "xpack.encryptedSavedObjects.encryptionKey": key("kibana-saved-objects-key"),
            // Visitors are the anonymous dashboards user, without a login selector; admins sign in with
            // their own account at /dashboards/login through an SSH tunnel (nginx refuses it publicly).
            "xpack.security.authc.selector.enabled": false,
            "xpack.security.authc.providers": {
              "anonymous.anonymous1": { order: 0, credentials: { username: search.dashboardsReader.username, password: search.dashboardsReader.password } },
              "basic.basic1": { order: 1 },
            },
            "console.ui.enabled": false,
          }
        : {
            ...common,
            "opensearch.hosts": [...search.endpoints],
            "opensearch.username": search.dashboardsServer.username,
            "opensearch.password": search.dashboardsServer.password,
            "opensearch.ssl.certificateAuthorities": [searchCaFile],
            "opensearch.ssl.verificationMode": "full",
            "opensearch.requestHeadersWhitelist": ["authorization", "securitytenant"],
            // Read only through the tenant: the visitors' role reads the global tenant (kibana_all_read),
            // so the security plugin hides every save and edit control, and Discover, dashboards and
            // visualizations stay open (readonly_mode.roles would hide all but home and dashboards).
            "opensearch_security.multitenancy.enabled": true,
            "opensearch_security.multitenancy.tenants.enable_global": true,
            "opensearch_security.multitenancy.tenants.enable_private": false,
            "opensearch_security.multitenancy.tenants.preferred": ["Global"],
            "console.enabled": false,
            "opensearch_security.cookie.secure": true,
            // Seals the session cookie, which carries the Basic header nginx sends: never the public default.
            "opensearch_security.cookie.password": key("dashboards-cookie-password"),
          };
    const staged = `${NODE_CONFIG_DIR}/dashboards.yml`;
    cloudConfig.addFile({ path: staged, content: stringify(settings), permissions: "0600" });
    cloudConfig.addFile({
      path: `${NODE_CONFIG_DIR}/dashboards.env`,
      content: [
        `DASHBOARDS_PACKAGE=${engine.dashboards.packageName}`,
        `DASHBOARDS_VERSION=${search.version}`,
        `DASHBOARDS_SERVICE=${engine.dashboards.serviceName}`,
        `DASHBOARDS_CONFIG=${engine.dashboards.configFile}`,
        `STAGED_CONFIG=${staged}`,
        "",
      ].join("\n"),
    });
    cloudConfig.addScript("/usr/local/sbin/install-dashboards", INSTALL_DASHBOARDS_SCRIPT);
    cloudConfig.addSystemdUnit("install-dashboards.service", {
      Unit: {
        ...INSTALLER_RETRY.Unit,
        Description: `Install and start ${engine.dashboards.packageName} ${search.version}`,
        Wants: "network-online.target",
        After: "network-online.target",
      },
      Service: {
        ...INSTALLER_RETRY.Service,
        Type: "oneshot",
        RemainAfterExit: true,
        EnvironmentFile: `${NODE_CONFIG_DIR}/dashboards.env`,
        ExecStartPre: signedAptRepositoryCommand(cloudConfig, engine.dashboards.aptRepository(search.version)),
        ExecStart: "/usr/local/sbin/install-dashboards",
        TimeoutStartSec: "30min",
      },
      Install: { WantedBy: "multi-user.target" },
    });
    if (savedObjects) this.addSavedObjectsImport(cloudConfig, search, ui, savedObjects);
  }

  /**
   * Imports the starter saved objects through the dashboards' own import API, as the dashboards
   * editor, with overwrite: every object has a fixed id, so a second import replaces them.
   */
  private addSavedObjectsImport(cloudConfig: CloudConfigBuilder, search: SearchCluster, ui: DashboardsUi, savedObjects: string): void {
    cloudConfig.addPackages("curl", "jq");
    cloudConfig.addFile({ path: SAVED_OBJECTS_FILE, content: gzipped(savedObjects), encoding: "gz+b64" });
    cloudConfig.addFile({
      path: EDITOR_CURL_CONFIG,
      permissions: "0600",
      content: `user = "${search.dashboardsEditor.username}:${search.dashboardsEditor.password}"\n`,
    });
    cloudConfig.addFile({
      path: `${NODE_CONFIG_DIR}/saved-objects.env`,
      content: [
        `DASHBOARDS_URL=http://127.0.0.1:${DASHBOARDS_PORT}/dashboards`,
        `XSRF_HEADER=${ui === "kibana" ? "kbn-xsrf" : "osd-xsrf"}`,
        `TENANT=${ui === "opensearch-dashboards" ? GLOBAL_TENANT : ""}`,
        `SAVED_OBJECTS=${SAVED_OBJECTS_FILE}`,
        `CURL_CONFIG=${EDITOR_CURL_CONFIG}`,
        "",
      ].join("\n"),
    });
    cloudConfig.addScript("/usr/local/sbin/import-saved-objects", IMPORT_SAVED_OBJECTS_SCRIPT);
    cloudConfig.addSystemdUnit("import-saved-objects.service", {
      Unit: {
        ...INSTALLER_RETRY.Unit,
        Description: "Import the dashboards' starter saved objects (overwriting, never duplicating)",
        After: "install-dashboards.service",
        Wants: "install-dashboards.service",
      },
      Service: {
        ...INSTALLER_RETRY.Service,
        Type: "oneshot",
        RemainAfterExit: true,
        EnvironmentFile: `${NODE_CONFIG_DIR}/saved-objects.env`,
        ExecStart: "/usr/local/sbin/import-saved-objects",
        TimeoutStartSec: "20min",
      },
      Install: { WantedBy: "multi-user.target" },
    });
  }
}

/**
 * Waits until the dashboards server answers, then imports the file with overwrite and fails
 * unless the answer says every object was imported. The editor's password reaches curl through
 * its config file, never the command line.
 */
export const IMPORT_SAVED_OBJECTS_SCRIPT = `: "\${DASHBOARDS_URL:?}" "\${XSRF_HEADER:?}" "\${SAVED_OBJECTS:?}" "\${CURL_CONFIG:?}"
tenant_header=()
if [ -n "\${TENANT:-}" ]; then tenant_header=(--header "securitytenant: $TENANT"); fi
for attempt in $(seq 1 "\${STATUS_ATTEMPTS:-60}"); do
  if curl --silent --fail --output /dev/null --config "$CURL_CONFIG" "\${tenant_header[@]}" "$DASHBOARDS_URL/api/status"; then break; fi
  if [ "$attempt" = "\${STATUS_ATTEMPTS:-60}" ]; then echo "the dashboards server did not answer at $DASHBOARDS_URL" >&2; exit 1; fi
  sleep "\${STATUS_WAIT_SECONDS:-10}"
done
answer=$(curl --silent --show-error --fail-with-body --config "$CURL_CONFIG" "\${tenant_header[@]}" \\
  --header "$XSRF_HEADER: true" --form "file=@$SAVED_OBJECTS;type=application/ndjson" \\
  "$DASHBOARDS_URL/api/saved_objects/_import?overwrite=true")
if [ "$(printf '%s' "$answer" | jq -r '.success')" != "true" ]; then
  echo "the import failed: $answer" >&2
  exit 1
fi
echo "imported $(printf '%s' "$answer" | jq -r '.successCount') saved objects from $SAVED_OBJECTS"
`;

/** Large files go gzipped into the user data, which Nova limits to 64 KiB of base64. */
function gzipped(text: string): string {
  return gzipSync(text, { level: 9 }).toString("base64");
}

const INSTALL_DASHBOARDS_SCRIPT = `: "\${DASHBOARDS_PACKAGE:?}" "\${DASHBOARDS_VERSION:?}" "\${DASHBOARDS_SERVICE:?}" "\${DASHBOARDS_CONFIG:?}" "\${STAGED_CONFIG:?}"
if ! dpkg-query --show --showformat='\${Status}' "$DASHBOARDS_PACKAGE" 2>/dev/null | grep -q "install ok installed"; then
  apt-get ${APT_RETRIES} update
  DEBIAN_FRONTEND=noninteractive apt-get install --yes ${APT_RETRIES} -o Dpkg::Options::=--force-confold "\${DASHBOARDS_PACKAGE}=\${DASHBOARDS_VERSION}"
  apt-mark hold "$DASHBOARDS_PACKAGE"
fi
group=$(stat --format=%G "$(dirname "$DASHBOARDS_CONFIG")")
install -m 0640 -o root -g "$group" "$STAGED_CONFIG" "$DASHBOARDS_CONFIG"
systemctl daemon-reload
systemctl enable "$DASHBOARDS_SERVICE"
systemctl restart "$DASHBOARDS_SERVICE"
`;
