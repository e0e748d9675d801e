/**
 * `npm run preflight` against a small OpenStack on loopback (test/support/fake-openstack.ts)
 * that holds what the example cloud file says, then with one fact changed per test.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as net from "node:net";
import { App } from "cdktf";
import { runCommand } from "../lib/cli";
import { loadConfig } from "../lib/config/load";
import { PREFLIGHT_SKIPPED_EXIT_CODE, preflightCommand } from "../lib/preflight";
import { buildApp } from "../main";
import { copyExampleConfig, exampleConfigDir } from "./support/config-fixture";
import { runScript } from "./support/scripts";
import { startFakeOpenStack, type FakeCloud, type FakeOpenStack } from "./support/fake-openstack";

const neededByCloud = buildApp(new App(), loadConfig(exampleConfigDir));

/** The example cloud as its file describes it (config/clouds/example-cloud.yaml). */
function exampleCloud(): FakeCloud {
  return {
    region: "RegionOne",
    username: "ci-logs-admin",
    password: "test-password-not-a-secret",
    projectName: "ci-logs",
    flavors: [
      { name: "m1.xlarge-highmem", vcpus: 16, ramMiB: 65536, diskGiB: 160 },
      { name: "m1.large", vcpus: 4, ramMiB: 8192, diskGiB: 80 },
      { name: "m1.medium", vcpus: 2, ramMiB: 4096, diskGiB: 40 },
      { name: "m1.small", vcpus: 1, ramMiB: 2048, diskGiB: 20 },
    ],
    images: [{ name: "Ubuntu 24.04 Noble Numbat", status: "active" }, { name: "Debian 12", status: "active" }],
    networks: [{ name: "public", external: true }, { name: "shared-v6", external: false }],
    limits: { instances: 30, cores: 200, ram: 640 * 1024, volumes: 10, gigabytes: 7000, floatingip: 4, security_group: 12, security_group_rule: 200 },
  };
}

let fake: FakeOpenStack;
let dir: string;

function writeCloudsYaml(authUrl: string, entry = "example-cloud", password = fake.cloud.password): string {
  const file = path.join(dir, "clouds.yaml");
  fs.writeFileSync(
    file,
    [
      "clouds:",
      `  ${entry}:`,
      "    auth:",
      `      auth_url: ${authUrl}`,
      `      username: ${fake.cloud.username}`,
      `      password: ${password}`,
      `      project_name: ${fake.cloud.projectName}`,
      "      user_domain_name: Default",
      "      project_domain_name: Default",
      `    region_name: ${fake.cloud.region}`,
      "",
    ].join("\n"),
  );
  return file;
}

async function preflight(args: string[], configDir = exampleConfigDir, cloudsYaml = writeCloudsYaml(fake.authUrl)) {
  const out: string[] = [];
  const err: string[] = [];
  const command = preflightCommand({ configDir, env: { OS_CLIENT_CONFIG_FILE: cloudsYaml }, neededByCloud: () => neededByCloud });
  const code = await runCommand(command, args, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "preflight-"));
  fake = await startFakeOpenStack(exampleCloud());
});

afterEach(async () => {
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("npm run preflight", () => {
  test("passes a cloud that is what its file says, with read-only calls only (exit 0)", async () => {
    const result = await preflight(["production"]);
    expect(result.err).toEqual([]);
    expect(result.out[0]).toBe("Checking cloud example-cloud (" + path.join(exampleConfigDir, "clouds", "example-cloud.yaml") + ") for deployment production, read-only");
    expect(result.out.slice(1, -1).map((line) => line.split(" — ")[0])).toEqual([
      "PASS clouds.yaml entry",
      "PASS authentication",
      "PASS region",
      "PASS image ubuntu-noble",
      "PASS flavors",
      "PASS flavors",
      "PASS flavors",
      "PASS network",
      "PASS quota",
    ]);
    const needed = neededByCloud.get("example-cloud")!;
    expect(result.out).toContain(
      "PASS quota — the deployments on example-cloud need/project ci-logs has: " +
        `instances ${needed.instances}/30 (in use 0), cores ${needed.cores}/200 (in use 0), ram_gib ${needed.ram_gib}/640 (in use 0), ` +
        `volumes ${needed.volumes}/10 (in use 0), volume_gib ${needed.volume_gib}/7000 (in use 0), floating_ips ${needed.floating_ips}/4 (in use 0), ` +
        `security_groups ${needed.security_groups}/12 (in use 0), security_group_rules ${needed.security_group_rules}/200 (in use 0)`,
    );
    expect(result.out.at(-1)).toBe("9 passed, 0 failed");
    expect(result.code).toBe(0);
    expect(fake.requests.filter((request) => !request.startsWith("GET "))).toEqual(["POST /identity/v3/auth/tokens"]);
  });

  test("fails a flavor whose RAM or disk differs from the file, and a flavor name Nova lacks, with the setting to correct (exit 1)", async () => {
    fake.cloud.flavors = [
      { name: "m1.xlarge-highmem", vcpus: 16, ramMiB: 32768, diskGiB: 160 },
      { name: "m1.larg", vcpus: 4, ramMiB: 8192, diskGiB: 80 },
      { name: "m1.medium", vcpus: 2, ramMiB: 4096, diskGiB: 0 },
    ];
    const result = await preflight(["production"]);
    const file = path.join(exampleConfigDir, "clouds", "example-cloud.yaml");
    expect(result.out.filter((line) => line.startsWith("FAIL"))).toEqual([
      `FAIL flavors — general-2x4 (m1.medium): disk_gib: the file says 40, Nova says 0 GiB (no root disk: set disk_gib: 0 and boot_volume_gib); correct flavors.general-2x4 of ${file}`,
      `FAIL flavors — general-4x8: Nova has no flavor "m1.large"; did you mean "m1.larg"?; correct flavors.general-4x8 of ${file}.name`,
      `FAIL flavors — search-data (m1.xlarge-highmem): ram_gib: the file says 64 (65536 MiB), Nova says 32768 MiB (32 GiB); correct flavors.search-data of ${file}`,
    ]);
    expect(result.code).toBe(1);
  });

  test("fails an image Glance lacks and an external network that is not external (exit 1)", async () => {
    fake.cloud.images = [{ name: "Ubuntu 24.04 Noble Numbat", status: "queued" }];
    fake.cloud.networks = [{ name: "public", external: false }];
    const result = await preflight(["evaluation"]);
    expect(result.out.filter((line) => line.startsWith("FAIL"))).toEqual([
      `FAIL image ubuntu-noble — no active image named "Ubuntu 24.04 Noble Numbat" in Glance (found 1 not active); correct images.ubuntu-noble in ${path.join(exampleConfigDir, "clouds", "example-cloud.yaml")}`,
      'FAIL network — "public" is not an external network (router:external is false): the router cannot use it as gateway; see `openstack network list --external`',
    ]);
    expect(result.code).toBe(1);
  });

  test("fails a project quota smaller than what the cloud's deployments need (exit 1)", async () => {
    fake.cloud.limits.cores = 100;
    fake.cloud.limits.ram = 400 * 1024;
    const result = await preflight(["evaluation"]);
    expect(result.out.filter((line) => line.startsWith("FAIL"))).toEqual([
      "FAIL quota — the deployments on example-cloud need more than project ci-logs has: cores: needs 160, the project's quota is 100; ram_gib: needs 512, the project's quota is 400. Ask the sponsor for more quota, or make the deployments smaller",
    ]);
    expect(result.code).toBe(1);
  });

  test("fails a region the catalog does not have, listing those it has (exit 1)", async () => {
    const config = copyExampleConfig();
    try {
      const cloudFile = path.join(config, "clouds", "example-cloud.yaml");
      fs.writeFileSync(cloudFile, fs.readFileSync(cloudFile, "utf8").replace("region: RegionOne", "region: RegionTwo"));
      const result = await preflight(["evaluation"], config);
      expect(result.out.filter((line) => line.startsWith("FAIL"))).toEqual([
        `FAIL region — RegionTwo: no public compute, image, network, block-storage endpoint in the catalog (regions: RegionOne); correct region in ${cloudFile}`,
      ]);
      expect(result.code).toBe(1);
    } finally {
      fs.rmSync(config, { recursive: true, force: true });
    }
  });

  test("fails credentials Keystone refuses, naming the clouds.yaml entry (exit 1)", async () => {
    const cloudsYaml = writeCloudsYaml(fake.authUrl, "example-cloud", "wrong-password");
    const result = await preflight(["evaluation"], exampleConfigDir, cloudsYaml);
    expect(result.out.filter((line) => line.startsWith("FAIL"))).toEqual([
      `FAIL authentication — Keystone at ${fake.authUrl}/auth/tokens answered 401: the credentials were refused; check the auth: section of example-cloud in ${cloudsYaml}`,
    ]);
    expect(result.code).toBe(1);
  });

  test("fails a clouds.yaml without the cloud's entry, with one line naming the entries it has (exit 1)", async () => {
    const cloudsYaml = writeCloudsYaml(fake.authUrl, "example-clud");
    const result = await preflight(["evaluation"], exampleConfigDir, cloudsYaml);
    expect(result.err).toEqual([
      `preflight: ${cloudsYaml}: no entry "example-cloud" under clouds: (entries: example-clud); did you mean "example-clud"?; add it, or correct clouds_yaml_entry in the cloud file`,
    ]);
    expect(result.code).toBe(1);
  });

  test("fails an unknown deployment as a usage error (exit 2)", async () => {
    const result = await preflight(["evalution"]);
    expect(result.err[0]).toBe(`preflight: no deployment "evalution" in ${exampleConfigDir}/deployments (deployments: evaluation, production, staging); did you mean "evaluation"?`);
    expect(result.code).toBe(2);
  });

  test("skips with one line and exit 3 when Keystone does not answer, or there is no clouds.yaml", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await preflight(["evaluation"], exampleConfigDir, writeCloudsYaml(`http://127.0.0.1:${port}/v3`));
    expect(unreachable.out.at(-1)).toBe(`SKIPPED: no cloud reachable: Keystone (http://127.0.0.1:${port}/v3) did not answer: 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (ECONNREFUSED); nothing else was checked.`);
    expect(unreachable.code).toBe(PREFLIGHT_SKIPPED_EXIT_CODE);

    const none = await preflight(["evaluation"], exampleConfigDir, path.join(dir, "no-such-clouds.yaml"));
    expect(none.out).toEqual([expect.stringMatching(/^SKIPPED: no clouds\.yaml found \(.*no-such-clouds\.yaml, .*\); nothing was checked\.$/)]);
    expect(none.code).toBe(PREFLIGHT_SKIPPED_EXIT_CODE);
  });

  test("runs as `npm run preflight` against the cloud on loopback", async () => {
    const result = await runScript("preflight", ["evaluation"], { OS_CLIENT_CONFIG_FILE: writeCloudsYaml(fake.authUrl) });
    expect(result.stderr).toBe("");
    expect(result.stdout.trimEnd().split("\n").at(-1)).toBe("8 passed, 0 failed"); // evaluation uses two flavors
    expect(result.status).toBe(0);
  }, 60_000);
});
