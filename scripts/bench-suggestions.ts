/**
 * The suggested signatures' part of `npm run bench`: a generated day of the openstack tenant's
 * uncategorized failures on the real test node, and the seconds the recheck service's own code
 * (services/recheck/suggest.ts) takes to compute the suggestions from them, against the
 * dashboard's refresh interval.
 *
 * The day: `failedBuilds` uncategorized failed builds (the dashboard lists at most 1,000) of
 * JOBS jobs, and PASSING_PER_JOB passing builds of each job over the baseline days. Every build
 * logs ERRORS_PER_BUILD error-like documents: its job's recurring errors, which its passing builds
 * log too (the noise every tempest run has), a few of its own, and, in some failures, one of
 * PLANTED errors that recur across jobs. Only error-like documents are indexed: the suggestions
 * read nothing else (their filters select documents with a fingerprint).
 */
import { serviceFields } from "../lib/ingestion/ingest-pipeline";
import { SERVICE_DEFAULTS } from "../lib/recheck/service-config";
import { logMapping } from "../lib/search/engine";
import type { UncategorizedFailure } from "../services/recheck/dashboard";
import { SearchClient } from "../services/recheck/search";
import { computeSuggestions, type SuggestionsData } from "../services/recheck/suggest";
import { random } from "../test/fixtures/ci-logs";
import { engineRequest, searchEngineGate, searchEngineUrl, startSearchEngine, stopSearchEngine } from "../test/support/search-engine";

const HOUR = 3600_000;
const JOBS = 60;
const PASSING_PER_JOB = 10;
const ERRORS_PER_BUILD = 60;
const NOISE_PER_JOB = 100;
const PLANTED = 10;

export interface SuggestionFigures {
  readonly documents: number;
  readonly indexSeconds: number;
  readonly runs: readonly number[];
  readonly data: SuggestionsData;
}

export async function benchSuggestions(failedBuilds: number, runs: number): Promise<SuggestionFigures | string> {
  const gate = searchEngineGate();
  if (!gate.run) return "skip" in gate ? gate.skip : gate.fail;
  startSearchEngine();
  try {
    const url = await searchEngineUrl();
    const next = random(2026);
    const hex = (length: number) => Array.from({ length }, () => "0123456789abcdef"[Math.floor(next() * 16)]).join("");
    // Letters that no normalization rule replaces: an error of one build only.
    const word = () => Array.from({ length: 10 }, () => "ghijklmnopqrstuvwxyz"[Math.floor(next() * 20)]).join("");
    // A number in such letters, so that each job's recurring errors keep their own fingerprints.
    const letters = (n: number) => [...n.toString(20)].map((digit) => "ghijklmnopqrstuvwxyz"[Number.parseInt(digit, 20)]).join("");
    const index = "bench-suggestions";
    await engineRequest("DELETE", index);
    await engineRequest("PUT", index, { settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: "-1" }, mappings: logMapping() });
    const now = Date.now();
    const failures: UncategorizedFailure[] = [];
    let documents = 0;
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const { status, body } = await engineRequest("POST", "_bulk", `${batch.join("\n")}\n`);
      if (status !== 200 || body.errors) throw new Error(`bulk failed: ${status} ${JSON.stringify(body).slice(0, 300)}`);
      batch = [];
    };
    const build = async (job: number, result: string, startMs: number, planted?: number) => {
      const uuid = hex(32);
      const lines = Array.from({ length: ERRORS_PER_BUILD }, (_, i) => {
        if (planted !== undefined && i === 0) return `ERROR nova.compute.manager [-] nova.exception.Planted${planted}Failure: planted error ${planted} on port ${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`;
        if (i < 5) return `ERROR nova.compute.manager [-] Unique error ${word()} of this build`;
        return `ERROR nova.api.openstack.wsgi [-] Job ${letters(job)} noise ${letters(Math.floor(next() * NOISE_PER_JOB))}: instance ${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)} could not be found`;
      });
      for (const [i, line] of lines.entries()) {
        const time = new Date(startMs + i * 1000);
        const message = `${time.toISOString().replace("T", " ").replace("Z", "")} 4242 ${line}`;
        batch.push(JSON.stringify({ create: { _index: index } }), JSON.stringify({
          "@timestamp": time.toISOString(), message, ...serviceFields(message), build_uuid: uuid, build_name: `job-${job}`, build_status: result,
          project: `openstack/project-${job % 30}`, voting: 1, filename: "screen-n-cpu.txt", tags: ["screen-n-cpu.txt"], log_url: `https://logs.example.org/${uuid}/screen-n-cpu.txt`,
        }));
        documents += 1;
      }
      if (batch.length >= 4000) await flush();
      return uuid;
    };
    const started = Date.now();
    for (let job = 0; job < JOBS; job++) {
      for (let i = 0; i < PASSING_PER_JOB; i++) await build(job, "SUCCESS", now - ((i + 0.5) / PASSING_PER_JOB) * SERVICE_DEFAULTS.suggestions.baselineDays * 24 * HOUR);
    }
    for (let i = 0; i < failedBuilds; i++) {
      const job = Math.floor(next() * JOBS);
      // A planted error in about a quarter of the failures, the first ones more often.
      const planted = next() < 0.25 ? Math.floor(next() * next() * PLANTED) : undefined;
      const uuid = await build(job, "FAILURE", now - next() * 23 * HOUR, planted);
      failures.push({ build: uuid, job: `job-${job}` });
    }
    await flush();
    await engineRequest("POST", `${index}/_refresh`);
    const indexSeconds = (Date.now() - started) / 1000;
    const search = new SearchClient({ urls: [url], timeoutMs: 120_000 });
    const seconds: number[] = [];
    let data: SuggestionsData | undefined;
    for (let run = 0; run < runs; run++) {
      data = await computeSuggestions({ search, indexPattern: index, windowHours: SERVICE_DEFAULTS.uncategorizedHours, settings: SERVICE_DEFAULTS.suggestions }, failures, new Date());
      seconds.push(data.seconds);
    }
    await engineRequest("DELETE", index);
    return { documents, indexSeconds, runs: seconds, data: data! };
  } finally {
    await stopSearchEngine();
  }
}
