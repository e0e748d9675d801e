/**
 * The recheck service's settings file (`/etc/recheck/recheck.json`): written by the
 * RecheckService construct from the validated deployment config, read by the service
 * (services/recheck) at start. It holds no secret: the Gerrit key and the passwords reach the
 * service as systemd credentials (files in $CREDENTIALS_DIRECTORY named by CREDENTIAL_NAMES).
 */

/** The credential files the service reads from $CREDENTIALS_DIRECTORY (systemd LoadCredential=). */
export const CREDENTIAL_NAMES = {
  gerritKey: "gerrit-ssh-key",
  searchPassword: "search-password",
  ircPassword: "irc-password",
  /** The bearer token Alertmanager sends to the alert receiver. */
  alertReceiverToken: "alert-receiver-token",
} as const;

export interface IrcChannel {
  /** Gerrit projects announced here (`openstack/nova`, or the last part `nova`), or `all`. */
  readonly projects: readonly string[];
  /** positive: a known bug matched; negative: a failure no query matched. */
  readonly events: readonly ("positive" | "negative")[];
}

/**
 * The channels subscribed to `kind` events of every project (`projects: [all]`): where a line
 * about no single project goes, such as a suggested signature of the uncategorized failures.
 */
export function allProjectsChannels(channels: Readonly<Record<string, IrcChannel>>, kind: IrcChannel["events"][number]): string[] {
  return Object.entries(channels)
    .filter(([, channel]) => channel.events.includes(kind) && channel.projects.includes("all"))
    .map(([name]) => name);
}

/** Suggested bug signatures (services/recheck/suggest.ts; README: Suggested signatures). */
export interface SuggestionSettings {
  /** A fingerprint seen in a passing build of the same job over this many days is no candidate. */
  readonly baselineDays: number;
  /** A candidate appears in at least this many uncategorized failed builds. */
  readonly minBuilds: number;
  /** Candidates shown, best first. */
  readonly maxSuggestions: number;
  /**
   * A candidate in at least this many failed builds is said once on IRC, in the channels of every
   * project's negative events (services/recheck/suggest-irc.ts); it needs `irc`. @default no IRC line
   */
  readonly ircMinBuilds?: number;
}

export interface RecheckServiceConfig {
  readonly gerrit: {
    readonly host: string;
    /** @default 29418 */
    readonly port: number;
    readonly user: string;
    /** known_hosts file holding Gerrit's host key: the only key ssh accepts. */
    readonly knownHostsFile: string;
    /** false: classify and report on the dashboard, but never comment. */
    readonly comment: boolean;
  };
  /** The Gerrit account whose comments report CI results. */
  readonly ciUsername: string;
  /** Regular expression (JavaScript syntax) a failed job's name must contain to be classified. */
  readonly jobsRe: string;
  /**
   * Zuul tenants whose logs are indexed: a failure of another tenant (its build URL names the
   * tenant) is not waited on, since its logs never arrive. A failure whose URL names no tenant
   * (an old log URL) is waited on.
   */
  readonly tenants: readonly string[];
  readonly search: {
    /** Every data node's base URL; the first that answers serves a request. */
    readonly urls: readonly string[];
    /** Basic auth user; the password is the search-password credential. @default no auth */
    readonly username?: string;
    /** PEM file of the CA that signed the nodes' certificates. @default the system's */
    readonly caFile?: string;
    /** Index pattern of the log indices, such as `logstash-*`. */
    readonly indexPattern: string;
  };
  /** Folder of `<bug>.yaml` query files (lib/queries/bug-query.ts). */
  readonly queriesDir: string;
  /** Where people read logs (Kibana), printed in pages. */
  readonly logsUrl: string;
  /** The public dashboard, linked from comments. */
  readonly dashboardUrl: string;
  readonly wait: {
    /** Between two looks at the index for a failed build's logs. */
    readonly pollSeconds: number;
    /** Give up on a build whose logs are not indexed by then. */
    readonly timeoutSeconds: number;
  };
  readonly dashboard: {
    readonly intervalSeconds: number;
    /** The graph covers this many days back (the index retention). */
    readonly days: number;
    /** Uncategorized failures of this many hours back are listed. */
    readonly uncategorizedHours: number;
  };
  readonly suggestions: SuggestionSettings;
  /** @default no IRC */
  readonly irc?: {
    readonly server: string;
    readonly port: number;
    readonly nick: string;
    /** Channel name without `#` → what is announced there. */
    readonly channels: Readonly<Record<string, IrcChannel>>;
    /** PEM file of a CA to trust besides the system's (tests). @default the system's */
    readonly caFile?: string;
  };
  /**
   * The receiver of the monitoring's alerts (services/recheck/alerts.ts), announcing them in one
   * IRC channel; it needs `irc` and the alert-receiver-token credential. @default no receiver
   */
  readonly alerts?: {
    /** It listens at this port (0: any free port) on healthAddress. */
    readonly port: number;
    /** Channel name without `#`, joined besides the announcement channels. */
    readonly channel: string;
    /** The public status page, linked when alerts are summed up. @default no link */
    readonly statusPageUrl?: string;
  };
  /** The health and metrics endpoint listens at this port (0: any free port). */
  readonly healthPort: number;
  /** ...and this address (`0.0.0.0`: every address, for the monitoring server). @default 127.0.0.1 */
  readonly healthAddress?: string;
}

export function renderServiceConfig(config: RecheckServiceConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Defaults of the settings the deployment config does not expose, as elastic-recheck used them. */
export const SERVICE_DEFAULTS = {
  pollSeconds: 40,
  timeoutSeconds: 20 * 60,
  dashboardIntervalSeconds: 30 * 60,
  uncategorizedHours: 24,
  suggestions: { baselineDays: 7, minBuilds: 2, maxSuggestions: 25 },
  healthPort: 9464,
  /** Only the monitoring server's security group reaches it (constructs/monitoring.ts). */
  alertReceiverPort: 9465,
} as const;

/** Where the alert receiver takes Alertmanager's notifications. */
export const ALERT_RECEIVER_PATH = "/alerts";
