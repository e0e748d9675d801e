/**
 * A server's user data as the cloud delivers it: the synthesized `user_data` (a Terraform
 * template) evaluated by the real Terraform, with every value known only at deploy time filled
 * in by the test. What stands for what:
 *
 * - `random_password.<name>.result`: 24 random letters and digits per password, and its
 *   `.bcrypt_hash` a real bcrypt hash of them (cost 10, as the random provider's);
 * - `tls_self_signed_cert.<name>.cert_pem`: a CA made with openssl for the run;
 *   `tls_locally_signed_cert.<name>.cert_pem` and `tls_private_key.<name>.private_key_pem_pkcs8`:
 *   a certificate that CA signs, one per name, and its PKCS#8 key;
 * - `openstack_networking_floatingip_v2.<name>.address`: an address of TEST-NET-1 (192.0.2.0/24);
 * - `openstack_blockstorage_volume_v3.<name>.id`: a random UUID (the volume's serial is its first 20 characters);
 * - `openstack_objectstorage_container_v1.<name>.name`: the Swift container's name, `boot-test-<name>`;
 * - `openstack_compute_instance_v2.<name>.access_ip_v4`: a private address of 10.42.1.0/24 per server;
 * - `var.<name>`: the value the test passes for it (the stack's secrets, e.g. the Gerrit key).
 *
 * Each reference becomes a string literal in the template, so Terraform's own functions
 * (base64encode, format, replace, substr...) and escapes (`$${`) do the rest, as on a deploy.
 */
import { spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { hashSync } from "bcryptjs";
import { openssl } from "./certificates";

const REFERENCE = /\b(random_password|tls_self_signed_cert|tls_locally_signed_cert|tls_private_key|openstack_networking_floatingip_v2|openstack_blockstorage_volume_v3|openstack_objectstorage_container_v1|openstack_compute_instance_v2)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\b/g;

/** The values of one deployment, made once and shared by its servers (one CA, one password per name). */
export class DeployValues {
  private readonly values = new Map<string, string>();
  private nextAddress = 10;
  private nextPrivateAddress = 10;

  /** `dir`: a private folder for the certificates; `variables`: the stack's input variables by name. */
  constructor(
    private readonly dir: string,
    private readonly variables: Readonly<Record<string, string>> = {},
  ) {}

  variable(name: string): string {
    const value = this.variables[name];
    if (value === undefined) throw new Error(`the user data reads var.${name}, which the test gives no value`);
    return value;
  }

  /** The value of `type.name.attribute`. */
  reference(type: string, name: string, attribute: string): string {
    const address = `${type}.${name}.${attribute}`;
    const known = this.values.get(address);
    if (known !== undefined) return known;
    const value = this.make(type, name, attribute);
    this.values.set(address, value);
    return value;
  }

  private make(type: string, name: string, attribute: string): string {
    switch (`${type}.${attribute}`) {
      case "random_password.result":
        return randomBytes(32).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, 24);
      case "random_password.bcrypt_hash":
        return hashSync(this.reference(type, name, "result"), 10);
      case "tls_self_signed_cert.cert_pem":
        return this.certificateAuthority();
      case "tls_locally_signed_cert.cert_pem":
        return this.signedCertificate(name).cert;
      case "tls_private_key.private_key_pem_pkcs8":
        return this.signedCertificate(name.replace(/-key_[0-9A-F]+$/, "")).key;
      case "openstack_networking_floatingip_v2.address":
        return `192.0.2.${this.nextAddress++}`;
      case "openstack_blockstorage_volume_v3.id":
        return randomUUID();
      case "openstack_compute_instance_v2.access_ip_v4":
        return `10.42.1.${this.nextPrivateAddress++}`;
      case "openstack_objectstorage_container_v1.name":
        return `boot-test-${name}`.toLowerCase();
      default:
        throw new Error(`the user data reads ${type}.${name}.${attribute}, for which the test makes no value`);
    }
  }

  private certificateAuthority(): string {
    const cert = path.join(this.dir, "ca.crt");
    if (!fs.existsSync(cert)) {
      openssl(this.dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=boot test CA", "-keyout", "ca.key", "-out", "ca.crt");
    }
    return fs.readFileSync(cert, "utf8");
  }

  /** A certificate and key for a `tls_locally_signed_cert` name (its key's name shares the prefix). */
  private signedCertificate(certificateName: string): { cert: string; key: string } {
    return this.certificate(certificateName.replace(/-certificate_[0-9A-F]+$/, ""));
  }

  /**
   * A certificate the deployment's CA signs for `stem` (PEM certificate, PKCS#8 key), made once;
   * with `subjectAltName` (openssl's syntax, e.g. `DNS:search-cluster,IP:10.0.0.1`) when given.
   */
  certificate(stem: string, subjectAltName?: string): { cert: string; key: string } {
    this.certificateAuthority();
    const key = path.join(this.dir, `${stem}.key`);
    if (!fs.existsSync(key)) {
      fs.writeFileSync(path.join(this.dir, `${stem}.ext`), subjectAltName ? `subjectAltName=${subjectAltName}\n` : "");
      openssl(this.dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${stem}`, "-keyout", `${stem}.key`, "-out", `${stem}.csr`);
      openssl(this.dir, "x509", "-req", "-in", `${stem}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", `${stem}.ext`, "-out", `${stem}.crt`);
      openssl(this.dir, "pkcs8", "-topk8", "-nocrypt", "-in", `${stem}.key`, "-out", `${stem}.pkcs8`);
    }
    return { cert: fs.readFileSync(path.join(this.dir, `${stem}.crt`), "utf8"), key: fs.readFileSync(path.join(this.dir, `${stem}.pkcs8`), "utf8") };
  }
}

/**
 * A synthesized template string (a server's `user_data`, its metadata as JSON) as Terraform
 * renders it with `values`; runs `terraform apply` on a configuration with one output and no
 * provider, in `dir`.
 */
export function renderTemplate(userData: string, values: DeployValues, dir: string): string {
  const variables = new Set<string>();
  const template = userData
    .replace(REFERENCE, (_match, type: string, name: string, attribute: string) => JSON.stringify(values.reference(type, name, attribute)))
    .replace(/\bvar\.([A-Za-z0-9_-]+)\b/g, (match, name: string) => {
      variables.add(name);
      return match;
    });
  const work = fs.mkdtempSync(path.join(dir, "user-data-"));
  const config = {
    ...(variables.size > 0 ? { variable: Object.fromEntries([...variables].map((name) => [name, { type: "string", sensitive: true }])) } : {}),
    output: { user_data: { value: template, sensitive: true } },
  };
  fs.writeFileSync(path.join(work, "main.tf.json"), JSON.stringify(config));
  fs.writeFileSync(path.join(work, "cli.tfrc"), "");
  const env = {
    ...process.env,
    TF_CLI_CONFIG_FILE: path.join(work, "cli.tfrc"),
    CHECKPOINT_DISABLE: "1",
    ...Object.fromEntries([...variables].map((name) => [`TF_VAR_${name}`, values.variable(name)])),
  };
  const terraform = (...args: string[]) => {
    const result = spawnSync("terraform", args, { cwd: work, env, encoding: "utf8", timeout: 60_000 });
    // Terraform quotes the configuration's line in its errors: only the start of it, which names the problem.
    if (result.status !== 0) throw new Error(`terraform ${args.join(" ")}: ${`${result.stderr}${result.stdout}`.slice(0, 2000)}`);
    return result.stdout;
  };
  terraform("apply", "-auto-approve", "-input=false", "-no-color");
  return JSON.parse(terraform("output", "-json", "user_data")) as string;
}
