/**
 * What the services (services/recheck, services/ingestion) read at start: their settings file,
 * written by the stack, and their secrets, which systemd hands over as credentials
 * (LoadCredential=, files in $CREDENTIALS_DIRECTORY). A problem is a StartError: the service ends
 * with one line naming the file and the setting, never a stack trace (systemd restarts it, and the
 * journal shows the line).
 */
import * as fs from "node:fs";
import * as path from "node:path";

export class StartError extends Error {}

export type Expected = "string" | "number" | "boolean" | "object" | "string[]" | "object[]";

/** The settings file as JSON. */
export function readSettingsFile(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new StartError(`${file}: cannot read the settings: ${(error as Error).message}`);
  }
}

function describe(expected: Expected): string {
  if (expected === "string[]") return "a list of strings";
  if (expected === "object[]") return "a list of objects";
  return `a ${expected === "string" ? "non-empty string" : expected}`;
}

/** Fails unless the setting at the dotted path is of the expected kind (absent is fine when optional). */
export function checkSetting(file: string, data: unknown, settingPath: string, expected: Expected, optional = false): void {
  let value: unknown = data;
  for (const key of settingPath.split(".")) value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  if (value === undefined && optional) return;
  const isObject = (item: unknown) => typeof item === "object" && item !== null && !Array.isArray(item);
  const ok = expected === "string[]" ? Array.isArray(value) && value.every((item) => typeof item === "string")
    : expected === "object[]" ? Array.isArray(value) && value.every(isObject)
    : expected === "object" ? isObject(value)
    : typeof value === expected && (expected !== "string" || value !== "") && (expected !== "number" || Number.isFinite(value));
  if (!ok) throw new StartError(`${file}: ${settingPath}: got ${JSON.stringify(value) ?? "nothing"}; expected ${describe(expected)}`);
}

/** The file of a credential systemd put in $CREDENTIALS_DIRECTORY, if it is there. */
export function credentialFile(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.CREDENTIALS_DIRECTORY;
  if (!dir) return undefined;
  const file = path.join(dir, name);
  return fs.existsSync(file) ? file : undefined;
}

export function requiredCredential(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const file = credentialFile(name, env);
  if (file === undefined) {
    throw new StartError(`credential ${name} not found in $CREDENTIALS_DIRECTORY (${env.CREDENTIALS_DIRECTORY ?? "unset"}); expected the unit's LoadCredential=${name}:<file>`);
  }
  return file;
}

/** A one-line secret (a password) without its final line break; undefined without a file. */
export function readOptional(file: string | undefined): string | undefined {
  return file === undefined ? undefined : fs.readFileSync(file, "utf8").trim();
}

/** The service's writable folder: the first of systemd's StateDirectory= folders. */
export function stateDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.STATE_DIRECTORY?.split(":")[0];
  if (!dir) throw new StartError("$STATE_DIRECTORY is not set; expected the unit's StateDirectory= (or the variable, when run by hand)");
  return dir;
}
