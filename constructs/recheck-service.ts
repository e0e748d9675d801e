import { Fn, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { stringify } from "yaml";
import type { CloudConfigBuilder } from "../lib/cloud-init/cloud-config";
import { addPublicCertificate } from "../lib/cloud-init/public-certificate";
import { LOG_INDEX_STRFTIME } from "../lib/field-contract";
import type { BugQuery } from "../lib/queries/check";
import { renderChannelConfig, renderRecheckConfig, type IrcSettings } from "../lib/recheck/config";
import { renderDashboardNginx } from "../lib/recheck/nginx";
import { Port, type Connections, type IConnectable } from "./connections";
import type { SearchCluster } from "./search-cluster";
import { ServerRole, type ServerRoleDefaults } from "./server-role";

/** The reviewed commit of opendev/elastic-recheck. */
export const RECHECK_GIT_COMMIT = "6fc19ee5b9f4ed6fdadb5942ddc87362237e8b05";
export const RECHECK_GIT_URL = "https://opendev.org/opendev/elastic-recheck";

const USER = "recheck";
const HOME = "/var/lib/elastic-recheck";
const DATA_DIR = `${HOME}/data`;
const CONFIG_DIR = "/etc/elastic-recheck";
const QUERIES_DIR = `${CONFIG_DIR}/queries`;
const VENV = "/opt/elastic-recheck/current";
const GERRIT_KEY_FILE = `${HOME}/.ssh/id_gerrit`;
/** elastic-recheck's Python HTTP client trusts this bundle, where the cluster's CA is added. */
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
/** Programs the units run that only the recheck server has (for systemd-analyze verify in tests). */
export const RECHECK_ONLY_EXECUTABLES: readonly string[] = [`${VENV}/bin/elastic-recheck`];

/** The dashboard jobs, each every 30 minutes, 10 minutes apart, as on the old service. */
const DASHBOARD_JOBS = [
  { name: "graph-all", minute: 0, description: "bug hit graphs of all queues" },
  { name: "graph-gate", minute: 10, description: "bug hit graphs of the gate queue" },
  { name: "uncategorized", minute: 20, description: "uncategorized failure pages" },
] as const;

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
  /** @default true */
  readonly commentOnGerrit?: boolean;
  /** @default "zuul" */
  readonly ciUsername?: string;
  /** @default "(devstack|tempest|grenade)" */
  readonly jobsRe?: string;
  /** Where visitors explore the logs (Kibana), for the links the bot prints. */
  readonly logsUrl: string;
  /** @default no IRC notifications */
  readonly irc?: IrcSettings;
  /** @default RECHECK_GIT_COMMIT */
  readonly gitCommit?: string;
  /** @default the public address, with a self-signed certificate */
  readonly dnsName?: string;
  /** @default none */
  readonly acmeEmail?: string;
}

/**
 * elastic-recheck: the bot that follows Gerrit's event stream and comments when a failed job
 * matches a known bug, and its dashboard, regenerated every 30 minutes and served read-only.
 * Its secrets (the Gerrit SSH key, the IRC password) are sensitive Terraform variables; it
 * reads the cluster as the reader user.
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
      roleName: "recheck",
      description: "elastic-recheck bot and dashboard",
      count: 1,
      flavorName: props.flavorName,
      public: true,
      publicTcpPorts: [80, 443],
      configureNode: (cloudConfig, node) => this.configure(cloudConfig, props, `https://${props.dnsName ?? node.publicAddress}/elastic-recheck/`),
    });
    this.connections = this.role.connections;
    for (const port of [80, 443]) this.connections.allowFromAnyone(Port.tcp(port), `elastic-recheck dashboard on port ${port}`);
    this.connections.allowToAnyone(Port.tcp(29418), "Gerrit's SSH event stream and review commands");
    if (props.irc) this.connections.allowToAnyone(Port.tcp(props.irc.port), "IRC notifications");
    props.search.allowClient(this, "elastic-recheck reads the search cluster");
    this.dashboardUrl = `https://${props.dnsName ?? this.role.servers[0].publicIpv4Address}/elastic-recheck/`;
  }

  private configure(cloudConfig: CloudConfigBuilder, props: RecheckServiceProps, dashboardUrl: string): void {
    const { search } = props;
    cloudConfig.addPackages("python3-venv", "git", "ca-certificates");
    cloudConfig.addUser({ name: USER, system: true, shell: "/usr/sbin/nologin", lockPasswd: true });

    // The cluster's CA joins the system bundle, which the bot's HTTP client is pointed at.
    const caFile = search.addCaCertificateTo(cloudConfig);
    cloudConfig.addRuncmd(["install", "-m", "0644", caFile, "/usr/local/share/ca-certificates/ci-log-analysis-search.crt"]);
    cloudConfig.addRuncmd(["update-ca-certificates"]);

    cloudConfig.addFile({
      path: `${CONFIG_DIR}/elastic-recheck.conf`,
      owner: `root:${USER}`,
      permissions: "0640",
      defer: true,
      content: renderRecheckConfig({
        gerritHost: props.gerritHost,
        gerritUser: props.gerritUser,
        gerritKeyFile: GERRIT_KEY_FILE,
        queriesDir: QUERIES_DIR,
        esUrl: `https://${search.reader.username}:${search.reader.password}@${search.hosts[0]}`,
        lsUrl: props.logsUrl,
        indexFormat: LOG_INDEX_STRFTIME,
        jobsRe: props.jobsRe ?? "(devstack|tempest|grenade)",
        ciUsername: props.ciUsername ?? "zuul",
        irc: props.irc && this.ircPassword
          ? { ...props.irc, password: this.ircPassword.stringValue, channelConfigFile: `${CONFIG_DIR}/recheckwatchbot.yaml` }
          : undefined,
      }),
    });
    cloudConfig.addFile({ path: `${CONFIG_DIR}/recheckwatchbot.yaml`, content: renderChannelConfig(props.irc, dashboardUrl) });
    for (const query of props.queries) {
      cloudConfig.addFile({
        path: `${QUERIES_DIR}/${query.bug}.yaml`,
        content: stringify({
          query: query.query,
          ...(query.suppressGraph ? { "suppress-graph": true } : {}),
          ...(query.suppressNotification ? { "suppress-notification": true } : {}),
          ...(query.allowNonvoting ? { "allow-nonvoting": true } : {}),
          ...(query.testIds.length > 0 ? { test_ids: [...query.testIds] } : {}),
        }),
      });
    }
    cloudConfig.addFile({
      path: GERRIT_KEY_FILE,
      owner: `${USER}:${USER}`,
      permissions: "0600",
      defer: true,
      encoding: "b64",
      content: Fn.base64encode(this.gerritSshKey.stringValue),
    });
    cloudConfig.addFile({
      path: `${HOME}/.ssh/known_hosts`,
      owner: `${USER}:${USER}`,
      defer: true,
      content: `[${props.gerritHost}]:29418 ${props.gerritHostKey.split(" ").slice(0, 2).join(" ")}\n`,
    });

    cloudConfig.addFile({
      path: `${CONFIG_DIR}/install.env`,
      content: `RECHECK_GIT_URL=${RECHECK_GIT_URL}\nRECHECK_GIT_COMMIT=${props.gitCommit ?? RECHECK_GIT_COMMIT}\n`,
    });
    cloudConfig.addScript("/usr/local/sbin/elastic-recheck-install", INSTALL_SCRIPT);
    cloudConfig.addSystemdUnit("elastic-recheck-install.service", {
      Unit: { Description: "Install the pinned elastic-recheck into a virtualenv", Wants: "network-online.target", After: "network-online.target" },
      Service: {
        Type: "oneshot",
        RemainAfterExit: true,
        EnvironmentFile: `${CONFIG_DIR}/install.env`,
        ExecStart: "/usr/local/sbin/elastic-recheck-install",
        TimeoutStartSec: "30min",
      },
      Install: { WantedBy: "multi-user.target" },
    });
    const service = {
      User: USER,
      Group: USER,
      WorkingDirectory: HOME,
      Environment: `REQUESTS_CA_BUNDLE=${CA_BUNDLE}`,
      NoNewPrivileges: true,
      ProtectSystem: "strict",
      ReadWritePaths: HOME,
      PrivateTmp: true,
    };
    const flags = [...(props.irc ? [] : ["--noirc"]), ...((props.commentOnGerrit ?? true) ? [] : ["--nocomment"])];
    cloudConfig.addSystemdUnit("elastic-recheck.service", {
      Unit: {
        Description: "elastic-recheck bot: classifies CI failures from Gerrit's event stream",
        After: ["elastic-recheck-install.service", "network-online.target"],
        Requires: "elastic-recheck-install.service",
        Wants: "network-online.target",
      },
      Service: {
        ...service,
        ExecStart: [`${VENV}/bin/elastic-recheck`, "--foreground", ...flags, `${CONFIG_DIR}/elastic-recheck.conf`].join(" "),
        Restart: "on-failure",
        RestartSec: "30s",
      },
      Install: { WantedBy: "multi-user.target" },
    });

    cloudConfig.addScript("/usr/local/sbin/elastic-recheck-dashboard", DASHBOARD_SCRIPT);
    for (const job of DASHBOARD_JOBS) {
      cloudConfig.addSystemdUnit(`elastic-recheck-${job.name}.service`, {
        Unit: { Description: `elastic-recheck dashboard: ${job.description}`, After: "elastic-recheck-install.service" },
        Service: {
          ...service,
          Type: "oneshot",
          Environment: [`REQUESTS_CA_BUNDLE=${CA_BUNDLE}`, `VENV=${VENV}`, `QUERIES_DIR=${QUERIES_DIR}`, `DATA_DIR=${DATA_DIR}`, `CONFIG=${CONFIG_DIR}/elastic-recheck.conf`],
          ExecStart: `/usr/local/sbin/elastic-recheck-dashboard ${job.name}`,
          // A run that hangs is stopped before the next one is due.
          TimeoutStartSec: "25min",
        },
      }, { enable: false, start: false });
      // A timer never starts its service again while the previous run is still active.
      cloudConfig.addSystemdUnit(`elastic-recheck-${job.name}.timer`, {
        Unit: { Description: `Every 30 minutes: elastic-recheck ${job.description}` },
        Timer: { OnCalendar: `*-*-* *:${String(job.minute).padStart(2, "0")}/30:00`, AccuracySec: "1min" },
        Install: { WantedBy: "timers.target" },
      });
    }

    const certificate = addPublicCertificate(cloudConfig, { dnsName: props.dnsName, acmeEmail: props.acmeEmail });
    cloudConfig.addFile({
      path: "/etc/nginx/nginx.conf",
      defer: true,
      content: renderDashboardNginx({
        serverName: props.dnsName ?? "_",
        webRoot: `${VENV}/share/elastic-recheck`,
        dataDir: DATA_DIR,
        tlsCertificateFile: certificate.certificateFile,
        tlsKeyFile: certificate.keyFile,
        acmeWebroot: certificate.acmeWebroot,
      }),
    });
  }
}

const INSTALL_SCRIPT = `: "\${RECHECK_GIT_URL:?}" "\${RECHECK_GIT_COMMIT:?}"
root=/opt/elastic-recheck
venv="$root/$RECHECK_GIT_COMMIT"
if [ ! -x "$venv/bin/elastic-recheck" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "git+$RECHECK_GIT_URL@$RECHECK_GIT_COMMIT"
fi
ln -sfn "$venv" "$root/current"
install -d -o ${USER} -g ${USER} -m 0755 ${HOME} ${DATA_DIR}
`;

/** Runs one dashboard job into a temporary file and moves it into place, so visitors never read half a file. */
const DASHBOARD_SCRIPT = `: "\${VENV:?}" "\${QUERIES_DIR:?}" "\${DATA_DIR:?}" "\${CONFIG:?}"
job=\${1:?usage: $0 graph-all|graph-gate|uncategorized}
cd "$DATA_DIR"
case "$job" in
  graph-all)
    "$VENV/bin/elastic-recheck-graph" -c "$CONFIG" -o all-new.json "$QUERIES_DIR"
    mv all-new.json all.json
    ;;
  graph-gate)
    "$VENV/bin/elastic-recheck-graph" -c "$CONFIG" -q gate -o gate-new.json "$QUERIES_DIR"
    mv gate-new.json gate.json
    ;;
  uncategorized)
    rm -rf new
    mkdir new
    "$VENV/bin/elastic-recheck-uncategorized" -c "$CONFIG" -d "$QUERIES_DIR" \\
      -t "$VENV/share/elastic-recheck/templates" -o new
    mv new/*.html .
    rmdir new
    ;;
  *)
    echo "unknown dashboard job $job" >&2
    exit 2
    ;;
esac
`;
