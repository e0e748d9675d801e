/**
 * The public front end's nginx configuration: a strictly read-only window on the search
 * cluster. The old public proxy also let anyone POST `_aliases`, which changes the cluster;
 * here every request is refused unless it is one of the read-only endpoints listed below, and
 * the cluster credentials (the reader user) are added by nginx, never given to visitors.
 */

import { DEBIAN_NGINX_RUNTIME, renderPublicNginx, type NginxRuntime, type PublicServerProps } from "../nginx";

export interface FrontendNginxProps extends PublicServerProps {
  /** `address:port` of every search data node. */
  readonly searchUpstreams: readonly string[];
  /** CA that signed the cluster's certificates, to verify the upstream. */
  readonly upstreamCaFile: string;
  /** The name every node's certificate carries (the upstream group has no name of its own). */
  readonly upstreamTlsName: string;
  /** A file with `proxy_set_header Authorization "Basic ...";` for the reader user (secret, written at deploy). */
  readonly readerAuthInclude: string;
  /**
   * `address:port` of Kibana (OpenSearch Dashboards), served under /dashboards/.
   * @default no dashboards
   */
  readonly dashboardsUpstream?: string;
  /**
   * Sign dashboards requests in as the reader too (OpenSearch Dashboards has no anonymous login
   * of its own here); Kibana signs visitors in anonymously by itself.
   * @default false
   */
  readonly dashboardsAsReader?: boolean;
  readonly requestsPerSecond: number;
  readonly maxRequestBodyKib: number;
  /** Where nginx keeps its pid, logs and temporary files. @default DEBIAN_NGINX_RUNTIME */
  readonly runtime?: NginxRuntime;
}

/** Read-only endpoints: path pattern (after an optional index list) and the methods allowed. */
export const READ_ONLY_ENDPOINTS: readonly { readonly pattern: string; readonly methods: readonly ("GET" | "POST")[] }[] = [
  { pattern: "^/(?:[^_/][^/]*/)?_(?:search|msearch|count)$", methods: ["GET", "POST"] },
  { pattern: "^/(?:[^_/][^/]*/)?_mapping$", methods: ["GET"] },
  { pattern: "^/_cluster/health$", methods: ["GET"] },
  { pattern: "^/_cat/indices(?:/[^_/][^/]*)?$", methods: ["GET"] },
];

export function renderFrontendNginx(props: FrontendNginxProps): string {
  const searchLocations = READ_ONLY_ENDPOINTS.map(
    (endpoint) => `
        location ~ ${endpoint.pattern} {
            limit_except ${endpoint.methods.join(" ")} { deny all; }
            limit_req zone=search burst=${props.requestsPerSecond * 2} nodelay;
            include ${props.readerAuthInclude};
            proxy_set_header Connection "";
            # The normalized path, never the raw one: "/_aliases/../_search" cannot reach _aliases.
            proxy_pass https://search_cluster$uri$is_args$args;
        }`,
  ).join("\n");
  const dashboards = props.dashboardsUpstream
    ? `
        location /dashboards/ {
            limit_req zone=dashboards burst=200 nodelay;
            ${props.dashboardsAsReader ? `include ${props.readerAuthInclude};` : "proxy_set_header Authorization \"\";"}
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "";
            proxy_pass http://${props.dashboardsUpstream};
        }`
    : "";
  const httpDirectives = `    default_type application/json;
    client_max_body_size ${props.maxRequestBodyKib}k;
    client_body_buffer_size ${props.maxRequestBodyKib}k;
    limit_req_zone $binary_remote_addr zone=search:10m rate=${props.requestsPerSecond}r/s;
    limit_req_zone $binary_remote_addr zone=dashboards:10m rate=${props.requestsPerSecond * 10}r/s;
    limit_req_status 429;

    upstream search_cluster {
${props.searchUpstreams.map((upstream) => `        server ${upstream} max_fails=2 fail_timeout=30s;`).join("\n")}
        keepalive 16;
    }
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate ${props.upstreamCaFile};
    proxy_ssl_name ${props.upstreamTlsName};
    proxy_ssl_server_name on;
    proxy_ssl_verify_depth 2;
    proxy_ssl_session_reuse on;
    proxy_read_timeout 120s;
`;
  const locations = `${searchLocations}
${dashboards}
        location = / {
            return 200 '{"service":"CI log search (read-only)","endpoints":["_search","_msearch","_count","_mapping","_cluster/health","_cat/indices"${props.dashboardsUpstream ? ',"dashboards/"' : ""}]}\\n';
        }

        # Everything else, including _aliases, _bulk, _security, _snapshot, _scripts, PUT and DELETE.
        location / {
            return 403 '{"error":"this endpoint is read-only: only search, count, mapping, health and index list requests are allowed"}\\n';
        }`;
  return renderPublicNginx("lib/frontend/nginx.ts", props.runtime ?? DEBIAN_NGINX_RUNTIME, props, httpDirectives, locations);
}
