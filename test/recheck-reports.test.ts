import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseQueryFile, queryForBuild, renderQueryFile, type BugQuery } from "../lib/queries/bug-query";
import { CREDENTIAL_NAMES, renderServiceConfig, SERVICE_DEFAULTS, type RecheckServiceConfig } from "../lib/recheck/service-config";
import { serviceBundle } from "../lib/service-bundle";
import { commentText } from "../services/recheck/report";
import type { PendingReport } from "../services/recheck/state";
import { failedJobs, pipelineOf } from "../services/recheck/zuul";
import { oldestNodeGate, oldestNodePath, OLDEST_NODE_MAJOR } from "./support/oldest-node";
import { describeGated, toolGate } from "./support/validators";

const UUID_A = "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e";
const UUID_B = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d";

/** A Zuul report as Zuul words it today, with an older log-URL line. */
const REPORT = `Patch Set 3: Verified-1

Build failed (check pipeline).  For information on how to proceed, see
https://docs.opendev.org/opendev/infra-manual/latest/developers.html#automated-testing


- openstack-tox-pep8 https://zuul.opendev.org/t/openstack/build/0123456789abcdef0123456789abcdef : SUCCESS in 3m 54s
- tempest-full-py3 https://zuul.opendev.org/t/openstack/build/${UUID_A} : FAILURE in 1h 32m 10s
- nova-grenade-multinode https://zuul.opendev.org/t/openstack/build/${UUID_B} : FAILURE in 1h 2m 3s (non-voting)
- devstack-platform-centos https://logs.example.org/45/123445/3/check/devstack-platform-centos/ab12cd3/ : TIMED_OUT in 3h 0m 0s
- openstack-tox-py311 https://zuul.opendev.org/t/openstack/build/fedcba9876543210fedcba9876543210 : FAILURE in 8m 1s
`;

describe("failedJobs", () => {
  test("reads every failed job of today's and older reports, voting and not, filtered by jobs_re", () => {
    expect(failedJobs(REPORT, /(devstack|tempest|grenade)/)).toEqual([
      { name: "tempest-full-py3", url: `https://zuul.opendev.org/t/openstack/build/${UUID_A}`, build: { uuid: UUID_A }, result: "FAILURE", voting: true, tenant: "openstack" },
      { name: "nova-grenade-multinode", url: `https://zuul.opendev.org/t/openstack/build/${UUID_B}`, build: { uuid: UUID_B }, result: "FAILURE", voting: false, tenant: "openstack" },
      {
        name: "devstack-platform-centos", url: "https://logs.example.org/45/123445/3/check/devstack-platform-centos/ab12cd3/",
        build: { shortUuid: "ab12cd3" }, result: "TIMED_OUT", voting: true,
      },
    ]);
    expect(pipelineOf(REPORT)).toBe("check");
  });
});

describe("failedJobs: results", () => {
  test("reads every failed result that leaves logs, and no other", () => {
    const lines = ["FAILURE", "POST_FAILURE", "TIMED_OUT", "RETRY_LIMIT", "DISK_FULL", "SUCCESS", "SKIPPED", "NODE_FAILURE", "ABORTED", "RETRY", "MERGE_CONFLICT"].map(
      (result, i) => `- tempest-${i} https://zuul.opendev.org/t/openstack/build/${String(i).padStart(32, "a")} : ${result} in 1m 2s`,
    );
    expect(failedJobs(lines.join("\n"), /tempest/).map((job) => job.result)).toEqual(["FAILURE", "POST_FAILURE", "TIMED_OUT", "RETRY_LIMIT", "DISK_FULL"]);
  });
});

describe("queryForBuild", () => {
  test("parenthesizes the bug's query and restricts it to the build and to voting jobs", () => {
    expect(queryForBuild({ query: 'message:"a" OR message:"b"\n', allowNonvoting: false }, { uuid: UUID_A })).toBe(`(message:"a" OR message:"b") AND build_uuid:"${UUID_A}" AND voting:1`);
    expect(queryForBuild({ query: 'message:"a"', allowNonvoting: true }, { shortUuid: "ab12cd3" })).toBe('(message:"a") AND build_short_uuid:"ab12cd3"');
  });
});

describe("query files on the server", () => {
  const query: BugQuery = { bug: "1234567", file: "/q/1234567.yaml", query: 'message:"x"', suppressGraph: true, suppressNotification: true, allowNonvoting: true, testIds: ["tempest.a.b"] };

  test("read back all five upstream keys as written", () => {
    expect(parseQueryFile(query.file, renderQueryFile(query))).toEqual(query);
  });

  test("fails a file that is not in the written form, a misnamed file and an unknown key", () => {
    expect(parseQueryFile("/q/1234567.yaml", "query: message:x\n")).toEqual({ problem: expect.stringMatching(/^not the JSON form of the upstream format/) });
    expect(parseQueryFile("/q/bug.yaml", "{}")).toEqual({ problem: "the file name is not <Launchpad bug number>.yaml" });
    expect(parseQueryFile("/q/1.yaml", '{"query": "x", "supress-graph": true}')).toEqual({ problem: expect.stringMatching(/^unknown key supress-graph/) });
  });
});

describe("commentText", () => {
  const queries: BugQuery[] = [
    { bug: "111", file: "111.yaml", query: "x", suppressGraph: false, suppressNotification: false, allowNonvoting: false, testIds: [] },
    { bug: "222", file: "222.yaml", query: "y", suppressGraph: false, suppressNotification: true, allowNonvoting: false, testIds: [] },
  ];
  const report = (outcomes: PendingReport["jobs"][number]["outcome"][]): PendingReport => ({
    change: 123445, patchset: 3, project: "openstack/nova", seenAt: "2026-01-01T00:00:00Z",
    jobs: outcomes.map((outcome, index) => ({ name: `job-${index}`, url: "u", build: { uuid: UUID_A }, voting: true, outcome })),
  });

  test("names the bug of each job, in elastic-recheck's words", () => {
    expect(commentText(report([{ bugs: ["111"] }]), queries, "https://recheck.example.org/elastic-recheck/")).toBe(
      "I noticed Zuul failed, I think you hit bug(s):\n\n- job-0: https://bugs.launchpad.net/bugs/111\n\n" +
        "For more details on this and other bugs, please see https://recheck.example.org/elastic-recheck/\n\n" +
        "If you believe we've correctly identified the failure, feel free to leave a 'recheck' comment to run the tests again.",
    );
  });

  test("says nothing when no bug matched or the bug is suppress-notification", () => {
    expect(commentText(report([{ bugs: [] }, { timedOut: true }]), queries, "d")).toBeUndefined();
    expect(commentText(report([{ bugs: ["222"] }]), queries, "d")).toBeUndefined();
  });

  test("lists the jobs it did not understand", () => {
    expect(commentText(report([{ bugs: ["111"] }, { bugs: [] }, { timedOut: true }]), queries, "d")).toMatch(
      /- job-1: unrecognized error\n- job-2: its logs were not indexed in time\n\n.*\n\nSome of the tests failed in a way that we did not understand/,
    );
  });
});

function runBundleWithBadSettings(node: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recheck-bundle-"));
  try {
    fs.writeFileSync(path.join(dir, "recheck.js"), serviceBundle("recheck"));
    fs.writeFileSync(path.join(dir, "recheck.json"), JSON.stringify({ gerrit: { host: "h", port: "29418" } }));
    const result = spawnSync(node, [path.join(dir, "recheck.js"), path.join(dir, "recheck.json")], { encoding: "utf8", env: { PATH: process.env.PATH } });
    return { status: result.status, stderr: result.stderr, expected: `recheck: ${path.join(dir, "recheck.json")}: gerrit.port: got "29418"; expected a number\n` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("the service bundle", () => {
  test("stops on bad settings with one line naming the file and the setting", () => {
    const { status, stderr, expected } = runBundleWithBadSettings(process.execPath);
    expect({ status, stderr }).toEqual({ status: 2, stderr: expected });
  });
});

describeGated(toolGate("ssh-keygen", "openssh-client"), "the service bundle with a Gerrit key OpenSSH cannot load", () => {
  test("stops at start, saying which credential and why, with ssh-keygen's words", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "recheck-key-"));
    try {
      expect(spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "key")]).status).toBe(0);
      fs.mkdirSync(path.join(dir, "credentials"));
      // What `TF_VAR_...="$(cat key)"` used to deliver: the key without its final newline.
      fs.writeFileSync(path.join(dir, "credentials", CREDENTIAL_NAMES.gerritKey), fs.readFileSync(path.join(dir, "key"), "utf8").trimEnd(), { mode: 0o600 });
      fs.writeFileSync(path.join(dir, "recheck.js"), serviceBundle("recheck"));
      const settings: RecheckServiceConfig = {
        gerrit: { host: "127.0.0.1", port: 29418, user: "bot", knownHostsFile: path.join(dir, "known_hosts"), comment: false },
        ciUsername: "zuul", jobsRe: ".", tenants: ["openstack"], search: { urls: ["http://127.0.0.1:9"], indexPattern: "logstash-*" }, queriesDir: dir,
        logsUrl: "https://logs.example.org/", dashboardUrl: "https://recheck.example.org/", wait: { pollSeconds: 1, timeoutSeconds: 1 },
        dashboard: { intervalSeconds: 60, days: 1, uncategorizedHours: 1 }, suggestions: SERVICE_DEFAULTS.suggestions, healthPort: 0,
      };
      fs.writeFileSync(path.join(dir, "recheck.json"), renderServiceConfig(settings));
      const result = spawnSync(process.execPath, [path.join(dir, "recheck.js"), path.join(dir, "recheck.json")], {
        encoding: "utf8", env: { PATH: process.env.PATH, STATE_DIRECTORY: dir, CREDENTIALS_DIRECTORY: path.join(dir, "credentials") },
      });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(
        /^recheck: credential gerrit-ssh-key: OpenSSH cannot load the Gerrit key \(ssh-keygen -y: .*(error in libcrypto|invalid format).*\); set the Terraform variable recheck_gerrit_ssh_private_key to the bot's unencrypted private key in OpenSSH format\n$/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeGated(oldestNodeGate(), `the service bundle under Node.js ${OLDEST_NODE_MAJOR}, the oldest supported`, () => {
  test("is that release, and runs the bundle (the end-to-end test uses it too)", () => {
    expect(spawnSync(oldestNodePath(), ["--version"], { encoding: "utf8" }).stdout).toMatch(new RegExp(`^v${OLDEST_NODE_MAJOR}\\.`));
    const { status, stderr, expected } = runBundleWithBadSettings(oldestNodePath());
    expect({ status, stderr }).toEqual({ status: 2, stderr: expected });
  });
});
