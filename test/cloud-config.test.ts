import { Fn, TerraformStack, TerraformVariable, Testing, Token } from "cdktf";
import { parse } from "yaml";
import { ComputeInstanceV2 } from "../.gen/providers/openstack/compute-instance-v2";
import { CloudConfigBuilder, escapeTerraformTemplate, MAX_USER_DATA_BYTES } from "../lib/cloud-init/cloud-config";
import { terraformString } from "./support/validators";

/** The document as cloud-init reads it: Terraform's unescaping, then YAML 1.1 like PyYAML. */
function delivered(builder: CloudConfigBuilder): Record<string, unknown> {
  return parse(terraformString(builder.render()), { version: "1.1" });
}

const ARMORED_KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGexample\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n";
const SERVICE = { Unit: { Description: "Worker" }, Service: { ExecStart: "/usr/local/bin/worker" }, Install: { WantedBy: "multi-user.target" } };

describe("CloudConfigBuilder: documents", () => {
  test("renders #cloud-config followed by an empty mapping when nothing was added", () => {
    expect(new CloudConfigBuilder().render()).toBe("#cloud-config\n{}\n");
  });

  test("renders top-level keys in a fixed order, whatever the order of the calls", () => {
    const builder = new CloudConfigBuilder();
    builder.addRuncmd(["true"]);
    builder.addPackages("jq");
    builder.setPackageUpgrade(true);
    builder.addAptSource("example", { source: "deb [signed-by=$KEY_FILE] https://apt.example.org stable main", key: ARMORED_KEY });
    builder.addFile({ path: "/etc/motd", content: "hello\n" });
    builder.addUser({ name: "worker" });
    builder.addMount({ device: "LABEL=data", mountPoint: "/srv/data" });
    builder.addFsSetup({ device: "/dev/vdb", filesystem: "ext4" });
    builder.setDiskSetup("/dev/vdb", { layout: true });
    builder.addBootcmd(["true"]);
    expect(Object.keys(delivered(builder))).toEqual([
      "bootcmd", "disk_setup", "fs_setup", "mounts", "users", "write_files", "apt", "package_upgrade", "packages", "runcmd",
    ]);
  });

  test("quotes strings that YAML 1.1 would read as another type", () => {
    const builder = new CloudConfigBuilder();
    builder.addFile({ path: "/etc/flag", content: "yes" });
    builder.addFile({ path: "/etc/mode", content: "0644" });
    const files = delivered(builder).write_files as Record<string, unknown>[];
    expect(files.map((file) => [file.content, file.permissions])).toEqual([["yes", "0644"], ["0644", "0644"]]);
  });

  test("writes no YAML anchors or aliases for values used twice", () => {
    const builder = new CloudConfigBuilder();
    const groups = ["adm", "systemd-journal"];
    builder.addUser({ name: "one", groups });
    builder.addUser({ name: "two", groups });
    const text = builder.render();
    expect(text).not.toMatch(/[&*]a\d/);
    expect((delivered(builder).users as Record<string, unknown>[]).slice(1).map((user) => user.groups)).toEqual([groups, groups]);
  });

  test("keeps long lines on one line", () => {
    const builder = new CloudConfigBuilder();
    const long = `echo ${"x".repeat(300)} done`;
    builder.addRuncmd(["sh", "-c", long]);
    expect(builder.render().split("\n").some((line) => line.includes(long))).toBe(true);
  });

  test("renders the same text every time", () => {
    const builder = new CloudConfigBuilder();
    builder.addSystemdUnit("worker.service", SERVICE);
    builder.addRuncmd(["true"]);
    expect(builder.render()).toBe(builder.render());
  });

  test("fails on a runcmd entry without a program", () => {
    expect(() => new CloudConfigBuilder().addRuncmd([])).toThrow("runcmd: a command needs at least the program to run");
  });
});

describe("CloudConfigBuilder: files", () => {
  test("writes a file as root:root 0644 unless told otherwise", () => {
    const builder = new CloudConfigBuilder();
    builder.addFile({ path: "/etc/motd", content: "hello\n" });
    builder.addFile({ path: "/etc/worker/secret.env", content: "A=1\n", permissions: "0600", owner: "worker:worker", defer: true });
    expect(delivered(builder).write_files).toEqual([
      { path: "/etc/motd", owner: "root:root", permissions: "0644", content: "hello\n" },
      { path: "/etc/worker/secret.env", owner: "worker:worker", permissions: "0600", defer: true, content: "A=1\n" },
    ]);
  });

  test("files() lists every file with the text the server gets", () => {
    const builder = new CloudConfigBuilder();
    builder.addFile({ path: "/etc/profile.d/x.sh", content: "echo ${HOME}\n" });
    expect(builder.files()).toEqual([{ path: "/etc/profile.d/x.sh", content: "echo ${HOME}\n", permissions: "0644", owner: "root:root", defer: false }]);
  });

  test("fails on a path added twice, naming it", () => {
    const builder = new CloudConfigBuilder();
    builder.addFile({ path: "/etc/motd", content: "a" });
    expect(() => builder.addFile({ path: "/etc/motd", content: "b" })).toThrow("write_files already has /etc/motd");
  });

  test("fails on a relative path, naming it", () => {
    expect(() => new CloudConfigBuilder().addFile({ path: "etc/motd", content: "a" })).toThrow('"etc/motd" is a relative path');
  });

  test("fails on a path with a .. segment", () => {
    expect(() => new CloudConfigBuilder().addFile({ path: "/etc/../motd", content: "a" })).toThrow('"/etc/../motd" is not a plain absolute file path');
  });

  test("fails on permissions that are not an octal mode string", () => {
    expect(() => new CloudConfigBuilder().addFile({ path: "/etc/motd", content: "a", permissions: "644" })).toThrow(
      '/etc/motd: permissions "644" is not an octal mode string such as "0644"',
    );
  });

  test("fails on an owner without a group", () => {
    expect(() => new CloudConfigBuilder().addFile({ path: "/etc/motd", content: "a", owner: "root" })).toThrow(
      '/etc/motd: owner "root" is not of the form "user:group"',
    );
  });
});

describe("CloudConfigBuilder: scripts", () => {
  test("writes an executable bash script that stops on the first error", () => {
    const builder = new CloudConfigBuilder();
    builder.addScript("/usr/local/bin/hello", 'echo "hello"\n');
    expect(builder.files()).toEqual([
      expect.objectContaining({ path: "/usr/local/bin/hello", permissions: "0755", content: '#!/bin/bash\nset -euo pipefail\necho "hello"\n' }),
    ]);
  });

  test("scripts() lists the scripts only", () => {
    const builder = new CloudConfigBuilder();
    builder.addFile({ path: "/etc/motd", content: "a" });
    builder.addScript("/usr/local/bin/hello", "true\n");
    expect(builder.scripts().map((file) => file.path)).toEqual(["/usr/local/bin/hello"]);
  });

  test("fails on a body that brings its own shebang", () => {
    expect(() => new CloudConfigBuilder().addScript("/usr/local/bin/x", "#!/bin/sh\ntrue\n")).toThrow(
      "/usr/local/bin/x: give the script body without a shebang",
    );
  });
});

describe("CloudConfigBuilder: systemd", () => {
  test("writes a unit under /etc/systemd/system", () => {
    const builder = new CloudConfigBuilder();
    builder.addSystemdUnit("worker.service", SERVICE);
    expect(builder.files()).toEqual([
      expect.objectContaining({
        path: "/etc/systemd/system/worker.service",
        permissions: "0644",
        content: "[Unit]\nDescription=Worker\n\n[Service]\nExecStart=/usr/local/bin/worker\n\n[Install]\nWantedBy=multi-user.target\n",
      }),
    ]);
  });

  test("writes a drop-in under /etc/systemd/system/<unit>.d/", () => {
    const builder = new CloudConfigBuilder();
    builder.addSystemdDropIn("elasticsearch.service", "heap", { Service: { Environment: "ES_JAVA_OPTS=-Xms30g -Xmx30g" } });
    expect(builder.files()).toEqual([
      expect.objectContaining({ path: "/etc/systemd/system/elasticsearch.service.d/heap.conf", content: "[Service]\nEnvironment=ES_JAVA_OPTS=-Xms30g -Xmx30g\n" }),
    ]);
  });

  test("systemdUnitFiles() gives units and drop-ins by their path under /etc/systemd/system", () => {
    const builder = new CloudConfigBuilder();
    builder.addSystemdUnit("worker.service", SERVICE);
    builder.addSystemdDropIn("worker.service", "limits", { Service: { LimitNOFILE: 65535 } });
    expect(Object.keys(builder.systemdUnitFiles())).toEqual(["worker.service", "worker.service.d/limits.conf"]);
  });

  test("reloads systemd, then enables the units and queues their start without waiting for it, after every other runcmd entry", () => {
    const builder = new CloudConfigBuilder();
    builder.addRuncmd(["mkdir", "-p", "/srv/a"]);
    builder.addSystemdUnit("a.service", SERVICE);
    builder.addSystemdUnit("b.timer", { Timer: { OnCalendar: "hourly" }, Install: { WantedBy: "timers.target" } });
    builder.addRuncmd(["mkdir", "-p", "/srv/b"]);
    expect(delivered(builder).runcmd).toEqual([
      ["mkdir", "-p", "/srv/a"],
      ["mkdir", "-p", "/srv/b"],
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "a.service", "b.timer"],
      ["systemctl", "start", "--no-block", "a.service", "b.timer"],
    ]);
  });

  test("enables without starting a unit added with start: false, and starts without enabling one added with enable: false", () => {
    const builder = new CloudConfigBuilder();
    builder.addSystemdUnit("a.service", SERVICE, { start: false });
    builder.addSystemdUnit("b.service", { Service: { ExecStart: "/bin/true" } }, { enable: false });
    builder.addSystemdUnit("c.service", { Service: { ExecStart: "/bin/true" } }, { enable: false, start: false });
    expect(delivered(builder).runcmd).toEqual([
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "a.service"],
      ["systemctl", "start", "--no-block", "b.service"],
    ]);
  });

  test("reloads systemd after writing only a drop-in", () => {
    const builder = new CloudConfigBuilder();
    builder.addSystemdDropIn("ssh.service", "override", { Service: { Restart: "always" } });
    expect(delivered(builder).runcmd).toEqual([["systemctl", "daemon-reload"]]);
  });

  test("renders runcmd and bootcmd entries as one-line lists", () => {
    const builder = new CloudConfigBuilder();
    builder.addBootcmd(["mkdir", "-p", "/run/x"]);
    builder.addSystemdUnit("a.service", SERVICE);
    expect(builder.render()).toContain("bootcmd:\n  - [mkdir, -p, /run/x]\n");
    expect(builder.render()).toContain("runcmd:\n  - [systemctl, daemon-reload]\n  - [systemctl, enable, a.service]\n  - [systemctl, start, --no-block, a.service]\n");
  });

  test("fails on a unit name without a unit type suffix", () => {
    expect(() => new CloudConfigBuilder().addSystemdUnit("worker", SERVICE)).toThrow('"worker" is not a systemd unit file name ending in .service');
  });

  test("fails on enabling a unit that has no [Install] section", () => {
    expect(() => new CloudConfigBuilder().addSystemdUnit("a.service", { Service: { ExecStart: "/bin/true" } })).toThrow(
      "a.service: enabling a unit needs an [Install] section",
    );
  });

  test("fails on a unit added twice", () => {
    const builder = new CloudConfigBuilder();
    builder.addSystemdUnit("a.service", SERVICE);
    expect(() => builder.addSystemdUnit("a.service", SERVICE)).toThrow("write_files already has /etc/systemd/system/a.service");
  });

  test("fails on a drop-in name given with .conf", () => {
    expect(() => new CloudConfigBuilder().addSystemdDropIn("a.service", "override.conf", { Service: {} })).toThrow(
      'drop-in name "override.conf" for a.service: give a file name without ".conf"',
    );
  });
});

describe("CloudConfigBuilder: packages, apt and users", () => {
  test("renders packages deduplicated and sorted", () => {
    const builder = new CloudConfigBuilder();
    builder.addPackages("nginx-light", "jq");
    builder.addPackages("jq", "ca-certificates");
    expect(delivered(builder).packages).toEqual(["ca-certificates", "jq", "nginx-light"]);
  });

  test("fails on a package name with a space", () => {
    expect(() => new CloudConfigBuilder().addPackages("jq curl")).toThrow('"jq curl" is not a Debian package name');
  });

  test("renders package_upgrade when set", () => {
    const builder = new CloudConfigBuilder();
    builder.setPackageUpgrade(false);
    expect(delivered(builder)).toEqual({ package_upgrade: false });
  });

  test("renders apt sources under apt.sources with their source line and key", () => {
    const builder = new CloudConfigBuilder();
    const source = "deb [signed-by=$KEY_FILE] https://artifacts.example.org/packages/8.x/apt stable main";
    builder.addAptSource("elastic", { source, key: ARMORED_KEY });
    expect(delivered(builder)).toEqual({ apt: { sources: { elastic: { source, key: ARMORED_KEY } } } });
  });

  test("fails on an apt source key that is not ASCII-armored", () => {
    expect(() => new CloudConfigBuilder().addAptSource("x", { source: "deb https://x stable main", key: "D27D666CD88E42B4" })).toThrow(
      "apt source x: key must be an ASCII-armored public key",
    );
  });

  test("fails on an apt source added twice", () => {
    const builder = new CloudConfigBuilder();
    builder.addAptSource("x", { source: "deb https://x stable main", key: ARMORED_KEY });
    expect(() => builder.addAptSource("x", { source: "deb https://y stable main", key: ARMORED_KEY })).toThrow("apt source x was already added");
  });

  test("fails on an apt source name that cannot be a file name", () => {
    expect(() => new CloudConfigBuilder().addAptSource("../x", { source: "deb https://x stable main", key: ARMORED_KEY })).toThrow(
      'apt source name "../x"',
    );
  });

  test("fails on an apt source that is not a sources.list line", () => {
    expect(() => new CloudConfigBuilder().addAptSource("x", { source: "https://x stable main", key: ARMORED_KEY })).toThrow(
      'apt source x: source "https://x stable main" is not a sources.list line starting with "deb"',
    );
  });

  test("renders users with cloud-init's key names after the entry \"default\"", () => {
    const builder = new CloudConfigBuilder();
    builder.addUser({
      name: "recheck",
      groups: ["adm"],
      shell: "/bin/bash",
      sudo: "ALL=(ALL) NOPASSWD:ALL",
      sshAuthorizedKeys: ["ssh-ed25519 AAAAC3Nza admin"],
      system: true,
      lockPasswd: true,
    });
    expect(delivered(builder).users).toEqual([
      "default",
      {
        name: "recheck",
        groups: ["adm"],
        shell: "/bin/bash",
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        system: true,
        lock_passwd: true,
        ssh_authorized_keys: ["ssh-ed25519 AAAAC3Nza admin"],
      },
    ]);
  });

  test("configures the image's default user through the name \"default\"", () => {
    const builder = new CloudConfigBuilder();
    builder.addUser({ name: "default", sshAuthorizedKeys: ["ssh-ed25519 AAAAC3Nza admin"] });
    expect(delivered(builder).users).toEqual(["default", { name: "default", ssh_authorized_keys: ["ssh-ed25519 AAAAC3Nza admin"] }]);
  });

  test("fails on a user added twice", () => {
    const builder = new CloudConfigBuilder();
    builder.addUser({ name: "worker" });
    expect(() => builder.addUser({ name: "worker", shell: "/bin/sh" })).toThrow("user worker was already added");
  });

  test("fails on a user name useradd rejects", () => {
    expect(() => new CloudConfigBuilder().addUser({ name: "Worker One" })).toThrow('user name "Worker One"');
  });
});

describe("CloudConfigBuilder: disks", () => {
  test("renders disk_setup, fs_setup and mounts with cloud-init's key names", () => {
    const builder = new CloudConfigBuilder();
    builder.setDiskSetup("/dev/vdb", { tableType: "gpt", layout: [50, [50, 82]], overwrite: false });
    builder.addFsSetup({ device: "/dev/vdb1", filesystem: "ext4", label: "data", partition: "auto", extraOpts: ["-m", "0"] });
    builder.addMount({ device: "LABEL=data", mountPoint: "/srv/data", fsType: "ext4", options: "defaults,nofail", dump: 0, pass: 2 });
    expect(delivered(builder)).toEqual({
      disk_setup: { "/dev/vdb": { table_type: "gpt", layout: [50, [50, 82]], overwrite: false } },
      fs_setup: [{ label: "data", filesystem: "ext4", device: "/dev/vdb1", partition: "auto", extra_opts: ["-m", "0"] }],
      mounts: [["LABEL=data", "/srv/data", "ext4", "defaults,nofail", "0", "2"]],
    });
  });

  test("fills the mount fields before the last one given", () => {
    const builder = new CloudConfigBuilder();
    builder.addMount({ device: "LABEL=data", mountPoint: "/srv/data", pass: 2 });
    builder.addMount({ device: "LABEL=logs", mountPoint: "/srv/logs" });
    expect(delivered(builder).mounts).toEqual([
      ["LABEL=data", "/srv/data", "auto", "defaults,nofail", "0", "2"],
      ["LABEL=logs", "/srv/logs"],
    ]);
  });

  test("fails on a device given disk_setup twice", () => {
    const builder = new CloudConfigBuilder();
    builder.setDiskSetup("/dev/vdb", { layout: true });
    expect(() => builder.setDiskSetup("/dev/vdb", { layout: false })).toThrow("disk_setup already has /dev/vdb");
  });

  test("fails on a mount point mounted twice", () => {
    const builder = new CloudConfigBuilder();
    builder.addMount({ device: "LABEL=a", mountPoint: "/srv/data" });
    expect(() => builder.addMount({ device: "LABEL=b", mountPoint: "/srv/data" })).toThrow("mounts already has /srv/data");
  });
});

describe("CloudConfigBuilder: Terraform escaping", () => {
  test("escapes a literal ${ in a script as $${", () => {
    const builder = new CloudConfigBuilder();
    builder.addScript("/usr/local/bin/hello", 'echo "${HOME}"\n');
    expect(builder.render()).toContain('echo "$${HOME}"');
    expect(builder.render()).not.toMatch(/(^|[^$])\$\{HOME\}/);
  });

  test("escapes a literal %{ as %%{", () => {
    const builder = new CloudConfigBuilder();
    builder.addFile({ path: "/etc/x.tpl", content: "%{if x}y%{endif}\n" });
    expect(builder.render()).toContain("%%{if x}y%%{endif}");
  });

  test("escapes text that already looks escaped, so that Terraform delivers it unchanged", () => {
    expect(escapeTerraformTemplate("a $${b} %%{c}")).toBe("a $$${b} %%%{c}");
    expect(terraformString(escapeTerraformTemplate("a $${b} %%{c}"))).toBe("a $${b} %%{c}");
  });

  test("leaves cdktf token markers untouched", () => {
    const builder = new CloudConfigBuilder();
    const serial = Fn.substr(Token.asString("volume-id"), 0, 20);
    builder.addFile({ path: "/etc/node.env", content: `SERIAL=${serial}\nHOME_DIR=\${HOME}\n` });
    expect(serial).toMatch(/^\$\{TfToken\[TOKEN\.\d+\]\}$/);
    expect(builder.render()).toContain(`SERIAL=${serial}\n`);
    expect(builder.render()).toContain("HOME_DIR=$${HOME}\n");
  });

  test("double-quotes a one-line value holding a token, so that its value cannot change the YAML structure", () => {
    const builder = new CloudConfigBuilder();
    builder.addRuncmd(["echo", Fn.substr(Token.asString("x"), 0, 2)]);
    expect(builder.render()).toMatch(/runcmd:\n {2}- \[echo, "\$\{TfToken\[TOKEN\.\d+\]\}"\]\n/);
  });

  test("resolves a token into a Terraform expression in a resource's user_data, next to escaped text", () => {
    const synthesized = JSON.parse(
      Testing.synthScope((scope) => {
        const volumeId = new TerraformVariable(scope, "volume_id", { type: "string" });
        const builder = new CloudConfigBuilder();
        builder.addFile({ path: "/etc/node.env", content: `SERIAL=${Fn.substr(volumeId.stringValue, 0, 20)}\n` });
        builder.addScript("/usr/local/bin/hello", 'echo "${HOME}"\n');
        new ComputeInstanceV2(scope, "server", { name: "server", userData: builder.render() });
      }),
    );
    const userData: string = synthesized.resource.openstack_compute_instance_v2.server.user_data;
    expect(userData).toContain("SERIAL=${substr(var.volume_id, 0, 20)}\n");
    expect(userData).toContain('echo "$${HOME}"');
    expect(userData).not.toContain("TfToken");
  });

  test("resolves in a TerraformStack the same way as in a synthesized scope", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "stack");
    const name = new TerraformVariable(stack, "name", { type: "string" });
    const builder = new CloudConfigBuilder();
    builder.addFile({ path: "/etc/hostname", content: Fn.substr(name.stringValue, 0, 63) });
    new ComputeInstanceV2(stack, "server", { name: "server", userData: builder.render() });
    const userData: string = JSON.parse(Testing.synth(stack)).resource.openstack_compute_instance_v2.server.user_data;
    expect(userData).toContain('content: "${substr(var.name, 0, 63)}"');
  });

  test("fails on a list token inside a string", () => {
    const builder = new CloudConfigBuilder();
    builder.addFile({ path: "/etc/x", content: `${Token.asList("x")[0]}` });
    expect(() => builder.render()).toThrow(/contains the list or map token #\{TfToken\[TOKEN\.\d+\]\}/);
  });
});

describe("CloudConfigBuilder: size", () => {
  /** A builder whose document is exactly `bytes` long. */
  function documentOf(bytes: number): CloudConfigBuilder {
    const probe = new CloudConfigBuilder();
    probe.addFile({ path: "/etc/padding", content: "x" });
    const overhead = Buffer.byteLength(probe.render()) - 1;
    const builder = new CloudConfigBuilder();
    builder.addFile({ path: "/etc/padding", content: "x".repeat(bytes - overhead) });
    return builder;
  }

  test("the limit is the largest document whose base64 encoding fits Nova's 65535 bytes", () => {
    expect(Buffer.alloc(MAX_USER_DATA_BYTES).toString("base64").length).toBeLessThanOrEqual(65535);
    expect(Buffer.alloc(MAX_USER_DATA_BYTES + 1).toString("base64").length).toBeGreaterThan(65535);
  });

  test("accepts a document of exactly the limit", () => {
    expect(Buffer.byteLength(documentOf(MAX_USER_DATA_BYTES).render())).toBe(MAX_USER_DATA_BYTES);
  });

  test("fails on a document over the limit, with its size and the limit", () => {
    expect(() => documentOf(MAX_USER_DATA_BYTES + 1).render()).toThrow(
      `cloud-config user data is ${MAX_USER_DATA_BYTES + 1} bytes; the limit is ${MAX_USER_DATA_BYTES} bytes`,
    );
  });
});

describe("CloudConfigBuilder.authorizeSshKeys", () => {
  test("renders the default user's keys as top-level ssh_authorized_keys, once each", () => {
    const builder = new CloudConfigBuilder();
    builder.authorizeSshKeys("ssh-ed25519 AAAA a@example.org", "ssh-ed25519 AAAA a@example.org", "ssh-rsa BBBB b@example.org");
    expect(builder.render()).toBe("#cloud-config\nssh_authorized_keys:\n  - ssh-ed25519 AAAA a@example.org\n  - ssh-rsa BBBB b@example.org\n");
  });

  test("fails on something that is not a one-line public key", () => {
    expect(() => new CloudConfigBuilder().authorizeSshKeys("-----BEGIN OPENSSH PRIVATE KEY-----")).toThrow(
      "authorizeSshKeys takes one-line OpenSSH public keys, never a private key",
    );
  });
});
