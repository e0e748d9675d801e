import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { CloudConfigBuilder, MAX_USER_DATA_BYTES } from "../lib/cloud-init/cloud-config";
import { DEFAULT_DOWNLOAD_LIST } from "../lib/ingestion/download-list";
import { partitionSources } from "../lib/ingestion/partition";
import { INGESTION_CREDENTIAL, type IngestionServiceConfig } from "../lib/ingestion/service-config";
import { BUNDLE_FILE, CONFIG_FILE, configureIngestionWorker, INGESTION_UNIT, WORKER_ONLY_EXECUTABLES, type IngestionWorkerProps } from "../lib/ingestion/worker-software";
import { serviceBundle } from "../lib/service-bundle";
import { oldestNodeGate, oldestNodePath } from "./support/oldest-node";
import { runProcess } from "./support/scripts";
import { describeGated, describeWithTool, terraformString, validateCloudConfig, validateSystemdUnits } from "./support/validators";

const ASSIGNMENTS = partitionSources(
  [{ name: "openstack", zuul_api_url: "https://zuul.opendev.org/api/tenant/openstack", shards: 2 }, { name: "opendev", zuul_api_url: "https://zuul.opendev.org/api/tenant/opendev" }],
  2,
);

function props(overrides: Partial<IngestionWorkerProps> = {}): IngestionWorkerProps {
  return {
    assignment: ASSIGNMENTS[0],
    clusterUrls: ["https://10.42.0.48:9200", "https://10.42.0.49:9200"],
    writerUsername: "logwriter",
    writerPasswordFile: "/etc/ci-log-analysis/search-writer-password",
    caCertificateFile: "/etc/ci-log-analysis/search-ca.crt",
    serviceBundle: serviceBundle("ingestion"),
    retentionDays: 14,
    ...overrides,
  };
}

function worker(overrides: Partial<IngestionWorkerProps> = {}) {
  const builder = new CloudConfigBuilder();
  configureIngestionWorker(builder, props(overrides));
  const files = Object.fromEntries(builder.files().map((file) => [file.path, file]));
  return { builder, files, settings: JSON.parse(files[CONFIG_FILE].content) as IngestionServiceConfig, unit: builder.systemdUnitFiles()[INGESTION_UNIT] };
}

const W = worker();

describe("ingestion worker: files and unit", () => {
  test("runs one service for the worker's shards", () => {
    expect(Object.keys(W.builder.systemdUnitFiles())).toEqual([INGESTION_UNIT]);
    expect(W.settings.sources).toEqual([
      { name: "openstack", zuulApiUrl: "https://zuul.opendev.org/api/tenant/openstack", tenant: "openstack", shard: 0, shards: 2 },
      { name: "opendev", zuulApiUrl: "https://zuul.opendev.org/api/tenant/opendev", tenant: "opendev", shard: 0, shards: 1 },
    ]);
    expect(W.unit).toContain("Description=Ingestion: index the CI logs of openstack (shard 1 of 2), opendev into the search cluster\n");
  });

  test("writes the settings with the documented defaults, and no secret", () => {
    expect(W.settings).toEqual({
      sources: expect.any(Array),
      downloadList: DEFAULT_DOWNLOAD_LIST.map((entry) => ({ name: entry.name, tags: [...entry.tags] })),
      zuul: { caFile: "/etc/ssl/certs/ca-certificates.crt", pageSize: 500, pollSeconds: 60, backfillHours: 6 },
      search: { urls: ["https://10.42.0.48:9200", "https://10.42.0.49:9200"], username: "logwriter", caFile: "/etc/ci-log-analysis/search-ca.crt", indexPrefix: "logstash-", retentionDays: 14 },
      lines: { debugMessages: "drop", maxFileBytes: 256 * 1024 * 1024 },
      parallelBuilds: 4,
      metrics: { port: 9128 },
    });
  });

  test("writes the service's bundle gzipped", () => {
    expect(W.files[BUNDLE_FILE]).toMatchObject({ encoding: "gz+b64", permissions: "0644" });
  });

  test("passes the writer's password as a systemd credential, never as a value", () => {
    expect(W.unit).toContain(`LoadCredential=${INGESTION_CREDENTIAL}:/etc/ci-log-analysis/search-writer-password\n`);
    expect(W.files[CONFIG_FILE].content).not.toMatch(/password/i);
  });

  test("runs unprivileged and hardened, memory-capped with the heap below the cap, restarted when it stops", () => {
    for (const line of ["User=ingestion", "StateDirectory=ingestion", "MemoryMax=1024M", "Environment=NODE_OPTIONS=--max-old-space-size=512", "Restart=always", "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes"]) {
      expect(W.unit).toContain(`${line}\n`);
    }
  });

  test("installs only the distribution's Node.js, and writes no script: no Python, no git, no scratch area", () => {
    const document = parse(terraformString(W.builder.render()));
    expect(document.packages.sort()).toEqual(["ca-certificates", "nodejs"]);
    expect(document.write_files.map((file: { path: string }) => file.path).sort()).toEqual([CONFIG_FILE, `/etc/systemd/system/${INGESTION_UNIT}`, BUNDLE_FILE]);
  });

  test("leaves 40% of Nova's user data limit to the rest of the server", () => {
    expect(Buffer.byteLength(W.builder.render())).toBeLessThan(MAX_USER_DATA_BYTES * 0.6);
  });

  test("takes the deployment's settings", () => {
    const w = worker({ debugMessages: "keep", backfillHours: 0, pollSeconds: 30, maxLogFileSizeMiB: 16, memoryMaxMiB: 2048 });
    expect([w.settings.lines, w.settings.zuul.backfillHours, w.settings.zuul.pollSeconds]).toEqual([{ debugMessages: "keep", maxFileBytes: 16 * 1024 * 1024 }, 0, 30]);
    expect(w.unit).toContain("MemoryMax=2048M\n");
  });

  test("accepts a cluster address that is only known at deploy time (a cdktf token)", () => {
    expect(worker({ clusterUrls: ["https://${TfToken[TOKEN.42]}:9200"] }).settings.search.urls).toEqual(["https://${TfToken[TOKEN.42]}:9200"]);
  });
});

describe("ingestion worker: failures", () => {
  test("fails on an assignment without shards", () => {
    expect(() => worker({ assignment: { worker: 3, shards: [] } })).toThrow("ingestion worker 3: the assignment has no shard");
  });

  test("fails on a cluster URL without https, and on none", () => {
    expect(() => worker({ clusterUrls: ["http://10.42.0.48:9200"] })).toThrow('clusterUrls: got "http://10.42.0.48:9200"; expected https://<host>[:<port>][/<path>]');
    expect(() => worker({ clusterUrls: [] })).toThrow("clusterUrls is empty");
  });

  test("fails on a relative password file", () => {
    expect(() => worker({ writerPasswordFile: "writer-password" })).toThrow('writerPasswordFile: got "writer-password"; expected an absolute path');
  });

  test("fails on a bad download list", () => {
    expect(() => worker({ downloadList: [{ name: "a/*.txt", tags: ["x"] }] })).toThrow("The download list has 1 problem(s)");
  });

  test("fails on a memory limit too small for Node.js", () => {
    expect(() => worker({ memoryMaxMiB: 100 })).toThrow("memoryMaxMiB: got 100; expected a whole number of at least 256");
  });
});

describeWithTool("cloud-init", "ingestion worker: cloud-init schema", () => {
  test("the user data is valid cloud-config", () => {
    expect(validateCloudConfig(terraformString(W.builder.render()))).toEqual([]);
  });
});

describeWithTool("systemd-analyze", "ingestion worker: systemd-analyze verify", () => {
  test("the unit is valid", () => {
    expect(validateSystemdUnits(W.builder.systemdUnitFiles(), { providedExecutables: WORKER_ONLY_EXECUTABLES })).toEqual({ [INGESTION_UNIT]: [] });
  });
});

describeGated(oldestNodeGate(), "the service's bundle under the oldest Node.js it supports", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ingestion-worker-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (settings: string, env: NodeJS.ProcessEnv) => {
    fs.writeFileSync(path.join(dir, "ingestion.js"), serviceBundle("ingestion"));
    fs.writeFileSync(path.join(dir, "ingestion.json"), settings);
    return runProcess(oldestNodePath(), [path.join(dir, "ingestion.js"), path.join(dir, "ingestion.json")], { env: { PATH: process.env.PATH, ...env } });
  };

  test("reads the rendered settings, then stops at once naming the missing credential", async () => {
    fs.mkdirSync(path.join(dir, "state"), { recursive: true });
    const result = await run(W.files[CONFIG_FILE].content, { STATE_DIRECTORY: path.join(dir, "state"), CREDENTIALS_DIRECTORY: path.join(dir, "none") });
    expect({ status: result.status, stderr: result.stderr }).toEqual({
      status: 2,
      stderr: `ingestion: credential ${INGESTION_CREDENTIAL} not found in $CREDENTIALS_DIRECTORY (${path.join(dir, "none")}); expected the unit's LoadCredential=${INGESTION_CREDENTIAL}:<file>\n`,
    });
  });

  test("names the file and the setting of a settings file it cannot use", async () => {
    const broken = { ...W.settings, zuul: { ...W.settings.zuul, pollSeconds: "often" } };
    const result = await run(JSON.stringify(broken), { STATE_DIRECTORY: dir });
    expect([result.status, result.stderr]).toEqual([2, `ingestion: ${path.join(dir, "ingestion.json")}: zuul.pollSeconds: got "often"; expected a number\n`]);
  });
});
