import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CLOUD_IMAGE_PACKAGES, debianRoot, debianRootGate, HOST_CA_BUNDLE, type DebianRoot } from "./support/debian-root";
import { describeGated } from "./support/validators";

/** The base64 bodies of the certificates of a PEM bundle. */
function certificatesOf(bundle: string): string[] {
  return [...bundle.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)].map((match) => match[1].replace(/\s/g, ""));
}

describeGated(debianRootGate(), "the boot tests' Debian root", () => {
  let root: DebianRoot;
  beforeAll(async () => {
    root = await debianRoot();
  }, 30 * 60_000);

  const installed = (name: string) =>
    spawnSync("chroot", [root.dir, "dpkg-query", "--show", "--showformat=${db:Status-Status}", name], { encoding: "utf8" }).stdout === "installed";

  test("is Debian 13 with a cloud image's packages: systemd as init, cloud-init 25", () => {
    expect(fs.readFileSync(path.join(root.dir, "etc", "debian_version"), "utf8")).toMatch(/^13\./);
    expect(CLOUD_IMAGE_PACKAGES.filter((name) => !installed(name))).toEqual([]);
    expect(installed("systemd-sysv")).toBe(true);
    const version = spawnSync("chroot", [root.dir, "dpkg-query", "--show", "--showformat=${Version}", "cloud-init"], { encoding: "utf8" }).stdout;
    expect(version).toMatch(/^25\./);
  });

  test("leaves ifupdown out, as a cloud image does: its network is netplan's, for systemd-networkd", () => {
    expect({ ifupdown: installed("ifupdown"), netplan: installed("netplan.io") }).toEqual({ ifupdown: false, netplan: true });
    expect(fs.existsSync(path.join(root.dir, "usr", "lib", "systemd", "system", "networking.service"))).toBe(false);
  });

  test("has none of the packages only a role installs", () => {
    expect(["nginx", "nodejs", "jq", "gnupg", "prometheus-node-exporter"].filter(installed)).toEqual([]);
  });

  test("trusts every certificate of the host's CA bundle, kept where ca-certificates rebuilds its bundle from", () => {
    const host = certificatesOf(fs.readFileSync(HOST_CA_BUNDLE, "utf8"));
    const trusted = (file: string) => new Set(certificatesOf(fs.readFileSync(path.join(root.dir, file), "utf8")));
    const bundle = trusted("etc/ssl/certs/ca-certificates.crt");
    // update-ca-certificates (run by every upgrade of ca-certificates) adds the files of /usr/local/share/ca-certificates.
    const local = trusted("usr/local/share/ca-certificates/host-ca-bundle.crt");
    expect(host.filter((certificate) => !bundle.has(certificate) || !local.has(certificate))).toEqual([]);
  });

  test("is taken from the cache on a second call", async () => {
    const started = Date.now();
    const again = await debianRoot();
    expect(again).toEqual(root);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test("a build that fails leaves nothing in the cache, and says why", async () => {
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "debian-root-"));
    try {
      await expect(debianRoot({ cacheDir, extraPackages: ["no-such-package-of-the-boot-tests"] })).rejects.toThrow(/no-such-package-of-the-boot-tests/);
      expect(fs.readdirSync(cacheDir)).toEqual([]);
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  }, 10 * 60_000);
});
