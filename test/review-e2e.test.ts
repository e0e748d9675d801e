/**
 * `npm run review` end to end, on real git histories: a temporary repository holds a copy of
 * this working tree's files, committed (test/support/review-repo.ts); each test edits its config
 * and runs scripts/review.ts there, as a reviewer would. Each run synthesizes both sides at the
 * same time (about 1 s each).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { OFFLINE_LIMITS } from "../lib/review/report";
import { ReviewRepo } from "./support/review-repo";

const E2E_TIMEOUT_MS = 60_000;

let repo: ReviewRepo;
const review = (...args: string[]) => repo.review(...args);
const deploymentFile = () => repo.deploymentFile("production");

beforeAll(() => {
  // One deployment is enough to review, and each synth is then twice as fast.
  repo = new ReviewRepo(["production"]);
});

beforeEach(() => repo.reset());

afterAll(() => repo?.remove());

test("removing a search data node destroys its data volume, prevent_destroy notwithstanding: blocking, exit 1", () => {
  repo.editYaml(deploymentFile(), (document) => {
    const count = Number(document.getIn(["search", "data_nodes", "count"]));
    expect(count).toBeGreaterThan(1);
    document.setIn(["search", "data_nodes", "count"], count - 1);
    document.setIn(["search", "daily_ingest_gib"], 1); // keeps the capacity check satisfied with one node less
  });
  const result = review("--base", "HEAD");
  expect(result.stderr).toBe("");
  expect(result.status).toBe(1);
  expect(result.stdout).toMatch(/^# Review of the working tree against `HEAD` \([0-9a-f]{10}\)\n/);
  expect(result.stdout).toMatch(
    /- \*\*BLOCKING\*\* `openstack_blockstorage_volume_v3\.search_data_[^`]+` \([^)]+\): data volume \S+ \(\d+ GiB\) is destroyed: its data is lost\. Its lifecycle\.prevent_destroy does not stop this: the protection goes away with the removed resource block\./,
  );
  // The block went away with the resource: the plan will not refuse.
  expect(result.stdout).not.toContain("will refuse");
  expect(result.stdout).toMatch(/\*\*BLOCKING\*\* `openstack_compute_instance_v2\.[^`]+` \([^)]+\): search node \S+ \(search-data\) is destroyed/);
  expect(result.stdout.indexOf("### Risks")).toBeLessThan(result.stdout.indexOf("### Removed"));
}, E2E_TIMEOUT_MS);

test("changing the front end's flavor is a harmless in-place change: exit 0, the whole report as before plus the review's limits", () => {
  const file = deploymentFile();
  const cloud = String(parseDocument(fs.readFileSync(file, "utf8")).get("cloud"));
  const flavors = parseDocument(fs.readFileSync(path.join(repo.dir, "config", "clouds", `${cloud}.yaml`), "utf8")).toJS().flavors as Record<
    string,
    { name: string }
  >;
  // From the front end's own flavor to the workers' (the monitoring server keeps the front end's old flavor, so no lookup goes).
  const from = String(parseDocument(fs.readFileSync(file, "utf8")).getIn(["frontend", "flavor"]));
  const to = String(parseDocument(fs.readFileSync(file, "utf8")).getIn(["ingestion", "workers", "flavor"]));
  expect(flavors[from].name).not.toBe(flavors[to].name);
  repo.editYaml(file, (document) => document.setIn(["frontend", "flavor"], to));
  const result = review("--base", "HEAD");
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  const commit = repo.git("rev-parse", "--short=10", "HEAD");
  const quotaRows = /\n### Quota of cloud `example-cloud`\n\n\| item \| this stack \| all deployments on the cloud \| quota \|\n\| --- \| --- \| --- \| --- \|\n(\| \w+ \| \d+ \| \d+ \| \d+ \|\n)+\n/;
  expect(result.stdout).toMatch(quotaRows);
  expect(result.stdout.replace(quotaRows, "\n<quota>\n")).toBe(
    [
      `# Review of the working tree against \`HEAD\` (${commit})`,
      "",
      "1 stack compared: 0 blocking risks, 0 warnings.",
      "",
      "## Stack `production`: 0 blocking risks, 0 warnings; 0 added, 0 removed, 0 replaced, 1 changed",
      "",
      "<quota>",
      "### Changed in place (1)",
      "",
      "| resource | attribute | change | effect |",
      "| --- | --- | --- | --- |",
      "| `openstack_compute_instance_v2.frontend_servers_server-1_instance_07958347`<br>production/frontend/servers/server-1/instance | " +
        `\`flavor_name\` | \`"${flavors[from].name}"\` → \`"${flavors[to].name}"\` | resizes the server (it reboots); replaced instead if its current flavor no longer exists |`,
      "",
      OFFLINE_LIMITS,
    ].join("\n"),
  );
}, E2E_TIMEOUT_MS);

test("a commit opening SSH to 0.0.0.0/0 on the front end cannot even be synthesized: exit 2 with the setting named", () => {
  repo.editYaml(deploymentFile(), (document) => document.setIn(["frontend", "extra_public_ports"], [22]));
  repo.git("commit", "-q", "-a", "-m", "open ssh");
  const result = review("--base", "HEAD~1");
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/frontend\.extra_public_ports\[0\]: got 22; reserved for admin SSH, never opened to the world; remove it/);
  // Nothing left behind: no temporary tree, no cdktf.out in the repository.
  expect(result.leftovers).toEqual([]);
  expect(fs.existsSync(path.join(repo.dir, "cdktf.out"))).toBe(false);
}, E2E_TIMEOUT_MS);

test("a side that fails to synthesize ends with exit 2 and the synth's message, without a stack trace", () => {
  repo.editYaml(deploymentFile(), (document) => document.setIn(["frontend", "flavor"], "no-such-flavor"));
  const result = review("--base", "HEAD");
  expect(result.status).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(/^review: Synthesis of the working tree failed:\nConfiguration has \d+ problem\(s\); nothing was written:\n/);
  expect(result.stderr).toContain("no-such-flavor");
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.leftovers).toEqual([]);
}, E2E_TIMEOUT_MS);

test("fails with exit 2 and a pointer to the usage without --base, or with an unknown ref", () => {
  const missing = review();
  expect(missing.status).toBe(2);
  expect(missing.stderr).toBe("review: --base is required\nRun `npm run review -- --help` for usage.\n");
  const unknown = review("--base", "no-such-ref");
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toMatch(/^review: --base no-such-ref: no such commit in /);
}, E2E_TIMEOUT_MS);
