/** The recheck bot's IRC line of a new suggested signature (services/recheck/suggest-irc.ts). */
import { moreSuggestionsLine, SuggestionAnnouncer, suggestionLine } from "../services/recheck/suggest-irc";
import { suggestion, suggestionsData } from "./support/suggestions";

const DASHBOARD = "https://recheck.example.org/elastic-recheck/";

/** An announcer over an in-memory state, and what it said. */
function announcerWith(minBuilds: number, announced: Record<string, string> = {}) {
  const said: string[] = [];
  const state = {
    announced,
    get announcedSuggestions() {
      return this.announced;
    },
    setAnnouncedSuggestions(next: Record<string, string>) {
      this.announced = next;
    },
  };
  return { said, state, announcer: new SuggestionAnnouncer({ minBuilds, dashboardUrl: DASHBOARD, say: (text) => said.push(text), state }) };
}

describe("suggested signatures on IRC", () => {
  test("the line has the counts, the link to the suggestion's row and the normalized error", () => {
    expect(suggestionLine(suggestion("a", 5, { projects: ["openstack/nova", "openstack/neutron"] }), DASHBOARD)).toBe(
      "New suggested signature (5 failed builds, 2 jobs, 2 projects) https://recheck.example.org/elastic-recheck/suggestions.html#fingerprint-a000000000000000 : " +
        "nova.compute.manager: Instance <uuid> failed to spawn: a timed out after <n> seconds",
    );
  });

  test("the line keeps to IRC's length by shortening the error, never the link", () => {
    const line = suggestionLine(suggestion("a", 1, { normalized: `KeyError: ${"é <n> ".repeat(200)}`, jobs: ["tempest-full-py3"] }), DASHBOARD);
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(380);
    expect(line).toMatch(/^New suggested signature \(1 failed build, 1 job, 1 project\) \S+#fingerprint-a000000000000000 : KeyError: é <n> .*…$/);
  });

  test("says a suggestion that reaches the threshold once, and nothing below it", () => {
    const { said, announcer } = announcerWith(5);
    const data = suggestionsData([suggestion("a", 5), suggestion("b", 4)]);
    expect(announcer.announce(data)).toBe(1);
    expect(announcer.announce(suggestionsData([suggestion("a", 6), suggestion("b", 4)], "2026-12-02T12:30:00.000Z"))).toBe(0);
    expect(said).toEqual([suggestionLine(suggestion("a", 5), DASHBOARD)]);
  });

  test("says a suggestion once it grows to the threshold", () => {
    const { said, announcer } = announcerWith(5);
    announcer.announce(suggestionsData([suggestion("b", 4)]));
    announcer.announce(suggestionsData([suggestion("b", 5)], "2026-12-02T12:30:00.000Z"));
    expect(said).toEqual([suggestionLine(suggestion("b", 5), DASHBOARD)]);
  });

  test("says at most three a refresh and sums up the rest in one line", () => {
    const { said, announcer } = announcerWith(2);
    const many = ["a", "b", "c", "d", "e"].map((name) => suggestion(name, 10));
    expect(announcer.announce(suggestionsData(many))).toBe(5);
    expect(said).toEqual([...many.slice(0, 3).map((each) => suggestionLine(each, DASHBOARD)), moreSuggestionsLine(2, 2, DASHBOARD)]);
    expect(said[3]).toBe("and 2 more new suggested signatures in 2 failed builds or more: https://recheck.example.org/elastic-recheck/suggestions.html");
    // The summed-up ones were announced too: the next refresh says nothing.
    expect(announcer.announce(suggestionsData(many, "2026-12-02T12:30:00.000Z"))).toBe(0);
  });

  test("keeps an announced fingerprint while it is suggested and forgets it a window after", () => {
    const { state, announcer } = announcerWith(2, { gone000000000000: "2026-12-01T11:00:00.000Z", kept000000000000: "2026-12-01T11:00:00.000Z", recent0000000000: "2026-12-02T10:00:00.000Z" });
    announcer.announce(suggestionsData([suggestion("kept", 3)]));
    expect(state.announced).toEqual({ kept000000000000: "2026-12-02T12:00:00.000Z", recent0000000000: "2026-12-02T10:00:00.000Z" });
  });
});
