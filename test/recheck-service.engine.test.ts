/**
 * The recheck service end to end, as its server runs it: the bundle under the test's Node.js,
 * Gerrit played by a real sshd on loopback, logs in a real OpenSearch node, loaded through the
 * project's own ingest pipeline.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { ingestPipelineBody } from "../lib/ingestion/ingest-pipeline";
import { renderQueryFile, type BugQuery } from "../lib/queries/bug-query";
import { serviceBundle } from "../lib/service-bundle";
import { CREDENTIAL_NAMES, renderServiceConfig, type RecheckServiceConfig } from "../lib/recheck/service-config";
import { renderDashboardNginx } from "../lib/recheck/nginx";
import { logMapping } from "../lib/search/engine";
import { selfSignedCertificate } from "./support/certificates";
import { oldestNodePath } from "./support/oldest-node";
import { fakeGerritGate, startFakeGerrit, zuulReportEvent, type FakeGerrit } from "./support/fake-gerrit";
import { describeWithSearchEngine, engineRequest, searchEngineUrl, uniqueIndexName } from "./support/search-engine";
import { chromiumGate, visit } from "./support/chromium";
import { freePort, startNginx } from "./support/nginx-live";
import { until as waitUntil } from "./support/until";
import { describeGated, describeWithTool } from "./support/validators";

/** The oldest Node.js the service supports when it is at hand (test/recheck-reports.test.ts requires it under CI). */
const node = fs.existsSync(oldestNodePath()) ? oldestNodePath() : process.execPath;
/** Kept after the run (git-ignored): the dashboard as Chromium drew it. */
const ARTIFACTS = path.join(__dirname, "..", "test-artifacts");
const SIGNATURE = "MessagingTimeout: Timed out waiting for a reply to message ID 7f3a";
const KNOWN_BUG = "1000001";

const uuid = (n: number) => n.toString(16).padStart(32, "0").replace(/^0/, "a");
const BUILDS = { known: uuid(1), unknown: uuid(2), late: uuid(3), never: uuid(4), restarted: uuid(5) };

const query = (bug: string, text: string): BugQuery => ({ bug, file: "", query: text, suppressGraph: false, suppressNotification: false, allowNonvoting: false, testIds: [] });

/** The bot's latest log lines, for a failure's message. */
let recentLogs: () => unknown[] = () => [];

function until<T>(what: string, probe: () => T | undefined | false): Promise<T> {
  return waitUntil(what, probe, { context: () => `the bot's last log lines:\n${recentLogs().map((entry) => JSON.stringify(entry)).join("\n")}` });
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

interface RunningBot {
  readonly process: ChildProcess;
  readonly logs: Record<string, unknown>[];
}

describeWithSearchEngine("the recheck service", () => {
  describeGated(fakeGerritGate(), "against a real sshd playing Gerrit and a real OpenSearch node", () => {
    let gerrit: FakeGerrit;
    let dir: string;
    let prefix: string;
    let bot: RunningBot | undefined;
    const jobLine = (job: string, build: string, options: { voting?: boolean; result?: string; tenant?: string } = {}) =>
      `- ${job} https://zuul.opendev.org/t/${options.tenant ?? "openstack"}/build/${build} : ${options.result ?? "FAILURE"} in 1h 2m 3s${options.voting === false ? " (non-voting)" : ""}`;

    async function loadBuild(build: string, job: string, change: number, lines: readonly string[], result = "FAILURE"): Promise<void> {
      const now = new Date().toISOString();
      const body = lines.flatMap((message) => [
        JSON.stringify({ index: { _index: `${prefix}-logs` } }),
        JSON.stringify({
          "@timestamp": now, message, build_uuid: build, build_short_uuid: build.slice(0, 7), build_name: job, build_status: result, build_queue: "check",
          build_change: String(change), build_patchset: "1", project: "openstack/nova", voting: 1, tags: ["job-output.txt"],
          filename: "job-output.txt", log_url: `https://logs.example.org/${build}/job-output.txt`, change_url: `https://review.example.org/c/openstack/nova/+/${change}`,
        }),
      ]).join("\n") + "\n";
      const { status, body: answer } = await engineRequest("POST", `_bulk?pipeline=${prefix}-pipeline&refresh=true`, body);
      expect({ status, errors: answer.errors }).toEqual({ status: 200, errors: false });
    }

    function startBot(): RunningBot {
      const child = spawn(node, [path.join(dir, "recheck.js"), path.join(dir, "recheck.json")], {
        env: { PATH: process.env.PATH, STATE_DIRECTORY: path.join(dir, "state"), CREDENTIALS_DIRECTORY: path.join(dir, "credentials") },
        stdio: ["ignore", "pipe", "inherit"],
      });
      const logs: Record<string, unknown>[] = [];
      readline.createInterface({ input: child.stdout! }).on("line", (line) => logs.push(JSON.parse(line) as Record<string, unknown>));
      bot = { process: child, logs };
      recentLogs = () => logs.filter((entry) => entry.msg !== "dashboard written").slice(-15);
      return bot;
    }

    async function stopBot(signal: NodeJS.Signals): Promise<void> {
      if (!bot || bot.process.exitCode !== null || bot.process.signalCode !== null) return;
      const exited = new Promise((resolve) => bot!.process.once("exit", resolve));
      bot.process.kill(signal);
      await exited;
    }

    const logged = (running: RunningBot, message: string) => running.logs.filter((entry) => entry.msg === message);
    const reviewsOf = (change: number) => gerrit.reviews().filter((review) => review[0] === `${change},1`);

    beforeAll(async () => {
      gerrit = await startFakeGerrit();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "recheck-e2e-"));
      prefix = uniqueIndexName("recheck-e2e");
      expect((await engineRequest("PUT", `_ingest/pipeline/${prefix}-pipeline`, ingestPipelineBody())).status).toBe(200);
      expect((await engineRequest("PUT", `${prefix}-logs`, { mappings: logMapping() })).status).toBe(200);

      fs.writeFileSync(path.join(dir, "recheck.js"), serviceBundle("recheck"));
      fs.mkdirSync(path.join(dir, "credentials"));
      fs.copyFileSync(gerrit.clientKeyFile, path.join(dir, "credentials", CREDENTIAL_NAMES.gerritKey));
      fs.chmodSync(path.join(dir, "credentials", CREDENTIAL_NAMES.gerritKey), 0o600);
      const queries = path.join(dir, "queries");
      fs.mkdirSync(queries);
      fs.writeFileSync(path.join(queries, `${KNOWN_BUG}.yaml`), renderQueryFile(query(KNOWN_BUG, `message:"Timed out waiting for a reply" AND tags:"job-output.txt"`)));
      fs.writeFileSync(path.join(queries, "1000002.yaml"), renderQueryFile(query("1000002", `message:"No valid host was found" OR message:"NoValidHost"`)));
      fs.writeFileSync(path.join(queries, "1000003.yaml"), "query: [not closed\n");
      const settings: RecheckServiceConfig = {
        gerrit: { host: "127.0.0.1", port: gerrit.port, user: gerrit.user, knownHostsFile: gerrit.knownHostsFile, comment: true },
        ciUsername: "zuul",
        jobsRe: "(tempest|devstack)",
        tenants: ["openstack"],
        search: { urls: ["http://127.0.0.1:9", await searchEngineUrl()], indexPattern: `${prefix}-*` },
        queriesDir: queries,
        logsUrl: "https://logs.example.org/",
        dashboardUrl: "https://recheck.example.org/elastic-recheck/",
        wait: { pollSeconds: 0.25, timeoutSeconds: 5 },
        dashboard: { intervalSeconds: 2, days: 3, uncategorizedHours: 24 },
        suggestions: { baselineDays: 3, minBuilds: 1, maxSuggestions: 10 },
        healthPort: 0,
      };
      fs.writeFileSync(path.join(dir, "recheck.json"), renderServiceConfig(settings));
    });

    afterAll(async () => {
      await stopBot("SIGKILL");
      await gerrit?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      if (prefix) {
        await engineRequest("DELETE", `${prefix}-logs`);
        await engineRequest("DELETE", `_ingest/pipeline/${prefix}-pipeline`);
      }
    });

    test("classifies failures by their logs, waits for late logs, gives up on missing ones, comments only on known bugs", async () => {
      const running = startBot();
      const connected = gerrit.connections();
      await until("the bot's stream-events connection", () => gerrit.connections() > connected || (running.process.exitCode !== null && running.logs));
      await loadBuild(BUILDS.known, "tempest-full-py3", 2001, ["2026-11-29 10:00:00.000 123 ERROR nova.compute.manager [-] " + SIGNATURE, "a harmless line"]);
      await loadBuild(BUILDS.unknown, "tempest-full-py3", 2002, ["2026-11-29 10:00:00.000 123 ERROR nova.api [-] Something nobody has seen"]);
      gerrit.appendEvent(zuulReportEvent(2001, 1, [jobLine("tempest-full-py3", BUILDS.known), jobLine("openstack-tox-pep8", uuid(9))]));
      gerrit.appendEvent(zuulReportEvent(2002, 1, [jobLine("tempest-full-py3", BUILDS.unknown)]));
      gerrit.appendEvent(zuulReportEvent(2003, 1, [jobLine("devstack-multinode", BUILDS.late, { result: "TIMED_OUT" })]));
      gerrit.appendEvent(zuulReportEvent(2004, 1, [jobLine("tempest-slow", BUILDS.never)]));
      gerrit.appendEvent(zuulReportEvent(2009, 1, [jobLine("tempest-full-py3", uuid(8))], "a-human"));
      // A tenant whose logs are not indexed: never waited on.
      gerrit.appendEvent(zuulReportEvent(2010, 1, [jobLine("tempest-full-py3", uuid(10), { tenant: "zuul" })]));
      await until("the bot to see four failures", () => logged(running, "CI failure seen; waiting for its logs").length === 4);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await loadBuild(BUILDS.late, "devstack-multinode", 2003, ["2026-11-29 10:00:00.000 123 ERROR nova.conductor [-] " + SIGNATURE], "TIMED_OUT");

      await until("comments on 2001 and 2003", () => reviewsOf(2001).length === 1 && reviewsOf(2003).length === 1);
      await until("the bot to give up on build 2004", () => logged(running, "gave up waiting for a failed build's logs").length === 1);
      const [, flag, message] = reviewsOf(2001)[0];
      expect(flag).toBe("--message");
      expect(message).toContain(`- tempest-full-py3: https://bugs.launchpad.net/bugs/${KNOWN_BUG}`);
      expect(message).toContain("please see https://recheck.example.org/elastic-recheck/");
      expect(reviewsOf(2003)[0][2]).toContain(`- devstack-multinode: https://bugs.launchpad.net/bugs/${KNOWN_BUG}`);
      expect(logged(running, "classified a failed build").map((entry) => [entry.change, entry.bugs])).toEqual(
        expect.arrayContaining([[2001, [KNOWN_BUG]], [2002, []], [2003, [KNOWN_BUG]]]),
      );
      expect(logged(running, "gave up waiting for a failed build's logs")[0]).toMatchObject({ change: 2004, documents: 0 });
      expect(gerrit.reviews().map((review) => review[0]).sort()).toEqual(["2001,1", "2003,1"]);

      // A broken query file is named, and the other queries still ran.
      expect(logged(running, "a query file cannot be used; the other queries still run")).toEqual([
        expect.objectContaining({ level: "error", file: path.join(dir, "queries", "1000003.yaml") }),
      ]);

      expect(logged(running, "CI failures of a tenant whose logs are not indexed; not waited on")).toEqual([expect.objectContaining({ change: 2010, jobs: ["tempest-full-py3 (zuul)"] })]);

      // The dashboard: the known bug with its builds (the TIMED_OUT one too), the unmatched failure as uncategorized.
      const dashboardFile = path.join(dir, "state", "dashboard", "data", "dashboard.json");
      const dashboard = await until("a dashboard with both classified builds", () => {
        if (!fs.existsSync(dashboardFile)) return undefined;
        const data = JSON.parse(fs.readFileSync(dashboardFile, "utf8"));
        return data.bugs.find((bug: { bug: string }) => bug.bug === KNOWN_BUG)?.builds === 2 ? data : undefined;
      });
      expect(dashboard.bugs.find((bug: { bug: string }) => bug.bug === KNOWN_BUG)).toMatchObject({
        daily: expect.arrayContaining([expect.objectContaining({ builds: 2 })]),
        jobs: expect.arrayContaining([expect.objectContaining({ name: "tempest-full-py3", builds: 1 }), expect.objectContaining({ name: "devstack-multinode", builds: 1 })]),
      });
      expect(dashboard.uncategorized).toEqual([expect.objectContaining({ build: BUILDS.unknown, job: "tempest-full-py3", change: "2002", queue: "check" })]);
      expect(fs.readFileSync(path.join(dir, "state", "dashboard", "uncategorized.html"), "utf8")).toContain(BUILDS.unknown);
      // Its error, fingerprinted by the pipeline, is a suggested signature (min_builds 1 here) with a ready query.
      const suggestionsFile = path.join(dir, "state", "dashboard", "data", "suggestions.json");
      const suggestions = await until("the suggested signatures", () => fs.existsSync(suggestionsFile) && JSON.parse(fs.readFileSync(suggestionsFile, "utf8")));
      expect(suggestions.suggestions).toEqual([
        expect.objectContaining({ normalized: "Something nobody has seen", builds: 1, jobs: ["tempest-full-py3"], query: expect.objectContaining({ text: 'message:"Something nobody has seen" AND tags:"job-output.txt"', failedBuilds: 1, weak: false }) }),
      ]);

      // Health and metrics on loopback; the first search URL never answers, the second does.
      // The fake Gerrit records a review before the bot's SSH command returns and the bot counts it.
      await until("the bot to count both comments", () => logged(running, "commented on the change").length === 2);
      const healthPort = logged(running, "recheck service started")[0].healthPort as number;
      const health = await get(`http://127.0.0.1:${healthPort}/health`);
      expect(health.status).toBe(200);
      expect(JSON.parse(health.body)).toMatchObject({ status: "ok", gerritStream: "connected", pendingReports: 0 });
      const metrics = (await get(`http://127.0.0.1:${healthPort}/metrics`)).body;
      expect(metrics).toMatch(/^recheck_comments_total 2$/m);
      expect(metrics).toMatch(/^recheck_builds_timed_out_total 1$/m);
      expect(metrics).toMatch(/^recheck_failures_not_ingested_total 1$/m);
    });

    test("killed while waiting and started again, reports the pending failure once and never repeats a report", async () => {
      const first = bot!;
      first.logs.length = 0;
      gerrit.appendEvent(zuulReportEvent(2005, 1, [jobLine("tempest-full-py3", BUILDS.restarted)]));
      await until("the bot to see the failure", () => logged(first, "CI failure seen; waiting for its logs").length === 1);
      await stopBot("SIGKILL");
      const state = JSON.parse(fs.readFileSync(path.join(dir, "state", "state.json"), "utf8"));
      expect(state.pending.map((report: { change: number }) => report.change)).toEqual([2005]);

      await loadBuild(BUILDS.restarted, "tempest-full-py3", 2005, ["2026-11-29 10:00:00.000 123 ERROR nova.compute.manager [-] " + SIGNATURE]);
      const connected = gerrit.connections();
      const second = startBot();
      await until("the restarted bot's comment on 2005", () => reviewsOf(2005).length > 0);
      await until("the restarted bot's stream-events connection", () => gerrit.connections() > connected);
      // The same report again (Gerrit sends what it sends): the builds are done, nothing is repeated.
      gerrit.appendEvent(zuulReportEvent(2001, 1, [jobLine("tempest-full-py3", BUILDS.known)]));
      gerrit.appendEvent(zuulReportEvent(2005, 1, [jobLine("tempest-full-py3", BUILDS.restarted)]));
      gerrit.appendEvent(zuulReportEvent(2006, 1, [jobLine("tempest-full-py3", BUILDS.known)]));
      // A new failure after them: once the bot has seen it, it has read the repeats too.
      gerrit.appendEvent(zuulReportEvent(2007, 1, [jobLine("tempest-full-py3", uuid(7))]));
      await until("the bot to see the new failure", () => logged(second, "CI failure seen; waiting for its logs").length > 0);
      expect(logged(second, "CI failure seen; waiting for its logs").map((entry) => entry.change)).toEqual([2007]);
      expect(gerrit.reviews().map((review) => review[0]).sort()).toEqual(["2001,1", "2003,1", "2005,1"]);
      await stopBot("SIGTERM");
      expect(second.process.exitCode).toBe(0);
    });

    describeWithTool("nginx", "its dashboard, as nginx serves it", () => {
      describeGated(chromiumGate(), "in headless Chromium", () => {
        test("shows each bug with its failed builds per day and trend, the uncategorized failure and its suggested signature, fetching nothing from elsewhere", async () => {
          const dashboard = path.join(dir, "state", "dashboard");
          const web = fs.mkdtempSync(path.join(os.tmpdir(), "recheck-nginx-"));
          const [httpPort, httpsPort] = [await freePort(), await freePort()];
          let nginx: ChildProcess | undefined;
          try {
            fs.mkdirSync(path.join(web, "conf"));
            fs.mkdirSync(path.join(web, "logs"));
            selfSignedCertificate(web, { commonName: "127.0.0.1", keyFile: "conf/key.pem", certFile: "conf/cert.pem" });
            fs.writeFileSync(path.join(web, "conf", "nginx.conf"), renderDashboardNginx({
              serverName: "127.0.0.1", webRoot: dashboard, dataDir: path.join(dashboard, "data"), tlsCertificateFile: "cert.pem", tlsKeyFile: "key.pem",
              acmeWebroot: "acme", httpPort, httpsPort, statusListen: `127.0.0.1:${await freePort()}`, ipv6: false, runtime: { pidFile: "logs/nginx.pid", logDir: "logs", tempDir: "logs" },
            }));
            nginx = await startNginx(web, httpsPort, { serveAsTestUser: true });
            const base = `https://127.0.0.1:${httpsPort}/elastic-recheck/`;
            fs.mkdirSync(ARTIFACTS, { recursive: true });
            const graph = await visit(base, { screenshotFile: path.join(ARTIFACTS, "recheck-dashboard.png") });
            const row = /<tr id="bug-1000001">(.*?)<\/tr>/s.exec(graph.dom)?.[1] ?? "";
            // Builds 2001 and 2003, and 2005 when the restarted bot wrote the dashboard again.
            const data = JSON.parse(fs.readFileSync(path.join(dashboard, "data", "dashboard.json"), "utf8"));
            const builds = data.bugs.find((bug: { bug: string }) => bug.bug === KNOWN_BUG).builds as number;
            expect(builds).toBeGreaterThanOrEqual(2);
            expect(row).toContain(`<a href="https://bugs.launchpad.net/bugs/${KNOWN_BUG}">${KNOWN_BUG}</a></td><td>${builds}</td>`);
            expect(row).toMatch(/<td class="trend-(rising|falling|steady)">(rising|falling|steady)<\/td>/);
            expect(row.match(/<rect /g)).toHaveLength(3);
            expect(row).toContain("<title>");
            expect(graph.dom).toContain("Failure rate per job");
            expect(fs.statSync(path.join(ARTIFACTS, "recheck-dashboard.png")).size).toBeGreaterThan(1000);
            const uncategorized = await visit(`${base}uncategorized.html`);
            expect(uncategorized.dom).toContain('<a href="suggestions.html">suggested signatures</a>');
            const suggested = await visit(`${base}suggestions.html`, { screenshotFile: path.join(ARTIFACTS, "recheck-suggestions.png") });
            const suggestion = /<tr id="fingerprint-[0-9a-f]{16}">(.*?)<\/tr>/s.exec(suggested.dom)?.[1] ?? "";
            expect(suggestion).toContain("<td>1</td><td>1</td><td>tempest-full-py3</td><td>openstack/nova</td>");
            expect(suggestion).toContain("<code>message:\"Something nobody has seen\" AND tags:\"job-output.txt\"</code><br>failed builds: 1, passing builds: 0");
            expect(suggestion).toContain(`<a href="https://logs.example.org/${BUILDS.unknown}/job-output.txt">job-output.txt</a>: <code>`);
            expect(suggestion).toContain("query: 'message:\"Something nobody has seen\" AND tags:\"job-output.txt\"'");
            const failure = new RegExp(`<tr>(?:(?!</tr>).)*${BUILDS.unknown}(?:(?!</tr>).)*</tr>`, "s").exec(uncategorized.dom)?.[0] ?? "";
            expect(failure).toContain("<td>tempest-full-py3</td>");
            expect(failure).toContain(`<a href="https://review.example.org/c/openstack/nova/+/2002">2002,1</a>`);
            // The pages asked for nothing but files of this host (Chromium asks for a favicon: that proves the log is read).
            const requests = [...graph.pageRequests, ...uncategorized.pageRequests, ...suggested.pageRequests];
            expect(requests.length).toBeGreaterThan(0);
            expect(requests.filter((url) => !url.startsWith(`https://127.0.0.1:${httpsPort}/`))).toEqual([]);
          } finally {
            nginx?.kill("SIGQUIT");
            fs.rmSync(web, { recursive: true, force: true });
          }
        });
      });
    });
  });
});
