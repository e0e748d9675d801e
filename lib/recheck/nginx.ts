/**
 * nginx for the elastic-recheck dashboard: static pages and the JSON the dashboard jobs
 * regenerate, read-only (GET and HEAD), over TLS. Until the bot has written its first
 * dashboard, the dashboard's address answers with a page saying that it waits for data.
 */
import { DEBIAN_NGINX_RUNTIME, renderPublicNginx, type NginxRuntime, type PublicServerProps } from "../nginx";
import { SERVICE_DEFAULTS } from "./service-config";

export interface DashboardNginxProps extends PublicServerProps {
  /** elastic-recheck's web files (`share/elastic-recheck` of its installation). */
  readonly webRoot: string;
  /** Where the dashboard jobs write `all.json`, `gate.json` and the uncategorized pages. */
  readonly dataDir: string;
  /** Where nginx keeps its pid, logs and temporary files. @default DEBIAN_NGINX_RUNTIME */
  readonly runtime?: NginxRuntime;
  /** How often the bot rewrites the dashboard, for the waiting page. @default SERVICE_DEFAULTS.dashboardIntervalSeconds / 60 */
  readonly dashboardIntervalMinutes?: number;
}

/** What the dashboard's address shows before the bot has written the dashboard once. */
export function waitingForDataPage(dashboardIntervalMinutes: number): string {
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="300"><title>Recheck dashboard: waiting for data</title></head>',
    "<body><h1>Recheck dashboard: waiting for data</h1>",
    "<p>The recheck bot has not written its dashboard yet. It writes it as soon as it can read the logs indexed in the",
    `search cluster, then every ${dashboardIntervalMinutes} minutes; this page reloads every 5 minutes.</p></body></html>`,
    "",
  ].join("\n");
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
        # The dashboard's address: its index page once the bot wrote it, the waiting page before.
        location = /elastic-recheck/ {
            limit_except GET { deny all; }
            root ${props.webRoot};
            try_files /index.html @waiting-for-data;
        }
        location @waiting-for-data {
            default_type text/html;
            add_header Cache-Control "no-store";
            add_header Strict-Transport-Security "max-age=31536000" always;
            return 200 '${waitingForDataPage(props.dashboardIntervalMinutes ?? SERVICE_DEFAULTS.dashboardIntervalSeconds / 60)}';
        }
        location /elastic-recheck/ {
            limit_except GET { deny all; }
            alias ${props.webRoot}/;
        }
        location / {
            return 404;
        }`;
  return renderPublicNginx("lib/recheck/nginx.ts", props.runtime ?? DEBIAN_NGINX_RUNTIME, props, httpDirectives, locations);
}
