/**
 * A ready bug query for an error fingerprint: the longest constant phrase of its normalized text
 * (the longest stretch between placeholders, lib/signatures/normalize.ts) as a `message:"..."`
 * phrase, and the file's tag when the error comes from one file. A stretch is a substring of the
 * log line, so the phrase matches the line's own words in the analysed `message` field; a word cut
 * by a placeholder (`np<n>`, `<n>s`) is left out, since the line's word is the whole of it.
 *
 * It depends on nothing (the recheck service's bundle uses it); the tests hold every query it
 * writes to the project's query checker (lib/queries) and to the real node.
 */
import { PLACEHOLDERS } from "./normalize";

const PLACEHOLDER = new RegExp(PLACEHOLDERS.map((placeholder) => placeholder.replace(/[<>]/g, "\\$&")).join("|"), "g");
/** A word as the standard analyzer keeps it: letters and digits, with inner dots, apostrophes and underscores. */
const WORD = /[\p{L}\p{N}_]+(?:[.'][\p{L}\p{N}_]+)*/gu;
const WORD_CHAR = /[\p{L}\p{N}_.']/u;

/** The stretch's words, without one cut by a placeholder at either end. */
function wholeWords(stretch: string, cutBefore: boolean, cutAfter: boolean): string | undefined {
  let text = stretch;
  if (cutBefore) while (text.length > 0 && WORD_CHAR.test(text[0])) text = text.slice(1);
  if (cutAfter) while (text.length > 0 && WORD_CHAR.test(text.at(-1)!)) text = text.slice(0, -1);
  const words = [...text.matchAll(WORD)];
  if (words.length === 0) return undefined;
  return text.slice(words[0].index, words.at(-1)!.index + words.at(-1)![0].length);
}

const wordCount = (text: string) => [...text.matchAll(WORD)].length;

/** The longest constant phrase (most words, then most characters) of a normalized text; undefined when it has no word. */
export function constantPhrase(normalized: string): string | undefined {
  const stretches: string[] = [];
  let from = 0;
  const cuts: boolean[][] = [];
  for (const match of normalized.matchAll(PLACEHOLDER)) {
    stretches.push(normalized.slice(from, match.index));
    cuts.push([from > 0, true]);
    from = match.index + match[0].length;
  }
  stretches.push(normalized.slice(from));
  cuts.push([from > 0, false]);
  let best: string | undefined;
  stretches.forEach((stretch, index) => {
    const phrase = wholeWords(stretch, cuts[index][0], cuts[index][1]);
    if (phrase === undefined) return;
    if (best === undefined || wordCount(phrase) > wordCount(best) || (wordCount(phrase) === wordCount(best) && phrase.length > best.length)) best = phrase;
  });
  return best;
}

/** A Lucene quoted phrase: only `"` and `\` are special inside the quotes. */
export function quoted(text: string): string {
  return `"${text.replace(/[\\"]/g, "\\$&")}"`;
}

/** The query of a fingerprint: its phrase, and the file's tag when its lines come from one file. */
export function suggestedQuery(phrase: string, file?: string): string {
  return [`message:${quoted(phrase)}`, ...(file !== undefined ? [`tags:${quoted(file)}`] : [])].join(" AND ");
}

/** The `queries/<bug>.yaml` text a reviewer pastes, with what it was suggested from as a comment. */
export function suggestedQueryFile(query: string, comment: string): string {
  const commentLines = comment.split("\n").map((line) => `# ${line}`.trimEnd());
  return `${commentLines.join("\n")}\nquery: '${query.replace(/'/g, "''")}'\n`;
}
