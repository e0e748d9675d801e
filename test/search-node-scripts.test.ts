import * as fs from "node:fs";
import * as https from "node:https";
import type * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { SEARCH_BOOTSTRAP_GUARD_SCRIPT, SEARCH_SETUP_SCRIPT } from "../lib/search/node-scripts";
import { makeCertificates } from "./support/nginx-live";
import { runProcess } from "./support/scripts";
import { describeGated, findExecutable, toolGate } from "./support/validators";

const ADMIN_PASSWORD = 'adm1n-"pass\\word';
const USER_PASSWORDS = { WRITER_PASSWORD: "writer-secret-4711", READER_PASSWORD: "reader-secret-0815" };

interface Received {
  readonly method: string;
  readonly url: string;
  readonly authorization?: string;
  readonly body: string;
}

/**
 * The setup script, run for real with bash, curl and jq against a loopback HTTPS peer that
 * records what it gets; every curl and jq the script starts is logged with its arguments by
 * a wrapper first on PATH, which is what any local user could read in /proc/<pid>/cmdline.
 */
describeGated(toolGate("jq", "jq"), "the cluster setup script, run against a loopback peer", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "search-setup-"));
  const received: Received[] = [];
  let peer: https.Server;
  let status = -1;
  let stderr = "";

  beforeAll(async () => {
    makeCertificates(dir);
    peer = https.createServer({ key: fs.readFileSync(path.join(dir, "node.key")), cert: fs.readFileSync(path.join(dir, "node.crt")) }, (request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        received.push({ method: request.method!, url: request.url!, authorization: request.headers.authorization, body });
        response.setHeader("content-type", "application/json");
        // The first template request meets a cluster whose security index is not allocated yet.
        if (request.url === "/_index_template/logs" && received.filter((seen) => seen.url === request.url).length === 1) {
          response.statusCode = 503;
          response.end('{"error":"security index not yet allocated","status":503}');
          return;
        }
        // Object storage that refuses the snapshot repository (wrong keys).
        if (request.url!.startsWith("/_snapshot/")) {
          response.statusCode = 400;
          response.end('{"error":"repository_verification_exception: the bucket refused the keys","status":400}');
          return;
        }
        response.end(request.url!.startsWith("/_cluster/health") ? '{"status":"green"}' : '{"acknowledged":true}');
      });
    });
    await new Promise<void>((resolve) => peer.listen(0, "127.0.0.1", resolve));
    const port = (peer.address() as net.AddressInfo).port;

    const configDir = path.join(dir, "config");
    const setupDir = path.join(dir, "setup");
    const bin = path.join(dir, "bin");
    const curlHome = path.join(dir, "curl-home");
    for (const folder of [path.join(configDir, "certs"), setupDir, bin, curlHome]) fs.mkdirSync(folder, { recursive: true });
    fs.copyFileSync(path.join(dir, "ca.crt"), path.join(configDir, "certs", "ca.crt"));
    fs.writeFileSync(path.join(setupDir, "requests"), "PUT _index_template/logs 01-template.json\n");
    fs.writeFileSync(path.join(setupDir, "01-template.json"), '{"index_patterns":["logstash-*"]}\n');
    fs.writeFileSync(path.join(setupDir, "users"), "logwriter log_writer WRITER_PASSWORD\nlogreader log_reader READER_PASSWORD\n");
    fs.writeFileSync(path.join(setupDir, "deferred-requests"), "PUT _snapshot/daily-snapshots 02-snapshot.json\n");
    fs.writeFileSync(path.join(setupDir, "02-snapshot.json"), '{"type":"s3"}\n');
    // The script talks to https://NODE_ADDRESS:9200; curl's own startup file sends that to the peer.
    fs.writeFileSync(path.join(curlHome, ".curlrc"), `connect-to = 127.0.0.1:9200:127.0.0.1:${port}\n`);
    for (const tool of ["curl", "jq"]) {
      fs.writeFileSync(path.join(bin, tool), `#!/bin/bash\nprintf '%s\\n' "${tool} $*" >> "${dir}/argv.log"\nexec ${findExecutable(tool)} "$@"\n`, { mode: 0o755 });
    }
    fs.writeFileSync(path.join(dir, "setup.sh"), `#!/bin/bash\nset -euo pipefail\n${SEARCH_SETUP_SCRIPT}`, { mode: 0o755 });

    const run = await runProcess("bash", [path.join(dir, "setup.sh")], {
      env: {
        PATH: `${bin}:${process.env.PATH}`, CURL_HOME: curlHome, TMPDIR: dir,
        ENGINE_CONFIG_DIR: configDir, NODE_ADDRESS: "127.0.0.1", SETUP_DIR: setupDir,
        ADMIN_USER: "admin", ADMIN_PASSWORD, ...USER_PASSWORDS, SETUP_RETRY_SECONDS: "0",
      },
    });
    status = run.status ?? -1;
    stderr = run.stderr;
  });

  afterAll(async () => {
    peer?.closeAllConnections();
    await new Promise<void>((resolve) => peer?.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("applies the requests (retrying a 503), then the users, with the admin's credentials", () => {
    expect(stderr).toMatch(/^curl: \(22\) .*503\nPUT _index_template\/logs failed \(attempt 1\), retrying: .*"status":503/);
    const basic = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}`;
    expect(received.map((request) => [request.method, request.url.split("?")[0], request.authorization])).toEqual([
      ["GET", "/_cluster/health", basic],
      ["PUT", "/_index_template/logs", basic],
      ["PUT", "/_index_template/logs", basic],
      ["PUT", "/_security/user/logwriter", basic],
      ["PUT", "/_security/user/logreader", basic],
      ["PUT", "/_snapshot/daily-snapshots", basic],
    ]);
    expect(JSON.parse(received[3].body)).toEqual({ password: USER_PASSWORDS.WRITER_PASSWORD, roles: ["log_writer"] });
    expect(JSON.parse(received[4].body)).toEqual({ password: USER_PASSWORDS.READER_PASSWORD, roles: ["log_reader"] });
  });

  test("reports a refused snapshot repository and fails the unit, once the users exist", () => {
    expect(status).toBe(1);
    expect(stderr).toContain('PUT _snapshot/daily-snapshots was refused: {"error":"repository_verification_exception: the bucket refused the keys","status":400}');
    expect(stderr.trim().split("\n").at(-1)).toBe(
      "the snapshot repository or policy could not be set up (see above); the users, lifecycle policy and template are in place. Fix the object storage settings or keys, then: systemctl restart search-setup",
    );
  });

  test("never puts a password on a command line", () => {
    const commandLines = fs.readFileSync(path.join(dir, "argv.log"), "utf8");
    expect(commandLines).toMatch(/^curl .*--config /m);
    expect(commandLines).toMatch(/^jq /m);
    for (const secret of [ADMIN_PASSWORD, ...Object.values(USER_PASSWORDS)]) expect(commandLines).not.toContain(secret);
  });

  test("leaves no credentials file behind", () => {
    expect(fs.readdirSync(dir).filter((name) => name.startsWith("tmp."))).toEqual([]);
  });
});

/**
 * The guard a master runs before the engine's first start, against loopback peers standing in for
 * the other masters: one not answering, one answering as a formed cluster (or not yet). The live
 * counterpart, a replaced master joining a real cluster, is in test/search-cluster.engine.test.ts.
 */
describeGated(toolGate("jq", "jq"), "the first-bootstrap guard of a master, run against loopback peers", () => {
  describe.each([
    ["opensearch", "cluster.initial_cluster_manager_nodes"],
    ["elasticsearch", "cluster.initial_master_nodes"],
  ])("on %s (%s)", (engine, bootstrapSetting) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "search-bootstrap-"));
    let peer: https.Server;
    let clusterUuid = "";
    let port = 0;
    const settings = `cluster.name: "prod"\n${bootstrapSetting}: ["prod-search-master-1","prod-search-master-2"]\nnode.name: "prod-search-master-1"\n`;

    beforeAll(async () => {
      makeCertificates(dir);
      peer = https.createServer({ key: fs.readFileSync(path.join(dir, "node.key")), cert: fs.readFileSync(path.join(dir, "node.crt")) }, (_request, response) => {
        response.setHeader("content-type", "application/json");
        response.end(JSON.stringify({ name: "prod-search-master-2", cluster_name: "prod", cluster_uuid: clusterUuid }));
      });
      await new Promise<void>((resolve) => peer.listen(0, "127.0.0.1", resolve));
      port = (peer.address() as net.AddressInfo).port;
    });

    afterAll(async () => {
      peer?.closeAllConnections();
      await new Promise<void>((resolve) => peer?.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    async function guard(uuid: string): Promise<{ status: number | null; stdout: string; config: string; staged: string }> {
      clusterUuid = uuid;
      const run = fs.mkdtempSync(path.join(dir, "run-"));
      for (const folder of ["config/certs", "staged", "curl-home"]) fs.mkdirSync(path.join(run, folder), { recursive: true });
      fs.copyFileSync(path.join(dir, "ca.crt"), path.join(run, "config", "certs", "ca.crt"));
      fs.writeFileSync(path.join(run, "config", `${engine}.yml`), settings);
      fs.writeFileSync(path.join(run, "staged", `${engine}.yml`), settings);
      // The second peer is where the rendered address points; curl's startup file sends it to the test's peer.
      fs.writeFileSync(path.join(run, "curl-home", ".curlrc"), `connect-to = 127.0.0.1:9200:127.0.0.1:${port}\n`);
      fs.writeFileSync(path.join(run, "guard.sh"), `#!/bin/bash\nset -euo pipefail\n${SEARCH_BOOTSTRAP_GUARD_SCRIPT}`, { mode: 0o755 });
      const result = await runProcess("bash", [path.join(run, "guard.sh")], {
        env: {
          PATH: process.env.PATH, CURL_HOME: path.join(run, "curl-home"), TMPDIR: run,
          ENGINE: engine, ENGINE_CONFIG_DIR: path.join(run, "config"), STAGED_CONFIG: path.join(run, "staged"),
          ADMIN_USER: "admin", ADMIN_PASSWORD, PEER_MASTERS: "127.0.0.9,127.0.0.1",
        },
      });
      return {
        status: result.status, stdout: result.stdout,
        config: fs.readFileSync(path.join(run, "config", `${engine}.yml`), "utf8"), staged: fs.readFileSync(path.join(run, "staged", `${engine}.yml`), "utf8"),
      };
    }

    test("a replacement whose peers answer for a formed cluster drops the setting before its first start", async () => {
      const run = await guard("f3c1xG2yQm6yXn0d2rJ6Qw");
      expect(run.status).toBe(0);
      expect(run.stdout).toBe("master 127.0.0.1 answers for a formed cluster: joining it, without the first-bootstrap setting\n");
      expect(run.config).toBe('cluster.name: "prod"\nnode.name: "prod-search-master-1"\n');
      expect(run.staged).toBe(run.config);
    });

    test("on a cluster's first boot (no peer has joined a cluster yet) the setting stays", async () => {
      const run = await guard("_na_");
      expect([run.status, run.stdout, run.config]).toEqual([0, "", settings]);
    });
  });
});
