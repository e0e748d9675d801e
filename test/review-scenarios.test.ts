/**
 * `npm run review` on changes whose danger hides behind references, lifecycle settings, moves,
 * stack names or timing: each test edits the code or config of a throw-away git repository
 * (test/support/review-repo.ts) and reads the report a reviewer would get.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ReviewRepo } from "./support/review-repo";

const E2E_TIMEOUT_MS = 60_000;

let repo: ReviewRepo;

beforeAll(() => {
  repo = new ReviewRepo(["production"]);
});

beforeEach(() => repo.reset());

afterAll(() => repo?.remove());

/** The risk lines of a report with a rule's wording, e.g. every blocking search node. */
function riskLines(report: string, pattern: RegExp): string[] {
  return report.split("\n").filter((line) => line.startsWith("- **") && pattern.test(line));
}

test("renaming the key pair replaces every server, detaches the data volumes and re-points floating IPs: blocking", () => {
  repo.editFile("stacks/deployment-stack.ts", "name: `${name}-admin`,", "name: `${name}-admins`,");
  repo.editFile("constructs/security-group.ts", "      name: props.name,\n", "      name: `${props.name}-sg`,\n");
  const result = repo.review("--base", "HEAD");
  expect(result.stderr).toBe("");
  expect(result.status).toBe(1);
  const report = result.stdout;
  // The key pair, 20 servers and 7 volume attachments replaced; 6 security groups renamed in place, 2 floating IPs re-associated.
  expect(report).toContain("## Stack `production`: 16 blocking risks, 0 warnings; 0 added, 0 removed, 28 replaced, 8 changed");
  expect(riskLines(report, /search node production-search-(data|master)-\d \(search-(data|master)\) is replaced .* because key_pair refers to openstack_compute_keypair_v2\.admin-key-pair\.name, whose value changes/)).toHaveLength(9);
  expect(riskLines(report, /\*\*BLOCKING\*\* `openstack_compute_volume_attach_v2\.[^`]+` .*: the volume attachment is replaced .* the data volume is detached from its server/)).toHaveLength(7);
  expect(riskLines(report, /the data volume is detached from its server while it runs and attached again; search node production-search-data-\d \(search-data\) loses its data disk, with its shards\.$/)).toHaveLength(6);
  expect(riskLines(report, /; monitoring server production-monitoring-1 \(monitoring\) loses its data disk, with the metrics history and Alertmanager's silences\.$/)).toHaveLength(1);
  expect(report).toContain(
    '| `key_pair` | same expression, its value: `"production-admin"` → `"production-admins"` | forces replacement: refers to openstack_compute_keypair_v2.admin-key-pair.name, whose value changes |',
  );
  // The front end's security group is referred to by name: its server follows the new name in place (and is replaced anyway).
  expect(report).toContain('| `security_groups` | same expression, its value: `"production-frontend"` → `"production-frontend-sg"` |');
  // The floating IP association reads the replaced server's port: the whole reference path is followed.
  expect(report).toMatch(
    /\| `port_id` \| same expression, known after apply \| refers to openstack_compute_instance_v2\.frontend_servers_server-1_instance_07958347\.network\[0\]\.port, which is replaced: known only after apply \|/,
  );
}, E2E_TIMEOUT_MS);

test("one change that narrows ignore_changes, drops create_before_destroy and resizes every data node: each risk spelled out", () => {
  repo.editFile(
    "constructs/server.ts",
    'lifecycle: stateful ? { ignoreChanges: ["user_data", "image_id", ...(props.bootVolumeSizeGiB === undefined ? [] : ["block_device"])] } : { createBeforeDestroy: true },',
    'lifecycle: stateful ? { ignoreChanges: ["image_id", ...(props.bootVolumeSizeGiB === undefined ? [] : ["block_device"])] } : {},',
  );
  repo.editFile("config/clouds/example-cloud.yaml", "flavors:\n", "flavors:\n  search-data-v2:\n    name: m2.xlarge-highmem\n    vcpus: 16\n    ram_gib: 64\n    disk_gib: 160\n");
  repo.editYaml(repo.deploymentFile("production"), (document) => document.setIn(["search", "data_nodes", "flavor"], "search-data-v2"));
  const result = repo.review("--base", "HEAD");
  expect(result.stderr).toBe("");
  expect(result.status).toBe(1);
  const report = result.stdout;
  const narrowed = riskLines(report, /lifecycle\.ignore_changes no longer covers user_data/);
  expect(narrowed).toEqual([
    expect.stringMatching(/^- \*\*BLOCKING\*\* .*on 6 search-data servers \(production-search-data-1, .*production-search-data-6\): .*user_data forces replacement\. Every one whose user_data changed since it was created .* is replaced by the next plan, all at the same time; keep it ignored and roll changes out one node at a time with npm run replace-server\.$/),
    expect.stringMatching(/^- \*\*BLOCKING\*\* .*on 3 search-master servers/),
    expect.stringMatching(/^- \*\*warning\*\* .*on monitoring server \(production-monitoring-1\)/),
  ]);
  expect(riskLines(report, /^- \*\*warning\*\* .*lifecycle\.create_before_destroy is removed from production-ingestion-1, .*the service is down in between/)).toHaveLength(1);
  // The table no longer calls these changes harmless.
  expect(report).not.toContain("meta-argument (plans nothing by itself)");
  expect(report).toMatch(/\| `lifecycle\.ignore_changes` \| `\["user_data","image_id"\]` → `\["image_id"\]` \| no longer ignores user_data: the plan compares/);
  // The resize of all data nodes at once, with the one-at-a-time alternative.
  expect(riskLines(report, /search nodes are changed in place/)).toEqual([
    "- **warning** `openstack_compute_instance_v2.search_data_server-1_instance_A5A4BB65` (production/search/data/server-1/instance): " +
      "6 search nodes are changed in place in the same apply (production-search-data-1, production-search-data-2, production-search-data-3, " +
      "production-search-data-4, production-search-data-5, production-search-data-6): flavor_name: resizes the server (it reboots); replaced " +
      "instead if its current flavor no longer exists. Terraform updates them in parallel, so they are down together: shards without a live " +
      "copy go red. One node at a time instead: terraform -chdir=cdktf.out/stacks/<stack> apply -target=<address> for each node in turn, " +
      "waiting for a green cluster in between, then the full apply.",
  ]);
}, E2E_TIMEOUT_MS);

test("a renamed data volume construct: the review suggests moveFromId, and with it the plan only moves", () => {
  repo.editFile("constructs/server.ts", 'new BlockstorageVolumeV3(this, "data-volume", {', 'new BlockstorageVolumeV3(this, "volume", {');
  repo.git("commit", "-q", "-a", "-m", "rename the data volume construct");
  const renamed = repo.review("--base", "HEAD~1");
  expect(renamed.stderr).toBe("");
  expect(renamed.status).toBe(1);
  expect(riskLines(renamed.stdout, /\*\*BLOCKING\*\* `openstack_blockstorage_volume_v3\.[^`]+` .* is destroyed: its data is lost\. Its lifecycle\.prevent_destroy does not stop this/)).toHaveLength(7);
  const suggestions = [...renamed.stdout.matchAll(
    /^- \*\*warning\*\* `(openstack_blockstorage_volume_v3\.[^`]+)` \(([^)]+)\): .* is removed and \1 added with the same configuration: .*`\.moveFromId\("(openstack_blockstorage_volume_v3\.[^"]+)"\)`/gm,
  )];
  expect(suggestions).toHaveLength(7);

  // Follow the suggestion, as a developer would: each new volume names the address it moves from.
  const movedFrom = Object.fromEntries(suggestions.map(([, , constructPath, from]) => [constructPath, from]));
  repo.editFile(
    "constructs/server.ts",
    "    cloudConfig.addFile({\n      path: `${NODE_CONFIG_DIR}/data-volume.env`,",
    `    volume.moveFromId((${JSON.stringify(movedFrom)} as Record<string, string>)[volume.node.path]);\n` +
      "    cloudConfig.addFile({\n      path: `${NODE_CONFIG_DIR}/data-volume.env`,",
  );
  repo.git("commit", "-q", "-a", "-m", "move the data volumes");
  const moved = repo.review("--base", "HEAD~2");
  expect(moved.stderr).toBe("");
  expect(moved.status).toBe(0);
  expect(moved.stdout).toContain("## Stack `production`: 0 blocking risks, 0 warnings; 0 added, 0 removed, 0 replaced, 0 changed, 7 moved");
  for (const [, to, constructPath, from] of suggestions) expect(moved.stdout).toContain(`| \`${to}\`<br>${constructPath} | \`${from}\` |`);
}, E2E_TIMEOUT_MS);

test("renaming a deployment starts an empty stack beside the old one, which keeps running and using the quota", () => {
  const deployments = path.join(repo.dir, "config", "deployments");
  fs.renameSync(path.join(deployments, "production.yaml"), path.join(deployments, "prod.yaml"));
  const result = repo.review("--base", "HEAD");
  expect(result.stderr).toBe("");
  expect(result.status).toBe(1);
  const report = result.stdout;
  expect(report).toMatch(
    /^- \*\*BLOCKING\*\* `stack production`: stack production is no longer synthesized: cdktf deploy does not touch it, so its \d+ resources \(7 data volumes, 6194 GiB; 9 search nodes\) keep running and its state \(s3 backend, production\.tfstate\) stays, still counting against cloud example-cloud's quota\. .* This change adds `prod` on the same cloud: if it is a rename, the new stack does not inherit this state .* it starts empty/m,
  );
  expect(report).toMatch(/^- \*\*warning\*\* `stack prod`: stack prod starts from an empty state \(s3 backend, prod\.tfstate\): all its \d+ resources \(7 data volumes, 6194 GiB; 9 search nodes\) are created new, while production, removed by this change, keeps running beside it\.$/m);
  expect(report).toContain("- **BLOCKING** `quota.instances`: the deployments on cloud example-cloud and production (left running) need 40 instances together, the donated quota is 30.");
  expect(report).toContain("| item | this stack | all deployments on the cloud | left running by `production` | together | quota |");
  expect(report).toContain("| instances | 20 | 20 | 20 | 40 | 30 |");
}, E2E_TIMEOUT_MS);
