import * as fs from "node:fs";
import * as path from "node:path";
import { describeRoleBoot, type RoleBoot } from "./support/boot-role";
import { HOSTILE } from "./support/public-requests";
import { decodedContent } from "./support/user-data";

/** Reads the public proxy allows (their answers come from the stand-in cluster). */
const ALLOWED: readonly (readonly [string, string])[] = [
  ["GET", "/_cluster/health"],
  ["GET", "/logstash-*/_search?q=message:timeout"],
  ["POST", "/logstash-*/_search"],
  ["GET", "/logstash-*/_count?q=build_status:FAILURE"],
  ["GET", "/logstash-*/_mapping"],
  ["GET", "/_cat/indices/logstash-*?v"],
];

/**
 * A stand-in for the search cluster at the address nginx proxies to: HTTPS with a certificate
 * of the deployment's CA for the name nginx checks, answering 200 to every request and logging
 * each (method and target) so the test sees what got through.
 */
const STAND_IN_CLUSTER = `
import http.server, ssl, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        with open("/var/lib/boot-test-cluster/requests", "a") as log:
            log.write(f"{self.command} {self.path}\\n")
        body = b'{"stand_in": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = answer
server = http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain("/var/lib/boot-test-cluster/cert.pem", "/var/lib/boot-test-cluster/key.pem")
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
`;

async function startStandInCluster({ server, values, cloudConfig }: RoleBoot): Promise<void> {
  const nginx = cloudConfig.write_files!.find((file) => file.path === "/etc/nginx/nginx.conf")!;
  const [, address, port] = /upstream search_cluster \{\s*server ([0-9.]+):(\d+)/.exec(decodedContent(nginx))!;
  const name = /proxy_ssl_name ([^;]+);/.exec(decodedContent(nginx))![1];
  const { cert, key } = values.certificate("stand-in-cluster", `DNS:${name},IP:${address}`);
  const dir = server.hostPath("/var/lib/boot-test-cluster");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "cert.pem"), cert);
  fs.writeFileSync(path.join(dir, "key.pem"), key);
  fs.writeFileSync(path.join(dir, "server.py"), STAND_IN_CLUSTER);
  fs.writeFileSync(path.join(dir, "requests"), "");
  await server.check(["ip", "address", "add", `${address}/32`, "dev", "lo"]);
  await server.check(["systemd-run", "--unit=boot-test-cluster", "python3", "/var/lib/boot-test-cluster/server.py", address, port]);
  for (let attempt = 0; ; attempt++) {
    if ((await server.run(["curl", "--silent", "--insecure", "--max-time", "2", `https://${address}:${port}/`])).status === 0) break;
    if (attempt === 40) throw new Error(`the stand-in cluster did not answer on ${address}:${port}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  fs.writeFileSync(path.join(dir, "requests"), "");
}

/** The status nginx answers (from inside the server, on its public HTTPS port) to method and raw target. */
async function statusOf({ server }: RoleBoot, method: string, target: string): Promise<string> {
  return server.check(["curl", "--silent", "--insecure", "--path-as-is", "--globoff", "--max-time", "10", "--output", "/dev/null", "--write-out", "%{http_code}",
    "--request", method, ...(method === "POST" ? ["--header", "Content-Type: application/json", "--data", "{}"] : []), `https://127.0.0.1${target}`]);
}

describeRoleBoot({
  stack: "evaluation",
  role: "frontend",
  retrying: {
    "install-dashboards.service": "adds OpenSearch Dashboards' apt repository from artifacts.opensearch.org, which the proxy refuses",
    "import-saved-objects.service": "waits for the dashboards server, which install-dashboards.service installs",
  },
  probes: (boot) => {
    test("nginx passes the read-only API to the cluster (200) and refuses the hostile table before it", async () => {
      await startStandInCluster(boot());
      const answers: string[] = [];
      for (const [method, target] of ALLOWED) answers.push(`${method} ${target} ${await statusOf(boot(), method, target)}`);
      expect(answers).toEqual(ALLOWED.map(([method, target]) => `${method} ${target} 200`));
      const refused: string[] = [];
      for (const [method, target, status] of HOSTILE) {
        const answer = await statusOf(boot(), method, target);
        if (answer !== String(status)) refused.push(`${method} ${target}: ${answer}, expected ${status}`);
      }
      expect(refused).toEqual([]);
      const reached = fs.readFileSync(boot().server.hostPath("/var/lib/boot-test-cluster/requests"), "utf8").trim().split("\n");
      expect(reached.filter((line) => !ALLOWED.some(([method, target]) => line === `${method} ${target}`))).toEqual([]);
    }, 300_000);
  },
});
