/**
 * Running the front end's rendered nginx for real on loopback: test certificates, free ports,
 * starting nginx under a private prefix, and raw HTTP requests that reach nginx byte for byte.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as tls from "node:tls";
import type { FrontendNginxProps } from "../../lib/frontend/nginx";
import { openssl, selfSignedCertificate } from "./certificates";

export const READER_AUTH = 'proxy_set_header Authorization "Basic cmVhZGVyOnNlY3JldA==";\n';
export const DASHBOARDS_AUTH = 'proxy_set_header Authorization "Basic ZGFzaGJvYXJkczpzZWNyZXQ=";\n';

/** A CA, a certificate for the cluster's nodes (name search-cluster, 127.0.0.1) and one for the front end. */
export function makeCertificates(dir: string): void {
  selfSignedCertificate(dir, { commonName: "test CA", keyFile: "ca.key", certFile: "ca.crt" });
  openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=node", "-keyout", "node.key", "-out", "node.csr");
  fs.writeFileSync(path.join(dir, "node.ext"), "subjectAltName=DNS:search-cluster,IP:127.0.0.1\n");
  openssl(dir, "x509", "-req", "-in", "node.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", "node.ext", "-out", "node.crt");
  selfSignedCertificate(dir, { commonName: "frontend", keyFile: "frontend.key", certFile: "frontend.crt" });
}

export const baseProps: FrontendNginxProps = {
  serverName: "logs.example.org",
  searchUpstreams: ["10.42.0.48:9200", "10.42.0.49:9200"],
  upstreamCaFile: "ca.crt",
  upstreamTlsName: "search-cluster",
  tlsCertificateFile: "frontend.crt",
  tlsKeyFile: "frontend.key",
  readerAuthInclude: "reader-auth.conf",
  acmeWebroot: "acme",
  dashboards: { upstream: "127.0.0.1:5601", ui: "kibana" },
  requestsPerSecond: 10,
  maxRequestBodyKib: 1024,
  runtime: { pidFile: "logs/nginx.pid", logDir: "logs", tempDir: "logs" },
};

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/**
 * Starts nginx on `conf/nginx.conf` under `dir` and waits until `port` accepts connections.
 * `serveAsTestUser`: run the workers as the user running the test (under root they would run as
 * nobody, who cannot read files in the test's private temporary folder).
 */
export async function startNginx(dir: string, port: number, options: { serveAsTestUser?: boolean } = {}): Promise<ChildProcess> {
  const user = options.serveAsTestUser && process.getuid?.() === 0 ? " user root;" : "";
  const nginx = spawn("nginx", ["-p", `${dir}/`, "-c", "conf/nginx.conf", "-e", "logs/error.log", "-g", `daemon off;${user}`], { stdio: "ignore" });
  for (let attempt = 0; attempt < 50; attempt++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => { socket.end(); resolve(true); });
      socket.on("error", () => resolve(false));
    });
    if (open) return nginx;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  nginx.kill("SIGQUIT");
  throw new Error(`nginx did not start: ${fs.readFileSync(path.join(dir, "logs", "error.log"), "utf8")}`);
}

export interface RawResponse {
  readonly status: number;
  readonly body: string;
}

/** The body of a chunked HTTP/1.1 message (the tests' bodies are ASCII JSON, so characters count as bytes). */
function dechunk(text: string): string {
  let body = "";
  let offset = 0;
  for (;;) {
    const lineEnd = text.indexOf("\r\n", offset);
    const size = parseInt(text.slice(offset, lineEnd), 16);
    if (!(size > 0)) return body;
    body += text.slice(lineEnd + 2, lineEnd + 2 + size);
    offset = lineEnd + 2 + size + 2;
  }
}

/**
 * Sends `method target` byte for byte (no client-side URL checks, so CRLF and %-tricks reach
 * nginx as written) over TLS or plain TCP, and returns the status and body.
 */
export function rawRequest(port: number, method: string, target: string, options: { body?: string; headers?: Record<string, string>; tls?: boolean } = {}): Promise<RawResponse> {
  const body = options.body ?? "";
  const headers = { Host: "logs.example.org", "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)), Connection: "close", ...options.headers };
  const request = `${method} ${target} HTTP/1.1\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n${body}`;
  return new Promise((resolve, reject) => {
    const socket = options.tls === false
      ? net.connect(port, "127.0.0.1", () => socket.write(request))
      : tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false }, () => socket.write(request));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      // Without a status line nginx answered as to an HTTP/0.9 request: the body alone.
      if (!status) return resolve({ status: 0, body: text });
      const head = text.slice(0, text.indexOf("\r\n\r\n"));
      const rest = text.slice(head.length + 4);
      resolve({ status: Number(status[1]), body: /^transfer-encoding: *chunked/im.test(head) ? dechunk(rest) : rest });
    });
  });
}

