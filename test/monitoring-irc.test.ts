/**
 * Alerts to IRC end to end, with the real programs: Debian's Alertmanager with the production
 * example's rendered alertmanager.yml and its rendered command line, the recheck service's real
 * bundle with its rendered settings, and ngircd with TLS on loopback, a listener in the channels.
 * Only addresses, ports and paths are rewritten (the receiver's URL, Alertmanager's listen
 * address and storage, the IRC server, the unreachable Gerrit and search cluster); the token and
 * the Gerrit key are made for the run. An alert posted to Alertmanager's API reaches the alerts
 * channel, and so does its resolution; a storm of one alert name takes four lines.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { serviceBundle } from "../lib/service-bundle";
import { CREDENTIAL_NAMES, type RecheckServiceConfig } from "../lib/recheck/service-config";
import { freePort } from "./support/nginx-live";
import { ngircdGate, startNgircd, type IrcServer } from "./support/ngircd";
import { oldestNodePath } from "./support/oldest-node";
import { resourcesOf, synthConfig } from "./support/synth";
import { until as waitUntil } from "./support/until";
import { writtenFiles, type WrittenFile } from "./support/user-data";
import { allGates, describeGated, toolGate } from "./support/validators";

const node = fs.existsSync(oldestNodePath()) ? oldestNodePath() : process.execPath;
const ALERTS_CHANNEL = "openstack-ci-log-alerts";
const BOT = "recheckwatchbot";

const production = synthConfig().production;
const userDataOf = (name: string) => {
  const instance = Object.values(resourcesOf(production, "openstack_compute_instance_v2")).find((server) => server.name === name)!;
  return writtenFiles(instance.user_data);
};
const fileOf = (files: readonly WrittenFile[], file: string) => files.find((written) => written.path === file)!.content;

describeGated(
  allGates(ngircdGate(), toolGate("prometheus-alertmanager", "prometheus-alertmanager"), toolGate("ssh-keygen", "openssh-client"), toolGate("ssh", "openssh-client")),
  "alerts from the real Alertmanager to IRC through the recheck service's receiver",
  () => {
    let dir: string;
    let irc: IrcServer;
    let alertmanagerPort: number;
    let receiverPort: number;
    let token: string;
    const children: ChildProcess[] = [];
    const botLogs: Record<string, unknown>[] = [];
    let alertmanagerLog = "";
    const context = () =>
      `the bot logged:\n${botLogs.slice(-10).map((entry) => JSON.stringify(entry)).join("\n")}\nAlertmanager logged:\n${alertmanagerLog.slice(-1500)}\nthe channels got:\n${irc.received.join("\n")}`;
    const until = <T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000) => waitUntil(what, probe, { timeoutMs, context });
    const inAlertsChannel = () => irc.received.filter((line) => line.startsWith(`${BOT} #${ALERTS_CHANNEL} :`)).map((line) => line.slice(`${BOT} #${ALERTS_CHANNEL} :`.length));

    const postAlerts = async (alerts: readonly Record<string, unknown>[]) => {
      const response = await fetch(`http://127.0.0.1:${alertmanagerPort}/api/v2/alerts`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(alerts) });
      expect(response.status).toBe(200);
    };
    // On another server than the storm's: a server down holds back its warnings (the inhibit rule).
    const serverDown = (instance: string, endsAt?: string) => ({
      labels: { alertname: "ServerDown", severity: "critical", instance, role: "frontend", job: "node", deployment: "production" },
      annotations: { summary: `${instance} (frontend) does not answer the monitoring server.`, action: "openstack server show and openstack console log show <server>" },
      ...(endsAt ? { endsAt } : {}),
    });

    const STORM = Array.from({ length: 30 }, (_, n) => ({
      labels: { alertname: "ServiceFailed", severity: "warning", instance: `production-ingestion-${n + 1}`, name: "ingestion.service", deployment: "production" },
      annotations: { summary: `ingestion.service on production-ingestion-${n + 1} has failed.` },
    }));

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "monitoring-irc-"));
      irc = await startNgircd([ALERTS_CHANNEL, "openstack-qa"]);
      token = randomBytes(24).toString("hex");
      [alertmanagerPort, receiverPort] = [await freePort(), await freePort()];

      // The recheck server's files, under dir/recheck/ instead of /etc/recheck/.
      const recheckFiles = userDataOf("production-recheck-1");
      const relocate = (text: string) => text.split("/etc/recheck/").join(`${dir}/recheck/`);
      for (const file of recheckFiles.filter((written) => written.path.startsWith("/etc/recheck/"))) {
        fs.mkdirSync(path.dirname(relocate(file.path)), { recursive: true });
        fs.writeFileSync(relocate(file.path), relocate(file.content), { mode: 0o600 });
      }
      const credentials = path.join(dir, "recheck", "credentials");
      fs.writeFileSync(path.join(credentials, CREDENTIAL_NAMES.alertReceiverToken), token);
      fs.rmSync(path.join(credentials, CREDENTIAL_NAMES.gerritKey));
      expect(spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(credentials, CREDENTIAL_NAMES.gerritKey)]).status).toBe(0);
      const settings = JSON.parse(fs.readFileSync(path.join(dir, "recheck", "recheck.json"), "utf8")) as RecheckServiceConfig;
      const closedPort = await freePort();
      const rewritten: RecheckServiceConfig = {
        ...settings,
        gerrit: { ...settings.gerrit, host: "127.0.0.1", port: closedPort },
        search: { ...settings.search, urls: [`https://127.0.0.1:${closedPort}`], caFile: irc.caFile },
        irc: { ...settings.irc!, server: "127.0.0.1", port: irc.tlsPort, caFile: irc.caFile },
        alerts: { ...settings.alerts!, port: receiverPort },
        healthPort: 0,
        healthAddress: "127.0.0.1",
      };
      fs.writeFileSync(path.join(dir, "recheck", "recheck.json"), JSON.stringify(rewritten));
      fs.writeFileSync(path.join(dir, "recheck.js"), serviceBundle("recheck"));
      fs.mkdirSync(path.join(dir, "state"));
      const bot = spawn(node, [path.join(dir, "recheck.js"), path.join(dir, "recheck", "recheck.json")], {
        env: { PATH: process.env.PATH, HOME: dir, STATE_DIRECTORY: path.join(dir, "state"), CREDENTIALS_DIRECTORY: credentials },
        stdio: ["ignore", "pipe", "inherit"],
      });
      children.push(bot);
      readline.createInterface({ input: bot.stdout! }).on("line", (line) => botLogs.push(JSON.parse(line) as Record<string, unknown>));

      // Alertmanager: the monitoring server's rendered configuration and command line.
      const monitoringFiles = userDataOf("production-monitoring-1");
      const alertmanager = fileOf(monitoringFiles, "/etc/prometheus/alertmanager.yml")
        .replace("http://production-recheck-1:9465/alerts", `http://127.0.0.1:${receiverPort}/alerts`)
        .replace("smarthost: smtp.example.org:587", `smarthost: 127.0.0.1:${closedPort}`)
        // The deploy-time webhook URL (a JSON string, README: Monitoring).
        .replace("url: stand-in-value", `url: "http://127.0.0.1:${closedPort}/hook"`)
        .split("/etc/prometheus/").join(`${dir}/prometheus/`);
      expect(alertmanager).toContain(`url: http://127.0.0.1:${receiverPort}/alerts`);
      fs.mkdirSync(path.join(dir, "prometheus"));
      fs.writeFileSync(path.join(dir, "prometheus", "alertmanager.yml"), alertmanager);
      fs.writeFileSync(path.join(dir, "prometheus", "alert-receiver-token"), token);
      fs.writeFileSync(path.join(dir, "prometheus", "smtp-password"), "test-password-not-a-secret");
      const dropIn = fileOf(monitoringFiles, "/etc/systemd/system/prometheus-alertmanager.service.d/ci-log-analysis.conf");
      const [program, ...args] = /^ExecStart=(\/.+)$/m.exec(dropIn)![1].split(" ").map((word) =>
        word.split("/etc/prometheus/").join(`${dir}/prometheus/`).split("/srv/monitoring/").join(`${dir}/`).replace("127.0.0.1:9093", `127.0.0.1:${alertmanagerPort}`));
      expect(program).toBe("/usr/bin/prometheus-alertmanager");
      const am = spawn("prometheus-alertmanager", args, { stdio: ["ignore", "pipe", "pipe"] });
      children.push(am);
      am.stdout!.on("data", (chunk: Buffer) => (alertmanagerLog += chunk.toString()));
      am.stderr!.on("data", (chunk: Buffer) => (alertmanagerLog += chunk.toString()));

      await until("the bot on IRC", () => botLogs.some((entry) => entry.msg === "connected to IRC"));
      await until("Alertmanager's API", () => /msg="Listening on"|Listening on/.test(alertmanagerLog));
      // One alert, and a storm of another name at the same time (two groups, flushed together).
      await postAlerts([serverDown("production-frontend-1"), ...STORM]);
    }, 60_000);

    afterAll(async () => {
      for (const child of children) child.kill("SIGTERM");
      await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once("exit", resolve)) : undefined)));
      irc?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    test("an alert posted to Alertmanager reaches the alerts channel, and so does its resolution, once each", async () => {
      const fired = "[production] FIRING ServerDown (critical): production-frontend-1 (frontend) does not answer the monitoring server.";
      await until("the alert in the channel", () => inAlertsChannel().includes(fired));
      await postAlerts([serverDown("production-frontend-1", new Date().toISOString())]);
      // Alertmanager tells the receiver of the resolution at the group's next interval (30 s).
      await until("its resolution in the channel", () => inAlertsChannel().some((line) => line.startsWith("[production] RESOLVED ServerDown")), 60_000);
      expect(inAlertsChannel().filter((line) => line.includes("ServerDown"))).toEqual([
        fired,
        "[production] RESOLVED ServerDown: production-frontend-1 (frontend) does not answer the monitoring server.",
      ]);
      // The alerts go to their own channel only, not to the bug announcements'.
      expect(irc.received.filter((line) => !line.startsWith(`${BOT} #${ALERTS_CHANNEL} :`))).toEqual([]);
    }, 90_000);

    test("a storm of 30 alerts of one name takes four lines: three alerts and the count of the rest", async () => {
      // Posted with the first alert: by now its group has been flushed, and nothing more comes of it.
      await until("the storm's count line", () => inAlertsChannel().some((line) => line.startsWith("[production] and 27 more FIRING ServiceFailed")));
      const lines = inAlertsChannel().filter((line) => line.includes("ServiceFailed"));
      expect(lines).toHaveLength(4);
      expect(lines.slice(0, 3).every((line) => /^\[production\] FIRING ServiceFailed \(warning\): ingestion\.service on production-ingestion-\d+ has failed\.$/.test(line))).toBe(true);
      expect(lines[3]).toMatch(/^\[production\] and 27 more FIRING ServiceFailed \(all: https:\/\/stand-in-value\/status\/\): production-ingestion-\d+, /);
    }, 60_000);

    test("the receiver takes nothing without Alertmanager's token", async () => {
      const before = irc.received.length;
      const body = JSON.stringify({ version: "4", alerts: [{ status: "firing", labels: { alertname: "Forged" }, annotations: {}, startsAt: new Date().toISOString() }] });
      const response = await fetch(`http://127.0.0.1:${receiverPort}/alerts`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
      expect(response.status).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(irc.received.slice(before)).toEqual([]);
    });
  },
);
