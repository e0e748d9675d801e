/**
 * What the public may ask of Kibana (with Elasticsearch) and OpenSearch Dashboards (with
 * OpenSearch) under /dashboards/: the routes a read-only visitor of Discover, dashboards and
 * visualizations needs, the sign-in and security routes that are refused on the public endpoint,
 * and the requests the UIs really make, which the front end's live test replays through nginx.
 *
 * Written from the UIs' source (route definitions and the HTTP calls of their apps), not copied:
 * each rule and each recorded request names the file version it was read from and the route
 * string or call it rests on. Neither UI can run on the machines this project is built on (their
 * packages come from the vendors' servers; npm has no runnable build: `kibana` there is a 5.1.1
 * placeholder, `opensearch-dashboards` does not exist), so the list is the reading of the source,
 * checked by replaying it through the rendered nginx.
 *
 * The deployed releases are the engine's (search.version, OpenSearch Dashboards 3.8.0 and
 * Kibana 9.5.6 by default). Kibana's and OpenSearch Dashboards' repositories at those tags cannot
 * be brought onto these machines whole (over the snapshot size limit), so their files were read
 * from the stored public index of each repository, one version of a file at a time: a reference
 * pins that version by the commit it is stored under (`git show <commit>:<file>` shows the same
 * text). The security plugin for OpenSearch Dashboards was read at its release tag, 3.8.0.0.
 */
import type { Endpoint } from "./nginx";

export type DashboardsUi = "kibana" | "opensearch-dashboards";

type Repository = "elastic/kibana" | "opensearch-project/OpenSearch-Dashboards" | "opensearch-project/security-dashboards-plugin";

/** Where a rule or a recorded request comes from: `repository@ref:file`, and what that file says. */
export interface SourceReference {
  readonly repository: Repository;
  /** The release tag read, or the full commit of the stored file version read. */
  readonly ref: string;
  readonly file: string;
  /** The route string or the client call, as the file has it. */
  readonly anchor: string;
}

/** `repository@ref:file (anchor)`, as the README and the tests show a reference. */
export function formatReference(reference: SourceReference): string {
  return `${reference.repository}@${reference.ref}:${reference.file} (${reference.anchor})`;
}

const reference = (repository: Repository) => (ref: string, file: string, anchor: string): SourceReference => ({ repository, ref, file, anchor });
const KIBANA = reference("elastic/kibana");
const OSD = reference("opensearch-project/OpenSearch-Dashboards");
const SECURITY_PLUGIN = (file: string, anchor: string) => reference("opensearch-project/security-dashboards-plugin")("3.8.0.0", file, anchor);

/** The file versions read, by what they define. */
const SOURCES = {
  kibana: {
    coreApp: (anchor: string) => KIBANA("01f54154779d61c432a05b6da59ab7d1d95ffa2e", "src/core/packages/apps/server-internal/src/core_app.ts", anchor),
    bootstrap: (anchor: string) => KIBANA("5a7bdd1cb7b1556715c02d75eac6af3945243358", "src/core/packages/rendering/server-internal/src/bootstrap/register_bootstrap_route.ts", anchor),
    bundles: (anchor: string) => KIBANA("143eb438453f3e878a0f340b28cde977e56e88dc", "src/core/packages/apps/server-internal/src/bundle_routes/register_bundle_routes.ts", anchor),
    translations: (anchor: string) => KIBANA("070d37fc914dbaad61faa11e92e1aa96c0f4d77d", "src/core/packages/i18n/server-internal/src/routes/translations.ts", anchor),
    capabilitiesRoute: KIBANA("027ff216065546db312b553bd5287a4012b22f12", "src/core/packages/capabilities/server-internal/src/routes/resolve_capabilities.ts", "router.post path: '/api/core/capabilities'"),
    capabilitiesClient: KIBANA("183a24c07b9d038927490bad4f818be4c274eb5d", "src/core/packages/capabilities/browser-internal/src/capabilities_service.tsx", "http.post('/api/core/capabilities', { body: { applications: appIds } })"),
    licensingRoute: KIBANA("4b3b1680b3783df9fc9ba8bc4b1dd8722432acbe", "x-pack/platform/plugins/shared/licensing/server/routes/info.ts", "router.get path: '/api/licensing/info'"),
    licensingClient: KIBANA("35abac028db72165dd3a9e1dee13d8bc60e0f52a", "x-pack/platform/plugins/shared/licensing/public/plugin.ts", "infoEndpoint = '/api/licensing/info'; http.get({ path: this.infoEndpoint })"),
    activeSpaceRoute: KIBANA("3914cc377b90edcef63e15af8ed1b06950f854a7", "x-pack/platform/plugins/shared/spaces/server/routes/api/internal/get_active_space.test.ts", "describe('GET /internal/spaces/_active_space') of initGetActiveSpaceApi"),
    activeSpaceClient: KIBANA("0ad9415fae5162a08aff663a0fab0039d0b9cf81", "x-pack/platform/plugins/shared/spaces/public/spaces_manager/spaces_manager.ts", "http.get('/internal/spaces/_active_space')"),
    meRoute: KIBANA("06b740bc862cfdd3f9791f9414fedd3fdaa0f4a9", "x-pack/platform/plugins/shared/security/server/routes/authentication/common.ts", "router.get path: '/internal/security/me'"),
    meClient: KIBANA("51b4f630d6cd8584813db15af823cf98959c6d05", "x-pack/platform/plugins/shared/security/public/authentication/authentication_service.ts", "http.get('/internal/security/me', { asSystemRequest: true })"),
    sessionInfo: KIBANA("46cfc2e5c656d76d632b5f0649e0eefbc1b7e2b0", "x-pack/platform/plugins/shared/security/server/routes/session_management/info.ts", "router.get path: '/internal/security/session' (and extend.ts@d43afeb21ebdc98ed75a59a57ceccada7f8fabca: router.post on the same path)"),
    sessionClient: KIBANA("086ccdfc7ec5b84204fa676504aa2cafb36fe82c", "x-pack/platform/plugins/shared/security/public/session/session_timeout.ts", "http.fetch(SESSION_ROUTE, { method: extend ? 'POST' : 'GET' })"),
    fieldsRoute: KIBANA("01820366adb4bbf5806568c0e15920a4b8ca7dfd", "src/platform/plugins/shared/data_views/server/rest_api_routes/internal/fields.ts", "router.versioned.get({ path: FIELDS_PATH }), FIELDS_PATH = '/internal/data_views/fields'"),
    fieldsForWildcardRoute: KIBANA("1a7bf6cebf7ee290a7f522d6dd7d525d6ab96b3d", "src/platform/plugins/shared/data_views/server/rest_api_routes/internal/fields_for.ts", "router.versioned.get/post/put({ path: FIELDS_FOR_WILDCARD_PATH })"),
    hasEsDataRoute: KIBANA("04365e48c53992944dd3c3d1bb93d0d9c23a8fd6", "src/platform/plugins/shared/data_views/server/rest_api_routes/internal/has_es_data.ts", "router.versioned.get path: '/internal/data_views/has_es_data'"),
    dataViewsClient: KIBANA("122ec59c847ac537d34dbb43fed319b0cf1a1e72", "src/platform/plugins/shared/data_views/public/data_views/data_views_api_client.ts", "path = indexFilter ? FIELDS_FOR_WILDCARD_PATH : FIELDS_PATH; query { pattern, meta_fields, allow_no_index, apiVersion }"),
    hasDataClient: KIBANA("25d6d3ae082575be4497ed0858c815e9a8b9fb0f", "src/platform/plugins/shared/data_views/public/services/has_data.ts", "http.get('/internal/data_views/has_es_data'), http.get('/internal/data_views/has_data_views')"),
    contentManagementRoute: KIBANA("2e2feb2c0b3031c636aa697c25776dc99eadf489", "src/platform/plugins/shared/content_management/server/rpc/routes/routes.ts", "router.post path: `${API_ENDPOINT}/{name}`, name one of procedureNames"),
    contentManagementClient: KIBANA("284eb872d86fd9faddc020905c2133ba5c04a4d7", "src/platform/plugins/shared/content_management/public/rpc_client/rpc_client.ts", "http.post(`${API_ENDPOINT}/${name}`, { body: JSON.stringify(input) })"),
    dataViewsContent: KIBANA("437def57ef40330062e2aac9e390313a077cb5cb", "src/platform/plugins/shared/data_views/public/content_management_wrapper.ts", "contentManagementClient.get({ contentTypeId: DataViewSOType, id }), .search({ contentTypeId, query: { text, limit } })"),
    savedSearchContent: KIBANA("0bfd7368b05db951b86dc70fc53a713aaf6bc6d2", "src/platform/plugins/shared/saved_search/public/service/saved_searches_service.ts", "getSavedSearch(savedSearchId, createGetSavedSearchDeps(this.deps)) through contentManagement"),
    dashboardContent: KIBANA("004796471acc22580111a1ec860082b122ed4853", "src/platform/plugins/shared/dashboard/public/services/dashboard_content_management_service/lib/load_dashboard_state.ts", "contentManagementService.client.get({ contentTypeId: DASHBOARD_CONTENT_ID, id })"),
    visualizationContent: KIBANA("0290b6fe6b5c1db0230db2642c7fad61c12ee1d6", "src/platform/plugins/shared/visualizations/public/utils/saved_visualize_utils.ts", "visualizationsClient.get(id), visualizationsClient.search({ text, limit }, { types, searchFields })"),
    findRoute: KIBANA("08e3679951e78047a1a590aed76c636c4ce5655e", "src/core/packages/saved-objects/server-internal/src/routes/find.ts", "router.get path: '/_find' under /api/saved_objects"),
    bulkGetRoute: KIBANA("08e3679951e78047a1a590aed76c636c4ce5655e", "src/core/packages/saved-objects/server-internal/src/routes/bulk_get.ts", "router.post path: '/_bulk_get' under /api/saved_objects"),
    bulkResolveRoute: KIBANA("08e3679951e78047a1a590aed76c636c4ce5655e", "src/core/packages/saved-objects/server-internal/src/routes/bulk_resolve.ts", "router.post path: '/_bulk_resolve' under /api/saved_objects"),
    savedObjectsClient: KIBANA("1d91b9aac055d322f9f5d3e91d8c048c8eaf3a76", "src/core/packages/saved-objects/browser-internal/src/saved_objects_client.ts", "performBulkGet: getPath(['_bulk_get']) POST; performBulkResolve: getPath(['_bulk_resolve']) POST; find: getPath(['_find']) GET"),
    searchRoute: KIBANA("069b2654e1e432df83b6688c501a1e40449b8d60", "src/platform/plugins/shared/data/server/search/routes/search.ts", "router.versioned.post path: `${SEARCH_API_BASE_URL}/{strategy}/{id?}`, SEARCH_API_BASE_URL = '/internal/search'; strategies ES_SEARCH_STRATEGY = 'es' (common/search/strategies/es_search/types.ts@d5471f131b1432c6e11599eadb33b8794d8b5357), ENHANCED_ES_SEARCH_STRATEGY = 'ese' (ese_search/types.ts@33a26fbf247476055922b91e92f34737c084c257), ESQL_ASYNC_SEARCH_STRATEGY = \"esql_async\" (esql_search/types.d.ts@0eb75c496a9f83350630499b060c697523be543b)"),
    searchClient: KIBANA("023dbe9a5732a251d589a468e6e35f1802afa8b7", "src/platform/plugins/shared/data/public/search/search_interceptor/search_interceptor.ts", "http.post(buildPath('/internal/search/{strategy}/{id?}', { strategy, id })), strategy ENHANCED_ES_SEARCH_STRATEGY unless given"),
    suggestionsRoute: KIBANA("4254c0afcdfe1713209fecff51323d44503a3d9a", "src/platform/plugins/shared/unified_search/server/autocomplete/value_suggestions_route.ts", "router.versioned.post path: '/internal/kibana/suggestions/values/{index}'"),
    suggestionsClient: KIBANA("0836f4a8b7ed01cc342dbdbc360e8b71a5fe797e", "src/platform/plugins/shared/unified_search/public/autocomplete/providers/value_suggestion_provider.ts", "http.fetch(`/internal/kibana/suggestions/values/${index}`, { method: 'POST', body: { query, field, fieldMeta, filters, method } })"),
  },
  osd: {
    coreApp: (anchor: string) => OSD("35203d915d63ff0a62678836dd235b39ebd3baa4", "src/core/server/core_app/core_app.ts", anchor),
    uiRender: (anchor: string) => OSD("74c169fdadfe339a0938113b3e6c30aab71c2718", "src/legacy/ui/ui_render/ui_render_mixin.js", anchor),
    startup: OSD("681afca16fa89c497233aa28eb1478389ab289ee", "src/legacy/ui/ui_render/startup/app_startup.js", "class AppStartup renders startup.js from template.js.hbs (served at '/startup.js' by the ui_render_mixin versions that register it)"),
    bundles: OSD("3ab76fbf1b27b065b61daac6bf255fae4a5a095f", "src/optimize/bundles_route/bundles_route.ts", "routePath: `/${buildHash}/bundles/plugin/${id}/`, `/${buildHash}/bundles/core/`, `/${buildHash}/bundles/osd-ui-shared-deps/`"),
    capabilitiesRoute: OSD("c4a5b62fce582182bfc0288ce0d63dea9c3adbe7", "src/core/server/capabilities/routes/resolve_capabilities.ts", "router.post path: '/api/core/capabilities'"),
    capabilitiesClient: OSD("20e297dc2ae33698bd57654f6fb7b89f140a76b3", "src/core/public/application/capabilities/capabilities_service.tsx", "http.post('/api/core/capabilities', { body: { applications: appIds } })"),
    settingsRoute: OSD("03823cd90357c9f766906bfa4745ba10317e7ed5", "src/core/server/ui_settings/routes/get.ts", "router.get path: '/api/opensearch-dashboards/settings', query scope"),
    settingsClient: OSD("234140cbfb70d8fb051992795bf6d5425088f083", "src/core/public/ui_settings/ui_settings_api.ts", "getAll/getWithScope: sendRequest('GET', '/api/opensearch-dashboards/settings', undefined, { scope })"),
    fieldsRoute: OSD("1595ba7549909737b75be2e8abd640c4672f8cfa", "src/plugins/data/server/index_patterns/routes.ts", "router.get path: '/api/index_patterns/_fields_for_wildcard'"),
    fieldsClient: OSD("5e265add50502af197e7d2b6377fd3c9de43f1a1", "src/plugins/data/public/index_patterns/index_patterns/index_patterns_api_client.ts", "_getUrl(['_fields_for_wildcard']) with query { pattern, meta_fields }"),
    findRoute: OSD("440a24e8d12fc66de3487dec9d3e2abdc92fe5bd", "src/core/server/saved_objects/routes/find.ts", "router.get path: '/_find' under /api/saved_objects"),
    bulkGetRoute: OSD("a1156b69706159d127b86d3cfa1038dcf2dd0d82", "src/core/server/saved_objects/routes/bulk_get.ts", "router.post path: '/_bulk_get' under /api/saved_objects"),
    savedObjectsClient: OSD("0534e5ac61981bc0638bf50e846a809461d4f141", "src/core/public/saved_objects/saved_objects_client.ts", "get() batches into performBulkGet: getPath(['_bulk_get']) POST; find: getPath(['_find']) GET"),
    searchRoute: OSD("08d1c138bb227144fe575fa9351afeb2b225502a", "src/plugins/data/server/search/routes/search.ts", "router.post path: '/internal/search/{strategy}/{id?}'"),
    searchClient: OSD("071000f5d12d31d87d9acef0b2160fbc99dea1c4", "src/plugins/data/public/search/search_interceptor.ts", "runSearch: POST `/internal/search/${strategy || OPENSEARCH_SEARCH_STRATEGY}/${id || ''}`"),
    dqlLanguage: OSD("07dfc2a3cbe13e4124a02737b1e7077b0af1182a", "src/plugins/data/public/query/query_string/language_service/lib/dql_language.ts", "getDQLLanguageConfig(search, ...): DQL runs on the data plugin's search interceptor"),
    suggestionsRoute: OSD("071000f5d12d31d87d9acef0b2160fbc99dea1c4", "src/plugins/data/server/autocomplete/value_suggestions_route.ts", "router.post path: '/api/opensearch-dashboards/suggestions/values/{index}'"),
    suggestionsClient: OSD("34d2f3c5d9c17db05854a29307a45372ca4ceaac", "src/plugins/data/public/autocomplete/providers/value_suggestion_provider.ts", "http.fetch(`/api/opensearch-dashboards/suggestions/values/${index}`, { method: 'POST', body: { query, field, boolFilter, dataSourceId } })"),
  },
};

export interface DashboardsRoute extends Endpoint {
  /** The UI that serves it; nginx lets through only the deployed UI's routes. */
  readonly ui: DashboardsUi;
  readonly source: SourceReference;
}

/** A search's id in Kibana's async search (`ese`, `esql_async`): base64url with padding. */
const ASYNC_SEARCH_ID = "(?:/[A-Za-z0-9_=-]+)?";

/**
 * The read-only visitor's routes. Content management (Kibana 8.9+, how Discover, Dashboards and
 * Visualize load data views, dashboards, visualizations and saved searches) is allowed for its
 * reads only: `get`, `bulkGet`, `search`, `mSearch`; never `create`, `update` or `delete`.
 *
 * Deliberately not here, although the UIs have them: Kibana's UI settings reads (the browser
 * gets the settings with the page and only ever POSTs changes); cancelling a search (DELETE
 * /internal/search/...: every visitor is the same user, so one could cancel another's search);
 * OpenSearch Dashboards' GET of one saved object (its client batches every get into _bulk_get);
 * the query enhancements' routes (/api/enhancements/*: PPL, SQL, PromQL, query assist, data
 * source connections), which run queries through cluster plugins the visitors' role does not
 * grant; DQL and Lucene, the languages of the starter objects, run on the data plugin's search.
 */
export const DASHBOARDS_ROUTES: readonly DashboardsRoute[] = [
  {
    pattern: "^/dashboards/?$",
    methods: ["GET"],
    purpose: "entry page (redirects to the default route, the home app)",
    ui: "kibana",
    source: SOURCES.kibana.coreApp("router.get path: '/' redirects to defaultRoute or '/app/home'"),
  },
  {
    pattern: "^/dashboards/app/(?:home|discover|dashboards|visualize)(?:/.*)?$",
    methods: ["GET"],
    purpose: "the apps a visitor uses: home, Discover, Dashboards, Visualize",
    ui: "kibana",
    source: SOURCES.kibana.coreApp("resources.register path: '/app/{id}/{any*}' renders the core app"),
  },
  {
    pattern: "^/dashboards/(?:[0-9a-f]+/)?(?:bundles|ui|plugins/[A-Za-z0-9_]+/assets)/",
    methods: ["GET"],
    purpose: "Kibana: static assets (bundles, plugin assets, fonts, favicons), with or without the build's path segment",
    ui: "kibana",
    source: SOURCES.kibana.bundles("registerRouteForBundle routePath: staticAssets.prependServerPath('/bundles/plugin/${id}/${version}/'); core_app: '/ui/{path*}', '/plugins/${pluginName}/assets/{path*}'"),
  },
  {
    pattern: "^/dashboards/translations/(?:[0-9a-f]+/)?[A-Za-z-]+[.]json$",
    methods: ["GET"],
    purpose: "Kibana: translations",
    ui: "kibana",
    source: SOURCES.kibana.translations("['/translations/{locale}.json', `/translations/{translationHash}/{locale}.json`]"),
  },
  {
    pattern: "^/dashboards/bootstrap(?:-anonymous)?[.]js$",
    methods: ["GET"],
    purpose: "Kibana: page bootstrap scripts",
    ui: "kibana",
    source: SOURCES.kibana.bootstrap("router.get path: '/bootstrap.js', path: '/bootstrap-anonymous.js'"),
  },
  {
    pattern: "^/dashboards/api/core/capabilities$",
    methods: ["POST"],
    purpose: "Kibana: what the UI may show (read-only capabilities of the visitor)",
    ui: "kibana",
    source: SOURCES.kibana.capabilitiesRoute,
  },
  {
    pattern: "^/dashboards/api/licensing/info$",
    methods: ["GET"],
    purpose: "Kibana: the license, which decides what the UI shows",
    ui: "kibana",
    source: SOURCES.kibana.licensingRoute,
  },
  {
    pattern: "^/dashboards/internal/spaces/_active_space$",
    methods: ["GET"],
    purpose: "Kibana: the current space",
    ui: "kibana",
    source: SOURCES.kibana.activeSpaceRoute,
  },
  {
    // Not a sign-in: who the visitor is (the anonymous dashboards user).
    pattern: "^/dashboards/internal/security/me$",
    methods: ["GET"],
    purpose: "Kibana: the visitor's own (anonymous) user",
    ui: "kibana",
    source: SOURCES.kibana.meRoute,
  },
  {
    pattern: "^/dashboards/internal/security/session$",
    methods: ["GET", "POST"],
    purpose: "Kibana: the visitor's own session: its expiry, and its extension while the page is used (no credentials)",
    ui: "kibana",
    source: SOURCES.kibana.sessionInfo,
  },
  {
    pattern: "^/dashboards/internal/data_views/fields$",
    methods: ["GET"],
    purpose: "Kibana: a data view's fields",
    ui: "kibana",
    source: SOURCES.kibana.fieldsRoute,
  },
  {
    pattern: "^/dashboards/internal/data_views/(?:has_es_data|has_data_views)$",
    methods: ["GET"],
    purpose: "Kibana: whether there is data and a data view (else Discover offers to create one)",
    ui: "kibana",
    source: SOURCES.kibana.hasEsDataRoute,
  },
  {
    // With an index filter the client POSTs the same read to _fields_for_wildcard.
    pattern: "^/dashboards/internal/data_views/_fields_for_wildcard$",
    methods: ["GET", "POST"],
    purpose: "Kibana: a data view's fields restricted by an index filter",
    ui: "kibana",
    source: SOURCES.kibana.fieldsForWildcardRoute,
  },
  {
    pattern: "^/dashboards/api/content_management/rpc/(?:get|bulkGet|search|mSearch)$",
    methods: ["POST"],
    purpose: "Kibana: read data views, dashboards, visualizations and saved searches (content management reads only)",
    ui: "kibana",
    source: SOURCES.kibana.contentManagementRoute,
  },
  {
    pattern: "^/dashboards/api/saved_objects/_find$",
    methods: ["GET"],
    purpose: "Kibana: list saved objects (read), for the apps still on the saved objects client",
    ui: "kibana",
    source: SOURCES.kibana.findRoute,
  },
  {
    pattern: "^/dashboards/api/saved_objects/_bulk_get$",
    methods: ["POST"],
    purpose: "Kibana: read several saved objects",
    ui: "kibana",
    source: SOURCES.kibana.bulkGetRoute,
  },
  {
    pattern: "^/dashboards/api/saved_objects/_bulk_resolve$",
    methods: ["POST"],
    purpose: "Kibana: read several saved objects by possibly legacy ids",
    ui: "kibana",
    source: SOURCES.kibana.bulkResolveRoute,
  },
  {
    pattern: `^/dashboards/internal/search/(?:es|ese|esql_async)${ASYNC_SEARCH_ID}$`,
    methods: ["POST"],
    purpose: "Kibana: the searches of Discover and visualizations, ES|QL's too (async searches poll by id)",
    ui: "kibana",
    source: SOURCES.kibana.searchRoute,
  },
  {
    pattern: "^/dashboards/internal/kibana/suggestions/values/[a-z0-9*,._-]+$",
    methods: ["POST"],
    purpose: "Kibana: value suggestions while typing a query",
    ui: "kibana",
    source: SOURCES.kibana.suggestionsRoute,
  },
  {
    pattern: "^/dashboards/?$",
    methods: ["GET"],
    purpose: "entry page (redirects to the default route)",
    ui: "opensearch-dashboards",
    source: SOURCES.osd.coreApp("router.get path: '/' redirects to defaultRoute"),
  },
  {
    pattern: "^/dashboards/app/(?:home|discover|dashboards|visualize|data-explorer|opensearch_dashboards_overview|kibana)(?:/.*)?$",
    methods: ["GET"],
    purpose: "the apps a visitor uses: home, Discover (the new one in data-explorer), Dashboards, Visualize, the overview, legacy /app/kibana links",
    ui: "opensearch-dashboards",
    source: SOURCES.osd.uiRender("server.route path: '/app/{id}/{any*}' renders the app"),
  },
  {
    pattern: "^/dashboards/(?:[0-9]+/bundles|ui|node_modules/@osd/ui-framework/dist)/",
    methods: ["GET"],
    purpose: "OpenSearch Dashboards: static assets (bundles under the build number, fonts, favicons, the UI framework's styles)",
    ui: "opensearch-dashboards",
    source: SOURCES.osd.bundles,
  },
  {
    pattern: "^/dashboards/translations/[A-Za-z-]+[.]json$",
    methods: ["GET"],
    purpose: "OpenSearch Dashboards: translations",
    ui: "opensearch-dashboards",
    source: SOURCES.osd.uiRender("server.route path: '/translations/{locale}.json'"),
  },
  {
    pattern: "^/dashboards/bootstrap[.]js$",
    methods: ["GET"],
    purpose: "OpenSearch Dashboards: page bootstrap script",
    ui: "opensearch-dashboards",
    source: SOURCES.osd.uiRender("server.route path: '/bootstrap.js'"),
  },
  {
    pattern: "^/dashboards/startup[.]js$",
    methods: ["GET"],
    purpose: "OpenSearch Dashboards: page startup script (theme before the bundles load)",
    ui: "opensearch-dashboards",
    source: SOURCES.osd.startup,
  },
  {
    pattern: "^/dashboards/api/core/capabilities$",
    methods: ["POST"],
    purpose: "OpenSearch Dashboards: what the UI may show (the read-only tenant hides save and edit)",
    ui: "opensearch-dashboards",
    source: SOURCES.osd.capabilitiesRoute,
  },
  {
    pattern: "^/dashboards/api/opensearch-dashboards/settings$",
    methods: ["GET"],
    purpose: "OpenSearch Dashboards: UI settings (read)",
    ui: "opensearch-dashboards",
    source: SOURCES.osd.settingsRoute,
  },
  {
    pattern: "^/dashboards/api/index_patterns/_fields_for_wildcard$",
    methods: ["GET"],
    purpose: "OpenSearch Dashboards: an index pattern's fields",
    ui: "opensearch-dashboards",
    source: SOURCES.osd.fieldsRoute,
  },
  {
    pattern: "^/dashboards/api/saved_objects/_find$",
    methods: ["GET"],
    purpose: "OpenSearch Dashboards: list saved objects (read)",
    ui: "opensearch-dashboards",
    source: SOURCES.osd.findRoute,
  },
  {
    pattern: "^/dashboards/api/saved_objects/_bulk_get$",
    methods: ["POST"],
    purpose: "OpenSearch Dashboards: read saved objects (every single get is batched into it)",
    ui: "opensearch-dashboards",
    source: SOURCES.osd.bulkGetRoute,
  },
  {
    pattern: "^/dashboards/internal/search/(?:opensearch|opensearch-with-long-numerals)$",
    methods: ["POST"],
    purpose: "OpenSearch Dashboards: the searches of Discover and visualizations (DQL and Lucene)",
    ui: "opensearch-dashboards",
    source: SOURCES.osd.searchRoute,
  },
  {
    pattern: "^/dashboards/api/opensearch-dashboards/suggestions/values/[a-z0-9*,._-]+$",
    methods: ["POST"],
    purpose: "OpenSearch Dashboards: value suggestions while typing a query",
    ui: "opensearch-dashboards",
    source: SOURCES.osd.suggestionsRoute,
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

const KIBANA_SECURITY_ROUTES = "06b740bc862cfdd3f9791f9414fedd3fdaa0f4a9";

export const SIGN_IN_ROUTES: readonly RefusedRoute[] = [
  {
    pattern: "^/dashboards/(?:login|logout|logged_out|overwritten_session|security/.*)$",
    purpose: "Kibana: sign-in, sign-out and account pages",
    source: KIBANA("51b4f630d6cd8584813db15af823cf98959c6d05", "x-pack/platform/plugins/shared/security/public/authentication/authentication_service.ts", "loginApp, logoutApp, loggedOutApp, overwrittenSessionApp .create(...)"),
  },
  {
    pattern: "^/dashboards/internal/security/(?!(?:me|session)$).*$",
    purpose: "Kibana: login, login state, user profile, password, API keys and every other internal security route",
    source: KIBANA(KIBANA_SECURITY_ROUTES, "x-pack/platform/plugins/shared/security/server/routes/authentication/common.ts", "router.post path: '/internal/security/login'"),
  },
  {
    pattern: "^/dashboards/api/security/.*$",
    purpose: "Kibana: logout, roles, users and privileges APIs",
    source: KIBANA(KIBANA_SECURITY_ROUTES, "x-pack/platform/plugins/shared/security/server/routes/authentication/common.ts", "router.get path: '/api/security/logout'"),
  },
  {
    pattern: "^/dashboards/(?:auth/.*|api/authtype|app/(?:login|account|security-dashboards-plugin.*|resource_access_management.*))$",
    purpose: "OpenSearch Dashboards: login, logout, anonymous login, the login, account and security pages",
    source: SECURITY_PLUGIN("server/auth/types/basic/routes.ts", "path: API_AUTH_LOGIN ('/auth/login'), API_AUTH_LOGOUT, ANONYMOUS_AUTH_LOGIN ('/auth/anonymous')"),
  },
  {
    pattern: "^/dashboards/api/(?:v1|resource)/.*$",
    purpose: "OpenSearch Dashboards: account, auth info, tenants and the security configuration APIs",
    source: SECURITY_PLUGIN("server/routes/index.ts", "path: `${API_PREFIX}/${CONFIGURATION_API_PREFIX}/{resourceName}`, `${API_PREFIX}/auth/authinfo`, API_PREFIX = '/api/v1'"),
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
  /** The code that makes the request (or, for a page the browser navigates to, the route that serves it). */
  readonly source: SourceReference;
}

const request = (ui: DashboardsUi) => (app: DashboardsApp, method: "GET" | "POST", uri: string, source: SourceReference, body?: unknown): RecordedRequest => ({
  ui, app, method, uri, body: body === undefined ? undefined : JSON.stringify(body), source,
});
const kibana = request("kibana");
const osd = request("opensearch-dashboards");

const LOGS_QUERY = { query: { bool: { filter: [{ range: { "@timestamp": { gte: "now-15m", lte: "now" } } }] } } };
const K = SOURCES.kibana;
const O = SOURCES.osd;

/**
 * What the UIs request to show a visitor the home page, Discover (with the starter data view
 * and saved search), the "CI failures" dashboard and a visualization. Each request of the list
 * must pass nginx unchanged (the live test replays them); a refused one is a broken page.
 */
export const RECORDED_REQUESTS: readonly RecordedRequest[] = [
  kibana("page", "GET", "/dashboards/", K.coreApp("router.get path: '/'")),
  kibana("page", "GET", "/dashboards/app/home", K.coreApp("path: '/app/{id}/{any*}'")),
  kibana("page", "GET", "/dashboards/bootstrap.js", K.bootstrap("path: '/bootstrap.js'")),
  kibana("page", "GET", "/dashboards/bootstrap-anonymous.js", K.bootstrap("path: '/bootstrap-anonymous.js'")),
  kibana("page", "GET", "/dashboards/90521/bundles/plugin/discover/1.0.0/discover.plugin.js", K.bundles("`/bundles/plugin/${id}/${version}/` under staticAssets.prependServerPath")),
  kibana("page", "GET", "/dashboards/90521/bundles/kbn-ui-shared-deps-npm/kbn-ui-shared-deps-npm.dll.js", K.bundles("sharedNpmDepsPath = '/bundles/kbn-ui-shared-deps-npm/' under staticAssets.prependServerPath")),
  kibana("page", "GET", "/dashboards/translations/9c6e1d2f/en.json", K.translations("`/translations/{translationHash}/{locale}.json`")),
  kibana("page", "GET", "/dashboards/ui/favicons/favicon.svg", K.coreApp("registerStaticDir '/ui/{path*}'")),
  kibana("page", "GET", "/dashboards/plugins/discover/assets/background.svg", K.coreApp("registerStaticDir `/plugins/${pluginName}/assets/{path*}`")),
  kibana("page", "POST", "/dashboards/api/core/capabilities", K.capabilitiesClient, { applications: ["home", "discover", "dashboards", "visualize"] }),
  kibana("page", "GET", "/dashboards/api/licensing/info", K.licensingClient),
  kibana("page", "GET", "/dashboards/internal/spaces/_active_space", K.activeSpaceClient),
  kibana("page", "GET", "/dashboards/internal/security/me", K.meClient),
  kibana("page", "GET", "/dashboards/internal/security/session", K.sessionClient),
  kibana("page", "POST", "/dashboards/internal/security/session", K.sessionClient),
  kibana("discover", "GET", "/dashboards/app/discover", K.coreApp("path: '/app/{id}/{any*}'")),
  kibana("discover", "POST", "/dashboards/api/content_management/rpc/get", K.dataViewsContent, { contentTypeId: "index-pattern", id: "logstash", version: 1 }),
  kibana("discover", "POST", "/dashboards/api/content_management/rpc/get", K.savedSearchContent, { contentTypeId: "search", id: "failed-builds", version: 1 }),
  kibana("discover", "POST", "/dashboards/api/content_management/rpc/search", K.dataViewsContent, { contentTypeId: "index-pattern", query: { limit: 10000 }, version: 1 }),
  kibana("discover", "GET", "/dashboards/internal/data_views/fields?pattern=logstash-*&meta_fields=_source&meta_fields=_id&meta_fields=_index&meta_fields=_score&allow_no_index=true&apiVersion=1", K.dataViewsClient),
  kibana("discover", "POST", "/dashboards/internal/data_views/_fields_for_wildcard?pattern=logstash-*&meta_fields=_source", K.dataViewsClient, { index_filter: LOGS_QUERY.query }),
  kibana("discover", "GET", "/dashboards/internal/data_views/has_es_data", K.hasDataClient),
  kibana("discover", "GET", "/dashboards/internal/data_views/has_data_views", K.hasDataClient),
  kibana("discover", "POST", "/dashboards/internal/search/ese", K.searchClient, { params: { index: "logstash-*", body: LOGS_QUERY }, stream: true }),
  kibana("discover", "POST", "/dashboards/internal/search/ese/FmVhX3NlYXJjaF9pZA==", K.searchClient, { params: {}, stream: true }),
  kibana("discover", "POST", "/dashboards/internal/search/esql_async", K.searchClient, { params: { query: "FROM logstash-* | WHERE build_status == \"FAILURE\" | LIMIT 10" }, stream: true }),
  kibana("discover", "POST", "/dashboards/internal/kibana/suggestions/values/logstash-*", K.suggestionsClient, { query: "FAIL", field: "build_status", fieldMeta: { name: "build_status", type: "string" }, filters: [], method: "terms_enum" }),
  kibana("dashboard", "GET", "/dashboards/app/dashboards", K.coreApp("path: '/app/{id}/{any*}'")),
  kibana("dashboard", "POST", "/dashboards/api/content_management/rpc/get", K.dashboardContent, { contentTypeId: "dashboard", id: "ci-failures", version: 1 }),
  kibana("dashboard", "POST", "/dashboards/api/content_management/rpc/mSearch", K.contentManagementClient, { contentTypes: [{ contentTypeId: "dashboard", version: 1 }], query: { text: "" } }),
  kibana("dashboard", "POST", "/dashboards/api/content_management/rpc/bulkGet", K.contentManagementClient, { contentTypeId: "visualization", ids: ["failures-per-job", "failures-per-project"], version: 1 }),
  kibana("dashboard", "POST", "/dashboards/api/saved_objects/_bulk_resolve", K.savedObjectsClient, [{ type: "visualization", id: "failures-per-job" }]),
  kibana("dashboard", "POST", "/dashboards/api/saved_objects/_bulk_get", K.savedObjectsClient, [{ type: "search", id: "failed-builds" }]),
  kibana("visualize", "GET", "/dashboards/app/visualize", K.coreApp("path: '/app/{id}/{any*}'")),
  kibana("visualize", "POST", "/dashboards/api/content_management/rpc/get", K.visualizationContent, { contentTypeId: "visualization", id: "failures-per-job", version: 1 }),
  kibana("visualize", "POST", "/dashboards/api/content_management/rpc/search", K.visualizationContent, { contentTypeId: "visualization", query: { limit: 20 }, options: { types: ["visualization"], searchFields: ["title^3", "description"] }, version: 1 }),
  kibana("visualize", "GET", "/dashboards/api/saved_objects/_find?type=index-pattern&fields=title&per_page=10000", K.savedObjectsClient),
  osd("page", "GET", "/dashboards/", O.coreApp("router.get path: '/'")),
  osd("page", "GET", "/dashboards/app/home", O.uiRender("path: '/app/{id}/{any*}'")),
  osd("page", "GET", "/dashboards/startup.js", O.startup),
  osd("page", "GET", "/dashboards/bootstrap.js", O.uiRender("path: '/bootstrap.js'")),
  osd("page", "GET", "/dashboards/8467/bundles/plugin/data/data.plugin.js", O.bundles),
  osd("page", "GET", "/dashboards/8467/bundles/core/core.entry.js", O.bundles),
  osd("page", "GET", "/dashboards/translations/en.json", O.uiRender("path: '/translations/{locale}.json'")),
  osd("page", "GET", "/dashboards/node_modules/@osd/ui-framework/dist/kui_light.css", O.uiRender("`${basePath}/node_modules/@osd/ui-framework/dist/kui_light.css`")),
  osd("page", "GET", "/dashboards/ui/legacy_light_theme.css", O.uiRender("`${basePath}/ui/legacy_light_theme.css`")),
  osd("page", "POST", "/dashboards/api/core/capabilities", O.capabilitiesClient, { applications: ["home", "discover", "dashboards", "visualize", "data-explorer"] }),
  osd("page", "GET", "/dashboards/api/opensearch-dashboards/settings", O.settingsClient),
  osd("page", "GET", "/dashboards/api/opensearch-dashboards/settings?scope=user", O.settingsClient),
  osd("discover", "GET", "/dashboards/app/data-explorer/discover", O.uiRender("path: '/app/{id}/{any*}'")),
  osd("discover", "GET", "/dashboards/app/discover", O.uiRender("path: '/app/{id}/{any*}'")),
  osd("discover", "POST", "/dashboards/api/saved_objects/_bulk_get", O.savedObjectsClient, [{ id: "logstash", type: "index-pattern" }, { id: "failed-builds", type: "search" }]),
  osd("discover", "GET", "/dashboards/api/saved_objects/_find?fields=title&per_page=10000&type=index-pattern", O.savedObjectsClient),
  osd("discover", "GET", "/dashboards/api/index_patterns/_fields_for_wildcard?pattern=logstash-*&meta_fields=_source&meta_fields=_id&meta_fields=_type&meta_fields=_index&meta_fields=_score", O.fieldsClient),
  osd("discover", "POST", "/dashboards/internal/search/opensearch-with-long-numerals", O.searchClient, { params: { index: "logstash-*", body: LOGS_QUERY } }),
  osd("discover", "POST", "/dashboards/api/opensearch-dashboards/suggestions/values/logstash-*", O.suggestionsClient, { query: "FAIL", field: "build_status", boolFilter: [] }),
  osd("dashboard", "GET", "/dashboards/app/dashboards", O.uiRender("path: '/app/{id}/{any*}'")),
  osd("dashboard", "GET", "/dashboards/api/saved_objects/_find?type=dashboard&search_fields=title&per_page=20&page=1", O.savedObjectsClient),
  osd("dashboard", "POST", "/dashboards/api/saved_objects/_bulk_get", O.savedObjectsClient, [{ id: "ci-failures", type: "dashboard" }]),
  osd("dashboard", "POST", "/dashboards/internal/search/opensearch", O.dqlLanguage, { params: { index: "logstash-*", body: { size: 0, ...LOGS_QUERY } } }),
  osd("visualize", "GET", "/dashboards/app/visualize", O.uiRender("path: '/app/{id}/{any*}'")),
  osd("visualize", "POST", "/dashboards/api/saved_objects/_bulk_get", O.savedObjectsClient, [{ id: "failures-per-job", type: "visualization" }]),
];

/** The allowlist of one UI. */
export function dashboardsRoutesOf(ui: DashboardsUi): DashboardsRoute[] {
  return DASHBOARDS_ROUTES.filter((route) => route.ui === ui);
}
