/**
 * How every command of scripts/ treats its user, in one place: `--help` (or `-h`) prints the
 * usage and exits 0; a mistake prints one message saying what is wrong and how to fix it and
 * exits non-zero; Ctrl+C or Ctrl+D at a prompt ends the command with a short line. None of these
 * prints a stack trace.
 */

import { parseArgs, type ParseArgsConfig } from "node:util";

/** A mistake in how the command was called (a flag, an argument): exit 2, with a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A problem the user can fix (a file missing, a stack not deployed, a tool absent): the message alone. */
export class CommandError extends Error {
  /** @param exitCode @default 1 */
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "CommandError";
  }
}

export interface CommandIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface Command {
  /** The npm script's name, e.g. `new-cloud`; it starts every error line. */
  readonly name: string;
  /** Printed by --help: how to call the command and what its exit codes mean. */
  readonly usage: string;
  /** The command itself; returns the exit code, or throws UsageError / CommandError. */
  readonly run: (argv: readonly string[], io: CommandIo) => number | Promise<number>;
}

/** node:util's parseArgs on a command's arguments; what it refuses (an unknown flag, a missing value) becomes a UsageError. */
export function parseCommandArgs<T extends Omit<ParseArgsConfig, "args">>(argv: readonly string[], config: T) {
  try {
    return parseArgs({ ...config, args: [...argv] });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A `--timeout <seconds>` flag (per request, at most 10 minutes) in milliseconds; `defaultSeconds` when it is absent. */
export function parseTimeoutMs(value: string | undefined, defaultSeconds: number): number {
  if (value === undefined) return defaultSeconds * 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) {
    throw new UsageError(`--timeout: got ${JSON.stringify(value)}; expected seconds, more than 0 and at most 600`);
  }
  return seconds * 1000;
}

/** Exit code of a command cancelled by its user (as a shell reports Ctrl+C). */
export const CANCELLED_EXIT_CODE = 130;

/** `--help` or `-h` anywhere before a `--` that ends the options. */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === "--help" || arg === "-h");
}

/** Node's readline/promises rejects a pending question with this when the input ends (Ctrl+D) or Ctrl+C closes it. */
function isPromptCancelled(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || (error as NodeJS.ErrnoException).code === "ABORT_ERR");
}

/** Runs the command and turns every way it can end into an exit code and at most a few lines. */
export async function runCommand(command: Command, argv: readonly string[], io: CommandIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${command.name}: ${error.message}`);
      io.err(`Run \`npm run ${command.name} -- --help\` for usage.`);
      return 2;
    }
    if (error instanceof CommandError) {
      io.err(`${command.name}: ${error.message}`);
      return error.exitCode;
    }
    if (isPromptCancelled(error)) {
      io.err(`\n${command.name}: cancelled; nothing was written.`);
      return CANCELLED_EXIT_CODE;
    }
    // A bug, not a user mistake: say so in one line; the stack trace is there for whoever debugs it.
    io.err(`${command.name}: unexpected error: ${(error as Error)?.message ?? String(error)}`);
    if (process.env.DEBUG) io.err((error as Error)?.stack ?? "");
    else io.err("This is a bug; run again with DEBUG=1 for the stack trace and report it.");
    return 1;
  }
}

/** The entry point of a script in scripts/: runs the command on the process's arguments and sets its exit code. */
export function runMain(command: Command): void {
  // A closed pipe (`npm run <command> | head`) ends the output quietly.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
  void runCommand(command, process.argv.slice(2), {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  }).then((code) => {
    process.exitCode = code;
  });
}
