/**
 * The recheck service's alert receiver (services/recheck/alerts.ts): Alertmanager's webhook
 * payload, what one notification announces, the line budget that keeps a storm out of the
 * channel, and the HTTP endpoint on loopback. The whole path with the real Alertmanager, the
 * bundle and ngircd is test/monitoring-irc.test.ts.
 */
import { AlertAnnouncer, parseWebhookPayload, serveAlertReceiver, type WebhookAlert, type WebhookPayload } from "../services/recheck/alerts";

const alert = (instance: string, status: WebhookAlert["status"] = "firing", extra: Partial<WebhookAlert> = {}): WebhookAlert => ({
  status,
  labels: { alertname: "ServerDown", severity: "critical", instance, role: "ingestion", deployment: "production" },
  annotations: { summary: `${instance} (ingestion) does not answer the monitoring server.`, action: "openstack server show" },
  startsAt: "2026-12-01T10:00:00.000Z",
  fingerprint: `fp-${instance}`,
  ...extra,
});
const payload = (alerts: readonly WebhookAlert[], truncatedAlerts = 0): WebhookPayload => ({ version: "4", alerts, truncatedAlerts });

/** An announcer on a clock the test moves, and the lines it said. */
function announcer(options: { burstLines?: number; lineIntervalMs?: number } = {}) {
  let now = 1_000_000;
  const said: string[] = [];
  const subject = new AlertAnnouncer({ say: (text) => said.push(text), statusPageUrl: "https://logs.example.org/status/", now: () => now, ...options });
  return { subject, said, advance: (ms: number) => { now += ms; jest.advanceTimersByTime(ms); } };
}

describe("parseWebhookPayload", () => {
  test("reads Alertmanager's version 4 body", () => {
    const body = JSON.stringify({
      receiver: "irc", status: "firing", version: "4", groupKey: '{}/{}:{alertname="ServerDown"}', truncatedAlerts: 2,
      groupLabels: { alertname: "ServerDown" }, commonLabels: {}, commonAnnotations: {}, externalURL: "http://monitoring:9093",
      alerts: [{ status: "firing", labels: { alertname: "ServerDown" }, annotations: {}, startsAt: "2026-12-01T10:00:00Z", endsAt: "0001-01-01T00:00:00Z", generatorURL: "", fingerprint: "a1b2" }],
    });
    expect(parseWebhookPayload(body)).toEqual({
      version: "4", truncatedAlerts: 2,
      alerts: [{ status: "firing", labels: { alertname: "ServerDown" }, annotations: {}, startsAt: "2026-12-01T10:00:00Z", fingerprint: "a1b2" }],
    });
  });

  test.each([
    ["not JSON", "{", /^the body is not JSON/],
    ["another version", JSON.stringify({ version: "3", alerts: [] }), /^version: got "3"; expected "4"/],
    ["no alerts list", JSON.stringify({ version: "4" }), /^alerts: expected a list/],
    ["an alert without a name", JSON.stringify({ version: "4", alerts: [{ status: "firing", labels: {}, startsAt: "x" }] }), /^alerts\[0\]\.labels: expected string labels with an alertname/],
    ["an unknown status", JSON.stringify({ version: "4", alerts: [{ status: "pending", labels: { alertname: "X" }, startsAt: "x" }] }), /^alerts\[0\]\.status: got "pending"/],
  ])("fails %s, saying what is expected", (_what, body, message) => {
    expect(() => parseWebhookPayload(body)).toThrow(message);
  });
});

describe("AlertAnnouncer", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test("announces an alert when it fires and when it is resolved, once each, though the group repeats it", () => {
    const { subject, said } = announcer();
    subject.notify(payload([alert("production-ingestion-3")]));
    subject.notify(payload([alert("production-ingestion-3"), alert("production-ingestion-4")]));
    subject.notify(payload([alert("production-ingestion-3", "resolved"), alert("production-ingestion-4")]));
    subject.notify(payload([alert("production-ingestion-3", "resolved"), alert("production-ingestion-4")]));
    expect(said).toEqual([
      "[production] FIRING ServerDown (critical): production-ingestion-3 (ingestion) does not answer the monitoring server.",
      "[production] FIRING ServerDown (critical): production-ingestion-4 (ingestion) does not answer the monitoring server.",
      "[production] RESOLVED ServerDown: production-ingestion-3 (ingestion) does not answer the monitoring server.",
    ]);
  });

  test("announces the alert again when it fires again (a new start)", () => {
    const { subject, said } = announcer();
    subject.notify(payload([alert("production-ingestion-3")]));
    subject.notify(payload([alert("production-ingestion-3", "resolved")]));
    subject.notify(payload([alert("production-ingestion-3", "firing", { startsAt: "2026-12-01T12:00:00.000Z" })]));
    expect(said.map((line) => line.split(":")[0])).toEqual(["[production] FIRING ServerDown (critical)", "[production] RESOLVED ServerDown", "[production] FIRING ServerDown (critical)"]);
  });

  test("announces the first three new alerts of a notification and sums up the rest in one line, with the status page", () => {
    const { subject, said } = announcer();
    const storm = Array.from({ length: 25 }, (_, n) => alert(`production-ingestion-${n + 1}`));
    subject.notify(payload(storm, 5));
    expect(said).toHaveLength(4);
    expect(said[3]).toMatch(/^\[production\] and 27 more FIRING ServerDown \(all: https:\/\/logs\.example\.org\/status\/\): production-ingestion-4, production-ingestion-5, .*…$/);
    expect(Buffer.byteLength(said[3])).toBeLessThanOrEqual(380);
  });

  test("keeps a line to IRC's length and plain: no line breaks or control characters from the labels", () => {
    const { subject, said } = announcer();
    subject.notify(payload([alert("x", "firing", { annotations: { summary: `a\r\nPRIVMSG #other :hi \u0001ACTION\u0001 ${"é".repeat(400)}` } })]));
    expect(said[0]).toMatch(/^\[production\] FIRING ServerDown \(critical\): a PRIVMSG #other :hi ACTION é+…$/);
    expect(Buffer.byteLength(said[0])).toBeLessThanOrEqual(380);
  });

  test("spends a budget of lines: a burst, then one per interval; the lines over it are counted and the count said when there is room", () => {
    const { subject, said, advance } = announcer({ burstLines: 4, lineIntervalMs: 10_000 });
    for (let n = 1; n <= 9; n++) subject.notify(payload([alert(`production-search-data-${n}`, "firing", { labels: { alertname: `Alert${n}`, deployment: "production" } })]));
    expect(said).toHaveLength(4);
    advance(9_999);
    expect(said).toHaveLength(4);
    advance(1);
    expect(said).toHaveLength(5);
    expect(said[4]).toBe("5 more alert lines held back to keep the channel readable: https://logs.example.org/status/ shows every alert");
    // The budget refills one line per interval: the next alert is said once a line was earned.
    subject.notify(payload([alert("production-frontend-1", "firing", { labels: { alertname: "NginxDown", deployment: "production" } })]));
    expect(said).toHaveLength(5);
    advance(10_000);
    expect(said[5]).toBe("1 more alert line held back to keep the channel readable: https://logs.example.org/status/ shows every alert");
    advance(60_000);
    subject.notify(payload([alert("production-frontend-1", "resolved", { labels: { alertname: "NginxDown", deployment: "production" } })]));
    expect(said[6]).toBe("[production] RESOLVED NginxDown: production-frontend-1 (ingestion) does not answer the monitoring server.");
    subject.stop();
  });
});

describe("the alert receiver on loopback", () => {
  const said: string[] = [];
  let ready = true;
  let port = 0;
  let close: () => void;
  const logs: string[] = [];
  beforeAll(async () => {
    const server = await serveAlertReceiver({
      port: 0, host: "127.0.0.1", token: "test-token-not-a-secret",
      announcer: new AlertAnnouncer({ say: (text) => said.push(text) }),
      ready: () => ready,
      log: { log: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields)}`) },
    });
    port = server.port;
    close = () => server.close();
  });
  afterAll(() => close());

  const post = (body: string, headers: Record<string, string> = { Authorization: "Bearer test-token-not-a-secret" }, method = "POST", target = "/alerts") =>
    fetch(`http://127.0.0.1:${port}${target}`, { method, headers: { "Content-Type": "application/json", ...headers }, body: method === "GET" ? undefined : body })
      .then(async (response) => ({ status: response.status, text: (await response.text()).trim() }));

  test.each([
    ["another path", () => post("{}", undefined, "POST", "/"), 404],
    ["GET", () => post("", undefined, "GET"), 405],
    ["no token", () => post(JSON.stringify(payload([alert("a")])), {}), 401],
    ["a wrong token", () => post(JSON.stringify(payload([alert("a")])), { Authorization: "Bearer test-token-not-a-secreT" }), 401],
    ["a token of another length", () => post(JSON.stringify(payload([alert("a")])), { Authorization: "Bearer x" }), 401],
    ["a body that is no payload", () => post(JSON.stringify({ version: "3" })), 400],
    ["a body over 4 MiB", () => post(`{"version":"4","alerts":[],"x":"${"x".repeat(4 * 1024 * 1024)}"}`), 413],
  ])("refuses %s, and says nothing", async (_what, request, status) => {
    said.length = 0;
    expect((await request()).status).toBe(status);
    expect(said).toEqual([]);
  });

  test("asks Alertmanager to retry (503) while the bot is not on IRC, and announces the retry", async () => {
    said.length = 0;
    ready = false;
    const body = JSON.stringify(payload([alert("production-recheck-1")]));
    expect(await post(body)).toEqual({ status: 503, text: "not connected to IRC yet; retry" });
    expect(said).toEqual([]);
    ready = true;
    expect(await post(body)).toEqual({ status: 200, text: "ok" });
    expect(said).toEqual(["[production] FIRING ServerDown (critical): production-recheck-1 (ingestion) does not answer the monitoring server."]);
  });
});
