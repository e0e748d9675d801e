/**
 * nginx for the elastic-recheck dashboard: static pages and the JSON the dashboard jobs
 * regenerate, read-only (GET and HEAD), over TLS.
 */

export interface DashboardNginxProps {
  /** The public DNS name, or "_" for any. */
  readonly serverName: string;
  /** elastic-recheck's web files (`share/elastic-recheck` of its installation). */
  readonly webRoot: string;
  /** Where the dashboard jobs write `all.json`, `gate.json` and the uncategorized pages. */
  readonly dataDir: string;
  readonly tlsCertificateFile: string;
  readonly tlsKeyFile: string;
  readonly acmeWebroot: string;
  /** @default true */
  readonly ipv6?: boolean;
  /** Where nginx keeps its pid, logs and temporary files. @default the Debian package's places */
  readonly runtime?: { readonly pidFile: string; readonly logDir: string; readonly tempDir: string };
}

export function renderDashboardNginx(props: DashboardNginxProps): string {
  const runtime = props.runtime ?? { pidFile: "/run/nginx.pid", logDir: "/var/log/nginx", tempDir: "/var/lib/nginx" };
  const ipv6 = props.ipv6 ?? true;
  const listen = (port: number, options: string) =>
    `        listen ${port}${options};${ipv6 ? `\n        listen [::]:${port}${options};` : ""}`;
  return `# Rendered by ci-log-analysis-infra (lib/recheck/nginx.ts); changes here are overwritten.
worker_processes auto;
pid ${runtime.pidFile};
error_log ${runtime.logDir}/error.log warn;

events {
    worker_connections 512;
}

http {
    server_tokens off;
    access_log ${runtime.logDir}/access.log;
    client_body_temp_path ${runtime.tempDir}/body;
    proxy_temp_path ${runtime.tempDir}/proxy;
    fastcgi_temp_path ${runtime.tempDir}/fastcgi;
    uwsgi_temp_path ${runtime.tempDir}/uwsgi;
    scgi_temp_path ${runtime.tempDir}/scgi;
    types {
        text/html html;
        text/css css;
        application/javascript js;
        application/json json;
        image/png png;
    }
    default_type application/octet-stream;
    client_max_body_size 1k;

    server {
${listen(80, " default_server")}
        server_name ${props.serverName};
        location /.well-known/acme-challenge/ {
            root ${props.acmeWebroot};
        }
        location / {
            return 301 https://$host$request_uri;
        }
    }

    server {
${listen(443, " ssl default_server")}
        server_name ${props.serverName};
        ssl_certificate ${props.tlsCertificateFile};
        ssl_certificate_key ${props.tlsKeyFile};
        ssl_protocols TLSv1.2 TLSv1.3;
        add_header Strict-Transport-Security "max-age=31536000" always;

        location = / {
            return 302 /elastic-recheck/;
        }
        # Regenerated every 30 minutes by the dashboard jobs.
        location /elastic-recheck/data/ {
            limit_except GET { deny all; }
            alias ${props.dataDir}/;
            add_header Cache-Control "max-age=300";
        }
        location /elastic-recheck/ {
            limit_except GET { deny all; }
            alias ${props.webRoot}/;
            index index.html;
        }
        location / {
            return 404;
        }
    }
}
`;
}
