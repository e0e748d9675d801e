/**
 * elastic-recheck's configuration files, in the upstream formats: the INI file its
 * `elastic_recheck/config.py` reads (sections [ircbot], [gerrit], [data_source], [recheckwatch])
 * and the YAML channel file of its IRC bot. On Python 3 the INI file goes through
 * configparser's `%` interpolation, so every `%` is doubled (`index_format` needs it).
 */
import { stringify } from "yaml";

export interface IrcSettings {
  readonly server: string;
  readonly port: number;
  readonly nick: string;
  /** Channel name (without #) → the Launchpad projects announced there and which events. */
  readonly channels: Readonly<Record<string, { readonly projects: readonly string[]; readonly events: readonly ("positive" | "negative")[] }>>;
}

export interface RecheckConfigProps {
  readonly gerritHost: string;
  readonly gerritUser: string;
  /** Path of the bot's Gerrit SSH private key on the server. */
  readonly gerritKeyFile: string;
  /** Folder of the bug query files on the server. */
  readonly queriesDir: string;
  /** Search API URL, credentials of the reader included (a Terraform reference). */
  readonly esUrl: string;
  /** Where people look at the logs (Kibana), for the links the bot and dashboard print. */
  readonly lsUrl: string;
  /** strftime pattern of the daily log indices. */
  readonly indexFormat: string;
  readonly jobsRe: string;
  readonly ciUsername: string;
  /** @default no IRC: the bot runs with --noirc */
  readonly irc?: IrcSettings & { readonly password: string; readonly channelConfigFile: string };
}

type Section = Record<string, string | number>;

function renderIni(sections: Record<string, Section>): string {
  return Object.entries(sections)
    .map(([name, entries]) => {
      const lines = Object.entries(entries).map(([key, value]) => {
        const text = String(value);
        if (text.includes("\n")) throw new Error(`[${name}] ${key}: a value cannot span lines`);
        return `${key} = ${text.replace(/%/g, "%%")}`;
      });
      return [`[${name}]`, ...lines].join("\n");
    })
    .join("\n\n") + "\n";
}

export function renderRecheckConfig(props: RecheckConfigProps): string {
  const sections: Record<string, Section> = {
    gerrit: { host: props.gerritHost, user: props.gerritUser, query_file: props.queriesDir, key: props.gerritKeyFile },
    data_source: { es_url: props.esUrl, ls_url: props.lsUrl, index_format: props.indexFormat },
    recheckwatch: { jobs_re: props.jobsRe, ci_username: props.ciUsername },
  };
  if (props.irc) {
    sections.ircbot = {
      nick: props.irc.nick,
      pass: props.irc.password,
      server: props.irc.server,
      port: props.irc.port,
      channel_config: props.irc.channelConfigFile,
    };
  }
  return renderIni(sections);
}

/** The bot's channel file: where to announce, and the texts of its Gerrit comments. */
export function renderChannelConfig(irc: IrcSettings | undefined, dashboardUrl: string): string {
  return stringify({
    channels: Object.fromEntries(
      Object.entries(irc?.channels ?? {}).map(([channel, settings]) => [channel, { projects: [...settings.projects], events: [...settings.events] }]),
    ),
    messages: {
      found_bug: "I noticed Zuul failed, I think you hit bug(s):\n\n%(bugs)s",
      footer: `For more details on this and other bugs, please see ${dashboardUrl}`,
      recheck_instructions: "If you believe we've correctly identified the failure, feel free to leave a 'recheck' comment to run the tests again.",
      unrecognized: "Some of the tests failed in a way that we did not understand. Please help us classify these issues so that they can be part of Elastic Recheck.",
      no_bugs_found: "I noticed Zuul failed, refer to: https://docs.openstack.org/infra/manual/developers.html#automated-testing",
    },
  });
}
