import * as fs from "node:fs";
import type * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parseStackOutputs, readStackOutputs, runSmoke } from "../lib/smoke";
import { selfSignedCertificate } from "./support/certificates";
import { runScript } from "./support/scripts";
import { describeGated, toolGate } from "./support/validators";

/** How the stand-in front end behaves; each test sets what it needs and the rest stays healthy. */
interface Behaviour {
  clusterStatus: "green" | "yellow" | "red";
  acceptsAliases: boolean;
  dashboardsDown: boolean;
}

const HEALTHY: Behaviour = { clusterStatus: "green", acceptsAliases: false, dashboardsDown: false };

/** A stand-in for the read-only nginx front end (lib/frontend/nginx.ts), with a cluster behind it. */
function frontEnd(behaviour: () => Behaviour, seen: string[]) {
  return (request: http.IncomingMessage, response: http.ServerResponse) => {
    request.resume();
    request.on("end", () => {
      const { pathname } = new URL(request.url ?? "/", "https://front-end");
      seen.push(`${request.method} ${pathname}`);
      const now = behaviour();
      const json = (status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}) => {
        response.writeHead(status, { "content-type": "application/json", ...headers });
        response.end(JSON.stringify(body));
      };
      if (request.method === "GET" && pathname === "/_cluster/health") {
        return json(200, { cluster_name: "logs", status: now.clusterStatus, number_of_nodes: 9, number_of_data_nodes: 6, unassigned_shards: now.clusterStatus === "green" ? 0 : 5 });
      }
      if (request.method === "GET" && pathname === "/_search") return json(200, { hits: { total: { value: 1234, relation: "eq" }, hits: [] } });
      if (request.method === "GET" && pathname === "/dashboards/") {
        return now.dashboardsDown ? json(502, { error: "bad gateway" }) : json(302, {}, { location: "/dashboards/app/home" });
      }
      if (request.method === "GET" && pathname === "/recheck/") {
        response.writeHead(200, { "content-type": "text/html" });
        return response.end("<html>elastic-recheck</html>");
      }
      if (request.method === "POST" && pathname === "/_aliases" && now.acceptsAliases) return json(200, { acknowledged: true });
      return json(403, { error: "this endpoint is read-only" });
    });
  };
}

function listen(server: https.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`https://127.0.0.1:${(server.address() as AddressInfo).port}/`)));
}

function close(server: https.Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** The JSON of `terraform output -json` for a stack whose front end is at `publicUrl`. */
function outputsJson(publicUrl: string, extra: Record<string, string> = {}): string {
  const output = (value: unknown) => ({ sensitive: false, type: Array.isArray(value) ? ["tuple", value.map(() => "string")] : "string", value });
  return JSON.stringify({
    dashboards_url: output(`${publicUrl}dashboards/`),
    public_url: output(publicUrl),
    search_endpoints: output(["https://10.42.0.48:9200", "https://10.42.0.49:9200"]),
    ...Object.fromEntries(Object.entries(extra).map(([name, value]) => [name, output(value)])),
  });
}

describeGated(toolGate("openssl", "openssl"), "npm run smoke", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smoke-"));
  const certFile = path.join(dir, "cert.pem");
  const seen: string[] = [];
  let behaviour: Behaviour = HEALTHY;
  let server: https.Server;
  let silent: https.Server;
  let url: string;
  let silentUrl: string;
  let outputsFile: string;

  beforeAll(async () => {
    const keyFile = path.join(dir, "key.pem");
    selfSignedCertificate(dir, { commonName: "127.0.0.1", ipAddress: "127.0.0.1", days: 2 });
    const tls = { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) };
    server = https.createServer(tls, frontEnd(() => behaviour, seen));
    url = await listen(server);
    // Completes the TLS handshake, then never answers.
    silent = https.createServer(tls, () => {});
    silentUrl = await listen(silent);
    outputsFile = path.join(dir, "outputs.json");
    fs.writeFileSync(outputsFile, outputsJson(url));
  });

  afterAll(async () => {
    await Promise.all([close(server), close(silent)]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    behaviour = HEALTHY;
    seen.length = 0;
  });

  async function smoke(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runSmoke(args, { out: (line) => out.push(line), err: (line) => err.push(line) });
    return { code, out, err: err.join("\n") };
  }

  test("passes a healthy read-only front end, one line per check and the summary (exit 0)", async () => {
    const result = await smoke(["--outputs", outputsFile, "--insecure"]);
    expect(result.err).toBe("");
    expect(result.out).toEqual([
      `Checking ${url} (any certificate accepted)`,
      "PASS cluster health — green (cluster logs, 9 nodes, 6 data nodes, 0 unassigned shards)",
      "PASS refuses POST _aliases — 403",
      "PASS refuses PUT smoke-test-index — 403",
      "PASS refuses DELETE logstash-smoke — 403",
      "PASS refuses POST _bulk — 403",
      "PASS search — 200, 1234 documents",
      "PASS dashboards — 302 → /dashboards/app/home",
      "7 passed, 0 failed",
    ]);
    expect(result.code).toBe(0);
    expect(seen).toEqual([
      "GET /_cluster/health",
      "POST /_aliases",
      "PUT /smoke-test-index",
      "DELETE /logstash-smoke",
      "POST /_bulk",
      "GET /_search",
      "GET /dashboards/",
    ]);
  });

  test("verifies the certificate against --ca-file, and checks the recheck page named by the outputs", async () => {
    const file = path.join(dir, "with-recheck.json");
    fs.writeFileSync(file, outputsJson(url, { recheck_url: `${url}recheck/` }));
    const result = await smoke(["--outputs", file, "--ca-file", certFile]);
    expect(result.out).toContain("PASS recheck — 200");
    expect(result.out.at(-1)).toBe("8 passed, 0 failed");
    expect(result.code).toBe(0);
  });

  test("fails on a self-signed certificate by default, saying how to accept it, without waiting on each check", async () => {
    const result = await smoke(["--outputs", outputsFile]);
    expect(result.code).toBe(1);
    expect(result.out[1]).toMatch(/^FAIL cluster health — certificate of 127\.0\.0\.1:\d+ refused: .*self-signed.*pass --insecure/);
    expect(result.out[2]).toMatch(/^FAIL refuses POST _aliases — not tried: https:\/\/127\.0\.0\.1:\d+ did not answer an earlier check/);
    expect(result.out.at(-1)).toBe("0 passed, 7 failed");
    expect(seen).toEqual([]);
  });

  test("fails a front end that accepts POST _aliases (exit 1)", async () => {
    behaviour = { ...HEALTHY, acceptsAliases: true };
    const result = await smoke(["--outputs", outputsFile, "--insecure"]);
    expect(result.out).toContain('FAIL refuses POST _aliases — answered 200: the public endpoint accepted a write: {"acknowledged":true}');
    expect(result.out.at(-1)).toBe("6 passed, 1 failed");
    expect(result.code).toBe(1);
  });

  test("fails a red cluster (exit 1) and warns on a yellow one (exit 0)", async () => {
    behaviour = { ...HEALTHY, clusterStatus: "red" };
    const red = await smoke(["--outputs", outputsFile, "--insecure"]);
    expect(red.out[1]).toMatch(/^FAIL cluster health — red \(.*5 unassigned shards\): some primary shards are not allocated/);
    expect(red.code).toBe(1);

    behaviour = { ...HEALTHY, clusterStatus: "yellow" };
    const yellow = await smoke(["--outputs", outputsFile, "--insecure"]);
    expect(yellow.out[1]).toMatch(/^WARN cluster health — yellow /);
    expect(yellow.out.slice(-2)).toEqual(["6 passed, 0 failed", "1 warning: see WARN above"]);
    expect(yellow.code).toBe(0);
  });

  test("fails when the dashboards are down (exit 1)", async () => {
    behaviour = { ...HEALTHY, dashboardsDown: true };
    const result = await smoke(["--outputs", outputsFile, "--insecure"]);
    expect(result.out).toContain(`FAIL dashboards — GET ${url}dashboards/ answered 502; expected 200 or a redirect`);
    expect(result.out.at(-1)).toBe("6 passed, 1 failed");
    expect(result.code).toBe(1);
  });

  test("gives up on a front end that does not answer after --timeout, once for all its checks", async () => {
    const file = path.join(dir, "silent.json");
    fs.writeFileSync(file, outputsJson(silentUrl));
    const started = Date.now();
    const result = await smoke(["--outputs", file, "--insecure", "--timeout", "0.3"]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.out[1]).toMatch(/^FAIL cluster health — 127\.0\.0\.1:\d+: no answer within 0\.3 s$/);
    expect(result.out.slice(2, -1).every((line) => line.includes("not tried"))).toBe(true);
    expect(result.code).toBe(1);
  });

  test("reads the outputs with `terraform -chdir=<outdir>/stacks/<stack> output -json -no-color`", () => {
    const outdir = path.join(dir, "cdktf.out");
    fs.mkdirSync(path.join(outdir, "stacks", "production"), { recursive: true });
    fs.writeFileSync(path.join(outdir, "stacks", "production", "cdk.tf.json"), "{}");
    const terraform = path.join(dir, "fake-terraform");
    const argsFile = path.join(dir, "terraform-args");
    fs.writeFileSync(terraform, `#!/bin/sh\necho "$@" > '${argsFile}'\ncat '${outputsFile}'\n`, { mode: 0o755 });
    expect(readStackOutputs("production", outdir, terraform)).toEqual({ publicUrl: url, dashboardsUrl: `${url}dashboards/`, recheckUrl: undefined });
    expect(fs.readFileSync(argsFile, "utf8").trim()).toBe(`-chdir=${outdir}/stacks/production output -json -no-color`);
    expect(() => readStackOutputs("staging", outdir, terraform)).toThrow(/stacks\/staging\/cdk\.tf\.json not found; run `npm run synth`/);
  });

  test.each([
    ["no stack and no --outputs", [], "expected a stack name, or --outputs <file.json>"],
    ["--insecure with --ca-file", ["--outputs", "x.json", "--insecure", "--ca-file", "ca.pem"], "--insecure and --ca-file exclude each other"],
    ["a timeout that is not a number", ["--outputs", "x.json", "--timeout", "soon"], '--timeout: got "soon"'],
  ])("fails %s as a usage error (exit 2)", async (_label, args, message) => {
    const result = await smoke(args);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
  });

  test("fails outputs without public_url, or with a plain http:// one, as a usage error", () => {
    expect(() => parseStackOutputs("{}", "out.json")).toThrow("out.json: no public_url output (no outputs at all: has the stack been deployed?)");
    expect(() => parseStackOutputs(outputsJson("http://203.0.113.10/"), "out.json")).toThrow('public_url: "http://203.0.113.10/": expected an https:// URL');
    expect(parseStackOutputs(JSON.stringify({ public_url: { value: "https://logs.example.org" } }), "out.json").publicUrl).toBe("https://logs.example.org/");
  });

  test("runs as `npm run smoke` and exits 1 when the front end accepts a write", async () => {
    behaviour = { ...HEALTHY, acceptsAliases: true };
    const result = await runScript("smoke", ["--outputs", outputsFile, "--insecure"], {}, 20_000);
    expect(result.stdout).toContain("FAIL refuses POST _aliases — answered 200: the public endpoint accepted a write");
    expect(result.stdout.trimEnd().split("\n").at(-1)).toBe("6 passed, 1 failed");
    expect(result.status).toBe(1);
  });
});
