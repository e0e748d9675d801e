/** Test certificates made with the real openssl, for the TLS peers that tests start on loopback. */
import { spawnSync } from "node:child_process";

/** Runs openssl in `dir`, failing with its message when it fails. */
export function openssl(dir: string, ...args: string[]): void {
  const result = spawnSync("openssl", args, { cwd: dir, encoding: "utf8", timeout: 20_000 });
  if (result.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${result.stderr}`);
}

/**
 * A self-signed certificate and its unencrypted key, as `certFile` and `keyFile` (relative to
 * `dir`), naming `ipAddress` as subject alternative name when given.
 */
export function selfSignedCertificate(
  dir: string,
  options: { commonName: string; keyFile?: string; certFile?: string; days?: number; ipAddress?: string },
): void {
  openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", String(options.days ?? 1), "-subj", `/CN=${options.commonName}`,
    ...(options.ipAddress ? ["-addext", `subjectAltName=IP:${options.ipAddress}`] : []),
    "-keyout", options.keyFile ?? "key.pem", "-out", options.certFile ?? "cert.pem");
}
