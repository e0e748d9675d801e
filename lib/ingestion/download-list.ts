/**
 * The download list tells the ingestion service which files of a build to index (relative to
 * the build's `log_url`) and which tags to put on each of their documents. It keeps the format of
 * ci-log-processing's list (`files:` of `{name, tags}`), so lists written for logscraper work.
 *
 * The service fetches `log_url + name` literally, then `name + ".gz"` when that is missing: a
 * glob or regex, as the historical project-config list used, fetches nothing, so names must be
 * plain paths. Two entries may share a base name (`controller/logs/syslog.txt`,
 * `compute1/logs/syslog.txt`): their documents have the same `filename` and differ by `log_url`.
 * The tags `console`, `oslofmt` and `syslog` say how a file's lines are read (services/ingestion/lines.ts):
 * a `console` line's leading timestamp becomes the document's time and leaves its text.
 * `zuul-info/inventory.yaml` is always read for the build's node facts: the list need not name it.
 */

export interface DownloadListEntry {
  /** Path of the file relative to the build's `log_url`, such as `controller/logs/syslog.txt`; fetched literally (no glob). */
  readonly name: string;
  /** Tags put on every document of the file (the service adds the file's base name). */
  readonly tags: readonly string[];
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
 * `oslofmt`, `syslog`, plus a project tag). Left out: `zuul-info/inventory.yaml` (always read),
 * `testrepository.subunit` and `performance.json` (not log lines), and the `compute1/` copies of
 * controller files (multinode jobs only; add them where they matter).
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

/** The tags that tell how a file's lines are read; a file may have none of them (plain text). */
export const FORMAT_TAGS = ["console", "oslofmt", "syslog"] as const;

/** The list as the ingestion service reads it (its settings file); fails when the list has problems. */
export function checkedDownloadList(entries: readonly DownloadListEntry[]): DownloadListEntry[] {
  const problems = validateDownloadList(entries);
  if (problems.length > 0) {
    throw new Error(`The download list has ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
  return entries.map((entry) => ({ name: entry.name, tags: [...entry.tags] }));
}

/** Every problem of the list, each naming the entry (by position and name) and the fix; empty when the list is fine. */
export function validateDownloadList(entries: readonly DownloadListEntry[]): string[] {
  const problems: string[] = [];
  if (entries.length === 0) problems.push("the list is empty: the workers would index nothing");
  const firstByName = new Map<string, number>();
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
    if (base === "inventory.yaml") {
      problems.push(`${where}: zuul-info/inventory.yaml is always read, for the build's node facts, and is not indexed; remove the entry`);
    }
    if (base.endsWith(".subunit")) {
      problems.push(`${where}: a subunit stream is binary, not log lines; remove the entry`);
    }
    if (base === "performance.json") {
      problems.push(`${where}: devstack's performance.json is one JSON document, not log lines, and would be indexed line by line; remove the entry`);
    }
  });
  return problems;
}

function checkName(name: unknown): string | undefined {
  if (typeof name !== "string" || name === "") return "name must be a non-empty relative path";
  if (name.startsWith("/") || /^[a-z][a-z0-9+.-]*:\/\//i.test(name)) return "name must be relative to the build's log_url, not absolute";
  if (GLOB_OR_REGEX.test(name)) {
    return "name looks like a glob or regex; each name is fetched literally, so list every file by its path";
  }
  if (name.endsWith("/")) return "name is a directory; give a file path";
  const bad = name.split("/").find((segment) => !PATH_SEGMENT.test(segment) || segment === "." || segment === "..");
  if (bad !== undefined) {
    return `path segment ${JSON.stringify(bad)} is not a plain file or folder name (letters, digits, ".", "_", "-", "@", "+"; no "." or "..")`;
  }
  if (name.endsWith(".gz")) return "name.gz is fetched when name is missing; give the name without .gz";
  return undefined;
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
}
