/**
 * How logscraper and logsender read their configuration file, for tests: the `[DEFAULT]` section
 * as Python's configparser reads it (`=` or `:` between key and value, whole-line `#`/`;`
 * comments, `%%` for `%`), then each non-empty value through a small `ast.literal_eval` (strings,
 * integers, True/False/None and lists of them); a value that is no literal stays a string.
 * Where python3 is installed, readWithPython does the same with the real modules.
 */
import { spawnSync } from "node:child_process";
import { findExecutable } from "./validators";

export type PyValue = string | number | boolean | null | PyValue[];

/** The `[DEFAULT]` values of an INI text; fails on what configparser would reject. */
export function readIniDefaults(text: string): Record<string, PyValue> {
  const raw: Record<string, string> = {};
  let section: string | undefined;
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "" || /^\s*[#;]/.test(line)) continue;
    if (/^\s/.test(line)) throw new Error(`line ${index + 1}: a continuation line; a value spans lines: ${JSON.stringify(line)}`);
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    if (section === undefined) throw new Error(`line ${index + 1}: a key before any section header`);
    const pair = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!pair) throw new Error(`line ${index + 1}: not "key = value": ${JSON.stringify(line)}`);
    if (section !== "DEFAULT") continue;
    const key = pair[1].toLowerCase();
    if (key in raw) throw new Error(`line ${index + 1}: ${key} is given twice (configparser fails on this)`);
    raw[key] = interpolate(pair[2].trimEnd(), index + 1);
  }
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, value === "" ? "" : literalEval(value)]));
}

function interpolate(value: string, line: number): string {
  return value.replace(/%(.|$)/g, (_match, next: string) => {
    if (next === "%") return "%";
    throw new Error(`line ${line}: "%" not followed by "%" or "(": configparser's interpolation fails on ${JSON.stringify(value)}`);
  });
}

/** A small ast.literal_eval; returns the text itself where Python's would raise. */
export function literalEval(text: string): PyValue {
  try {
    const parser = new LiteralParser(text);
    const value = parser.value();
    parser.end();
    return value;
  } catch {
    return text;
  }
}

class LiteralParser {
  private position = 0;
  constructor(private readonly text: string) {}

  value(): PyValue {
    this.spaces();
    const rest = this.text.slice(this.position);
    const word = /^(True|False|None)\b/.exec(rest);
    if (word) {
      this.position += word[1].length;
      return word[1] === "None" ? null : word[1] === "True";
    }
    const number = /^-?(0|[1-9][0-9_]*)(?![0-9A-Za-z.])/.exec(rest);
    if (number) {
      this.position += number[0].length;
      return Number(number[0].replace(/_/g, ""));
    }
    if (rest.startsWith("'") || rest.startsWith('"')) return this.string();
    if (rest.startsWith("[")) return this.list();
    throw new Error("not a literal");
  }

  end(): void {
    this.spaces();
    if (this.position !== this.text.length) throw new Error("trailing text");
  }

  private spaces(): void {
    while (this.text[this.position] === " " || this.text[this.position] === "\t") this.position++;
  }

  private list(): PyValue[] {
    this.position++;
    const items: PyValue[] = [];
    for (;;) {
      this.spaces();
      if (this.text[this.position] === "]") {
        this.position++;
        return items;
      }
      items.push(this.value());
      this.spaces();
      if (this.text[this.position] === ",") this.position++;
      else if (this.text[this.position] !== "]") throw new Error("expected , or ]");
    }
  }

  private string(): string {
    const quote = this.text[this.position++];
    let out = "";
    for (;;) {
      const char = this.text[this.position++];
      if (char === undefined) throw new Error("unterminated string");
      if (char === quote) return out;
      if (char !== "\\") {
        out += char;
        continue;
      }
      const escape = this.text[this.position++];
      const hex = (length: number) => {
        const digits = this.text.slice(this.position, this.position + length);
        if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(digits)) throw new Error("bad escape");
        this.position += length;
        return String.fromCodePoint(parseInt(digits, 16));
      };
      if (escape === "x") out += hex(2);
      else if (escape === "u") out += hex(4);
      else if (escape === "U") out += hex(8);
      else if (escape === "n") out += "\n";
      else if (escape === "t") out += "\t";
      else if (escape === "\\" || escape === "'" || escape === '"') out += escape;
      else out += `\\${escape}`;
    }
  }
}

export const PYTHON3 = findExecutable("python3");

/**
 * The `[DEFAULT]` values as Python itself reads them, with logscraper's steps (configparser with
 * delimiters "=" and ":", dict() of the section, literal_eval of non-empty values), as JSON.
 */
export function readWithPython(text: string): Record<string, PyValue> {
  if (!PYTHON3) throw new Error("python3 not found");
  const program = [
    "import ast, configparser, json, sys",
    "parser = configparser.ConfigParser(delimiters=('=', ':'))",
    "parser.read_string(sys.stdin.read())",
    "out = {}",
    "for key, raw in dict(parser['DEFAULT']).items():",
    "    try:",
    "        out[key] = ast.literal_eval(raw) if raw else raw",
    "    except (SyntaxError, ValueError):",
    "        out[key] = raw",
    "print(json.dumps(out))",
  ].join("\n");
  const result = spawnSync(PYTHON3, ["-c", program], { input: text, encoding: "utf8", timeout: 30_000 });
  if (result.status !== 0) throw new Error(`python3 could not read the file: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, PyValue>;
}
