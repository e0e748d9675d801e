/**
 * A throw-away git repository for end-to-end tests of `npm run review`: a copy of this working
 * tree's files (tracked, and untracked but not ignored), with only the deployments a test names,
 * committed once. Tests edit its files, commit or not, and run scripts/review.ts there as a
 * reviewer would. Each review gets a private temporary folder (TMPDIR), so a test can check that
 * nothing is left behind without looking at the rest of the machine.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { repoRoot } from "./config-fixture";

const tsxCli = path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs");
const reviewScript = path.join(repoRoot, "scripts", "review.ts");

export interface ReviewRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** What the review left in its temporary folder (the transpiler's cache aside). */
  readonly leftovers: readonly string[];
}

export class ReviewRepo {
  /** The repository's working tree. */
  readonly dir: string;
  private readonly root: string;
  private readonly tmp: string;
  private readonly initialCommit: string;

  /** @param deployments the deployment files kept (names without `.yaml`) */
  constructor(deployments: readonly string[]) {
    this.root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "review-e2e-")));
    this.dir = path.join(this.root, "repo");
    this.tmp = path.join(this.root, "tmp");
    fs.mkdirSync(this.tmp);
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: repoRoot })
      .toString()
      .split("\0")
      .filter((file) => file !== "" && fs.existsSync(path.join(repoRoot, file)));
    for (const file of files) {
      fs.mkdirSync(path.dirname(path.join(this.dir, file)), { recursive: true });
      fs.cpSync(path.join(repoRoot, file), path.join(this.dir, file), { verbatimSymlinks: true });
    }
    // Fewer deployments synthesize faster.
    for (const file of fs.readdirSync(path.join(this.dir, "config", "deployments"))) {
      if (!deployments.includes(file.replace(/\.yaml$/, ""))) fs.rmSync(path.join(this.dir, "config", "deployments", file));
    }
    fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(this.dir, "node_modules"), "dir");
    fs.cpSync(path.join(repoRoot, ".gen"), path.join(this.dir, ".gen"), { recursive: true });
    this.git("init", "-q");
    fs.appendFileSync(path.join(this.dir, ".git", "info", "exclude"), "node_modules\n.gen\n");
    this.git("add", "-A");
    this.git("commit", "-q", "-m", "base");
    this.initialCommit = this.git("rev-parse", "HEAD");
  }

  git(...args: string[]): string {
    return execFileSync("git", ["-c", "user.name=Review Test", "-c", "user.email=review@example.org", "-c", "commit.gpgsign=false", ...args], {
      cwd: this.dir,
      encoding: "utf8",
    }).trim();
  }

  /** Back to the first commit, with a clean working tree. */
  reset(): void {
    this.git("reset", "-q", "--hard", this.initialCommit);
    this.git("clean", "-q", "-fd");
  }

  review(...args: string[]): ReviewRun {
    const result = spawnSync(process.execPath, [tsxCli, reviewScript, ...args], {
      cwd: this.dir,
      encoding: "utf8",
      env: { ...process.env, TMPDIR: this.tmp },
    });
    const leftovers = fs.readdirSync(this.tmp).filter((name) => !name.startsWith("tsx-"));
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, leftovers };
  }

  /** A deployment file's path: `config/deployments/<name>.yaml`. */
  deploymentFile(name: string): string {
    return path.join(this.dir, "config", "deployments", `${name}.yaml`);
  }

  /** Edits a YAML file in place, keeping its comments. */
  editYaml(file: string, edit: (document: ReturnType<typeof parseDocument>) => void): void {
    const document = parseDocument(fs.readFileSync(file, "utf8"));
    edit(document);
    fs.writeFileSync(file, document.toString());
  }

  /** Replaces text in a file of the repository; fails when `from` is not there, so a test cannot silently test nothing. */
  editFile(file: string, from: string, to: string): void {
    const full = path.join(this.dir, file);
    const text = fs.readFileSync(full, "utf8");
    if (!text.includes(from)) throw new Error(`${from} not found in ${file}`);
    fs.writeFileSync(full, text.split(from).join(to));
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
