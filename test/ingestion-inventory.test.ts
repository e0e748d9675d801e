/**
 * The node facts the ingestion service reads from zuul-info/inventory.yaml, on files written the
 * way Zuul writes them: by PyYAML itself (block style, `!unsafe` strings, long values wrapped).
 */
import { spawnSync } from "node:child_process";
import { NO_NODE_FACTS, nodeFacts, scalar } from "../services/ingestion/inventory";
import { inventoryYaml } from "./fixtures/ci-logs";
import { describeGated, pythonModuleGate } from "./support/validators";

/** The inventory as PyYAML dumps `inventory` (JSON), with the strings of `unsafe` paths tagged !unsafe as Zuul's dumper does. */
function pyyamlDump(inventory: unknown): string {
  const program = `
import json, sys, yaml
class Unsafe(str): pass
yaml.SafeDumper.add_representer(Unsafe, lambda dumper, value: dumper.represent_scalar("!unsafe", str(value)))
def mark(value):
    if isinstance(value, dict): return {key: mark(item) for key, item in value.items()}
    if isinstance(value, list): return [mark(item) for item in value]
    return Unsafe(value) if isinstance(value, str) else value
sys.stdout.write(yaml.safe_dump(mark(json.load(sys.stdin)), default_flow_style=False))
`;
  const run = spawnSync("python3", ["-c", program], { input: JSON.stringify(inventory), encoding: "utf8" });
  if (run.status !== 0) throw new Error(run.stderr);
  return run.stdout;
}

const node = (cloud: string, region: string, hostId: string, provider: string) => ({
  ansible_host: "10.0.0.5", ansible_port: 22, ansible_user: "zuul",
  nodepool: { az: "nova", cloud, external_id: `${hostId}-ext`, host_id: hostId, interface_ip: "203.0.113.5", label: "ubuntu-noble", node_properties: { spot: false }, provider, region },
});

describeGated(pythonModuleGate("yaml", "python3-yaml"), "node facts of an inventory PyYAML wrote", () => {
  test("reads the host ids, clouds, regions and providers of every node, and the executor", () => {
    const text = pyyamlDump({
      all: {
        hosts: { controller: node("rax", "DFW", "aa11", "rax-dfw"), compute1: node("ovh", "BHS1", "it's \"quoted\"", "ovh-bhs1") },
        vars: {
          zuul: {
            _inheritance_path: ["<Job base branches: None source: opendev/base-jobs/zuul.d/jobs.yaml@master#27>"],
            executor: { hostname: "ze04.opendev.org", log_root: "/var/lib/zuul/builds/x/work/logs" },
            items: [{ change: "912345", project: { name: "openstack/nova", short_name: "nova" } }],
            message: `${"A commit message long enough for PyYAML to wrap it. ".repeat(6)}\nhosts:\n  nodepool: {cloud: fake}`,
            projects: { "opendev.org/openstack/nova": { checkout: "master", required: true } },
          },
        },
      },
      controller: { hosts: { controller: null } },
    });
    expect(text).toContain("!unsafe");
    expect(nodeFacts(text)).toEqual({ hostsId: ["it's \"quoted\"", "aa11"], hostsRegion: ["ovh-BHS1", "rax-DFW"], nodeProvider: ["ovh-bhs1", "rax-dfw"], zuulExecutor: "ze04.opendev.org" });
  });

  test("reads an inventory without nodepool facts (a build without nodes) as none", () => {
    expect(nodeFacts(pyyamlDump({ all: { hosts: {}, vars: { zuul: { job: "noop" } } } }))).toEqual(NO_NODE_FACTS);
  });
});

describe("node facts", () => {
  test("of the tests' own inventory fixture", () => {
    expect(nodeFacts(inventoryYaml("ze01.opendev.org", [{ name: "controller", cloud: "rax", region: "IAD", provider: "rax-iad", hostId: "h1" }]))).toEqual({
      hostsId: ["h1"], hostsRegion: ["rax-IAD"], nodeProvider: ["rax-iad"], zuulExecutor: "ze01.opendev.org",
    });
  });

  test("of a file that is not an inventory: none", () => {
    expect([nodeFacts(""), nodeFacts("<html>404</html>"), nodeFacts("\u0000\ufffd")]).toEqual([NO_NODE_FACTS, NO_NODE_FACTS, NO_NODE_FACTS]);
  });

  test("read scalars as PyYAML writes short ones", () => {
    expect([scalar("rax"), scalar("'it''s'"), scalar('"a\\"b"'), scalar("!unsafe 'x'"), scalar("null"), scalar("~"), scalar("{}"), scalar("x # note")]).toEqual([
      "rax", "it's", 'a"b', "x", undefined, undefined, undefined, "x",
    ]);
  });
});
