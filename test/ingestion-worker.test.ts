import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { CloudConfigBuilder, MAX_USER_DATA_BYTES } from "../lib/cloud-init/cloud-config";
import { DEFAULT_DOWNLOAD_LIST } from "../lib/ingestion/download-list";
import { renderLogsenderConfig } from "../lib/ingestion/logsender-config";
import { partitionSources, type FollowedSource } from "../lib/ingestion/partition";
import { WORKER_PYTHON_REQUIREMENTS } from "../lib/ingestion/python-requirements";
import { CAPPED_LOGSCRAPER_SCRIPT, RUNTIME_CONFIG_SCRIPT } from "../lib/ingestion/worker-scripts";
import {
  configureIngestionWorker,
  LOGSCRAPER_GIT_COMMIT,
  systemdQuote,
  WORKER_ONLY_EXECUTABLES,
  type IngestionWorkerProps,
} from "../lib/ingestion/worker-software";
import { readIniDefaults, readWithPython, PYTHON3 } from "./support/ini";
import { runProcess } from "./support/scripts";
import {
  describeGated,
  describeWithTool,
  terraformString,
  toolGate,
  validateCloudConfig,
  validateShellScripts,
  validateSystemdUnits,
} from "./support/validators";

const SOURCES: FollowedSource[] = [
  { name: "openstack-tempest", tenant: "openstack", zuul_api_url: "https://zuul.opendev.org/api/tenant/openstack", job_filter: "^tempest-" },
  { name: "opendev", tenant: "opendev", zuul_api_url: "https://zuul.opendev.org/api/tenant/opendev" },
  { name: "openstack", tenant: "openstack", zuul_api_url: "https://zuul.opendev.org/api/tenant/openstack" },
];
const ASSIGNMENTS = partitionSources(SOURCES, 2);

function props(overrides: Partial<IngestionWorkerProps> = {}): IngestionWorkerProps {
  return {
    assignment: ASSIGNMENTS[0],
    clusterUrls: ["https://10.42.0.48:9200", "https://10.42.0.49:9200", "https://10.42.0.50:9200"],
    writerUsername: "logs-writer",
    writerPasswordFile: "/etc/ingestion/writer-password",
    caCertificateFile: "/etc/ingestion/cluster-ca.pem",
    ...overrides,
  };
}

function worker(overrides: Partial<IngestionWorkerProps> = {}) {
  const builder = new CloudConfigBuilder();
  const result = configureIngestionWorker(builder, props(overrides));
  const files = Object.fromEntries(builder.files().map((file) => [file.path, file]));
  return { builder, result, files, content: (p: string) => files[p].content };
}

const W = worker();

describe("ingestion worker: files and units", () => {
  test("runs one logscraper and one logsender per assigned source", () => {
    expect(W.result.serviceUnits).toEqual([
      "logscraper-openstack-tempest.service",
      "logsender-openstack-tempest.service",
      "logscraper-openstack.service",
      "logsender-openstack.service",
    ]);
    expect(Object.keys(W.builder.systemdUnitFiles()).sort()).toEqual(
      [...W.result.serviceUnits, "ingestion-prepare.service", "ingestion-scratch-clean.service", "ingestion-scratch-clean.timer"].sort(),
    );
  });

  test("gives each logscraper its own metrics port", () => {
    expect(W.result.metricsPorts).toEqual([9128, 9129]);
    expect(readIniDefaults(W.content("/etc/logscraper/logscraper-openstack.config")).monitoring_port).toBe(9129);
  });

  test("writes logscraper's configuration with upstream keys", () => {
    expect(readIniDefaults(W.content("/etc/logscraper/logscraper-openstack-tempest.config"))).toEqual({
      zuul_api_url: ["https://zuul.opendev.org/api/tenant/openstack"],
      follow: true,
      checkpoint_file: "/var/lib/logscraper/openstack-tempest.checkpoint",
      workers: 4,
      max_skipped: 1000,
      file_list: ["/etc/logscraper/download-list.yaml"],
      directory: "/srv/ingestion/openstack-tempest",
      wait_time: 120,
      monitoring_port: 9128,
      insecure: false,
      timeout: 300,
      debug: false,
    });
  });

  test("writes logsender's configuration with upstream keys and no password", () => {
    expect(readIniDefaults(W.content("/etc/logscraper/logsender-openstack.config"))).toEqual({
      host: "10.42.0.50",
      port: 9200,
      username: "logs-writer",
      password: "@WRITER_PASSWORD@",
      index_prefix: "logstash-",
      performance_index_prefix: "",
      subunit_index_prefix: "",
      chunk_size: 1500,
      skip_debug: true,
      keep: false,
      workers: 4,
      directory: "/srv/ingestion/openstack",
      file_list: ["/etc/logscraper/download-list.yaml"],
      follow: true,
      wait_time: 10,
      insecure: false,
      ca_file: "/etc/ingestion/cluster-ca.pem",
      debug: false,
    });
  });

  test("spreads the sources over the cluster nodes and lists the others as fallbacks", () => {
    expect(readIniDefaults(W.content("/etc/logscraper/logsender-openstack-tempest.config")).host).toBe("10.42.0.48");
    expect(W.builder.systemdUnitFiles()["logsender-openstack.service"]).toContain(
      "--candidate 10.42.0.50:9200 --candidate 10.42.0.48:9200 --candidate 10.42.0.49:9200",
    );
  });

  test("writes the download list", () => {
    expect(parse(W.content("/etc/logscraper/download-list.yaml")).files).toHaveLength(DEFAULT_DOWNLOAD_LIST.length);
  });

  test("pins the install to a commit", () => {
    expect(W.content("/etc/logscraper/install.env")).toContain(`LOGSCRAPER_GIT_COMMIT=${LOGSCRAPER_GIT_COMMIT}\n`);
  });

  test("passes the writer password as a systemd credential, never as a value", () => {
    const unit = W.builder.systemdUnitFiles()["logsender-openstack.service"];
    expect(unit).toContain("LoadCredential=writer-password:/etc/ingestion/writer-password\n");
    expect(unit).toContain("--password-credential writer-password");
  });

  test("limits memory, restarts on failure and runs unprivileged", () => {
    const unit = W.builder.systemdUnitFiles()["logscraper-openstack.service"];
    for (const line of ["MemoryMax=1024M", "Restart=on-failure", "RestartSec=30s", "User=logscraper", "OOMPolicy=stop", "ProtectSystem=strict"]) {
      expect(unit).toContain(`${line}\n`);
    }
    expect(W.builder.systemdUnitFiles()["logsender-openstack.service"]).toContain("MemoryMax=2048M\n");
  });

  test("caps a downloaded file's size through the launcher", () => {
    expect(W.builder.systemdUnitFiles()["logscraper-openstack.service"]).toContain("Environment=INGESTION_MAX_FILE_BYTES=268435456\n");
  });

  test("resolves the job filter of a filtered source at start, and refreshes it daily", () => {
    const filtered = W.builder.systemdUnitFiles()["logscraper-openstack-tempest.service"];
    expect(filtered).toContain('--job-filter "^tempest-"');
    expect(filtered).toContain("RuntimeMaxSec=24h\n");
    const rest = W.builder.systemdUnitFiles()["logscraper-openstack.service"];
    expect(rest).toContain('--exclude-job-filter "^tempest-"');
  });

  test("cleans the scratch area of old downloads", () => {
    expect(W.content("/etc/tmpfiles.d/ingestion-scratch.conf")).toContain("d /srv/ingestion/openstack 0750 logscraper logscraper 12h\n");
    expect(W.builder.systemdUnitFiles()["ingestion-scratch-clean.timer"]).toContain("OnUnitActiveSec=1h\n");
  });

  test("leaves a third of Nova's user data limit to the rest of the server", () => {
    expect(Buffer.byteLength(W.builder.render())).toBeLessThan((MAX_USER_DATA_BYTES * 2) / 3);
  });

  test("installs the Python dependencies from the committed lock, every one pinned with its hash", () => {
    expect(W.content("/etc/logscraper/python-requirements.txt")).toBe(WORKER_PYTHON_REQUIREMENTS);
    expect(W.content("/etc/logscraper/install.env")).toContain("PIP_REQUIREMENTS=/etc/logscraper/python-requirements.txt\n");
    expect(W.content("/usr/local/sbin/ingestion-prepare")).toContain('--require-hashes --no-deps --requirement "$PIP_REQUIREMENTS"');
    expect(W.content("/usr/local/sbin/ingestion-prepare")).toContain("--no-deps --no-build-isolation");
  });

  test("the lock pins each package once, with a SHA-256, including the build tools and logscraper's direct dependencies", () => {
    const lines = WORKER_PYTHON_REQUIREMENTS.trimEnd().split("\n");
    for (const line of lines) expect(line).toMatch(/^[A-Za-z0-9_.-]+==[A-Za-z0-9_.+!-]+ --hash=sha256:[0-9a-f]{64}$/);
    const names = lines.map((line) => line.split("==")[0].toLowerCase().replace(/[-_.]+/g, "-"));
    expect(new Set(names).size).toBe(names.length);
    // requirements.txt of ci-log-processing at LOGSCRAPER_GIT_COMMIT, and what builds it.
    expect(names).toEqual(expect.arrayContaining(["pbr", "requests", "pyyaml", "tenacity", "opensearch-py", "ruamel-yaml", "prometheus-client", "subunit2sql", "setuptools"]));
  });

  test("accepts a cluster address that is only known at deploy time (a cdktf token)", () => {
    const token = "${TfToken[TOKEN.42]}";
    const w = worker({ clusterUrls: [`https://${token}:9200`] });
    expect(w.content("/etc/logscraper/logsender-openstack.config")).toContain(`host = '${token}'\n`);
  });
});

describe("ingestion worker: failures", () => {
  test("fails on an assignment without sources", () => {
    expect(() => worker({ assignment: { worker: 3, sources: [] } })).toThrow("ingestion worker 3: the assignment has no source");
  });

  test("fails on a cluster URL without https", () => {
    expect(() => worker({ clusterUrls: ["http://10.42.0.48:9200"] })).toThrow('clusterUrls: got "http://10.42.0.48:9200"; expected https://<host>[:<port>][/<path>]');
  });

  test("fails on no cluster URL", () => {
    expect(() => worker({ clusterUrls: [] })).toThrow("clusterUrls is empty");
  });

  test("fails on a relative password file", () => {
    expect(() => worker({ writerPasswordFile: "writer-password" })).toThrow('writerPasswordFile: got "writer-password"; expected an absolute path');
  });

  test("fails on a branch instead of a commit", () => {
    expect(() => worker({ gitCommit: "master" })).toThrow('gitCommit: got "master"; expected a full commit id');
  });

  test("fails on a file size cap larger than the scratch area", () => {
    expect(() => worker({ maxLogFileSizeMiB: 4096, scratchSizeGiB: 2 })).toThrow("maxLogFileSizeMiB (4096) is larger than the scratch area (2 GiB)");
  });

  test("fails on a bad download list", () => {
    expect(() => worker({ downloadList: [{ name: "a/*.txt", tags: ["x"] }] })).toThrow("The download list has 1 problem(s)");
  });

  test("fails on metrics ports beyond 65535", () => {
    expect(() => worker({ metricsPortBase: 65535 })).toThrow("metricsPortBase + sources: got 65536");
  });
});

describe("systemdQuote", () => {
  test("leaves plain words, quotes the rest and escapes specifiers and variables", () => {
    expect([systemdQuote("/etc/x.config"), systemdQuote("^a b\\d"), systemdQuote("50%$HOME")]).toEqual(["/etc/x.config", '"^a b\\\\d"', '"50%%$$HOME"']);
  });
});

describeWithTool("cloud-init", "ingestion worker: cloud-init schema", () => {
  test("the user data is valid cloud-config", () => {
    expect(validateCloudConfig(terraformString(W.builder.render()))).toEqual([]);
  });
});

describeWithTool("shellcheck", "ingestion worker: shellcheck", () => {
  test("every script is clean", () => {
    const scripts = W.builder.scripts();
    expect(scripts.length).toBeGreaterThan(0);
    const results = validateShellScripts(Object.fromEntries(scripts.map((file) => [file.path, file.content])));
    expect(results).toEqual(Object.fromEntries(scripts.map((file) => [file.path, []])));
  });
});

describeWithTool("systemd-analyze", "ingestion worker: systemd-analyze verify", () => {
  test("every unit is valid", () => {
    const units = W.builder.systemdUnitFiles();
    expect(validateSystemdUnits(units, { providedExecutables: WORKER_ONLY_EXECUTABLES })).toEqual(
      Object.fromEntries(Object.keys(units).map((unit) => [unit, []])),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The Python programs, run with the test machine's python3 (standard library only).

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "ingestion-worker-"));
}

async function runPython(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stderr: string }> {
  const { status, stderr } = await runProcess(PYTHON3!, args, { env: { PATH: process.env.PATH, ...env }, timeoutMs: 20_000 });
  return { status, stderr };
}

describeGated(toolGate("python3", "python3"), "ingestion worker: runtime configuration (python3)", () => {
  let dir: string;
  let helper: string;
  beforeAll(() => {
    dir = tempDir();
    helper = path.join(dir, "runtime-config");
    fs.writeFileSync(helper, RUNTIME_CONFIG_SCRIPT);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("puts the password from the credential in place of the placeholder, readable by Python", async () => {
    const template = path.join(dir, "logsender.template");
    fs.writeFileSync(template, renderLogsenderConfig({ host: "node-a", username: "writer", directory: "/srv/x", fileList: ["/etc/l.yaml"] }));
    const credentials = path.join(dir, "credentials");
    fs.mkdirSync(credentials);
    const password = "p%ss'wö\\rd 1234";
    fs.writeFileSync(path.join(credentials, "writer-password"), `${password}\n`);
    const output = path.join(dir, "logsender.config");
    const run = await runPython([helper, "logsender", "--template", template, "--output", output, "--password-credential", "writer-password"], {
      CREDENTIALS_DIRECTORY: credentials,
    });
    expect(run).toEqual({ status: 0, stderr: "" });
    expect(readWithPython(fs.readFileSync(output, "utf8"))).toMatchObject({ password, username: "writer", host: "node-a" });
    expect(fs.statSync(output).mode & 0o777).toBe(0o600);
  });

  test("fails without the credential directory", async () => {
    const template = path.join(dir, "logsender2.template");
    fs.writeFileSync(template, renderLogsenderConfig({ host: "node-a", username: "writer", directory: "/srv/x", fileList: ["/etc/l.yaml"] }));
    const run = await runPython([helper, "logsender", "--template", template, "--output", path.join(dir, "o2"), "--password-credential", "writer-password"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("CREDENTIALS_DIRECTORY is not set");
  });

  test("uses the first cluster node that accepts a connection", async () => {
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const open = (server.address() as net.AddressInfo).port;
    const closed = await freePort();
    const template = path.join(dir, "logsender3.template");
    fs.writeFileSync(template, renderLogsenderConfig({ host: "node-a", directory: "/srv/x", fileList: ["/etc/l.yaml"] }));
    const output = path.join(dir, "o3");
    try {
      const run = await runPython([helper, "logsender", "--template", template, "--output", output, "--candidate", `127.0.0.1:${closed}`, "--candidate", `127.0.0.1:${open}`]);
      expect(run.status).toBe(0);
      expect(run.stderr).toContain(`cluster node 127.0.0.1:${closed} not reachable`);
      expect(readWithPython(fs.readFileSync(output, "utf8"))).toMatchObject({ host: "127.0.0.1", port: open });
    } finally {
      server.close();
    }
  });

  test("resolves a job filter into logscraper's job names, without the jobs of earlier sources", async () => {
    const jobs = ["tempest-full-py3", "tempest-slow", "tempest-ipv6-only", "nova-next", "devstack-tempest"].map((name) => ({ name }));
    const { url, close } = await zuulStub(jobs);
    try {
      const template = path.join(dir, "logscraper.template");
      fs.writeFileSync(template, worker().content("/etc/logscraper/logscraper-openstack.config").replace("https://zuul.opendev.org", url));
      const output = path.join(dir, "logscraper.config");
      const run = await runPython([helper, "logscraper", "--template", template, "--output", output, "--job-filter", "tempest", "--exclude-job-filter", "^tempest-(full|slow)"]);
      expect(run.status).toBe(0);
      expect(readWithPython(fs.readFileSync(output, "utf8")).job_name).toEqual(["devstack-tempest", "tempest-ipv6-only"]);

      const none = await runPython([helper, "logscraper", "--template", template, "--output", output, "--job-filter", "^cinder-"]);
      expect(none.status).toBe(1);
      expect(none.stderr).toContain("logscraper would read an empty job_name as every job");
    } finally {
      close();
    }
  });

  test("copies an unfiltered logscraper configuration unchanged", async () => {
    const template = path.join(dir, "plain.template");
    const text = worker().content("/etc/logscraper/logscraper-openstack.config");
    fs.writeFileSync(template, text);
    const output = path.join(dir, "plain.config");
    expect((await runPython([helper, "logscraper", "--template", template, "--output", output])).status).toBe(0);
    expect(fs.readFileSync(output, "utf8")).toBe(text);
  });
});

describeGated(toolGate("python3", "python3"), "ingestion worker: file size cap (python3)", () => {
  test("cuts a large download at the last line break before the cap and leaves small ones whole", () => {
    const dir = tempDir();
    try {
      // A stand-in for logscraper's module with the function the launcher replaces.
      fs.mkdirSync(path.join(dir, "logscraper"));
      fs.writeFileSync(path.join(dir, "logscraper", "__init__.py"), "");
      fs.writeFileSync(
        path.join(dir, "logscraper", "logscraper.py"),
        [
          "import sys",
          "class Response:",
          "    ok = True",
          "    def __init__(self, data): self.data = data",
          "    def iter_content(self, size):",
          "        for i in range(0, len(self.data), size): yield self.data[i:i + size]",
          "    def close(self): pass",
          "def write_response_in_file(response, directory, filename): raise RuntimeError('not replaced')",
          "def main():",
          "    directory = sys.argv[1]",
          "    write_response_in_file(Response(b'line one\\nline two\\n' * 10), directory, 'big.txt')",
          "    write_response_in_file(Response(b'short\\n'), directory, 'small.txt')",
          "",
        ].join("\n"),
      );
      fs.writeFileSync(path.join(dir, "capped.py"), CAPPED_LOGSCRAPER_SCRIPT);
      const result = spawnSync(PYTHON3!, [path.join(dir, "capped.py"), dir], {
        env: { PATH: process.env.PATH, PYTHONPATH: dir, INGESTION_MAX_FILE_BYTES: "50" },
        encoding: "utf8",
      });
      expect(result.status).toBe(0);
      expect(fs.readFileSync(path.join(dir, "big.txt"), "utf8")).toBe(
        "line one\nline two\nline one\nline two\nline one\n[ingestion worker: the rest of this file was not downloaded, it exceeds 50 bytes]\n",
      );
      expect(fs.readFileSync(path.join(dir, "small.txt"), "utf8")).toBe("short\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function zuulStub(jobs: readonly { name: string }[]): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((request, response) => {
    if (request.url === "/api/tenant/openstack/jobs") {
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify(jobs));
    } else {
      response.statusCode = 404;
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: () => server.close() };
}
