import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig } from "../lib/config/load";
import { ConfigError, formatProblem } from "../lib/config/problems";
import {
  checkCloudYaml,
  renderCloudYaml,
  runNewCloud,
  writeNewCloud,
  type NewCloudAnswers,
} from "../lib/new-cloud";
import { copyExampleConfig, editConfig, repoRoot } from "./support/config-fixture";
import { resourcesOf, synthConfig } from "./support/synth";

/** Flags for a cloud that offers every flavor alias the example deployment uses. */
const EXAMPLE_FLAGS = [
  "--clouds-yaml-entry", "sponsor-a",
  "--region", "RegionTwo",
  "--image-name", "Ubuntu 24.04 LTS",
  "--flavor", "search-data=hm.4xlarge:16:64:160",
  "--flavor", "general-4x8=m1.large:4:8:80",
  "--flavor", "general-2x4=m1.medium:2:4:40",
  "--network-mode", "tenant",
  "--external-network", "public",
  "--dns", "1.1.1.1",
];

const ANSWERS: NewCloudAnswers = {
  name: "sponsor-b",
  cloudsYamlEntry: "sponsor-b",
  region: "RegionOne",
  imageName: "Ubuntu 24.04",
  flavors: [
    { alias: "search-data", name: "hm.4xlarge", vcpus: "16", ramGib: "64", diskGib: "160" },
    { alias: "general-4x8", name: "m1.large", vcpus: "4", ramGib: "8", diskGib: "80" },
    { alias: "general-2x4", name: "m1.medium", vcpus: "2", ramGib: "4", diskGib: "40" },
  ],
  networkMode: "tenant",
  externalNetwork: "public",
  quota: [["instances", "12"], ["cores", "48"]],
  dnsNameservers: [],
};

/** A copy of the example config whose only deployment runs on `cloud`, which has no file yet. */
function configWithDeploymentOn(cloud: string): string {
  const dir = copyExampleConfig();
  for (const file of fs.readdirSync(path.join(dir, "clouds"))) fs.rmSync(path.join(dir, "clouds", file));
  for (const file of fs.readdirSync(path.join(dir, "deployments"))) if (file !== "production.yaml") fs.rmSync(path.join(dir, "deployments", file));
  editConfig(dir, "deployments/production.yaml", /^cloud: example-cloud$/m, `cloud: ${cloud}`);
  return dir;
}

function runCli(args: string[], configDir: string) {
  return spawnSync(process.execPath, [path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs"), path.join(repoRoot, "scripts", "new-cloud.ts"), ...args], {
    cwd: repoRoot,
    env: { ...process.env, CONFIG_DIR: configDir },
    input: "", // stdin is a pipe, not a terminal
    encoding: "utf8",
    timeout: 30_000,
  });
}

/** runNewCloud in process, with its output collected. */
async function run(args: string[], configDir: string, ask?: (question: string) => Promise<string>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runNewCloud(args, {
    interactive: ask !== undefined,
    ask,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    configDir,
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("npm run new-cloud", () => {
  test("writes a commented cloud file that loads and synthesizes with a deployment naming it", () => {
    const dir = configWithDeploymentOn("sponsor-a");
    const result = runCli(["sponsor-a", ...EXAMPLE_FLAGS], dir);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const file = path.join(dir, "clouds", "sponsor-a.yaml");
    expect(result.stdout).toContain(`Wrote ${file}.`);
    expect(result.stdout).toContain("set `cloud: sponsor-a`");
    expect(result.stdout).toContain(`CONFIG_DIR=${dir} npm run synth`);

    const text = fs.readFileSync(file, "utf8");
    // The $schema path resolves from where the file is, here a config folder outside the repository.
    const schemaRef = /^# yaml-language-server: \$schema=(\S+)$/.exec(text.split("\n")[0])?.[1] ?? "";
    expect(path.resolve(path.dirname(file), schemaRef)).toBe(path.join(repoRoot, "schema", "config", "cloud.schema.json"));
    for (const hint of ["openstack image list", "openstack flavor list", "openstack network list --external", "OS_CLOUD"]) {
      expect(text).toContain(hint);
    }

    const [deployment] = loadConfig(dir).deployments;
    expect(deployment.cloud.name).toBe("sponsor-a");
    expect(deployment.cloud.config).toEqual({
      clouds_yaml_entry: "sponsor-a",
      region: "RegionTwo",
      quota: {},
      images: { "ubuntu-noble": { name: "Ubuntu 24.04 LTS", distribution: "ubuntu-24.04" } },
      flavors: {
        "search-data": { name: "hm.4xlarge", vcpus: 16, ram_gib: 64, disk_gib: 160 },
        "general-4x8": { name: "m1.large", vcpus: 4, ram_gib: 8, disk_gib: 80 },
        "general-2x4": { name: "m1.medium", vcpus: 2, ram_gib: 4, disk_gib: 40 },
      },
      network: { mode: "tenant", external_network: "public", ipv4_cidr: "10.42.0.0/24", dns_nameservers: ["1.1.1.1"] },
      server_group_policy: "anti-affinity",
    });

    const stack = synthConfig(dir).production;
    expect(stack.provider.openstack).toEqual([{ cloud: "sponsor-a", region: "RegionTwo" }]);
    expect(Object.values(resourcesOf(stack, "openstack_images_image_v2", "data")).map((image) => image.name)).toEqual(["Ubuntu 24.04 LTS"]);
  });

  test("fails without a terminal when answers are missing, listing every missing flag (exit 2)", () => {
    const dir = configWithDeploymentOn("sponsor-a");
    const result = runCli(["sponsor-a", "--region", "RegionOne", "--network-mode", "tenant"], dir);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    const flags = result.stderr.split("\n").filter((line) => /^ {2}\S/.test(line)).map((line) => line.trim());
    expect(flags).toEqual(["--clouds-yaml-entry", "--image-name", "--flavor", "--external-network"]);
    expect(result.stderr).toContain("stdin is not a terminal");
    expect(fs.readdirSync(path.join(dir, "clouds"))).toEqual([]);
  });

  test("writes a Debian 13 image and the boot volume of a flavor without a disk; a flavor without a disk needs --boot-volume-gib", async () => {
    const dir = configWithDeploymentOn("sponsor-a");
    const flags = EXAMPLE_FLAGS.map((flag) => flag.replace("m1.medium:2:4:40", "m1.medium:2:4:0"));
    const withoutVolume = await run(["sponsor-a", ...flags, "--image-distribution", "debian-13"], dir);
    expect(withoutVolume.code).toBe(1);
    expect(withoutVolume.err).toContain("flavors.general-2x4.disk_gib: got 0; a flavor without a root disk needs boot_volume_gib too");
    expect(fs.readdirSync(path.join(dir, "clouds"))).toEqual([]);
    expect((await run(["sponsor-a", ...flags, "--image-distribution", "debian-13", "--boot-volume-gib", "60"], dir)).code).toBe(0);
    const { config } = loadConfig(dir).clouds.get("sponsor-a")!;
    expect(config.images["ubuntu-noble"]).toEqual({ name: "Ubuntu 24.04 LTS", distribution: "debian-13" });
    expect(config.flavors["general-2x4"]).toEqual({ name: "m1.medium", vcpus: 2, ram_gib: 4, disk_gib: 0, boot_volume_gib: 60 });
    expect(config.flavors["general-4x8"]).toEqual({ name: "m1.large", vcpus: 4, ram_gib: 8, disk_gib: 80 });
  });

  test("writes a provider-network cloud that loads with a deployment naming it", async () => {
    const dir = configWithDeploymentOn("sponsor-p");
    const flags = EXAMPLE_FLAGS.slice(0, EXAMPLE_FLAGS.indexOf("--network-mode"));
    const result = await run(["sponsor-p", ...flags, "--network-mode", "provider", "--network-name", "public-v4", "--server-group-policy", "soft-anti-affinity"], dir);
    expect(result.err).toBe("");
    expect(result.code).toBe(0);
    const { cloud } = loadConfig(dir).deployments[0];
    expect(cloud.config.network).toEqual({ mode: "provider", network_name: "public-v4" });
    expect(cloud.config.server_group_policy).toBe("soft-anti-affinity");
  });

  test("prints next steps that work as printed with CONFIG_DIR, starting from the example deployment of the same network mode", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "new-cloud-steps-"));
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "new-cloud-out-"));
    try {
      const flavors = ["--flavor", "large=m1.xlarge:8:32:160", "--flavor", "medium=m1.large:4:8:80", "--flavor", "small=m1.medium:2:4:40"];
      const result = runCli(["sponsor-p", ...EXAMPLE_FLAGS.slice(0, 6), ...flavors, "--network-mode", "provider", "--network-name", "public-v4"], dir);
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      const lines = result.stdout.split("\n");
      const copy = lines[lines.findIndex((line) => line.includes("3. Write a deployment")) + 1].trim();
      expect(copy).toBe(`mkdir -p ${dir}/deployments && cp config/deployments/staging.yaml ${dir}/deployments/<deployment>.yaml`);
      const sh = (command: string) => spawnSync("sh", ["-c", command], { cwd: repoRoot, env: { ...process.env, CDKTF_OUTDIR: outdir, CONFIG_DIR: undefined }, encoding: "utf8" });
      expect(sh(copy.replace("<deployment>", "sponsor")).status).toBe(0);
      // The folder has no bug queries yet: step 3 copies the shipped ones, or synth would fail.
      const queries = lines[lines.findIndex((line) => line.includes("3. Write a deployment")) + 2].trim();
      expect(queries).toBe(`cp -r config/queries ${dir}/queries`);
      expect(sh(queries).status).toBe(0);
      // What step 3 asks the admin to edit: the cloud, and the $schema path for a folder outside the repository.
      const schemaRef = /on its first line, `\$schema=(\S+)`/.exec(result.stdout)?.[1] ?? "";
      expect(path.resolve(dir, "deployments", schemaRef)).toBe(path.join(repoRoot, "schema", "config", "deployment.schema.json"));
      editConfig(dir, "deployments/sponsor.yaml", /^cloud: provider-cloud$/m, "cloud: sponsor-p");
      expect(lines.find((line) => /^ {2}4\. /.test(line))).toBe(`  4. CONFIG_DIR=${dir} npm run preflight -- <deployment>   (checks the clouds.yaml entry, image, flavors, network and quota against the cloud)`);
      const synth = lines.find((line) => /^ {2}5\. /.test(line))!.replace(/^ {2}5\. /, "");
      expect(synth).toBe(`CONFIG_DIR=${dir} npm run synth`);
      const synthesized = sh(synth);
      expect(synthesized.stderr).toBe("");
      expect(synthesized.stdout).toContain(`Synthesized sponsor into ${outdir}/stacks/`);
      expect(lines.find((line) => line.includes("npx cdktf diff"))?.trim()).toBe(`CONFIG_DIR=${dir} npx cdktf diff <deployment>   (the plan, for review)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test("fails a bad CIDR with its line and column, names the flag, and writes nothing", async () => {
    const dir = configWithDeploymentOn("sponsor-a");
    const result = await run(["sponsor-a", ...EXAMPLE_FLAGS, "--ipv4-cidr", "10.42.0.300/24"], dir);
    expect(result.code).toBe(1);
    const file = path.join(dir, "clouds", "sponsor-a.yaml");
    const text = renderCloudYaml({ ...ANSWERS, name: "sponsor-a", ipv4Cidr: "10.42.0.300/24" });
    const line = text.split("\n").findIndex((entry) => entry.includes("ipv4_cidr: 10.42.0.300/24")) + 1;
    expect(line).toBeGreaterThan(0);
    expect(result.err.split("\n")).toEqual([
      "The cloud file would have 1 problem(s); nothing was written:",
      `  ${file}:${line}:14: network.ipv4_cidr: got "10.42.0.300/24"; expected an IPv4 CIDR such as 10.42.0.0/24 (from --ipv4-cidr)`,
      `    ${String(line).padStart(4)} |   ipv4_cidr: 10.42.0.300/24`,
      "Fix the answer and run the command again.",
    ]);
    expect(fs.readdirSync(path.join(dir, "clouds"))).toEqual([]);
  });

  test("writes the donated quota given with --quota, and fails a quota item that is not a count", () => {
    const text = renderCloudYaml(ANSWERS);
    expect(text).toContain("\nquota:\n  instances: 12\n  cores: 48\n");
    expect(checkCloudYaml("sponsor-b.yaml", text)).toEqual([]);
    const problems = checkCloudYaml("sponsor-b.yaml", renderCloudYaml({ ...ANSWERS, quota: [["cores", "many"]] })).map(formatProblem);
    expect(problems).toEqual([expect.stringMatching(/^sponsor-b\.yaml:\d+:10: quota\.cores: got "many"; expected number/)]);
  });

  test("reports a problem at the same place and in the same words as loading the file would", () => {
    const dir = configWithDeploymentOn("sponsor-b");
    const text = renderCloudYaml({ ...ANSWERS, flavors: [{ ...ANSWERS.flavors[0], vcpus: "16.5" }, ...ANSWERS.flavors.slice(1)] });
    const file = path.join(dir, "clouds", "sponsor-b.yaml");
    const problems = checkCloudYaml(file, text).map(formatProblem);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("flavors.search-data.vcpus: got 16.5; expected a whole number");
    fs.writeFileSync(file, text);
    let loaded: string[] = [];
    try {
      loadConfig(dir);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      loaded = error.problems.map(formatProblem);
    }
    expect(loaded).toEqual(problems);
  });

  test("refuses to overwrite an existing cloud file without --force, and overwrites it with --force", async () => {
    const dir = configWithDeploymentOn("sponsor-a");
    const file = path.join(dir, "clouds", "sponsor-a.yaml");
    fs.writeFileSync(file, "# hand-written\n");
    const refused = await run(["sponsor-a", ...EXAMPLE_FLAGS], dir);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(`new-cloud: ${file} already exists; nothing was written (pass --force to overwrite it)`);
    expect(fs.readFileSync(file, "utf8")).toBe("# hand-written\n");

    const forced = await run(["sponsor-a", ...EXAMPLE_FLAGS, "--force"], dir);
    expect(forced.code).toBe(0);
    expect(loadConfig(dir).clouds.get("sponsor-a")?.config.region).toBe("RegionTwo");
  });

  test("refuses a .yml file of the same name even with --force, since both would name the cloud", () => {
    const dir = configWithDeploymentOn("sponsor-b");
    fs.writeFileSync(path.join(dir, "clouds", "sponsor-b.yml"), "# hand-written\n");
    const result = writeNewCloud(dir, ANSWERS, true);
    expect(result.written).toBe(false);
    expect(result.refused).toContain("sponsor-b.yml already exists");
    expect(fs.existsSync(path.join(dir, "clouds", "sponsor-b.yaml"))).toBe(false);
  });

  test("asks on a terminal for each missing answer, again after a malformed one", async () => {
    const dir = configWithDeploymentOn("sponsor-b");
    const replies = ["sponsor-b", "RegionOne", "Ubuntu 24.04", "search-data=hm.4xlarge", "search-data=hm.4xlarge:16:64:160", "general-4x8=m1.large:4:8:80", "general-2x4=m1.medium:2:4:40", "", "tenat", "tenant", "public"];
    const questions: string[] = [];
    const ask = async (question: string) => {
      questions.push(question);
      const reply = replies.shift();
      if (reply === undefined) throw new Error(`unexpected question: ${question}`);
      return reply;
    };
    const result = await run(["sponsor-b"], dir, ask);
    expect(result.code).toBe(0);
    expect(replies).toEqual([]);
    expect(questions.map((question) => question.split(" ")[0])).toEqual(["Entry", "Region", "Name", ...Array(5).fill("Flavor"), "Network", "Network", "External"]);
    expect(result.err).toContain('--flavor "search-data=hm.4xlarge": expected alias=name:vcpus:ram_gib:disk_gib');
    expect(result.err).toContain('--network-mode: got "tenat"; expected tenant or provider');
    expect(loadConfig(dir).deployments[0].cloud.config.images).toEqual({ "ubuntu-noble": { name: "Ubuntu 24.04", distribution: "ubuntu-24.04" } });
  });

  test.each([
    ["an invalid cloud name", ["Sponsor_A", ...EXAMPLE_FLAGS], 'cloud name "Sponsor_A": expected 2-32 characters'],
    ["--network-name with a tenant network", ["sponsor-a", ...EXAMPLE_FLAGS, "--network-name", "shared"], "--network-name: only for --network-mode provider"],
    ["--external-network with a provider network", ["sponsor-a", "--network-mode", "provider", "--external-network", "public"], "--external-network: only for --network-mode tenant"],
    ["a --flavor without its sizes", ["sponsor-a", "--flavor", "m1.large"], '--flavor "m1.large": expected alias=name:vcpus:ram_gib:disk_gib'],
    ["a flavor alias given twice", ["sponsor-a", "--flavor", "a1=x:1:1:10", "--flavor", "a1=y:2:2:20"], '--flavor: the alias "a1" is given twice'],
    ["an unknown network mode", ["sponsor-a", "--network-mode", "bridge"], '--network-mode: got "bridge"; expected tenant or provider'],
    ["an unknown flag", ["sponsor-a", "--colud-yaml-entry", "x"], "Unknown option '--colud-yaml-entry'"],
  ])("fails %s as a usage error (exit 2), writing nothing", async (_label, args, message) => {
    const dir = configWithDeploymentOn("sponsor-a");
    const result = await run(args, dir);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(fs.readdirSync(path.join(dir, "clouds"))).toEqual([]);
  });

  test("renders any text a flag gives as a YAML string, never as YAML syntax", () => {
    const text = renderCloudYaml({ ...ANSWERS, description: "ACME: cloud #1\nsecond line", imageName: "yes", region: "[RegionOne]" });
    const dir = configWithDeploymentOn("sponsor-b");
    expect(checkCloudYaml("x.yaml", text)).toEqual([]);
    fs.writeFileSync(path.join(dir, "clouds", "sponsor-b.yaml"), text);
    const { config } = loadConfig(dir).clouds.get("sponsor-b")!;
    expect([config.description, config.images["ubuntu-noble"].name, config.region]).toEqual(["ACME: cloud #1\nsecond line", "yes", "[RegionOne]"]);
  });
});
