import * as fs from "node:fs";
import * as path from "node:path";

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
