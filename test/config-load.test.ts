import * as fs from "node:fs";
import * as path from "node:path";
import { loadConfig } from "../lib/config/load";
import { BYTES_PER_DOCUMENT, DOCUMENTS_PER_SECOND_PER_VCPU, INDEXING_SHARE } from "../lib/ingestion/ingest-rate";
import { ConfigError, formatProblem } from "../lib/config/problems";
import { copyExampleConfig, editConfig, exampleConfigDir, writeConfig } from "./support/config-fixture";

/** `file:line:column` of the first line of a config copy that contains `needle`, at `column`. */
function at(configDir: string, file: string, needle: string, column: number): string {
  const lines = fs.readFileSync(path.join(configDir, file), "utf8").split("\n");
  const index = lines.findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`${needle} not found in ${file}`);
  return `${file}:${index + 1}:${column}`;
}

function problemsOf(configDir: string): string[] {
  try {
    loadConfig(configDir);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem).map((p) => p.replace(configDir + path.sep, ""));
    throw error;
  }
  throw new Error("expected the config to be rejected");
}

describe("loadConfig", () => {
  test("loads the example config into typed deployments with their cloud", () => {
    const config = loadConfig(exampleConfigDir);
    expect(config.deployments.map((d) => d.name)).toEqual(["evaluation", "production", "staging"]);
    const production = config.deployments.find((deployment) => deployment.name === "production")!;
    expect(production.cloud.name).toBe("example-cloud");
    expect(production.cloud.config.network.mode).toBe("tenant");
    expect(production.config.search.data_nodes).toEqual({ count: 6, flavor: "search-data", volume_gib: 1024 });
  });

  test("the example production runs OpenSearch, the community's engine, and staging keeps the Elasticsearch path shown", () => {
    const engines = Object.fromEntries(loadConfig(exampleConfigDir).deployments.map((deployment) => [deployment.name, [deployment.config.search.engine, deployment.config.search.version]]));
    expect(engines).toEqual({ evaluation: ["opensearch", undefined], production: ["opensearch", undefined], staging: ["elasticsearch", undefined] });
  });

  test("applies documented defaults", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "clouds/example-cloud.yaml", / {2}ipv4_cidr: .*\n {2}dns_nameservers: .*\n/, "");
    const network = loadConfig(dir).deployments[0].cloud.config.network;
    expect(network).toEqual({ mode: "tenant", external_network: "public", ipv4_cidr: "10.42.0.0/24", dns_nameservers: [] });
  });

  test("fails on an unknown setting, with its line, column and a did-you-mean", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "clouds/example-cloud.yaml", "region: RegionOne", "regoin: RegionOne");
    expect(problemsOf(dir)).toEqual([
      expect.stringMatching(/^clouds\/example-cloud\.yaml:\d+:1: region: missing required setting/),
      "clouds/example-cloud.yaml:10:1: regoin: unknown setting; did you mean \"region\"?",
    ]);
  });

  test("fails on an unknown setting that resembles none, listing the known ones", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "  master_nodes:", "  masters:");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/production.yaml", "  masters:", 3)}: search.masters: unknown setting; expected one of: ` +
        "engine, version, data_nodes, master_nodes, primary_shards, replicas, retention_days, daily_ingest_gib, disk_watermark_percent, snapshots",
    ]);
  });

  test("fails on a wrong type, naming the value given and what is expected", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "count: 6\n", "count: 6.5\n");
    expect(problemsOf(dir)).toEqual([`${at(dir, "deployments/production.yaml", "count: 6.5", 12)}: search.data_nodes.count: got 6.5; expected a whole number`]);
  });

  test("fails on an unknown network mode with the allowed modes", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "clouds/example-cloud.yaml", "mode: tenant", "mode: tenat");
    expect(problemsOf(dir)).toEqual([
      "clouds/example-cloud.yaml:37:9: network.mode: got \"tenat\"; expected one of: tenant, provider; did you mean \"tenant\"?",
    ]);
  });

  test("fails on a malformed address in a list, pointing at the item", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "clouds/example-cloud.yaml", "9.9.9.9]", "9.9.9]");
    expect(problemsOf(dir)).toEqual([
      "clouds/example-cloud.yaml:40:30: network.dns_nameservers[1]: got \"9.9.9\"; expected an IPv4 or IPv6 address",
    ]);
  });

  test("fails on an admin prefix wider than /8 (IPv4) or /32 (IPv6), naming it", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "    - 203.0.113.0/24\n    - 2001:db8:100::/48\n", "    - 0.0.0.0/1\n    - 2001:db8::/31\n");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/production.yaml", "0.0.0.0/1", 7)}: admin.ssh_allowed_prefixes[0]: got "0.0.0.0/1"; expected a prefix of /8 or longer (IPv4), /32 or longer (IPv6): a wider one opens admin SSH to a large part of the Internet; list the admins' own networks`,
      `${at(dir, "deployments/production.yaml", "2001:db8::/31", 7)}: admin.ssh_allowed_prefixes[1]: got "2001:db8::/31"; expected a prefix of /8 or longer (IPv4), /32 or longer (IPv6): a wider one opens admin SSH to a large part of the Internet; list the admins' own networks`,
    ]);
  });

  test("fails on recheck.suggestions.baseline_days beyond the retention, at the setting", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "recheck:\n  flavor: general-4x8\n", "recheck:\n  flavor: general-4x8\n  suggestions: { baseline_days: 20 }\n");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/production.yaml", "baseline_days", 33)}: recheck.suggestions.baseline_days: got 20; expected at most search.retention_days (14): older passing builds are no longer in the cluster`,
    ]);
  });

  /** A copy of the example config where one deployment sets recheck.suggestions.irc_min_builds. */
  function withIrcMinBuilds(deployment: "staging" | "production", value: number): string {
    const dir = copyExampleConfig();
    const recheck = `recheck:\n  flavor: ${deployment === "staging" ? "small" : "general-4x8"}\n`;
    editConfig(dir, `deployments/${deployment}.yaml`, recheck, `${recheck}  suggestions: { irc_min_builds: ${value} }\n`);
    return dir;
  }
  const needsChannel = "recheck.suggestions.irc_min_builds: got 5; expected recheck.irc with a channel of projects [all] and events [negative] " +
    "(the channel of every uncategorized failure), where the bot says the suggestions";

  test("fails on recheck.suggestions.irc_min_builds without recheck.irc, at the setting", () => {
    const dir = withIrcMinBuilds("staging", 5);
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/staging.yaml", "irc_min_builds", 34)}: ${needsChannel}; set recheck.irc (server, nick, channels), or remove irc_min_builds`,
    ]);
  });

  test("fails on recheck.suggestions.irc_min_builds when no IRC channel hears every project's negative events, at the setting", () => {
    const dir = withIrcMinBuilds("production", 5);
    editConfig(dir, "deployments/production.yaml", "openstack-qa: { projects: [all], events: [positive, negative] }", "openstack-qa: { projects: [all], events: [positive] }");
    expect(problemsOf(dir)).toEqual([`${at(dir, "deployments/production.yaml", "irc_min_builds", 34)}: ${needsChannel}; add one to recheck.irc.channels, or remove irc_min_builds`]);
  });

  test("fails on a recheck.suggestions.irc_min_builds below 1, at the setting", () => {
    const dir = withIrcMinBuilds("production", 0);
    expect(problemsOf(dir)).toEqual([`${at(dir, "deployments/production.yaml", "irc_min_builds", 34)}: recheck.suggestions.irc_min_builds: got 0; expected at least 1`]);
  });

  test("takes recheck.suggestions.irc_min_builds with an IRC channel of every project's negative events", () => {
    const production = loadConfig(withIrcMinBuilds("production", 5)).deployments.find((deployment) => deployment.name === "production")!;
    expect(production.config.recheck.suggestions.irc_min_builds).toBe(5);
  });

  test("gives recheck.suggestions its defaults", () => {
    const production = loadConfig(exampleConfigDir).deployments.find((deployment) => deployment.name === "production")!;
    expect(production.config.recheck.suggestions).toEqual({ baseline_days: 7, min_builds: 2, max_suggestions: 25 });
  });

  test("fails on a reserved port in frontend.extra_public_ports, saying what it is for", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "frontend:\n  flavor: general-2x4\n", "frontend:\n  flavor: general-2x4\n  extra_public_ports: [8080, 22, 9200]\n");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/production.yaml", "extra_public_ports", 30)}: frontend.extra_public_ports[1]: got 22; reserved for admin SSH, never opened to the world; remove it`,
      `${at(dir, "deployments/production.yaml", "extra_public_ports", 34)}: frontend.extra_public_ports[2]: got 9200; reserved for the search API (the front end proxies it, read-only, on 443), never opened to the world; remove it`,
    ]);
  });

  test("fails on a reference to a cloud that has no file", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "cloud: example-cloud", "cloud: example-clod");
    expect(problemsOf(dir)).toEqual([
      expect.stringMatching(/^deployments\/production\.yaml:\d+:8: cloud: got "example-clod"; expected the name of a file in .*clouds: example-cloud, provider-cloud; did you mean "example-cloud"\?$/),
    ]);
  });

  test("fails on a flavor alias the cloud does not define", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "flavor: general-2x4", "flavor: general-2x5");
    expect(problemsOf(dir)).toEqual([
      expect.stringMatching(/: frontend\.flavor: got "general-2x5"; expected one of the flavors of .*example-cloud\.yaml: search-data, general-4x8, general-2x4; did you mean "general-2x4"\?$/),
    ]);
    expect(problemsOf(dir)[0]).toMatch(new RegExp(`^${at(dir, "deployments/production.yaml", "flavor: general-2x5", 11)}:`));
  });

  test("fails on YAML syntax errors with the position", () => {
    const dir = copyExampleConfig();
    writeConfig(dir, "deployments/broken.yaml", "cloud: [\n");
    expect(problemsOf(dir)).toEqual([expect.stringMatching(/^deployments\/broken\.yaml:2:1: YAML syntax: /)]);
  });

  test("fails on duplicate keys", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "image: ubuntu-noble", "image: ubuntu-noble\nimage: ubuntu-noble");
    expect(problemsOf(dir)).toEqual([expect.stringMatching(/^deployments\/production\.yaml:9:1: YAML syntax: Map keys must be unique/)]);
  });

  test("fails on an empty file", () => {
    const dir = copyExampleConfig();
    writeConfig(dir, "deployments/empty.yaml", "# nothing yet\n");
    expect(problemsOf(dir)).toEqual(["deployments/empty.yaml: the file is empty; expected a mapping of settings"]);
  });

  test("fails on a file name that cannot be a stack name", () => {
    const dir = copyExampleConfig();
    fs.renameSync(path.join(dir, "deployments/production.yaml"), path.join(dir, "deployments/Production_1.yaml"));
    expect(problemsOf(dir)).toEqual([expect.stringMatching(/^deployments\/Production_1\.yaml: file name "Production_1\.yaml" is not a valid name/)]);
  });

  test("fails when there is no deployment", () => {
    const dir = copyExampleConfig();
    for (const file of fs.readdirSync(path.join(dir, "deployments"))) fs.rmSync(path.join(dir, "deployments", file));
    expect(problemsOf(dir)).toEqual(["deployments: no deployment found; expected at least one deployments/<name>.yaml"]);
  });

  test("fails a flavor's ram_gib over 1024, asking whether it was given in MiB", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "clouds/example-cloud.yaml", "    ram_gib: 8\n", "    ram_gib: 8192\n");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "clouds/example-cloud.yaml", "ram_gib: 8192", 14)}: flavors.general-4x8.ram_gib: got 8192; expected at most 1024; ` +
        "did you give MiB? ram_gib is in GiB (`openstack flavor list` shows MiB: divide by 1024), and no flavor has more than 1024 GiB",
    ]);
  });

  /** A flavor with a small disk for the evaluation's ingestion worker. */
  function smallDiskWorker(dir: string, disk: string): void {
    editConfig(dir, "clouds/example-cloud.yaml", "  general-2x4:\n", `  tiny:\n    name: m1.tiny\n    vcpus: 1\n    ram_gib: 1\n${disk}  general-2x4:\n`);
    editConfig(dir, "deployments/evaluation.yaml", "  workers:\n    count: 1\n    flavor: general-2x4\n", "  workers:\n    count: 1\n    flavor: tiny\n");
  }

  test("fails a role whose flavor's root disk cannot hold what the role keeps there, with the figures", () => {
    const dir = copyExampleConfig();
    smallDiskWorker(dir, "    disk_gib: 5\n");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/evaluation.yaml", "flavor: tiny", 13)}: ingestion.workers.flavor: the root disk is too small: ingestion servers need 7 GiB ` +
        "on their root disk (the system (image, upgrades, apt cache, journal) 6 + Node.js, the ingestion service and its checkpoints 1), " +
        "flavor tiny (m1.tiny) has 5 GiB of disk; pick a flavor with a larger disk, or give the flavor a larger boot_volume_gib in " +
        `${path.join(dir, "clouds", "example-cloud.yaml")}`,
    ]);
  });

  test("checks a flavor with a boot volume against the volume's size", () => {
    const dir = copyExampleConfig();
    smallDiskWorker(dir, "    disk_gib: 0\n    boot_volume_gib: 10\n");
    const evaluation = loadConfig(dir).deployments.find((deployment) => deployment.name === "evaluation")!;
    expect(evaluation.cloud.config.flavors.tiny).toMatchObject({ disk_gib: 0, boot_volume_gib: 10 });
    editConfig(dir, "clouds/example-cloud.yaml", "    boot_volume_gib: 10\n", "    boot_volume_gib: 6\n");
    expect(problemsOf(dir)).toEqual([expect.stringContaining("ingestion.workers.flavor: the root disk is too small: ingestion servers need 7 GiB")]);
    expect(problemsOf(dir)[0]).toContain("flavor tiny (m1.tiny) has its boot volume (boot_volume_gib) of 6 GiB");
  });

  test("fails a flavor without a root disk and without a boot volume", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "clouds/example-cloud.yaml", "    disk_gib: 40\n", "    disk_gib: 0\n");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "clouds/example-cloud.yaml", "disk_gib: 0", 15)}: flavors.general-2x4.disk_gib: got 0; a flavor without a root disk needs boot_volume_gib too: ` +
        "its servers boot from a Cinder volume of that size (Nova refuses to boot such a flavor from an image)",
    ]);
  });

  test("reads an image given by its name alone as Ubuntu 24.04, and refuses a distribution it does not support", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "clouds/example-cloud.yaml", "  ubuntu-noble: { name: Ubuntu 24.04 Noble Numbat, distribution: ubuntu-24.04 }\n", "  ubuntu-noble: Ubuntu 24.04 Noble Numbat\n");
    expect(loadConfig(dir).deployments[0].cloud.config.images["ubuntu-noble"]).toEqual({ name: "Ubuntu 24.04 Noble Numbat", distribution: "ubuntu-24.04" });
    editConfig(dir, "clouds/example-cloud.yaml", "distribution: debian-13 }", "distribution: debian-12 }");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "clouds/example-cloud.yaml", "debian-12", 58)}: images.debian-trixie.distribution: got "debian-12"; expected "ubuntu-24.04" or "debian-13"`,
    ]);
  });

  test.each([
    ["missing", (dir: string) => fs.rmSync(path.join(dir, "queries"), { recursive: true }), "missing folder"],
    ["empty", (dir: string) => {
      for (const file of fs.readdirSync(path.join(dir, "queries"))) fs.rmSync(path.join(dir, "queries", file));
    }, "no query file"],
  ])("fails a %s queries/ folder, naming the deployments whose bot would classify nothing", (_label, breakQueries, what) => {
    const dir = copyExampleConfig();
    breakQueries(dir);
    expect(problemsOf(dir)).toEqual([
      `queries: ${what}: the recheck bot of evaluation, production, staging would classify nothing; ` +
        "add queries/<bug number>.yaml files (see README: Bug queries), or set recheck.allow_no_queries: true in the deployment",
    ]);
    for (const file of fs.readdirSync(path.join(dir, "deployments"))) {
      editConfig(dir, `deployments/${file}`, /^recheck:\n/m, "recheck:\n  allow_no_queries: true\n");
    }
    expect(loadConfig(dir).queries).toEqual([]);
  });

  test("fails on a config folder that does not exist", () => {
    expect(problemsOf("/nonexistent/config")).toEqual([
      "/nonexistent/config: config folder not found; set CONFIG_DIR to a folder holding clouds/ and deployments/",
    ]);
  });

  test("reports every problem of every file at once, in file and line order", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "clouds/example-cloud.yaml", "mode: tenant", "mode: tenat");
    editConfig(dir, "deployments/production.yaml", "count: 6\n", "count: -1\n");
    editConfig(dir, "deployments/production.yaml", "volume_gib: 1024", "volume_gib: big");
    expect(problemsOf(dir)).toEqual([
      expect.stringMatching(/^clouds\/example-cloud\.yaml:37:9: network\.mode/),
      `${at(dir, "deployments/production.yaml", "count: -1", 12)}: search.data_nodes.count: got -1; expected at least 1`,
      `${at(dir, "deployments/production.yaml", "volume_gib: big", 17)}: search.data_nodes.volume_gib: got "big"; expected number`,
    ]);
  });
});

describe("loadConfig, search rules", () => {
  test("fails an undersized cluster, with the figures and the settings to change", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "daily_ingest_gib: 150", "daily_ingest_gib: 400");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/production.yaml", "daily_ingest_gib: 400", 21)}: search.daily_ingest_gib: the data volumes are too small: ` +
        "the cluster needs 12000 GiB (400 GiB/day × 15 days × 2 copies), has 5222.4 GiB (6 × 1024 GiB at 85% watermark); " +
        "raise search.data_nodes.volume_gib or count, or lower retention_days or replicas",
    ]);
  });

  test("fails data nodes that cannot index the day's documents, with the figures and the settings to change", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/evaluation.yaml", "daily_ingest_gib: 10", "daily_ingest_gib: 500");
    editConfig(dir, "deployments/evaluation.yaml", "volume_gib: 200", "volume_gib: 10000");
    const rate = Math.round((500 * 2 ** 30) / BYTES_PER_DOCUMENT / 86_400).toLocaleString("en-US");
    const budget = Math.round(4 * DOCUMENTS_PER_SECOND_PER_VCPU * INDEXING_SHARE).toLocaleString("en-US");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/evaluation.yaml", "daily_ingest_gib: 500", 21)}: search.daily_ingest_gib: the data nodes cannot index that much: ` +
        `the cluster indexes ${rate} documents/s (500 GiB/day at ${BYTES_PER_DOCUMENT} bytes a document), ${rate}/s per data node with 1 copies, ` +
        `of ${budget}/s it may spend (4 vCPUs × ${DOCUMENTS_PER_SECOND_PER_VCPU}/s × ${INDEXING_SHARE}); raise search.data_nodes.count or give them a flavor with more vCPUs`,
    ]);
  });

  test("fails more replicas than the other data nodes can hold", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "replicas: 1", "replicas: 3");
    editConfig(dir, "deployments/production.yaml", "count: 6", "count: 3");
    editConfig(dir, "deployments/production.yaml", "daily_ingest_gib: 150", "daily_ingest_gib: 10");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/production.yaml", "replicas: 3", 13)}: search.replicas: got 3 with 3 data node(s); expected at most 2, since a replica never shares a node with its primary`,
    ]);
  });

  test("fails a version of another major release than the engine supports", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "engine: opensearch", "engine: opensearch\n  version: 8.19.14");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/production.yaml", "version: 8.19.14", 12)}: search.version: got "8.19.14"; expected a release of opensearch 2.x or 3.x`,
    ]);
  });

  test.each([
    ["staging", "elasticsearch", "10.0.0", "8.x or 9.x"],
    ["production", "opensearch", "4.0.0", "2.x or 3.x"],
  ])("fails a release line whose signing key the project does not know, at its line (%s: %s %s)", (deployment, engine, version, known) => {
    const dir = copyExampleConfig();
    editConfig(dir, `deployments/${deployment}.yaml`, `engine: ${engine}`, `engine: ${engine}\n  version: ${version}`);
    expect(problemsOf(dir)).toEqual([
      `${at(dir, `deployments/${deployment}.yaml`, `version: ${version}`, 12)}: search.version: got "${version}"; expected a release of ${engine} ${known}`,
    ]);
  });

  test("fails an engine version that is not a full release number, at its line", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "engine: opensearch", "engine: opensearch\n  version: \"3.8\"");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/production.yaml", 'version: "3.8"', 12)}: search.version: got "3.8"; expected a full release number such as 3.8.0`,
    ]);
  });

  test("fails a DNS name without a Let's Encrypt contact", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "  flavor: general-2x4", "  flavor: general-2x4\n  dns_name: logs.example.org");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/production.yaml", "dns_name:", 13)}: frontend.dns_name: expected frontend.acme_email too: Let's Encrypt needs a contact for the certificate of dns_name`,
    ]);
  });
});

describe("loadConfig, public TLS of the recheck dashboard", () => {
  const readersSee = "every Gerrit comment would link the dashboard on a bare address with a self-signed certificate, which every reader's browser warns about; " +
    "set recheck.dns_name and recheck.acme_email (Let's Encrypt), or recheck.gerrit.comment: false";

  test("fails Gerrit comments without a DNS name, at the comment setting", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "    comment: false", "    comment: true");
    expect(problemsOf(dir)).toEqual([`${at(dir, "deployments/production.yaml", "comment: true", 14)}: recheck.gerrit.comment: true, without recheck.dns_name: ${readersSee}`]);
  });

  test("fails comments left on by default without a DNS name, at the gerrit section", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", /\n *comment: false/, "");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/production.yaml", "host: review.opendev.org", 5)}: recheck.gerrit: comment is on by default, without recheck.dns_name: ${readersSee}`,
    ]);
  });

  test("accepts comments with a DNS name and a Let's Encrypt contact", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "    comment: false", "    comment: true");
    editConfig(dir, "deployments/production.yaml", "\nrecheck:\n", "\nrecheck:\n  dns_name: recheck.example.org\n  acme_email: infra@example.org\n");
    expect(() => loadConfig(dir)).not.toThrow();
  });
});

describe("loadConfig, the dashboards' saved objects", () => {
  test("loads each UI's export from dashboards/", () => {
    const config = loadConfig(exampleConfigDir);
    expect(Object.keys(config.savedObjects).sort()).toEqual(["kibana", "opensearch-dashboards"]);
  });

  test("fails a broken export at its line, and starts a UI without its file empty", () => {
    const dir = copyExampleConfig();
    const file = path.join(dir, "dashboards", "opensearch-dashboards.ndjson");
    const lines = fs.readFileSync(file, "utf8").split("\n");
    lines[2] = lines[2].replace('"savedSearchRefName":"search_0"', '"savedSearchRefName":"search_9"');
    fs.writeFileSync(file, lines.join("\n"));
    fs.rmSync(path.join(dir, "dashboards", "kibana.ndjson"));
    expect(problemsOf(dir)).toEqual(["dashboards/opensearch-dashboards.ndjson:3:1: references: the attributes use reference search_9, which the object does not have"]);
  });
});

describe("loadConfig, ingestion rules", () => {
  test("fails more workers than shards, at the worker count", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "    count: 8\n", "    count: 9\n");
    expect(problemsOf(dir)).toEqual([
      expect.stringMatching(new RegExp(`^${at(dir, "deployments/production.yaml", "count: 9", 12)}: ingestion\\.workers\\.count: 9 workers for 8 shard\\(s\\)`)),
    ]);
  });

  test("fails more shards than workers, at the source", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "shards: 7", "shards: 9");
    expect(problemsOf(dir)).toEqual([
      expect.stringMatching(new RegExp(`^${at(dir, "deployments/production.yaml", "- name: openstack", 7)}: ingestion\\.sources\\[0\\]: shards: got 9 for 8 worker\\(s\\)`)),
    ]);
  });

  test("fails two sources with the same name", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "- name: opendev", "- name: openstack");
    expect(problemsOf(dir).join("\n")).toMatch(/ingestion\.sources\[1\]: duplicates the name of sources\[0\]; names must be unique/);
  });

  test("fails a Zuul URL that is not a tenant API", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "zuul_api_url: https://zuul.opendev.org/api/tenant/opendev", "zuul_api_url: https://zuul.opendev.org/t/opendev");
    expect(problemsOf(dir).join("\n")).toMatch(/ingestion\.sources\[1\]: zuul_api_url "https:\/\/zuul\.opendev\.org\/t\/opendev" is not of the form https:\/\/<host>\/api\/tenant\/<tenant>/);
  });

  /** The sources of the production config before the split by build uuid: one source per job family of the openstack tenant. */
  const JOB_FAMILY_SOURCES = `  sources:
    - name: tempest
      zuul_api_url: https://zuul.opendev.org/api/tenant/openstack
      tenant: openstack
      job_filter: "^tempest-"
    - name: openstack-rest
      zuul_api_url: https://zuul.opendev.org/api/tenant/openstack
      tenant: openstack
    - name: opendev
      zuul_api_url: https://zuul.opendev.org/api/tenant/opendev
      tenant: opendev
  scratch_gib: 40
  git_commit: 510723f6fe54dee2b6e7a1da35a36a42071fbeac
`;

  test("fails a config written for the split by job name at each line that must change, saying what to write instead", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", / {2}sources:\n(?: {4}.*\n)+/, JOB_FAMILY_SOURCES);
    editConfig(dir, "deployments/production.yaml", "    count: 8\n", "    count: 3\n");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/production.yaml", "job_filter:", 19)}: ingestion.sources[0].job_filter: got "^tempest-"; is retired: each tenant is listed once and its builds are split between workers by a hash of the build uuid, never by job name; list the tenant once, with shards: <number of workers> to share it`,
      `${at(dir, "deployments/production.yaml", "scratch_gib:", 16)}: ingestion.scratch_gib: got 40; is retired: the workers stream each file from the log server straight into the cluster and keep nothing on disk; remove the setting`,
      `${at(dir, "deployments/production.yaml", "git_commit: 510723f", 15)}: ingestion.git_commit: got "510723f6fe54dee2b6e7a1da35a36a42071fbeac"; is retired: the workers run this repository's own ingestion service (services/ingestion), built at synth; remove the setting`,
    ]);
  });

  test("with the retired settings removed, fails the same tenant listed twice, at the second source", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", / {2}sources:\n(?: {4}.*\n)+/, JOB_FAMILY_SOURCES.replace(/ *(job_filter|scratch_gib|git_commit):.*\n/g, ""));
    editConfig(dir, "deployments/production.yaml", "    count: 8\n", "    count: 3\n");
    expect(problemsOf(dir)).toEqual([
      `${at(dir, "deployments/production.yaml", "- name: openstack-rest", 7)}: ingestion.sources[1]: lists the tenant of sources[0] "tempest" again; list each tenant once, and give it shards: <workers> to share its builds between several workers`,
    ]);
  });
});

describe("loadConfig, recheck rules", () => {
  test("fails a jobs_re that is not a regular expression", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", 'jobs_re: "(devstack|tempest|grenade)"', 'jobs_re: "(devstack"');
    expect(problemsOf(dir)).toEqual([
      expect.stringMatching(new RegExp(`^${at(dir, "deployments/production.yaml", "jobs_re:", 12)}: recheck\\.jobs_re: got "\\(devstack"; expected a regular expression`)),
    ]);
  });

  test("fails a Gerrit host key that is not a public key line", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", /host_key: .*/, "host_key: not-a-key");
    expect(problemsOf(dir)[0]).toMatch(/recheck\.gerrit\.host_key: got "not-a-key"; expected an OpenSSH public key line/);
  });

  test("fails the retired git_commit, naming the setting and what to do", () => {
    const dir = copyExampleConfig();
    editConfig(dir, "deployments/production.yaml", "  jobs_re:", "  git_commit: 6fc19ee5b9f4ed6fdadb5942ddc87362237e8b05\n  jobs_re:");
    expect(problemsOf(dir)).toEqual([
      expect.stringMatching(/production\.yaml:\d+:\d+: recheck\.git_commit: got "6fc19ee5b9f4ed6fdadb5942ddc87362237e8b05"; is retired: the recheck service is now this repository's own \(services\/recheck\), built at synth; remove the setting$/),
    ]);
  });
});
