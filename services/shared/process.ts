/**
 * How a service process starts and ends under systemd: a StartError (a settings or credential
 * problem) ends it with one line and exit status 2; anything else is a bug, ended with its stack
 * and exit status 1 (systemd restarts it either way, and the journal shows the line). SIGTERM and
 * SIGINT stop it cleanly.
 */
import { errorText, type Logger } from "./log";
import { StartError } from "./settings";

export function runService(name: string, main: (args: readonly string[]) => Promise<void>): void {
  main(process.argv.slice(2)).catch((error: unknown) => {
    if (error instanceof StartError) {
      process.stderr.write(`${name}: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${name}: ${error instanceof Error ? (error.stack ?? errorText(error)) : String(error)}\n`);
    process.exit(1);
  });
}

/** On SIGTERM or SIGINT: logs it, calls `stop`, and exits shortly after (the last log lines get out). */
export function stopOnSignals(log: Logger, stop: () => void): void {
  const onSignal = (signal: string) => {
    log.log("info", "stopping", { signal });
    stop();
    setTimeout(() => process.exit(0), 200).unref();
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
}
