/**
 * What the public may ask of Kibana (with Elasticsearch) and OpenSearch Dashboards (with
 * OpenSearch) under /dashboards/: the routes a read-only visitor of Discover, dashboards and
 * visualizations needs, the sign-in and security routes that are refused on the public endpoint,
 * and the requests the UIs really make, which the front end's live test replays through nginx.
 *
 * Written from the UIs' source (route definitions and the HTTP calls of their apps), not copied:
 * each rule names the repository and file it was read from. Neither UI can run on the machines
 * this project is built on (their packages come from the vendors' servers; npm has no runnable
 * build: `kibana` there is a 5.1.1 placeholder, `opensearch-dashboards` does not exist), so the
 * list is the reading of the source, checked by replaying it through the rendered nginx.
 */
import type { Endpoint } from "./nginx";

export type DashboardsUi = "kibana" | "opensearch-dashboards";

/** Where a rule comes from: the repository, the release line read, and the file. */
export interface SourceReference {
  readonly repository: "elastic/kibana" | "opensearch-project/OpenSearch-Dashboards" | "opensearch-project/security-dashboards-plugin";
  readonly release: string;
  readonly file: string;
}

/**
 * The releases read. Kibana and OpenSearch Dashboards were read file by file from the stored
 * copies of their repositories (9.x layout: `src/platform/...`, `x-pack/platform/...`;
 * OpenSearch Dashboards 3.x); the security plugin at its newest tag.
 */
const KIBANA = (file: string): SourceReference => ({ repository: "elastic/kibana", release: "9.x", file });
const OSD = (file: string): SourceReference => ({ repository: "opensearch-project/OpenSearch-Dashboards", release: "3.x", file });
const SECURITY_PLUGIN = (file: string): SourceReference => ({ repository: "opensearch-project/security-dashboards-plugin", release: "3.8.0.0", file });

export interface DashboardsRoute extends Endpoint {
  /** The UIs that serve it; nginx lets through only the deployed UI's routes. */
  readonly uis: readonly DashboardsUi[];
  readonly source: SourceReference;
}

const BOTH: readonly DashboardsUi[] = ["kibana", "opensearch-dashboards"];
const KIBANA_ONLY: readonly DashboardsUi[] = ["kibana"];
const OSD_ONLY: readonly DashboardsUi[] = ["opensearch-dashboards"];

/** A search strategy's id in Kibana's async search (`ese`): base64url with padding. */
const ASYNC_SEARCH_ID = "(?:/[A-Za-z0-9_=-]+)?";

/**
 * The read-only visitor's routes. Content management (Kibana 8.9+, how Discover, Dashboards and
 * Visualize load data views, dashboards, visualizations and saved searches) is allowed for its
 * reads only: `get`, `bulkGet`, `search`, `mSearch`; never `create`, `update` or `delete`.
 */
export const DASHBOARDS_ROUTES: readonly DashboardsRoute[] = [
  {
    pattern: "^/dashboards/?$",
    methods: ["GET"],
    purpose: "entry page (redirects to the home app)",
    uis: BOTH,
    source: KIBANA("src/core/packages/apps/server-internal/src/core_app.ts"),
  },
  {
    pattern: "^/dashboards/app/(?:home|discover|dashboards|visualize)(?:/.*)?$",
    methods: ["GET"],
    purpose: "the apps a visitor uses: home, Discover, Dashboards, Visualize",
    uis: BOTH,
    source: KIBANA("src/core/packages/apps/server-internal/src/core_app.ts"),
  },
  {
    pattern: "^/dashboards/app/(?:data-explorer|opensearch_dashboards_overview|kibana)(?:/.*)?$",
    methods: ["GET"],
    purpose: "OpenSearch Dashboards: the new Discover (data-explorer), the overview, legacy /app/kibana links",
    uis: OSD_ONLY,
    source: OSD("src/plugins/data_explorer/public/plugin.ts"),
  },
  {
    pattern: "^/dashboards/(?:[0-9a-f]+/bundles|bundles|ui|translations|node_modules/@(?:kbn|osd)/ui-framework)/",
    methods: ["GET"],
    purpose: "static assets: bundles, fonts, favicons, translations",
    uis: BOTH,
    source: OSD("src/core/server/core_app/core_app.ts"),
  },
  {
    pattern: "^/dashboards/(?:[0-9a-f]+/)?(?:bootstrap|bootstrap-anonymous)[.]js$",
    methods: ["GET"],
    purpose: "Kibana: page bootstrap scripts",
    uis: KIBANA_ONLY,
    source: KIBANA("src/core/packages/rendering/server-internal/src/bootstrap/register_bootstrap_route.ts"),
  },
  {
    pattern: "^/dashboards/(?:bootstrap|startup)[.]js$",
    methods: ["GET"],
    purpose: "OpenSearch Dashboards: page bootstrap scripts",
    uis: OSD_ONLY,
    source: OSD("src/core/server/rendering/rendering_service.tsx"),
  },
  {
    pattern: "^/dashboards/api/core/capabilities$",
    methods: ["POST"],
    purpose: "what the UI may show (read-only capabilities of the visitor)",
    uis: BOTH,
    source: OSD("src/core/server/capabilities/routes/resolve_capabilities.ts"),
  },
  {
    pattern: "^/dashboards/internal/kibana/(?:settings|global_settings)$",
    methods: ["GET"],
    purpose: "Kibana: UI settings (read)",
    uis: KIBANA_ONLY,
    source: KIBANA("src/core/packages/ui-settings/server-internal/src/routes/get.ts"),
  },
  {
    pattern: "^/dashboards/api/opensearch-dashboards/settings$",
    methods: ["GET"],
    purpose: "OpenSearch Dashboards: UI settings (read)",
    uis: OSD_ONLY,
    source: OSD("src/core/server/ui_settings/routes/get.ts"),
  },
  {
    pattern: "^/dashboards/(?:api|internal)/licensing/info$",
    methods: ["GET"],
    purpose: "Kibana: the license, which decides what the UI shows",
    uis: KIBANA_ONLY,
    source: KIBANA("x-pack/platform/plugins/shared/licensing/server/routes/info.ts"),
  },
  {
    pattern: "^/dashboards/internal/spaces/_active_space$",
    methods: ["GET"],
    purpose: "Kibana: the current space",
    uis: KIBANA_ONLY,
    source: KIBANA("x-pack/platform/plugins/shared/spaces/server/routes/api/internal/get_active_space.ts"),
  },
  {
    // Not a sign-in: who the visitor is (the anonymous dashboards user).
    pattern: "^/dashboards/internal/security/me$",
    methods: ["GET"],
    purpose: "Kibana: the visitor's own (anonymous) user",
    uis: KIBANA_ONLY,
    source: KIBANA("x-pack/platform/plugins/shared/security/server/routes/users/get_current_user.ts"),
  },
  {
    pattern: "^/dashboards/internal/security/session$",
    methods: ["GET", "POST"],
    purpose: "Kibana: the visitor's own session: its expiry, and its extension while the page is used (no credentials)",
    uis: KIBANA_ONLY,
    source: KIBANA("x-pack/platform/plugins/shared/security/server/routes/session_management/info.ts"),
  },
  {
    pattern: "^/dashboards/internal/data_views/(?:fields|_fields_for_wildcard|has_es_data|has_data_views|_existing_indices)$",
    methods: ["GET"],
    purpose: "Kibana: a data view's fields, and whether there is data",
    uis: KIBANA_ONLY,
    source: KIBANA("src/platform/plugins/shared/data_views/server/rest_api_routes/internal/fields.ts"),
  },
  {
    pattern: "^/dashboards/api/index_patterns/_fields_for_wildcard$",
    methods: ["GET"],
    purpose: "OpenSearch Dashboards: an index pattern's fields",
    uis: OSD_ONLY,
    source: OSD("src/plugins/data/server/index_patterns/routes.ts"),
  },
  {
    pattern: "^/dashboards/api/content_management/rpc/(?:get|bulkGet|search|mSearch)$",
    methods: ["POST"],
    purpose: "Kibana 8.9+: read data views, dashboards, visualizations and saved searches (content management reads only)",
    uis: KIBANA_ONLY,
    source: KIBANA("src/platform/plugins/shared/content_management/server/rpc/routes/routes.ts"),
  },
  {
    pattern: "^/dashboards/api/saved_objects/_find$",
    methods: ["GET"],
    purpose: "list saved objects (read)",
    uis: BOTH,
    source: OSD("src/core/server/saved_objects/routes/find.ts"),
  },
  {
    pattern: "^/dashboards/api/saved_objects/[a-z_-]+/[A-Za-z0-9_:-]+$",
    methods: ["GET"],
    purpose: "OpenSearch Dashboards: read a saved object",
    uis: OSD_ONLY,
    source: OSD("src/core/server/saved_objects/routes/get.ts"),
  },
  {
    pattern: "^/dashboards/api/saved_objects/_bulk_get$",
    methods: ["POST"],
    purpose: "read several saved objects",
    uis: BOTH,
    source: OSD("src/core/server/saved_objects/routes/bulk_get.ts"),
  },
  {
    pattern: "^/dashboards/api/saved_objects/_bulk_resolve$",
    methods: ["POST"],
    purpose: "Kibana: read several saved objects by possibly legacy ids",
    uis: KIBANA_ONLY,
    source: KIBANA("src/core/packages/saved-objects/server-internal/src/routes/bulk_resolve.ts"),
  },
  {
    pattern: `^/dashboards/internal/(?:bsearch|search/(?:es|ese)${ASYNC_SEARCH_ID})$`,
    methods: ["POST"],
    purpose: "Kibana: the searches of Discover and visualizations (async search polls by id)",
    uis: KIBANA_ONLY,
    source: KIBANA("src/platform/plugins/shared/data/server/search/routes/search.ts"),
  },
  {
    pattern: "^/dashboards/internal/search/(?:opensearch|opensearch-with-long-numerals)$",
    methods: ["POST"],
    purpose: "OpenSearch Dashboards: the searches of Discover and visualizations",
    uis: OSD_ONLY,
    source: OSD("src/plugins/data/server/search/routes/search.ts"),
  },
  {
    pattern: "^/dashboards/internal/kibana/suggestions/values/[a-z0-9*,._-]+$",
    methods: ["POST"],
    purpose: "Kibana: value suggestions while typing a query",
    uis: KIBANA_ONLY,
    source: KIBANA("src/platform/plugins/shared/unified_search/server/autocomplete/value_suggestions_route.ts"),
  },
  {
    pattern: "^/dashboards/api/opensearch-dashboards/suggestions/values/[a-z0-9*,._-]+$",
    methods: ["POST"],
    purpose: "OpenSearch Dashboards: value suggestions while typing a query",
    uis: OSD_ONLY,
    source: OSD("src/plugins/data/server/autocomplete/value_suggestions_route.ts"),
  },
];

/**
 * Signing in, out, the account and the security APIs: refused on the public endpoint with a
 * message, before the allowlist (which would refuse them too). Through the public endpoint a
 * login form would let anyone try the admin's and the service users' passwords; admins sign in
 * through an SSH tunnel to the dashboards server itself (README: Public front end).
 */
export interface RefusedRoute {
  readonly pattern: string;
  readonly purpose: string;
  readonly source: SourceReference;
}

export const SIGN_IN_ROUTES: readonly RefusedRoute[] = [
  {
    pattern: "^/dashboards/(?:login|logout|logged_out|overwritten_session|security/.*)$",
    purpose: "Kibana: sign-in, sign-out and account pages",
    source: KIBANA("x-pack/platform/plugins/shared/security/server/routes/views/index.ts"),
  },
  {
    pattern: "^/dashboards/internal/security/(?!(?:me|session)$).*$",
    purpose: "Kibana: login, login state, user profile, password, API keys and every other internal security route",
    source: KIBANA("x-pack/platform/plugins/shared/security/server/routes/authentication/common.ts"),
  },
  {
    pattern: "^/dashboards/api/security/.*$",
    purpose: "Kibana: logout, roles, users and privileges APIs",
    source: KIBANA("x-pack/platform/plugins/shared/security/server/routes/authorization/roles/index.ts"),
  },
  {
    pattern: "^/dashboards/(?:auth/.*|api/authtype|app/(?:login|account|security-dashboards-plugin.*|resource_access_management.*))$",
    purpose: "OpenSearch Dashboards: login, logout, anonymous login, the login and security pages",
    source: SECURITY_PLUGIN("server/auth/types/basic/routes.ts"),
  },
  {
    pattern: "^/dashboards/api/(?:v1|resource)/.*$",
    purpose: "OpenSearch Dashboards: account, auth info, tenants and the security configuration APIs",
    source: SECURITY_PLUGIN("server/routes/index.ts"),
  },
];

export type DashboardsApp = "page" | "discover" | "dashboard" | "visualize";

/** A request one of the UIs makes for a read-only visitor, as its source builds it. */
export interface RecordedRequest {
  readonly ui: DashboardsUi;
  readonly app: DashboardsApp;
  readonly method: "GET" | "POST";
  /** The raw request URI as the browser sends it. */
  readonly uri: string;
  readonly body?: string;
  readonly source: SourceReference;
}

const kibana = (app: DashboardsApp, method: "GET" | "POST", uri: string, source: string, body?: unknown): RecordedRequest => ({
  ui: "kibana", app, method, uri, body: body === undefined ? undefined : JSON.stringify(body), source: KIBANA(source),
});
const osd = (app: DashboardsApp, method: "GET" | "POST", uri: string, source: string, body?: unknown): RecordedRequest => ({
  ui: "opensearch-dashboards", app, method, uri, body: body === undefined ? undefined : JSON.stringify(body), source: OSD(source),
});

const LOGS_QUERY = { query: { bool: { filter: [{ range: { "@timestamp": { gte: "now-15m", lte: "now" } } }] } } };

/**
 * What the UIs request to show a visitor the home page, Discover (with the starter data view
 * and saved search), the "CI failures" dashboard and a visualization. Each request of the list
 * must pass nginx unchanged (the live test replays them); a refused one is a broken page.
 */
export const RECORDED_REQUESTS: readonly RecordedRequest[] = [
  kibana("page", "GET", "/dashboards/", "src/core/packages/apps/server-internal/src/core_app.ts"),
  kibana("page", "GET", "/dashboards/app/home", "src/core/packages/apps/server-internal/src/core_app.ts"),
  kibana("page", "GET", "/dashboards/bootstrap.js", "src/core/packages/rendering/server-internal/src/bootstrap/register_bootstrap_route.ts"),
  kibana("page", "GET", "/dashboards/bootstrap-anonymous.js", "src/core/packages/rendering/server-internal/src/bootstrap/register_bootstrap_route.ts"),
  kibana("page", "GET", "/dashboards/90521/bundles/plugin/discover/1.0.0/discover.plugin.js", "src/core/packages/apps/server-internal/src/bundle_routes/register_bundle_routes.ts"),
  kibana("page", "GET", "/dashboards/translations/9c6e1d2f/en.json", "src/core/packages/i18n/server-internal/src/routes/translations.ts"),
  kibana("page", "GET", "/dashboards/ui/favicons/favicon.svg", "src/core/packages/apps/server-internal/src/core_app.ts"),
  kibana("page", "POST", "/dashboards/api/core/capabilities", "src/core/packages/capabilities/browser-internal/src/capabilities_api.ts", { applications: ["home", "discover", "dashboards", "visualize"] }),
  kibana("page", "GET", "/dashboards/internal/kibana/settings", "src/core/packages/ui-settings/browser-internal/src/ui_settings_api.ts"),
  kibana("page", "GET", "/dashboards/internal/kibana/global_settings", "src/core/packages/ui-settings/browser-internal/src/ui_settings_api.ts"),
  kibana("page", "GET", "/dashboards/api/licensing/info", "x-pack/platform/plugins/shared/licensing/public/plugin.ts"),
  kibana("page", "GET", "/dashboards/internal/spaces/_active_space", "x-pack/platform/plugins/shared/spaces/public/spaces_manager/spaces_manager.ts"),
  kibana("page", "GET", "/dashboards/internal/security/me", "x-pack/platform/plugins/shared/security/public/authentication/authentication_service.ts"),
  kibana("page", "GET", "/dashboards/internal/security/session", "x-pack/platform/plugins/shared/security/public/session/session_timeout.ts"),
  kibana("page", "POST", "/dashboards/internal/security/session", "x-pack/platform/plugins/shared/security/public/session/session_timeout.ts"),
  kibana("discover", "GET", "/dashboards/app/discover", "src/platform/plugins/shared/discover/public/plugin.tsx"),
  kibana("discover", "POST", "/dashboards/api/content_management/rpc/get", "src/platform/plugins/shared/data_views/public/content_management_wrapper.ts", { contentTypeId: "index-pattern", id: "logstash", version: 1 }),
  kibana("discover", "POST", "/dashboards/api/content_management/rpc/get", "src/platform/plugins/shared/saved_search/public/service/get_saved_searches.ts", { contentTypeId: "search", id: "failed-builds", version: 1 }),
  kibana("discover", "POST", "/dashboards/api/content_management/rpc/search", "src/platform/plugins/shared/data_views/public/content_management_wrapper.ts", { contentTypeId: "index-pattern", query: { limit: 10000 }, version: 1 }),
  kibana("discover", "GET", "/dashboards/internal/data_views/fields?pattern=logstash-*&meta_fields=_source&meta_fields=_id&meta_fields=_index&meta_fields=_score&allow_no_index=true&apiVersion=1", "src/platform/plugins/shared/data_views/public/data_views/data_views_api_client.ts"),
  kibana("discover", "GET", "/dashboards/internal/data_views/has_es_data", "src/platform/plugins/shared/data_views/public/services/has_data.ts"),
  kibana("discover", "POST", "/dashboards/internal/search/ese", "src/platform/plugins/shared/data/public/search/search_interceptor/search_interceptor.ts", { params: { index: "logstash-*", body: LOGS_QUERY } }),
  kibana("discover", "POST", "/dashboards/internal/search/ese/FmVhX3NlYXJjaF9pZA==", "src/platform/plugins/shared/data/public/search/search_interceptor/search_interceptor.ts", { params: { index: "logstash-*" } }),
  kibana("discover", "POST", "/dashboards/internal/kibana/suggestions/values/logstash-*", "src/platform/plugins/shared/unified_search/public/autocomplete/providers/value_suggestion_provider.ts", { query: "FAIL", field: "build_status" }),
  kibana("dashboard", "GET", "/dashboards/app/dashboards", "src/platform/plugins/shared/dashboard/public/plugin.tsx"),
  kibana("dashboard", "POST", "/dashboards/api/content_management/rpc/get", "src/platform/plugins/shared/dashboard/public/services/dashboard_content_management_service/lib/load_dashboard_state.ts", { contentTypeId: "dashboard", id: "ci-failures", version: 1 }),
  kibana("dashboard", "POST", "/dashboards/api/content_management/rpc/mSearch", "src/platform/plugins/shared/content_management/public/content_client/content_client.ts", { contentTypes: [{ contentTypeId: "dashboard", version: 1 }], query: { text: "" } }),
  kibana("dashboard", "POST", "/dashboards/api/saved_objects/_bulk_resolve", "src/core/packages/saved-objects/browser-internal/src/saved_objects_client.ts", [{ type: "visualization", id: "failures-per-job" }]),
  kibana("dashboard", "POST", "/dashboards/api/saved_objects/_bulk_get", "src/core/packages/saved-objects/browser-internal/src/saved_objects_client.ts", [{ type: "search", id: "failed-builds" }]),
  kibana("visualize", "GET", "/dashboards/app/visualize", "src/platform/plugins/shared/visualizations/public/plugin.ts"),
  kibana("visualize", "POST", "/dashboards/api/content_management/rpc/bulkGet", "src/platform/plugins/shared/visualizations/public/utils/saved_visualize_utils.ts", { contentTypeId: "visualization", ids: ["failures-per-job", "failures-per-project"], version: 1 }),
  kibana("visualize", "GET", "/dashboards/api/saved_objects/_find?type=index-pattern&fields=title&per_page=10000", "src/core/packages/saved-objects/browser-internal/src/saved_objects_client.ts"),
  osd("page", "GET", "/dashboards/", "src/core/server/core_app/core_app.ts"),
  osd("page", "GET", "/dashboards/app/home", "src/core/server/core_app/core_app.ts"),
  osd("page", "GET", "/dashboards/startup.js", "src/core/server/rendering/rendering_service.tsx"),
  osd("page", "GET", "/dashboards/bootstrap.js", "src/core/server/rendering/rendering_service.tsx"),
  osd("page", "GET", "/dashboards/8467/bundles/plugin/data/data.plugin.js", "src/core/server/core_app/bundle_routes/register_bundle_routes.ts"),
  osd("page", "GET", "/dashboards/translations/en.json", "src/core/server/i18n/routes/translations.ts"),
  osd("page", "GET", "/dashboards/node_modules/@osd/ui-framework/dist/kui_light.css", "src/core/server/core_app/core_app.ts"),
  osd("page", "GET", "/dashboards/ui/default_branding/opensearch_mark_default_mode.svg", "src/core/server/core_app/core_app.ts"),
  osd("page", "POST", "/dashboards/api/core/capabilities", "src/core/public/application/capabilities/capabilities_service.tsx", { applications: ["home", "discover", "dashboards", "visualize", "data-explorer"] }),
  osd("page", "GET", "/dashboards/api/opensearch-dashboards/settings", "src/core/public/ui_settings/ui_settings_api.ts"),
  osd("discover", "GET", "/dashboards/app/data-explorer/discover", "src/plugins/data_explorer/public/plugin.ts"),
  osd("discover", "GET", "/dashboards/app/discover", "src/plugins/discover/public/plugin.ts"),
  osd("discover", "POST", "/dashboards/api/saved_objects/_bulk_get", "src/core/public/saved_objects/saved_objects_client.ts", [{ type: "index-pattern", id: "logstash" }, { type: "search", id: "failed-builds" }]),
  osd("discover", "GET", "/dashboards/api/saved_objects/_find?fields=title&per_page=10000&type=index-pattern", "src/plugins/data/common/index_patterns/index_patterns/index_patterns.ts"),
  osd("discover", "GET", "/dashboards/api/index_patterns/_fields_for_wildcard?pattern=logstash-*&meta_fields=_source&meta_fields=_id&meta_fields=_type&meta_fields=_index&meta_fields=_score", "src/plugins/data/public/index_patterns/index_patterns/index_patterns_api_client.ts"),
  osd("discover", "POST", "/dashboards/internal/search/opensearch-with-long-numerals", "src/plugins/data/public/search/search_interceptor.ts", { params: { index: "logstash-*", body: LOGS_QUERY } }),
  osd("discover", "POST", "/dashboards/api/opensearch-dashboards/suggestions/values/logstash-*", "src/plugins/data/public/autocomplete/providers/value_suggestion_provider.ts", { query: "FAIL", field: "build_status", boolFilter: [] }),
  osd("dashboard", "GET", "/dashboards/app/dashboards", "src/plugins/dashboard/public/plugin.tsx"),
  osd("dashboard", "GET", "/dashboards/api/saved_objects/_find?type=dashboard&search_fields=title&per_page=20&page=1", "src/plugins/dashboard/public/application/legacy_app.js"),
  osd("dashboard", "GET", "/dashboards/api/saved_objects/dashboard/ci-failures", "src/core/public/saved_objects/saved_objects_client.ts"),
  osd("dashboard", "POST", "/dashboards/internal/search/opensearch", "src/plugins/data/public/search/search_interceptor.ts", { params: { index: "logstash-*", body: { size: 0, ...LOGS_QUERY } } }),
  osd("visualize", "GET", "/dashboards/app/visualize", "src/plugins/visualize/public/plugin.ts"),
  osd("visualize", "GET", "/dashboards/api/saved_objects/visualization/failures-per-job", "src/core/public/saved_objects/saved_objects_client.ts"),
];

/** The allowlist of one UI. */
export function dashboardsRoutesOf(ui: DashboardsUi): DashboardsRoute[] {
  return DASHBOARDS_ROUTES.filter((route) => route.uis.includes(ui));
}
