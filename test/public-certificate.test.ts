import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CloudConfigBuilder } from "../lib/cloud-init/cloud-config";
import { addPublicCertificate, PUBLIC_CERTIFICATE_SCRIPT, SELF_SIGNED_DAYS } from "../lib/cloud-init/public-certificate";
import { selfSignedCertificate } from "./support/certificates";
import { describeGated, toolGate, validateSystemdUnits } from "./support/validators";

/** openssl prints IPv6 SANs with every group, in upper case. */
function expandIpv6(address: string): string {
  const [head, tail = ""] = address.split("::");
  const groups = (part: string) => (part ? part.split(":") : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  return [...groups(head), ...Array(address.includes("::") ? missing : 0).fill("0"), ...groups(tail)].map((group) => group.toUpperCase().replace(/^0+(?=.)/, "")).join(":");
}

/** Days until the certificate in `file` expires, as openssl reads it. */
function daysLeft(file: string): number {
  const end = spawnSync("openssl", ["x509", "-enddate", "-noout", "-in", file], { encoding: "utf8" }).stdout.trim().replace("notAfter=", "");
  return (Date.parse(end) - Date.now()) / 86_400_000;
}

/**
 * The script run for real with bash and openssl on a private TLS folder, without a DNS name;
 * systemctl is a stand-in that records the reload it is asked for.
 */
describeGated(toolGate("openssl", "openssl"), "the public certificate script, without a DNS name", () => {
  function run(existingCertificateDays?: number, publicAddress = ""): { dir: string; status: number; stderr: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "public-certificate-"));
    const tlsDir = path.join(dir, "tls");
    fs.mkdirSync(tlsDir);
    fs.mkdirSync(path.join(dir, "bin"));
    fs.writeFileSync(path.join(dir, "bin", "systemctl"), `#!/bin/bash\necho "$*" >> "${dir}/systemctl.log"\n`, { mode: 0o755 });
    if (existingCertificateDays !== undefined) {
      selfSignedCertificate(tlsDir, { commonName: "old", days: existingCertificateDays, keyFile: "privkey.pem", certFile: "fullchain.pem" });
    }
    fs.writeFileSync(path.join(dir, "script"), `#!/bin/bash\nset -euo pipefail\n${PUBLIC_CERTIFICATE_SCRIPT}`, { mode: 0o755 });
    const result = spawnSync("bash", [path.join(dir, "script")], {
      encoding: "utf8",
      env: { PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, TLS_DIR: tlsDir, ACME_WEBROOT: path.join(dir, "acme"), DNS_NAME: "", ACME_EMAIL: "", PUBLIC_ADDRESS: publicAddress },
    });
    return { dir, status: result.status ?? -1, stderr: result.stderr };
  }

  const cleanup: string[] = [];
  afterAll(() => cleanup.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  test.each([
    ["one that expires tomorrow", 1, SELF_SIGNED_DAYS],
    ["one with 60 days left", 60, 60],
  ])("with %s, leaves a certificate valid for the expected days and reloads nginx", (_, existing, expectedDays) => {
    const { dir, status } = run(existing);
    cleanup.push(dir);
    expect(status).toBe(0);
    expect(Math.round(daysLeft(path.join(dir, "tls", "fullchain.pem")))).toBe(expectedDays);
    expect(fs.statSync(path.join(dir, "tls", "privkey.pem")).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(path.join(dir, "systemctl.log"), "utf8")).toBe("reload-or-restart nginx.service\n");
  });

  test("writes the public address and the server's own addresses into the new certificate as IP subject alternative names", () => {
    const { dir, status, stderr } = run(undefined, "192.0.2.10");
    cleanup.push(dir);
    expect({ status, stderr }).toMatchObject({ status: 0 });
    const san = spawnSync("openssl", ["x509", "-noout", "-ext", "subjectAltName", "-in", path.join(dir, "tls", "fullchain.pem")], { encoding: "utf8" }).stdout;
    const own = spawnSync("hostname", ["-I"], { encoding: "utf8" }).stdout.trim().split(/\s+/).filter(Boolean);
    expect(san.trim().split("\n")[1].trim().split(", ")).toEqual(["IP Address:192.0.2.10", ...own.map((address) => `IP Address:${address.includes(":") ? expandIpv6(address) : address}`)]);
  });
});

describeGated(toolGate("systemd-analyze", "systemd"), "the certificate units", () => {
  test("a daily timer runs the script again, and the units pass systemd-analyze verify", () => {
    const cloudConfig = new CloudConfigBuilder();
    addPublicCertificate(cloudConfig, {});
    const units = cloudConfig.systemdUnitFiles();
    expect(units["public-certificate-renew.timer"]).toContain("OnCalendar=daily");
    expect(units["public-certificate-renew.service"]).toContain("ExecStart=/usr/local/sbin/public-certificate");
    const problems = validateSystemdUnits(units, { providedExecutables: ["/usr/local/sbin/public-certificate"] });
    expect(Object.values(problems).flat()).toEqual([]);
  });
});
