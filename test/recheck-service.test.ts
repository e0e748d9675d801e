import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { RecheckService, RECHECK_ONLY_EXECUTABLES, type RecheckServiceProps } from "../constructs/recheck-service";
import type { BugQuery } from "../lib/queries/check";
import { renderDashboardNginx } from "../lib/recheck/nginx";
import { smallSearchCluster, testServers } from "./support/deployment-parts";
import { resources, synthStack } from "./support/stack";
import { executablesOf, shellScriptsOf, systemdUnitsOf, writtenFiles } from "./support/user-data";
import {
  describeGated,
  describeWithTool,
  findExecutable,
  toolGate,
  validateNginxConfig,
  validateShellScripts,
  validateSystemdUnits,
} from "./support/validators";

const queries: BugQuery[] = [
  { bug: "2034117", file: "2034117.yaml", query: 'message:"Timed out" AND tags:"console"', suppressGraph: false, suppressNotification: false, allowNonvoting: true, testIds: [] },
  { bug: "2035842", file: "2035842.yaml", query: 'message:"No valid host"', suppressGraph: true, suppressNotification: false, allowNonvoting: false, testIds: ["tempest.api.compute.test_x"] },
];

function synthRecheck(props: Partial<RecheckServiceProps> = {}) {
  const stack = synthStack((scope) => {
    const servers = testServers(scope);
    const search = smallSearchCluster(scope, servers);
    new RecheckService(scope, "recheck", {
      servers, flavorName: "m1.large", search, queries, gerritHost: "review.example.org", gerritUser: "elastic-recheck",
      gerritHostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhostkey", logsUrl: "https://logs.example.org/dashboards/", ...props,
    });
  });
  const instance = resources(stack, "openstack_compute_instance_v2").find((server) => server.name === "prod-recheck-1")!;
  return { stack, userData: instance.user_data as string, files: writtenFiles(instance.user_data) };
}

const fileAt = (files: ReturnType<typeof writtenFiles>, filePath: string) => files.find((file) => file.path === filePath)!;

describe("RecheckService", () => {
  const irc = { server: "irc.example.org", port: 6697, nick: "recheckbot", channels: { "openstack-qa": { projects: ["all"], events: ["positive", "negative"] as ("positive" | "negative")[] } } };
  const { stack, userData, files } = synthRecheck({ irc, commentOnGerrit: false });

  test("takes the Gerrit key and the IRC password as sensitive Terraform variables, never as values", () => {
    expect(stack.variable).toEqual({
      recheck_gerrit_ssh_private_key: expect.objectContaining({ type: "string", sensitive: true, nullable: false }),
      recheck_irc_password: expect.objectContaining({ type: "string", sensitive: true, nullable: false }),
    });
    expect(userData).toContain("${base64encode(var.recheck_gerrit_ssh_private_key)}");
    expect(fileAt(files, "/var/lib/elastic-recheck/.ssh/id_gerrit")).toMatchObject({ permissions: "0600" });
  });

  test("trusts only Gerrit's configured host key on port 29418", () => {
    expect(fileAt(files, "/var/lib/elastic-recheck/.ssh/known_hosts").content).toBe("[review.example.org]:29418 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhostkey\n");
  });

  test("writes every bug query in the upstream format", () => {
    expect(parse(fileAt(files, "/etc/elastic-recheck/queries/2034117.yaml").content)).toEqual({ query: 'message:"Timed out" AND tags:"console"', "allow-nonvoting": true });
    expect(parse(fileAt(files, "/etc/elastic-recheck/queries/2035842.yaml").content)).toEqual({
      query: 'message:"No valid host"', "suppress-graph": true, test_ids: ["tempest.api.compute.test_x"],
    });
  });

  test("runs the bot under systemd, restarted on failure, without commenting when told so", () => {
    const unit = fileAt(files, "/etc/systemd/system/elastic-recheck.service").content;
    expect(unit).toContain("ExecStart=/opt/elastic-recheck/current/bin/elastic-recheck --foreground --nocomment /etc/elastic-recheck/elastic-recheck.conf");
    expect(unit).toContain("Restart=on-failure");
    expect(unit).toContain("User=recheck");
  });

  test("regenerates the dashboard every 30 minutes, staggered, with a time limit", () => {
    const calendars = ["graph-all", "graph-gate", "uncategorized"].map(
      (job) => /OnCalendar=(.+)/.exec(fileAt(files, `/etc/systemd/system/elastic-recheck-${job}.timer`).content)![1],
    );
    expect(calendars).toEqual(["*-*-* *:00/30:00", "*-*-* *:10/30:00", "*-*-* *:20/30:00"]);
    expect(fileAt(files, "/etc/systemd/system/elastic-recheck-uncategorized.service").content).toContain("TimeoutStartSec=25min");
  });

  test("opens the dashboard to the world on 80 and 443 and reaches Gerrit, IRC and the cluster", () => {
    const rules = resources(stack, "openstack_networking_secgroup_rule_v2");
    const worldIn = rules.filter((rule) => rule.direction === "ingress" && rule.remote_ip_prefix === "0.0.0.0/0").map((rule) => rule.port_range_min);
    expect(worldIn.sort()).toEqual([443, 80]);
    const worldOut = rules.filter((rule) => rule.direction === "egress" && rule.remote_ip_prefix === "0.0.0.0/0").map((rule) => rule.port_range_min);
    expect(worldOut).toEqual(expect.arrayContaining([29418, 6697]));
    expect(rules.some((rule) => rule.direction === "egress" && rule.port_range_min === 9200 && rule.remote_group_id)).toBe(true);
  });

  test("announces on the configured channels", () => {
    expect(parse(fileAt(files, "/etc/elastic-recheck/recheckwatchbot.yaml").content).channels).toEqual({
      "openstack-qa": { projects: ["all"], events: ["positive", "negative"] },
    });
  });

  describeGated(toolGate("python3", "python3"), "its configuration, read by Python's configparser as elastic-recheck reads it", () => {
    test("has the upstream sections and keys, the reader's URL and the strftime index format", () => {
      const script = [
        "import configparser, json, sys",
        "c = configparser.ConfigParser()",
        "c.read_string(sys.stdin.read())",
        "print(json.dumps({s: {k: c.get(s, k) for k in c.options(s)} for s in c.sections()}))",
      ].join("\n");
      const text = fileAt(files, "/etc/elastic-recheck/elastic-recheck.conf").content;
      const result = spawnSync(findExecutable("python3")!, ["-c", script], { input: text, encoding: "utf8" });
      expect(result.stderr).toBe("");
      expect(JSON.parse(result.stdout)).toEqual({
        gerrit: { host: "review.example.org", user: "elastic-recheck", query_file: "/etc/elastic-recheck/queries", key: "/var/lib/elastic-recheck/.ssh/id_gerrit" },
        data_source: { es_url: "https://logreader:stand-in-value@10.42.0.48:9200", ls_url: "https://logs.example.org/dashboards/", index_format: "logstash-%Y.%m.%d" },
        recheckwatch: { jobs_re: "(devstack|tempest|grenade)", ci_username: "zuul" },
        ircbot: { nick: "recheckbot", pass: "stand-in-value", server: "irc.example.org", port: "6697", channel_config: "/etc/elastic-recheck/recheckwatchbot.yaml" },
      });
    });
  });

  describeWithTool("shellcheck", "shellcheck", () => {
    test("its scripts pass", () => {
      const scripts = shellScriptsOf(files);
      expect(Object.keys(scripts)).toEqual(expect.arrayContaining(["/usr/local/sbin/elastic-recheck-install", "/usr/local/sbin/elastic-recheck-dashboard"]));
      expect(Object.values(validateShellScripts(scripts)).flat()).toEqual([]);
    });
  });

  describeWithTool("systemd-analyze", "systemd-analyze verify", () => {
    test("its units and timers pass", () => {
      const executables = [...executablesOf(files), ...RECHECK_ONLY_EXECUTABLES];
      expect(Object.values(validateSystemdUnits(systemdUnitsOf(files), { providedExecutables: executables })).flat()).toEqual([]);
    });
  });
});

describe("RecheckService without IRC", () => {
  test("runs the bot with --noirc and asks for no IRC password", () => {
    const { stack, files } = synthRecheck();
    expect(Object.keys(stack.variable)).toEqual(["recheck_gerrit_ssh_private_key"]);
    expect(fileAt(files, "/etc/systemd/system/elastic-recheck.service").content).toContain("elastic-recheck --foreground --noirc /etc/");
    expect(fileAt(files, "/etc/elastic-recheck/elastic-recheck.conf").content).not.toContain("[ircbot]");
  });
});

describeWithTool("nginx", "the dashboard's nginx configuration", () => {
  test("passes nginx -t", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dashboard-cert-"));
    const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test", "-keyout", "key.pem", "-out", "cert.pem"], { cwd: dir });
    expect(made.status).toBe(0);
    const config = renderDashboardNginx({
      serverName: "recheck.example.org", webRoot: "/opt/elastic-recheck/current/share/elastic-recheck", dataDir: "/var/lib/elastic-recheck/data",
      tlsCertificateFile: "cert.pem", tlsKeyFile: "key.pem", acmeWebroot: "acme", runtime: { pidFile: "logs/nginx.pid", logDir: "logs", tempDir: "logs" },
    });
    expect(validateNginxConfig({
      "nginx.conf": config,
      "cert.pem": fs.readFileSync(path.join(dir, "cert.pem"), "utf8"),
      "key.pem": fs.readFileSync(path.join(dir, "key.pem"), "utf8"),
    }, "nginx.conf")).toEqual([]);
  });
});
