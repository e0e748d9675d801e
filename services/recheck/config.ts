/**
 * Reads the recheck service's settings file and credentials at start (services/shared/settings.ts).
 */
import { CREDENTIAL_NAMES, type RecheckServiceConfig } from "../../lib/recheck/service-config";
import { checkSetting, credentialFile as sharedCredentialFile, readSettingsFile, requiredCredential as sharedRequiredCredential, StartError } from "../shared/settings";

export function readConfig(file: string): RecheckServiceConfig {
  const data = readSettingsFile(file);
  for (const [setting, expected] of [
    ["gerrit.host", "string"], ["gerrit.port", "number"], ["gerrit.user", "string"], ["gerrit.knownHostsFile", "string"], ["gerrit.comment", "boolean"],
    ["ciUsername", "string"], ["jobsRe", "string"], ["tenants", "string[]"], ["search.urls", "string[]"], ["search.indexPattern", "string"], ["queriesDir", "string"],
    ["logsUrl", "string"], ["dashboardUrl", "string"], ["wait.pollSeconds", "number"], ["wait.timeoutSeconds", "number"],
    ["dashboard.intervalSeconds", "number"], ["dashboard.days", "number"], ["dashboard.uncategorizedHours", "number"], ["healthPort", "number"],
    ["suggestions.baselineDays", "number"], ["suggestions.minBuilds", "number"], ["suggestions.maxSuggestions", "number"],
  ] as const) checkSetting(file, data, setting, expected);
  checkSetting(file, data, "search.username", "string", true);
  checkSetting(file, data, "search.caFile", "string", true);
  checkSetting(file, data, "irc", "object", true);
  checkSetting(file, data, "alerts", "object", true);
  checkSetting(file, data, "suggestions.ircMinBuilds", "number", true);
  const config = data as RecheckServiceConfig;
  try {
    new RegExp(config.jobsRe);
  } catch (error) {
    throw new StartError(`${file}: jobsRe: ${(error as Error).message}`);
  }
  if (config.irc) for (const setting of ["server", "nick"]) checkSetting(file, data, `irc.${setting}`, "string");
  if (config.alerts) {
    checkSetting(file, data, "alerts.port", "number");
    checkSetting(file, data, "alerts.channel", "string");
    if (!config.irc) throw new StartError(`${file}: alerts: the alerts are said on the bot's IRC connection; expected irc too`);
  }
  if (config.suggestions.ircMinBuilds !== undefined && !config.irc) {
    throw new StartError(`${file}: suggestions.ircMinBuilds: got ${config.suggestions.ircMinBuilds}; the suggestions are said on the bot's IRC connection; expected irc too`);
  }
  return config;
}

/** The file of one of the service's credentials (LoadCredential=), if systemd put it there. */
export function credentialFile(name: keyof typeof CREDENTIAL_NAMES, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return sharedCredentialFile(CREDENTIAL_NAMES[name], env);
}

export function requiredCredential(name: keyof typeof CREDENTIAL_NAMES, env: NodeJS.ProcessEnv = process.env): string {
  return sharedRequiredCredential(CREDENTIAL_NAMES[name], env);
}
