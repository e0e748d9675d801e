/**
 * Cloud-init user data is the only channel through which a server learns what to run, and its
 * text passes through three languages before cloud-init reads it: YAML (parsed as YAML 1.1 by
 * PyYAML, where `yes` is a boolean and `0644` an octal number), then a Terraform string (where
 * `${` and `%{` start expressions), inside the JSON that cdktf writes. Each layer fails silently
 * when written by hand: a file mode becomes a number, a shell `${HOME}` becomes a Terraform
 * error or, worse, a Terraform value. The builder takes typed input shaped after cloud-init's
 * modules, checks what can be checked at synth time (absolute unique paths, unit names, the
 * user-data size limit of Nova), and renders everything in one place with the quoting and
 * escaping each layer needs, so constructs never assemble user data as strings.
 */
import { Document, isMap, isScalar, isSeq, Scalar, visit } from "yaml";
import { renderSystemdUnit, type UnitSections } from "./systemd-unit";

/**
 * Nova accepts at most 65535 bytes of base64-encoded user data; base64 turns every 3 bytes into
 * 4, so the largest document that fits is floor(65535 / 4) * 3 bytes (just under 48 KiB).
 */
/** Where this project keeps per-server facts that units read (EnvironmentFile=) and its own files. */
export const NODE_CONFIG_DIR = "/etc/ci-log-analysis";

export const MAX_USER_DATA_BYTES = Math.floor(65535 / 4) * 3;

const SYSTEMD_DIR = "/etc/systemd/system";
/** Top-level keys whose entries are short lists, rendered in flow style. */
const FLOW_LISTS = new Set(["bootcmd", "runcmd", "mounts"]);
const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]+\.(service|timer|mount|path|socket|target)$/;
const PERMISSIONS = /^0[0-7]{3,4}$/;
const OWNER = /^[^\s:]+:[^\s:]+$/;
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:-]+)?$/;
const APT_SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/**
 * A cdktf string token as `Token.asString(...)` or `Fn.*(...)` encode it: `${TfToken[TOKEN.<n>]}`
 * (the key characters are those cdktf allows). cdktf replaces it by a Terraform expression when
 * it resolves the resource attribute, so it must reach cdktf unescaped.
 */
const STRING_TOKEN = /\$\{TfToken\[[A-Za-z0-9:._-]+\]\}/;
/** `${` that does not start a string token. */
const LITERAL_INTERPOLATION = /\$\{(?!TfToken\[[A-Za-z0-9:._-]+\]\})/g;
/** List and map tokens resolve only as whole attribute values, never inside a string. */
const LIST_OR_MAP_TOKEN = /[#&]\{TfToken\[[A-Za-z0-9:._-]+\]\}/;

export interface CloudConfigFileProps {
  /** Absolute path on the server. */
  readonly path: string;
  readonly content: string;
  /** Octal mode as a string. @default "0644" */
  readonly permissions?: string;
  /** `user:group`. @default "root:root" */
  readonly owner?: string;
  /**
   * Write the file in cloud-init's final stage, after users were created and packages were
   * installed: needed when `owner` is a user or group that a package or `addUser` creates.
   * @default false
   */
  readonly defer?: boolean;
  /**
   * `b64` when `content` is base64: the way to write a multi-line value that is only known at
   * deploy time (a certificate from Terraform), since a token must stay on one line; `gz+b64`
   * when it is gzipped, then base64 (a program bundle, to save user data).
   * @default plain text
   */
  readonly encoding?: "b64" | "gz+b64";
}

export interface CloudConfigFile {
  readonly path: string;
  readonly content: string;
  readonly permissions: string;
  readonly owner: string;
  readonly encoding?: "b64" | "gz+b64";
  readonly defer: boolean;
}

export interface SystemdUnitOptions {
  /** Enable the unit (it then needs an `[Install]` section). @default true */
  readonly enable?: boolean;
  /** Start the unit at the end of the first boot (queued: cloud-init does not wait for it). @default true */
  readonly start?: boolean;
}

export interface AptSource {
  /**
   * A sources.list line, such as `deb [signed-by=$KEY_FILE] https://example.org/apt stable main`.
   * cloud-init replaces `$KEY_FILE` by the file it writes `key` to, which limits the key to this
   * source; without it the key is trusted for every source.
   */
  readonly source: string;
  /** ASCII-armored public key (`-----BEGIN PGP PUBLIC KEY BLOCK-----` ...). */
  readonly key: string;
}

export interface CloudConfigUser {
  /** Login name; "default" configures the image's default user. */
  readonly name: string;
  /** Supplementary groups. @default - none */
  readonly groups?: readonly string[];
  /** Login shell. @default - the distribution's default */
  readonly shell?: string;
  /** A sudoers rule such as `ALL=(ALL) NOPASSWD:ALL`. @default - no sudo rule */
  readonly sudo?: string;
  /** @default - none */
  readonly sshAuthorizedKeys?: readonly string[];
  /** Create a system user (no home directory, system uid range). @default false */
  readonly system?: boolean;
  /** Disable password login. @default - cloud-init's default, true */
  readonly lockPasswd?: boolean;
}

/** One device of cloud-init's `disk_setup`. */
export interface DiskSetup {
  /** @default "mbr" (cloud-init's default) */
  readonly tableType?: "mbr" | "gpt";
  /**
   * `true`: one partition over the whole device; `false`: no partition; `"remove"`: purge the
   * partition table; a list: partitions as percentages of the device, each optionally with its
   * partition type (`[size, type]`).
   * @default false (cloud-init's default)
   */
  readonly layout?: boolean | "remove" | readonly (number | readonly [number, number])[];
  /** Partition even when the device has a partition table or file system: destroys data. @default false */
  readonly overwrite?: boolean;
}

/** One entry of cloud-init's `fs_setup`. */
export interface FsSetup {
  /**
   * Device path, or `<alias>.<partition>`. To name a partition by number write it here
   * (`/dev/vdb1`): cloud-init 22.4's schema rejects a numeric `partition`.
   */
  readonly device: string;
  /** File system type, such as `ext4` or `xfs`. */
  readonly filesystem: string;
  /** @default - no label */
  readonly label?: string;
  /**
   * `auto`/`any`: skip when a matching file system exists; `none`: the whole device, always
   * formatted.
   * @default - the whole device, as cloud-init decides
   */
  readonly partition?: "auto" | "any" | "none";
  /** Format even when a file system exists: destroys data. @default false */
  readonly overwrite?: boolean;
  /** @default - none */
  readonly replaceFs?: string;
  /** Extra options for mkfs. @default - none */
  readonly extraOpts?: readonly string[];
  /** A command that replaces cloud-init's mkfs invocation. @default - cloud-init's */
  readonly cmd?: string | readonly string[];
}

/** One `/etc/fstab` line of cloud-init's `mounts`. */
export interface MountEntry {
  /** fs_spec, such as `LABEL=data` or `/dev/vdb`. */
  readonly device: string;
  /** fs_file: the mount point. */
  readonly mountPoint: string;
  /** fs_vfstype. @default - cloud-init's mount_default_fields ("auto"); "auto" when a later field is set */
  readonly fsType?: string;
  /** fs_mntops. @default - cloud-init's mount_default_fields; "defaults,nofail" when a later field is set */
  readonly options?: string;
  /** fs_freq. @default - cloud-init's mount_default_fields; 0 when `pass` is set */
  readonly dump?: number;
  /** fs_passno. @default - cloud-init's mount_default_fields */
  readonly pass?: number;
}

interface UnitEntry {
  readonly name: string;
  readonly enable: boolean;
  readonly start: boolean;
}

export class CloudConfigBuilder {
  private readonly fileList: CloudConfigFile[] = [];
  private readonly scriptPaths = new Set<string>();
  private readonly units: UnitEntry[] = [];
  private readonly systemdFiles = new Map<string, string>();
  private readonly packages = new Set<string>();
  private readonly aptSources = new Map<string, AptSource>();
  private readonly users: CloudConfigUser[] = [];
  private readonly bootcmd: (readonly string[])[] = [];
  private readonly runcmd: (readonly string[])[] = [];
  private readonly diskSetup = new Map<string, DiskSetup>();
  private readonly fsSetup: FsSetup[] = [];
  private readonly mounts: MountEntry[] = [];
  private packageUpgrade?: boolean;
  private readonly defaultUserKeys: string[] = [];

  /** Adds a file to `write_files`; fails on a relative path or a path added before. */
  public addFile(file: CloudConfigFileProps): void {
    checkAbsolutePath(file.path);
    if (this.fileList.some((existing) => existing.path === file.path)) {
      throw new Error(`write_files already has ${file.path}: each path can be written only once`);
    }
    const permissions = file.permissions ?? "0644";
    if (!PERMISSIONS.test(permissions)) {
      throw new Error(`${file.path}: permissions ${JSON.stringify(permissions)} is not an octal mode string such as "0644"`);
    }
    const owner = file.owner ?? "root:root";
    if (!OWNER.test(owner)) throw new Error(`${file.path}: owner ${JSON.stringify(owner)} is not of the form "user:group"`);
    this.fileList.push({
      path: file.path, content: file.content, permissions, owner, defer: file.defer ?? false,
      ...(file.encoding ? { encoding: file.encoding } : {}),
    });
  }

  /** Adds an executable bash script that stops on the first error (`set -euo pipefail` precedes `body`). */
  public addScript(path: string, body: string): void {
    if (body.trimStart().startsWith("#!")) {
      throw new Error(`${path}: give the script body without a shebang; addScript adds "#!/bin/bash" and "set -euo pipefail"`);
    }
    this.addFile({ path, content: `#!/bin/bash\nset -euo pipefail\n${body}`, permissions: "0755" });
    this.scriptPaths.add(path);
  }

  /**
   * Writes `/etc/systemd/system/<name>` and, unless told otherwise, enables the unit and queues
   * its start (without waiting for it) after every other `runcmd` entry, so that everything the
   * unit needs is in place first.
   */
  public addSystemdUnit(name: string, sections: UnitSections, options: SystemdUnitOptions = {}): void {
    checkUnitName(name);
    const enable = options.enable ?? true;
    const start = options.start ?? true;
    if (enable && !("Install" in sections)) {
      throw new Error(`${name}: enabling a unit needs an [Install] section (such as WantedBy=multi-user.target); or pass enable: false`);
    }
    const content = renderSystemdUnit(sections);
    this.addFile({ path: `${SYSTEMD_DIR}/${name}`, content });
    this.units.push({ name, enable, start });
    this.systemdFiles.set(name, content);
  }

  /** Writes the drop-in `/etc/systemd/system/<unit>.d/<name>.conf`, for a unit of this builder or of a package. */
  public addSystemdDropIn(unit: string, name: string, sections: UnitSections): void {
    checkUnitName(unit);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]*$/.test(name) || name.endsWith(".conf")) {
      throw new Error(`drop-in name ${JSON.stringify(name)} for ${unit}: give a file name without ".conf" and without "/", such as "override"`);
    }
    const relative = `${unit}.d/${name}.conf`;
    const content = renderSystemdUnit(sections);
    this.addFile({ path: `${SYSTEMD_DIR}/${relative}`, content });
    this.systemdFiles.set(relative, content);
  }

  /** Adds Debian packages (`name` or `name=version`); rendered deduplicated and sorted. */
  public addPackages(...names: string[]): void {
    for (const name of names) {
      if (!PACKAGE_NAME.test(name)) throw new Error(`${JSON.stringify(name)} is not a Debian package name (optionally "=version")`);
      this.packages.add(name);
    }
  }

  /** Adds an apt source under `apt.sources.<name>` (cloud-init writes `/etc/apt/sources.list.d/<name>.list`). */
  public addAptSource(name: string, source: AptSource): void {
    if (!APT_SOURCE_NAME.test(name)) throw new Error(`apt source name ${JSON.stringify(name)}: use letters, digits, ".", "_" and "-"`);
    if (this.aptSources.has(name)) throw new Error(`apt source ${name} was already added`);
    if (!hasToken(source.key) && !/-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*-----END PGP PUBLIC KEY BLOCK-----/.test(source.key)) {
      throw new Error(`apt source ${name}: key must be an ASCII-armored public key (-----BEGIN PGP PUBLIC KEY BLOCK----- ...)`);
    }
    if (!hasToken(source.source) && !/^deb(-src)?\s/.test(source.source.trim())) {
      throw new Error(`apt source ${name}: source ${JSON.stringify(source.source)} is not a sources.list line starting with "deb"`);
    }
    this.aptSources.set(name, { source: source.source, key: source.key });
  }

  /**
   * Adds a user; the rendered `users` list then starts with "default", which keeps the image's
   * default user (a `users` list without it would replace that user). The name "default"
   * configures the image's default user itself, for example its SSH keys.
   */
  public addUser(user: CloudConfigUser): void {
    if (!USER_NAME.test(user.name)) {
      throw new Error(`user name ${JSON.stringify(user.name)}: use lowercase letters, digits, "_" and "-", at most 32 characters`);
    }
    if (this.users.some((existing) => existing.name === user.name)) throw new Error(`user ${user.name} was already added`);
    this.users.push(user);
  }

  /** Adds a command run early on every boot (`bootcmd`), as an argument list (no shell). */
  public addBootcmd(command: readonly string[]): void {
    this.bootcmd.push(checkCommand("bootcmd", command));
  }

  /** Adds a command run once at the end of the first boot (`runcmd`), as an argument list (no shell). */
  public addRuncmd(command: readonly string[]): void {
    this.runcmd.push(checkCommand("runcmd", command));
  }

  /** Sets how cloud-init partitions `device` (`disk_setup`); fails when the device was set before. */
  public setDiskSetup(device: string, setup: DiskSetup): void {
    if (this.diskSetup.has(device)) throw new Error(`disk_setup already has ${device}`);
    this.diskSetup.set(device, setup);
  }

  /** Adds a file system to create (`fs_setup`). */
  public addFsSetup(fs: FsSetup): void {
    this.fsSetup.push(fs);
  }

  /** Adds an `/etc/fstab` line (`mounts`); fails on a relative or repeated mount point. */
  public addMount(mount: MountEntry): void {
    checkAbsolutePath(mount.mountPoint);
    if (this.mounts.some((existing) => existing.mountPoint === mount.mountPoint)) {
      throw new Error(`mounts already has ${mount.mountPoint}`);
    }
    this.mounts.push(mount);
  }

  /** Authorizes SSH public keys for the image's default user (top-level `ssh_authorized_keys`). */
  public authorizeSshKeys(...keys: string[]): void {
    for (const key of keys) {
      if (/PRIVATE KEY/.test(key) || key.includes("\n")) throw new Error("authorizeSshKeys takes one-line OpenSSH public keys, never a private key");
      if (!this.defaultUserKeys.includes(key)) this.defaultUserKeys.push(key);
    }
  }

  /** Upgrades every package at first boot (`package_upgrade`). @default - not set (cloud-init's default: no upgrade) */
  public setPackageUpgrade(upgrade: boolean): void {
    this.packageUpgrade = upgrade;
  }

  /** Every file of `write_files`, with the text the server gets (unescaped), in the order added. */
  public files(): readonly CloudConfigFile[] {
    return this.fileList.map((file) => ({ ...file }));
  }

  /** The files added with `addScript`. */
  public scripts(): readonly CloudConfigFile[] {
    return this.fileList.filter((file) => this.scriptPaths.has(file.path)).map((file) => ({ ...file }));
  }

  /** Units and drop-ins by their path under /etc/systemd/system (`x.service`, `x.service.d/y.conf`). */
  public systemdUnitFiles(): Readonly<Record<string, string>> {
    return Object.fromEntries(this.systemdFiles);
  }

  /**
   * The user data: `#cloud-config` and YAML, escaped for a Terraform string (`${` as `$${`,
   * `%{` as `%%{`) except cdktf string tokens, which cdktf resolves into Terraform expressions.
   * A token's value is inserted as is: on one line it is double-quoted in YAML, so the value
   * must not contain `"`, `\` or a newline; inside multi-line text it must not contain a newline.
   * Fails when the document (before escaping, counting each token as its marker) exceeds
   * MAX_USER_DATA_BYTES.
   */
  public render(): string {
    const document = new Document(this.toObject(), { version: "1.1", aliasDuplicateObjects: false });
    // Commands and fstab lines read best as one line each: `- [systemctl, daemon-reload]`.
    for (const pair of isMap(document.contents) ? document.contents.items : []) {
      if (isScalar(pair.key) && FLOW_LISTS.has(String(pair.key.value)) && isSeq(pair.value)) {
        for (const item of pair.value.items) if (isSeq(item)) item.flow = true;
      }
    }
    visit(document, {
      Scalar(_key, node) {
        if (typeof node.value === "string" && STRING_TOKEN.test(node.value) && !node.value.includes("\n")) {
          node.type = Scalar.QUOTE_DOUBLE;
        }
      },
    });
    const text = "#cloud-config\n" + document.toString({ lineWidth: 0, flowCollectionPadding: false });
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > MAX_USER_DATA_BYTES) {
      throw new Error(
        `cloud-config user data is ${bytes} bytes; the limit is ${MAX_USER_DATA_BYTES} bytes ` +
          "(Nova accepts at most 65535 bytes of base64-encoded user data): write fewer or smaller files, or fetch them at boot",
      );
    }
    const listToken = LIST_OR_MAP_TOKEN.exec(text);
    if (listToken) {
      throw new Error(`cloud-config contains the list or map token ${listToken[0]}, which cdktf cannot resolve inside a string; join it into a string first (Fn.join)`);
    }
    return escapeTerraformTemplate(text);
  }

  private toObject(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.bootcmd.length > 0) out.bootcmd = this.bootcmd.map((command) => [...command]);
    if (this.diskSetup.size > 0) {
      out.disk_setup = Object.fromEntries([...this.diskSetup].map(([device, setup]) => [device, renderDiskSetup(setup)]));
    }
    if (this.fsSetup.length > 0) out.fs_setup = this.fsSetup.map(renderFsSetup);
    if (this.mounts.length > 0) out.mounts = this.mounts.map(renderMount);
    if (this.users.length > 0) out.users = ["default", ...this.users.map(renderUser)];
    if (this.defaultUserKeys.length > 0) out.ssh_authorized_keys = [...this.defaultUserKeys];
    if (this.fileList.length > 0) out.write_files = this.fileList.map(renderFile);
    if (this.aptSources.size > 0) {
      out.apt = { sources: Object.fromEntries([...this.aptSources].map(([name, s]) => [name, { source: s.source, key: s.key }])) };
    }
    if (this.packageUpgrade !== undefined) out.package_upgrade = this.packageUpgrade;
    if (this.packages.size > 0) out.packages = [...this.packages].sort();
    const runcmd = [...this.runcmd.map((command) => [...command]), ...this.systemdCommands()];
    if (runcmd.length > 0) out.runcmd = runcmd;
    return out;
  }

  /**
   * Starting with `--no-block` queues the units' start jobs and returns: cloud-init never waits
   * for a unit's first try, so a unit that retries (an installer whose upstream is down, a setup
   * waiting for its cluster) neither holds the boot for its retry period nor turns `cloud-init
   * status` into an error while it is still trying; `systemctl --failed` names the units that
   * gave up. The units are enabled, so later boots start them without cloud-init.
   */
  private systemdCommands(): string[][] {
    if (this.systemdFiles.size === 0) return [];
    const enabled = this.units.filter((unit) => unit.enable).map((unit) => unit.name);
    const started = this.units.filter((unit) => unit.start).map((unit) => unit.name);
    return [
      ["systemctl", "daemon-reload"],
      ...(enabled.length > 0 ? [["systemctl", "enable", ...enabled]] : []),
      ...(started.length > 0 ? [["systemctl", "start", "--no-block", ...started]] : []),
    ];
  }
}

/**
 * Escapes text for a Terraform string template: every `${` becomes `$${` and every `%{` becomes
 * `%%{`, so Terraform delivers them literally, except cdktf string tokens
 * (`${TfToken[TOKEN.n]}`), which cdktf turns into Terraform expressions.
 */
export function escapeTerraformTemplate(text: string): string {
  return text.replace(LITERAL_INTERPOLATION, () => "$${").replace(/%\{/g, () => "%%{");
}

function hasToken(value: string): boolean {
  return STRING_TOKEN.test(value);
}

function checkAbsolutePath(path: string): void {
  if (hasToken(path)) return;
  if (!path.startsWith("/")) throw new Error(`${JSON.stringify(path)} is a relative path; cloud-init needs an absolute path`);
  if (path.endsWith("/") || /[\r\n\0]/.test(path) || path.split("/").some((segment) => segment === "." || segment === "..")) {
    throw new Error(`${JSON.stringify(path)} is not a plain absolute file path (no trailing "/", ".", ".." or control characters)`);
  }
}

function checkUnitName(name: string): void {
  if (!UNIT_NAME.test(name)) {
    throw new Error(`${JSON.stringify(name)} is not a systemd unit file name ending in .service, .timer, .mount, .path, .socket or .target`);
  }
}

function checkCommand(module: string, command: readonly string[]): readonly string[] {
  if (command.length === 0 || command[0] === "") throw new Error(`${module}: a command needs at least the program to run`);
  return [...command];
}

function renderFile(file: CloudConfigFile): Record<string, unknown> {
  return {
    path: file.path,
    owner: file.owner,
    permissions: file.permissions,
    ...(file.defer ? { defer: true } : {}),
    ...(file.encoding ? { encoding: file.encoding } : {}),
    content: file.content,
  };
}

function renderUser(user: CloudConfigUser): Record<string, unknown> {
  const out: Record<string, unknown> = { name: user.name };
  if (user.groups && user.groups.length > 0) out.groups = [...user.groups];
  if (user.shell !== undefined) out.shell = user.shell;
  if (user.sudo !== undefined) out.sudo = user.sudo;
  if (user.system !== undefined) out.system = user.system;
  if (user.lockPasswd !== undefined) out.lock_passwd = user.lockPasswd;
  if (user.sshAuthorizedKeys && user.sshAuthorizedKeys.length > 0) out.ssh_authorized_keys = [...user.sshAuthorizedKeys];
  return out;
}

function renderDiskSetup(setup: DiskSetup): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (setup.tableType !== undefined) out.table_type = setup.tableType;
  if (setup.layout !== undefined) {
    out.layout = Array.isArray(setup.layout)
      ? setup.layout.map((part: number | readonly [number, number]) => (typeof part === "number" ? part : [...part]))
      : setup.layout;
  }
  if (setup.overwrite !== undefined) out.overwrite = setup.overwrite;
  return out;
}

function renderFsSetup(fs: FsSetup): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (fs.label !== undefined) out.label = fs.label;
  out.filesystem = fs.filesystem;
  out.device = fs.device;
  if (fs.partition !== undefined) out.partition = fs.partition;
  if (fs.overwrite !== undefined) out.overwrite = fs.overwrite;
  if (fs.replaceFs !== undefined) out.replace_fs = fs.replaceFs;
  if (fs.extraOpts !== undefined) out.extra_opts = [...fs.extraOpts];
  if (fs.cmd !== undefined) out.cmd = typeof fs.cmd === "string" ? fs.cmd : [...fs.cmd];
  return out;
}

function renderMount(mount: MountEntry): string[] {
  const fields = [mount.device, mount.mountPoint];
  const later = [mount.fsType, mount.options, mount.dump, mount.pass];
  const last = later.reduce<number>((found, value, index) => (value !== undefined ? index : found), -1);
  const fallbacks = ["auto", "defaults,nofail", "0"];
  for (let index = 0; index <= last; index++) fields.push(String(later[index] ?? fallbacks[index]));
  return fields;
}
