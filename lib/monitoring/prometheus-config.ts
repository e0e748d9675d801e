/**
 * The monitoring server's configuration files: Prometheus (scrape jobs whose targets the
 * discovery timer writes, lib/monitoring/discovery.ts), Alertmanager (where alerts go) and the
 * blackbox exporter (certificate expiry). Each is checked by its own program in the tests
 * (`promtool check config`, `amtool check-config`).
 */
import { stringify } from "yaml";
import { ALERTMANAGER_PORT, BLACKBOX_PORT, PROMETHEUS_PORT, SCRAPE_PORTS, type ScrapeJob } from "./targets";

export const PROMETHEUS_CONFIG_DIR = "/etc/prometheus";
export const RULES_FILE = `${PROMETHEUS_CONFIG_DIR}/rules/ci-log-analysis.yml`;
/** Where the discovery timer writes one file_sd file per job. */
export const TARGETS_DIR = `${PROMETHEUS_CONFIG_DIR}/targets`;
export const SCRAPE_INTERVAL_SECONDS = 30;

/** The jobs whose targets come from the discovery files. */
export const DISCOVERED_JOBS: readonly ScrapeJob[] = ["node", "nginx", "ingestion", "recheck", "search", "tls"];

export interface PrometheusConfigProps {
  readonly deploymentName: string;
  /** Jobs the monitoring server itself serves on loopback (its node exporter, the front end's nginx exporter). */
  readonly localJobs: readonly ScrapeJob[];
  /** The monitoring server's name, the `instance` of its own series. */
  readonly serverName: string;
  readonly role: string;
  /** @default TARGETS_DIR */
  readonly targetsDir?: string;
  /** @default RULES_FILE */
  readonly rulesFile?: string;
  /** @default 127.0.0.1:9093 */
  readonly alertmanagerAddress?: string;
  /** @default 127.0.0.1:9115 */
  readonly blackboxAddress?: string;
}

export function renderPrometheusConfig(props: PrometheusConfigProps): string {
  const targetsDir = props.targetsDir ?? TARGETS_DIR;
  const blackbox = props.blackboxAddress ?? `127.0.0.1:${BLACKBOX_PORT}`;
  const own = { server: props.serverName, role: props.role };
  // The series of every target are named after its server, not its address.
  const instanceFromServer = { source_labels: ["server"], regex: "(.+)", target_label: "instance" };
  const job = (name: ScrapeJob) => {
    const local = props.localJobs.includes(name) ? [{ targets: [`127.0.0.1:${SCRAPE_PORTS[name]}`], labels: own }] : [];
    return {
      job_name: name,
      ...(local.length > 0 ? { static_configs: local } : {}),
      file_sd_configs: [{ files: [`${targetsDir}/${name}.json`], refresh_interval: "1m" }],
      ...(name === "tls"
        ? {
            metrics_path: "/probe",
            params: { module: ["tls"] },
            relabel_configs: [
              { source_labels: ["__address__"], target_label: "__param_target" },
              { source_labels: ["server", "__param_target"], regex: "(.+);.*:([0-9]+)", replacement: "$1:$2", target_label: "instance" },
              { target_label: "__address__", replacement: blackbox },
            ],
          }
        : { relabel_configs: [instanceFromServer] }),
    };
  };
  const config = {
    global: {
      scrape_interval: `${SCRAPE_INTERVAL_SECONDS}s`,
      evaluation_interval: `${SCRAPE_INTERVAL_SECONDS}s`,
      scrape_timeout: "20s",
      external_labels: { deployment: props.deploymentName },
    },
    rule_files: [props.rulesFile ?? RULES_FILE],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [props.alertmanagerAddress ?? `127.0.0.1:${ALERTMANAGER_PORT}`] }] }] },
    scrape_configs: [
      { job_name: "prometheus", static_configs: [{ targets: [`127.0.0.1:${PROMETHEUS_PORT}`], labels: own }], relabel_configs: [instanceFromServer] },
      { job_name: "alertmanager", static_configs: [{ targets: [props.alertmanagerAddress ?? `127.0.0.1:${ALERTMANAGER_PORT}`], labels: own }], relabel_configs: [instanceFromServer] },
      { job_name: "blackbox", static_configs: [{ targets: [blackbox], labels: own }], relabel_configs: [instanceFromServer] },
      ...DISCOVERED_JOBS.map(job),
    ],
  };
  return stringify(config, { lineWidth: 0 });
}

/** The blackbox exporter's one module: a TLS handshake, to read the certificate's expiry. */
export function renderBlackboxConfig(searchCaFile: string): string {
  return stringify({
    modules: {
      tls: {
        prober: "tcp",
        timeout: "10s",
        // The probes reach private addresses that public certificates do not name: the
        // handshake is checked and the expiry read, the chain is checked by `npm run smoke`.
        tcp: { tls: true, tls_config: { insecure_skip_verify: true, ca_file: searchCaFile } },
      },
    },
  });
}

export interface EmailReceiver {
  readonly smarthost: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly username?: string;
  /** A file holding the SMTP password (Alertmanager 0.25 and later read `auth_password_file`). */
  readonly passwordFile?: string;
  readonly requireTls: boolean;
}

export interface WebhookReceiver {
  /**
   * The URL, which usually carries a token. Alertmanager 0.25 (Debian 12) has no `url_file`, so
   * the URL is in the file, which only root and Alertmanager's group read; a deploy-time value
   * comes JSON-encoded (a JSON string is a YAML scalar, whatever it holds).
   */
  readonly url: string;
  readonly sendResolved: boolean;
}

/** The recheck service's alert receiver (services/recheck/alerts.ts), which announces alerts on IRC. */
export interface IrcReceiver {
  /** Its URL, naming the recheck server, which the discovery keeps in /etc/hosts. */
  readonly url: string;
  /** A file holding the bearer token the receiver asks for. */
  readonly tokenFile: string;
  readonly sendResolved: boolean;
}

export interface AlertmanagerConfigProps {
  readonly email?: EmailReceiver;
  readonly webhook?: WebhookReceiver;
  readonly irc?: IrcReceiver;
}

/**
 * The IRC route's timing: the receiver announces each alert once and limits its lines itself, so
 * Alertmanager may tell it often: a group's first alerts after 10 s, its changes every 30 s.
 */
const IRC_GROUP_WAIT = "10s";
const IRC_GROUP_INTERVAL = "30s";
/** Alerts per notification; the receiver counts the rest (truncatedAlerts). */
const IRC_MAX_ALERTS = 50;

/** Every alert goes to every configured receiver; without one, alerts stay in Alertmanager and on the status page. */
export function renderAlertmanagerConfig(props: AlertmanagerConfigProps): string {
  const receivers: Record<string, unknown>[] = [{ name: "nowhere" }];
  const routes: Record<string, unknown>[] = [];
  if (props.email) {
    const email = props.email;
    receivers.push({
      name: "email",
      email_configs: email.to.map((to) => ({
        to,
        from: email.from,
        smarthost: email.smarthost,
        require_tls: email.requireTls,
        send_resolved: true,
        ...(email.username ? { auth_username: email.username, auth_password_file: email.passwordFile } : {}),
      })),
    });
    routes.push({ receiver: "email", continue: true });
  }
  if (props.webhook) {
    receivers.push({ name: "webhook", webhook_configs: [{ url: props.webhook.url, send_resolved: props.webhook.sendResolved }] });
    routes.push({ receiver: "webhook", continue: true });
  }
  if (props.irc) {
    receivers.push({
      name: "irc",
      webhook_configs: [{
        url: props.irc.url,
        send_resolved: props.irc.sendResolved,
        max_alerts: IRC_MAX_ALERTS,
        http_config: { authorization: { type: "Bearer", credentials_file: props.irc.tokenFile } },
      }],
    });
    routes.push({ receiver: "irc", continue: true, group_wait: IRC_GROUP_WAIT, group_interval: IRC_GROUP_INTERVAL });
  }
  return stringify(
    {
      route: {
        receiver: "nowhere",
        group_by: ["alertname", "cluster", "source"],
        group_wait: "1m",
        group_interval: "5m",
        repeat_interval: "12h",
        routes,
      },
      // A red cluster or a node down explains the warnings that follow from it.
      inhibit_rules: [
        { source_matchers: ['alertname="SearchClusterRed"'], target_matchers: ['alertname="SearchClusterYellow"'], equal: ["cluster"] },
        { source_matchers: ['alertname="ServerDown"'], target_matchers: ['severity="warning"'], equal: ["instance"] },
      ],
      receivers,
    },
    { lineWidth: 0 },
  );
}
