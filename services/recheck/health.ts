/**
 * The health and metrics endpoint: `GET /health` (JSON; 503 while Gerrit's event stream is down)
 * and `GET /metrics` (Prometheus text format), on loopback unless told otherwise (the deployed
 * service listens on its private address too, where only the monitoring server may connect).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface HealthSource {
  /** Whether the service is working, and the facts behind it. */
  health(): { readonly ok: boolean; readonly details: Record<string, unknown> };
  /** Metric name → value (counters end in _total). */
  metrics(): Record<string, number>;
}

export function serveHealth(port: number, source: HealthSource, host = "127.0.0.1"): Promise<http.Server & { port: number }> {
  const server = http.createServer((request, response) => {
    if (request.method !== "GET") {
      response.writeHead(405).end();
    } else if (request.url === "/health") {
      const { ok, details } = source.health();
      response.writeHead(ok ? 200 : 503, { "Content-Type": "application/json" }).end(`${JSON.stringify({ status: ok ? "ok" : "degraded", ...details })}\n`);
    } else if (request.url === "/metrics") {
      const lines = Object.entries(source.metrics()).flatMap(([name, value]) => [`# TYPE ${name} ${name.endsWith("_total") ? "counter" : "gauge"}`, `${name} ${value}`]);
      response.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`);
    } else {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(Object.assign(server, { port: (server.address() as AddressInfo).port })));
  });
}
