import { gzipSync } from "node:zlib";
import { Password } from "@cdktf/provider-random/lib/password";
import { Fn, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import type { ComputeInstanceV2 } from "../.gen/providers/openstack/compute-instance-v2";
import { NODE_CONFIG_DIR, type CloudConfigBuilder } from "../lib/cloud-init/cloud-config";
import { INSTALLER_RETRY, type UnitSections } from "../lib/cloud-init/systemd-unit";
import { alertRuleGroups, renderRuleFile, type AlertRuleSettings } from "../lib/monitoring/alert-rules";
import { addNginxExporter, addNodeExporter } from "../lib/monitoring/exporters";
import {
  PROMETHEUS_CONFIG_DIR,
  renderAlertmanagerConfig,
  renderBlackboxConfig,
  renderPrometheusConfig,
  RULES_FILE,
  TARGETS_DIR,
} from "../lib/monitoring/prometheus-config";
import { bashScript, MONITORING_SCRIPTS } from "../lib/monitoring/scripts";
import { ALERT_RECEIVER_PATH, SERVICE_DEFAULTS } from "../lib/recheck/service-config";
import { renderStatusPage, STATUS_PAGE_DIR, STATUS_PAGE_FILE } from "../lib/monitoring/status-page";
import {
  ALERTMANAGER_PORT,
  BLACKBOX_PORT,
  FIRST_SEARCH_EXPORTER_PORT,
  PROMETHEUS_PORT,
  SCRAPE_PORTS,
  TARGET_METADATA_PREFIX,
  targetMetadata,
  type ScrapeJob,
} from "../lib/monitoring/targets";
import { Port, type Connections, type IConnectable } from "./connections";
import type { SearchCluster } from "./search-cluster";
import { ServerRole, type ServerRoleDefaults } from "./server-role";

/** The dedicated server's protected volume: the metrics history and Alertmanager's silences. */
export const MONITORING_STORAGE = "/srv/monitoring";
/** Fixed address block of the dedicated server on tenant networks (search nodes have 0 and 1). */
const ADDRESS_BLOCK = 2;
const SEARCH_EXPORTER_DIR = `${NODE_CONFIG_DIR}/search-exporter`;
const SEARCH_EXPORTER_SECRETS = `${NODE_CONFIG_DIR}/search-exporter.secrets`;
const ALERTMANAGER_CONFIG = `${PROMETHEUS_CONFIG_DIR}/alertmanager.yml`;
const SMTP_PASSWORD_FILE = `${PROMETHEUS_CONFIG_DIR}/smtp-password`;
const ALERT_RECEIVER_TOKEN_FILE = `${PROMETHEUS_CONFIG_DIR}/alert-receiver-token`;
const PACKAGES = ["prometheus", "prometheus-alertmanager", "prometheus-elasticsearch-exporter", "prometheus-blackbox-exporter"];
/** Programs the units run that only the monitoring server has (for systemd-analyze verify in tests). */
export const MONITORING_ONLY_EXECUTABLES: readonly string[] = [
  "/usr/bin/prometheus", "/usr/bin/prometheus-alertmanager", "/usr/bin/prometheus-blackbox-exporter", "/usr/bin/prometheus-node-exporter",
];

export interface EmailAlerts {
  /** `host:port` of the SMTP server. */
  readonly smarthost: string;
  readonly from: string;
  readonly to: readonly string[];
  /** SMTP login; its password is the sensitive variable monitoring_smtp_password. @default no authentication */
  readonly username?: string;
  /** @default true */
  readonly requireTls?: boolean;
}

export interface MonitoringProps {
  readonly servers: ServerRoleDefaults;
  /**
   * Run on this role's server instead of a server of its own (the front end's): its history
   * is then on that server's root disk, lost when the server is replaced.
   * @default a dedicated server
   */
  readonly host?: ServerRole;
  /** The jobs the host role itself serves (scraped on loopback). @default ["node"] */
  readonly hostJobs?: readonly ScrapeJob[];
  /** Flavor of the dedicated server; required without `host`. */
  readonly flavorName?: string;
  /** The dedicated server's protected volume. @default 20 */
  readonly volumeSizeGiB?: number;
  readonly search: SearchCluster;
  readonly rules: AlertRuleSettings;
  /** Days of metrics history. @default 30 */
  readonly retentionDays?: number;
  /** @default no e-mail */
  readonly email?: EmailAlerts;
  /** Post alerts to the URL in the sensitive variable monitoring_alert_webhook_url. @default no webhook */
  readonly webhook?: { readonly sendResolved?: boolean };
  /**
   * Announce alerts on IRC: Alertmanager posts them to the recheck service's alert receiver on the
   * server of this name, with the token alertReceiverToken (give it to the RecheckService), and
   * the stack opens the receiver's port to this server. The name, not the address: the discovery
   * keeps the watched servers' addresses in /etc/hosts, so a replaced recheck server is found.
   * @default no IRC
   */
  readonly ircAlerts?: { readonly receiverServerName: string; readonly sendResolved?: boolean };
}

/**
 * Prometheus, Alertmanager and the exporters that read the search cluster, from the
 * distribution's packages, on a small server of their own (or the front end's). Other roles are
 * added with `watch(role, jobs)`: it installs the node exporter (and the nginx exporter) on their
 * servers, opens their scrape ports to this server only, and lists them in this server's Nova
 * metadata, where the discovery timer finds them (lib/monitoring/targets.ts).
 */
export class Monitoring extends Construct implements IConnectable {
  readonly role: ServerRole;
  readonly connections: Connections;
  /** `address:port` of Prometheus, for the front end's status page. */
  readonly statusPageUpstream: string;
  /** The bearer token Alertmanager sends to the IRC alert receiver (with ircAlerts). */
  readonly alertReceiverToken?: string;
  private readonly instance: ComputeInstanceV2;
  private readonly hostJobs: readonly ScrapeJob[];
  private readonly deploymentName: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.deploymentName = props.servers.deploymentName;
    this.hostJobs = props.hostJobs ?? ["node"];
    if (props.ircAlerts) this.alertReceiverToken = new Password(this, "alert-receiver-token", { length: 48, special: false }).result;
    if (props.host) {
      if (props.host.nodes.length !== 1) throw new Error(`Monitoring ${this.node.path}: the host role has ${props.host.nodes.length} servers; monitoring runs on exactly one`);
      this.role = props.host;
      this.role.addToEachNode((cloudConfig, node) => this.configure(cloudConfig, props, node.name));
    } else {
      if (!props.flavorName) throw new Error(`Monitoring ${this.node.path}: a dedicated server needs flavorName`);
      this.role = new ServerRole(this, "server", {
        ...props.servers,
        roleName: "monitoring",
        description: "Prometheus and Alertmanager",
        count: 1,
        flavorName: props.flavorName,
        stateful: true,
        fixedAddressBlock: ADDRESS_BLOCK,
        dataVolume: { sizeGiB: props.volumeSizeGiB ?? 20, mountPath: MONITORING_STORAGE },
        configureNode: (cloudConfig, node) => this.configure(cloudConfig, props, node.name),
      });
    }
    this.connections = this.role.connections;
    this.instance = this.role.servers[0].instance;
    this.statusPageUpstream = props.host ? `127.0.0.1:${PROMETHEUS_PORT}` : `${this.role.nodes[0].address}:${PROMETHEUS_PORT}`;
    if (props.email) {
      const port = Number(props.email.smarthost.split(":").pop());
      this.connections.allowToAnyone(Port.tcp(port), "Alerts by e-mail to the SMTP server");
    }
    // Egress to HTTPS (webhooks) is open for every role already (constructs/server-role.ts).
  }

  /**
   * Scrapes the servers of `role`: `jobs` on their usual ports (SCRAPE_PORTS), or those of
   * `ports`. Every watched server gets the node exporter; a role with the `nginx` job, the nginx
   * exporter too.
   */
  watch(role: ServerRole, jobs: readonly ScrapeJob[], ports: Partial<Record<ScrapeJob, number>> = {}): void {
    role.addToEachNode((cloudConfig) => {
      addNodeExporter(cloudConfig);
      if (jobs.includes("nginx")) addNginxExporter(cloudConfig);
    });
    if (role === this.role) {
      const missing = jobs.filter((job) => !this.hostJobs.includes(job));
      if (missing.length > 0) throw new Error(`Monitoring ${this.node.path}: the host serves ${missing.join(", ")}; pass them in hostJobs so that they are scraped on loopback`);
      return;
    }
    for (const job of jobs) {
      role.connections.allowFrom(this, Port.tcp(ports[job] ?? SCRAPE_PORTS[job]), `The monitoring server scrapes ${job}`);
    }
    for (const node of role.nodes) {
      const [key, value] = targetMetadata({ server: node.name, role: this.roleOf(node.name), address: node.address, jobs, ports });
      this.instance.addOverride(`metadata.${key}`, value);
    }
  }

  /** `<deployment>-<role>-<n>` (ServerRole) without the deployment and the number. */
  private roleOf(serverName: string): string {
    return serverName.slice(this.deploymentName.length + 1).replace(/-[0-9]+$/, "");
  }

  private configure(cloudConfig: CloudConfigBuilder, props: MonitoringProps, serverName: string): void {
    const dedicated = !props.host;
    const storage = dedicated ? MONITORING_STORAGE : "/var/lib/prometheus";
    const roleName = this.roleOf(serverName);
    cloudConfig.addPackages("curl", "jq");
    const searchCa = props.search.addCaCertificateTo(cloudConfig);

    // Gzipped: the rules and the page alone would take a third of Nova's user data limit.
    const addGzipped = (path: string, content: string, permissions = "0644") =>
      cloudConfig.addFile({ path, content: gzipSync(content, { level: 9 }).toString("base64"), encoding: "gz+b64", permissions });
    addGzipped(`${PROMETHEUS_CONFIG_DIR}/prometheus.yml`, renderPrometheusConfig({ deploymentName: props.servers.deploymentName, localJobs: this.hostJobs, serverName, role: roleName }));
    addGzipped(RULES_FILE, renderRuleFile(alertRuleGroups(props.rules)));
    addGzipped(`${STATUS_PAGE_DIR}/${STATUS_PAGE_FILE}`, renderStatusPage(props.servers.deploymentName));
    cloudConfig.addFile({ path: `${PROMETHEUS_CONFIG_DIR}/blackbox.yml`, content: renderBlackboxConfig(searchCa) });

    const secretFiles: string[] = [];
    const variable = (name: string, description: string) =>
      new TerraformVariable(this.node.scope!, name, { type: "string", sensitive: true, nullable: false, description }).stringValue;
    let passwordFile: string | undefined;
    if (props.email?.username) {
      const password = variable("monitoring_smtp_password", `SMTP password of ${props.email.username} on ${props.email.smarthost}, for the alert e-mails.`);
      cloudConfig.addFile({ path: SMTP_PASSWORD_FILE, permissions: "0600", encoding: "b64", content: Fn.base64encode(password) });
      secretFiles.push(SMTP_PASSWORD_FILE);
      passwordFile = SMTP_PASSWORD_FILE;
    }
    const webhookUrl = props.webhook
      ? Fn.jsonencode(variable("monitoring_alert_webhook_url", "URL alerts are posted to (Alertmanager's webhook JSON); it usually carries a token."))
      : undefined;
    if (this.alertReceiverToken) {
      cloudConfig.addFile({ path: ALERT_RECEIVER_TOKEN_FILE, permissions: "0600", encoding: "b64", content: Fn.base64encode(this.alertReceiverToken) });
      secretFiles.push(ALERT_RECEIVER_TOKEN_FILE);
    }
    cloudConfig.addFile({
      path: ALERTMANAGER_CONFIG,
      permissions: "0600",
      content: renderAlertmanagerConfig({
        email: props.email
          ? { smarthost: props.email.smarthost, from: props.email.from, to: props.email.to, username: props.email.username, passwordFile, requireTls: props.email.requireTls ?? true }
          : undefined,
        webhook: webhookUrl ? { url: webhookUrl, sendResolved: props.webhook?.sendResolved ?? true } : undefined,
        irc: props.ircAlerts
          ? {
              url: `http://${props.ircAlerts.receiverServerName}:${SERVICE_DEFAULTS.alertReceiverPort}${ALERT_RECEIVER_PATH}`,
              tokenFile: ALERT_RECEIVER_TOKEN_FILE,
              sendResolved: props.ircAlerts.sendResolved ?? true,
            }
          : undefined,
      }),
    });
    secretFiles.push(ALERTMANAGER_CONFIG);
    cloudConfig.addFile({
      path: SEARCH_EXPORTER_SECRETS,
      permissions: "0600",
      content: `ES_USERNAME=${props.search.monitor.username}\nES_PASSWORD=${props.search.monitor.password}\nES_CA=${searchCa}\n`,
    });

    const listen = dedicated ? `0.0.0.0:${PROMETHEUS_PORT}` : `127.0.0.1:${PROMETHEUS_PORT}`;
    const execStart = (command: string[]): UnitSections => ({
      ...(dedicated ? { Unit: { RequiresMountsFor: MONITORING_STORAGE } } : {}),
      Service: { ExecStart: ["", command.join(" ")], Restart: "always", RestartSec: "10s" },
    });
    cloudConfig.addSystemdDropIn("prometheus.service", "ci-log-analysis", execStart([
      "/usr/bin/prometheus",
      `--config.file=${PROMETHEUS_CONFIG_DIR}/prometheus.yml`,
      `--storage.tsdb.path=${storage}/prometheus`,
      `--storage.tsdb.retention.time=${props.retentionDays ?? 30}d`,
      `--web.listen-address=${listen}`,
      `--web.console.templates=${STATUS_PAGE_DIR}`,
      `--web.console.libraries=${STATUS_PAGE_DIR}`,
    ]));
    cloudConfig.addSystemdDropIn("prometheus-alertmanager.service", "ci-log-analysis", execStart([
      "/usr/bin/prometheus-alertmanager",
      `--config.file=${ALERTMANAGER_CONFIG}`,
      `--storage.path=${storage}/alertmanager`,
      `--web.listen-address=127.0.0.1:${ALERTMANAGER_PORT}`,
      // A single Alertmanager: no gossip port.
      "--cluster.listen-address=",
    ]));
    cloudConfig.addSystemdDropIn("prometheus-blackbox-exporter.service", "ci-log-analysis", execStart([
      "/usr/bin/prometheus-blackbox-exporter",
      `--config.file=${PROMETHEUS_CONFIG_DIR}/blackbox.yml`,
      `--web.listen-address=127.0.0.1:${BLACKBOX_PORT}`,
    ]));

    const environment = `${NODE_CONFIG_DIR}/monitoring.env`;
    cloudConfig.addFile({
      path: environment,
      content: [
        `MONITORING_PACKAGES=${PACKAGES.join(" ")}`,
        `MONITORING_STORAGE=${storage}`,
        `GROUP_READABLE_SECRETS=${secretFiles.join(" ")}`,
        `TARGETS_DIR=${TARGETS_DIR}`,
        `SEARCH_EXPORTER_DIR=${SEARCH_EXPORTER_DIR}`,
        `FIRST_SEARCH_EXPORTER_PORT=${FIRST_SEARCH_EXPORTER_PORT}`,
        `TARGET_METADATA_PREFIX=${TARGET_METADATA_PREFIX}`,
        "",
      ].join("\n"),
    });
    for (const [path, body] of Object.entries(MONITORING_SCRIPTS)) addGzipped(path, bashScript(body), "0755");
    cloudConfig.addSystemdUnit("install-monitoring.service", {
      Unit: {
        ...INSTALLER_RETRY.Unit,
        Description: "Install and start Prometheus, Alertmanager and the exporters",
        Wants: "network-online.target",
        After: ["network-online.target", ...(dedicated ? ["mount-data-volume.service"] : [])],
        ...(dedicated ? { Requires: "mount-data-volume.service" } : {}),
      },
      Service: { ...INSTALLER_RETRY.Service, Type: "oneshot", RemainAfterExit: true, EnvironmentFile: environment, ExecStart: "/usr/local/sbin/install-monitoring", TimeoutStartSec: "30min" },
      Install: { WantedBy: "multi-user.target" },
    });
    // Enabled by the installer, once the programs it starts are there.
    cloudConfig.addSystemdUnit("monitoring-discovery.service", {
      Unit: { Description: "Read the monitoring targets from this server's metadata" },
      Service: { Type: "oneshot", EnvironmentFile: environment, ExecStart: "/usr/local/sbin/monitoring-discovery" },
    }, { enable: false, start: false });
    cloudConfig.addSystemdUnit("monitoring-discovery.timer", {
      Unit: { Description: "Read the monitoring targets every minute" },
      Timer: { OnBootSec: "1min", OnUnitActiveSec: "1min" },
      Install: { WantedBy: "timers.target" },
    }, { enable: false, start: false });
    cloudConfig.addSystemdUnit("search-exporter@.service", {
      Unit: { Description: "Search cluster metrics of %i for Prometheus", After: "network-online.target" },
      Service: {
        User: "prometheus",
        EnvironmentFile: [`${SEARCH_EXPORTER_DIR}/%i.env`, SEARCH_EXPORTER_SECRETS],
        ExecStart: "/usr/local/sbin/search-exporter",
        Restart: "always",
        RestartSec: "10s",
        NoNewPrivileges: true,
        ProtectSystem: "strict",
        ProtectHome: true,
        PrivateTmp: true,
      },
    }, { enable: false, start: false });
  }
}
