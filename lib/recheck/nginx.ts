/**
 * nginx for the elastic-recheck dashboard: static pages and the JSON the dashboard jobs
 * regenerate, read-only (GET and HEAD), over TLS.
 */
import { DEBIAN_NGINX_RUNTIME, renderPublicNginx, type NginxRuntime, type PublicServerProps } from "../nginx";

export interface DashboardNginxProps extends PublicServerProps {
  /** elastic-recheck's web files (`share/elastic-recheck` of its installation). */
  readonly webRoot: string;
  /** Where the dashboard jobs write `all.json`, `gate.json` and the uncategorized pages. */
  readonly dataDir: string;
  /** Where nginx keeps its pid, logs and temporary files. @default DEBIAN_NGINX_RUNTIME */
  readonly runtime?: NginxRuntime;
}

export function renderDashboardNginx(props: DashboardNginxProps): string {
  const httpDirectives = `    types {
        text/html html;
        text/css css;
        application/javascript js;
        application/json json;
        image/png png;
    }
    default_type application/octet-stream;
    client_max_body_size 1k;
`;
  const locations = `
        location = / {
            return 302 /elastic-recheck/;
        }
        # Regenerated every 30 minutes by the dashboard jobs.
        location /elastic-recheck/data/ {
            limit_except GET { deny all; }
            alias ${props.dataDir}/;
            # add_header here replaces the server's, so HSTS is repeated.
            add_header Cache-Control "max-age=300";
            add_header Strict-Transport-Security "max-age=31536000" always;
        }
        location /elastic-recheck/ {
            limit_except GET { deny all; }
            alias ${props.webRoot}/;
            index index.html;
        }
        location / {
            return 404;
        }`;
  return renderPublicNginx("lib/recheck/nginx.ts", props.runtime ?? DEBIAN_NGINX_RUNTIME, props, httpDirectives, locations);
}
