/**
 * What every public nginx server of the project has in common: the main context, where it
 * keeps its runtime files, the plain-HTTP server that answers ACME challenges and redirects to
 * HTTPS, the TLS settings, and the counters the monitoring reads on loopback. The front end and
 * the recheck dashboard add their locations.
 */
import { NGINX_STATUS_LISTEN, NGINX_STATUS_PATH } from "./monitoring/targets";

export interface NginxRuntime {
  readonly pidFile: string;
  readonly logDir: string;
  readonly tempDir: string;
}

/** Where Debian's nginx package keeps them. */
export const DEBIAN_NGINX_RUNTIME: NginxRuntime = { pidFile: "/run/nginx.pid", logDir: "/var/log/nginx", tempDir: "/var/lib/nginx" };

export interface PublicServerProps {
  readonly serverName: string;
  readonly acmeWebroot: string;
  readonly tlsCertificateFile: string;
  readonly tlsKeyFile: string;
  /** @default 80 */
  readonly httpPort?: number;
  /** @default 443 */
  readonly httpsPort?: number;
  /** Listen on IPv6 too. @default true */
  readonly ipv6?: boolean;
  /** Where nginx serves its stub_status (loopback). @default NGINX_STATUS_LISTEN */
  readonly statusListen?: string;
}

function listen(port: number, options: string, ipv6: boolean): string {
  return `        listen ${port}${options};${ipv6 ? `\n        listen [::]:${port}${options};` : ""}`;
}

/**
 * A whole nginx.conf: main context, the `http` block with `httpDirectives`, the HTTP server
 * (ACME challenges, redirect to HTTPS) and the HTTPS server with `locations`.
 */
export function renderPublicNginx(
  source: string,
  runtime: NginxRuntime,
  server: PublicServerProps,
  httpDirectives: string,
  locations: string,
): string {
  const ipv6 = server.ipv6 ?? true;
  return `# Rendered by ci-log-analysis-infra (${source}); changes here are overwritten.
worker_processes auto;
pid ${runtime.pidFile};
error_log ${runtime.logDir}/error.log warn;

events {
    worker_connections 1024;
}

http {
    server_tokens off;
    access_log ${runtime.logDir}/access.log;
    client_body_temp_path ${runtime.tempDir}/body;
    proxy_temp_path ${runtime.tempDir}/proxy;
    fastcgi_temp_path ${runtime.tempDir}/fastcgi;
    uwsgi_temp_path ${runtime.tempDir}/uwsgi;
    scgi_temp_path ${runtime.tempDir}/scgi;
${httpDirectives}
    server {
${listen(server.httpPort ?? 80, " default_server", ipv6)}
        server_name ${server.serverName};
        location /.well-known/acme-challenge/ {
            root ${server.acmeWebroot};
        }
        location / {
            return 301 https://$host$request_uri;
        }
    }

    server {
${listen(server.httpsPort ?? 443, " ssl default_server", ipv6)}
        server_name ${server.serverName};
        ssl_certificate ${server.tlsCertificateFile};
        ssl_certificate_key ${server.tlsKeyFile};
        ssl_protocols TLSv1.2 TLSv1.3;
        add_header Strict-Transport-Security "max-age=31536000" always;
${locations}
    }

    # nginx's counters for prometheus-nginx-exporter on the same server, on loopback only.
    server {
        listen ${server.statusListen ?? NGINX_STATUS_LISTEN};
        access_log off;
        location = ${NGINX_STATUS_PATH} {
            stub_status;
        }
        location / {
            return 404;
        }
    }
}
`;
}
