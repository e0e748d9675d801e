/**
 * The download list tells logscraper which files of a build to fetch (relative to the build's
 * `log_url`) and tells logsender which tags to put on each line of them. Both programs read it
 * as YAML: `files:` followed by `{name, tags}` entries.
 *
 * Three facts of the upstream code shape the checks below:
 * - logscraper fetches `log_url + name` literally (and `name + ".gz"`): a glob or regex, as the
 *   historical project-config list used, fetches nothing, so names must be plain paths;
 * - it saves every file flat under its base name, so two entries with the same base name
 *   (`controller/logs/syslog.txt`, `compute1/logs/syslog.txt`) overwrite each other;
 * - logsender gives a file the tags of the first entry whose base name the file name ends
 *   with, so an entry whose base name ends with an earlier entry's base name never gets its own
 *   tags.
 * logscraper always fetches `zuul-info/inventory.yaml` itself: the list need not name it.
 */
import { stringify } from "yaml";

export interface DownloadListEntry {
  /** Path of the file relative to the build's `log_url`, such as `controller/logs/syslog.txt`; fetched literally (no glob). */
  readonly name: string;
  /** Tags put on every line of the file (logsender adds the file's base name). */
  readonly tags: readonly string[];
}

export interface DownloadListCheckOptions {
  /**
   * Whether logsender sends `*.subunit` files to a subunit index (`subunit_index_prefix`);
   * without one such a file fails to send and its whole build directory is kept for 12 hours.
   * @default false
   */
  readonly subunitIndex?: boolean;
  /**
   * Whether logsender sends `performance.json` to a performance index
   * (`performance_index_prefix`); without one it is indexed line by line as log text.
   * @default false
   */
  readonly performanceIndex?: boolean;
}

const TAG = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const PATH_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._@+-]*$/;
const GLOB_OR_REGEX = /[*?[\]{}()|^$\\]/;

const devstack = (service: string, project: string): DownloadListEntry => ({
  name: `controller/logs/screen-${service}.txt`,
  tags: ["screen", "oslofmt", "devstack", project],
});

/**
 * The files indexed by default: the console log, the devstack and grenade console logs, the
 * controller's syslog, tempest's log and the devstack service logs (journal extracts named
 * `screen-<service>.txt`), with the tags of the historical lists (`console`, `screen`,
 * `oslofmt`, `syslog`, plus a project tag). Left out on purpose: `zuul-info/inventory.yaml`
 * (always fetched), `testrepository.subunit` and `performance.json` (they go to their own
 * indices, which are off by default), and the `compute1/` copies of controller files (same base
 * name: logscraper would overwrite one with the other).
 */
export const DEFAULT_DOWNLOAD_LIST: readonly DownloadListEntry[] = [
  { name: "job-output.txt", tags: ["console", "console.html"] },
  { name: "controller/logs/devstacklog.txt", tags: ["console", "console.html", "devstack"] },
  { name: "controller/logs/grenade.sh_log.txt", tags: ["console", "console.html", "grenade"] },
  { name: "controller/logs/syslog.txt", tags: ["syslog"] },
  { name: "controller/logs/tempest_log.txt", tags: ["screen", "oslofmt", "tempest", "devstack"] },
  ...["n-api", "n-api-meta", "n-cond-cell1", "n-cpu", "n-novnc-cell1", "n-sch", "n-super-cond"].map((s) => devstack(s, "nova")),
  devstack("placement-api", "placement"),
  ...["q-svc", "q-agt", "q-dhcp", "q-l3", "q-meta", "q-ovn-metadata-agent"].map((s) => devstack(s, "neutron")),
  devstack("keystone", "keystone"),
  ...["c-api", "c-bak", "c-sch", "c-vol"].map((s) => devstack(s, "cinder")),
  devstack("g-api", "glance"),
  devstack("s-proxy", "swift"),
];

/** The list as logscraper and logsender read it (`--file-list`). Fails when the list has problems. */
export function renderDownloadList(entries: readonly DownloadListEntry[], options: DownloadListCheckOptions = {}): string {
  const problems = validateDownloadList(entries, options);
  if (problems.length > 0) {
    throw new Error(`The download list has ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
  const document = { files: entries.map((entry) => ({ name: entry.name, tags: [...entry.tags] })) };
  return `# Files fetched from each build's log_url, and the tags of their lines (generated).\n${stringify(document, { lineWidth: 0 })}`;
}

/** Every problem of the list, each naming the entry (by position and name) and the fix; empty when the list is fine. */
export function validateDownloadList(entries: readonly DownloadListEntry[], options: DownloadListCheckOptions = {}): string[] {
  const problems: string[] = [];
  if (entries.length === 0) problems.push("the list is empty: logscraper would fetch only inventory.yaml and logsender would index nothing");
  const firstByName = new Map<string, number>();
  const firstByBase = new Map<string, number>();
  entries.forEach((entry, index) => {
    const where = `files[${index}] ${JSON.stringify(entry.name)}`;
    const nameProblem = checkName(entry.name);
    if (nameProblem) problems.push(`${where}: ${nameProblem}`);
    if (!Array.isArray(entry.tags) || entry.tags.length === 0) {
      problems.push(`${where}: has no tags; give at least one, such as "console", "screen", "oslofmt" or "syslog"`);
    } else {
      const seenTags = new Set<string>();
      for (const tag of entry.tags) {
        if (typeof tag !== "string" || !TAG.test(tag)) {
          problems.push(`${where}: tag ${JSON.stringify(tag)} is not a word of letters, digits, ".", "_" and "-"`);
        } else if (seenTags.has(tag)) {
          problems.push(`${where}: tag ${JSON.stringify(tag)} is given twice`);
        }
        seenTags.add(tag);
      }
    }
    if (nameProblem) return;

    const earlier = firstByName.get(entry.name);
    if (earlier !== undefined) {
      problems.push(`${where}: duplicates files[${earlier}]; remove one (merge their tags)`);
      return;
    }
    firstByName.set(entry.name, index);

    const base = baseName(entry.name);
    const sameBase = firstByBase.get(base);
    if (sameBase !== undefined) {
      problems.push(
        `${where}: has the base name ${JSON.stringify(base)} of files[${sameBase}] ${JSON.stringify(entries[sameBase].name)}; ` +
          "logscraper saves files flat under their base name, so one would overwrite the other: keep one of them",
      );
    } else {
      for (const [otherBase, otherIndex] of firstByBase) {
        if (base.endsWith(otherBase)) {
          problems.push(
            `${where}: its base name ends with ${JSON.stringify(otherBase)} of files[${otherIndex}], and logsender tags a file ` +
              "after the first entry whose base name it ends with: move this entry before that one",
          );
          break;
        }
      }
      firstByBase.set(base, index);
    }
    if (base === "inventory.yaml") {
      problems.push(`${where}: logscraper always fetches zuul-info/inventory.yaml and logsender reads it as build data; remove the entry`);
    }
    if (base.endsWith(".subunit") && !options.subunitIndex) {
      problems.push(`${where}: logsender sends .subunit files only to a subunit index, which is off; remove the entry or turn the index on`);
    }
    if (base.endsWith("performance.json") && !options.performanceIndex) {
      problems.push(`${where}: without a performance index logsender would index this JSON line by line; remove the entry or turn the index on`);
    }
  });
  return problems;
}

function checkName(name: unknown): string | undefined {
  if (typeof name !== "string" || name === "") return "name must be a non-empty relative path";
  if (name.startsWith("/") || /^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return "name must be relative to the build's log_url, not absolute";
  if (GLOB_OR_REGEX.test(name)) {
    return "name looks like a glob or regex; logscraper fetches each name literally, so list every file by its path";
  }
  if (name.endsWith("/")) return "name is a directory; give a file path";
  const bad = name.split("/").find((segment) => !PATH_SEGMENT.test(segment) || segment === "." || segment === "..");
  if (bad !== undefined) {
    return `path segment ${JSON.stringify(bad)} is not a plain file or folder name (letters, digits, ".", "_", "-", "@", "+"; no "." or "..")`;
  }
  if (name.endsWith(".gz")) return "logscraper fetches name.gz itself; give the name without .gz";
  return undefined;
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}
