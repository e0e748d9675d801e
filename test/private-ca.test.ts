import { PrivateCa } from "../constructs/private-ca";
import { resources, synthStack } from "./support/stack";

describe("PrivateCa", () => {
  const stack = synthStack((scope) => {
    const ca = new PrivateCa(scope, "ca", { commonName: "prod search cluster CA" });
    ca.issue("node-1", { commonName: "node-1", ipAddresses: ["10.42.0.48"], dnsNames: ["node-1"] });
  });

  test("creates a CA certificate signed by its own key, valid ten years", () => {
    expect(resources(stack, "tls_self_signed_cert")).toEqual([
      expect.objectContaining({
        subject: [{ common_name: "prod search cluster CA" }],
        is_ca_certificate: true,
        validity_period_hours: 87600,
        allowed_uses: ["cert_signing", "crl_signing"],
      }),
    ]);
  });

  test("issues server and client certificates for the given names and addresses", () => {
    expect(resources(stack, "tls_cert_request")).toEqual([
      expect.objectContaining({ subject: [{ common_name: "node-1" }], ip_addresses: ["10.42.0.48"], dns_names: ["node-1"] }),
    ]);
    expect(resources(stack, "tls_locally_signed_cert")).toEqual([
      expect.objectContaining({
        validity_period_hours: 43800,
        allowed_uses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
        ca_private_key_pem: expect.stringMatching(/^\$\{tls_private_key\.ca_key_\w+\.private_key_pem\}$/),
      }),
    ]);
    expect(resources(stack, "tls_private_key").every((key) => key.algorithm === "ECDSA" && key.ecdsa_curve === "P384")).toBe(true);
  });
});
