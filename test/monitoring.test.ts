/**
 * The monitoring role as the example stacks synthesize it: its targets in its metadata, the
 * security rules, secrets kept out, and its rendered files checked by the programs that read
 * them (promtool check config, amtool check-config, the blackbox exporter's --config.check), the
 * discovery script run against a metadata service on loopback, and the config errors.
 */
import { execFile, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { NO_TEXTFILE_COLLECTORS_PIN } from "../lib/monitoring/exporters";
import { copyExampleConfig, editConfig } from "./support/config-fixture";
import { resourcesOf, synthConfig, type StackJson } from "./support/synth";
import { writtenFiles, type WrittenFile } from "./support/user-data";
import { allGates, describeGated, toolGate } from "./support/validators";

const stacks = synthConfig();
const production = stacks.production;
const instances = (stack: StackJson) => Object.values(resourcesOf(stack, "openstack_compute_instance_v2"));
const monitoringInstance = instances(production).find((instance) => instance.name === "production-monitoring-1")!;
const files = writtenFiles(monitoringInstance.user_data);
const fileOf = (list: readonly WrittenFile[], file: string) => list.find((written) => written.path === file)!;
const rules = Object.values(resourcesOf(production, "openstack_networking_secgroup_rule_v2"));
const groups = resourcesOf(production, "openstack_networking_secgroup_v2");
const groupName = (reference: string) => groups[/^\$\{openstack_networking_secgroup_v2\.([^.]+)\.id\}$/.exec(reference)![1]].name;

describe("the monitoring role in the production example", () => {
  test("is a stateful server of its own with a fixed address and a protected volume", () => {
    expect(monitoringInstance).toMatchObject({ flavor_name: "m1.medium", lifecycle: { ignore_changes: ["user_data", "image_id"] }, metadata: { role: "monitoring" } });
    const volume = Object.values(resourcesOf(production, "openstack_blockstorage_volume_v3")).find((v) => v.name === "production-monitoring-1-data")!;
    expect(volume).toMatchObject({ size: 50, lifecycle: { prevent_destroy: true } });
    const port = Object.values(resourcesOf(production, "openstack_networking_port_v2")).find((p) => p.name === "production-monitoring-1")!;
    expect(port.fixed_ip[0].ip_address).toBe("10.42.0.80");
  });

  test("lists every other server in its metadata with the jobs it serves, so that replacing one never replaces it", () => {
    const targets = Object.entries(monitoringInstance.metadata as Record<string, string>).filter(([key]) => key.startsWith("monitor:"));
    expect(targets).toHaveLength(instances(production).length - 1);
    const metadata = monitoringInstance.metadata as Record<string, string>;
    expect(metadata["monitor:production-search-data-1"]).toBe("10.42.0.48 search-data node=9100 search=9200 tls=9200");
    expect(metadata["monitor:production-search-master-3"]).toBe("10.42.0.18 search-master node=9100 search=9200 tls=9200");
    expect(metadata["monitor:production-ingestion-8"]).toMatch(/^\$\{openstack_compute_instance_v2\.ingestion_workers_server-8_instance_\w+\.access_ip_v4\} ingestion node=9100 ingestion=9128$/);
    expect(metadata["monitor:production-recheck-1"]).toMatch(/ recheck node=9100 nginx=9113 recheck=9464 tls=443$/);
    expect(metadata["monitor:production-frontend-1"]).toMatch(/ frontend node=9100 nginx=9113 tls=443$/);
  });

  test("scrapes on the private network only: every scrape port accepts the monitoring group and nothing else", () => {
    const scrapePorts = [9100, 9113, 9128, 9464, 9090];
    const ingress = rules.filter((rule) => rule.direction === "ingress" && scrapePorts.includes(rule.port_range_min) && rule.remote_ip_prefix === undefined);
    // The only prefixes any of these ports accept are the admins' (the workers' metrics, README: Ingestion).
    const fromPrefixes = rules.filter((rule) => rule.direction === "ingress" && scrapePorts.includes(rule.port_range_min) && rule.remote_ip_prefix !== undefined);
    expect([...new Set(fromPrefixes.map((rule) => rule.remote_ip_prefix))].sort()).toEqual(["2001:db8:100::/48", "203.0.113.0/24"]);
    const flows = [...new Set(ingress.map((rule) => `${groupName(rule.security_group_id)}:${rule.port_range_min} <- ${groupName(rule.remote_group_id)}`))].sort();
    expect(flows).toEqual([
      "production-frontend:9100 <- production-monitoring", "production-frontend:9113 <- production-monitoring",
      "production-ingestion:9100 <- production-monitoring", "production-ingestion:9128 <- production-monitoring",
      "production-monitoring:9090 <- production-frontend",
      "production-recheck:9100 <- production-monitoring", "production-recheck:9113 <- production-monitoring", "production-recheck:9464 <- production-monitoring",
      "production-search-data:9100 <- production-monitoring", "production-search-master:9100 <- production-monitoring",
    ]);
    const monitoringIngress = rules.filter((rule) => rule.direction === "ingress" && groupName(rule.security_group_id) === "production-monitoring");
    expect(monitoringIngress.filter((rule) => rule.remote_ip_prefix !== undefined).map((rule) => rule.port_range_min)).toEqual([22, 22]);
  });

  test("keeps the SMTP password and the webhook URL in sensitive variables, out of the synthesized JSON", () => {
    expect(production.variable.monitoring_smtp_password).toMatchObject({ sensitive: true, nullable: false, type: "string" });
    expect(production.variable.monitoring_alert_webhook_url).toMatchObject({ sensitive: true, nullable: false, type: "string" });
    expect(monitoringInstance.user_data).toContain("${base64encode(var.monitoring_smtp_password)}");
    expect(monitoringInstance.user_data).toContain("url: ${jsonencode(var.monitoring_alert_webhook_url)}");
    expect(fileOf(files, "/etc/prometheus/alertmanager.yml").permissions).toBe("0600");
    expect(fileOf(files, "/etc/ci-log-analysis/search-exporter.secrets")).toMatchObject({ permissions: "0600" });
    expect(fileOf(files, "/etc/ci-log-analysis/search-exporter.secrets").content).toMatch(/^ES_USERNAME=monitor\nES_PASSWORD=stand-in-value\n/);
  });

  test("posts the alerts for IRC to the recheck server by name, with a token generated at deploy time, on a port only it reaches", () => {
    const alertmanager = fileOf(files, "/etc/prometheus/alertmanager.yml").content;
    expect(alertmanager).toContain(
      "  - name: irc\n    webhook_configs:\n      - url: http://production-recheck-1:9465/alerts\n        send_resolved: true\n        max_alerts: 50\n" +
        "        http_config:\n          authorization:\n            type: Bearer\n            credentials_file: /etc/prometheus/alert-receiver-token\n",
    );
    const token = Object.keys(resourcesOf(production, "random_password")).find((name) => name.startsWith("monitoring_alert-receiver-token"))!;
    const reference = `\${base64encode(random_password.${token}.result)}`;
    expect(monitoringInstance.user_data).toContain(reference);
    const recheck = instances(production).find((instance) => instance.name === "production-recheck-1")!;
    expect(recheck.user_data).toContain(reference);
    expect(fileOf(files, "/etc/ci-log-analysis/monitoring.env").content).toContain("GROUP_READABLE_SECRETS=/etc/prometheus/smtp-password /etc/prometheus/alert-receiver-token /etc/prometheus/alertmanager.yml\n");
    const toReceiver = rules.filter((rule) => rule.port_range_min === 9465);
    expect(toReceiver.map((rule) => `${rule.direction} ${groupName(rule.security_group_id)} ${groupName(rule.remote_group_id)} ${rule.remote_ip_prefix ?? ""}`).sort()).toEqual([
      "egress production-monitoring production-recheck ",
      "ingress production-recheck production-monitoring ",
    ]);
    const settings = JSON.parse(fileOf(writtenFiles(recheck.user_data), "/etc/recheck/recheck.json").content);
    expect(settings.alerts).toEqual({ port: 9465, channel: "openstack-ci-log-alerts", statusPageUrl: expect.stringMatching(/^https:\/\/.+\/status\/$/) });
  });

  test("the front end serves the status page from the monitoring server, GET only", () => {
    const frontend = instances(production).find((instance) => instance.name === "production-frontend-1")!;
    const nginx = fileOf(writtenFiles(frontend.user_data), "/etc/nginx/nginx.conf").content;
    expect(nginx).toContain("location = /status/ {\n            limit_except GET { deny all; }");
    expect(nginx).toContain("proxy_pass http://10.42.0.80:9090;");
  });

  test("every server runs the node exporter with systemd's unit states and restart counts", () => {
    for (const instance of instances(production)) {
      const dropIn = fileOf(writtenFiles(instance.user_data), "/etc/systemd/system/prometheus-node-exporter.service.d/ci-log-analysis.conf");
      expect(dropIn.content).toContain("--collector.systemd --collector.systemd.enable-restarts-metrics");
      expect(fileOf(writtenFiles(instance.user_data), NO_TEXTFILE_COLLECTORS_PIN.path).content).toBe(NO_TEXTFILE_COLLECTORS_PIN.content);
    }
  });
});

describe("monitoring settings in the deployment file", () => {
  test("fails flavor or volume_gib with host: frontend, at the line", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "monitoring:\n  flavor: general-2x4", "monitoring:\n  host: frontend\n  flavor: general-2x4");
    expect(() => synthConfig(dir)).toThrow(/production\.yaml:\d+:\d+: monitoring\.flavor: only with monitoring\.host: dedicated/);
    expect(() => synthConfig(dir)).toThrow(/monitoring\.volume_gib: only with monitoring\.host: dedicated/);
  });

  test("fails host: frontend on a provider network, where it would make a dependency cycle", () => {
    const dir = copyExampleConfig();
    fs.appendFileSync(path.join(dir, "deployments/staging.yaml"), "\nmonitoring:\n  host: frontend\n");
    expect(() => synthConfig(dir)).toThrow(/staging\.yaml:\d+:\d+: monitoring\.host: got "frontend" on the provider network of .*provider-cloud\.yaml; expected "dedicated"/);
  });

  test("fails alerts to IRC without recheck.irc, at the line", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/evaluation.yaml", "monitoring:\n  volume_gib: 10", "monitoring:\n  alerts:\n    irc: { channel: ci-log-alerts }\n  volume_gib: 10");
    expect(() => synthConfig(dir)).toThrow(/evaluation\.yaml:\d+:\d+: monitoring\.alerts\.irc: needs recheck\.irc: the recheck bot announces the alerts on its IRC connection/);
  });

  test("fails an IRC alerts channel written with #, at the line", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "channel: openstack-ci-log-alerts", 'channel: "#openstack-ci-log-alerts"');
    expect(() => synthConfig(dir)).toThrow(/production\.yaml:\d+:\d+: monitoring\.alerts\.irc\.channel: got "#openstack-ci-log-alerts"; expected a channel name without #/);
  });

  test("fails a source gap for a source the deployment does not have, with a suggestion", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "    opendev: 360", "    opendv: 360");
    expect(() => synthConfig(dir)).toThrow(/monitoring\.source_gaps\.opendv: got "opendv"; expected the name of one of ingestion\.sources: .*; did you mean "opendev"\?/);
  });

  test("host: frontend runs everything on the front end's server, scraped on loopback, its history on the root disk", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/evaluation.yaml", "monitoring:\n  volume_gib: 10", "monitoring:\n  host: frontend");
    editConfig(dir, "deployments/evaluation.yaml", "frontend:\n  flavor: general-2x4", "frontend:\n  flavor: general-2x4\n  dashboards: false");
    const evaluation = synthConfig(dir).evaluation;
    expect(instances(evaluation).map((instance) => instance.metadata.role).sort()).toEqual(["frontend", "ingestion", "recheck", "search-data"]);
    const frontend = instances(evaluation).find((instance) => instance.metadata.role === "frontend")!;
    const written = writtenFiles(frontend.user_data);
    expect(fileOf(written, "/etc/nginx/nginx.conf").content).toContain("rewrite ^ /consoles/status.html? break;\n            proxy_pass http://127.0.0.1:9090;");
    expect(fileOf(written, "/etc/prometheus/prometheus.yml").content).toContain("- targets:\n          - 127.0.0.1:9113");
    expect(fileOf(written, "/etc/systemd/system/prometheus.service.d/ci-log-analysis.conf").content).toContain("--storage.tsdb.path=/var/lib/prometheus/prometheus");
    expect(Object.keys(frontend.metadata).filter((key) => key.startsWith("monitor:")).sort()).toEqual(["monitor:evaluation-ingestion-1", "monitor:evaluation-recheck-1", "monitor:evaluation-search-data-1"]);
  });
});

describeGated(allGates(toolGate("promtool", "prometheus"), toolGate("amtool", "prometheus-alertmanager"), toolGate("prometheus-blackbox-exporter", "prometheus-blackbox-exporter")), "the monitoring server's files, checked by their programs", () => {
  let dir: string;
  const relocate = (text: string) => text.split("/etc/prometheus/").join(`${dir}/`).split("/etc/ci-log-analysis/").join(`${dir}/`);
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "monitoring-files-"));
    for (const file of files.filter((written) => written.path.startsWith("/etc/prometheus/") || written.path.startsWith("/etc/ci-log-analysis/"))) {
      const target = relocate(file.path);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, relocate(file.content));
    }
    // What Terraform fills in at deploy time: the webhook URL (a JSON string).
    const alertmanager = path.join(dir, "alertmanager.yml");
    fs.writeFileSync(alertmanager, fs.readFileSync(alertmanager, "utf8").replace("url: stand-in-value", 'url: "https://hooks.example.org/services/T0/B0/stand-in"'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (program: string, ...args: string[]) => {
    const result = spawnSync(program, args, { cwd: dir, encoding: "utf8", timeout: 60_000 });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  };

  test("promtool check config: the scrape jobs and the rule file", () => {
    // The discovery timer writes the target files on the server.
    fs.mkdirSync(path.join(dir, "targets"));
    for (const job of ["node", "nginx", "ingestion", "recheck", "search", "tls"]) fs.writeFileSync(path.join(dir, "targets", `${job}.json`), "[]\n");
    const { status, output } = run("promtool", "check", "config", path.join(dir, "prometheus.yml"));
    expect(output).not.toContain("WARNING");
    // 35 alerts and the expected gap of each of the 2 sources.
    expect(output).toContain("SUCCESS: 37 rules found");
    expect(status).toBe(0);
  });

  test("amtool check-config: e-mail, webhook and IRC receivers, inhibitions", () => {
    const { status, output } = run("amtool", "check-config", path.join(dir, "alertmanager.yml"));
    expect(output).toContain("SUCCESS");
    expect(output).toContain(" - 2 inhibit rules\n - 4 receivers");
    expect(status).toBe(0);
  });

  test("amtool refuses a broken receiver, so the check above can fail", () => {
    fs.writeFileSync(path.join(dir, "broken.yml"), "route: { receiver: email }\nreceivers: [{ name: other }]\n");
    expect(run("amtool", "check-config", path.join(dir, "broken.yml")).status).not.toBe(0);
  });

  test("the blackbox exporter accepts its module", () => {
    const { status, output } = run("prometheus-blackbox-exporter", "--config.check", `--config.file=${path.join(dir, "blackbox.yml")}`);
    expect(output).toMatch(/Config file is ok/i);
    expect(status).toBe(0);
  });
});

/** What the server's /etc/hosts holds before the discovery's block (cloud-init's lines). */
const OWN_HOSTS = "127.0.0.1 localhost\n127.0.1.1 production-monitoring-1\n::1 localhost ip6-localhost\n";

describeGated(allGates(toolGate("curl", "curl"), toolGate("jq", "jq")), "the discovery script against a metadata service on loopback", () => {
  let dir: string;
  let server: http.Server;
  let metadata: Record<string, string>;
  let metadataUrl: string;
  const script = fileOf(files, "/usr/local/sbin/monitoring-discovery").content;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "monitoring-discovery-"));
    fs.writeFileSync(path.join(dir, "discover"), script, { mode: 0o755 });
    // Records what the script asks systemd to do.
    fs.writeFileSync(path.join(dir, "systemctl"), `#!/bin/sh\necho "$*" >> "${dir}/systemctl.log"\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "hosts"), OWN_HOSTS);
    metadata = Object.fromEntries(
      Object.entries(monitoringInstance.metadata as Record<string, string>).map(([key, value]) => [key, value.replace(/^\$\{[^}]+\}/, `192.0.2.${key.length}`)]),
    );
    server = http.createServer((request, response) => {
      response.writeHead(request.url === "/openstack/latest/meta_data.json" ? 200 : 404, { "Content-Type": "application/json" }).end(JSON.stringify({ uuid: "x", meta: metadata }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    metadataUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/openstack/latest/meta_data.json`;
  });
  afterAll(() => {
    if (server.listening) server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const discover = async () => {
    const environment = fileOf(files, "/etc/ci-log-analysis/monitoring.env").content;
    const settings = Object.fromEntries(environment.trim().split("\n").map((line) => line.split(/=(.*)/s).slice(0, 2)));
    // Asynchronous: the metadata service runs in this process.
    const result = await new Promise<{ status: number; stderr: string }>((resolve) => {
      execFile(path.join(dir, "discover"), [], {
      encoding: "utf8",
      timeout: 30_000,
      env: {
        ...process.env, ...settings,
        TARGETS_DIR: path.join(dir, "targets"), SEARCH_EXPORTER_DIR: path.join(dir, "exporters"),
        METADATA_URL: metadataUrl,
        SYSTEMCTL: path.join(dir, "systemctl"),
        HOSTS_FILE: path.join(dir, "hosts"),
      },
      }, (error, _stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stderr }));
    });
    const log = path.join(dir, "systemctl.log");
    const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
    fs.rmSync(log, { force: true });
    return { status: result.status, stderr: result.stderr, calls };
  };
  const targets = (job: string) => JSON.parse(fs.readFileSync(path.join(dir, "targets", `${job}.json`), "utf8")) as { targets: string[]; labels: Record<string, string> }[];

  test("writes one file_sd file per job and one exporter instance per search node", async () => {
    const { status, stderr, calls } = await discover();
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(targets("node")).toHaveLength(19);
    expect(targets("ingestion").map((t) => t.labels.server)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => `production-ingestion-${n}`));
    expect(targets("tls")).toContainEqual({ targets: ["10.42.0.48:9200"], labels: { server: "production-search-data-1", role: "search-data" } });
    expect(targets("search")[0]).toEqual({ targets: ["127.0.0.1:19200"], labels: { server: "production-search-data-1", role: "search-data" } });
    expect(targets("search")).toHaveLength(9);
    expect(fs.readFileSync(path.join(dir, "exporters", "production-search-data-1.env"), "utf8")).toBe("ES_URI=https://10.42.0.48:9200\nEXPORTER_PORT=19200\nCLUSTER_COLLECTORS=1\n");
    expect(fs.readFileSync(path.join(dir, "exporters", "production-search-master-3.env"), "utf8")).toBe("ES_URI=https://10.42.0.18:9200\nEXPORTER_PORT=19208\nCLUSTER_COLLECTORS=0\n");
    expect(calls).toContain("restart search-exporter@production-search-master-3.service");
    expect(calls.filter((call) => call.startsWith("restart"))).toHaveLength(9);
  });

  test("names every watched server in a block of /etc/hosts after the lines already there (Alertmanager's IRC receiver is named so)", () => {
    const hosts = fs.readFileSync(path.join(dir, "hosts"), "utf8");
    expect(hosts.startsWith(`${OWN_HOSTS}# BEGIN watched servers (monitoring-discovery)\n`)).toBe(true);
    expect(hosts.endsWith("# END watched servers\n")).toBe(true);
    expect(hosts).toContain("\n10.42.0.48 production-search-data-1\n");
    expect(hosts).toMatch(/\n192\.0\.2\.\d+ production-recheck-1\n/);
    const block = hosts.slice(hosts.indexOf("# BEGIN")).split("\n").slice(1, -2);
    expect(block).toHaveLength(19);
    expect(block.every((line) => /^\d+\.\d+\.\d+\.\d+ production-[a-z-]+-\d+$/.test(line))).toBe(true);
  });

  test("changes nothing on a second run, and stops the exporter of a node that is gone", async () => {
    const hostsBefore = fs.statSync(path.join(dir, "hosts")).ino;
    expect((await discover()).calls).toEqual([]);
    expect(fs.statSync(path.join(dir, "hosts")).ino).toBe(hostsBefore);
    delete metadata["monitor:production-search-master-3"];
    const { status, calls } = await discover();
    expect(status).toBe(0);
    expect(calls).toEqual(["disable --now search-exporter@production-search-master-3.service"]);
    expect(targets("search")).toHaveLength(8);
    expect(fs.existsSync(path.join(dir, "exporters", "production-search-master-3.env"))).toBe(false);
  });

  test("follows a replaced server's new address in /etc/hosts, and keeps what cloud-init wrote there", async () => {
    metadata["monitor:production-recheck-1"] = metadata["monitor:production-recheck-1"].replace(/^\S+/, "10.42.0.200");
    fs.appendFileSync(path.join(dir, "hosts"), "203.0.113.7 written-later\n");
    expect((await discover()).status).toBe(0);
    const hosts = fs.readFileSync(path.join(dir, "hosts"), "utf8");
    expect(hosts.match(/ production-recheck-1$/gm)).toHaveLength(1);
    expect(hosts).toContain("\n10.42.0.200 production-recheck-1\n");
    expect(hosts.startsWith(`${OWN_HOSTS}203.0.113.7 written-later\n# BEGIN watched servers`)).toBe(true);
  });

  test("keeps the files as they are when the metadata service does not answer", async () => {
    const before = fs.readFileSync(path.join(dir, "targets", "node.json"), "utf8");
    await new Promise((resolve) => server.close(resolve));
    expect((await discover()).status).not.toBe(0);
    expect(fs.readFileSync(path.join(dir, "targets", "node.json"), "utf8")).toBe(before);
  });
});
