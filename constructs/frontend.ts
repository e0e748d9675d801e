import { Password } from "@cdktf/provider-random/lib/password";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { stringify } from "yaml";
import { DnsRecordsetV2 } from "../.gen/providers/openstack/dns-recordset-v2";
import { NODE_CONFIG_DIR, type CloudConfigBuilder } from "../lib/cloud-init/cloud-config";
import { addPublicCertificate } from "../lib/cloud-init/public-certificate";
import { signedAptRepositoryCommand } from "../lib/cloud-init/signed-apt-repository";
import { APT_RETRIES, INSTALLER_RETRY } from "../lib/cloud-init/systemd-unit";
import { renderFrontendNginx } from "../lib/frontend/nginx";
import { CLUSTER_TLS_NAME, DASHBOARDS_READER_ROLE } from "../lib/search/engine";
import { Port, type Connections, type IConnectable } from "./connections";
import type { Credentials, SearchCluster } from "./search-cluster";
import { ServerRole, type ServerRoleDefaults } from "./server-role";

const READER_AUTH_INCLUDE = "/etc/nginx/search-reader-auth.conf";
const DASHBOARDS_AUTH_INCLUDE = "/etc/nginx/dashboards-reader-auth.conf";
const DASHBOARDS_PORT = 5601;

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
  /** @default 10 */
  readonly requestsPerSecond?: number;
  /** @default 1024 */
  readonly maxRequestBodyKib?: number;
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
      configureNode: (cloudConfig) => this.configure(cloudConfig, props, dashboards),
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

  private configure(cloudConfig: CloudConfigBuilder, props: FrontendProps, dashboards: boolean): void {
    const { search } = props;
    // OpenSearch Dashboards has no anonymous login here: nginx signs its visitors in.
    const dashboardsAuthInclude = dashboards && search.engine.engine === "opensearch" ? DASHBOARDS_AUTH_INCLUDE : undefined;
    const certificate = addPublicCertificate(cloudConfig, props);
    const searchCaFile = search.addCaCertificateTo(cloudConfig);
    // Written after the packages are installed, so that nginx's own install starts it with its default configuration.
    cloudConfig.addFile({
      path: "/etc/nginx/nginx.conf",
      defer: true,
      content: renderFrontendNginx({
        serverName: props.dnsName ?? "_",
        searchUpstreams: search.hosts,
        upstreamCaFile: searchCaFile,
        upstreamTlsName: CLUSTER_TLS_NAME,
        tlsCertificateFile: certificate.certificateFile,
        tlsKeyFile: certificate.keyFile,
        readerAuthInclude: READER_AUTH_INCLUDE,
        acmeWebroot: certificate.acmeWebroot,
        dashboards: dashboards
          ? { upstream: `127.0.0.1:${DASHBOARDS_PORT}`, ui: search.engine.engine === "opensearch" ? "opensearch-dashboards" : "kibana", authInclude: dashboardsAuthInclude }
          : undefined,
        requestsPerSecond: props.requestsPerSecond ?? 10,
        maxRequestBodyKib: props.maxRequestBodyKib ?? 1024,
      }),
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
    if (dashboards) this.addDashboards(cloudConfig, props, searchCaFile);
  }

  /** Kibana or OpenSearch Dashboards on the front end itself, reachable only through nginx. */
  private addDashboards(cloudConfig: CloudConfigBuilder, props: FrontendProps, searchCaFile: string): void {
    const { search } = props;
    const engine = search.engine;
    const key = (id: string) => new Password(this, id, { length: 48, special: false }).result;
    const common = {
      "server.host": "127.0.0.1",
      "server.port": DASHBOARDS_PORT,
      "server.basePath": "/dashboards",
      "server.rewriteBasePath": true,
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
            "xpack.security.authc.providers": {
              "anonymous.anonymous1": { order: 0, credentials: { username: search.dashboardsReader.username, password: search.dashboardsReader.password } },
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
            "opensearch_security.multitenancy.enabled": false,
            "opensearch_security.readonly_mode.roles": [DASHBOARDS_READER_ROLE],
            "console.enabled": false,
            "opensearch_security.cookie.secure": true,
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
  }
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
