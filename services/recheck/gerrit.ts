/**
 * Gerrit over SSH with the system's OpenSSH client: `gerrit stream-events` (one JSON event per
 * line) and `gerrit review`. Only the host key in the known_hosts file is accepted, and the
 * bot's key is read from a file (a systemd credential), so no secret is on a command line.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as readline from "node:readline";
import { errorText, type Logger } from "../shared/log";

export interface GerritConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly knownHostsFile: string;
  readonly keyFile: string;
  /** @default "ssh" on PATH */
  readonly sshBinary?: string;
}

/** A comment-added event as Gerrit's stream-events prints it (the fields the bot reads). */
export interface CommentAddedEvent {
  readonly type: "comment-added";
  readonly author?: { readonly username?: string };
  readonly comment?: string;
  readonly change: { readonly number: number | string; readonly project: string; readonly branch?: string; readonly url?: string; readonly subject?: string };
  readonly patchSet: { readonly number: number | string };
}

function sshArgs(connection: GerritConnection, command: string): string[] {
  const options = {
    BatchMode: "yes",
    StrictHostKeyChecking: "yes",
    UserKnownHostsFile: connection.knownHostsFile,
    GlobalKnownHostsFile: "/dev/null",
    IdentitiesOnly: "yes",
    ConnectTimeout: "30",
    ServerAliveInterval: "15",
    ServerAliveCountMax: "4",
    LogLevel: "ERROR",
  };
  return [
    "-F", "/dev/null",
    ...Object.entries(options).flatMap(([key, value]) => ["-o", `${key}=${value}`]),
    "-i", connection.keyFile,
    "-p", String(connection.port),
    "-l", connection.user,
    connection.host,
    command,
  ];
}

/**
 * Whether OpenSSH can load the bot's key, as `ssh` will: `ssh-keygen -y` reads it and prints its
 * public half, with an empty passphrase (the bot has no one to ask). The reason when it cannot.
 */
export function keyProblem(keyFile: string, sshKeygenBinary = "ssh-keygen"): string | undefined {
  const result = spawnSync(sshKeygenBinary, ["-y", "-P", "", "-f", keyFile], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 10_000 });
  if (result.error) return `${sshKeygenBinary} could not run: ${result.error.message}`;
  return result.status === 0 ? undefined : result.stderr.trim() || `ssh-keygen -y exited with ${result.status}`;
}

/** A word for Gerrit's command line (and a POSIX shell's): single-quoted, `'` as `'\''`. */
export function quoteArgument(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Posts `message` on a change's patchset; rejects with ssh's error output. */
export function review(connection: GerritConnection, change: number | string, patchset: number | string, message: string): Promise<void> {
  const command = `gerrit review ${Number(change)},${Number(patchset)} --message ${quoteArgument(message)}`;
  return new Promise((resolve, reject) => {
    const child = spawn(connection.sshBinary ?? "ssh", sshArgs(connection, command), { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`gerrit review exited with ${code}: ${stderr.trim()}`))));
  });
}

export interface StreamOptions {
  readonly onEvent: (event: Record<string, unknown>) => void;
  readonly log: Logger;
  /** First wait before reconnecting; doubles up to maxBackoffMs. @default 1000 */
  readonly minBackoffMs?: number;
  /** @default 60000 */
  readonly maxBackoffMs?: number;
}

/**
 * Follows `gerrit stream-events` and reconnects when ssh ends, waiting longer after each
 * failure (a connection that lived a minute resets the wait).
 */
export class EventStream {
  private child?: ChildProcess;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private backoffMs: number;
  /** When the current connection started, while ssh runs. */
  connectedSince?: Date;
  lastEventAt?: Date;
  connections = 0;

  constructor(private readonly connection: GerritConnection, private readonly options: StreamOptions) {
    this.backoffMs = options.minBackoffMs ?? 1000;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.child?.kill();
  }

  private connect(): void {
    const { log } = this.options;
    const started = Date.now();
    const child = spawn(this.connection.sshBinary ?? "ssh", sshArgs(this.connection, "gerrit stream-events -s comment-added"), { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.connections += 1;
    this.connectedSince = new Date();
    log.log("info", "connecting to Gerrit's event stream", { host: this.connection.host, port: this.connection.port, user: this.connection.user });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.trim() === "") return;
      let event: unknown;
      try {
        event = JSON.parse(line);
      } catch (error) {
        log.log("warn", "ignored a line of the event stream that is not JSON", { error: errorText(error), line: line.slice(0, 200) });
        return;
      }
      this.lastEventAt = new Date();
      if (typeof event === "object" && event !== null) this.options.onEvent(event as Record<string, unknown>);
    });
    const ended = (reason: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.connectedSince = undefined;
      if (this.stopped) return;
      if (Date.now() - started > 60_000) this.backoffMs = this.options.minBackoffMs ?? 1000;
      log.log("warn", "Gerrit's event stream ended; reconnecting", { reason, ssh: stderr.trim(), retryInMs: this.backoffMs });
      this.timer = setTimeout(() => this.connect(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 60_000);
    };
    child.on("error", (error) => ended(errorText(error)));
    child.on("close", (code, signal) => ended(signal ? `ssh stopped by ${signal}` : `ssh exited with ${code}`));
  }
}
