/**
 * The servers this project configures cannot be booted in a test, so the next best check of
 * what they receive is the tools the servers themselves run: cloud-init's own schema, systemd's
 * unit parser, nginx's configuration test, and shellcheck for scripts. Each helper writes the
 * text to a private temporary folder, runs the tool on it (with an argument list, no shell, and
 * a timeout) and returns the problems as lines, empty when the tool accepts the text. The tools
 * are Debian packages that a developer may lack: describeWithTool skips their tests then, with
 * one line saying what to install, and fails them under CI, where a skip would hide a gap.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closest, distance } from "fastest-levenshtein";
import { isMap, isScalar, parseDocument } from "yaml";

export type ValidatorTool = "cloud-init" | "shellcheck" | "nginx" | "systemd-analyze";

/** The Debian package that provides each tool (see README: Quick start). */
export const DEBIAN_PACKAGES: Readonly<Record<ValidatorTool, string>> = {
  "cloud-init": "cloud-init",
  shellcheck: "shellcheck",
  nginx: "nginx-light",
  "systemd-analyze": "systemd",
};

/** Longest a single tool run may take; cloud-init (Python) is the slowest, well under a second. */
const TOOL_TIMEOUT_MS = 60_000;

/** Folders searched besides PATH: nginx lives in /usr/sbin, which is not on a Debian user's PATH. */
const EXTRA_BIN_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

// ---------------------------------------------------------------------------------------------
// Finding tools and gating the tests that need them

/** The absolute path of an executable named `binary` on PATH or in the sbin folders, if any. */
export function findExecutable(binary: string, searchPath: string = process.env.PATH ?? ""): string | undefined {
  const dirs = [...searchPath.split(path.delimiter).filter((dir) => dir !== ""), ...EXTRA_BIN_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, binary);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

const executables = new Map<string, string | undefined>();

function executableOf(binary: string): string | undefined {
  if (!executables.has(binary)) executables.set(binary, findExecutable(binary));
  return executables.get(binary);
}

export function requireTool(name: ValidatorTool): { available: boolean; path?: string } {
  const found = executableOf(name);
  return found ? { available: true, path: found } : { available: false };
}

/** What a test file does about a validator: run its tests, skip them (with a message), or fail (under CI). */
export type ToolGate = { readonly run: true } | { readonly run: false; readonly skip: string } | { readonly run: false; readonly fail: string };

/** Decides for any binary name, so that the missing-tool paths can be tested with a name that cannot exist. */
export function toolGate(binary: string, debianPackage: string, env: NodeJS.ProcessEnv = process.env): ToolGate {
  if (executableOf(binary) !== undefined) return { run: true };
  if (env.CI === "true") {
    return { run: false, fail: `${binary} not found, and CI=true requires every validator: install the Debian package ${debianPackage}` };
  }
  return { run: false, skip: `SKIPPED: ${binary} not found; install the Debian package ${debianPackage} to run these checks` };
}

/** Like toolGate, for a Python module (`python3 -c "import <module>"`), from the Debian package `debianPackage`. */
export function pythonModuleGate(module: string, debianPackage: string, env: NodeJS.ProcessEnv = process.env): ToolGate {
  const python = executableOf("python3");
  if (python !== undefined && spawnSync(python, ["-c", `import ${module}`], { stdio: "ignore" }).status === 0) return { run: true };
  if (env.CI === "true") return { run: false, fail: `Python's ${module} module not found, and CI=true requires it: install the Debian package ${debianPackage}` };
  return { run: false, skip: `SKIPPED: Python's ${module} module not found; install the Debian package ${debianPackage} to run these checks` };
}

/** The gate of tests that need every one of `gates`: the first that does not run, else run. */
export function allGates(...gates: ToolGate[]): ToolGate {
  return gates.find((gate) => !gate.run) ?? { run: true };
}

const printedSkips = new Set<string>();

/** `describe` when the gate says run; else one failing test (CI) or a skipped block and one printed line. */
export function describeGated(gate: ToolGate, title: string, fn: () => void): void {
  if (gate.run) {
    describe(title, fn);
  } else if ("fail" in gate) {
    const message = gate.fail;
    describe(title, () => {
      test("has its validator installed", () => {
        throw new Error(message);
      });
    });
  } else {
    if (!printedSkips.has(gate.skip)) {
      printedSkips.add(gate.skip);
      // A plain line: console.log under jest adds a stack location to every message.
      process.stdout.write(`${gate.skip}\n`);
    }
    describe.skip(title, fn);
  }
}

/** A describe block whose tests need `tool`; see describeGated. */
export function describeWithTool(tool: ValidatorTool, title: string, fn: () => void): void {
  describeGated(toolGate(tool, DEBIAN_PACKAGES[tool]), title, fn);
}

// ---------------------------------------------------------------------------------------------
// Terraform strings

/**
 * What Terraform delivers for a string of its JSON syntax that holds no expression: `$${` and
 * `%%{` become `${` and `%{`. Fails on an interpolation `${...}` or a directive `%{...}` that is
 * still there (Terraform would evaluate it), naming it; replace references by stand-in values first.
 */
export function terraformString(value: string): string {
  return value.replace(/\$\$\{|%%\{|\$\{|%\{/g, (match: string, offset: number) => {
    if (match === "$${") return "${";
    if (match === "%%{") return "%{";
    const end = value.indexOf("}", offset);
    const expression = end === -1 ? value.slice(offset, offset + 60) : value.slice(offset, end + 1);
    const kind = match === "${" ? "interpolation" : "template directive";
    throw new Error(`the string still contains the Terraform ${kind} ${expression}, which Terraform would evaluate; escape it or replace it by a stand-in value`);
  });
}

// ---------------------------------------------------------------------------------------------
// cloud-init

/**
 * Top-level keys that the modules of cloud-init 22.4 read, from its module documentation
 * (https://cloudinit.readthedocs.io/en/22.4/topics/modules.html), plus the keys of the merging
 * and module-list settings. cloud-init 22.4's schema allows any other top-level key and the
 * module that was meant then silently does nothing, so validateCloudConfig checks against this.
 */
export const CLOUD_INIT_TOP_LEVEL_KEYS: readonly string[] = [
  // Ansible, apk, apt
  "ansible", "apk_repos", "apt", "apt_pipelining",
  // Bootcmd, Byobu, CA certificates, Chef
  "bootcmd", "byobu_by_default", "ca_certs", "ca-certs", "chef",
  // Disable EC2 metadata, disk setup, Fan, final message, growpart, GRUB dpkg, hotplug
  "disable_ec2_metadata", "device_aliases", "disk_setup", "fs_setup", "fan", "final_message", "growpart", "grub_dpkg", "grub-dpkg",
  "updates",
  // Keyboard, keys to console, Landscape, locale, LXD, MCollective, migrator
  "keyboard", "ssh", "ssh_key_console_blacklist", "ssh_fp_console_blacklist", "landscape", "locale", "locale_configfile", "lxd",
  "mcollective", "migrate",
  // Mounts, NTP
  "mounts", "mount_default_fields", "swap", "ntp",
  // Package update, upgrade, install (with the apt_* spellings it still accepts)
  "packages", "package_update", "package_upgrade", "package_reboot_if_required", "apt_update", "apt_upgrade", "apt_reboot_if_required",
  // Phone home, power state, Puppet, resize rootfs, resolv.conf, Red Hat subscription, rsyslog
  "phone_home", "power_state", "puppet", "resize_rootfs", "manage_resolv_conf", "resolv_conf", "rh_subscription", "rsyslog",
  // Runcmd, Salt minion, vendor scripts, seed random
  "runcmd", "salt_minion", "vendor_data", "random_seed",
  // Set hostname, update hostname, update /etc/hosts
  "preserve_hostname", "hostname", "fqdn", "prefer_fqdn_over_hostname", "manage_etc_hosts",
  // Set passwords, Snap, Spacewalk
  "ssh_pwauth", "chpasswd", "password", "snap", "spacewalk",
  // SSH, SSH key fingerprints, SSH import id
  "ssh_keys", "ssh_authorized_keys", "ssh_deletekeys", "ssh_genkeytypes", "disable_root", "disable_root_opts", "allow_public_ssh_keys",
  "ssh_quiet_keygen", "ssh_publish_hostkeys", "no_ssh_fingerprints", "authkey_hash", "ssh_import_id",
  // Timezone, Ubuntu Advantage, Ubuntu drivers, Ubuntu autoinstall
  "timezone", "ubuntu_advantage", "drivers", "autoinstall",
  // Users and groups, WireGuard, write files, yum, zypper
  "users", "user", "groups", "wireguard", "write_files", "yum_repo_dir", "yum_repos", "zypper",
  // Not modules: how this document merges with others, where module output is logged, module lists
  "merge_how", "merge_type", "output", "cloud_init_modules", "cloud_config_modules", "cloud_final_modules",
];

/** `cloud-init schema --config-file` on the text, plus a check of its top-level keys; empty when valid. */
export function validateCloudConfig(text: string): string[] {
  return withTempDir("cloud-config-", (dir) => {
    const file = path.join(dir, "user-data");
    fs.writeFileSync(file, text);
    const result = runTool("cloud-init", ["schema", "--config-file", file], dir);
    const problems: string[] = [];
    for (const rawLine of outputLines(result)) {
      const line = rawLine.split(file).join("user-data");
      if (line === "Error:" || line.startsWith("Valid cloud-config:")) continue;
      const deprecations = /^Cloud config schema deprecations:\s*(.*)$/.exec(line);
      if (deprecations) {
        if (deprecations[1] !== "") problems.push(`deprecated: ${deprecations[1]}`);
        continue;
      }
      problems.push(line.replace(/^Cloud config schema errors: /, ""));
    }
    if (result.status !== 0 && problems.length === 0) problems.push(`cloud-init schema exited with ${result.status}`);
    return [...problems, ...unknownTopLevelKeys(text)];
  });
}

function unknownTopLevelKeys(text: string): string[] {
  const document = parseDocument(text, { version: "1.1" });
  if (document.errors.length > 0 || !isMap(document.contents)) return []; // cloud-init schema reports these
  const problems: string[] = [];
  for (const pair of document.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    if (CLOUD_INIT_TOP_LEVEL_KEYS.includes(key)) continue;
    const best = closest(key, [...CLOUD_INIT_TOP_LEVEL_KEYS]);
    const hint = distance(key, best) <= Math.max(2, Math.floor(best.length / 3)) ? `; did you mean ${JSON.stringify(best)}?` : "";
    problems.push(`unknown top-level key ${JSON.stringify(key)}: no cloud-init 22.4 module reads it, and cloud-init ignores it silently${hint}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// shellcheck

/** `shellcheck -f gcc` on one script; its findings, empty when clean. */
export function validateShellScript(text: string): string[] {
  return validateShellScripts({ script: text }).script;
}

/**
 * `shellcheck -f gcc` on several scripts in one run (each finding names the script by its key);
 * `--norc` keeps a developer's ~/.shellcheckrc from changing the verdict.
 */
export function validateShellScripts(scripts: Readonly<Record<string, string>>): Record<string, string[]> {
  const names = Object.keys(scripts);
  if (names.length === 0) return {};
  return withTempDir("shellcheck-", (dir) => {
    const fileOf = new Map(names.map((name, index) => [name, `script-${index + 1}`]));
    for (const name of names) fs.writeFileSync(path.join(dir, fileOf.get(name)!), scripts[name]);
    const result = runTool("shellcheck", ["--norc", "-f", "gcc", ...fileOf.values()], dir);
    if (result.status !== 0 && result.status !== 1) {
      throw new Error(`shellcheck exited with ${result.status}: ${result.stderr.trim()}`);
    }
    const problems: Record<string, string[]> = Object.fromEntries(names.map((name) => [name, []]));
    for (const line of outputLines(result)) {
      const owner = names.find((name) => line.startsWith(`${fileOf.get(name)}:`));
      if (owner === undefined) {
        for (const name of names) problems[name].push(line);
      } else {
        problems[owner].push(`${owner}${line.slice(fileOf.get(owner)!.length)}`);
      }
    }
    if (result.status === 1 && names.every((name) => problems[name].length === 0)) {
      for (const name of names) problems[name].push("shellcheck exited with 1 without naming a script");
    }
    return problems;
  });
}

// ---------------------------------------------------------------------------------------------
// systemd

export interface SystemdVerifyOptions {
  /**
   * Programs the server gets from its own files or packages, absent from the test machine:
   * systemd-analyze's "Command <path> is not executable: No such file or directory" for them is
   * expected and ignored. Any other missing program is a problem.
   */
  readonly providedExecutables: readonly string[];
}

/**
 * `systemd-analyze verify` on one unit, with its drop-ins (`{ "override.conf": text }`) when
 * given. systemd-analyze exits 0 on unknown keys, so every line it prints is a problem, except
 * the missing-program line for a path in `providedExecutables`.
 */
export function validateSystemdUnit(
  name: string,
  text: string,
  options: SystemdVerifyOptions & { readonly dropIns?: Readonly<Record<string, string>> },
): string[] {
  const files: Record<string, string> = { [name]: text };
  for (const [dropIn, content] of Object.entries(options.dropIns ?? {})) files[`${name}.d/${dropIn}`] = content;
  return validateSystemdUnits(files, options)[name];
}

/**
 * `systemd-analyze verify` on several units in one run, as they would lie in /etc/systemd/system:
 * keys are `<unit>` or `<unit>.d/<name>.conf` (CloudConfigBuilder.systemdUnitFiles() gives this
 * shape). Units of the same run see each other (Requires=, Wants=), and their drop-ins apply.
 * Returns the problems of each unit, with the lines of its drop-ins. `--man=no`: whether the man
 * pages named in Documentation= exist on the test machine says nothing about the unit.
 * Units named in After=, Before= or Wants= that the test machine lacks produce no message, so
 * no line is ignored for them; a missing unit in Requires= (or BindsTo=, Requisite=) is reported
 * ("Failed to create <unit>/start: Unit <other> not found.") and stays a problem: give that unit
 * in the same call, or use Wants= when a missing unit is acceptable.
 */
export function validateSystemdUnits(files: Readonly<Record<string, string>>, options: SystemdVerifyOptions): Record<string, string[]> {
  const units = Object.keys(files).filter((key) => !key.includes("/"));
  for (const key of Object.keys(files)) {
    const dropIn = /^([^/]+)\.d\/[^/]+\.conf$/.exec(key);
    if (!dropIn && key.includes("/")) throw new Error(`${key}: expected a unit name or <unit>.d/<name>.conf`);
    if (dropIn && !(dropIn[1] in files)) {
      throw new Error(`${key}: the drop-in's unit ${dropIn[1]} is not given; pass the unit's text too (for a packaged unit, a copy of it)`);
    }
  }
  if (units.length === 0) return {};
  return withTempDir("systemd-", (dir) => {
    for (const [key, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, key)), { recursive: true });
      fs.writeFileSync(path.join(dir, key), content);
    }
    const result = runTool("systemd-analyze", ["verify", "--man=no", ...units.map((unit) => path.join(dir, unit))], dir);
    const problems: Record<string, string[]> = Object.fromEntries(units.map((unit) => [unit, []]));
    const lines = outputLines(result).map((line) => line.split(`${dir}/`).join(""));
    for (const line of lines) {
      const missing = /^[^:]+: Command (.+) is not executable: No such file or directory$/.exec(line);
      if (missing && options.providedExecutables.includes(missing[1])) continue;
      const owner = units.find((unit) => line.startsWith(`${unit}:`) || line.startsWith(`${unit}.d/`));
      if (owner === undefined) {
        for (const unit of units) problems[unit].push(line);
      } else {
        problems[owner].push(line);
      }
    }
    if (result.status !== 0 && lines.length === 0) {
      for (const unit of units) problems[unit].push(`systemd-analyze verify exited with ${result.status} without a message`);
    }
    return problems;
  });
}

// ---------------------------------------------------------------------------------------------
// nginx

/**
 * `nginx -t` on a configuration: `files` (paths relative to nginx's conf/ folder, as `include`
 * names them) are written under a temporary prefix with an empty logs/ folder, and
 * `nginx -t -q -p PREFIX/ -c conf/<mainFile> -e logs/error.log` runs on them. Returns nginx's
 * messages (warnings included), with paths relative to conf/; empty when the test passed.
 * nginx -t also creates the pid file, opens the log files and creates the temporary folders:
 * the pid file goes to PREFIX/logs/ (`-g "pid logs/nginx.pid;"`) unless the main file has a
 * `pid` directive, but logs and temporary folders are where the configuration (or nginx's
 * compiled-in defaults under /var/log/nginx and /var/lib/nginx) puts them, so a run by a user
 * who cannot write there reports "Permission denied" for them.
 */
export function validateNginxConfig(files: Readonly<Record<string, string>>, mainFile: string): string[] {
  if (!(mainFile in files)) throw new Error(`the main file ${mainFile} is not among the files: ${Object.keys(files).join(", ")}`);
  return withTempDir("nginx-", (prefix) => {
    const conf = path.join(prefix, "conf");
    for (const [name, content] of Object.entries(files)) {
      if (path.isAbsolute(name) || name.split("/").includes("..")) throw new Error(`${name}: give nginx files relative to conf/`);
      fs.mkdirSync(path.dirname(path.join(conf, name)), { recursive: true });
      fs.writeFileSync(path.join(conf, name), content);
    }
    fs.mkdirSync(path.join(prefix, "logs"));
    // nginx -t creates the pid file (/run/nginx.pid by default): keep it in the prefix unless the configuration names one.
    const pid = /^\s*pid\s/m.test(files[mainFile]) ? [] : ["-g", "pid logs/nginx.pid;"];
    const args = ["-t", "-q", "-p", `${prefix}/`, "-c", `conf/${mainFile}`, "-e", "logs/error.log", ...pid];
    const result = runTool("nginx", args, prefix);
    const problems = outputLines(result)
      .map((line) => line.replace(/^nginx: /, "").split(`${conf}/`).join("").split(`${prefix}/`).join(""))
      .filter((line) => !/^configuration file .* test (failed|is successful)$/.test(line) && !/^the configuration file .* syntax is ok$/.test(line));
    if (result.status !== 0 && problems.length === 0) problems.push(`nginx -t exited with ${result.status}`);
    return problems;
  });
}

// ---------------------------------------------------------------------------------------------
// Running tools

interface ToolResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runTool(tool: ValidatorTool, args: readonly string[], cwd: string): ToolResult {
  const executable = executableOf(tool);
  if (executable === undefined) {
    throw new Error(`${tool} not found; install the Debian package ${DEBIAN_PACKAGES[tool]} (wrap the tests in describeWithTool)`);
  }
  const result = spawnSync(executable, args, {
    cwd,
    encoding: "utf8",
    timeout: TOOL_TIMEOUT_MS,
    env: { ...process.env, LC_ALL: "C.UTF-8", SYSTEMD_COLORS: "0", SYSTEMD_PAGER: "" },
  });
  const timedOut = (result.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT";
  if (timedOut) throw new Error(`${tool} ${args.join(" ")} did not finish within ${TOOL_TIMEOUT_MS / 1000} s`);
  if (result.error) throw new Error(`${tool} ${args.join(" ")} could not run: ${result.error.message}`);
  if (result.status === null) throw new Error(`${tool} ${args.join(" ")} was stopped by ${result.signal}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function outputLines(result: ToolResult): string[] {
  return `${result.stdout}\n${result.stderr}`
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line !== "");
}

function withTempDir<T>(prefix: string, fn: (dir: string) => T): T {
  // The real path: tools print it resolved, and the helpers strip it from their messages.
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
