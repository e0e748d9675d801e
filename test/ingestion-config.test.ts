import { renderLogscraperConfig, type LogscraperConfigProps } from "../lib/ingestion/logscraper-config";
import { LOGSENDER_PASSWORD_PLACEHOLDER, renderLogsenderConfig, type LogsenderConfigProps } from "../lib/ingestion/logsender-config";
import { pythonLiteral, renderIniDefaults } from "../lib/ingestion/python-ini";
import { describeGated, toolGate } from "./support/validators";
import { literalEval, readIniDefaults, readWithPython } from "./support/ini";

const SCRAPER: LogscraperConfigProps = {
  zuulApiUrls: ["https://zuul.opendev.org/api/tenant/openstack"],
  checkpointFile: "/var/lib/logscraper/openstack.checkpoint",
  fileList: ["/etc/logscraper/download-list.yaml"],
  directory: "/srv/ingestion/openstack",
};

const SENDER: LogsenderConfigProps = {
  host: "10.42.0.48",
  username: "logs-writer",
  directory: "/srv/ingestion/openstack",
  fileList: ["/etc/logscraper/download-list.yaml"],
};

describe("INI values as Python literals", () => {
  test("writes strings, integers, booleans and lists as literals", () => {
    expect([pythonLiteral("a b"), pythonLiteral(12), pythonLiteral(true), pythonLiteral(["x", "y'z"])]).toEqual(["'a b'", "12", "True", "['x', 'y\\'z']"]);
  });

  test("escapes backslashes and non-ASCII characters", () => {
    expect(pythonLiteral("C:\\x é ✓ 😀")).toBe("'C:\\\\x \\xe9 \\u2713 \\U0001f600'");
  });

  test("doubles % for configparser's interpolation", () => {
    expect(renderIniDefaults([["pattern", "100%"]])).toBe("[DEFAULT]\npattern = '100%%'\n");
  });

  test("reads back what was meant, including values that look like other types", () => {
    const text = renderIniDefaults([["user", "1234"], ["flag", "True"], ["empty", ""], ["odd", "a%b'c\\d é"], ["list", ["1", "b"]], ["n", 0]]);
    expect(readIniDefaults(text)).toEqual({ user: "1234", flag: "True", empty: "", odd: "a%b'c\\d é", list: ["1", "b"], n: 0 });
  });

  test("leaves out undefined values", () => {
    expect(renderIniDefaults([["a", undefined], ["b", 1]])).toBe("[DEFAULT]\nb = 1\n");
  });

  test("the test reader keeps a non-literal as text, as literal_eval's caller does", () => {
    expect(literalEval("/tmp/logscraper")).toBe("/tmp/logscraper");
    expect(literalEval("['a', 2, True]")).toEqual(["a", 2, true]);
  });

  test("fails on a value with a newline", () => {
    expect(() => renderIniDefaults([["directory", "/srv/a\nkeep = True"]])).toThrow(
      'directory: value "/srv/a\\nkeep = True" contains a line break; configparser would read the next line as a continuation or a new key',
    );
  });

  test("fails on a newline inside a list element", () => {
    expect(() => pythonLiteral(["ok", "bad\r"], "job_name")).toThrow("job_name[1]: value");
  });

  test("fails on a key given twice", () => {
    expect(() => renderIniDefaults([["a", 1], ["a", 2]])).toThrow("configuration key a is given twice");
  });

  test("fails on a key that is not lowercase snake case", () => {
    expect(() => renderIniDefaults([["Zuul-Api", 1]])).toThrow('configuration key "Zuul-Api": keys are lowercase letters, digits and "_"');
  });

  test("fails on a number that is not an integer", () => {
    expect(() => pythonLiteral(1.5, "workers")).toThrow("workers: got 1.5; expected an integer");
  });
});

describe("logscraper configuration", () => {
  test("writes upstream's keys with the documented defaults", () => {
    expect(readIniDefaults(renderLogscraperConfig(SCRAPER))).toEqual({
      zuul_api_url: ["https://zuul.opendev.org/api/tenant/openstack"],
      follow: true,
      checkpoint_file: "/var/lib/logscraper/openstack.checkpoint",
      workers: 1,
      max_skipped: 1000,
      file_list: ["/etc/logscraper/download-list.yaml"],
      directory: "/srv/ingestion/openstack",
      wait_time: 120,
      insecure: false,
      timeout: 300,
      debug: false,
    });
  });

  test("writes job names, the metrics port and the CA file when given", () => {
    const values = readIniDefaults(renderLogscraperConfig({ ...SCRAPER, jobNames: ["tempest-full-py3", "nova-next"], monitoringPort: 9128, caFile: "/etc/ssl/zuul-ca.pem", workers: 4 }));
    expect(values).toMatchObject({ job_name: ["tempest-full-py3", "nova-next"], monitoring_port: 9128, ca_file: "/etc/ssl/zuul-ca.pem", workers: 4 });
  });

  test("starts with a comment and the [DEFAULT] section", () => {
    expect(renderLogscraperConfig(SCRAPER).split("\n").slice(0, 3)).toEqual([
      "# logscraper configuration (generated; read by Python configparser, values are Python literals)",
      "[DEFAULT]",
      "zuul_api_url = ['https://zuul.opendev.org/api/tenant/openstack']",
    ]);
  });

  test("fails on a Zuul URL that is not a tenant API", () => {
    expect(() => renderLogscraperConfig({ ...SCRAPER, zuulApiUrls: ["https://zuul.opendev.org/t/openstack/"] })).toThrow(
      'logscraper zuul_api_url: got "https://zuul.opendev.org/t/openstack/"; expected https://<host>/api/tenant/<tenant>',
    );
  });

  test("fails on an empty job list, which logscraper reads as every job", () => {
    expect(() => renderLogscraperConfig({ ...SCRAPER, jobNames: [] })).toThrow("logscraper job_name: got an empty list");
  });

  test("fails on a relative directory", () => {
    expect(() => renderLogscraperConfig({ ...SCRAPER, directory: "scratch" })).toThrow('logscraper directory: got "scratch"; expected an absolute path');
  });

  test("fails on zero workers", () => {
    expect(() => renderLogscraperConfig({ ...SCRAPER, workers: 0 })).toThrow("logscraper workers: got 0; expected a whole number of at least 1");
  });

  test("fails on a metrics port out of range", () => {
    expect(() => renderLogscraperConfig({ ...SCRAPER, monitoringPort: 70000 })).toThrow("logscraper monitoring_port: got 70000; expected a TCP port");
  });

  test("fails on insecure together with a CA file", () => {
    expect(() => renderLogscraperConfig({ ...SCRAPER, insecure: true, caFile: "/etc/ca.pem" })).toThrow("logscraper: insecure and caFile are both set");
  });

  test("fails on a newline in a value", () => {
    expect(() => renderLogscraperConfig({ ...SCRAPER, zuulApiUrls: ["https://zuul.opendev.org/api/tenant/openstack\nfollow = False"] })).toThrow(
      "logscraper zuul_api_url",
    );
  });
});

describe("logsender configuration", () => {
  test("writes upstream's keys with the documented defaults and a password placeholder", () => {
    expect(readIniDefaults(renderLogsenderConfig(SENDER))).toEqual({
      host: "10.42.0.48",
      port: 9200,
      username: "logs-writer",
      password: LOGSENDER_PASSWORD_PLACEHOLDER,
      index_prefix: "logstash-",
      performance_index_prefix: "",
      subunit_index_prefix: "",
      chunk_size: 1500,
      skip_debug: true,
      keep: false,
      workers: 1,
      directory: "/srv/ingestion/openstack",
      file_list: ["/etc/logscraper/download-list.yaml"],
      follow: true,
      wait_time: 120,
      insecure: false,
      debug: false,
    });
  });

  test("never writes a password value", () => {
    const text = renderLogsenderConfig(SENDER);
    expect(text).toMatch(/^password = @WRITER_PASSWORD@$/m);
    expect(text.match(/^password/gm)).toHaveLength(1);
  });

  test("writes neither username nor password without a username", () => {
    const values = readIniDefaults(renderLogsenderConfig({ ...SENDER, username: undefined }));
    expect(Object.keys(values)).not.toEqual(expect.arrayContaining(["username"]));
    expect(values.password).toBeUndefined();
  });

  test("writes subpath, CA file and other settings when given", () => {
    const values = readIniDefaults(renderLogsenderConfig({ ...SENDER, port: 443, subpath: "/search", caFile: "/etc/ssl/cluster-ca.pem", workers: 10, skipDebug: false, indexPrefix: "logstash-logs-" }));
    expect(values).toMatchObject({ port: 443, subpath: "/search", ca_file: "/etc/ssl/cluster-ca.pem", workers: 10, skip_debug: false, index_prefix: "logstash-logs-" });
  });

  test("fails on a URL given as host", () => {
    expect(() => renderLogsenderConfig({ ...SENDER, host: "https://10.42.0.48:9200" })).toThrow('logsender host: got "https://10.42.0.48:9200"; expected a host name or address');
  });

  test("fails on an index prefix with capitals", () => {
    expect(() => renderLogsenderConfig({ ...SENDER, indexPrefix: "Logstash-" })).toThrow('logsender index_prefix: got "Logstash-"');
  });

  test("fails on an empty main index prefix", () => {
    expect(() => renderLogsenderConfig({ ...SENDER, indexPrefix: "" })).toThrow('logsender index_prefix: got ""');
  });

  test("fails on an empty file list", () => {
    expect(() => renderLogsenderConfig({ ...SENDER, fileList: [] })).toThrow("logsender file_list is empty");
  });

  test("fails on a chunk size of zero", () => {
    expect(() => renderLogsenderConfig({ ...SENDER, chunkSize: 0 })).toThrow("logsender chunk_size: got 0");
  });
});

describeGated(toolGate("python3", "python3"), "configuration files read by Python's configparser and literal_eval", () => {
  test("logscraper's file gives the same values in Python as in the test reader", () => {
    const text = renderLogscraperConfig({ ...SCRAPER, jobNames: ["a-1"], monitoringPort: 9128 });
    expect(readWithPython(text)).toEqual(readIniDefaults(text));
  });

  test("logsender's file gives the same values in Python as in the test reader", () => {
    const text = renderLogsenderConfig({ ...SENDER, subpath: "/x" });
    expect(readWithPython(text)).toEqual(readIniDefaults(text));
  });

  test("awkward strings survive Python's reading", () => {
    const odd = ["1234", "True", "a%b", "it's", "back\\slash", "é ✓ 😀", "[not, a, list]", "%(x)s", ""];
    const text = renderIniDefaults(odd.map((value, index) => [`k${index}`, value] as const));
    expect(Object.values(readWithPython(text))).toEqual(odd);
  });
});
