/**
 * The only way out of a booted test server: an HTTP proxy on a Unix socket (bind-mounted into
 * the container, whose network is loopback only) that forwards plain HTTP requests and HTTPS
 * CONNECT tunnels to the allowed hosts and answers 403 to every other. It keeps the names it
 * refused, so a test can say what a retrying unit tried to reach.
 */
import * as http from "node:http";
import * as net from "node:net";

export interface AllowlistProxy {
  readonly socketPath: string;
  /** `host:port` of every refused request, in order. */
  readonly refused: string[];
  /** `host:port` of every forwarded request, in order. */
  readonly forwarded: string[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"]);

export async function startAllowlistProxy(socketPath: string, allowedHosts: readonly string[]): Promise<AllowlistProxy> {
  const allowed = (host: string, port: number, ports: readonly number[]) => allowedHosts.includes(host.toLowerCase()) && ports.includes(port);
  const refused: string[] = [];
  const forwarded: string[] = [];
  const agent = new http.Agent({ keepAlive: true });
  // CONNECT tunnels leave the server's bookkeeping: closing the proxy ends them here.
  const tunnels = new Set<net.Socket>();
  const server = http.createServer((request, response) => {
    let target: URL;
    try {
      target = new URL(request.url ?? "");
    } catch {
      response.writeHead(400).end("absolute URL expected\n");
      return;
    }
    const port = Number(target.port || 80);
    if (target.protocol !== "http:" || !allowed(target.hostname, port, [80])) {
      refused.push(`${target.hostname}:${port}`);
      response.writeHead(403).end(`${target.hostname} is not on the boot test's allowlist\n`);
      return;
    }
    forwarded.push(`${target.hostname}:${port}`);
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
    const upstream = http.request({ host: target.hostname, port, path: `${target.pathname}${target.search}`, method: request.method, headers, agent }, (answer) => {
      const answerHeaders = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
      response.writeHead(answer.statusCode ?? 502, answerHeaders);
      answer.pipe(response);
    });
    upstream.on("error", (error) => {
      if (!response.headersSent) response.writeHead(502);
      response.end(`${error.message}\n`);
    });
    request.pipe(upstream);
  });
  server.on("connect", (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const [host, portText] = (request.url ?? "").split(":");
    const port = Number(portText);
    if (!allowed(host, port, [443])) {
      refused.push(`${host}:${port}`);
      client.end(`HTTP/1.1 403 Forbidden\r\n\r\n`);
      return;
    }
    forwarded.push(`${host}:${port}`);
    tunnels.add(client);
    client.on("close", () => tunnels.delete(client));
    const upstream = net.connect(port, host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    refused,
    forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        for (const tunnel of tunnels) tunnel.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
