import { CertRequest } from "@cdktf/provider-tls/lib/cert-request";
import { LocallySignedCert } from "@cdktf/provider-tls/lib/locally-signed-cert";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { SelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";
import { Construct } from "constructs";

export interface PrivateCaProps {
  /** Common name of the CA certificate. */
  readonly commonName: string;
  /**
   * Validity of the CA certificate.
   * @default 87600 (ten years)
   */
  readonly validityHours?: number;
}

export interface IssuedCertificate {
  /** PEM certificate (a Terraform reference). */
  readonly certificatePem: string;
  /** PEM private key in PKCS#8, which both search engines read (a sensitive Terraform reference). */
  readonly privateKeyPem: string;
}

export interface CertificateProps {
  readonly commonName: string;
  /** @default none */
  readonly ipAddresses?: string[];
  /** @default none */
  readonly dnsNames?: string[];
  /** @default 43800 (five years) */
  readonly validityHours?: number;
}

/**
 * A certificate authority created at deploy time by Terraform's tls provider: its key and
 * those it issues exist only in the Terraform state (protect it), never in the repository.
 */
export class PrivateCa extends Construct {
  readonly certificatePem: string;
  private readonly key: PrivateKey;

  constructor(scope: Construct, id: string, props: PrivateCaProps) {
    super(scope, id);
    this.key = new PrivateKey(this, "key", { algorithm: "ECDSA", ecdsaCurve: "P384" });
    const certificate = new SelfSignedCert(this, "certificate", {
      privateKeyPem: this.key.privateKeyPem,
      subject: [{ commonName: props.commonName }],
      isCaCertificate: true,
      validityPeriodHours: props.validityHours ?? 87600,
      allowedUses: ["cert_signing", "crl_signing"],
    });
    this.certificatePem = certificate.certPem;
  }

  /** Issues a server and client certificate, for TLS between cluster members and to clients. */
  issue(id: string, props: CertificateProps): IssuedCertificate {
    const key = new PrivateKey(this, `${id}-key`, { algorithm: "ECDSA", ecdsaCurve: "P384" });
    const request = new CertRequest(this, `${id}-request`, {
      privateKeyPem: key.privateKeyPem,
      subject: [{ commonName: props.commonName }],
      ipAddresses: props.ipAddresses,
      dnsNames: props.dnsNames,
    });
    const certificate = new LocallySignedCert(this, `${id}-certificate`, {
      certRequestPem: request.certRequestPem,
      caPrivateKeyPem: this.key.privateKeyPem,
      caCertPem: this.certificatePem,
      validityPeriodHours: props.validityHours ?? 43800,
      allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
    });
    return { certificatePem: certificate.certPem, privateKeyPem: key.privateKeyPemPkcs8 };
  }
}
