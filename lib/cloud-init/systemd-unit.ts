/**
 * Servers get their systemd units as text written by cloud-init, and systemd reads that text
 * leniently: an unknown key is a warning in the journal, and a newline inside a value silently
 * starts another key. Describing units as typed data and rendering them in one place keeps the
 * format rules (repeated keys, yes/no booleans) out of every construct, and turns the silent
 * cases into an error at synth time instead of a half-configured service on a server.
 */

export type UnitValue = string | number | boolean;

/** Sections in the order they are rendered (`Unit`, `Service`, `Timer`, `Install`, ...); each maps a key to a value or to a list rendered as repeated keys. */
export type UnitSections = Record<string, Record<string, UnitValue | readonly UnitValue[]>>;

const SECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.-]*$/;
const KEY_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * Renders sections as a unit file: `[Section]` headers in the given order, `Key=value` lines, a
 * list as one line per element (an empty string element renders `Key=`, which resets a list
 * setting such as `ExecStart=` in a drop-in), booleans as `yes`/`no`, a blank line between
 * sections and a trailing newline.
 */
export function renderSystemdUnit(sections: UnitSections): string {
  const names = Object.keys(sections);
  if (names.length === 0) throw new Error("a systemd unit needs at least one section, such as [Unit] or [Service]");
  return names.map((section) => renderSection(section, sections[section])).join("\n");
}

function renderSection(section: string, entries: Record<string, UnitValue | readonly UnitValue[]>): string {
  if (!SECTION_NAME.test(section)) {
    throw new Error(`invalid systemd section name ${JSON.stringify(section)}: give it without brackets, such as "Service"`);
  }
  const lines = [`[${section}]`];
  for (const [key, value] of Object.entries(entries)) {
    if (!KEY_NAME.test(key)) {
      throw new Error(`invalid systemd key ${JSON.stringify(key)} in [${section}]: keys are letters, digits, "_" and "-", starting with a letter`);
    }
    const values: readonly UnitValue[] = isList(value) ? value : [value];
    for (const item of values) lines.push(`${key}=${renderValue(section, key, item)}`);
  }
  return lines.join("\n") + "\n";
}

function isList(value: UnitValue | readonly UnitValue[]): value is readonly UnitValue[] {
  return Array.isArray(value);
}

function renderValue(section: string, key: string, value: UnitValue): string {
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`systemd [${section}] ${key}: got ${value}; expected a finite number`);
    return String(value);
  }
  if (typeof value !== "string") {
    throw new Error(`systemd [${section}] ${key}: got ${JSON.stringify(value)}; expected a string, number or boolean`);
  }
  if (/[\r\n]/.test(value)) {
    throw new Error(
      `systemd [${section}] ${key}: value ${JSON.stringify(value)} contains a newline, which would end the value and start ` +
        "another line of the unit; use a list for repeated keys, or a script file for multi-line commands",
    );
  }
  return value;
}

/**
 * For a unit that installs software at boot: an upstream that is down (a mirror, a vendor's
 * repository) gets it started again every 10 minutes, four times at most; then the unit stays
 * failed, named by `systemctl --failed`, rather than leaving a half-configured node silently.
 */
export const INSTALLER_RETRY = {
  Unit: { StartLimitIntervalSec: "12h", StartLimitBurst: 4 },
  Service: { Restart: "on-failure", RestartSec: "10min" },
} as const;

/** apt-get options for installers: retry each download before giving up. */
export const APT_RETRIES = "-o Acquire::Retries=5";
