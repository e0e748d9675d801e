import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderDashboardNginx } from "../lib/recheck/nginx";
import { selfSignedCertificate } from "./support/certificates";
import { freePort, rawRequest, startNginx } from "./support/nginx-live";
import { describeWithTool } from "./support/validators";

describeWithTool("nginx", "the recheck dashboard's nginx, running on loopback", () => {
  let dir: string;
  let dashboard: string;
  let nginx: ChildProcess | undefined;
  let port: number;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "recheck-nginx-"));
    dashboard = path.join(dir, "dashboard");
    fs.mkdirSync(path.join(dir, "conf"));
    fs.mkdirSync(path.join(dir, "logs"));
    fs.mkdirSync(dashboard);
    selfSignedCertificate(dir, { commonName: "127.0.0.1", keyFile: "conf/key.pem", certFile: "conf/cert.pem" });
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    port = httpsPort;
    fs.writeFileSync(path.join(dir, "conf", "nginx.conf"), renderDashboardNginx({
      serverName: "127.0.0.1", webRoot: dashboard, dataDir: path.join(dashboard, "data"), tlsCertificateFile: "cert.pem", tlsKeyFile: "key.pem",
      acmeWebroot: "acme", httpPort, httpsPort, statusListen: `127.0.0.1:${await freePort()}`, ipv6: false, runtime: { pidFile: "logs/nginx.pid", logDir: "logs", tempDir: "logs" },
    }));
    nginx = await startNginx(dir, httpsPort, { serveAsTestUser: true });
  });

  afterAll(() => {
    nginx?.kill("SIGQUIT");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // One test: the dashboard folder goes from empty to written, in this order.
  test("answers 200 with a waiting-for-data page until the bot writes the dashboard, then serves the dashboard", async () => {
    const waiting = await rawRequest(port, "GET", "/elastic-recheck/");
    expect(waiting.status).toBe(200);
    expect(waiting.body).toContain("<title>Recheck dashboard: waiting for data</title>");
    expect(waiting.body).toContain("then every 30 minutes");
    expect((await rawRequest(port, "POST", "/elastic-recheck/", { body: "{}" })).status).toBe(403);
    // Only the dashboard's address waits: a page the bot has not written is still not found.
    expect((await rawRequest(port, "GET", "/elastic-recheck/uncategorized.html")).status).toBe(404);

    fs.mkdirSync(path.join(dashboard, "data"));
    fs.writeFileSync(path.join(dashboard, "index.html"), "<!DOCTYPE html><title>bugs</title>\n");
    fs.writeFileSync(path.join(dashboard, "uncategorized.html"), "<!DOCTYPE html><title>uncategorized</title>\n");
    fs.writeFileSync(path.join(dashboard, "data", "dashboard.json"), '{"bugs": []}\n');
    expect(await rawRequest(port, "GET", "/elastic-recheck/")).toEqual({ status: 200, body: "<!DOCTYPE html><title>bugs</title>\n" });
    expect((await rawRequest(port, "GET", "/elastic-recheck/uncategorized.html")).body).toContain("uncategorized");
    expect((await rawRequest(port, "GET", "/elastic-recheck/data/dashboard.json")).body).toBe('{"bugs": []}\n');
    expect((await rawRequest(port, "GET", "/elastic-recheck/index.html")).status).toBe(200);
  });
});
