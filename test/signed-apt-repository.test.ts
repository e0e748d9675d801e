import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ONLY_KEY_IS_FUNCTION } from "../lib/cloud-init/signed-apt-repository";
import { describeGated, toolGate } from "./support/validators";

/**
 * The key check run for real with bash and gpg on key files made at test time: a vendor key,
 * and another key that an attacker would add to the file.
 */
describeGated(toolGate("gpg", "gnupg"), "only_key_is, the apt key check, with gpg", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "apt-key-"));
  const home = path.join(dir, "gnupg");
  const gpg = (...args: string[]) => {
    const result = spawnSync("gpg", ["--homedir", home, "--batch", "--passphrase", "", ...args], { encoding: "utf8" });
    if (result.status !== 0) throw new Error(`gpg ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  };
  const keys: Record<string, { armored: string; fingerprint: string }> = {};

  beforeAll(() => {
    fs.mkdirSync(home, { mode: 0o700 });
    fs.mkdirSync(path.join(dir, "empty-home"), { mode: 0o700 });
    for (const name of ["vendor", "intruder"]) {
      gpg("--quick-gen-key", `${name} <${name}@example.org>`, "ed25519", "sign", "never");
      const fingerprint = gpg("--with-colons", "--list-keys", `${name}@example.org`).split("\n").find((line) => line.startsWith("fpr:"))!.split(":")[9];
      keys[name] = { armored: gpg("--armor", "--export", `${name}@example.org`), fingerprint };
    }
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function check(...names: string[]): number {
    const file = path.join(dir, "key.asc");
    fs.writeFileSync(file, names.map((name) => keys[name].armored).join(""));
    const result = spawnSync("bash", ["-c", `${ONLY_KEY_IS_FUNCTION}only_key_is "$1" "$2"`, "check", file, keys.vendor.fingerprint], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, GNUPGHOME: path.join(dir, "empty-home") },
    });
    return result.status ?? -1;
  }

  test.each([
    ["the vendor's key alone passes", ["vendor"], 0],
    ["the vendor's key followed by another fails", ["vendor", "intruder"], 1],
    ["another key followed by the vendor's fails", ["intruder", "vendor"], 1],
    ["another key alone fails", ["intruder"], 1],
  ])("%s", (_, names, expected) => {
    expect(check(...(names as string[]))).toBe(expected);
  });
});
