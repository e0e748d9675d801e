import { CloudConfigBuilder } from "../lib/cloud-init/cloud-config";
import {
  allGates,
  describeWithTool,
  findExecutable,
  terraformString,
  toolGate,
  validateCloudConfig,
  validateNginxConfig,
  validateShellScripts,
  validateSystemdUnit,
  validateSystemdUnits,
} from "./support/validators";

/** A document with each kind of content the constructs write. */
function exampleBuilder(): CloudConfigBuilder {
  const builder = new CloudConfigBuilder();
  builder.addUser({ name: "default", sshAuthorizedKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFexample admin@example.org"] });
  builder.addUser({ name: "ingest", groups: ["adm"], shell: "/usr/sbin/nologin", system: true, lockPasswd: true });
  builder.addPackages("jq", "python3");
  builder.setPackageUpgrade(true);
  builder.addScript(
    "/usr/local/bin/ingest-once",
    'for file in "${INGEST_DIR:-/srv/ingest}"/*.json; do\n  [ -e "$file" ] || continue\n  jq -c . "$file" >/dev/null\ndone\n',
  );
  builder.addSystemdUnit("ingest.service", {
    Unit: { Description: "Ingest pending files", After: "network-online.target", Wants: "network-online.target" },
    Service: { Type: "oneshot", User: "ingest", ExecStart: "/usr/local/bin/ingest-once" },
  }, { enable: false, start: false });
  builder.addSystemdUnit("ingest.timer", {
    Unit: { Description: "Ingest pending files every 5 minutes" },
    Timer: { OnCalendar: "*:0/5", Persistent: true },
    Install: { WantedBy: "timers.target" },
  });
  builder.addSystemdDropIn("ingest.service", "limits", { Service: { MemoryMax: "2G", LimitNOFILE: 65535 } });
  builder.addRuncmd(["mkdir", "-p", "/srv/ingest"]);
  return builder;
}

describe("toolGate (the decision describeWithTool makes)", () => {
  const missing = "no-such-validator-for-this-test";

  test("runs the tests when the tool is installed", () => {
    expect(toolGate("sh", "dash", {})).toEqual({ run: true });
  });

  test("skips with one line naming the Debian package when the tool is missing outside CI", () => {
    expect(toolGate(missing, "some-package", {})).toEqual({
      run: false,
      skip: `SKIPPED: ${missing} not found; install the Debian package some-package to run these checks`,
    });
  });

  test("fails naming the Debian package when the tool is missing under CI=true", () => {
    expect(toolGate(missing, "some-package", { CI: "true" })).toEqual({
      run: false,
      fail: `${missing} not found, and CI=true requires every validator: install the Debian package some-package`,
    });
  });

  test("allGates runs only when every gate runs, and otherwise fails or skips as the first closed gate says", () => {
    expect(allGates(toolGate("sh", "dash", {}), toolGate("sh", "dash", {}))).toEqual({ run: true });
    expect(allGates(toolGate("sh", "dash", {}), toolGate(missing, "some-package", { CI: "true" }), toolGate("other-missing", "x", {}))).toEqual(
      toolGate(missing, "some-package", { CI: "true" }),
    );
  });

  test("finds programs in the sbin folders, which are not on a Debian user's PATH", () => {
    expect(findExecutable("ldconfig", "/nonexistent")).toMatch(/^\/(usr\/)?sbin\/ldconfig$/);
  });
});

describe("terraformString", () => {
  test("turns $${ and %%{ into what Terraform delivers", () => {
    expect(terraformString('echo "$${HOME}" %%{x} $$${y} 100% $x')).toBe('echo "${HOME}" %{x} $${y} 100% $x');
  });

  test("fails on an interpolation that is still there, naming it", () => {
    expect(() => terraformString("SERIAL=${substr(var.id, 0, 20)}\n")).toThrow(
      "the string still contains the Terraform interpolation ${substr(var.id, 0, 20)}",
    );
  });

  test("fails on a template directive that is still there, naming it", () => {
    expect(() => terraformString("%{if true}x%{endif}")).toThrow("the string still contains the Terraform template directive %{if true}");
  });
});

describeWithTool("cloud-init", "validateCloudConfig (cloud-init schema)", () => {
  test("fails on a schema error", () => {
    expect(validateCloudConfig("#cloud-config\npackages: 5\n")).toEqual(["packages: 5 is not of type 'array'"]);
  });

  test("fails on an unknown top-level key, which cloud-init 22.4 accepts silently", () => {
    expect(validateCloudConfig("#cloud-config\nwrite_file:\n  - {path: /etc/motd, content: hi}\n")).toEqual([
      'unknown top-level key "write_file": no cloud-init 22.4 module reads it, and cloud-init ignores it silently; did you mean "write_files"?',
    ]);
  });

  test("fails on a deprecated key", () => {
    expect(validateCloudConfig("#cloud-config\napt_update: true\n")).toEqual([expect.stringMatching(/^deprecated: apt_update: DEPRECATED/)]);
  });

  test("passes a document built with CloudConfigBuilder (users, packages, a script, units, a drop-in)", () => {
    expect(validateCloudConfig(terraformString(exampleBuilder().render()))).toEqual([]);
  });
});

describeWithTool("shellcheck", "validateShellScript (shellcheck)", () => {
  // One shellcheck run for every script of this block.
  let results: Record<string, string[]>;
  const builderScripts = exampleBuilder().scripts();
  beforeAll(() => {
    results = validateShellScripts({
      good: '#!/bin/bash\nset -euo pipefail\nname="${1:-world}"\necho "hello $name"\n',
      unquoted: "#!/bin/bash\nset -euo pipefail\nname=$1\necho $name\n",
      ...Object.fromEntries(builderScripts.map((file) => [file.path, file.content])),
    });
  });

  test("passes a clean script", () => {
    expect(results.good).toEqual([]);
  });

  test("fails on an unquoted variable (SC2086), naming the script, line and column", () => {
    expect(results.unquoted).toEqual(["unquoted:4:6: note: Double quote to prevent globbing and word splitting. [SC2086]"]);
  });

  test("passes every script of a CloudConfigBuilder document", () => {
    expect(builderScripts.length).toBeGreaterThan(0);
    for (const file of builderScripts) expect({ [file.path]: results[file.path] }).toEqual({ [file.path]: [] });
  });
});

describeWithTool("systemd-analyze", "validateSystemdUnit (systemd-analyze verify)", () => {
  const service = (lines: string) => `[Unit]\nDescription=Test\n\n[Service]\n${lines}\n`;
  // One systemd-analyze run for every unit of this block.
  let results: Record<string, string[]>;
  const builderUnits = exampleBuilder().systemdUnitFiles();
  const builderExecutables = exampleBuilder().scripts().map((file) => file.path);
  beforeAll(() => {
    results = validateSystemdUnits(
      {
        "good.service": service("Type=oneshot\nExecStart=/bin/true"),
        "bogus.service": service("ExecStart=/bin/true\nBogus=1"),
        "missing.service": service("ExecStart=/opt/worker/bin/worker --once"),
        "provided.service": service("ExecStart=/opt/provided/bin/server"),
        "dropped.service": service("ExecStart=/bin/true"),
        "dropped.service.d/override.conf": "[Service]\nBogusToo=1\n",
        "ordered.service": `[Unit]\nDescription=Test\nAfter=no-such-unit.service\nWants=no-such-unit.service\n\n[Service]\nExecStart=/bin/true\n`,
        "requiring.service": `[Unit]\nDescription=Test\nRequires=no-such-unit.service\n\n[Service]\nExecStart=/bin/true\n`,
        "requiring-given.service": `[Unit]\nDescription=Test\nRequires=good.service\nAfter=good.service\n\n[Service]\nExecStart=/bin/true\n`,
        ...builderUnits,
      },
      { providedExecutables: ["/opt/provided/bin/server", ...builderExecutables] },
    );
  });

  test("passes a valid unit", () => {
    expect(results["good.service"]).toEqual([]);
  });

  test("fails on an unknown key, although systemd-analyze exits 0 for it", () => {
    expect(results["bogus.service"]).toEqual(["bogus.service:6: Unknown key 'Bogus' in section [Service], ignoring."]);
  });

  test("fails on an ExecStart program that is missing and not in providedExecutables", () => {
    expect(results["missing.service"]).toEqual(["missing.service: Command /opt/worker/bin/worker is not executable: No such file or directory"]);
  });

  test("passes an ExecStart program that is missing but in providedExecutables", () => {
    expect(results["provided.service"]).toEqual([]);
  });

  test("fails on an unknown key in a drop-in, reported with its unit", () => {
    expect(results["dropped.service"]).toEqual(["dropped.service.d/override.conf:2: Unknown key 'BogusToo' in section [Service], ignoring."]);
  });

  test("passes a unit ordered after and wanting a unit that the test machine lacks", () => {
    expect(results["ordered.service"]).toEqual([]);
  });

  test("fails on a unit requiring a unit that is neither given nor on the test machine", () => {
    expect(results["requiring.service"]).toEqual([
      "requiring.service: Failed to create requiring.service/start: Unit no-such-unit.service not found.",
    ]);
  });

  test("passes a unit requiring another unit given in the same call", () => {
    expect(results["requiring-given.service"]).toEqual([]);
  });

  test("passes every unit and drop-in of a CloudConfigBuilder document", () => {
    const units = Object.keys(builderUnits).filter((name) => !name.includes("/"));
    expect(units).toEqual(["ingest.service", "ingest.timer"]);
    expect(Object.fromEntries(units.map((unit) => [unit, results[unit]]))).toEqual({ "ingest.service": [], "ingest.timer": [] });
  });

  test("validates a single unit with its drop-ins", () => {
    expect(
      validateSystemdUnit("single.service", service("ExecStart=/bin/true"), { providedExecutables: [], dropIns: { "x.conf": "[Service]\nNope=1\n" } }),
    ).toEqual(["single.service.d/x.conf:2: Unknown key 'Nope' in section [Service], ignoring."]);
  });

  test("fails on a drop-in whose unit is not given", () => {
    expect(() => validateSystemdUnits({ "a.service.d/x.conf": "[Service]\n" }, { providedExecutables: [] })).toThrow(
      "a.service.d/x.conf: the drop-in's unit a.service is not given",
    );
  });
});

describeWithTool("nginx", "validateNginxConfig (nginx -t)", () => {
  // Logs and temporary folders inside the prefix, so that the test passes for any user; see validateNginxConfig.
  const main = (server: string) =>
    [
      "worker_processes 1;",
      "events { worker_connections 64; }",
      "http {",
      "  include mime.types;",
      "  access_log logs/access.log;",
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) => `  ${kind}_temp_path ${kind}_temp;`),
      "  include sites/*.conf;",
      "}",
      "",
    ].join("\n") + server;
  const site = 'server {\n  listen 127.0.0.1:8080;\n  location / { return 200 "ok\\n"; }\n}\n';

  test("passes a valid configuration split over included files", () => {
    expect(validateNginxConfig({ "nginx.conf": main(""), "mime.types": "types { text/html html; }\n", "sites/front.conf": site }, "nginx.conf")).toEqual([]);
  });

  test("keeps the configuration's own pid directive", () => {
    expect(validateNginxConfig({ "nginx.conf": `pid logs/own.pid;\n${main("")}`, "mime.types": "types {}\n", "sites/front.conf": site }, "nginx.conf")).toEqual([]);
  });

  test("fails on a syntax error, naming the file and line", () => {
    const broken = site.replace('"ok\\n";', '"ok\\n"');
    expect(validateNginxConfig({ "nginx.conf": main(""), "mime.types": "types { text/html html; }\n", "sites/front.conf": broken }, "nginx.conf")).toEqual([
      '[emerg] unexpected "}" in sites/front.conf:3',
    ]);
  });
});
