/**
 * Which log messages are error-like, and their error text: the one definition that the ingestion
 * service runs in JavaScript and the ingest pipeline runs in the cluster (a stage of
 * lib/ingestion/ingest-pipeline.ts, built by errorFieldsStage). An error-like message gets
 * `error_normalized` (its error text, normalized: lib/signatures/normalize.ts) and
 * `error_fingerprint` (a hash of it); other messages get neither.
 *
 * A message is error-like when
 * - its level (the line fields' `loglevel`) is ERROR or CRITICAL, an oslo.log line (also a
 *   devstack journal line's payload, tempest's captured logging): the error text is what follows
 *   the module and the request context (`[req-...]`, `[None req-...]`, `[-]`, `[instance: ...]`),
 *   unless it is a traceback's header or an indented frame or source line (oslo.log writes every
 *   line of a traceback as a line of its own, and its final exception line is error-like);
 * - or it has no level and holds a Python traceback on continuation lines: the final exception
 *   line of its last traceback (the first line that is not indented after `Traceback (most
 *   recent call last):`);
 * - or it has no level and its first line, after a console line's `<time> | ` and `<node> | `
 *   and any indentation, is a Python exception line (`tempest.lib.exceptions.TimeoutException:
 *   ...`: a class name ending in Error, Exception, Failure, Timeout or Fault, then a colon or the
 *   end of the line, as a failed test's traceback prints it into the console), says FAILED (a
 *   tempest test, an ansible task), or starts with `ERROR:`, `Error:` or `[ERROR]` (tox, devstack).
 * WARNING, INFO and DEBUG messages are never error-like. The error text is cut at
 * ERROR_TEXT_MAX_CHARS, at a space when there is one.
 *
 * Both parts are grok patterns over `message` (Oniguruma in the cluster, JavaScript with the `u`
 * flag in the service: grok.ts expands them alike), each in a processor whose `if` lets through
 * only the messages that can match: the level, or one of CONSOLE_KEYWORDS, which every match of
 * the second pattern contains (the service checks the same before running it).
 */
import { expandGrok } from "../ingestion/grok";
import type { PipelineStage, Processor, StageFields } from "../ingestion/ingest-pipeline";
import { ERROR_TEXT_MAX_CHARS, fingerprintOf, FINGERPRINT_HEX_DIGITS, normalizeError, NORMALIZATION_RULES } from "./normalize";

/** The levels whose messages are error-like. */
export const ERROR_LEVELS = ["ERROR", "CRITICAL"] as const;

/** Every message the console pattern matches contains one of these. */
export const CONSOLE_KEYWORDS = ["Traceback (most recent call last):", "FAILED", "[ERROR]", "ERROR:", "Error", "Exception", "Failure", "Timeout", "Fault"] as const;

/**
 * The patterns, on top of the line patterns' definitions (CONSOLE_TIMESTAMP, CI_HOSTNAME,
 * PY_MODULE). Only `[^\n]` and explicit classes: never `.`, `\s` or `$`, which the engines read
 * differently across lines.
 */
export const ERROR_GROK_PATTERNS: Readonly<Record<string, string>> = {
  // Up to the cut, ending before a space (or the line's end); a longer run without spaces is cut hard.
  ERROR_TEXT: `(?:[^\\n]{1,${ERROR_TEXT_MAX_CHARS}}(?![^ \\t\\n])|[^\\n]{${ERROR_TEXT_MAX_CHARS}})`,
  OSLO_CONTEXT: "\\[(?:-|None|req-|instance: )[^\\]\\n]*\\]",
  // The level and module (tempest brackets it), the context, one space, then text that is no frame or header.
  OSLO_ERROR: "\\A[^\\n]*?(?:ERROR|CRITICAL) +\\[?%{PY_MODULE}\\]?(?: %{OSLO_CONTEXT})* (?![ \\t]|%{OSLO_CONTEXT}|%{TRACEBACK})%{ERROR_TEXT:error_normalized}",
  TRACEBACK: "Traceback \\(most recent call last\\):",
  PY_EXCEPTION: "(?:[A-Za-z_][A-Za-z0-9_]*\\.)*[A-Za-z_][A-Za-z0-9_]*(?:Error|Exception|Failure|Timeout|Fault)(?::|(?![^ \\t\\n]))",
  CONSOLE_ERROR_START: "(?:[^\\n]*(?<![A-Za-z])FAILED(?![A-Za-z])|\\[ERROR\\]|ERROR:|Error:|%{PY_EXCEPTION})",
  CONSOLE_ERROR:
    "\\A(?:(?:[^\\n]*\\n)*%{TRACEBACK}\\n(?:[ \\t][^\\n]*\\n)*(?=[A-Za-z_])|(?:%{CONSOLE_TIMESTAMP} \\| )?(?:%{CI_HOSTNAME} \\| )?(?=[ \\t]*%{CONSOLE_ERROR_START}))[ \\t]*%{ERROR_TEXT:error_normalized}",
};

export const OSLO_ERROR_PATTERN = "%{OSLO_ERROR}";
export const CONSOLE_ERROR_PATTERN = "%{CONSOLE_ERROR}";

/** The Painless conditions of the two grok processors. */
export const OSLO_ERROR_CONDITION = ERROR_LEVELS.map((level) => `ctx.loglevel == '${level}'`).join(" || ");
export const CONSOLE_ERROR_CONDITION =
  `ctx.loglevel == null && ctx.message instanceof String && (${CONSOLE_KEYWORDS.map((keyword) => `ctx.message.contains('${keyword}')`).join(" || ")})`;
/** The fingerprint in Painless: `sha1()` hashes the string's UTF-8 bytes, in hex (fingerprintOf). */
export const FINGERPRINT_SCRIPT = `ctx.error_fingerprint = ctx.error_normalized.sha1().substring(0, ${FINGERPRINT_HEX_DIGITS})`;

/** An expanded pattern as JavaScript runs it: `\A` is the start of the text, characters are code points. */
function errorRegExp(pattern: string, definitions: Readonly<Record<string, string>>): RegExp {
  return new RegExp(expandGrok(pattern, definitions).regex.replace(/\\A/g, "^"), "u");
}

/**
 * The stage of the pipeline, given the line patterns' definitions (which its patterns use): the
 * processors, and the same computation for the service.
 */
export function errorFieldsStage(lineDefinitions: Readonly<Record<string, string>>): PipelineStage {
  const definitions = { ...lineDefinitions, ...ERROR_GROK_PATTERNS };
  const oslo = errorRegExp(OSLO_ERROR_PATTERN, definitions);
  const consoleLine = errorRegExp(CONSOLE_ERROR_PATTERN, definitions);
  // One scan for any of the keywords, as the condition's contains() calls check.
  const anyKeyword = new RegExp(CONSOLE_KEYWORDS.map((keyword) => keyword.replace(/[[\]()*.?]/g, "\\$&")).join("|"));
  const grok = (description: string, pattern: string, condition: string): Processor => ({
    grok: { description, field: "message", patterns: [pattern], pattern_definitions: definitions, ignore_missing: true, ignore_failure: true, if: condition },
  });
  const errorText = (message: string, earlier: StageFields): string | undefined => {
    const level = earlier.loglevel;
    if (level !== undefined) return (ERROR_LEVELS as readonly unknown[]).includes(level) ? oslo.exec(message)?.groups?.error_normalized : undefined;
    if (!anyKeyword.test(message)) return undefined;
    return consoleLine.exec(message)?.groups?.error_normalized;
  };
  return {
    name: "error fingerprints",
    fields: ["error_normalized", "error_fingerprint"],
    processors: [
      grok("the error text of an oslo.log ERROR or CRITICAL line", OSLO_ERROR_PATTERN, OSLO_ERROR_CONDITION),
      grok("the error text of a console line or a traceback's final line", CONSOLE_ERROR_PATTERN, CONSOLE_ERROR_CONDITION),
      ...NORMALIZATION_RULES.map((rule): Processor => ({
        gsub: { description: `normalize: ${rule.name}`, field: "error_normalized", pattern: rule.pattern, replacement: rule.placeholder, ignore_missing: true },
      })),
      { script: { description: "the fingerprint of the normalized error text", lang: "painless", source: FINGERPRINT_SCRIPT, if: "ctx.error_normalized != null" } },
    ],
    inService: (message, earlier) => {
      const text = errorText(message, earlier);
      if (text === undefined) return {};
      const normalized = normalizeError(text);
      return { error_normalized: normalized, error_fingerprint: fingerprintOf(normalized) };
    },
  };
}
