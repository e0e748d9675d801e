import { gzipSync } from "node:zlib";
import { Fn, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import type { CloudConfigBuilder } from "../lib/cloud-init/cloud-config";
import { addPublicCertificate } from "../lib/cloud-init/public-certificate";
import { LOG_INDEX_PATTERN } from "../lib/field-contract";
import { renderQueryFile, type BugQuery } from "../lib/queries/bug-query";
import { renderDashboardNginx } from "../lib/recheck/nginx";
import { allProjectsChannels, CREDENTIAL_NAMES, renderServiceConfig, SERVICE_DEFAULTS, type IrcChannel, type RecheckServiceConfig, type SuggestionSettings } from "../lib/recheck/service-config";
import { Port, type Connections, type IConnectable } from "./connections";
import type { SearchCluster } from "./search-cluster";
import { ServerRole, type ServerNode, type ServerRoleDefaults } from "./server-role";

const USER = "recheck";
const CONFIG_DIR = "/etc/recheck";
const CREDENTIALS_DIR = `${CONFIG_DIR}/credentials`;
const QUERIES_DIR = `${CONFIG_DIR}/queries`;
const BUNDLE = "/usr/local/lib/recheck/recheck.js";
/** systemd's StateDirectory=recheck. */
const STATE_DIR = "/var/lib/recheck";
const DASHBOARD_DIR = `${STATE_DIR}/dashboard`;
export const RECHECK_UNIT = "recheck.service";
const ROLE_NAME = "recheck";

/** The recheck server's name (ServerRole's `<deployment>-<role>-1`), which the monitoring names before the service exists. */
export function recheckServerName(deploymentName: string): string {
  return `${deploymentName}-${ROLE_NAME}-1`;
}
/** Programs the units run that only the recheck server has (for systemd-analyze verify in tests). */
export const RECHECK_ONLY_EXECUTABLES: readonly string[] = ["/usr/bin/node"];

export interface IrcSettings {
  readonly server: string;
  readonly port: number;
  readonly nick: string;
  /** Channel name (without #) → the projects announced there and which events. */
  readonly channels: Readonly<Record<string, IrcChannel>>;
}

export interface RecheckServiceProps {
  readonly servers: ServerRoleDefaults;
  readonly flavorName: string;
  readonly search: SearchCluster;
  /** The bug queries the bot classifies failures with. */
  readonly queries: readonly BugQuery[];
  readonly gerritHost: string;
  readonly gerritUser: string;
  /** Gerrit's SSH host key line (public). */
  readonly gerritHostKey: string;
  /** Gerrit's addresses (CIDR), the only ones port 29418 may reach. @default any address */
  readonly gerritAddresses?: readonly string[];
  /** The IRC server's addresses (CIDR), the only ones the IRC port may reach. @default any address */
  readonly ircAddresses?: readonly string[];
  /** @default true */
  readonly commentOnGerrit?: boolean;
  /** @default "zuul" */
  readonly ciUsername?: string;
  /** @default "(devstack|tempest|grenade)" */
  readonly jobsRe?: string;
  /** Zuul tenants whose logs are indexed: the bot waits only on their failures. */
  readonly tenants: readonly string[];
  /** Where visitors explore the logs (Kibana), for the links the bot prints. */
  readonly logsUrl: string;
  /** @default no IRC notifications */
  readonly irc?: IrcSettings;
  /**
   * Announce the monitoring's alerts in this IRC channel (without #), which the bot joins: they
   * arrive at the alert receiver with this bearer token (Monitoring.alertReceiverToken). Needs irc.
   * @default no alert receiver
   */
  readonly alertReceiver?: { readonly channel: string; readonly token: string; readonly statusPageUrl?: string };
  /** The service's JavaScript (lib/recheck/bundle.ts), written gzipped into the user data. */
  readonly serviceBundle: string;
  /** Days of history in the dashboard graphs: the index retention. @default 10 */
  readonly dashboardDays?: number;
  /** Between two looks at the index for a failed build's logs. @default 40 */
  readonly pollSeconds?: number;
  /** The bot gives up on a build whose logs are not indexed by then. @default 20 */
  readonly logsTimeoutMinutes?: number;
  /** Suggested bug signatures. @default SERVICE_DEFAULTS.suggestions, the baseline no longer than dashboardDays */
  readonly suggestions?: SuggestionSettings;
  /** @default the public address, with a self-signed certificate */
  readonly dnsName?: string;
  /** @default none */
  readonly acmeEmail?: string;
}

/**
 * The recheck service (services/recheck): the bot that follows Gerrit's event stream and
 * comments when a failed job matches a known bug, and its dashboard, served read-only by nginx.
 * It runs under systemd as its own user with the distribution's Node.js; its secrets (the
 * Gerrit SSH key, the cluster password, the IRC password) reach it as systemd credentials.
 */
export class RecheckService extends Construct implements IConnectable {
  readonly role: ServerRole;
  readonly connections: Connections;
  readonly gerritSshKey: TerraformVariable;
  readonly ircPassword?: TerraformVariable;
  /** `https://<name or address>/elastic-recheck/` */
  readonly dashboardUrl: string;

  constructor(scope: Construct, id: string, props: RecheckServiceProps) {
    super(scope, id);
    if (props.dnsName && !props.acmeEmail) {
      throw new Error(`RecheckService ${this.node.path}: dnsName ${props.dnsName} needs acmeEmail for Let's Encrypt.`);
    }
    if (props.alertReceiver && !props.irc) {
      throw new Error(`RecheckService ${this.node.path}: alertReceiver announces alerts on IRC; it needs irc too.`);
    }
    const ircMinBuilds = props.suggestions?.ircMinBuilds;
    if (ircMinBuilds !== undefined && allProjectsChannels(props.irc?.channels ?? {}, "negative").length === 0) {
      throw new Error(`RecheckService ${this.node.path}: suggestions.ircMinBuilds ${ircMinBuilds} says suggestions on IRC; it needs irc with a channel of projects ["all"] and events ["negative"].`);
    }
    // Variables are named at the stack's top level, as admins pass them: --var recheck_gerrit_ssh_private_key=...
    this.gerritSshKey = new TerraformVariable(scope, "recheck_gerrit_ssh_private_key", {
      type: "string",
      sensitive: true,
      nullable: false,
      description: `Private SSH key of the Gerrit account ${props.gerritUser} on ${props.gerritHost} (OpenSSH format).`,
    });
    if (props.irc) {
      this.ircPassword = new TerraformVariable(scope, "recheck_irc_password", {
        type: "string",
        sensitive: true,
        nullable: false,
        description: `Password of the IRC nick ${props.irc.nick} on ${props.irc.server}.`,
      });
    }
    this.role = new ServerRole(this, "server", {
      ...props.servers,
      roleName: ROLE_NAME,
      description: "recheck bot and dashboard",
      count: 1,
      flavorName: props.flavorName,
      public: true,
      publicTcpPorts: [80, 443],
      configureNode: (cloudConfig, node) => this.configure(cloudConfig, props, `https://${props.dnsName ?? node.publicAddress}/elastic-recheck/`, node),
    });
    if (this.role.nodes[0].name !== recheckServerName(props.servers.deploymentName)) {
      throw new Error(`RecheckService ${this.node.path}: its server is ${this.role.nodes[0].name}, not ${recheckServerName(props.servers.deploymentName)} as recheckServerName says`);
    }
    this.connections = this.role.connections;
    for (const port of [80, 443]) this.connections.allowFromAnyone(Port.tcp(port), `elastic-recheck dashboard on port ${port}`);
    const egress = (addresses: readonly string[] | undefined, port: Port, description: string) =>
      addresses ? this.connections.allowToPrefixes(addresses, port, description) : this.connections.allowToAnyone(port, description);
    egress(props.gerritAddresses, Port.tcp(29418), "Gerrit's SSH event stream and review commands");
    if (props.irc) egress(props.ircAddresses, Port.tcp(props.irc.port), "IRC notifications");
    props.search.allowClient(this, "the recheck bot reads the search cluster");
    this.dashboardUrl = `https://${props.dnsName ?? this.role.servers[0].publicIpv4Address}/elastic-recheck/`;
  }

  private configure(cloudConfig: CloudConfigBuilder, props: RecheckServiceProps, dashboardUrl: string, node: ServerNode): void {
    const { search } = props;
    const gerritPort = 29418;
    cloudConfig.addPackages("nodejs", "openssh-client", "ca-certificates");
    cloudConfig.addUser({ name: USER, system: true, shell: "/usr/sbin/nologin", lockPasswd: true });
    cloudConfig.addFile({ path: BUNDLE, content: gzipSync(props.serviceBundle, { level: 9 }).toString("base64"), encoding: "gz+b64" });

    const knownHostsFile = `${CONFIG_DIR}/gerrit_known_hosts`;
    cloudConfig.addFile({ path: knownHostsFile, content: `[${props.gerritHost}]:${gerritPort} ${props.gerritHostKey.split(" ").slice(0, 2).join(" ")}\n` });
    for (const query of props.queries) cloudConfig.addFile({ path: `${QUERIES_DIR}/${query.bug}.yaml`, content: renderQueryFile(query) });

    const settings: RecheckServiceConfig = {
      gerrit: { host: props.gerritHost, port: gerritPort, user: props.gerritUser, knownHostsFile, comment: props.commentOnGerrit ?? true },
      ciUsername: props.ciUsername ?? "zuul",
      jobsRe: props.jobsRe ?? "(devstack|tempest|grenade)",
      tenants: props.tenants,
      search: { urls: search.endpoints, username: search.reader.username, caFile: search.addCaCertificateTo(cloudConfig), indexPattern: LOG_INDEX_PATTERN },
      queriesDir: QUERIES_DIR,
      logsUrl: props.logsUrl,
      dashboardUrl,
      wait: { pollSeconds: props.pollSeconds ?? SERVICE_DEFAULTS.pollSeconds, timeoutSeconds: (props.logsTimeoutMinutes ?? SERVICE_DEFAULTS.timeoutSeconds / 60) * 60 },
      dashboard: { intervalSeconds: SERVICE_DEFAULTS.dashboardIntervalSeconds, days: props.dashboardDays ?? 10, uncategorizedHours: SERVICE_DEFAULTS.uncategorizedHours },
      suggestions: props.suggestions ?? { ...SERVICE_DEFAULTS.suggestions, baselineDays: Math.min(SERVICE_DEFAULTS.suggestions.baselineDays, props.dashboardDays ?? 10) },
      ...(props.irc ? { irc: { server: props.irc.server, port: props.irc.port, nick: props.irc.nick, channels: props.irc.channels } } : {}),
      ...(props.alertReceiver
        ? { alerts: { port: SERVICE_DEFAULTS.alertReceiverPort, channel: props.alertReceiver.channel, statusPageUrl: props.alertReceiver.statusPageUrl } }
        : {}),
      healthPort: SERVICE_DEFAULTS.healthPort,
      // The security group lets only the monitoring server reach it (constructs/monitoring.ts).
      healthAddress: "0.0.0.0",
    };
    cloudConfig.addFile({ path: `${CONFIG_DIR}/recheck.json`, content: renderServiceConfig(settings) });

    // Root-only files; systemd hands them to the service in $CREDENTIALS_DIRECTORY. OpenSSH
    // refuses a key without its final newline (`error in libcrypto`), which `"$(cat key)"` strips:
    // the key is written with exactly one, and with Unix line ends, whatever the variable holds.
    // The arguments hold Terraform escapes (a backslash, then n or r): cdktf writes them as they are.
    const credentials: [string, string][] = [
      [CREDENTIAL_NAMES.gerritKey, Fn.format("%s\\n", [Fn.replace(Fn.trimspace(this.gerritSshKey.stringValue), "\\r", "")])],
      [CREDENTIAL_NAMES.searchPassword, search.reader.password],
      ...(this.ircPassword ? [[CREDENTIAL_NAMES.ircPassword, this.ircPassword.stringValue] as [string, string]] : []),
      ...(props.alertReceiver ? [[CREDENTIAL_NAMES.alertReceiverToken, props.alertReceiver.token] as [string, string]] : []),
    ];
    for (const [name, value] of credentials) {
      cloudConfig.addFile({ path: `${CREDENTIALS_DIR}/${name}`, permissions: "0600", encoding: "b64", content: Fn.base64encode(value) });
    }
    cloudConfig.addSystemdUnit(RECHECK_UNIT, {
      Unit: {
        Description: "Recheck bot and dashboard: classifies CI failures from Gerrit's event stream",
        Wants: "network-online.target",
        After: "network-online.target",
      },
      Service: {
        Type: "exec",
        User: USER,
        Group: USER,
        ExecStart: `/usr/bin/node ${BUNDLE} ${CONFIG_DIR}/recheck.json`,
        LoadCredential: credentials.map(([name]) => `${name}:${CREDENTIALS_DIR}/${name}`),
        StateDirectory: "recheck",
        // nginx serves the dashboard from the state directory.
        StateDirectoryMode: "0755",
        Restart: "always",
        RestartSec: "10s",
        NoNewPrivileges: true,
        ProtectSystem: "strict",
        ProtectHome: true,
        PrivateTmp: true,
        PrivateDevices: true,
        ProtectKernelTunables: true,
        ProtectControlGroups: true,
        RestrictSUIDSGID: true,
        MemoryMax: "1G",
      },
      Install: { WantedBy: "multi-user.target" },
    });

    const certificate = addPublicCertificate(cloudConfig, {
      dnsName: props.dnsName,
      acmeEmail: props.acmeEmail,
      publicAddress: node.publicAddress,
    });
    cloudConfig.addFile({
      path: "/etc/nginx/nginx.conf",
      defer: true,
      content: renderDashboardNginx({
        serverName: props.dnsName ?? "_",
        webRoot: DASHBOARD_DIR,
        dataDir: `${DASHBOARD_DIR}/data`,
        tlsCertificateFile: certificate.certificateFile,
        tlsKeyFile: certificate.keyFile,
        acmeWebroot: certificate.acmeWebroot,
      }),
    });
  }
}
