/**
 * Suggested signatures against the real node: generated builds of three jobs, passing and
 * failing, whose documents carry the fingerprints the ingestion service sets; the dashboard's
 * uncategorized failures, then the suggestions, both computed by the service's code with the
 * cluster's aggregations.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FAILED_BUILD_RESULTS } from "../lib/field-contract";
import { serviceFields } from "../lib/ingestion/ingest-pipeline";
import type { BugQuery } from "../lib/queries/bug-query";
import { loadQueries } from "../lib/queries/check";
import { analyzeQuery } from "../lib/queries/lucene";
import { fingerprintOf, normalizeError } from "../lib/signatures/normalize";
import { logMapping } from "../lib/search/engine";
import { computeDashboard } from "../services/recheck/dashboard";
import { SearchClient } from "../services/recheck/search";
import { computeSuggestions, type SuggestionsData } from "../services/recheck/suggest";
import { random } from "./fixtures/ci-logs";
import { describeWithSearchEngine, engineRequest, searchEngineUrl, uniqueIndexName } from "./support/search-engine";

const HOUR = 3600_000;
const JOBS = ["tempest-full-py3", "nova-next", "grenade"] as const;
const next = random(23);
const hex = (length: number) => Array.from({ length }, () => "0123456789abcdef"[Math.floor(next() * 16)]).join("");
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`;

/** The planted error: new, in 5 uncategorized failures of two jobs, with ids, a host and numbers that differ per build. */
const planted = () => `ERROR nova.compute.manager [None req-${uuid()} tempest-ServersTestJSON-${Math.floor(next() * 1e9)} admin] [instance: ${uuid()}] nova.exception.PortBindingFailed: Binding failed for port ${uuid()} on host np${String(Math.floor(next() * 1e10)).padStart(10, "0")} after ${2 + Math.floor(next() * 5)} attempts`;
const PLANTED_NORMALIZED = "nova.exception.PortBindingFailed: Binding failed for port <uuid> on host np<n> after <n> attempts";
/** Noise: an error every build of every job logs, passing or not. */
const noisy = () => `ERROR nova.api.openstack.wsgi [${`req-${uuid()}`} admin admin] Unexpected exception in API method: nova.exception.InstanceNotFound: Instance ${uuid()} could not be found.`;
/** New in 3 failures as an ERROR, but its words are in an INFO line of passing builds: its query is weak. */
const weakError = () => `ERROR nova.conductor.manager [-] Timed out waiting for a reply to message ID ${hex(32)}`;
const weakInfo = () => `INFO nova.conductor.manager [-] Timed out waiting for a reply to message ID ${hex(32)}, retrying`;
/** In one uncategorized failure and one categorized one: counted once, below min_builds. */
const halfKnown = () => `ERROR nova.scheduler.manager [-] nova.exception.NoValidHost: No valid host was found. There are not enough hosts available for ${uuid()}`;
const KNOWN = "ERROR neutron.agent.dhcp.agent [-] Unable to enable dhcp for a known reason";

interface GeneratedBuild {
  readonly uuid: string;
  readonly job: string;
  readonly result: string;
  readonly project: string;
  readonly startMs: number;
  readonly lines: readonly string[];
}

describeWithSearchEngine("suggested signatures on the real node", () => {
  const prefix = uniqueIndexName("suggestions");
  const builds: GeneratedBuild[] = [];
  let data: SuggestionsData;
  let search: SearchClient;
  const now = Date.now();

  function build(job: string, result: string, hoursAgo: number, special: readonly string[]): GeneratedBuild {
    const lines = [
      `INFO nova.compute.manager [-] Took ${(next() * 10).toFixed(2)} seconds to build instance.`,
      noisy(),
      noisy(),
      ...special,
      `INFO nova.compute.manager [-] Took ${(next() * 10).toFixed(2)} seconds to spawn the instance on the hypervisor.`,
    ];
    const generated = { uuid: hex(32), job, result, project: job === "grenade" ? "openstack/grenade" : "openstack/nova", startMs: now - hoursAgo * HOUR, lines };
    builds.push(generated);
    return generated;
  }

  beforeAll(async () => {
    search = new SearchClient({ urls: [await searchEngineUrl()] });
    const failed: GeneratedBuild[] = [];
    for (const job of JOBS) for (let i = 0; i < 4; i++) build(job, "SUCCESS", 2 + i * 10, i < 2 ? [weakInfo()] : []);
    failed.push(
      build("tempest-full-py3", "FAILURE", 1, [planted(), weakError()]),
      build("tempest-full-py3", "FAILURE", 2, [planted(), planted()]),
      build("tempest-full-py3", "TIMED_OUT", 3, [planted(), halfKnown()]),
      build("nova-next", "FAILURE", 4, [planted(), weakError()]),
      build("nova-next", "POST_FAILURE", 5, [planted(), weakError()]),
      build("grenade", "FAILURE", 6, []),
      build("tempest-full-py3", "FAILURE", 7, [KNOWN, halfKnown()]),
    );
    const bulk = builds.flatMap((generated) => generated.lines.flatMap((line, index) => {
      const message = `${new Date(generated.startMs + index * 1000).toISOString().replace("T", " ").replace("Z", "")} ${1000 + index} ${line}`;
      return [
        { create: { _index: `${prefix}-logs` } },
        {
          "@timestamp": new Date(generated.startMs + index * 1000).toISOString(), message, ...serviceFields(message), line_number: index + 1,
          build_uuid: generated.uuid, build_short_uuid: generated.uuid.slice(0, 7), build_name: generated.job, build_status: generated.result,
          project: generated.project, voting: 1, build_queue: "check", filename: "screen-n-cpu.txt", tags: ["screen", "screen-n-cpu.txt"],
          log_url: `https://logs.example.org/${generated.uuid}/controller/logs/screen-n-cpu.txt`,
        },
      ];
    }));
    expect((await engineRequest("PUT", `${prefix}-logs`, { mappings: logMapping() })).status).toBe(200);
    const { status, body } = await engineRequest("POST", "_bulk?refresh=true", `${bulk.map((line) => JSON.stringify(line)).join("\n")}\n`);
    expect({ status, errors: body.errors }).toEqual({ status: 200, errors: false });
    const known: BugQuery = { bug: "1000001", file: "", query: 'message:"Unable to enable dhcp"', suppressGraph: false, suppressNotification: false, allowNonvoting: false, testIds: [] };
    const dashboard = await computeDashboard({ search, indexPattern: `${prefix}-*`, days: 3, uncategorizedHours: 24, jobsRe: /./, logsUrl: "" }, [known], new Date());
    expect(dashboard.uncategorized).toHaveLength(failed.length - 1);
    data = await computeSuggestions({ search, indexPattern: `${prefix}-*`, windowHours: 24, settings: { baselineDays: 3, minBuilds: 2, maxSuggestions: 10 } }, dashboard.uncategorized, new Date());
    // The node may take up to its start bound (test/support/search-engine.ts) on a loaded machine.
  }, 180_000);

  afterAll(async () => {
    await engineRequest("DELETE", `${prefix}-logs`);
  });

  const plantedBuilds = () => builds.filter((generated) => generated.lines.some((line) => line.includes("PortBindingFailed"))).map((generated) => generated.uuid).sort();

  test("ranks the planted error first, with its builds, jobs and projects, first and last seen, and an example line with its log", () => {
    const [first] = data.suggestions;
    expect(first).toMatchObject({
      fingerprint: fingerprintOf(PLANTED_NORMALIZED),
      normalized: PLANTED_NORMALIZED,
      builds: 5,
      jobs: ["nova-next", "tempest-full-py3"],
      projects: ["openstack/nova"],
    });
    expect(first.listedBuilds.map((listed) => listed.build).sort()).toEqual(plantedBuilds());
    expect(first.example.message).toContain("nova.exception.PortBindingFailed: Binding failed for port");
    expect(first.example.logUrl).toBe(`https://logs.example.org/${first.example.build}/controller/logs/screen-n-cpu.txt`);
    expect(Date.parse(first.firstSeen)).toBeLessThan(Date.parse(first.lastSeen));
    expect(Date.parse(first.firstSeen)).toBeGreaterThanOrEqual(now - 6 * HOUR);
  });

  test("leaves out the noise of passing builds, and an error below min_builds once the categorized failure is left out", () => {
    const fingerprints = data.suggestions.map((suggestion) => suggestion.normalized);
    expect(fingerprints).not.toContainEqual(expect.stringContaining("InstanceNotFound"));
    expect(fingerprints).not.toContainEqual(expect.stringContaining("NoValidHost"));
    expect(data).toMatchObject({ failures: 6, partial: [] });
  });

  test("gives the planted error a query that passes the project's checker and finds exactly the failures it came from", async () => {
    const query = data.suggestions[0].query!;
    expect(query).toMatchObject({ text: 'message:"nova.exception.PortBindingFailed: Binding failed for port" AND tags:"screen-n-cpu.txt"', failedBuilds: 5, passingBuilds: 0, weak: false });
    expect(analyzeQuery(query.text).issues).toEqual([]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "suggested-query-"));
    try {
      fs.writeFileSync(path.join(dir, "2000001.yaml"), query.file);
      expect(loadQueries(dir)).toMatchObject({ checked: 1, problems: [], queries: [expect.objectContaining({ query: query.text })] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const { body } = await engineRequest("POST", `${prefix}-*/_search`, {
      size: 0,
      query: { bool: { filter: [{ query_string: { query: `(${query.text}) AND voting:1` } }, { terms: { build_status: [...FAILED_BUILD_RESULTS] } }] } },
      aggs: { builds: { terms: { field: "build_uuid", size: 100 } } },
    });
    expect(body.aggregations.builds.buckets.map((bucket: { key: string }) => bucket.key).sort()).toEqual(plantedBuilds());
  });

  test("marks weak a new error whose query also matches passing builds", () => {
    const weak = data.suggestions.find((suggestion) => suggestion.normalized === normalizeError("Timed out waiting for a reply to message ID " + hex(32)));
    expect(weak).toMatchObject({ builds: 3, query: { failedBuilds: 3, passingBuilds: 6, weak: true } });
    expect(data.suggestions.indexOf(weak!)).toBeGreaterThan(0);
  });
});
