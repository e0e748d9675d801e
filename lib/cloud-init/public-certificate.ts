/**
 * The TLS certificate of a public nginx server: a self-signed one at first boot so that nginx
 * can start, replaced by Let's Encrypt's when a DNS name is configured (certbot renews it and
 * runs the install hook again). Used by every server the world reaches.
 */
import { NODE_CONFIG_DIR, type CloudConfigBuilder } from "./cloud-config";

const TLS_DIR = `${NODE_CONFIG_DIR}/tls`;
export const ACME_WEBROOT = "/var/www/acme";

export interface PublicCertificateProps {
  /** @default none: a self-signed certificate only */
  readonly dnsName?: string;
  /** Let's Encrypt account contact; required with dnsName. @default none */
  readonly acmeEmail?: string;
  /**
   * The server's public address (a floating IP), written into the self-signed certificate as an
   * IP subject alternative name beside the server's own addresses (`hostname -I`), so that a
   * client that trusts it (`--ca-file`) can verify it on a bare address.
   * @default the server's own addresses only
   */
  readonly publicAddress?: string;
}

export interface PublicCertificateFiles {
  readonly certificateFile: string;
  readonly keyFile: string;
  readonly acmeWebroot: string;
}

/** Adds the certificate unit and its scripts; returns where nginx finds the certificate. */
export function addPublicCertificate(cloudConfig: CloudConfigBuilder, props: PublicCertificateProps): PublicCertificateFiles {
  if (props.dnsName && !props.acmeEmail) throw new Error(`dnsName ${props.dnsName} needs acmeEmail for Let's Encrypt.`);
  cloudConfig.addPackages("nginx", "openssl", ...(props.dnsName ? ["certbot"] : []));
  cloudConfig.addFile({
    path: `${NODE_CONFIG_DIR}/public-certificate.env`,
    content: `TLS_DIR=${TLS_DIR}\nACME_WEBROOT=${ACME_WEBROOT}\nDNS_NAME=${props.dnsName ?? ""}\nACME_EMAIL=${props.acmeEmail ?? ""}\nPUBLIC_ADDRESS=${props.publicAddress ?? ""}\n`,
  });
  cloudConfig.addScript("/usr/local/sbin/public-certificate", PUBLIC_CERTIFICATE_SCRIPT);
  cloudConfig.addScript("/usr/local/sbin/public-certificate-install", INSTALL_CERTIFICATE_SCRIPT);
  cloudConfig.addSystemdUnit("public-certificate.service", {
    Unit: {
      Description: "TLS certificate of the public web server (self-signed, then Let's Encrypt when a DNS name is set)",
      After: ["network-online.target", "nginx.service"],
      Wants: "network-online.target",
    },
    Service: {
      Type: "oneshot",
      RemainAfterExit: true,
      EnvironmentFile: `${NODE_CONFIG_DIR}/public-certificate.env`,
      ExecStart: "/usr/local/sbin/public-certificate",
      // DNS may not point here yet on the first boot: try again until it does.
      Restart: "on-failure",
      RestartSec: "10min",
    },
    Install: { WantedBy: "multi-user.target" },
  });
  // The boot-time unit stays active (RemainAfterExit): a timer of its own runs the script daily.
  cloudConfig.addSystemdUnit(
    "public-certificate-renew.service",
    {
      Unit: { Description: "Renew the public web server's TLS certificate before it expires", After: "network-online.target", Wants: "network-online.target" },
      Service: { Type: "oneshot", EnvironmentFile: `${NODE_CONFIG_DIR}/public-certificate.env`, ExecStart: "/usr/local/sbin/public-certificate" },
    },
    { enable: false, start: false },
  );
  cloudConfig.addSystemdUnit("public-certificate-renew.timer", {
    Unit: { Description: "Daily renewal check of the public web server's TLS certificate" },
    Timer: { OnCalendar: "daily", RandomizedDelaySec: "1h", Persistent: true },
    Install: { WantedBy: "timers.target" },
  });
  return { certificateFile: `${TLS_DIR}/fullchain.pem`, keyFile: `${TLS_DIR}/privkey.pem`, acmeWebroot: ACME_WEBROOT };
}

/** How long a self-signed certificate is valid, and how many days before its end it is replaced. */
export const SELF_SIGNED_DAYS = 90;
export const SELF_SIGNED_RENEW_DAYS = 30;

export const PUBLIC_CERTIFICATE_SCRIPT = `: "\${TLS_DIR:?}" "\${ACME_WEBROOT:?}"
install -d -m 0755 "$TLS_DIR" "$ACME_WEBROOT"
# A self-signed certificate when there is none, and again while no DNS name brings Let's
# Encrypt's, before the one in place expires (the renewal timer runs this every day).
if [ ! -s "$TLS_DIR/fullchain.pem" ] || { [ -z "\${DNS_NAME:-}" ] && ! openssl x509 -checkend ${SELF_SIGNED_RENEW_DAYS * 86400} -noout -in "$TLS_DIR/fullchain.pem"; }; then
  # The name and every address as subject alternative names: clients match those, not the CN.
  names=""
  if [ -n "\${DNS_NAME:-}" ]; then names="DNS:$DNS_NAME"; fi
  # shellcheck disable=SC2046 # one word per address
  for address in \${PUBLIC_ADDRESS:-} $(hostname -I); do names="\${names:+$names,}IP:$address"; done
  extensions=()
  if [ -n "$names" ]; then extensions=(-addext "subjectAltName=$names"); fi
  openssl req -x509 -newkey rsa:3072 -nodes -days ${SELF_SIGNED_DAYS} -subj "/CN=\${DNS_NAME:-$(hostname)}" "\${extensions[@]}" \\
    -keyout "$TLS_DIR/privkey.pem.new" -out "$TLS_DIR/fullchain.pem.new"
  chmod 0600 "$TLS_DIR/privkey.pem.new"
  mv "$TLS_DIR/privkey.pem.new" "$TLS_DIR/privkey.pem"
  mv "$TLS_DIR/fullchain.pem.new" "$TLS_DIR/fullchain.pem"
fi
systemctl reload-or-restart nginx.service
if [ -n "\${DNS_NAME:-}" ]; then
  certbot certonly --non-interactive --agree-tos --email "\${ACME_EMAIL:?set with DNS_NAME}" \\
    --webroot --webroot-path "$ACME_WEBROOT" --domain "$DNS_NAME" --keep-until-expiring \\
    --deploy-hook /usr/local/sbin/public-certificate-install
  if [ -d "/etc/letsencrypt/live/$DNS_NAME" ]; then
    RENEWED_LINEAGE="/etc/letsencrypt/live/$DNS_NAME" TLS_DIR="$TLS_DIR" /usr/local/sbin/public-certificate-install
  fi
fi
`;

/** certbot's deploy hook: puts the new certificate where nginx reads it. */
const INSTALL_CERTIFICATE_SCRIPT = `: "\${RENEWED_LINEAGE:?set by certbot}"
tls_dir=\${TLS_DIR:-${TLS_DIR}}
install -m 0644 "$RENEWED_LINEAGE/fullchain.pem" "$tls_dir/fullchain.pem"
install -m 0600 "$RENEWED_LINEAGE/privkey.pem" "$tls_dir/privkey.pem"
systemctl reload nginx.service
`;
