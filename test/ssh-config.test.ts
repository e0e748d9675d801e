/**
 * `npm run ssh-config`: the client configuration rendered from a stack's outputs, parsed by
 * OpenSSH itself (`ssh -G`), and the security rules that let the jump host reach private servers.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runCommand } from "../lib/cli";
import { renderSshConfig, sshConfigCommand, sshHostsFromOutputs } from "../lib/ssh-config";
import { copyExampleConfig, editConfig } from "./support/config-fixture";
import { resourcesOf, synthConfig, type StackJson } from "./support/synth";
import { describeGated, toolGate } from "./support/validators";

const stacks = synthConfig();

/**
 * What `terraform output -json` would print after a deploy: the synthesized outputs with each
 * reference replaced by a stand-in address (private ones from 10.42.0.100, public ones from 203.0.113.10).
 */
function deployedOutputs(stack: StackJson): string {
  let privateHost = 100;
  let publicHost = 10;
  const resolve = (value: unknown, isPublic: boolean): unknown => {
    if (typeof value === "string") return value.startsWith("${") ? (isPublic ? `203.0.113.${publicHost++}` : `10.42.0.${privateHost++}`) : value;
    if (Array.isArray(value)) return value.map((item) => resolve(item, isPublic));
    if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item, key === "public_address")]));
    return value;
  };
  return JSON.stringify(
    Object.fromEntries(Object.entries(stack.output as Record<string, { value: unknown }>).map(([name, output]) => [name, { sensitive: false, type: "dynamic", value: resolve(output.value, false) }])),
  );
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ssh-config-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("the jump host on a tenant network", () => {
  test("every role but the front end accepts SSH from the front end's security group", () => {
    const rules = Object.values(resourcesOf(stacks.production, "openstack_networking_secgroup_rule_v2")).filter(
      (rule) => rule.direction === "ingress" && rule.port_range_min === 22 && rule.remote_group_id !== undefined,
    );
    const groups = resourcesOf(stacks.production, "openstack_networking_secgroup_v2");
    const nameOf = (reference: string) => groups[/^\$\{openstack_networking_secgroup_v2\.([^.]+)\.id\}$/.exec(reference)![1]].name;
    expect(rules.map((rule) => `${nameOf(rule.security_group_id)} <- ${nameOf(rule.remote_group_id)}`).sort()).toEqual([
      "production-ingestion <- production-frontend",
      "production-monitoring <- production-frontend",
      "production-recheck <- production-frontend",
      "production-search-data <- production-frontend",
      "production-search-master <- production-frontend",
    ]);
  });

  test("a provider network has no jump host and no such rule: every server has an address of its own", () => {
    expect(stacks.staging.output.ssh_jump_host).toBeUndefined();
    const { hosts, jumpHost } = sshHostsFromOutputs(deployedOutputs(stacks.staging), "staging");
    expect(jumpHost).toBeUndefined();
    expect(renderSshConfig("staging", hosts, jumpHost)).not.toContain("ProxyJump");
  });
});

describe("npm run ssh-config", () => {
  test("fails outputs without ssh_hosts, saying to deploy the stack again (exit 2)", async () => {
    const file = path.join(dir, "outputs.json");
    fs.writeFileSync(file, JSON.stringify({ public_url: { value: "https://203.0.113.10/" } }));
    const err: string[] = [];
    const code = await runCommand(sshConfigCommand(), ["production", "--outputs", file], { out: () => {}, err: (line) => err.push(line) });
    expect(err).toEqual([`ssh-config: ${file}: no ssh_hosts output (outputs: public_url; synthesize and deploy the stack again to add it)`]);
    expect(code).toBe(2);
  });

  test("fails a --user with a space as a usage error (exit 2)", async () => {
    const file = path.join(dir, "outputs.json");
    fs.writeFileSync(file, deployedOutputs(stacks.production));
    const err: string[] = [];
    const code = await runCommand(sshConfigCommand(), ["production", "--outputs", file, "--user", "a b"], { out: () => {}, err: (line) => err.push(line) });
    expect(err[0]).toBe('ssh-config: --user: "a b": expected one word, without spaces, quotes or #');
    expect(code).toBe(2);
  });
});

describeGated(toolGate("ssh", "openssh-client"), "the rendered ssh configuration, read by OpenSSH (ssh -G)", () => {
  /** The options ssh would use for `host` with `config`, as `ssh -G` prints them. */
  function sshOptions(config: string, host: string): Record<string, string> {
    const file = path.join(dir, "config");
    fs.writeFileSync(file, config);
    const result = spawnSync("ssh", ["-G", "-F", file, host], { encoding: "utf8", timeout: 10_000 });
    if (result.status !== 0) throw new Error(`ssh -G failed: ${result.stderr}`);
    return Object.fromEntries(result.stdout.trim().split("\n").map((line) => [line.split(" ")[0], line.slice(line.indexOf(" ") + 1)]));
  }

  test("reaches private servers through the front end, and public ones directly, as the image's default user", async () => {
    const file = path.join(dir, "outputs.json");
    fs.writeFileSync(file, deployedOutputs(stacks.production));
    const out: string[] = [];
    const code = await runCommand(sshConfigCommand(), ["production", "--outputs", file, "--identity-file", "~/.ssh/ci-logs"], { out: (line) => out.push(line), err: (line) => out.push(line) });
    expect(code).toBe(0);
    const config = `${out.join("\n")}\n`;
    const { hosts } = sshHostsFromOutputs(fs.readFileSync(file, "utf8"), file);
    expect(hosts.map((host) => host.name)).toHaveLength(Object.keys(resourcesOf(stacks.production, "openstack_compute_instance_v2")).length);

    const frontend = sshOptions(config, "production-frontend-1");
    expect(frontend).toMatchObject({ hostname: expect.stringMatching(/^203\.0\.113\.\d+$/), user: "ubuntu", identitiesonly: "yes" });
    expect(frontend.proxyjump).toBeUndefined();
    expect(frontend.identityfile).toBe("~/.ssh/ci-logs");

    const dataNode = sshOptions(config, "production-search-data-1");
    expect(dataNode).toMatchObject({ hostname: "10.42.0.48", user: "ubuntu", proxyjump: "production-frontend-1" });
    const worker = sshOptions(config, "production-ingestion-1");
    expect(worker).toMatchObject({ hostname: expect.stringMatching(/^10\.42\.0\.\d+$/), proxyjump: "production-frontend-1" });
    const recheck = sshOptions(config, "production-recheck-1");
    expect(recheck.hostname).toMatch(/^203\.0\.113\.\d+$/);
    expect(recheck.proxyjump).toBeUndefined();
  });

  test("logs in as debian on a Debian 13 image, or as the --user given", async () => {
    const config = copyExampleConfig();
    editConfig(config, "deployments/evaluation.yaml", "image: ubuntu-noble\n", "image: debian-trixie\n");
    const file = path.join(dir, "outputs.json");
    fs.writeFileSync(file, deployedOutputs(synthConfig(config).evaluation));
    const render = async (...flags: string[]) => {
      const out: string[] = [];
      expect(await runCommand(sshConfigCommand(), ["evaluation", "--outputs", file, ...flags], { out: (line) => out.push(line), err: (line) => out.push(line) })).toBe(0);
      return `${out.join("\n")}\n`;
    };
    expect(sshOptions(await render(), "evaluation-search-data-1")).toMatchObject({ user: "debian", proxyjump: "evaluation-frontend-1" });
    expect(sshOptions(await render("--user", "admin"), "evaluation-search-data-1").user).toBe("admin");
  });
});
