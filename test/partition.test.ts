import { partitionSources, validateSources, type FollowedSource } from "../lib/ingestion/partition";

const OPENDEV = "https://zuul.opendev.org/api/tenant";
const source = (name: string, tenant: string, job_filter?: string): FollowedSource => ({
  name,
  tenant,
  zuul_api_url: `${OPENDEV}/${tenant}`,
  ...(job_filter === undefined ? {} : { job_filter }),
});

const SOURCES = [
  source("openstack-tempest", "openstack", "^tempest-"),
  source("openstack-devstack", "openstack", "devstack"),
  source("openstack-rest", "openstack"),
  source("opendev", "opendev"),
  source("zuul", "zuul"),
];

function names(workers: ReturnType<typeof partitionSources>): string[][] {
  return workers.map((worker) => worker.sources.map((assigned) => assigned.source.name));
}

describe("partitionSources", () => {
  test("assigns every source to exactly one worker", () => {
    const all = names(partitionSources(SOURCES, 3)).flat();
    expect(all.sort()).toEqual(SOURCES.map((s) => s.name).sort());
  });

  test("deals sources round-robin in declared order", () => {
    expect(names(partitionSources(SOURCES, 2))).toEqual([["openstack-tempest", "openstack-rest", "zuul"], ["openstack-devstack", "opendev"]]);
  });

  test("adding a worker spreads the work and keeps the first sources where they were", () => {
    const before = partitionSources(SOURCES, 3);
    const after = partitionSources(SOURCES, 4);
    expect(Math.max(...after.map((w) => w.sources.length))).toBeLessThanOrEqual(Math.max(...before.map((w) => w.sources.length)));
    expect(after.filter((w) => w.sources.length > 0)).toHaveLength(4);
    for (let index = 0; index < 3; index++) {
      expect(after[index].sources[0].source.name).toBe(before[index].sources[0].source.name);
    }
  });

  test("numbers workers from 0 and keeps each source's declared position", () => {
    const workers = partitionSources(SOURCES, 2);
    expect(workers.map((w) => w.worker)).toEqual([0, 1]);
    expect(workers[1].sources.map((s) => s.index)).toEqual([1, 3]);
  });

  test("excludes the filters of earlier sources of the same tenant, so their jobs are disjoint", () => {
    const assigned = partitionSources(SOURCES, 5).flatMap((w) => w.sources);
    const byName = Object.fromEntries(assigned.map((a) => [a.source.name, a.excludeJobFilters]));
    expect(byName).toEqual({
      "openstack-tempest": [],
      "openstack-devstack": ["^tempest-"],
      "openstack-rest": ["^tempest-", "devstack"],
      opendev: [],
      zuul: [],
    });
  });

  test("a job goes to exactly one source of its tenant (first match wins)", () => {
    const assigned = partitionSources(SOURCES, 5).flatMap((w) => w.sources).filter((a) => a.source.tenant === "openstack");
    const takes = (a: (typeof assigned)[number], job: string) =>
      (a.source.job_filter === undefined || new RegExp(a.source.job_filter).test(job)) && !a.excludeJobFilters.some((f) => new RegExp(f).test(job));
    for (const job of ["tempest-full-py3", "devstack-platform-ubuntu-noble", "tempest-devstack-mix", "nova-next", "openstack-tox-py312"]) {
      expect([job, assigned.filter((a) => takes(a, job)).length]).toEqual([job, 1]);
    }
  });

  test("one worker takes every source", () => {
    expect(names(partitionSources(SOURCES, 1))).toEqual([SOURCES.map((s) => s.name)]);
  });

  test("fails listing every problem", () => {
    expect(() => partitionSources([source("a", "x"), source("a", "x")], 3)).toThrow(/^The ingestion sources have 3 problem\(s\):\n {2}sources\[1\] "a": duplicates/);
  });
});

describe("validateSources", () => {
  test("accepts a sound split", () => {
    expect(validateSources(SOURCES, 5)).toEqual([]);
  });

  test("fails on a worker with nothing to do", () => {
    expect(validateSources(SOURCES, 7)).toEqual([
      "7 workers for 5 source(s): workers 5..6 (0-based) would have nothing to do; lower the worker count to 5, or split a tenant into more sources with job_filter",
    ]);
  });

  test("fails on duplicate source names", () => {
    expect(validateSources([source("dup", "openstack"), source("dup", "zuul")], 2)).toEqual(['sources[1] "dup": duplicates the name of sources[0]; names must be unique']);
  });

  test("fails on two sources of the same tenant without job filters", () => {
    expect(validateSources([source("one", "openstack"), source("two", "openstack")], 2)).toEqual([
      expect.stringMatching(/^sources\[1\] "two": overlaps sources\[0\] "one", which takes every job of https:\/\/zuul.opendev.org\/api\/tenant\/openstack left by the sources before it/),
    ]);
  });

  test("fails on a filtered source after the tenant's catch-all source", () => {
    expect(validateSources([source("rest", "openstack"), source("tempest", "openstack", "^tempest-")], 2)).toEqual([
      expect.stringContaining('sources[1] "tempest": overlaps sources[0] "rest"'),
    ]);
  });

  test("fails on two sources of the same tenant with the same job filter", () => {
    expect(validateSources([source("a", "openstack", "^nova-"), source("b", "openstack", "^nova-")], 2)).toEqual([
      'sources[1] "b": has the same job_filter as sources[0] "a" on https://zuul.opendev.org/api/tenant/openstack, so it would get nothing',
    ]);
  });

  test("fails on a bad regex", () => {
    expect(validateSources([source("a", "openstack", "tempest-(")], 1)).toEqual([
      expect.stringMatching(/^sources\[0\] "a": job_filter "tempest-\(": is not a valid regular expression/),
    ]);
  });

  test("fails on a regex that Python reads differently", () => {
    expect(validateSources([source("a", "openstack", "(?<kind>tempest)-")], 1)).toEqual([expect.stringContaining("uses named groups")]);
  });

  test("fails on a filter that matches every job", () => {
    expect(validateSources([source("a", "openstack", ".*")], 1)).toEqual([expect.stringContaining("matches the empty string, so it matches every job")]);
  });

  test("fails on a tenant that differs from the URL's", () => {
    expect(validateSources([{ name: "a", tenant: "zuul", zuul_api_url: `${OPENDEV}/openstack` }], 1)).toEqual([
      'sources[0] "a": tenant "zuul" differs from the tenant of zuul_api_url ("openstack"); logscraper uses the URL\'s',
    ]);
  });

  test("fails on a URL that is not a tenant API", () => {
    expect(validateSources([{ name: "a", tenant: "openstack", zuul_api_url: "https://zuul.opendev.org/t/openstack" }], 1)).toEqual([
      'sources[0] "a": zuul_api_url "https://zuul.opendev.org/t/openstack" is not of the form https://<host>/api/tenant/<tenant>',
    ]);
  });

  test("fails on a name that cannot name a unit", () => {
    expect(validateSources([source("Open Stack", "openstack")], 1)).toEqual([expect.stringContaining('sources[0] "Open Stack": name must be 1-32 lowercase letters')]);
  });

  test("fails on no sources and on a worker count below 1", () => {
    expect(validateSources([], 0)).toEqual(["worker count: got 0; expected a whole number of at least 1", "no sources: give at least one Zuul tenant to follow"]);
  });
});
