/**
 * The ingestion service: `node ingestion.js <settings.json>`, run by systemd with the writer's
 * password in $CREDENTIALS_DIRECTORY and its checkpoints in $STATE_DIRECTORY. See README:
 * Ingestion. It serves `GET /metrics` (Prometheus) and `GET /health` on the metrics port.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import { INGESTION_CREDENTIAL, type IngestionServiceConfig } from "../../lib/ingestion/service-config";
import { errorText, jsonLogger } from "../shared/log";
import { runService, stopOnSignals } from "../shared/process";
import { checkSetting, credentialFile, readOptional, readSettingsFile, StartError, stateDirectory } from "../shared/settings";
import { SearchWriter } from "./bulk";
import { HttpClient } from "./http";
import { IngestionService } from "./service";

function readConfig(file: string): IngestionServiceConfig {
  const data = readSettingsFile(file);
  for (const [setting, expected] of [
    ["sources", "object[]"], ["downloadList", "object[]"], ["zuul.caFile", "string"], ["zuul.pageSize", "number"], ["zuul.pollSeconds", "number"],
    ["zuul.backfillHours", "number"], ["search.urls", "string[]"], ["search.indexPrefix", "string"], ["search.retentionDays", "number"],
    ["lines.debugMessages", "string"], ["lines.maxFileBytes", "number"], ["parallelBuilds", "number"], ["metrics.port", "number"],
  ] as const) checkSetting(file, data, setting, expected);
  checkSetting(file, data, "search.username", "string", true);
  checkSetting(file, data, "search.caFile", "string", true);
  checkSetting(file, data, "metrics.address", "string", true);
  const config = data as IngestionServiceConfig;
  if (config.sources.length === 0) throw new StartError(`${file}: sources: got an empty list; expected the shards this worker indexes`);
  config.sources.forEach((_, index) => {
    for (const [key, expected] of [["name", "string"], ["zuulApiUrl", "string"], ["tenant", "string"], ["shard", "number"], ["shards", "number"]] as const) {
      checkSetting(file, data, `sources.${index}.${key}`, expected);
    }
  });
  config.downloadList.forEach((_, index) => {
    checkSetting(file, data, `downloadList.${index}.name`, "string");
    checkSetting(file, data, `downloadList.${index}.tags`, "string[]");
  });
  if (!["drop", "keep"].includes(config.lines.debugMessages)) {
    throw new StartError(`${file}: lines.debugMessages: got ${JSON.stringify(config.lines.debugMessages)}; expected "drop" or "keep"`);
  }
  return config;
}

function readPem(file: string, setting: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new StartError(`${setting}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? errorText(error)}`);
  }
}

async function main(args: readonly string[]): Promise<void> {
  const log = jsonLogger();
  if (args.length !== 1) throw new StartError("usage: ingestion <settings.json> (with $STATE_DIRECTORY and $CREDENTIALS_DIRECTORY set, as systemd does)");
  const config = readConfig(args[0]);
  const stateDir = stateDirectory();
  const password = readOptional(credentialFile(INGESTION_CREDENTIAL));
  if (config.search.username !== undefined && password === undefined) {
    throw new StartError(`credential ${INGESTION_CREDENTIAL} not found in $CREDENTIALS_DIRECTORY (${process.env.CREDENTIALS_DIRECTORY ?? "unset"}); expected the unit's LoadCredential=${INGESTION_CREDENTIAL}:<file>`);
  }
  const logs = new HttpClient({ ca: readPem(config.zuul.caFile, "zuul.caFile") });
  const cluster = new HttpClient({ ca: config.search.caFile ? readPem(config.search.caFile, "search.caFile") : undefined, idleTimeoutMs: 120_000 });
  const writer = new SearchWriter(cluster, { urls: config.search.urls, username: config.search.username, password });
  const service = new IngestionService({ config, stateDir, log, http: logs, writer });

  const server = http.createServer((request, response) => {
    if (request.method !== "GET") {
      response.writeHead(405).end();
    } else if (request.url === "/metrics") {
      response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(service.metrics.render());
    } else if (request.url === "/health") {
      const { ok, details } = service.health();
      response.writeHead(ok ? 200 : 503, { "content-type": "application/json" }).end(`${JSON.stringify({ status: ok ? "ok" : "degraded", ...details })}\n`);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => reject(new StartError(`metrics port ${config.metrics.port}: ${errorText(error)}`)));
    server.listen(config.metrics.port, config.metrics.address, () => resolve());
  });
  const address = server.address();
  log.log("info", "ingestion service started", {
    sources: config.sources.map((source) => `${source.name} (${source.tenant}, shard ${source.shard + 1} of ${source.shards})`),
    metricsPort: typeof address === "object" && address !== null ? address.port : config.metrics.port,
    debugMessages: config.lines.debugMessages,
  });
  service.start();

  stopOnSignals(log, () => {
    service.stop();
    server.close();
    logs.close();
    cluster.close();
  });
}

runService("ingestion", main);
