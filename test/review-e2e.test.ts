/**
 * `npm run review` end to end, on real git histories: a temporary repository holds a copy of
 * this working tree's files (tracked, and untracked but not ignored), committed; each test edits
 * its config and runs scripts/review.ts there, as a reviewer would. Each run synthesizes twice
 * (about 1 s each).
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { repoRoot } from "./support/config-fixture";

const E2E_TIMEOUT_MS = 60_000;
const tsxCli = path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs");
const reviewScript = path.join(repoRoot, "scripts", "review.ts");

let repo: string;
let initialCommit: string;
/** The review's TMPDIR: a private folder, so that what it leaves behind is seen apart from other programs' files. */
let reviewTmp: string;

function git(...args: string[]): string {
  return execFileSync("git", ["-c", "user.name=Review Test", "-c", "user.email=review@example.org", "-c", "commit.gpgsign=false", ...args], {
    cwd: repo,
    encoding: "utf8",
  }).trim();
}

function review(...args: string[]) {
  return spawnSync(process.execPath, [tsxCli, reviewScript, ...args], { cwd: repo, env: { ...process.env, TMPDIR: reviewTmp }, encoding: "utf8" });
}

/** The deployment file the tests edit: production.yaml, or the first deployment. */
function deploymentFile(): string {
  const dir = path.join(repo, "config", "deployments");
  const files = fs.readdirSync(dir).filter((file) => file.endsWith(".yaml")).sort();
  return path.join(dir, files.includes("production.yaml") ? "production.yaml" : files[0]);
}

/** Edits a YAML file in place, keeping its comments. */
function editYaml(file: string, edit: (document: ReturnType<typeof parseDocument>) => void): void {
  const document = parseDocument(fs.readFileSync(file, "utf8"));
  edit(document);
  fs.writeFileSync(file, document.toString());
}

function reviewTempDirs(): string[] {
  return fs.readdirSync(reviewTmp);
}

beforeAll(() => {
  repo = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "review-e2e-repo-")));
  reviewTmp = fs.mkdtempSync(path.join(os.tmpdir(), "review-e2e-tmp-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repoRoot })
    .toString()
    .split("\0")
    .filter((file) => file !== "" && fs.existsSync(path.join(repoRoot, file)));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.cpSync(path.join(repoRoot, file), path.join(repo, file), { verbatimSymlinks: true });
  }
  // One deployment is enough to review, and each synth is then twice as fast.
  for (const file of fs.readdirSync(path.join(repo, "config", "deployments"))) {
    if (file !== "production.yaml") fs.rmSync(path.join(repo, "config", "deployments", file));
  }
  fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(repo, "node_modules"), "dir");
  fs.cpSync(path.join(repoRoot, ".gen"), path.join(repo, ".gen"), { recursive: true });
  git("init", "-q");
  fs.appendFileSync(path.join(repo, ".git", "info", "exclude"), "node_modules\n.gen\n");
  git("add", "-A");
  git("commit", "-q", "-m", "base");
  initialCommit = git("rev-parse", "HEAD");
});

beforeEach(() => {
  git("reset", "-q", "--hard", initialCommit);
});

afterAll(() => {
  if (repo) fs.rmSync(repo, { recursive: true, force: true });
  if (reviewTmp) fs.rmSync(reviewTmp, { recursive: true, force: true });
});

test("removing a search data node destroys its data volume: blocking, exit 1", () => {
  editYaml(deploymentFile(), (document) => {
    const count = Number(document.getIn(["search", "data_nodes", "count"]));
    expect(count).toBeGreaterThan(1);
    document.setIn(["search", "data_nodes", "count"], count - 1);
    document.setIn(["search", "daily_ingest_gib"], 1); // keeps the capacity check satisfied with one node less
  });
  const result = review("--base", "HEAD");
  expect(result.stderr).toBe("");
  expect(result.status).toBe(1);
  expect(result.stdout).toMatch(/^# Review of the working tree against `HEAD` \([0-9a-f]{10}\)\n/);
  expect(result.stdout).toMatch(/- \*\*BLOCKING\*\* `openstack_blockstorage_volume_v3\.search_data_[^`]+` \([^)]+\): data volume \S+ \(\d+ GiB\) is destroyed: its data is lost/);
  expect(result.stdout).toMatch(/\*\*BLOCKING\*\* `openstack_compute_instance_v2\.[^`]+` \([^)]+\): search node \S+ \(search-data\) is destroyed/);
  expect(result.stdout.indexOf("### Risks")).toBeLessThan(result.stdout.indexOf("### Removed"));
}, E2E_TIMEOUT_MS);

test("changing the front end's flavor is a harmless in-place change: exit 0", () => {
  const file = deploymentFile();
  const cloud = String(parseDocument(fs.readFileSync(file, "utf8")).get("cloud"));
  const flavors = parseDocument(fs.readFileSync(path.join(repo, "config", "clouds", `${cloud}.yaml`), "utf8")).toJS().flavors as Record<
    string,
    { name: string }
  >;
  let from = "";
  let to = "";
  editYaml(file, (document) => {
    from = String(document.getIn(["frontend", "flavor"]));
    to = Object.keys(flavors).find((alias) => alias !== from && flavors[alias].name !== flavors[from].name)!;
    document.setIn(["frontend", "flavor"], to);
  });
  const result = review("--base", "HEAD");
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  expect(result.stdout).not.toContain("BLOCKING");
  expect(result.stdout).toContain("### Changed in place (1)");
  expect(result.stdout).toContain(
    `| \`flavor_name\` | \`"${flavors[from].name}"\` → \`"${flavors[to].name}"\` | resizes the server (it reboots)`,
  );
}, E2E_TIMEOUT_MS);

test("a commit opening SSH to 0.0.0.0/0 on the front end is blocking, reviewed against HEAD~1", () => {
  editYaml(deploymentFile(), (document) => document.setIn(["frontend", "extra_public_ports"], [22]));
  git("commit", "-q", "-a", "-m", "open ssh");
  const before = reviewTempDirs();
  const result = review("--base", "HEAD~1");
  expect(result.stderr).toBe("");
  expect(result.status).toBe(1);
  expect(result.stdout).toMatch(/\*\*BLOCKING\*\* `openstack_networking_secgroup_rule_v2\.[^`]+` \([^)]+\): security group \S+-frontend accepts tcp port 22 from 0\.0\.0\.0\/0/);
  expect(result.stdout).toContain("| ingress tcp port 22 from 0.0.0.0/0 |");
  // Nothing left behind: no temporary tree, no cdktf.out in the repository.
  expect(reviewTempDirs().filter((name) => !before.includes(name))).toEqual([]);
  expect(fs.existsSync(path.join(repo, "cdktf.out"))).toBe(false);
}, E2E_TIMEOUT_MS);

test("a side that fails to synthesize ends with exit 2 and the synth's message, without a stack trace", () => {
  editYaml(deploymentFile(), (document) => document.setIn(["frontend", "flavor"], "no-such-flavor"));
  const before = reviewTempDirs();
  const result = review("--base", "HEAD");
  expect(result.status).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(/^review: Synthesis of the working tree failed:\nConfiguration has \d+ problem\(s\); nothing was written:\n/);
  expect(result.stderr).toContain("no-such-flavor");
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(reviewTempDirs().filter((name) => !before.includes(name))).toEqual([]);
}, E2E_TIMEOUT_MS);

test("fails with exit 2 and a pointer to the usage without --base, or with an unknown ref", () => {
  const missing = review();
  expect(missing.status).toBe(2);
  expect(missing.stderr).toBe("review: --base is required\nRun `npm run review -- --help` for usage.\n");
  const unknown = review("--base", "no-such-ref");
  expect(unknown.status).toBe(2);
  expect(unknown.stderr).toMatch(/^review: --base no-such-ref: no such commit in /);
}, E2E_TIMEOUT_MS);
