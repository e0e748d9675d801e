/**
 * The receiver of the monitoring's alerts: Alertmanager's webhook (payload version 4), on a port
 * of its own that only the monitoring server's security group reaches, behind the bearer token
 * the stack generated. Each alert is announced in one IRC channel when it fires and when it is
 * resolved, once: Alertmanager sends a group's every alert again whenever one of them changes,
 * and those repeats are not repeated in the channel.
 *
 * A storm does not flood the channel: Alertmanager groups alerts by name, one notification
 * announces its first few new alerts and sums the rest up in one line, and the lines of all
 * notifications together spend a budget (a burst, then one line per interval). Lines over the
 * budget are dropped, counted, and the count is said once there is room again, with the status
 * page that shows every alert.
 */
import { timingSafeEqual } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { ALERT_RECEIVER_PATH } from "../../lib/recheck/service-config";
import { errorText, type Logger } from "../shared/log";
import { ircText } from "./irc";

export interface WebhookAlert {
  readonly status: "firing" | "resolved";
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt: string;
  /** Alertmanager's identity of the alert (its labels' hash). */
  readonly fingerprint: string;
}

export interface WebhookPayload {
  readonly version: "4";
  readonly alerts: readonly WebhookAlert[];
  /** Alerts of the group left out by the receiver's max_alerts. */
  readonly truncatedAlerts: number;
}

export class PayloadError extends Error {}

const isStringMap = (value: unknown): value is Record<string, string> =>
  typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((item) => typeof item === "string");

/** Alertmanager's webhook body, checked for what the announcements read. */
export function parseWebhookPayload(body: string): WebhookPayload {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    throw new PayloadError(`the body is not JSON: ${errorText(error)}`);
  }
  const payload = data as Record<string, unknown> | null;
  if (payload?.version !== "4") throw new PayloadError(`version: got ${JSON.stringify(payload?.version) ?? "nothing"}; expected "4" (Alertmanager's webhook payload)`);
  if (!Array.isArray(payload.alerts)) throw new PayloadError("alerts: expected a list");
  const alerts = payload.alerts.map((alert: Record<string, unknown>, index: number): WebhookAlert => {
    if (alert?.status !== "firing" && alert?.status !== "resolved") throw new PayloadError(`alerts[${index}].status: got ${JSON.stringify(alert?.status)}; expected "firing" or "resolved"`);
    if (!isStringMap(alert.labels) || typeof alert.labels.alertname !== "string") throw new PayloadError(`alerts[${index}].labels: expected string labels with an alertname`);
    const annotations = alert.annotations ?? {};
    if (!isStringMap(annotations)) throw new PayloadError(`alerts[${index}].annotations: expected string values`);
    if (typeof alert.startsAt !== "string") throw new PayloadError(`alerts[${index}].startsAt: expected a timestamp`);
    const fingerprint = typeof alert.fingerprint === "string" ? alert.fingerprint : JSON.stringify(Object.entries(alert.labels).sort());
    return { status: alert.status, labels: alert.labels, annotations, startsAt: alert.startsAt, fingerprint };
  });
  return { version: "4", alerts, truncatedAlerts: typeof payload.truncatedAlerts === "number" ? payload.truncatedAlerts : 0 };
}

/** What an alert is about, for the line that sums up the ones not announced one by one. */
function subjectOf(alert: WebhookAlert): string {
  const { labels } = alert;
  return labels.instance ?? labels.name ?? labels.source ?? labels.repository ?? labels.cluster ?? labels.alertname;
}

export interface AlertAnnouncerOptions {
  /** Says one line in the alerts channel. */
  readonly say: (text: string) => void;
  /** Linked where alerts are summed up or held back. @default no link */
  readonly statusPageUrl?: string;
  /** New alerts of one notification announced one by one; the rest share one line. @default 3 */
  readonly alertsPerNotification?: number;
  /** Lines said at once before the budget applies. @default 6 */
  readonly burstLines?: number;
  /** Then one line per this interval. @default 10 s */
  readonly lineIntervalMs?: number;
  /** Announced alerts are forgotten this long after their announcement (an alert never resolved). @default 7 days */
  readonly forgetAfterMs?: number;
  readonly now?: () => number;
}

export class AlertAnnouncer {
  private readonly announced = new Map<string, number>();
  private tokens: number;
  private refilledAt: number;
  private heldBack = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: AlertAnnouncerOptions) {
    this.tokens = this.burst;
    this.refilledAt = this.now();
  }

  private get burst(): number {
    return this.options.burstLines ?? 6;
  }

  private get intervalMs(): number {
    return this.options.lineIntervalMs ?? 10_000;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Announces what a notification brings that the channel has not heard yet. */
  notify(payload: WebhookPayload): void {
    const now = this.now();
    for (const [key, at] of this.announced) if (now - at > (this.options.forgetAfterMs ?? 7 * 86_400_000)) this.announced.delete(key);
    const fresh = payload.alerts.filter((alert) => !this.announced.has(this.keyOf(alert)));
    // A key per firing episode (a new firing of the same alert has a new start) and its resolution.
    for (const alert of fresh) this.announced.set(this.keyOf(alert), now);
    for (const status of ["firing", "resolved"] as const) {
      const alerts = fresh.filter((alert) => alert.status === status);
      const perNotification = this.options.alertsPerNotification ?? 3;
      for (const alert of alerts.slice(0, perNotification)) this.send(this.lineOf(alert));
      const rest = alerts.slice(perNotification);
      const truncated = status === "firing" ? payload.truncatedAlerts : 0;
      if (rest.length + truncated > 0) this.send(this.summaryOf(rest, rest.length + truncated, status));
    }
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private keyOf(alert: WebhookAlert): string {
    return `${alert.fingerprint} ${alert.startsAt} ${alert.status}`;
  }

  private prefixOf(alert: WebhookAlert): string {
    return alert.labels.deployment ? `[${alert.labels.deployment}] ` : "";
  }

  private lineOf(alert: WebhookAlert): string {
    const { alertname, severity } = alert.labels;
    const what = alert.status === "firing" ? `FIRING ${alertname}${severity ? ` (${severity})` : ""}` : `RESOLVED ${alertname}`;
    const summary = alert.annotations.summary;
    return ircText(`${this.prefixOf(alert)}${what}${summary ? `: ${summary}` : ""}`);
  }

  private summaryOf(alerts: readonly WebhookAlert[], count: number, status: WebhookAlert["status"]): string {
    const names = [...new Set(alerts.map((alert) => alert.labels.alertname))].join(", ");
    const link = this.options.statusPageUrl ? ` (all: ${this.options.statusPageUrl})` : "";
    const subjects = alerts.map(subjectOf).join(", ");
    const first = alerts[0];
    return ircText(`${first ? this.prefixOf(first) : ""}and ${count} more ${status.toUpperCase()}${names ? ` ${names}` : ""}${link}${subjects ? `: ${subjects}` : ""}`);
  }

  /** Says the line if the budget allows, else counts it and says the count once it does. */
  private send(line: string): void {
    this.refill();
    if (this.tokens >= 1 && this.heldBack === 0) {
      this.tokens -= 1;
      this.options.say(line);
      return;
    }
    this.heldBack += 1;
    this.timer ??= setTimeout(() => this.sayHeldBack(), this.intervalMs - ((this.now() - this.refilledAt) % this.intervalMs));
  }

  private sayHeldBack(): void {
    this.timer = undefined;
    this.refill();
    if (this.tokens < 1) {
      this.timer = setTimeout(() => this.sayHeldBack(), this.intervalMs);
      return;
    }
    this.tokens -= 1;
    const link = this.options.statusPageUrl ? `: ${this.options.statusPageUrl} shows every alert` : "";
    this.options.say(ircText(`${this.heldBack} more alert line${this.heldBack === 1 ? "" : "s"} held back to keep the channel readable${link}`));
    this.heldBack = 0;
  }

  private refill(): void {
    const now = this.now();
    const earned = Math.floor((now - this.refilledAt) / this.intervalMs);
    if (earned > 0) {
      this.tokens = Math.min(this.burst, this.tokens + earned);
      this.refilledAt += earned * this.intervalMs;
    }
    if (this.tokens >= this.burst) this.refilledAt = now;
  }
}

export interface AlertReceiverOptions {
  readonly port: number;
  readonly host: string;
  /** The bearer token Alertmanager sends (its http_config.authorization). */
  readonly token: string;
  readonly announcer: AlertAnnouncer;
  /** Whether the channel can be told now; if not, Alertmanager is asked to retry (503). */
  readonly ready: () => boolean;
  readonly log: Logger;
}

/** Alertmanager sends small bodies; a group of a thousand alerts is about a megabyte. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** `POST /alerts` with `Authorization: Bearer <token>` and Alertmanager's JSON; nothing else. */
export function serveAlertReceiver(options: AlertReceiverOptions): Promise<http.Server & { port: number }> {
  const expected = Buffer.from(`Bearer ${options.token}`);
  const authorized = (header: string | undefined) => {
    const given = Buffer.from(header ?? "");
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const server = http.createServer((request, response) => {
    const answer = (status: number, text: string) => response.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" }).end(`${text}\n`);
    const refusal: [number, string] | undefined = request.url !== ALERT_RECEIVER_PATH ? [404, `only ${ALERT_RECEIVER_PATH}`]
      : request.method !== "POST" ? [405, "POST only"]
      : !authorized(request.headers.authorization) ? [401, "a bearer token is required"]
      : undefined;
    if (refusal) {
      request.resume();
      answer(refusal[0], refusal[1]);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on("end", () => {
      if (size > MAX_BODY_BYTES) {
        answer(413, `the body is over ${MAX_BODY_BYTES} bytes`);
        return;
      }
      let payload: WebhookPayload;
      try {
        payload = parseWebhookPayload(Buffer.concat(chunks).toString("utf8"));
      } catch (error) {
        options.log.log("warn", "alert notification refused", { error: errorText(error) });
        answer(400, errorText(error));
        return;
      }
      if (!options.ready()) {
        answer(503, "not connected to IRC yet; retry");
        return;
      }
      options.announcer.notify(payload);
      options.log.log("info", "alert notification", { alerts: payload.alerts.length, firing: payload.alerts.filter((alert) => alert.status === "firing").length });
      answer(200, "ok");
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve(Object.assign(server, { port: (server.address() as AddressInfo).port })));
  });
}
