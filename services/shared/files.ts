import * as fs from "node:fs";
import * as path from "node:path";
import type { Logger } from "./log";

/**
 * Replaces `file` with `text` so that a reader sees the old or the new content, never a part:
 * written to a temporary file in the same folder, flushed, then renamed over it.
 */
export function writeAtomically(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(temporary, "w", 0o644);
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temporary, file);
}

/**
 * A service's JSON state file, checked by `check` (which throws saying what is wrong); undefined
 * when there is none yet. An unreadable one is kept aside (`<file>.unreadable-<time>`) and logged,
 * and the service starts afresh: a bad file never stops it.
 */
export function readStateFile<T>(file: string, log: Logger, check: (data: unknown) => T, afresh: string): T | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return check(JSON.parse(text));
  } catch (error) {
    const aside = `${file}.unreadable-${Date.now()}`;
    fs.renameSync(file, aside);
    log.log("error", `the state file was unreadable; kept it aside and started afresh (${afresh})`, { file, keptAs: aside, error: (error as Error).message });
    return undefined;
  }
}
