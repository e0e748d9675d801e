import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { copyExampleConfig, editConfig } from "./support/config-fixture";
import { runSynth } from "./support/synth";

/** 1-based line of the deployment file of a config copy that contains `needle`. */
function lineOf(configDir: string, needle: string): number {
  return fs.readFileSync(path.join(configDir, "deployments", "production.yaml"), "utf8").split("\n").findIndex((line) => line.includes(needle)) + 1;
}

describe("the app (main.ts)", () => {
  const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "app-")), "cdktf.out");

  test("synthesizes every stack of the config folder named by CONFIG_DIR", () => {
    const result = runSynth(copyExampleConfig(), outdir);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`Synthesized evaluation, production, staging into ${outdir}/stacks/`);
    expect(result.stdout).toContain("  cloud example-cloud: quota used instances 25/30, cores 160/200,");
    expect(fs.existsSync(path.join(outdir, "stacks", "production", "cdk.tf.json"))).toBe(true);
    expect(fs.readdirSync(path.dirname(outdir))).toEqual(["cdktf.out"]);
  });

  test("fails on a bad config with a clear message, no stack trace, and the previous output untouched", () => {
    const before = fs.readFileSync(path.join(outdir, "stacks", "production", "cdk.tf.json"), "utf8");
    const config = copyExampleConfig();
    editConfig(config, "deployments/production.yaml", "volume_gib: 1024", "volume_gb: 1024");
    const result = runSynth(config, outdir);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      [
        "Configuration has 2 problem(s); nothing was written:",
        `  ${config}/deployments/production.yaml:${lineOf(config, "count: 6")}:5: search.data_nodes.volume_gib: missing required setting (expected number)`,
        `  ${config}/deployments/production.yaml:${lineOf(config, "volume_gb")}:5: search.data_nodes.volume_gb: unknown setting; did you mean "volume_gib"?`,
        "",
      ].join("\n"),
    );
    expect(fs.readFileSync(path.join(outdir, "stacks", "production", "cdk.tf.json"), "utf8")).toBe(before);
    expect(fs.readdirSync(path.dirname(outdir))).toEqual(["cdktf.out"]);
  });

  test("fails a config that opens SSH (and the metrics) to the world, naming the file, line and setting, with the previous output untouched", () => {
    const before = fs.readFileSync(path.join(outdir, "stacks", "production", "cdk.tf.json"), "utf8");
    const config = copyExampleConfig();
    editConfig(config, "deployments/production.yaml", "    - 203.0.113.0/24", "    - 0.0.0.0/0");
    const result = runSynth(config, outdir);
    expect(result.status).toBe(1);
    const line = fs.readFileSync(path.join(config, "deployments", "production.yaml"), "utf8").split("\n").indexOf("    - 0.0.0.0/0") + 1;
    expect(result.stderr).toContain(
      `deployments/production.yaml:${line}:7: admin.ssh_allowed_prefixes[0]: got "0.0.0.0/0"; expected a prefix of /8 or longer (IPv4), /32 or longer (IPv6): a wider one opens admin SSH to a large part of the Internet`,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readFileSync(path.join(outdir, "stacks", "production", "cdk.tf.json"), "utf8")).toBe(before);
    expect(fs.readdirSync(path.dirname(outdir))).toEqual(["cdktf.out"]);
  });

  test("fails deployments that exceed their cloud's quota, with the figures, and writes nothing", () => {
    const before = fs.readFileSync(path.join(outdir, "stacks", "production", "cdk.tf.json"), "utf8");
    const config = copyExampleConfig();
    editConfig(config, "clouds/example-cloud.yaml", "  floating_ips: 4", "  floating_ips: 3");
    const result = runSynth(config, outdir);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      [
        "The deployments do not fit the donated quota; nothing was written:",
        `  ${config}/clouds/example-cloud.yaml: quota: floating_ips: needs 4, the quota is 3 (deployments evaluation, production)`,
        "  Ask the sponsor for more quota, or make the deployments smaller (counts, flavors, volume sizes).",
        "",
      ].join("\n"),
    );
    expect(fs.readFileSync(path.join(outdir, "stacks", "production", "cdk.tf.json"), "utf8")).toBe(before);
  });
});
