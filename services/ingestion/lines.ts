/**
 * How a log file becomes messages, whatever it contains.
 *
 * - Bytes are decoded as UTF-8 with replacement: a byte sequence that is not UTF-8 becomes U+FFFD
 *   and the rest of the line and file are read as usual (Utf8Lines). No byte can lose a file.
 * - A message is a line that starts with a timestamp (oslo.log and console `2024-05-14 10:21:33[.123]`,
 *   ISO 8601 with `T` and a zone, syslog `May 14 10:21:33[.123456]`) and the lines after it that
 *   do not (a traceback's frames, a multi-line request body, a DEBUG dump): one document, with
 *   the time of its first line, as the historical Logstash multiline filter made them. Lines
 *   before the first timestamp are documents of their own, with the build's start time.
 * - A message's first line gives the fields of the line patterns (loglevel, module, pid, syslog_*:
 *   lib/ingestion/ingest-pipeline.ts, lineFields); an error-like message also gets its error
 *   fingerprint (error_normalized, error_fingerprint: lib/signatures/error-lines.ts). A message whose level is DEBUG is dropped
 *   whole, its continuation lines with it, or kept whole: `debugMessages`. A line that only
 *   mentions "DEBUG" is not a DEBUG message.
 * - In a console file (tag `console`), a line's leading `<timestamp> | ` becomes the document's
 *   time and leaves its text; no other line is cut (uwsgi request lines, Open vSwitch's syslog
 *   lines and tables keep every `|`).
 * - A timestamp far outside the build's run (a log quoting an old date, a syslog line without
 *   year read in the wrong year) is not trusted: its message takes the previous message's time.
 * - A message is at most MAX_MESSAGE_LINES lines and MAX_MESSAGE_CHARS characters: a longer run
 *   of continuation lines goes on in a new document (same time, its own line number), and a
 *   single line longer than that is cut, with a note.
 */
import { LINE_FIELDS, PIPELINE_STAGES, serviceFields, type StageFields } from "../../lib/ingestion/ingest-pipeline";
import type { DebugMessages } from "../../lib/ingestion/service-config";

export const MAX_MESSAGE_LINES = 200;
export const MAX_MESSAGE_CHARS = 32_768;
/** How far before a build's start and after its end a line's own time is believed. */
const TRUSTED_BEFORE_MS = 24 * 3600_000;
const TRUSTED_AFTER_MS = 3600_000;

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?/;
const SYSLOG_TIME = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?= )/;
const CONSOLE_PREFIX = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+ \| ?/;

/** Splits a byte stream into lines decoded as UTF-8 with replacement characters; `\r\n` ends a line too. */
export class Utf8Lines {
  private readonly decoder = new TextDecoder("utf-8", { fatal: false });
  private rest = "";

  push(chunk: Uint8Array): string[] {
    const text = this.rest + this.decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    this.rest = lines.pop()!;
    return lines.map(withoutCarriageReturn);
  }

  /** The last line, if the stream did not end with a line break. */
  finish(): string[] {
    const last = this.rest + this.decoder.decode();
    this.rest = "";
    return last === "" ? [] : [withoutCarriageReturn(last)];
  }
}

const withoutCarriageReturn = (line: string) => (line.endsWith("\r") ? line.slice(0, -1) : line);

/** The time at the start of a line (UTC; syslog's year from `yearOf`), or undefined. */
export function lineTime(line: string, yearOf: (month: number) => number): number | undefined {
  const iso = ISO_TIME.exec(line);
  if (iso) {
    const [, year, month, day, hour, minute, second, fraction, zone] = iso;
    const ms = Date.UTC(+year, +month - 1, +day, +hour, +minute, +second, fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0);
    if (!Number.isFinite(ms) || +month < 1 || +month > 12 || +day < 1 || +day > 31) return undefined;
    return ms - zoneOffsetMs(zone);
  }
  const syslog = SYSLOG_TIME.exec(line);
  if (syslog) {
    const [, monthName, day, hour, minute, second, fraction] = syslog;
    const month = MONTHS.indexOf(monthName);
    return Date.UTC(yearOf(month), month, +day, +hour, +minute, +second, fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0);
  }
  return undefined;
}

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone === "Z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

/** The fields of every pipeline stage the service computes itself, for a message (its whole text). */
export function messageFields(text: string): StageFields {
  return serviceFields(text);
}

/** The stages after the line fields, which read the whole message (error fingerprints). */
const WHOLE_MESSAGE_STAGES = PIPELINE_STAGES.filter((stage) => stage !== LINE_FIELDS);

export interface Message {
  /** Line of the file where the message starts (1-based). */
  readonly line: number;
  readonly timeMs: number;
  readonly text: string;
  /** The fields of its first line (the line fields), and of the whole message (error fingerprints). */
  readonly fields: StageFields;
}

export interface MessageOptions {
  /** The file is a console log (tag `console`): `<timestamp> | ` is cut from its lines. */
  readonly console: boolean;
  readonly debugMessages: DebugMessages;
  /** The build's start and end (ms): the time of lines before the first timestamp, and the trusted range. */
  readonly startMs: number;
  readonly endMs: number;
}

/** Groups lines into messages (see the module's comment); feed it every line in order, then call finish(). */
export class MessageReader {
  /** DEBUG messages dropped so far. */
  droppedDebug = 0;
  /** Lines cut at MAX_MESSAGE_CHARS so far. */
  cutLines = 0;
  private lineNumber = 0;
  private current?: { line: number; timeMs: number; parts: string[]; chars: number; fields: StageFields };
  private lastTimeMs: number;
  private readonly yearOf: (month: number) => number;

  constructor(private readonly options: MessageOptions) {
    this.lastTimeMs = options.startMs;
    const start = new Date(options.startMs);
    // A syslog line has no year: the build's, or the one before for December lines of a January build.
    this.yearOf = (month) => (month > start.getUTCMonth() + 1 ? start.getUTCFullYear() - 1 : start.getUTCFullYear());
  }

  /** Takes the next line; returns the messages it completed. */
  push(rawLine: string): Message[] {
    this.lineNumber += 1;
    const line = rawLine.length > MAX_MESSAGE_CHARS ? this.cut(rawLine) : rawLine;
    const time = lineTime(line, this.yearOf);
    const done: Message[] = [];
    if (time === undefined) {
      const current = this.current;
      if (current === undefined) {
        // Before the first dated line: a message of its own.
        if (line.trim() !== "") done.push({ line: this.lineNumber, timeMs: this.lastTimeMs, text: line, fields: {} });
        return done;
      }
      if (current.parts.length >= MAX_MESSAGE_LINES || current.chars + line.length + 1 > MAX_MESSAGE_CHARS) {
        done.push(...this.flush());
        this.current = { line: this.lineNumber, timeMs: current.timeMs, parts: [line], chars: line.length, fields: current.fields };
      } else {
        current.parts.push(line);
        current.chars += line.length + 1;
      }
      return done;
    }
    done.push(...this.flush());
    const trusted = time >= this.options.startMs - TRUSTED_BEFORE_MS && time <= this.options.endMs + TRUSTED_AFTER_MS;
    const timeMs = trusted ? time : this.lastTimeMs;
    this.lastTimeMs = timeMs;
    const text = this.options.console ? line.replace(CONSOLE_PREFIX, "") : line;
    this.current = { line: this.lineNumber, timeMs, parts: [text], chars: text.length, fields: serviceFields(text, [LINE_FIELDS]) };
    return done;
  }

  finish(): Message[] {
    return this.flush();
  }

  /** A message of the service's own after the last line (a note that the file was cut), with the last time. */
  note(text: string): Message {
    this.lineNumber += 1;
    return { line: this.lineNumber, timeMs: this.lastTimeMs, text, fields: {} };
  }

  private flush(): Message[] {
    const current = this.current;
    this.current = undefined;
    if (current === undefined) return [];
    if (current.fields.loglevel === "DEBUG" && this.options.debugMessages === "drop") {
      this.droppedDebug += 1;
      return [];
    }
    const text = current.parts.join("\n");
    return text.trim() === "" ? [] : [{ line: current.line, timeMs: current.timeMs, text, fields: serviceFields(text, WHOLE_MESSAGE_STAGES, current.fields) }];
  }

  private cut(line: string): string {
    this.cutLines += 1;
    const note = ` [ingestion: line cut at ${MAX_MESSAGE_CHARS} characters of ${line.length}]`;
    return line.slice(0, MAX_MESSAGE_CHARS - note.length) + note;
  }
}
