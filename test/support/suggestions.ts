/** Suggested signatures as computeSuggestions returns them (services/recheck/suggest.ts), for the tests of what reads them. */
import type { Suggestion, SuggestionsData } from "../../services/recheck/suggest";

/** A suggestion of `builds` failed builds whose fingerprint and error are named by `name`. */
export function suggestion(name: string, builds: number, overrides: Partial<Suggestion> = {}): Suggestion {
  return {
    fingerprint: `${name}0000000000000000`.slice(0, 16),
    normalized: `nova.compute.manager: Instance <uuid> failed to spawn: ${name} timed out after <n> seconds`,
    builds,
    jobs: ["tempest-full-py3", "nova-next"],
    projects: ["openstack/nova"],
    firstSeen: "2026-12-02T08:00:00.000Z",
    lastSeen: "2026-12-02T11:00:00.000Z",
    example: { message: `ERROR ${name}`, build: "b1" },
    listedBuilds: [],
    ...overrides,
  };
}

/** One refresh's suggestions, generated at `generatedAt` over a 24-hour window. */
export function suggestionsData(suggestions: readonly Suggestion[], generatedAt = "2026-12-02T12:00:00.000Z"): SuggestionsData {
  return { generatedAt, windowHours: 24, baselineDays: 7, minBuilds: 2, failures: 40, fingerprints: 100, checked: 50, partial: [], seconds: 1, suggestions };
}
