/**
 * Announcements on IRC over TLS: one connection, the configured channels joined after
 * registration, a line sent to each channel subscribed to the project and the kind of event.
 * Lines wait in a short queue while the connection is (re)established.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { allProjectsChannels, type IrcChannel } from "../../lib/recheck/service-config";
import { errorText, type Logger } from "../shared/log";

export interface IrcOptions {
  readonly server: string;
  readonly port: number;
  readonly nick: string;
  readonly password?: string;
  readonly channels: Readonly<Record<string, IrcChannel>>;
  /** Channels joined besides those, for say() (the monitoring's alerts channel). @default none */
  readonly otherChannels?: readonly string[];
  /** PEM text of a CA to trust. @default the system's */
  readonly ca?: string;
  readonly log: Logger;
}

const MAX_QUEUED = 50;

/** IRC allows 512 bytes per line with the sender's prefix and the channel: the text keeps to this. */
const MAX_LINE_BYTES = 380;

/** One line of text: control characters (IRC formatting, CTCP, line breaks) and runs of spaces become one space, and it is cut to fit. */
export function ircText(text: string): string {
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/[\s\u0000-\u001f\u007f]+/g, " ").trim();
  if (Buffer.byteLength(plain) <= MAX_LINE_BYTES) return plain;
  let cut = plain;
  while (Buffer.byteLength(`${cut}…`) > MAX_LINE_BYTES) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** The channels subscribed to `kind` events of `project` (`openstack/nova` also matches `nova`). */
export function channelsFor(channels: Readonly<Record<string, IrcChannel>>, project: string, kind: "positive" | "negative"): string[] {
  const short = project.split("/").pop();
  return Object.entries(channels)
    .filter(([, channel]) => channel.events.includes(kind) && channel.projects.some((each) => each === "all" || each === project || each === short))
    .map(([name]) => name);
}

export class IrcAnnouncer {
  private socket?: tls.TLSSocket;
  private registered = false;
  private queue: string[] = [];
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private backoffMs = 2000;

  constructor(private readonly options: IrcOptions) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.registered) this.socket?.write("QUIT :stopping\r\n");
    this.socket?.end();
  }

  /** Whether the server has accepted the bot (lines are sent at once, not queued). */
  get connected(): boolean {
    return this.registered;
  }

  announce(project: string, kind: "positive" | "negative", text: string): void {
    for (const channel of channelsFor(this.options.channels, project, kind)) this.say(channel, text);
  }

  /** Says a line in the channels subscribed to `kind` events of every project. */
  announceToAllProjects(kind: "positive" | "negative", text: string): void {
    for (const channel of allProjectsChannels(this.options.channels, kind)) this.say(channel, text);
  }

  /** Says a line in one channel (without #). */
  say(channel: string, text: string): void {
    this.queue.push(`PRIVMSG #${channel} :${text.replace(/[\r\n]+/g, " ")}`);
    this.queue = this.queue.slice(-MAX_QUEUED);
    this.flush();
  }

  private flush(): void {
    if (!this.registered || !this.socket) return;
    for (const line of this.queue) this.socket.write(`${line}\r\n`);
    this.queue = [];
  }

  private connect(): void {
    const { log } = this.options;
    const socket = tls.connect({
      host: this.options.server,
      port: this.options.port,
      // SNI names a host; an address is checked against the certificate without it.
      ...(net.isIP(this.options.server) ? {} : { servername: this.options.server }),
      ...(this.options.ca ? { ca: this.options.ca } : {}),
    });
    this.socket = socket;
    let buffer = "";
    let nick = this.options.nick;
    socket.setEncoding("utf8");
    socket.on("secureConnect", () => {
      if (this.options.password) socket.write(`PASS ${this.options.password}\r\n`);
      socket.write(`NICK ${nick}\r\nUSER ${this.options.nick} 0 * :recheck bot\r\n`);
    });
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\r\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        const prefixless = line.replace(/^:\S+ /, "");
        const [command, ...rest] = prefixless.split(" ");
        if (command === "PING") socket.write(`PONG ${rest.join(" ")}\r\n`);
        else if (command === "001") {
          this.registered = true;
          this.backoffMs = 2000;
          const names = [...new Set([...Object.keys(this.options.channels), ...(this.options.otherChannels ?? [])])].map((name) => `#${name}`);
          if (names.length > 0) socket.write(`JOIN ${names.join(",")}\r\n`);
          log.log("info", "connected to IRC", { server: this.options.server, channels: names });
          this.flush();
        } else if (command === "433" && !this.registered) {
          // Nick in use (often our own previous connection, not yet timed out): take another.
          nick = `${nick}_`;
          socket.write(`NICK ${nick}\r\n`);
        } else if (/^(4|5)\d\d$/.test(command)) {
          log.log("warn", "IRC server refused a command", { reply: prefixless.slice(0, 200) });
        }
      }
    });
    socket.on("error", (error) => log.log("warn", "IRC connection failed", { server: this.options.server, error: errorText(error) }));
    socket.on("close", () => {
      if (this.socket !== socket) return;
      this.registered = false;
      this.socket = undefined;
      if (this.stopped) return;
      this.timer = setTimeout(() => this.connect(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 300_000);
    });
  }
}
