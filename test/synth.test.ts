import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LOCK_FILE } from "../lib/synth";
import { copyExampleConfig, editConfig, exampleConfigDir, repoRoot } from "./support/config-fixture";
import { runScript } from "./support/scripts";
import { runSynth } from "./support/synth";

/** Every file under `dir`, by relative path, with its content: what a run must leave as it was. */
function filesUnder(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const full = path.join(entry.parentPath, entry.name);
      files[path.relative(dir, full)] = fs.readFileSync(full, "utf8");
    }
  }
  return files;
}

/** What `cdktf deploy` leaves in a project: Terraform's working files in the stack folder, the state beside cdktf.out. */
function deployed(project: string, stack: string): Record<string, string> {
  const files = {
    [`cdktf.out/stacks/${stack}/.terraform/terraform.tfstate`]: `{"backend": {"type": "local"}, "stack": "${stack}"}\n`,
    [`cdktf.out/stacks/${stack}/.terraform/providers/registry.terraform.io/hashicorp/random/3.7.2/linux_amd64/marker`]: "provider\n",
    [`cdktf.out/stacks/${stack}/${LOCK_FILE}`]: `# lock of ${stack}\n`,
    [`terraform.${stack}.tfstate`]: `{"version": 4, "serial": 7, "lineage": "${stack}"}\n`,
  };
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
    fs.writeFileSync(path.join(project, file), content);
  }
  return files;
}

describe("npm run synth's output folder", () => {
  let project: string;
  let outdir: string;
  const configs: string[] = [];
  const config = () => {
    configs.push(copyExampleConfig());
    return configs[configs.length - 1];
  };

  beforeEach(() => {
    project = fs.mkdtempSync(path.join(os.tmpdir(), "synth-output-"));
    outdir = path.join(project, "cdktf.out");
  });
  afterEach(() => fs.rmSync(project, { recursive: true, force: true }));
  afterAll(() => configs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  test("keeps the state, .terraform/ and the lock file, and replaces the stack's cdk.tf.json", () => {
    expect(runSynth(exampleConfigDir, outdir).status).toBe(0);
    const kept = deployed(project, "evaluation");
    const before = fs.readFileSync(path.join(outdir, "stacks", "evaluation", "cdk.tf.json"), "utf8");
    const changed = config();
    editConfig(changed, "deployments/evaluation.yaml", "volume_gib: 200", "volume_gib: 250");

    const result = runSynth(changed, outdir);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const after = filesUnder(project);
    for (const [file, content] of Object.entries(kept)) expect([file, after[file]]).toEqual([file, content]);
    expect(after["cdktf.out/stacks/evaluation/cdk.tf.json"]).not.toBe(before);
    expect(JSON.parse(after["cdktf.out/stacks/evaluation/cdk.tf.json"]).terraform.backend).toEqual({ local: { path: "../../../terraform.evaluation.tfstate" } });
    expect(fs.readdirSync(project).sort()).toEqual(["cdktf.out", "terraform.evaluation.tfstate"]);
  });

  test("changes nothing at all when synthesis fails", () => {
    expect(runSynth(exampleConfigDir, outdir).status).toBe(0);
    deployed(project, "evaluation");
    const before = filesUnder(project);
    const broken = config();
    editConfig(broken, "deployments/evaluation.yaml", "volume_gib: 200", "volume_gib: many");
    const result = runSynth(broken, outdir);
    expect(result.status).toBe(1);
    expect(filesUnder(project)).toEqual(before);
    expect(fs.readdirSync(project).sort()).toEqual(["cdktf.out", "terraform.evaluation.tfstate"]);
  });

  test("leaves the folders of stacks it did not synthesize as they are, and names them", () => {
    expect(runSynth(exampleConfigDir, outdir).status).toBe(0);
    const kept = deployed(project, "production");
    const fewer = config();
    fs.rmSync(path.join(fewer, "deployments", "production.yaml"));

    const result = runSynth(fewer, outdir);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`  left as they are (not in ${fewer}): ${outdir}/stacks/production\n`);
    expect(Object.keys(JSON.parse(fs.readFileSync(path.join(outdir, "manifest.json"), "utf8")).stacks)).toEqual(["evaluation", "staging"]);
    const after = filesUnder(project);
    for (const [file, content] of Object.entries(kept)) expect([file, after[file]]).toEqual([file, content]);
  });

  test("keeps replace-server working on a stack whether or not the last synth was of its config folder", async () => {
    const fewer = config();
    fs.rmSync(path.join(fewer, "deployments", "production.yaml"));
    const replaceSearchNode = async () => {
      const result = await runScript("replace-server", ["production", "production-search-data-1", "--print"], { CDKTF_OUTDIR: outdir });
      expect(result.stderr).toBe("");
      expect(result.stdout).toMatch(new RegExp(`^terraform -chdir=${outdir}/stacks/production apply -replace=openstack_compute_instance_v2\\.search_data_server-1_instance_\\w+\n$`));
      expect(result.status).toBe(0);
    };
    expect(runSynth(exampleConfigDir, outdir).status).toBe(0);
    const kept = deployed(project, "production");
    for (const configDir of [fewer, exampleConfigDir, fewer]) {
      expect(runSynth(configDir, outdir).status).toBe(0);
      await replaceSearchNode();
    }
    const after = filesUnder(project);
    for (const [file, content] of Object.entries(kept)) expect([file, after[file]]).toEqual([file, content]);
  });

  test("gives a new stack folder the project's committed lock file, and never overwrites a stack's own", () => {
    fs.writeFileSync(path.join(project, LOCK_FILE), "# committed lock\n");
    fs.mkdirSync(path.join(outdir, "stacks", "staging"), { recursive: true });
    fs.writeFileSync(path.join(outdir, "stacks", "staging", LOCK_FILE), "# lock terraform init wrote\n");

    expect(runSynth(exampleConfigDir, outdir).status).toBe(0);
    const lockOf = (stack: string) => fs.readFileSync(path.join(outdir, "stacks", stack, LOCK_FILE), "utf8");
    expect([lockOf("evaluation"), lockOf("production"), lockOf("staging")]).toEqual(["# committed lock\n", "# committed lock\n", "# lock terraform init wrote\n"]);
  });
});

describe("npx cdktf synth", () => {
  test("runs the same app through cdktf.json after the set of stacks changed, and keeps what Terraform keeps", () => {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "synth-cli-"));
    const fewer = copyExampleConfig();
    try {
      const outdir = path.join(project, "cdktf.out");
      expect(runSynth(exampleConfigDir, outdir).status).toBe(0);
      const kept = deployed(project, "evaluation");
      deployed(project, "production");
      fs.rmSync(path.join(fewer, "deployments", "production.yaml"));

      const result = spawnSync(path.join(repoRoot, "node_modules", ".bin", "cdktf"), ["synth", "--output", outdir], {
        cwd: repoRoot,
        env: { ...process.env, CONFIG_DIR: fewer, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: undefined, FORCE_COLOR: "0" },
        encoding: "utf8",
      });
      expect(result.stdout).toContain("Generated Terraform code for the stacks: evaluation, staging");
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/ENOENT|ERROR/);
      expect(result.status).toBe(0);
      const after = filesUnder(project);
      for (const [file, content] of Object.entries(kept)) expect([file, after[file]]).toEqual([file, content]);
      // The CLI removes the folders of stacks its app did not synthesize; the state is not in them.
      expect(fs.readdirSync(path.join(outdir, "stacks")).sort()).toEqual(["evaluation", "staging"]);
      expect(fs.readdirSync(project).sort()).toEqual(["cdktf.out", "terraform.evaluation.tfstate", "terraform.production.tfstate"]);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
      fs.rmSync(fewer, { recursive: true, force: true });
    }
  });
});

describe("npm run synth's bundle", () => {
  test("is rebuilt when a source file changes, so a run never uses stale code", () => {
    // A copy of the project's sources, sharing its installed packages (and so the bundle cache).
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "synth-bundle-"));
    try {
      for (const entry of ["main.ts", "lib", "stacks", "constructs", ".gen", "services", "scripts", "tsconfig.json"]) {
        fs.cpSync(path.join(repoRoot, entry), path.join(root, entry), { recursive: true });
      }
      fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(root, "node_modules"));
      const outdir = path.join(root, "cdktf.out");
      const backendPath = () => JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "evaluation", "cdk.tf.json"), "utf8")).terraform.backend.local.path;

      const first = runSynth(exampleConfigDir, outdir, root);
      expect(first.stderr).toBe("");
      expect(first.stdout).toContain("Synthesized evaluation, production, staging");
      expect(backendPath()).toBe("../../../terraform.evaluation.tfstate");
      // A change deep in the import graph and one in the entry file.
      editConfig(root, "stacks/state-backend.ts", "`terraform.${stackName}.tfstate`", "`state/${stackName}.tfstate`");
      editConfig(root, "main.ts", "`Synthesized ${", "`Wrote ${");
      expect(runSynth(exampleConfigDir, outdir, root).stdout).toContain("Wrote evaluation, production, staging");
      expect(backendPath()).toBe("../../../state/evaluation.tfstate");
      // Back to the first version: the same result as the first run.
      editConfig(root, "stacks/state-backend.ts", "`state/${stackName}.tfstate`", "`terraform.${stackName}.tfstate`");
      editConfig(root, "main.ts", "`Wrote ${", "`Synthesized ${");
      expect(runSynth(exampleConfigDir, outdir, root).stdout).toContain("Synthesized evaluation, production, staging");
      expect(backendPath()).toBe("../../../terraform.evaluation.tfstate");
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("npm run synth's command line", () => {
  const run = (args: string[]) => spawnSync(process.execPath, [path.join(repoRoot, "scripts", "synth.js"), ...args], { encoding: "utf8" });

  test("--help prints the usage and exits 0", () => {
    const result = run(["--help"]);
    expect([result.stdout.split("\n")[0], result.stderr, result.status]).toEqual(["usage: npm run synth [-- --build]", "", 0]);
  });

  test("fails an unknown flag with exit 2 and two lines, no stack trace", () => {
    const result = run(["--no-such-flag"]);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^synth: Unknown option '--no-such-flag'(\.|$)/);
    expect(lines[1]).toBe("Run `npm run synth -- --help` for usage.");
    expect(result.status).toBe(2);
  });
});
