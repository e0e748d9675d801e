/**
 * Who may do what in the dashboards: the public visitors read Discover, dashboards and
 * visualizations; the dashboards editor (the front end's setup, importing the starter saved
 * objects) writes saved objects and nothing else. Defined here, next to the allowlist, and
 * applied by the search cluster's security setup (lib/search/engine.ts, constructs/search-cluster.ts).
 */
import { LOG_INDEX_PATTERN } from "../field-contract";

export const DASHBOARDS_READER_ROLE = "dashboards_reader";
export const DASHBOARDS_EDITOR_ROLE = "dashboards_editor";
export const DASHBOARDS_EDITOR_USER = "dashboardseditor";

/**
 * Kibana's features the visitors read (the v2 privileges of Kibana 8.18+ and 9; v1 is
 * deprecated): nothing that writes or reaches the cluster directly. Not Kibana's base `read`,
 * which includes the Dev Tools console, whose proxy would send any request to the cluster.
 */
export const KIBANA_READ_ONLY_FEATURES = ["discover_v2", "dashboard_v2", "visualize_v2"] as const;
/** What importing saved objects needs in Kibana: every saved object type, and the apps whose objects they are. */
const KIBANA_EDITOR_FEATURES = ["savedObjectsManagement", "indexPatterns", ...KIBANA_READ_ONLY_FEATURES] as const;

/** Kibana's application privileges of the default space. */
function kibanaApplication(privileges: readonly string[]) {
  return [{ application: "kibana-.kibana", privileges: [...privileges], resources: ["space:default"] }];
}

const LOG_READ = [{ names: [LOG_INDEX_PATTERN], privileges: ["read", "view_index_metadata"] }];

/** Elasticsearch role bodies (`PUT _security/role/<name>`). */
export const ELASTICSEARCH_DASHBOARDS_ROLES = {
  [DASHBOARDS_READER_ROLE]: { cluster: [], indices: LOG_READ, applications: kibanaApplication(KIBANA_READ_ONLY_FEATURES.map((feature) => `feature_${feature}.read`)) },
  [DASHBOARDS_EDITOR_ROLE]: { cluster: [], indices: LOG_READ, applications: kibanaApplication(KIBANA_EDITOR_FEATURES.map((feature) => `feature_${feature}.all`)) },
};

/** Where OpenSearch Dashboards keeps saved objects (the first two for indices migrated from Kibana). */
export const OPENSEARCH_DASHBOARDS_INDICES = [".kibana", ".kibana_*", ".opensearch_dashboards", ".opensearch_dashboards_*"];
/** The security plugin's name of the tenant every deployment's dashboards use. */
const GLOBAL_TENANT = "global_tenant";

/**
 * OpenSearch roles (roles.yml). The visitors' read-only tenant is what makes OpenSearch
 * Dashboards hide its save and edit controls while Discover, dashboards and visualizations stay
 * open. Not kibana_user, which may write and delete the dashboards' own indices.
 */
export const OPENSEARCH_DASHBOARDS_ROLES = {
  [DASHBOARDS_READER_ROLE]: {
    cluster_permissions: ["cluster_composite_ops_ro"],
    index_permissions: [
      { index_patterns: [LOG_INDEX_PATTERN], allowed_actions: ["read", "indices_monitor"] },
      { index_patterns: OPENSEARCH_DASHBOARDS_INDICES, allowed_actions: ["read"] },
    ],
    tenant_permissions: [{ tenant_patterns: [GLOBAL_TENANT], allowed_actions: ["kibana_all_read"] }],
  },
  [DASHBOARDS_EDITOR_ROLE]: {
    cluster_permissions: ["cluster_composite_ops"],
    index_permissions: [
      { index_patterns: [LOG_INDEX_PATTERN], allowed_actions: ["read", "indices_monitor"] },
      { index_patterns: OPENSEARCH_DASHBOARDS_INDICES, allowed_actions: ["read", "index", "delete", "manage"] },
    ],
    tenant_permissions: [{ tenant_patterns: [GLOBAL_TENANT], allowed_actions: ["kibana_all_write"] }],
  },
};

/**
 * The security plugin's multitenancy (config.yml `config.dynamic.kibana`): the global tenant
 * only, and the dashboards server's own user. The plugin lets only that user (by default
 * `kibanaserver`) reach the saved objects index outside a tenant: under any other name the
 * server's migrations and its own reads and writes of `.kibana` are refused.
 */
export function openSearchDashboardsTenancy(serverUsername: string) {
  return { multitenancy_enabled: true, private_tenant_enabled: false, default_tenant: GLOBAL_TENANT, server_username: serverUsername };
}
