/**
 * The search cluster as the ingestion workers see it, in front of the tests' real node: HTTPS with
 * a certificate made per run, basic auth, and the failures a loaded cluster answers with, on
 * demand. A bulk request may be answered 503 whole (it never reaches the node), or have some of
 * its items refused with 429 (those items never reach the node: the answer says so for each, as
 * a node whose write queue is full does); the rest goes to the real node, whose answer comes back
 * with the refused items put in their places.
 */
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { selfSignedCertificate } from "./certificates";

export interface FaultyCluster {
  readonly url: string;
  readonly caFile: string;
  /** Bulk requests received, and how many of them were answered 503 or had items refused. */
  readonly counts: { bulk: number; failed: number; refusedItems: number };
  /** The next bulk requests answered 503 whole. */
  failNext(requests: number): void;
  /** In the next bulk requests, every `every`-th item refused with 429. */
  refuseItems(requests: number, every: number): void;
  close(): Promise<void>;
}

export async function startFaultyCluster(dir: string, nodeUrl: string, credentials: { username: string; password: string }): Promise<FaultyCluster> {
  selfSignedCertificate(dir, { commonName: "127.0.0.1", ipAddress: "127.0.0.1", keyFile: "cluster-key.pem", certFile: "cluster-cert.pem" });
  const counts = { bulk: 0, failed: 0, refusedItems: 0 };
  let failing = 0;
  let refusing = { requests: 0, every: 0 };
  const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
  const server = https.createServer({ key: fs.readFileSync(path.join(dir, "cluster-key.pem")), cert: fs.readFileSync(path.join(dir, "cluster-cert.pem")) }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      void (async (): Promise<void> => {
        if (request.headers.authorization !== expected) {
          response.writeHead(401, { "content-type": "application/json" }).end('{"error":"unauthorized"}');
          return;
        }
        const url = new URL(request.url ?? "/", nodeUrl);
        const bulk = url.pathname.endsWith("/_bulk");
        if (bulk) counts.bulk += 1;
        if (bulk && failing > 0) {
          failing -= 1;
          counts.failed += 1;
          response.writeHead(503, { "content-type": "application/json" }).end('{"error":"unavailable"}');
          return;
        }
        let body = Buffer.concat(chunks).toString("utf8");
        const refused = new Set<number>();
        let pairs: string[][] = [];
        if (bulk && refusing.requests > 0) {
          refusing.requests -= 1;
          counts.failed += 1;
          const lines = body.split("\n").filter((line) => line !== "");
          pairs = Array.from({ length: lines.length / 2 }, (_, i) => [lines[2 * i], lines[2 * i + 1]]);
          pairs.forEach((_, i) => (i % refusing.every === refusing.every - 1 ? refused.add(i) : undefined));
          counts.refusedItems += refused.size;
          body = `${pairs.filter((_, i) => !refused.has(i)).flat().join("\n")}\n`;
        }
        const answer = await fetch(url, { method: request.method, headers: { "content-type": String(request.headers["content-type"] ?? "application/json") }, body: request.method === "GET" ? undefined : body });
        let text = await answer.text();
        if (refused.size > 0) {
          const forwarded = (JSON.parse(text) as { items: unknown[] }).items;
          const items = pairs.map((_, i) => (refused.has(i) ? { create: { status: 429, error: { type: "es_rejected_execution_exception", reason: "rejected execution (queue capacity 200)" } } } : forwarded.shift()));
          text = JSON.stringify({ ...JSON.parse(text), errors: true, items });
        }
        response.writeHead(answer.status, { "content-type": "application/json" }).end(text);
      })().catch((error: Error) => response.writeHead(502).end(error.message));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caFile: path.join(dir, "cluster-cert.pem"),
    counts,
    failNext: (requests) => (failing = requests),
    refuseItems: (requests, every) => (refusing = { requests, every }),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
