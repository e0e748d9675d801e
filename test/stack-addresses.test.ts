import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { serverAddress } from "../lib/stack-addresses";
import { repoRoot } from "./support/config-fixture";
import { synthConfig } from "./support/synth";

const production = synthConfig().production;

describe("serverAddress", () => {
  test("finds the Terraform address of a server by its name", () => {
    expect(serverAddress(production, "production-search-data-2")).toMatch(/^openstack_compute_instance_v2\.search_data_server-2_instance_[0-9A-F]{8}$/);
  });

  test("fails on an unknown server, listing the servers", () => {
    expect(() => serverAddress(production, "production-search-data-9")).toThrow(
      /^no server named "production-search-data-9" in the stack; its servers are: production-frontend-1, production-ingestion-1, /,
    );
  });
});

describe("npm run replace-server", () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "replace-"));
  fs.mkdirSync(path.join(outdir, "stacks", "production"), { recursive: true });
  fs.writeFileSync(path.join(outdir, "stacks", "production", "cdk.tf.json"), JSON.stringify(production));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(repoRoot, "node_modules", "tsx", "dist", "cli.mjs"), path.join(repoRoot, "scripts", "replace-server.ts"), ...args], {
      env: { ...process.env, CDKTF_OUTDIR: outdir },
      encoding: "utf8",
    });

  test("prints the terraform command that replaces exactly that server", () => {
    const result = run("production", "production-search-data-2", "--print");
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(
      `terraform -chdir=${outdir}/stacks/production apply -replace=${serverAddress(production, "production-search-data-2")}`,
    );
  });

  test("fails on a stack that was not synthesized, naming those that were", () => {
    const result = run("staging", "staging-search-data-1", "--print");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("not found; run `npm run synth` first (stacks: production)");
  });
});
