/**
 * The normalized form of an error line, and its fingerprint: the same error in any build,
 * whatever ids, addresses, numbers and times it names. Defined once, here, and run in two places:
 * by the ingestion service in JavaScript (normalizeError, fingerprintOf), and by the cluster's
 * ingest pipeline, as one `gsub` processor per rule (Java's regular expressions) and a script
 * processor for the hash (lib/signatures/error-lines.ts). Each rule's pattern is written in what
 * both engines read alike: no `\s`, `\w` or `\b` (Unicode-aware in one engine, not the other), no
 * `$`, no flags; JavaScript runs it with the `u` flag so that a character is a code point, as in
 * Java. The tests run both on the same lines (the real node's `_ingest/pipeline/_simulate`).
 *
 * The rules run in order, each on what the one before left: dates before times, MAC addresses
 * before times (fa:16:3e:12:34:56), times before IPv6 addresses (10:21:33), uuids before hex,
 * temporary paths and addresses before numbers. A placeholder is never matched by a later
 * rule (none has a digit, a colon or a run of hex letters). What a rule leaves unchanged is the
 * line's own text, so every stretch between placeholders is a substring of the log line: a
 * query's phrase (lib/signatures/query.ts) takes one of those.
 */
import { createHash } from "node:crypto";

export interface NormalizationRule {
  readonly name: string;
  /** A regular expression both Java and JavaScript (with the `u` flag) read alike. */
  readonly pattern: string;
  readonly placeholder: string;
}

/** Not part of a word: the characters a number or an id must not be glued to. */
const NOT_AFTER_WORD = "(?<![A-Za-z0-9_])";
const NOT_BEFORE_WORD = "(?![A-Za-z0-9_])";
const HEX = "[0-9A-Fa-f]";

export const NORMALIZATION_RULES: readonly NormalizationRule[] = [
  // 2024-05-14 10:21:33.123, 2024-05-14T10:21:33Z, with a zone or not.
  { name: "timestamp", pattern: "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?", placeholder: "<time>" },
  // Tue May 14 10:21:33 2024, May 14 10:21:33 (syslog, uwsgi).
  { name: "date", pattern: "(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +[0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]+)?(?: [0-9]{4})?", placeholder: "<time>" },
  { name: "MAC address", pattern: `(?<![0-9A-Za-z_:])${HEX}{2}(?::${HEX}{2}){5}(?![0-9A-Za-z_:])`, placeholder: "<ip>" },
  // 10:21:33, 10:21:33.123456, and durations such as ansible's 0:00:01.234567.
  { name: "time", pattern: `${NOT_AFTER_WORD}[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]+)?${NOT_BEFORE_WORD}`, placeholder: "<time>" },
  { name: "uuid", pattern: `${HEX}{8}-${HEX}{4}-${HEX}{4}-${HEX}{4}-${HEX}{12}`, placeholder: "<uuid>" },
  // /tmp/tmpk2j3h4_x/file.conf, /var/tmp/..., and Python's tempfile names (tmp + 8 characters).
  { name: "temporary path", pattern: "(?:/var)?/tmp/[^ \\t\\n'\",;:)\\]}>]*", placeholder: "<tmp>" },
  { name: "temporary name", pattern: `${NOT_AFTER_WORD}tmp[a-z0-9_]{8}${NOT_BEFORE_WORD}`, placeholder: "<tmp>" },
  // IPv6 addresses: two colons at least, a hex digit somewhere, not "::" alone.
  { name: "IPv6 address", pattern: `(?<![0-9A-Za-z_:.])(?=[0-9A-Fa-f:]*[0-9A-Fa-f])(?:${HEX}{0,4}:){2,7}${HEX}{0,4}(?![0-9A-Za-z_:])`, placeholder: "<ip>" },
  { name: "IPv4 address", pattern: "(?<![0-9.])[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(?![0-9])", placeholder: "<ip>" },
  { name: "hex number", pattern: `${NOT_AFTER_WORD}0x${HEX}+${NOT_BEFORE_WORD}`, placeholder: "<hex>" },
  // Hex ids: 6 or more hex digits, letters and digits both, also after letters (tap6a0c1c2d, instance-0000001a).
  { name: "hex id", pattern: `(?<!${HEX})(?=[A-Fa-f]*[0-9])(?=[0-9]*[A-Fa-f])${HEX}{6,}(?![0-9A-Za-z_])`, placeholder: "<hex>" },
  // Numbers: not glued after a letter (py3, v2.1 and test_2 stay), except runs of 4 digits or more (np0037543210).
  { name: "number", pattern: "(?<![A-Za-z_0-9.])[0-9]+(?:\\.[0-9]+)*|[0-9]{4,}", placeholder: "<n>" },
];

/** An error line's text is cut at this many characters before it is normalized (a keyword is indexed up to 1024). */
export const ERROR_TEXT_MAX_CHARS = 300;
/** The fingerprint: this many hex digits of the SHA-1 of the normalized text (64 bits). */
export const FINGERPRINT_HEX_DIGITS = 16;

const COMPILED = NORMALIZATION_RULES.map((rule) => ({ regex: new RegExp(rule.pattern, "gu"), placeholder: rule.placeholder }));

/** The error text with every rule applied in order. */
export function normalizeError(text: string): string {
  return COMPILED.reduce((normalized, rule) => normalized.replace(rule.regex, rule.placeholder), text);
}

/** The fingerprint of a normalized text, as the pipeline's script computes it (`sha1()` of its UTF-8 bytes, hex). */
export function fingerprintOf(normalized: string): string {
  return createHash("sha1").update(normalized, "utf8").digest("hex").slice(0, FINGERPRINT_HEX_DIGITS);
}

/** The placeholders the rules put in. */
export const PLACEHOLDERS: readonly string[] = [...new Set(NORMALIZATION_RULES.map((rule) => rule.placeholder))];
