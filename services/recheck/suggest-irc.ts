/**
 * The IRC line of a suggested signature (suggest.ts) that reaches `ircMinBuilds` failed builds:
 * said once per fingerprint, in the channels that hear every project's uncategorized failures
 * (negative events of `projects: [all]`), since a suggestion spans projects. The fingerprints said
 * are kept in the bot's state, so a restart says nothing again; one is forgotten once it has not
 * been suggested for the uncategorized window (its failures have left the list), so the state
 * stays small. A refresh that brings many at once says the first few and sums up the rest.
 * Never a Gerrit comment: a human decides what the bug is.
 */
import { ircText } from "./irc";
import type { StateStore } from "./state";
import type { Suggestion, SuggestionsData } from "./suggest";
import { suggestionAnchor } from "./suggest-page";

export interface SuggestionAnnouncerOptions {
  /** A suggestion in at least this many failed builds is said. */
  readonly minBuilds: number;
  /** The dashboard's base URL, ending in `/`. */
  readonly dashboardUrl: string;
  /** Says one line in the channels of every project's uncategorized failures. */
  readonly say: (text: string) => void;
  readonly state: Pick<StateStore, "announcedSuggestions" | "setAnnouncedSuggestions">;
  /** Suggestions said one by one in one refresh; the rest share one line. @default 3 */
  readonly linesPerRefresh?: number;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** The line of one suggestion: its counts and link first, so that cutting it to IRC's length only shortens the error. */
export function suggestionLine(suggestion: Suggestion, dashboardUrl: string): string {
  const counts = `${plural(suggestion.builds, "failed build")}, ${plural(suggestion.jobs.length, "job")}, ${plural(suggestion.projects.length, "project")}`;
  return ircText(`New suggested signature (${counts}) ${dashboardUrl}suggestions.html#${suggestionAnchor(suggestion.fingerprint)} : ${suggestion.normalized}`);
}

/** The line that sums up the suggestions of a refresh beyond the ones said one by one. */
export function moreSuggestionsLine(count: number, minBuilds: number, dashboardUrl: string): string {
  return ircText(`and ${plural(count, "more new suggested signature")} in ${minBuilds} failed builds or more: ${dashboardUrl}suggestions.html`);
}

export class SuggestionAnnouncer {
  constructor(private readonly options: SuggestionAnnouncerOptions) {}

  /** Says the suggestions of this refresh that crossed the threshold and were not said before; returns how many it announced. */
  announce(data: SuggestionsData): number {
    const { minBuilds, dashboardUrl, state } = this.options;
    const { generatedAt } = data;
    const forgetBefore = Date.parse(generatedAt) - data.windowHours * 3_600_000;
    const announced: Record<string, string> = {};
    for (const [fingerprint, at] of Object.entries(state.announcedSuggestions)) if (Date.parse(at) >= forgetBefore) announced[fingerprint] = at;
    const fresh = data.suggestions.filter((suggestion) => suggestion.builds >= minBuilds && !(suggestion.fingerprint in announced));
    // One said now, or before and still suggested, is kept for another window.
    for (const suggestion of data.suggestions) if (fresh.includes(suggestion) || suggestion.fingerprint in announced) announced[suggestion.fingerprint] = generatedAt;
    // Saved before a line is said: a restart in between loses a line rather than repeating one.
    state.setAnnouncedSuggestions(announced);
    const linesPerRefresh = this.options.linesPerRefresh ?? 3;
    for (const suggestion of fresh.slice(0, linesPerRefresh)) this.options.say(suggestionLine(suggestion, dashboardUrl));
    const rest = fresh.length - linesPerRefresh;
    if (rest > 0) this.options.say(moreSuggestionsLine(rest, minBuilds, dashboardUrl));
    return fresh.length;
  }
}
