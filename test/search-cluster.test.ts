import { parse } from "yaml";
import { Network } from "../constructs/network";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { NEEDRESTART_CONFIG_FILE, renderNeedrestartConfig, SearchCluster } from "../constructs/search-cluster";
import type { NetworkConfig } from "../lib/config/schema";
import { LOG_FIELDS } from "../lib/field-contract";
import { SEARCH_LIMITS } from "../lib/search/engine";
import { resolveSearchTopology } from "../lib/search/topology";
import { resources, synthStack } from "./support/stack";
import { deliveredUserData, executablesOf, shellScriptsOf, systemdUnitsOf, writtenFiles } from "./support/user-data";
import { describeWithTool, validateCloudConfig, validateShellScripts, validateSystemdUnits } from "./support/validators";

const flavors = { big: { name: "m1.xl", vcpus: 16, ram_gib: 64, disk_gib: 160 }, small: { name: "m1.l", vcpus: 4, ram_gib: 8, disk_gib: 80 } };
const tenant: NetworkConfig = { mode: "tenant", external_network: "public", ipv4_cidr: "10.42.0.0/24", dns_nameservers: [] };

function synthCluster(options: { engine?: "elasticsearch" | "opensearch"; version?: string; dataNodes?: number; masters?: number; network?: NetworkConfig; snapshots?: boolean } = {}) {
  const topology = resolveSearchTopology(
    {
      engine: options.engine ?? "elasticsearch",
      version: options.version,
      data_nodes: { count: options.dataNodes ?? 3, flavor: "big", volume_gib: 500 },
      master_nodes: { count: options.masters, flavor: "small" },
      primary_shards: 5,
      retention_days: 14,
      daily_ingest_gib: 10,
      disk_watermark_percent: 85,
      snapshots: options.snapshots ? { s3_endpoint: "https://object.example.org", hour_utc: 2, keep_days: 20 } : undefined,
    },
    flavors,
  );
  let cluster: SearchCluster | undefined;
  const stack = synthStack((scope) => {
    const network = new Network(scope, "network", { name: "prod", config: options.network ?? tenant });
    cluster = new SearchCluster(scope, "search", {
      servers: {
        deploymentName: "prod", network, imageId: "image", keyPairName: "key", serverGroupPolicy: "anti-affinity",
        adminSshPublicKeys: ["ssh-ed25519 AAAA admin"], adminPrefixes: ["203.0.113.0/24"],
      },
      topology,
      dataFlavorName: "m1.xl",
      masterFlavorName: "m1.l",
      ingestPipeline: { name: "logs-parse", body: { processors: [] } },
    });
  });
  const servers = Object.fromEntries(
    resources(stack, "openstack_compute_instance_v2").map((instance) => [instance.name as string, instance.user_data as string]),
  );
  return { stack, cluster: cluster!, servers };
}

const fileOf = (userData: string, filePath: string) => writtenFiles(userData).find((file) => file.path === filePath);
const settingsOf = (userData: string, engine = "elasticsearch") =>
  parse(fileOf(userData, `/etc/ci-log-analysis/search/config/${engine}.yml`)!.content) as Record<string, unknown>;
const requestBody = (userData: string, pathPart: string) => {
  const file = writtenFiles(userData).find((written) => written.path.startsWith("/etc/ci-log-analysis/search/setup/") && written.path.includes(pathPart));
  return JSON.parse(file!.content);
};

describe("SearchCluster (Elasticsearch, dedicated masters)", () => {
  const { stack, cluster, servers } = synthCluster({ masters: 3 });

  test("creates the engine's user with a fixed uid and gid before the package does", () => {
    const node = servers["prod-search-data-1"];
    expect(fileOf(node, "/etc/ci-log-analysis/search-engine.env")!.content).toContain("ENGINE_UID=9200\n");
    const script = fileOf(node, "/usr/local/sbin/install-search-engine")!.content;
    expect(script.indexOf('useradd --system --uid "$ENGINE_UID" --gid "$ENGINE_UID"')).toBeGreaterThan(0);
    expect(script.indexOf("useradd")).toBeLessThan(script.indexOf("apt-get install"));
  });

  test("installs and sets up with retries, then leaves a failed unit", () => {
    const units = writtenFiles(servers["prod-search-master-1"]).filter((file) => /(install-search-engine|search-setup)\.service$/.test(file.path));
    expect(units).toHaveLength(2);
    for (const unit of units) {
      expect(unit.content).toMatch(/StartLimitIntervalSec=12h\nStartLimitBurst=4\n/);
      expect(unit.content).toMatch(/Restart=on-failure\nRestartSec=10min\n/);
    }
    expect(fileOf(servers["prod-search-master-1"], "/usr/local/sbin/install-search-engine")!.content).toContain("apt-get -o Acquire::Retries=5 update");
  });

  test("tells needrestart to leave the engine to rolling restarts", () => {
    expect(fileOf(servers["prod-search-data-1"], NEEDRESTART_CONFIG_FILE)!.content).toBe(renderNeedrestartConfig("elasticsearch.service"));
  });

  test("limits what one search may cost, leaving Kibana's task manager its script sort", () => {
    expect(settingsOf(servers["prod-search-data-1"], "elasticsearch")).toMatchObject({
      "search.default_search_timeout": "30s",
      "search.allow_expensive_queries": false,
      "search.max_buckets": 10000,
      "script.allowed_types": "inline",
      "script.allowed_contexts": ["update", "ingest", "processor_conditional", "number_sort"],
    });
  });

  test("builds the masters and the data nodes, each data node with a protected volume", () => {
    expect(Object.keys(servers).sort()).toEqual([
      "prod-search-data-1", "prod-search-data-2", "prod-search-data-3", "prod-search-master-1", "prod-search-master-2", "prod-search-master-3",
    ]);
    expect(resources(stack, "openstack_blockstorage_volume_v3").map((volume) => volume.name).sort()).toEqual([
      "prod-search-data-1-data", "prod-search-data-2-data", "prod-search-data-3-data",
    ]);
  });

  test("masters are master-eligible only and bootstrap the cluster; data nodes hold data and run ingest pipelines", () => {
    const master = settingsOf(servers["prod-search-master-2"]);
    expect(master).toMatchObject({
      "cluster.name": "prod",
      "node.name": "prod-search-master-2",
      "node.roles": ["master"],
      "network.publish_host": "10.42.0.17",
      "discovery.seed_hosts": ["10.42.0.16", "10.42.0.17", "10.42.0.18"],
      "cluster.initial_master_nodes": ["prod-search-master-1", "prod-search-master-2", "prod-search-master-3"],
      "path.data": "/var/lib/elasticsearch",
      // The package's own file set it, and its default (logs/ under /usr/share/elasticsearch) does not exist.
      "path.logs": "/var/log/elasticsearch",
    });
    const data = settingsOf(servers["prod-search-data-1"]);
    expect(data).toMatchObject({ "node.roles": ["data", "ingest"], "path.data": "/var/lib/search/elasticsearch", "discovery.seed_hosts": ["10.42.0.16", "10.42.0.17", "10.42.0.18"] });
    expect(data).not.toHaveProperty("cluster.initial_master_nodes");
  });

  test("turns security on with TLS for transport and HTTP, so the package generates nothing of its own", () => {
    expect(settingsOf(servers["prod-search-data-1"])).toMatchObject({
      "xpack.security.enabled": true,
      "xpack.security.autoconfiguration.enabled": false,
      "xpack.security.transport.ssl.verification_mode": "full",
      "xpack.security.http.ssl.certificate": "certs/node.crt",
      "xpack.security.http.ssl.certificate_authorities": ["certs/ca.crt"],
      "bootstrap.memory_lock": true,
    });
  });

  test("issues each node a certificate for its address, its name and the cluster name, from a CA made at deploy time", () => {
    const requests = resources(stack, "tls_cert_request");
    expect(requests.find((request) => request.subject[0].common_name === "prod-search-data-2")).toMatchObject({
      ip_addresses: ["10.42.0.49"],
      dns_names: ["prod-search-data-2", "search-cluster"],
    });
    expect(resources(stack, "tls_self_signed_cert")).toEqual([expect.objectContaining({ is_ca_certificate: true })]);
    expect(fileOf(servers["prod-search-data-2"], "/etc/ci-log-analysis/search/config/certs/node.key")!.permissions).toBe("0600");
  });

  test("sizes the heap from the flavor: half the RAM, at most 31 GiB", () => {
    expect(fileOf(servers["prod-search-data-1"], "/etc/ci-log-analysis/search/config/jvm.options.d/heap.options")!.content).toBe("-Xms31g\n-Xmx31g\n");
    expect(fileOf(servers["prod-search-master-1"], "/etc/ci-log-analysis/search/config/jvm.options.d/heap.options")!.content).toBe("-Xms4g\n-Xmx4g\n");
  });

  test("sets the kernel and service limits the engine needs, and never starts a data node without its volume", () => {
    expect(fileOf(servers["prod-search-data-1"], "/etc/sysctl.d/60-search.conf")!.content).toContain("vm.max_map_count = 262144");
    const dropIn = fileOf(servers["prod-search-data-1"], "/etc/systemd/system/elasticsearch.service.d/limits.conf")!.content;
    expect(dropIn).toContain("RequiresMountsFor=/var/lib/search");
    expect(dropIn).toContain("LimitMEMLOCK=infinity");
    expect(dropIn).toContain("LimitNOFILE=65536");
    expect(deliveredUserData(servers["prod-search-data-1"])).toContain("- [swapoff, --all]");
  });

  test("installs the pinned release from the vendor's repository, trusted by the key's fingerprint", () => {
    const unit = fileOf(servers["prod-search-data-1"], "/etc/systemd/system/install-search-engine.service")!.content;
    expect(unit).toContain(
      'ExecStartPre=/usr/local/sbin/add-signed-apt-repository elastic-9.x "https://artifacts.elastic.co/packages/9.x/apt stable main" https://artifacts.elastic.co/GPG-KEY-elasticsearch 46095ACC8548582C1A2699A9D27D666CD88E42B4',
    );
    expect(fileOf(servers["prod-search-data-1"], "/etc/ci-log-analysis/search-engine.env")!.content).toContain("ENGINE_VERSION=9.5.6\n");
  });

  test.each([
    ["2.19.6", "opensearch-2.x", "https://artifacts.opensearch.org/publickeys/opensearch.pgp C5B7498965EFD1C2924BA9D539D319879310D3FC"],
    ["3.8.0", "opensearch-3.x", "https://artifacts.opensearch.org/publickeys/opensearch-release.pgp A8B2D9E04CD51FEF6AA2DB53BA81D99981191457"],
  ])("installs OpenSearch %s from the %s repository, trusted by that line's own key", (version, repository, key) => {
    const { servers: openSearch } = synthCluster({ engine: "opensearch", version });
    const unit = fileOf(openSearch["prod-search-data-1"], "/etc/systemd/system/install-search-engine.service")!.content;
    expect(unit).toContain(`add-signed-apt-repository ${repository} "https://artifacts.opensearch.org/releases/bundle/opensearch/${version[0]}.x/apt stable main" ${key}\n`);
  });

  test("generates the passwords at deploy time, and gives the users' passwords to the setup node only", () => {
    expect(resources(stack, "random_password")).toHaveLength(7);
    expect(resources(stack, "random_password").every((password) => password.length === 32 && password.special === false)).toBe(true);
    const setupSecrets = fileOf(servers["prod-search-master-1"], "/etc/ci-log-analysis/search-secrets.env")!;
    expect(setupSecrets.permissions).toBe("0600");
    expect(setupSecrets.content.split("\n").map((line) => line.split("=")[0])).toEqual(["ADMIN_USER", "ADMIN_PASSWORD", "WRITER_PASSWORD", "READER_PASSWORD", "DASHBOARDS_READER_PASSWORD", "DASHBOARDS_EDITOR_PASSWORD", "DASHBOARDS_PASSWORD", "MONITOR_PASSWORD", ""]);
    expect(fileOf(servers["prod-search-data-1"], "/etc/ci-log-analysis/search-secrets.env")!.content).not.toContain("WRITER_PASSWORD");
    // A data-only node never uses the admin's password: it does not get it.
    expect(fileOf(servers["prod-search-data-1"], "/etc/ci-log-analysis/search-secrets.env")!.content).toBe("\n");
    expect(fileOf(servers["prod-search-master-2"], "/etc/ci-log-analysis/search-secrets.env")!.content).toMatch(/^ADMIN_USER=elastic\nADMIN_PASSWORD=/);
    expect(cluster.writer.username).toBe("logwriter");
    expect(cluster.reader.username).toBe("logreader");
  });

  test("applies index management from the first master only", () => {
    const withSetup = Object.keys(servers).filter((name) => fileOf(servers[name], "/etc/systemd/system/search-setup.service"));
    expect(withSetup).toEqual(["prod-search-master-1"]);
    expect(fileOf(servers["prod-search-master-1"], "/etc/ci-log-analysis/search/setup/requests")!.content).toBe(
      [
        "PUT _ingest/pipeline/logs-parse 01-ingest-pipeline-logs-parse.json",
        "PUT _ilm/policy/logs-retention 02-ilm-policy-logs-retention.json",
        "PUT _index_template/ci-log-analysis-logstash 03-index-template-ci-log-analysis-logstash.json",
        "PUT _security/role/log_writer 04-security-role-log-writer.json",
        "PUT _security/role/log_reader 05-security-role-log-reader.json",
        "PUT _security/role/cluster_monitor_reader 06-security-role-cluster-monitor-reader.json",
        "PUT _security/role/dashboards_reader 07-security-role-dashboards-reader.json",
        "PUT _security/role/dashboards_editor 08-security-role-dashboards-editor.json",
        "",
      ].join("\n"),
    );
    expect(fileOf(servers["prod-search-master-1"], "/etc/ci-log-analysis/search/setup/users")!.content).toBe(
      // elastic's password in the security index first: then it authenticates on every node, not
      // only where bootstrap.password is in the keystore.
      "elastic - ADMIN_PASSWORD\nlogwriter log_writer WRITER_PASSWORD\nlogreader log_reader READER_PASSWORD\n" +
        "dashboardsreader dashboards_reader DASHBOARDS_READER_PASSWORD\ndashboardseditor dashboards_editor DASHBOARDS_EDITOR_PASSWORD\n" +
        "kibana_system - DASHBOARDS_PASSWORD\nmonitor cluster_monitor_reader MONITOR_PASSWORD\n",
    );
  });

  test("gives the dashboards' visitors Kibana's read-only features only, not the base read privilege with its console", () => {
    const role = requestBody(servers["prod-search-master-1"], "security-role-dashboards-reader");
    expect(role.applications).toEqual([
      { application: "kibana-.kibana", privileges: ["feature_discover_v2.read", "feature_dashboard_v2.read", "feature_visualize_v2.read"], resources: ["space:default"] },
    ]);
    expect(role.indices).toEqual([{ names: ["logstash-*"], privileges: ["read", "view_index_metadata"] }]);
    expect(requestBody(servers["prod-search-master-1"], "security-role-log-reader")).not.toHaveProperty("applications");
  });

  test("lets the dashboards editor write saved objects through Kibana only, and read the logs", () => {
    const role = requestBody(servers["prod-search-master-1"], "security-role-dashboards-editor");
    expect(role.applications[0].privileges).toEqual([
      "feature_savedObjectsManagement.all", "feature_indexPatterns.all", "feature_discover_v2.all", "feature_dashboard_v2.all", "feature_visualize_v2.all",
    ]);
    expect(role.cluster).toEqual([]);
    expect(role.indices).toEqual([{ names: ["logstash-*"], privileges: ["read", "view_index_metadata"] }]);
  });

  test("the index template never takes Elasticsearch's reserved name `logs`, and carries a version", () => {
    const template = requestBody(servers["prod-search-master-1"], "index-template");
    expect(template).toMatchObject({ version: 2, priority: 300 });
    const names = fileOf(servers["prod-search-master-1"], "/etc/ci-log-analysis/search/setup/requests")!.content.match(/_index_template\/\S+/g);
    expect(names).toEqual(["_index_template/ci-log-analysis-logstash"]);
  });

  test("the index template's mapping is the field contract: keywords, analysed message, dates and numbers", () => {
    const template = requestBody(servers["prod-search-master-1"], "index-template");
    expect(template.index_patterns).toEqual(["logstash-*"]);
    expect(template.template.settings).toEqual({
      number_of_shards: 5, number_of_replicas: 1, "index.default_pipeline": "logs-parse", "index.lifecycle.name": "logs-retention",
    });
    const properties = template.template.mappings.properties;
    expect(Object.keys(properties).sort()).toEqual(Object.keys(LOG_FIELDS).sort());
    expect(properties.message).toEqual({ type: "text" });
    expect(properties.build_name).toEqual({ type: "keyword", ignore_above: 1024 });
    expect(properties["@timestamp"]).toEqual({ type: "date" });
    expect(properties.voting).toEqual({ type: "integer" });
  });

  test("deletes log indices after the retention", () => {
    expect(requestBody(servers["prod-search-master-1"], "ilm-policy").policy.phases.delete).toEqual({ min_age: "14d", actions: { delete: {} } });
  });

  test("lets writers only create documents and readers only read, in the log indices", () => {
    expect(requestBody(servers["prod-search-master-1"], "log-writer").indices).toEqual([
      { names: ["logstash-*"], privileges: ["create_doc", "create_index", "auto_configure"] },
    ]);
    expect(requestBody(servers["prod-search-master-1"], "log-reader").indices).toEqual([
      { names: ["logstash-*"], privileges: ["read", "view_index_metadata"] },
    ]);
  });

  test("opens the transport port only between cluster members", () => {
    const transport = resources(stack, "openstack_networking_secgroup_rule_v2").filter((rule) => rule.port_range_min === 9300);
    expect(transport.length).toBe(8);
    expect(transport.every((rule) => rule.remote_group_id !== undefined && rule.remote_ip_prefix === undefined)).toBe(true);
  });

  test("endpoints are the data nodes' HTTPS addresses", () => {
    expect(cluster.endpoints).toEqual(["https://10.42.0.48:9200", "https://10.42.0.49:9200", "https://10.42.0.50:9200"]);
  });
});

describe("SearchCluster without dedicated masters", () => {
  const { servers } = synthCluster({ dataNodes: 2 });

  test("makes the data nodes master-eligible and the first of them the setup node", () => {
    expect(settingsOf(servers["prod-search-data-2"])).toMatchObject({
      "node.roles": ["master", "data", "ingest"],
      "discovery.seed_hosts": ["10.42.0.48", "10.42.0.49"],
      "cluster.initial_master_nodes": ["prod-search-data-1", "prod-search-data-2"],
    });
    expect(fileOf(servers["prod-search-data-1"], "/etc/systemd/system/search-setup.service")).toBeDefined();
  });
});

describe("SearchCluster on a provider network", () => {
  const { servers } = synthCluster({ dataNodes: 2, network: { mode: "provider", network_name: "public" } });

  test("seeds discovery with the addresses Neutron assigns to the nodes' ports", () => {
    const seeds = fileOf(servers["prod-search-data-1"], "/etc/ci-log-analysis/search/config/elasticsearch.yml");
    expect(seeds).toBeDefined();
    expect(servers["prod-search-data-1"]).toMatch(/discovery\.seed_hosts: \["\$\{element\(openstack_networking_port_v2\.search_data_server-1_port_\w+\.all_fixed_ips, 0\)\}"/);
  });
});

describe("SearchCluster (OpenSearch)", () => {
  const { stack, servers } = synthCluster({ engine: "opensearch", masters: 3 });
  const master = servers["prod-search-master-1"];

  test("uses OpenSearch's role and bootstrap names and its security plugin with the same certificates", () => {
    expect(settingsOf(master, "opensearch")).toMatchObject({
      "node.roles": ["cluster_manager"],
      "cluster.initial_cluster_manager_nodes": ["prod-search-master-1", "prod-search-master-2", "prod-search-master-3"],
      "plugins.security.ssl.http.enabled": true,
      "plugins.security.ssl.transport.pemcert_filepath": "certs/node.crt",
      "plugins.security.nodes_dn": ["CN=prod-search-*"],
    });
  });

  test("gives the setup node alone the security admin's certificate (root-only), named by admin_dn outside the nodes' pattern", () => {
    expect(settingsOf(master, "opensearch")["plugins.security.authcz.admin_dn"]).toEqual(["CN=prod-security-admin"]);
    const holders = Object.keys(servers).filter((name) => fileOf(servers[name], "/etc/ci-log-analysis/search/security-admin/admin.key"));
    expect(holders).toEqual(["prod-search-master-1"]);
    expect(fileOf(master, "/etc/ci-log-analysis/search/security-admin/admin.key")!.permissions).toBe("0600");
    expect(fileOf(master, "/etc/ci-log-analysis/search-engine.env")!.content).toContain("SECURITY_ADMIN_DIR=/etc/ci-log-analysis/search/security-admin\n");
    expect(fileOf(servers["prod-search-master-2"], "/etc/ci-log-analysis/search-engine.env")!.content).not.toContain("SECURITY_ADMIN_DIR");
    const admin = resources(stack, "tls_cert_request").find((request) => JSON.stringify(request.subject).includes("prod-security-admin"));
    expect(admin).toBeDefined();
  });

  test("writes the security files without YAML aliases, which the security plugin's parser rejects", () => {
    for (const name of ["config", "internal_users", "roles", "roles_mapping"]) {
      expect(fileOf(master, `/etc/ci-log-analysis/search/config/opensearch-security/${name}.yml`)!.content).not.toMatch(/[&*]a\d/);
    }
  });

  test("limits what one search may cost: timeout, no expensive queries, bounded buckets, scripts only for ingest and updates, no derived fields", () => {
    expect(settingsOf(servers["prod-search-data-1"], "opensearch")).toMatchObject({
      ...SEARCH_LIMITS,
      "script.allowed_contexts": ["update", "ingest", "processor_conditional"],
      "search.derived_field.enabled": false,
    });
  });

  test("declares the users with bcrypt hashes only, never the passwords", () => {
    const users = parse(fileOf(master, "/etc/ci-log-analysis/search/config/opensearch-security/internal_users.yml")!.content);
    expect(Object.keys(users)).toEqual(["_meta", "admin", "logwriter", "logreader", "dashboardsreader", "dashboardseditor", "dashboards", "monitor"]);
    expect(master).toMatch(/hash: "?\$\{random_password\.search_writer-password_\w+\.bcrypt_hash\}"?\n/);
    expect(master).not.toMatch(/search_writer-password_\w+\.result/);
    expect(resources(stack, "random_password")).toHaveLength(7);
  });

  test("maps the dashboards' visitors to a read-only role, not kibana_user (which writes the dashboards' indices)", () => {
    const config = (name: string) => parse(fileOf(master, `/etc/ci-log-analysis/search/config/opensearch-security/${name}`)!.content);
    const mapping = config("roles_mapping.yml");
    expect(mapping).not.toHaveProperty("kibana_user");
    expect(mapping.dashboards_reader).toEqual({ users: ["dashboardsreader"] });
    const allowed = config("roles.yml").dashboards_reader.index_permissions.flatMap((permission: { allowed_actions: string[] }) => permission.allowed_actions);
    expect(new Set(allowed)).toEqual(new Set(["read", "indices_monitor"]));
    expect(config("roles.yml").dashboards_reader.tenant_permissions).toEqual([{ tenant_patterns: ["global_tenant"], allowed_actions: ["kibana_all_read"] }]);
  });

  test("gives the dashboards one tenant, the global one: read only for visitors, writable by the editor; the server's user is the dashboards server", () => {
    const config = (name: string) => parse(fileOf(master, `/etc/ci-log-analysis/search/config/opensearch-security/${name}`)!.content);
    expect(config("config.yml").config.dynamic.kibana).toEqual({ multitenancy_enabled: true, private_tenant_enabled: false, default_tenant: "global_tenant", server_username: "dashboards" });
    expect(config("roles.yml").dashboards_editor.tenant_permissions).toEqual([{ tenant_patterns: ["global_tenant"], allowed_actions: ["kibana_all_write"] }]);
    expect(config("roles_mapping.yml").dashboards_editor).toEqual({ users: ["dashboardseditor"] });
  });

  test("lets the reader GET _mapping, which the front end allows (OpenSearch's read action group lacks it)", () => {
    const roles = parse(fileOf(master, "/etc/ci-log-analysis/search/config/opensearch-security/roles.yml")!.content);
    expect(roles.log_reader.index_permissions).toEqual([{ index_patterns: ["logstash-*"], allowed_actions: ["read", "indices_monitor", "indices:admin/mappings/get"] }]);
  });

  test("keeps OpenSearch's logs where the package keeps them", () => {
    expect(settingsOf(master, "opensearch")).toMatchObject({ "path.logs": "/var/log/opensearch" });
  });

  test("deletes old indices with an ISM policy attached to new log indices", () => {
    const policy = requestBody(master, "ism-policies").policy;
    expect(policy.states[0].transitions).toEqual([{ state_name: "delete", conditions: { min_index_age: "14d" } }]);
    expect(policy.ism_template).toEqual({ index_patterns: ["logstash-*"], priority: 100 });
    expect(requestBody(master, "index-template").template.settings).not.toHaveProperty("index.lifecycle.name");
  });

  describeWithTool("cloud-init", "cloud-init schema", () => {
    test("every OpenSearch node's user data passes", () => {
      for (const userData of Object.values(servers)) expect(validateCloudConfig(deliveredUserData(userData))).toEqual([]);
    });
  });

  describeWithTool("shellcheck", "shellcheck", () => {
    test("the setup node's scripts pass", () => {
      const scripts = shellScriptsOf(writtenFiles(master));
      expect(Object.keys(scripts).length).toBeGreaterThanOrEqual(3);
      expect(Object.values(validateShellScripts(scripts)).flat()).toEqual([]);
    });
  });

  describeWithTool("systemd-analyze", "systemd-analyze verify", () => {
    test("the setup node's units pass, with the packaged unit stood in for its drop-in", () => {
      const written = writtenFiles(master);
      const units = systemdUnitsOf(written);
      expect(units).toHaveProperty(["opensearch.service"]);
      expect(Object.values(validateSystemdUnits(units, { providedExecutables: executablesOf(written) })).flat()).toEqual([]);
    });
  });
});

describe("SearchCluster with snapshots", () => {
  const { stack, servers } = synthCluster({ masters: 3, snapshots: true });
  const master = servers["prod-search-master-1"];

  test("creates a protected container and takes the S3 keys as sensitive variables", () => {
    expect(resources(stack, "openstack_objectstorage_container_v1")).toEqual([
      expect.objectContaining({ name: "prod-search-snapshots", lifecycle: { prevent_destroy: true } }),
    ]);
    expect(Object.keys(stack.variable).sort()).toEqual(["search_snapshot_s3_access_key", "search_snapshot_s3_secret_key"]);
    expect(Object.values(stack.variable).every((variable) => (variable as { sensitive: boolean }).sensitive)).toBe(true);
  });

  test("points every node's S3 client at the object storage, with its keys only in the secrets file", () => {
    // Elasticsearch 9's S3 client cannot guess the region of a non-AWS endpoint: it is always set.
    expect(settingsOf(servers["prod-search-data-2"])).toMatchObject({
      "s3.client.default.endpoint": "object.example.org",
      "s3.client.default.protocol": "https",
      "s3.client.default.path_style_access": true,
      "s3.client.default.region": "us-east-1",
    });
    const secrets = fileOf(servers["prod-search-data-2"], "/etc/ci-log-analysis/search-secrets.env")!;
    expect(secrets.content).toContain("S3_ACCESS_KEY=stand-in-value\nS3_SECRET_KEY=stand-in-value\n");
    expect(servers["prod-search-data-2"]).toContain("${var.search_snapshot_s3_secret_key}");
  });

  test("registers the repository and a daily snapshot policy after the users, so that a storage failure never blocks them", () => {
    expect(fileOf(master, "/etc/ci-log-analysis/search/setup/requests")!.content).not.toMatch(/_snapshot|_slm/);
    const lines = fileOf(master, "/etc/ci-log-analysis/search/setup/deferred-requests")!.content.split("\n");
    expect(lines).toEqual([expect.stringMatching(/^PUT _snapshot\/daily-snapshots /), expect.stringMatching(/^PUT _slm\/policy\/daily /), ""]);
    expect(requestBody(master, "snapshot-daily-snapshots").settings).toEqual({ bucket: "stand-in-value", base_path: "prod", client: "default" });
    expect(requestBody(master, "slm-policy-daily")).toMatchObject({ schedule: "0 30 2 * * ?", retention: { expire_after: "20d" } });
  });

  test("on OpenSearch, installs the repository-s3 plugin of the engine's release, checked against its published SHA-512", () => {
    const script = fileOf(master, "/usr/local/sbin/install-search-engine")!.content;
    expect(script).toContain('"https://artifacts.opensearch.org/releases/plugins/repository-s3/$ENGINE_VERSION/$file"');
    expect(script).toContain('sha512sum --check --strict "$zip.sha512"');
    expect(script).not.toMatch(/plugin" install --batch repository-s3/);
  });

  test("on OpenSearch, creates the snapshot management policy once", () => {
    const { servers: openSearch } = synthCluster({ engine: "opensearch", masters: 3, snapshots: true });
    const requests = fileOf(openSearch["prod-search-master-1"], "/etc/ci-log-analysis/search/setup/deferred-requests")!.content;
    expect(requests).toMatch(/^POST _plugins\/_sm\/policies\/daily \S+ create-only$/m);
  });

  test("on OpenSearch, replaces the ISM policy with its current sequence number (a plain PUT of an existing one answers 409)", () => {
    const { servers: openSearch } = synthCluster({ engine: "opensearch", masters: 3 });
    const requests = fileOf(openSearch["prod-search-master-1"], "/etc/ci-log-analysis/search/setup/requests")!.content;
    expect(requests).toMatch(/^PUT _plugins\/_ism\/policies\/logs-retention \S+ versioned$/m);
  });
});

describe("renderNeedrestartConfig, read by perl as needrestart reads it", () => {
  test.each([
    ["opensearch.service", "opensearch.service", "0"],
    ["opensearch.service", "opensearch-dashboards.service", "unset"],
    ["elasticsearch.service", "elasticsearch.service", "0"],
    ["elasticsearch.service", "elasticsearchXservice", "unset"],
  ])("the config for %s gives %s override_rc %s", (service, candidate, expected) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "needrestart-"));
    try {
      const file = path.join(dir, "50-search-engine.conf");
      fs.writeFileSync(file, renderNeedrestartConfig(service));
      const lookup = `our %nrconf; do $ARGV[0]; die "load: $@" if $@; my @hits = grep { $ARGV[1] =~ $_ } keys %{$nrconf{override_rc}}; print @hits ? $nrconf{override_rc}{$hits[0]} : "unset";`;
      const result = spawnSync("perl", ["-e", lookup, file, candidate], { encoding: "utf8" });
      expect([result.stderr, result.stdout]).toEqual(["", expected]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
