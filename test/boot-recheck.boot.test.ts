import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describeRoleBoot } from "./support/boot-role";

describeRoleBoot({
  stack: "evaluation",
  role: "recheck",
  // The bot's Gerrit key, as an admin passes it (TF_VAR_recheck_gerrit_ssh_private_key): a real key, made per run.
  variables: (dir) => {
    const result = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "boot-test", "-f", path.join(dir, "gerrit-key")], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`ssh-keygen: ${result.stderr}`);
    return { recheck_gerrit_ssh_private_key: fs.readFileSync(path.join(dir, "gerrit-key"), "utf8") };
  },
  retrying: {},
  probes: (boot) => {
    test("the bot's health endpoint answers, saying Gerrit's event stream is down (review.opendev.org is not reachable from here)", async () => {
      const health = await boot().server.run(["curl", "--silent", "--max-time", "10", "--write-out", "\\n%{http_code}", "http://127.0.0.1:9464/health"]);
      const [body, status] = health.stdout.split(/\n(?=\d+$)/);
      expect(status).toBe("503");
      expect(JSON.parse(body)).toMatchObject({ status: "degraded" });
    });

    test("the public dashboard's address answers with the waiting page before the first dashboard", async () => {
      const page = await boot().server.check(["curl", "--silent", "--insecure", "--max-time", "10", "--fail", "https://127.0.0.1/elastic-recheck/"]);
      expect(page).toContain("Recheck dashboard: waiting for data");
    });
  },
});
