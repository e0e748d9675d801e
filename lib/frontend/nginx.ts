/**
 * The public front end's nginx configuration: a strictly read-only window on the search
 * cluster. The old public proxy also let anyone POST `_aliases`, which changes the cluster;
 * here every request is refused unless it is one of the read-only endpoints listed below, with
 * only harmless query parameters, and the cluster credentials (the reader user) are added by
 * nginx, never given to visitors.
 *
 * What plain nginx cannot do is read a request body before it proxies it (that needs njs or
 * Lua, which Ubuntu's nginx does not ship in main): scripts, runtime mappings, expensive
 * queries and huge aggregations inside a search body are refused by the cluster itself (see
 * SEARCH_LIMITS in lib/search/engine.ts); nginx caps the body's size.
 */

import { LOG_INDEX_PREFIX } from "../field-contract";
import { dashboardsRoutesOf, SIGN_IN_ROUTES, type DashboardsUi } from "./dashboards-routes";
import { statusPageLocation } from "../monitoring/status-page";
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
   * Kibana (OpenSearch Dashboards), served under /dashboards/.
   * @default no dashboards
   */
  readonly dashboards?: DashboardsUpstream;
  readonly requestsPerSecond: number;
  readonly maxRequestBodyKib: number;
  /** `address:port` of Prometheus, whose status page is served at /status/. @default no status page */
  readonly statusPageUpstream?: string;
  /** Open connections one client (IPv4 address, IPv6 /64) may hold. @default 20 */
  readonly connectionsPerClient?: number;
  /** Where nginx keeps its pid, logs and temporary files. @default DEBIAN_NGINX_RUNTIME */
  readonly runtime?: NginxRuntime;
}

type Method = "GET" | "POST";

export interface DashboardsUpstream {
  /** `address:port` of the dashboards server. */
  readonly upstream: string;
  /** Which UI it is: nginx lets through only its routes (lib/frontend/dashboards-routes.ts). */
  readonly ui: DashboardsUi;
  /**
   * A file with `proxy_set_header Authorization "Basic ...";` for the dashboards' own read-only
   * user: OpenSearch Dashboards has no anonymous login of its own here, so nginx signs every
   * visitor in; Kibana signs visitors in anonymously by itself.
   * @default visitors' Authorization headers are removed
   */
  readonly authInclude?: string;
}

export interface Endpoint {
  /** PCRE matched against the decoded, normalized path (`$uri`). */
  readonly pattern: string;
  readonly methods: readonly Method[];
  /** What it is for (shown in the README and the tests). */
  readonly purpose: string;
  /**
   * Query strings refused on this endpoint although their parameters are allowed (PCRE on `$args`).
   * @default none
   */
  readonly refusedQuery?: { readonly pattern: string; readonly reason: string };
}

/** The most hits (`size`) and the deepest offset (`from`) a public search may ask for in its query string. */
export const MAX_PUBLIC_HITS = 1000;

/** A comma-separated list of log index names or patterns: `logstash-2026.11.25`, `logstash-*`. */
const LOG_INDEX_LIST = `${LOG_INDEX_PREFIX}[a-z0-9*._+-]*(?:,${LOG_INDEX_PREFIX}[a-z0-9*._+-]*)*`;

/**
 * Read-only search endpoints, on the log indices only. `_msearch` is not one: one request could
 * carry thousands of searches past the rate limit.
 */
export const READ_ONLY_ENDPOINTS: readonly Endpoint[] = [
  { pattern: `^/(?:${LOG_INDEX_LIST}/)?_(?:search|count)$`, methods: ["GET", "POST"], purpose: "search and count the logs" },
  { pattern: `^/(?:${LOG_INDEX_LIST}/)?_mapping$`, methods: ["GET"], purpose: "the fields of the log indices" },
  {
    pattern: "^/_cluster/health$",
    methods: ["GET"],
    purpose: "cluster health",
    // Per-index health of the whole cluster would list every index name, system indices included.
    refusedQuery: { pattern: "(?:^|&)level=(?!cluster(?:&|$))", reason: "level=indices or shards only on the log indices: /_cluster/health/logstash-*?level=indices" },
  },
  { pattern: `^/_cluster/health/${LOG_INDEX_LIST}$`, methods: ["GET"], purpose: "health of the log indices (level=indices lists them)" },
  { pattern: `^/_cat/indices(?:/${LOG_INDEX_LIST})?$`, methods: ["GET"], purpose: "the list of log indices" },
];

/**
 * Query parameters a public search request may carry; anything else (`scroll`, `search_type`,
 * `preference`, `expand_wildcards`, `timeout`, `source`, ...) is refused. `size` and `from`
 * may not exceed MAX_PUBLIC_HITS.
 */
export const PUBLIC_QUERY_PARAMETERS: readonly string[] = [
  "q", "df", "default_operator", "analyzer", "lenient", "sort", "_source", "_source_includes", "_source_excludes",
  "track_total_hits", "ignore_unavailable", "allow_no_indices", "filter_path", "pretty", "human",
  // _cat/indices and _cluster/health
  "format", "h", "s", "v", "bytes", "health", "pri", "level",
];

/** `%` escapes a path may use: none of control characters, DEL, `.`, `/`, `?` or `\` (decoded, they would change the path). */
const PATH_ESCAPE = "%(?![01]|7[Ff]|2[EeFf]|3[Ff]|5[Cc])[0-9A-Fa-f]{2}";
/** `%` escapes a query string may use: none of control characters or DEL. */
const QUERY_ESCAPE = "%(?![01]|7[Ff])[0-9A-Fa-f]{2}";
/**
 * Characters a query string may carry unescaped: what browsers and curl send as they are,
 * including Lucene's `[ ] { } ^ | \` (`q=@timestamp:[now-1d TO now]`, `q=message:"foo"^2`). They
 * cannot change the path, which ends at the first `?`. Brackets and the backslash are written as
 * `\x..` escapes, which nginx passes to PCRE unchanged.
 */
const QUERY_CHARACTERS = "A-Za-z0-9_.*,:+@~=&/()!'{}^|\\x22\\x5B\\x5C\\x5D-";
/**
 * The raw request URIs nginx passes on: non-empty path segments of safe characters, none of
 * them `.` or `..`, and a query string of safe characters. nginx forwards this raw URI
 * (`$request_uri`), never its decoded form, so what the location checked is what the upstream
 * gets: no CRLF, no `%2F` turning into `/`, no `%3F` turning into a query.
 */
export const SAFE_REQUEST_URI =
  `^(?:/(?![.]{1,2}(?:[/?]|$))(?:[A-Za-z0-9_.*,:+@~=-]|${PATH_ESCAPE})+)*/?` +
  `(?:[?](?:[${QUERY_CHARACTERS}]|${QUERY_ESCAPE})*)?$`;

/** The query strings a public search may have: PUBLIC_QUERY_PARAMETERS, with `size`/`from` at most MAX_PUBLIC_HITS. */
export function publicQueryPattern(): string {
  const limit = String(MAX_PUBLIC_HITS);
  const digits = `[0-9]{1,${limit.length - 1}}`;
  const parameter = `(?:(?:${PUBLIC_QUERY_PARAMETERS.join("|")})(?:=[^&]*)?|(?:size|from)=(?:${limit}|${digits}))`;
  return `^(?:${parameter}(?:&${parameter})*)?$`;
}

/**
 * Maps the client's address to the key its limits count under: an IPv4 address, or the /64 of
 * an IPv6 address (one host usually has a whole /64 to pick addresses from). nginx writes IPv6
 * addresses compressed (RFC 5952); a /64 then has at most two spellings: its four groups, or
 * the part before the last four groups when `::` falls in the first half.
 */
export function clientKeyMap(source: string, target: string): string {
  return `    map ${source} ${target} {
        "~^[0-9.]+$" ${source};
        "~^(?<prefix>[0-9a-f]+:[0-9a-f]+:[0-9a-f]+:[0-9a-f]+):" $prefix;
        "~^(?<prefix>[0-9a-f:]*::[0-9a-f]+(?::[0-9a-f]+)*?)(?::[0-9a-f]+){4}$" $prefix;
        "~^(?<prefix>[0-9a-f:]*?::)" $prefix;
        default ${source};
    }`;
}

function location(endpoint: Endpoint, body: string): string {
  return `
        # ${endpoint.purpose}
        location ~ "${endpoint.pattern}" {
            limit_except ${endpoint.methods.join(" ")} { deny all; }
${body}
        }`;
}

/** Clears the headers a visitor could send to act as another user, were the reader ever allowed to. */
const CLEAR_RUN_AS_HEADERS = ["es-security-runas-user", "securitytenant", "opendistro_security_impersonate_as", "security_tenant"]
  .map((header) => `            proxy_set_header ${header} "";`)
  .join("\n");

/** The `map` variable of an endpoint's refused query strings. */
const refusedQueryVariable = (index: number) => `$refused_query_${index}`;

function searchLocations(props: FrontendNginxProps): string {
  return READ_ONLY_ENDPOINTS.map((endpoint, index) =>
    location(
      endpoint,
      `            if ($public_query_refused) { return 403 '{"error":"query parameter not allowed: only ${PUBLIC_QUERY_PARAMETERS.join(", ")}, and size/from up to ${MAX_PUBLIC_HITS}"}\\n'; }
${endpoint.refusedQuery ? `            if (${refusedQueryVariable(index)}) { return 403 '{"error":"${endpoint.refusedQuery.reason}"}\\n'; }\n` : ""}            limit_req zone=search burst=${props.requestsPerSecond * 2} nodelay;
            include ${props.readerAuthInclude};
${CLEAR_RUN_AS_HEADERS}
            proxy_set_header Connection "";
            # The raw URI, checked against SAFE_REQUEST_URI: what the location matched is what the cluster gets.
            proxy_pass https://search_cluster$request_uri;`,
    ),
  ).join("\n");
}

function refusedQueryMaps(): string {
  return READ_ONLY_ENDPOINTS.flatMap((endpoint, index) =>
    endpoint.refusedQuery ? [`    map $args ${refusedQueryVariable(index)} {\n        "~${endpoint.refusedQuery.pattern}" 1;\n        default 0;\n    }`] : [],
  ).join("\n");
}

/**
 * The dashboards' locations: first the sign-in routes, refused with a message (admins sign in
 * through an SSH tunnel), then the deployed UI's allowlist.
 */
function dashboardsLocations(dashboards: DashboardsUpstream): string {
  const signIn = SIGN_IN_ROUTES.map(
    (route) => `
        # Refused: ${route.purpose}
        location ~ "${route.pattern}" {
            return 403 '{"error":"signing in is not possible through the public endpoint: admins reach the dashboards through an SSH tunnel (see the README)"}\\n';
        }`,
  );
  const allowed = dashboardsRoutesOf(dashboards.ui).map((route) =>
    location(
      route,
      `            limit_req zone=dashboards burst=200 nodelay;
            ${dashboards.authInclude ? `include ${dashboards.authInclude};` : 'proxy_set_header Authorization "";'}
${CLEAR_RUN_AS_HEADERS}
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Connection "";
            proxy_pass http://dashboards$request_uri;`,
    ),
  );
  return [...signIn, ...allowed].join("\n");
}

export function renderFrontendNginx(props: FrontendNginxProps): string {
  const { dashboards } = props;
  const httpDirectives = `    default_type application/json;
    client_max_body_size ${props.maxRequestBodyKib}k;
    client_body_buffer_size ${props.maxRequestBodyKib}k;
${clientKeyMap("$remote_addr", "$client_key")}
    map $request_uri $unsafe_request_uri {
        "~${SAFE_REQUEST_URI}" 0;
        default 1;
    }
    map $args $public_query_refused {
        "" 0;
        "~${publicQueryPattern()}" 0;
        default 1;
    }
${refusedQueryMaps()}
    limit_req_zone $client_key zone=search:10m rate=${props.requestsPerSecond}r/s;
    limit_req_zone $client_key zone=dashboards:10m rate=${props.requestsPerSecond * 10}r/s;
    limit_req_status 429;
    limit_conn_zone $client_key zone=connections:10m;
    limit_conn_status 429;

    upstream search_cluster {
${props.searchUpstreams.map((upstream) => `        server ${upstream} max_fails=2 fail_timeout=30s;`).join("\n")}
        keepalive 16;
    }
${dashboards ? `    upstream dashboards {\n        server ${dashboards.upstream};\n        keepalive 8;\n    }\n` : ""}    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate ${props.upstreamCaFile};
    proxy_ssl_name ${props.upstreamTlsName};
    proxy_ssl_server_name on;
    proxy_ssl_verify_depth 2;
    proxy_ssl_session_reuse on;
    proxy_read_timeout 120s;
`;
  const endpoints = ["_search", "_count", "_mapping", "_cluster/health", "_cat/indices", ...(dashboards ? ["dashboards/"] : []), ...(props.statusPageUpstream ? ["status/"] : [])];
  const locations = `        limit_conn connections ${props.connectionsPerClient ?? 20};
        if ($unsafe_request_uri) {
            return 400 '{"error":"request URI refused: no empty or dot segments, no %-escapes of control characters or of dot, slash, question mark or backslash in the path"}\\n';
        }
${searchLocations(props)}
${dashboards ? dashboardsLocations(dashboards) : ""}
        location = / {
            return 200 '{"service":"CI log search (read-only)","endpoints":${JSON.stringify(endpoints)}}\\n';
        }
${props.statusPageUpstream ? statusPageLocation(props.statusPageUpstream, "search") : ""}

        # Everything else, including _aliases, _bulk, _msearch, _security, _snapshot, _scripts, PUT and DELETE.
        location / {
            return 403 '{"error":"this endpoint is read-only: only search, count, mapping, health and index list requests are allowed"}\\n';
        }`;
  return renderPublicNginx("lib/frontend/nginx.ts", props.runtime ?? DEBIAN_NGINX_RUNTIME, props, httpDirectives, locations);
}
