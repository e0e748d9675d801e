/**
 * Reads the settings file and the credentials at start. A problem ends the process with one
 * line naming the file and the setting, never a stack trace (systemd restarts it, and the
 * journal shows the line).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CREDENTIAL_NAMES, type RecheckServiceConfig } from "../../lib/recheck/service-config";

export class StartError extends Error {}

type Expected = "string" | "number" | "boolean" | "object" | "string[]";

function check(file: string, data: unknown, settingPath: string, expected: Expected, optional = false): void {
  let value: unknown = data;
  for (const key of settingPath.split(".")) value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  if (value === undefined && optional) return;
  const ok = expected === "string[]" ? Array.isArray(value) && value.every((item) => typeof item === "string")
    : expected === "object" ? typeof value === "object" && value !== null && !Array.isArray(value)
    : typeof value === expected && (expected !== "string" || value !== "");
  if (!ok) throw new StartError(`${file}: ${settingPath}: got ${JSON.stringify(value) ?? "nothing"}; expected ${expected === "string[]" ? "a list of strings" : `a ${expected === "string" ? "non-empty string" : expected}`}`);
}

export function readConfig(file: string): RecheckServiceConfig {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new StartError(`${file}: cannot read the settings: ${(error as Error).message}`);
  }
  for (const [setting, expected] of [
    ["gerrit.host", "string"], ["gerrit.port", "number"], ["gerrit.user", "string"], ["gerrit.knownHostsFile", "string"], ["gerrit.comment", "boolean"],
    ["ciUsername", "string"], ["jobsRe", "string"], ["search.urls", "string[]"], ["search.indexPattern", "string"], ["queriesDir", "string"],
    ["logsUrl", "string"], ["dashboardUrl", "string"], ["wait.pollSeconds", "number"], ["wait.timeoutSeconds", "number"],
    ["dashboard.intervalSeconds", "number"], ["dashboard.days", "number"], ["dashboard.uncategorizedHours", "number"], ["healthPort", "number"],
  ] as const) check(file, data, setting, expected);
  check(file, data, "search.username", "string", true);
  check(file, data, "search.caFile", "string", true);
  check(file, data, "irc", "object", true);
  const config = data as RecheckServiceConfig;
  try {
    new RegExp(config.jobsRe);
  } catch (error) {
    throw new StartError(`${file}: jobsRe: ${(error as Error).message}`);
  }
  if (config.irc) for (const setting of ["server", "nick"]) check(file, data, `irc.${setting}`, "string");
  return config;
}

/** The folder systemd put the credentials in (LoadCredential=), and the file of one of them. */
export function credentialFile(name: keyof typeof CREDENTIAL_NAMES, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.CREDENTIALS_DIRECTORY;
  if (!dir) return undefined;
  const file = path.join(dir, CREDENTIAL_NAMES[name]);
  return fs.existsSync(file) ? file : undefined;
}

export function requiredCredential(name: keyof typeof CREDENTIAL_NAMES, env: NodeJS.ProcessEnv = process.env): string {
  const file = credentialFile(name, env);
  if (file === undefined) {
    throw new StartError(`credential ${CREDENTIAL_NAMES[name]} not found in $CREDENTIALS_DIRECTORY (${env.CREDENTIALS_DIRECTORY ?? "unset"}); expected the unit's LoadCredential=${CREDENTIAL_NAMES[name]}:<file>`);
  }
  return file;
}

export function readOptional(file: string | undefined): string | undefined {
  return file === undefined ? undefined : fs.readFileSync(file, "utf8").trim();
}
