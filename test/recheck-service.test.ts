import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { RecheckService, RECHECK_ONLY_EXECUTABLES, type RecheckServiceProps } from "../constructs/recheck-service";
import { runTerraform } from "../lib/provider-binary";
import { loadQueries, type BugQuery } from "../lib/queries/check";
import { serviceBundle } from "../lib/service-bundle";
import { renderDashboardNginx } from "../lib/recheck/nginx";
import { readConfig } from "../services/recheck/config";
import { selfSignedCertificate } from "./support/certificates";
import { smallSearchCluster, testServers } from "./support/deployment-parts";
import { resources, synthStack } from "./support/stack";
import { terraformGate } from "./support/terraform";
import { deliveredUserData, executablesOf, shellScriptsOf, systemdUnitsOf, writtenFiles } from "./support/user-data";
import {
  allGates,
  describeGated,
  describeWithTool,
  toolGate,
  validateCloudConfig,
  validateNginxConfig,
  validateShellScripts,
  validateSystemdUnits,
} from "./support/validators";

const queries: BugQuery[] = [
  { bug: "2034117", file: "2034117.yaml", query: 'message:"Timed out" AND tags:"console"', suppressGraph: false, suppressNotification: false, allowNonvoting: true, testIds: [] },
  { bug: "2035842", file: "2035842.yaml", query: 'message:"No valid host"', suppressGraph: true, suppressNotification: false, allowNonvoting: false, testIds: ["tempest.api.compute.test_x"] },
];
const irc = { server: "irc.example.org", port: 6697, nick: "recheckbot", channels: { "openstack-qa": { projects: ["all"], events: ["positive", "negative"] as ("positive" | "negative")[] } } };

function synthRecheck(props: Partial<RecheckServiceProps> = {}) {
  const stack = synthStack((scope) => {
    const servers = testServers(scope);
    const search = smallSearchCluster(scope, servers);
    new RecheckService(scope, "recheck", {
      servers, flavorName: "m1.large", search, queries, gerritHost: "review.example.org", gerritUser: "recheck-bot",
      gerritHostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhostkey", logsUrl: "https://logs.example.org/dashboards/",
      serviceBundle: serviceBundle("recheck"), tenants: ["openstack"], ...props,
    });
  });
  const instance = resources(stack, "openstack_compute_instance_v2").find((server) => server.name === "prod-recheck-1")!;
  return { stack, userData: instance.user_data as string, files: writtenFiles(instance.user_data) };
}

const fileAt = (files: ReturnType<typeof writtenFiles>, filePath: string) => {
  const found = files.find((file) => file.path === filePath);
  if (!found) throw new Error(`the user data writes no ${filePath}; it writes ${files.map((file) => file.path).join(", ")}`);
  return found;
};

describe("RecheckService", () => {
  const { stack, userData, files } = synthRecheck({ irc, commentOnGerrit: false });
  const unit = () => fileAt(files, "/etc/systemd/system/recheck.service").content;

  test("takes the Gerrit key and the IRC password as sensitive Terraform variables, never as values", () => {
    expect(stack.variable).toEqual({
      recheck_gerrit_ssh_private_key: expect.objectContaining({ type: "string", sensitive: true, nullable: false }),
      recheck_irc_password: expect.objectContaining({ type: "string", sensitive: true, nullable: false }),
    });
    expect(userData).toContain('${base64encode(format("%s\\n", replace(trimspace(var.recheck_gerrit_ssh_private_key), "\\r", "")))}');
    expect(userData).toContain("${base64encode(var.recheck_irc_password)}");
  });

  test("keeps the secrets in root-only files that systemd hands to the service as credentials", () => {
    for (const name of ["gerrit-ssh-key", "search-password", "irc-password"]) {
      expect(fileAt(files, `/etc/recheck/credentials/${name}`).permissions).toBe("0600");
      expect(unit()).toContain(`LoadCredential=${name}:/etc/recheck/credentials/${name}\n`);
    }
    expect(unit()).not.toContain("stand-in-value");
    expect(fileAt(files, "/etc/recheck/recheck.json").content).not.toContain("stand-in-value\"");
  });

  test("trusts only Gerrit's configured host key on port 29418", () => {
    expect(fileAt(files, "/etc/recheck/gerrit_known_hosts").content).toBe("[review.example.org]:29418 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhostkey\n");
  });

  test("writes every bug query in the upstream format, which check-queries accepts", () => {
    expect(parse(fileAt(files, "/etc/recheck/queries/2034117.yaml").content)).toEqual({ query: 'message:"Timed out" AND tags:"console"', "allow-nonvoting": true });
    expect(parse(fileAt(files, "/etc/recheck/queries/2035842.yaml").content)).toEqual({
      query: 'message:"No valid host"', "suppress-graph": true, test_ids: ["tempest.api.compute.test_x"],
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recheck-queries-"));
    try {
      for (const file of files.filter((each) => each.path.startsWith("/etc/recheck/queries/"))) fs.writeFileSync(path.join(dir, path.basename(file.path)), file.content);
      const check = loadQueries(dir);
      expect(check.problems).toEqual([]);
      expect(check.queries.map(({ file: _file, ...query }) => query)).toEqual(queries.map(({ file: _file, ...query }) => query));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("ships the service bundle gzipped in the user data, run by the distribution's Node.js", () => {
    expect(fileAt(files, "/usr/local/lib/recheck/recheck.js").content).toBe(serviceBundle("recheck"));
    expect(parse(deliveredUserData(userData)).packages).toEqual(expect.arrayContaining(["nodejs", "openssh-client"]));
    expect(unit()).toContain("ExecStart=/usr/bin/node /usr/local/lib/recheck/recheck.js /etc/recheck/recheck.json\n");
  });

  test("runs the service as its own user with a state directory, always restarted", () => {
    expect(unit()).toMatch(/^User=recheck$/m);
    expect(unit()).toMatch(/^StateDirectory=recheck$/m);
    expect(unit()).toMatch(/^Restart=always$/m);
    expect(unit()).toMatch(/^ProtectSystem=strict$/m);
  });

  test("tells the service where everything is, without a secret, and without commenting when told so", () => {
    const settings = JSON.parse(fileAt(files, "/etc/recheck/recheck.json").content);
    expect(settings).toMatchObject({
      gerrit: { host: "review.example.org", port: 29418, user: "recheck-bot", knownHostsFile: "/etc/recheck/gerrit_known_hosts", comment: false },
      ciUsername: "zuul",
      jobsRe: "(devstack|tempest|grenade)",
      tenants: ["openstack"],
      search: { username: "logreader", caFile: "/etc/ci-log-analysis/search-ca.crt", indexPattern: "logstash-*" },
      queriesDir: "/etc/recheck/queries",
      wait: { pollSeconds: 40, timeoutSeconds: 1200 },
      dashboard: { intervalSeconds: 1800, days: 10, uncategorizedHours: 24 },
      irc: { server: "irc.example.org", port: 6697, nick: "recheckbot", channels: irc.channels },
      healthPort: 9464,
    });
    expect(settings.search.urls).toHaveLength(2);
    expect(JSON.stringify(settings)).not.toMatch(/password|BEGIN/i);
  });

  test("opens the dashboard to the world on 80 and 443 and reaches Gerrit, IRC and the cluster", () => {
    const rules = resources(stack, "openstack_networking_secgroup_rule_v2");
    const worldIn = rules.filter((rule) => rule.direction === "ingress" && rule.remote_ip_prefix === "0.0.0.0/0").map((rule) => rule.port_range_min);
    expect(worldIn.sort()).toEqual([443, 80]);
    const worldOut = rules.filter((rule) => rule.direction === "egress" && rule.remote_ip_prefix === "0.0.0.0/0").map((rule) => rule.port_range_min);
    expect(worldOut).toEqual(expect.arrayContaining([29418, 6697]));
    expect(rules.some((rule) => rule.direction === "egress" && rule.port_range_min === 9200 && rule.remote_group_id)).toBe(true);
  });

  describeWithTool("cloud-init", "cloud-init schema", () => {
    test("accepts the user data", () => {
      expect(validateCloudConfig(deliveredUserData(userData))).toEqual([]);
    });
  });

  describeWithTool("shellcheck", "shellcheck", () => {
    test("its scripts pass", () => {
      expect(Object.values(validateShellScripts(shellScriptsOf(files))).flat()).toEqual([]);
    });
  });

  describeWithTool("systemd-analyze", "systemd-analyze verify", () => {
    test("its units pass", () => {
      const executables = [...executablesOf(files), ...RECHECK_ONLY_EXECUTABLES];
      expect(Object.values(validateSystemdUnits(systemdUnitsOf(files), { providedExecutables: executables })).flat()).toEqual([]);
    });
  });
});

describeGated(allGates(terraformGate, toolGate("ssh-keygen", "openssh-client")), "the Gerrit key as the server receives it, with real Terraform and ssh-keygen", () => {
  const { userData } = synthRecheck();
  const expression = /\$\{base64encode\(format\([^}]*var\.recheck_gerrit_ssh_private_key[^}]*\}/.exec(userData)![0];
  let dir: string;
  let key: string;
  let publicKey: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gerrit-key-"));
    expect(spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "bot", "-f", path.join(dir, "key")]).status).toBe(0);
    key = fs.readFileSync(path.join(dir, "key"), "utf8");
    publicKey = fs.readFileSync(path.join(dir, "key.pub"), "utf8").trim();
    // The user data's own expression, evaluated by Terraform for the value the variable holds.
    fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ variable: { recheck_gerrit_ssh_private_key: { type: "string" } }, output: { key: { value: expression } } }));
    runTerraform(["init", "-input=false", "-no-color"], dir, terraformEnv);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const terraformEnv = { ...process.env, TF_CLI_CONFIG_FILE: undefined, TF_DATA_DIR: undefined, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
  const loads = (file: string) => {
    fs.chmodSync(file, 0o600);
    const result = spawnSync("ssh-keygen", ["-y", "-P", "", "-f", file], { encoding: "utf8" });
    return result.status === 0 ? result.stdout.trim() : `fails: ${result.stderr.trim()}`;
  };

  test("a key without its final newline, as \"$(cat key)\" gives it, is what OpenSSH refuses", () => {
    fs.writeFileSync(path.join(dir, "stripped"), key.trimEnd());
    expect(loads(path.join(dir, "stripped"))).toMatch(/^fails: .*(error in libcrypto|invalid format)/);
  });

  test.each([
    ["without its final newline (\"$(cat key)\")", (text: string) => text.trimEnd()],
    ["as the file holds it", (text: string) => text],
    ["with blank lines after it", (text: string) => `${text}\n\n\n`],
    ["with Windows line ends", (text: string) => text.replace(/\n/g, "\r\n")],
  ])("%s: written with exactly one final newline, and ssh-keygen -y loads it", (_what, variant) => {
    fs.writeFileSync(path.join(dir, "vars.json"), JSON.stringify({ recheck_gerrit_ssh_private_key: variant(key) }));
    runTerraform(["apply", "-auto-approve", "-input=false", "-no-color", "-var-file=vars.json"], dir, terraformEnv);
    const written = Buffer.from(runTerraform(["output", "-raw", "key"], dir, terraformEnv), "base64").toString("utf8");
    expect(written).toBe(key);
    fs.writeFileSync(path.join(dir, "written"), written);
    expect(loads(path.join(dir, "written"))).toBe(publicKey);
  });
});

describe("RecheckService user data size", () => {
  test("stays under Nova's 64 KiB of base64 with every shipped query, IRC and a domain name", () => {
    const shipped = loadQueries(path.join(__dirname, "..", "config", "queries"));
    expect(shipped.problems).toEqual([]);
    const { userData } = synthRecheck({ irc, queries: shipped.queries, dnsName: "recheck.example.org", acmeEmail: "infra@example.org" });
    const base64 = Buffer.from(deliveredUserData(userData)).toString("base64");
    expect(base64.length).toBeLessThanOrEqual(65535);
  });
});

describe("RecheckService without IRC", () => {
  test("asks for no IRC password and configures no IRC", () => {
    const { stack, files } = synthRecheck();
    expect(Object.keys(stack.variable)).toEqual(["recheck_gerrit_ssh_private_key"]);
    expect(JSON.parse(fileAt(files, "/etc/recheck/recheck.json").content).irc).toBeUndefined();
    expect(fileAt(files, "/etc/systemd/system/recheck.service").content).not.toContain("irc-password");
  });
});

describe("RecheckService with suggested signatures on IRC", () => {
  const suggestions = { baselineDays: 7, minBuilds: 2, maxSuggestions: 25, ircMinBuilds: 5 };

  test("names the threshold in its settings", () => {
    const { files } = synthRecheck({ irc, suggestions });
    expect(JSON.parse(fileAt(files, "/etc/recheck/recheck.json").content).suggestions).toEqual(suggestions);
  });

  test("fails to start the service on the threshold without irc in its settings, naming the file, the setting and the value", () => {
    const { files } = synthRecheck({ irc, suggestions });
    const settings = JSON.parse(fileAt(files, "/etc/recheck/recheck.json").content);
    delete settings.irc;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "recheck-settings-")), "recheck.json");
    fs.writeFileSync(file, JSON.stringify(settings));
    expect(() => readConfig(file)).toThrow(`${file}: suggestions.ircMinBuilds: got 5; the suggestions are said on the bot's IRC connection; expected irc too`);
  });

  test("fails without an IRC channel of every project's negative events, where it says them", () => {
    expect(() => synthRecheck({ suggestions })).toThrow(/suggestions.ircMinBuilds 5 says suggestions on IRC; it needs irc with a channel of projects \["all"\] and events \["negative"\]/);
  });
});

describe("RecheckService with the monitoring's alert receiver", () => {
  test("takes the receiver's token as a credential and names the alerts channel and the status page in its settings", () => {
    const { files, userData } = synthRecheck({ irc, alertReceiver: { channel: "ci-log-alerts", token: "test-token-not-a-secret", statusPageUrl: "https://logs.example.org/status/" } });
    expect(JSON.parse(fileAt(files, "/etc/recheck/recheck.json").content).alerts).toEqual({ port: 9465, channel: "ci-log-alerts", statusPageUrl: "https://logs.example.org/status/" });
    expect(fileAt(files, "/etc/recheck/credentials/alert-receiver-token").permissions).toBe("0600");
    expect(userData).toContain('content: "${base64encode("test-token-not-a-secret")}"');
    expect(fileAt(files, "/etc/systemd/system/recheck.service").content).toContain("LoadCredential=alert-receiver-token:/etc/recheck/credentials/alert-receiver-token\n");
  });

  test("fails without IRC, on which it announces the alerts", () => {
    expect(() => synthRecheck({ alertReceiver: { channel: "ci-log-alerts", token: "t" } })).toThrow(/alertReceiver announces alerts on IRC; it needs irc too/);
  });
});

describe("RecheckService with Gerrit's and the IRC server's addresses", () => {
  test("reaches Gerrit's SSH port and the IRC port at those addresses only", () => {
    const irc = { server: "irc.example.org", port: 6697, nick: "recheckbot", channels: { qa: { projects: ["all"], events: ["negative"] as "negative"[] } } };
    const { stack } = synthRecheck({ irc, gerritAddresses: ["199.204.45.33/32", "2604:e100:1:0:f816:3eff:fe52:22de/128"], ircAddresses: ["192.0.2.10/32"] });
    const egress = (port: number) =>
      resources(stack, "openstack_networking_secgroup_rule_v2")
        .filter((rule) => rule.direction === "egress" && rule.port_range_min === port)
        .map((rule) => rule.remote_ip_prefix)
        .sort();
    expect(egress(29418)).toEqual(["199.204.45.33/32", "2604:e100:1:0:f816:3eff:fe52:22de/128"]);
    expect(egress(6697)).toEqual(["192.0.2.10/32"]);
  });
});

describeWithTool("nginx", "the dashboard's nginx configuration", () => {
  test("passes nginx -t", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dashboard-cert-"));
    selfSignedCertificate(dir, { commonName: "test" });
    const config = renderDashboardNginx({
      serverName: "recheck.example.org", webRoot: "/var/lib/recheck/dashboard", dataDir: "/var/lib/recheck/dashboard/data",
      tlsCertificateFile: "cert.pem", tlsKeyFile: "key.pem", acmeWebroot: "acme", runtime: { pidFile: "logs/nginx.pid", logDir: "logs", tempDir: "logs" },
    });
    expect(validateNginxConfig({
      "nginx.conf": config,
      "cert.pem": fs.readFileSync(path.join(dir, "cert.pem"), "utf8"),
      "key.pem": fs.readFileSync(path.join(dir, "key.pem"), "utf8"),
    }, "nginx.conf")).toEqual([]);
  });
});
