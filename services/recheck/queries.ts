/**
 * The bug query files on the server, read afresh for every classification so that a changed
 * folder applies without a restart. A file the bot cannot use is reported by name (once per
 * problem) and left out; the other queries still run.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseQueryFile, type BugQuery } from "../../lib/queries/bug-query";
import type { Logger } from "../shared/log";

export interface QueryFolder {
  readonly queries: readonly BugQuery[];
  /** File → what is wrong with it. */
  readonly problems: ReadonlyMap<string, string>;
}

export class QueryLoader {
  private reported = new Set<string>();

  constructor(private readonly folder: string, private readonly log: Logger) {}

  load(): QueryFolder {
    const queries: BugQuery[] = [];
    const problems = new Map<string, string>();
    let entries: string[];
    try {
      entries = fs.readdirSync(this.folder).filter((entry) => entry.endsWith(".yaml")).sort();
    } catch (error) {
      problems.set(this.folder, `cannot read the queries folder: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      entries = [];
    }
    for (const entry of entries) {
      const file = path.join(this.folder, entry);
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch (error) {
        problems.set(file, `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
        continue;
      }
      const parsed = parseQueryFile(file, text);
      if ("problem" in parsed) problems.set(file, parsed.problem);
      else queries.push(parsed);
    }
    const now = new Set<string>();
    for (const [file, problem] of problems) {
      const key = `${file}: ${problem}`;
      now.add(key);
      if (!this.reported.has(key)) this.log.log("error", "a query file cannot be used; the other queries still run", { file, problem });
    }
    this.reported = now;
    return { queries, problems };
  }
}
