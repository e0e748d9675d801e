/**
 * The dashboard's `suggestions.html` (and `data/suggestions.json`): the suggested bug signatures
 * (suggest.ts), each with its failed builds, an example line and its log, and the ready query with
 * its hits and the query file to paste. Plain HTML, no script, like the other pages.
 */
import * as path from "node:path";
import { writeAtomically } from "../shared/files";
import { escapeHtml, page } from "./dashboard";
import type { Suggestion, SuggestionsData } from "./suggest";

const link = (url: string | undefined, text: string) => (url ? `<a href="${escapeHtml(url)}">${escapeHtml(text)}</a>` : escapeHtml(text));

/** The id of a suggestion's row, for links to it (the bot's IRC line): its fingerprint is stable across refreshes. */
export const suggestionAnchor = (fingerprint: string) => `fingerprint-${fingerprint}`;

function suggestionRow(suggestion: Suggestion, rank: number): string {
  const { example, query } = suggestion;
  const where = example.file ? `${example.file}${example.line !== undefined ? `:${example.line}` : ""}` : "log";
  const builds = suggestion.listedBuilds.map((build) => link(build.logUrl, build.build.slice(0, 7))).join(" ");
  const queryCell = query
    ? `<code>${escapeHtml(query.text)}</code><br>failed builds: ${query.failedBuilds}, passing builds: ${query.passingBuilds}` +
      `${query.weak ? ' <span class="weak">weak: it also matches passing builds</span>' : ""}<pre>${escapeHtml(query.file)}</pre>`
    : "no constant words to search for";
  return `<tr id="${escapeHtml(suggestionAnchor(suggestion.fingerprint))}"><td>${rank}</td><td>${suggestion.builds}</td><td>${suggestion.jobs.map(escapeHtml).join("<br>")}</td>` +
    `<td>${suggestion.projects.map(escapeHtml).join("<br>")}</td><td>${escapeHtml(suggestion.firstSeen)}<br>${escapeHtml(suggestion.lastSeen)}</td>` +
    `<td><code>${escapeHtml(suggestion.normalized)}</code><br>${link(example.logUrl, where)}: <code>${escapeHtml(example.message.split("\n").at(-1) ?? "")}</code><br>builds: ${builds}</td>` +
    `<td>${queryCell}</td></tr>`;
}

export function renderSuggestionsPage(data: SuggestionsData): string {
  const rows = data.suggestions.map((suggestion, index) => suggestionRow(suggestion, index + 1)).join("\n");
  const partial = data.partial.length > 0 ? `<p class="weak">Partial: ${data.partial.map(escapeHtml).join("; ")}.</p>` : "";
  const body = `<p>Errors that recur across the <a href="uncategorized.html">uncategorized failures</a> of the last ${data.windowHours} hours
(${data.failures} failed builds) and in no passing build of the same job over the last ${data.baselineDays} days, in at least ${data.minBuilds}
failed builds, most first: ${data.fingerprints} error fingerprints, ${data.checked} checked against the passing builds, in ${data.seconds.toFixed(1)} s.
Each has a ready query (its longest constant phrase, and the file when it comes from one), with the builds it matches over the window;
a query that also matches passing builds is weak. Check a query with <code>npm run check-queries</code> after pasting it into
<code>queries/&lt;bug number&gt;.yaml</code>: a human decides what the bug is.</p>
${partial}
<table><thead><tr><th>#</th><th>failed builds</th><th>jobs</th><th>projects</th><th>first / last seen</th><th>error, example line and builds</th><th>ready query</th></tr></thead><tbody>
${rows}
</tbody></table>`;
  return page("Suggested signatures", body, data.generatedAt);
}

/** Writes the page and its JSON into the dashboard's folder, each replaced atomically. */
export function writeSuggestions(dir: string, data: SuggestionsData): void {
  writeAtomically(path.join(dir, "data", "suggestions.json"), `${JSON.stringify(data, null, 1)}\n`);
  writeAtomically(path.join(dir, "suggestions.html"), renderSuggestionsPage(data));
}
