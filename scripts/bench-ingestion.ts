/**
 * The ingestion parts of `npm run bench`:
 * - a pass over the openstack tenant's shape: a fake Zuul on loopback (test/support/fake-zuul.ts)
 *   serving thousands of job names and a day of builds, listed by the service's own code
 *   (services/ingestion/lister.ts): requests and seconds of a first start and of the passes after;
 * - the ingest pipeline's cost on the real test node: documents per second of the same
 *   documents (made by the service's own code from real-shaped logs, fixed ids, `create`) as the
 *   service sends them (line fields and error fingerprints set, the pipeline skipped), through the
 *   pipeline (without those fields), through its line fields' stage alone (the error fingerprints'
 *   stage's cost), through the pipeline before the ingestion rework, and as the service sends
 *   them but with ids the node picks; and the bytes one document takes on disk (the capacity
 *   check's BYTES_PER_DOCUMENT).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ingestPipelineBody, LINE_FIELDS, PIPELINE_STAGES } from "../lib/ingestion/ingest-pipeline";
import { logMapping } from "../lib/search/engine";
import { jsonLogger } from "../services/shared/log";
import { Checkpoint } from "../services/ingestion/checkpoint";
import { buildFields, documentOf, fileFields, type Document } from "../services/ingestion/documents";
import { HttpClient } from "../services/ingestion/http";
import { NO_NODE_FACTS } from "../services/ingestion/inventory";
import { MessageReader, Utf8Lines } from "../services/ingestion/lines";
import { listNewBuilds } from "../services/ingestion/lister";
import { generateLogs, random } from "../test/fixtures/ci-logs";
import { FakeZuul, type FakeBuild } from "../test/support/fake-zuul";
import { engineRequest, searchEngineGate, searchEngineUrl, startSearchEngine, stopSearchEngine } from "../test/support/search-engine";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The commit before the ingestion rework, whose pipeline had two groks and three patterns. */
const PREVIOUS_PIPELINE = { commit: "bad6fd5", file: "lib/ingestion/ingest-pipeline.ts" };

export interface TenantShape {
  readonly jobs: number;
  readonly buildsPerDay: number;
}

/** A day of builds: a third short (tox, 3-15 min), half devstack/tempest (1-2.5 h), the rest long (2.5-4 h). */
function dayOfBuilds(shape: TenantShape, now: number): FakeBuild[] {
  const next = random(42);
  const logs = new Map([["job-output.txt", "x\n"]]);
  const every = (24 * HOUR) / shape.buildsPerDay;
  return Array.from({ length: shape.buildsPerDay * 1.1 }, (_, i) => {
    const kind = next();
    const duration = kind < 0.35 ? (3 + next() * 12) * MINUTE : kind < 0.85 ? (60 + next() * 90) * MINUTE : (150 + next() * 90) * MINUTE;
    const startMs = now - 24 * HOUR + i * every;
    const uuid = Array.from({ length: 32 }, () => "0123456789abcdef"[Math.floor(next() * 16)]).join("");
    return { uuid, job: `job-${Math.floor(next() * shape.jobs)}`, startMs, endMs: startMs + duration, logs };
  });
}

export interface PassFigures {
  readonly label: string;
  readonly requests: number;
  readonly seconds: number;
  readonly taken: number;
}

/** A first start and then `passes` passes a minute apart, for shard 1 of `shards`. */
export async function benchListing(shape: TenantShape, passes: number, shards: number): Promise<PassFigures[]> {
  const now = Date.parse("2026-05-14T12:00:00Z");
  const zuul = await FakeZuul.start(dayOfBuilds(shape, now), { now });
  const client = new HttpClient();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-listing-"));
  try {
    const checkpoint = new Checkpoint(path.join(dir, "checkpoint.json"), jsonLogger(() => undefined));
    const shard = { name: "openstack", zuulApiUrl: zuul.apiUrl, tenant: "openstack", shard: 0, shards };
    const figures: PassFigures[] = [];
    for (let pass = 0; pass <= passes; pass++) {
      zuul.now = now + pass * MINUTE;
      const before = zuul.requests.builds;
      const started = process.hrtime.bigint();
      const result = await listNewBuilds(client, shard, checkpoint, { pageSize: 500, backfillMs: 6 * HOUR, now: zuul.now });
      checkpoint.save();
      figures.push({ label: pass === 0 ? "first start" : `pass ${pass}`, requests: zuul.requests.builds - before, seconds: Number(process.hrtime.bigint() - started) / 1e9, taken: result.taken.length });
    }
    return figures;
  } finally {
    client.close();
    await zuul.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The service's documents of real-shaped builds (DEBUG dropped, as by default), `count` of them. */
function corpus(count: number): Document[] {
  const documents: Document[] = [];
  const start = Date.now() - HOUR;
  for (let seed = 1; documents.length < count; seed++) {
    const uuid = seed.toString(16).padStart(32, "0");
    const build = { uuid, job: "tempest-full-py3", result: "FAILURE", voting: true, logUrl: `https://logs.example.org/${uuid}/`, startMs: start, endMs: start + HOUR, project: "openstack/nova", pipeline: "check", change: "912345", patchset: "3", branch: "master" };
    const common = buildFields(build, { name: "openstack", zuulApiUrl: "", tenant: "openstack", shard: 0, shards: 1 }, { ...NO_NODE_FACTS, hostsId: ["h"], hostsRegion: ["rax-DFW"], nodeProvider: ["rax-dfw"] });
    for (const file of generateLogs(seed, start, { linesPerFile: 2000 })) {
      const entry = { name: file.name, tags: [...file.tags] };
      const reader = new MessageReader({ console: file.tags.includes("console"), debugMessages: "drop", startMs: start, endMs: start + HOUR });
      const lines = new Utf8Lines();
      const messages = [...lines.push(file.content), ...lines.finish()].flatMap((line) => reader.push(line)).concat(reader.finish());
      for (const message of messages) documents.push(documentOf(build, entry, fileFields(build, common, entry), "bench-", message));
    }
  }
  return documents.slice(0, count);
}

export interface IngestFigures {
  readonly label: string;
  readonly documentsPerSecond: number;
}

interface Variant {
  readonly label: string;
  /** The index's default pipeline; undefined: none. */
  readonly pipeline?: string;
  /** Send the documents as the service does (its fields, `pipeline: _none`), or without the pipeline's fields, for the default pipeline. */
  readonly asService: boolean;
  readonly fixedIds: boolean;
}

const PIPELINE_FIELDS: readonly string[] = PIPELINE_STAGES.flatMap((stage) => stage.fields);
const withoutPipelineFields = (source: Document["source"]) => Object.fromEntries(Object.entries(source).filter(([name]) => !PIPELINE_FIELDS.includes(name)));

async function indexAll(index: string, documents: readonly Document[], variant: Variant): Promise<number> {
  const settings = { number_of_shards: 1, number_of_replicas: 0, ...(variant.pipeline ? { "index.default_pipeline": variant.pipeline } : {}) };
  await engineRequest("PUT", index, { settings, mappings: logMapping() });
  const batches: string[] = [];
  for (let offset = 0; offset < documents.length; offset += 1000) {
    batches.push(documents.slice(offset, offset + 1000).map((doc) => {
      const action = { _index: index, ...(variant.fixedIds ? { _id: doc.id } : {}), ...(variant.asService && doc.pipeline ? { pipeline: doc.pipeline } : {}) };
      return `${JSON.stringify({ create: action })}\n${JSON.stringify(variant.asService ? doc.source : withoutPipelineFields(doc.source))}\n`;
    }).join(""));
  }
  const started = process.hrtime.bigint();
  // Two requests at a time, as two workers would send.
  let nextBatch = 0;
  await Promise.all([0, 1].map(async () => {
    while (nextBatch < batches.length) {
      const { status, body } = await engineRequest("POST", "_bulk", batches[nextBatch++]);
      if (status !== 200 || body.errors) throw new Error(`bulk into ${index} failed: ${status} ${JSON.stringify(body).slice(0, 500)}`);
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return documents.length / seconds;
}

async function bytesPerDocumentOf(index: string): Promise<number> {
  const stats = await engineRequest("GET", `${index}/_stats/store,docs`);
  return stats.body._all.primaries.store.size_in_bytes / stats.body._all.primaries.docs.count;
}

/** The pipeline of PREVIOUS_PIPELINE's commit, if git has it. */
async function previousPipeline(root: string): Promise<object | undefined> {
  try {
    const text = execFileSync("git", ["show", `${PREVIOUS_PIPELINE.commit}:${PREVIOUS_PIPELINE.file}`], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-pipeline-")), "previous.ts");
    fs.writeFileSync(file, text);
    return ((await import(file)) as { ingestPipelineBody: () => object }).ingestPipelineBody();
  } catch {
    return undefined;
  }
}

/**
 * Documents per second into the real node with and without the pipeline (best of `rounds` after a
 * warm-up round, each variant on a fresh index), and the bytes a document takes on disk after a
 * flush. The gate's line instead when java or mvn is missing.
 */
export async function benchIngest(root: string, count: number, rounds: number): Promise<{ figures: IngestFigures[]; bytesPerDocument: number; mergedBytesPerDocument: number } | string> {
  const gate = searchEngineGate();
  if (!gate.run) return "skip" in gate ? gate.skip : gate.fail;
  startSearchEngine();
  try {
    await searchEngineUrl();
    const documents = corpus(count);
    const previous = await previousPipeline(root);
    await engineRequest("PUT", "_ingest/pipeline/bench-current", ingestPipelineBody());
    await engineRequest("PUT", "_ingest/pipeline/bench-line-fields", ingestPipelineBody([LINE_FIELDS]));
    if (previous) await engineRequest("PUT", "_ingest/pipeline/bench-previous", previous);
    const variants: Variant[] = [
      { label: "as the service sends them", pipeline: "bench-current", asService: true, fixedIds: true },
      { label: "through the pipeline", pipeline: "bench-current", asService: false, fixedIds: true },
      { label: "through its line fields' stage alone", pipeline: "bench-line-fields", asService: false, fixedIds: true },
      ...(previous ? [{ label: `through the pipeline of ${PREVIOUS_PIPELINE.commit}`, pipeline: "bench-previous", asService: false, fixedIds: true }] : []),
      { label: "as the service, ids by the node", pipeline: "bench-current", asService: true, fixedIds: false },
    ];
    // A first round warms the node's JIT and caches up; it is not counted.
    await indexAll("bench-warm-up", documents, variants[0]);
    await engineRequest("DELETE", "bench-warm-up");
    const best = new Map<string, number>();
    let bytesPerDocument = 0;
    let mergedBytesPerDocument = 0;
    for (let round = 0; round < rounds; round++) {
      for (const [position, variant] of variants.entries()) {
        const index = `bench-${round}-${position}`;
        const rate = await indexAll(index, documents, variant);
        best.set(variant.label, Math.max(best.get(variant.label) ?? 0, rate));
        if (position === 0 && round === 0) {
          await engineRequest("POST", `${index}/_flush`);
          bytesPerDocument = await bytesPerDocumentOf(index);
          await engineRequest("POST", `${index}/_forcemerge?max_num_segments=1`);
          mergedBytesPerDocument = await bytesPerDocumentOf(index);
        }
        await engineRequest("DELETE", index);
      }
    }
    return { figures: variants.map((variant) => ({ label: variant.label, documentsPerSecond: best.get(variant.label)! })), bytesPerDocument, mergedBytesPerDocument };
  } finally {
    await stopSearchEngine();
  }
}
