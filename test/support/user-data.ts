import { gunzipSync } from "node:zlib";
import { parse } from "yaml";
import { terraformString } from "./validators";

const STAND_IN_PEM = "-----BEGIN CERTIFICATE-----\nc3RhbmQtaW4=\n-----END CERTIFICATE-----\n";

/**
 * The user data a server receives, with each Terraform reference (known only at apply time)
 * replaced by a stand-in of the same shape, so the validators can read the rest.
 */
export function deliveredUserData(userData: string): string {
  let withStandIns = "";
  let offset = 0;
  for (;;) {
    const start = userData.indexOf("${", offset);
    if (start === -1) break;
    if (userData[start - 1] === "$") {
      withStandIns += userData.slice(offset, start + 2);
      offset = start + 2;
      continue;
    }
    // Expressions nest ("${base64encode("a:${b}")}"): find the brace that closes this one.
    let depth = 0;
    let end = start + 1;
    for (; end < userData.length; end++) {
      if (userData[end] === "{") depth++;
      if (userData[end] === "}" && --depth === 0) break;
    }
    withStandIns += userData.slice(offset, start) + standIn(userData.slice(start + 2, end));
    offset = end + 1;
  }
  return terraformString(withStandIns + userData.slice(offset));
}

function standIn(expression: string): string {
  if (expression.startsWith("substr(")) return "0123456789abcdef0123";
  if (expression.startsWith("base64encode(")) return Buffer.from(STAND_IN_PEM).toString("base64");
  return "stand-in-value";
}

export interface WrittenFile {
  readonly path: string;
  readonly content: string;
  readonly permissions: string;
}

/** A `write_files` entry of a cloud-config, as the YAML gives it. */
export interface WriteFilesEntry extends WrittenFile {
  readonly encoding?: string;
  readonly owner?: string;
  readonly defer?: boolean;
}

/** The text cloud-init writes for a `write_files` entry (decoding b64 and gz+b64). */
export function decodedContent(file: WriteFilesEntry): string {
  return file.encoding === "b64" ? Buffer.from(file.content, "base64").toString("utf8")
    : file.encoding === "gz+b64" ? gunzipSync(Buffer.from(file.content, "base64")).toString("utf8")
    : file.content;
}

/** Every file the user data writes, decoded, as the server writes it. */
export function writtenFiles(userData: string): WrittenFile[] {
  const document = parse(deliveredUserData(userData)) as { write_files?: WriteFilesEntry[] };
  return (document.write_files ?? []).map((file) => ({ path: file.path, permissions: file.permissions, content: decodedContent(file) }));
}

const STAND_IN_UNIT = "[Unit]\nDescription=Stand-in for a unit a package installs\n\n[Service]\nExecStart=/bin/true\n";

/**
 * The systemd units and drop-ins a server's files write, keyed as validateSystemdUnits takes
 * them; a drop-in for a unit that a package installs gets a stand-in of that unit.
 */
export function systemdUnitsOf(files: readonly WrittenFile[]): Record<string, string> {
  const units: Record<string, string> = {};
  for (const file of files) {
    const unit = /^\/etc\/systemd\/system\/(.+)$/.exec(file.path);
    if (unit) units[unit[1]] = file.content;
  }
  for (const key of Object.keys(units)) {
    const base = /^([^/]+)\.d\//.exec(key)?.[1];
    if (base && !(base in units)) units[base] = STAND_IN_UNIT;
  }
  return units;
}

/** The executables a server's files write (scripts with a shebang), which its units may run. */
export function executablesOf(files: readonly WrittenFile[]): string[] {
  return files.filter((file) => file.content.startsWith("#!")).map((file) => file.path);
}

/** The shell scripts a server's files write, by path, for validateShellScripts. */
export function shellScriptsOf(files: readonly WrittenFile[]): Record<string, string> {
  return Object.fromEntries(files.filter((file) => /^#!\/bin\/(ba)?sh\n/.test(file.content)).map((file) => [file.path, file.content]));
}
