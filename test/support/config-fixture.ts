import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const repoRoot = path.join(__dirname, "..", "..");
export const exampleConfigDir = path.join(repoRoot, "config");

/** A private copy of the example config, for a test to break. */
export function copyExampleConfig(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-"));
  fs.cpSync(exampleConfigDir, dir, { recursive: true });
  return dir;
}

/** Replaces `from` by `to` in a file of a config copy; fails when `from` is not there, so a test cannot silently test nothing. */
export function editConfig(dir: string, file: string, from: string | RegExp, to: string): void {
  const full = path.join(dir, file);
  const text = fs.readFileSync(full, "utf8");
  const edited = text.replace(from, to);
  if (edited === text) throw new Error(`${String(from)} not found in ${file}`);
  fs.writeFileSync(full, edited);
}

export function writeConfig(dir: string, file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
}
