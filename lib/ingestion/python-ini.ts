/**
 * logscraper and logsender read their configuration in three steps, each with its own rules:
 * Python's `configparser.ConfigParser(delimiters=("=", ":"))` reads the `[DEFAULT]` section
 * (with its default `%` interpolation), every non-empty value goes through `ast.literal_eval`
 * (a value that is no Python literal stays the raw string), and the result becomes argparse's
 * defaults. A bare value is therefore read by what it looks like: a user name `1234` becomes an
 * integer, a path with `%` breaks interpolation. This module writes every value as the Python
 * literal of what is meant (strings quoted, `%` doubled), so the three steps give it back exactly.
 */

/** A value of a `[DEFAULT]` key: a string, an integer, a boolean or a list of strings. */
export type IniValue = string | number | boolean | readonly string[];

/**
 * A value written verbatim (no literal quoting, `%` still doubled): for a placeholder that a
 * script on the server replaces before the program reads the file.
 */
export interface RawIniValue {
  readonly raw: string;
}

export type IniEntry = readonly [key: string, value: IniValue | RawIniValue | undefined];

const KEY = /^[a-z][a-z0-9_]*$/;

/**
 * The Python literal of `value` as `ast.literal_eval` reads it back: strings in single quotes
 * with `\`, `'` and every character outside printable ASCII escaped (the file is then pure
 * ASCII, whatever locale the service runs in), integers in decimal, `True`/`False`, and lists
 * as `['a', 'b']`. Fails on a newline (a configuration value never needs one) and on a number
 * that is not a safe integer.
 */
export function pythonLiteral(value: IniValue, what = "value"): string {
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`${what}: got ${value}; expected an integer`);
    return String(value);
  }
  if (typeof value === "string") return pythonString(value, what);
  return `[${value.map((item, index) => pythonString(item, `${what}[${index}]`)).join(", ")}]`;
}

function pythonString(value: unknown, what: string): string {
  if (typeof value !== "string") throw new Error(`${what}: got ${JSON.stringify(value)}; expected a string`);
  checkNoNewline(value, what);
  let out = "'";
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === "\\" || char === "'") out += `\\${char}`;
    else if (code >= 0x20 && code < 0x7f) out += char;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return `${out}'`;
}

function checkNoNewline(value: string, what: string): void {
  if (/[\r\n\u2028\u2029\u0085\v\f]/.test(value)) {
    throw new Error(
      `${what}: value ${JSON.stringify(value)} contains a line break; configparser would read the next line as ` +
        "a continuation or a new key. Give the value on one line.",
    );
  }
}

/**
 * Renders `# comment` lines, then `[DEFAULT]` and one `key = value` line per entry whose value
 * is not undefined (an undefined value leaves the program's own default), in the given order.
 * `%` is doubled on every value line, for configparser's interpolation.
 */
export function renderIniDefaults(entries: readonly IniEntry[], comments: readonly string[] = []): string {
  const seen = new Set<string>();
  const lines = comments.map((comment) => {
    checkNoNewline(comment, "comment");
    return comment === "" ? "#" : `# ${comment}`;
  });
  lines.push("[DEFAULT]");
  for (const [key, value] of entries) {
    if (!KEY.test(key)) throw new Error(`configuration key ${JSON.stringify(key)}: keys are lowercase letters, digits and "_"`);
    if (seen.has(key)) throw new Error(`configuration key ${key} is given twice`);
    seen.add(key);
    if (value === undefined) continue;
    let text: string;
    if (typeof value === "object" && "raw" in value) {
      checkNoNewline(value.raw, key);
      if (value.raw.trim() !== value.raw || value.raw === "") throw new Error(`${key}: a raw value must be non-empty without surrounding spaces`);
      text = value.raw;
    } else {
      text = pythonLiteral(value as IniValue, key);
    }
    lines.push(`${key} = ${text.replace(/%/g, "%%")}`);
  }
  return `${lines.join("\n")}\n`;
}
