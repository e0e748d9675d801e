/**
 * The recheck service: `node recheck.js <settings.json>`, run by systemd with the bot's
 * secrets in $CREDENTIALS_DIRECTORY and its writable state in $STATE_DIRECTORY (pending
 * failures, the dashboard pages). See README: Recheck service.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { RecheckBot } from "./bot";
import { CREDENTIAL_NAMES } from "../../lib/recheck/service-config";
import { credentialFile, readConfig, requiredCredential } from "./config";
import { computeDashboard, writeDashboard } from "./dashboard";
import { computeSuggestions } from "./suggest";
import { writeSuggestions } from "./suggest-page";
import { SuggestionAnnouncer } from "./suggest-irc";
import { EventStream, keyProblem, review, type GerritConnection } from "./gerrit";
import { serveHealth } from "./health";
import { AlertAnnouncer, serveAlertReceiver } from "./alerts";
import { IrcAnnouncer } from "./irc";
import { errorText, jsonLogger } from "../shared/log";
import { runService, stopOnSignals } from "../shared/process";
import { readOptional, StartError, stateDirectory } from "../shared/settings";
import { QueryLoader } from "./queries";
import { SearchClient } from "./search";
import { StateStore } from "./state";

async function main(args: readonly string[]): Promise<void> {
  const log = jsonLogger();
  if (args.length !== 1) throw new StartError("usage: recheck <settings.json> (with $STATE_DIRECTORY and $CREDENTIALS_DIRECTORY set, as systemd does)");
  const config = readConfig(args[0]);
  const stateDir = stateDirectory();
  const gerrit: GerritConnection = { ...config.gerrit, keyFile: requiredCredential("gerritKey") };
  const problem = keyProblem(gerrit.keyFile);
  if (problem !== undefined) {
    throw new StartError(
      `credential ${CREDENTIAL_NAMES.gerritKey}: OpenSSH cannot load the Gerrit key (ssh-keygen -y: ${problem}); ` +
        "set the Terraform variable recheck_gerrit_ssh_private_key to the bot's unencrypted private key in OpenSSH format",
    );
  }
  if (!fs.existsSync(gerrit.knownHostsFile)) throw new StartError(`${args[0]}: gerrit.knownHostsFile: ${gerrit.knownHostsFile} does not exist; expected Gerrit's host key in known_hosts format`);

  const search = new SearchClient({
    urls: config.search.urls,
    username: config.search.username,
    password: readOptional(credentialFile("searchPassword")),
    ca: config.search.caFile ? fs.readFileSync(config.search.caFile, "utf8") : undefined,
  });
  const jobsRe = new RegExp(config.jobsRe);
  const queries = new QueryLoader(config.queriesDir, log);
  const state = new StateStore(path.join(stateDir, "state.json"), log);
  const irc = config.irc
    ? new IrcAnnouncer({
        ...config.irc,
        otherChannels: config.alerts ? [config.alerts.channel] : [],
        password: readOptional(credentialFile("ircPassword")),
        ca: config.irc.caFile ? fs.readFileSync(config.irc.caFile, "utf8") : undefined,
        log,
      })
    : undefined;
  const bot = new RecheckBot({
    ciUsername: config.ciUsername,
    jobsRe,
    tenants: new Set(config.tenants),
    indexPattern: config.search.indexPattern,
    timeoutMs: config.wait.timeoutSeconds * 1000,
    dashboardUrl: config.dashboardUrl,
    search,
    state,
    queries,
    log,
    comment: config.gerrit.comment ? (change, patchset, message) => review(gerrit, change, patchset, message) : undefined,
    announce: irc ? (project, kind, text) => irc.announce(project, kind, text) : undefined,
  });
  const ircMinBuilds = config.suggestions.ircMinBuilds;
  const suggestionAnnouncer = irc && ircMinBuilds !== undefined
    ? new SuggestionAnnouncer({ minBuilds: ircMinBuilds, dashboardUrl: config.dashboardUrl, say: (text) => irc.announceToAllProjects("negative", text), state })
    : undefined;
  const stream = new EventStream(gerrit, { log, onEvent: (event) => bot.onEvent(event) });

  let dashboardWrittenAt = 0;
  let dashboardErrors = 0;
  const dashboardDir = path.join(stateDir, "dashboard");
  const refreshDashboard = async () => {
    try {
      const data = await computeDashboard(
        { search, indexPattern: config.search.indexPattern, days: config.dashboard.days, uncategorizedHours: config.dashboard.uncategorizedHours, jobsRe, logsUrl: config.logsUrl },
        queries.load().queries,
        new Date(),
      );
      writeDashboard(dashboardDir, data, config.logsUrl);
      dashboardWrittenAt = Date.now();
      log.log("info", "dashboard written", { dir: dashboardDir, bugs: data.bugs.length, uncategorized: data.uncategorized.length });
      const suggestions = await computeSuggestions(
        { search, indexPattern: config.search.indexPattern, windowHours: config.dashboard.uncategorizedHours, settings: config.suggestions },
        data.uncategorized,
        new Date(),
      );
      writeSuggestions(dashboardDir, suggestions);
      const announced = suggestionAnnouncer?.announce(suggestions) ?? 0;
      log.log("info", "suggestions written", {
        suggestions: suggestions.suggestions.length, fingerprints: suggestions.fingerprints, checked: suggestions.checked, seconds: suggestions.seconds, partial: suggestions.partial, announced,
      });
    } catch (error) {
      dashboardErrors += 1;
      log.log("error", "dashboard not updated", { error: errorText(error) });
    }
  };

  const health = await serveHealth(config.healthPort, {
    health: () => ({
      ok: stream.connectedSince !== undefined,
      details: {
        gerritStream: stream.connectedSince ? "connected" : "reconnecting",
        lastEventAt: stream.lastEventAt?.toISOString() ?? null,
        pendingReports: state.pending.length,
        dashboardWrittenAt: dashboardWrittenAt ? new Date(dashboardWrittenAt).toISOString() : null,
      },
    }),
    metrics: () => ({
      recheck_failures_seen_total: bot.counters.failuresSeen,
      recheck_failures_not_ingested_total: bot.counters.notIngested,
      recheck_builds_classified_total: bot.counters.classified,
      recheck_builds_matched_total: bot.counters.matched,
      recheck_builds_timed_out_total: bot.counters.timedOut,
      recheck_comments_total: bot.counters.comments,
      recheck_comment_errors_total: bot.counters.commentErrors,
      recheck_search_errors_total: bot.counters.searchErrors,
      recheck_dashboard_errors_total: dashboardErrors,
      recheck_dashboard_written_timestamp_seconds: Math.floor(dashboardWrittenAt / 1000),
      recheck_pending_reports: state.pending.length,
      recheck_gerrit_stream_up: stream.connectedSince ? 1 : 0,
      recheck_gerrit_stream_connections_total: stream.connections,
    }),
  }, config.healthAddress);
  const alertsConfig = config.alerts;
  const alerts = alertsConfig && irc ? new AlertAnnouncer({ say: (text) => irc.say(alertsConfig.channel, text), statusPageUrl: alertsConfig.statusPageUrl }) : undefined;
  const alertReceiver = alertsConfig && irc && alerts
    ? await serveAlertReceiver({
        port: alertsConfig.port,
        host: config.healthAddress ?? "127.0.0.1",
        token: readOptional(requiredCredential("alertReceiverToken"))!,
        announcer: alerts,
        ready: () => irc.connected,
        log,
      })
    : undefined;
  log.log("info", "recheck service started", {
    healthPort: health.port, pendingReports: state.pending.length, comment: config.gerrit.comment, irc: Boolean(irc), alertReceiverPort: alertReceiver?.port ?? null,
  });

  stream.start();
  irc?.start();
  const tick = () => bot.tick().catch((error: unknown) => log.log("error", "bot tick failed", { error: errorText(error) }));
  const ticks = setInterval(tick, config.wait.pollSeconds * 1000);
  void tick();
  const dashboards = setInterval(() => void refreshDashboard(), config.dashboard.intervalSeconds * 1000);
  void refreshDashboard();

  stopOnSignals(log, () => {
    clearInterval(ticks);
    clearInterval(dashboards);
    stream.stop();
    irc?.stop();
    alerts?.stop();
    alertReceiver?.close();
    health.close();
  });
}

runService("recheck", main);
