import { checkedDownloadList, DEFAULT_DOWNLOAD_LIST, validateDownloadList } from "../lib/ingestion/download-list";

describe("download list", () => {
  test("the default list has no problems", () => {
    expect(validateDownloadList(DEFAULT_DOWNLOAD_LIST)).toEqual([]);
  });

  test("the default list covers the console, syslog, tempest and devstack service logs", () => {
    const names = DEFAULT_DOWNLOAD_LIST.map((entry) => entry.name);
    expect(names).toEqual(expect.arrayContaining(["job-output.txt", "controller/logs/syslog.txt", "controller/logs/tempest_log.txt", "controller/logs/screen-n-cpu.txt"]));
    expect(DEFAULT_DOWNLOAD_LIST.find((entry) => entry.name === "controller/logs/screen-q-svc.txt")?.tags).toEqual(["screen", "oslofmt", "devstack", "neutron"]);
  });

  test("gives the settings file a copy of the entries", () => {
    expect(checkedDownloadList(DEFAULT_DOWNLOAD_LIST)).toEqual(DEFAULT_DOWNLOAD_LIST.map((e) => ({ name: e.name, tags: [...e.tags] })));
  });

  test("fails on a list with problems", () => {
    expect(() => checkedDownloadList([{ name: "logs/*.txt", tags: ["x"] }])).toThrow(/^The download list has 1 problem\(s\):\n {2}files\[0\] "logs\/\*\.txt": name looks like a glob/);
  });

  test("fails on a glob", () => {
    expect(validateDownloadList([{ name: "controller/logs/screen-*.txt", tags: ["screen"] }])).toEqual([
      'files[0] "controller/logs/screen-*.txt": name looks like a glob or regex; each name is fetched literally, so list every file by its path',
    ]);
  });

  test("fails on a regex in the style of the historical list", () => {
    expect(validateDownloadList([{ name: "job-output\\.txt", tags: ["console"] }])).toEqual([expect.stringContaining("name looks like a glob or regex")]);
  });

  test("fails on empty tags", () => {
    expect(validateDownloadList([{ name: "job-output.txt", tags: [] }])).toEqual([
      'files[0] "job-output.txt": has no tags; give at least one, such as "console", "screen", "oslofmt" or "syslog"',
    ]);
  });

  test("fails on a malformed or repeated tag", () => {
    expect(validateDownloadList([{ name: "job-output.txt", tags: ["con sole", "x", "x"] }])).toEqual([
      'files[0] "job-output.txt": tag "con sole" is not a word of letters, digits, ".", "_" and "-"',
      'files[0] "job-output.txt": tag "x" is given twice',
    ]);
  });

  test("fails on a duplicate entry", () => {
    expect(validateDownloadList([{ name: "job-output.txt", tags: ["a"] }, { name: "job-output.txt", tags: ["b"] }])).toEqual([
      'files[1] "job-output.txt": duplicates files[0]; remove one (merge their tags)',
    ]);
  });

  test("takes two files with the same base name: their documents differ by log_url", () => {
    expect(validateDownloadList([{ name: "controller/logs/syslog.txt", tags: ["syslog"] }, { name: "compute1/logs/syslog.txt", tags: ["syslog"] }])).toEqual([]);
  });

  test("fails on absolute paths, URLs, '..' and .gz names", () => {
    const problems = validateDownloadList([
      { name: "/etc/passwd", tags: ["a"] },
      { name: "https://example.org/x.txt", tags: ["a"] },
      { name: "logs/../x.txt", tags: ["a"] },
      { name: "logs/y.txt.gz", tags: ["a"] },
    ]);
    expect(problems.map((p) => p.replace(/^files\[\d\] "[^"]*": /, ""))).toEqual([
      "name must be relative to the build's log_url, not absolute",
      "name must be relative to the build's log_url, not absolute",
      'path segment ".." is not a plain file or folder name (letters, digits, ".", "_", "-", "@", "+"; no "." or "..")',
      "name.gz is fetched when name is missing; give the name without .gz",
    ]);
  });

  test("fails on inventory.yaml, which is always read", () => {
    expect(validateDownloadList([{ name: "zuul-info/inventory.yaml", tags: ["a"] }])).toEqual([expect.stringContaining("zuul-info/inventory.yaml is always read")]);
  });

  test("fails on subunit streams and performance.json, which are not log lines", () => {
    const entries = [{ name: "testrepository.subunit", tags: ["subunit"] }, { name: "controller/logs/performance.json", tags: ["performance"] }];
    expect(validateDownloadList(entries)).toEqual([expect.stringContaining("a subunit stream is binary"), expect.stringContaining("performance.json is one JSON document")]);
  });

  test("fails on an empty list", () => {
    expect(validateDownloadList([])).toEqual([expect.stringContaining("the list is empty")]);
  });
});
