import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { ComputeKeypairV2 } from "../.gen/providers/openstack/compute-keypair-v2";
import { DataOpenstackComputeFlavorV2 } from "../.gen/providers/openstack/data-openstack-compute-flavor-v2";
import { DataOpenstackImagesImageV2 } from "../.gen/providers/openstack/data-openstack-images-image-v2";
import { OpenstackProvider } from "../.gen/providers/openstack/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TlsProvider } from "@cdktf/provider-tls/lib/provider";
import { Frontend } from "../constructs/frontend";
import { IngestionWorkers } from "../constructs/ingestion-workers";
import { Monitoring } from "../constructs/monitoring";
import { PROMETHEUS_PORT } from "../lib/monitoring/targets";
import { STATUS_PAGE_PUBLIC_PATH } from "../lib/monitoring/status-page";
import { diskWatermarks, HTTP_PORT } from "../lib/search/engine";
import { searchCapacity } from "../lib/search/topology";
import { RecheckService, recheckServerName } from "../constructs/recheck-service";
import { SERVICE_DEFAULTS } from "../lib/recheck/service-config";
import type { BugQuery } from "../lib/queries/check";
import { configureStateBackend } from "./state-backend";
import { ingestPipelineBody, PIPELINE_NAME } from "../lib/ingestion/ingest-pipeline";
import { tenantOf } from "../lib/ingestion/partition";
import { Network } from "../constructs/network";
import { PolicyChecks } from "../constructs/policy-checks";
import { SearchCluster } from "../constructs/search-cluster";
import { Port } from "../constructs/connections";
import { Server } from "../constructs/server";
import { ServerRole, type ServerRoleDefaults } from "../constructs/server-role";
import { SSH_HOSTS_OUTPUT, SSH_JUMP_HOST_OUTPUT } from "../lib/ssh-config";
import type { LoadedDeployment } from "../lib/config/load";
import type { DashboardsUi } from "../lib/frontend/dashboards-routes";
import { DISTRIBUTIONS } from "../lib/images/distributions";
import type { ServiceName } from "../lib/service-bundle";

export interface DeploymentStackProps {
  /** The validated deployment, with the cloud it runs on. */
  readonly deployment: LoadedDeployment;
  /** The bug queries the recheck bot uses. */
  readonly queries: readonly BugQuery[];
  /**
   * The dashboards' starter saved objects of each UI (ndjson exports, lib/frontend/saved-objects.ts).
   * @default none: the dashboards start empty
   */
  readonly savedObjects?: Partial<Record<DashboardsUi, string>>;
  /** The JavaScript of the services the servers run (lib/service-bundle.ts). */
  readonly serviceBundles: Readonly<Record<ServiceName, string>>;
}

/** Everything one deployment of the service needs on one cloud. The stack name is the deployment name. */
export class DeploymentStack extends TerraformStack {
  /**
   * cdktf resolves every element of a stack once more before synthesis, only to add the outputs
   * and remote state that references between stacks need. A deployment never refers to another
   * stack (each has its own state, often on its own cloud), and configureStateBackend always sets
   * the backend that pass would otherwise default: skipping it saves a quarter of synth's CPU.
   */
  public override prepareStack(): void {}

  constructor(scope: Construct, id: string, props: DeploymentStackProps) {
    super(scope, id);
    const { config, cloud, name } = props.deployment;
    PolicyChecks.applyTo(this);
    configureStateBackend(this, config.state);

    // Credentials come from clouds.yaml on the admin's machine; the provider only names the entry.
    new OpenstackProvider(this, "openstack", {
      cloud: cloud.config.clouds_yaml_entry,
      region: cloud.config.region,
    });

    // Passwords and the cluster's certificates are generated at deploy time; they live in the state only.
    new RandomProvider(this, "random");
    new TlsProvider(this, "tls");

    const image = new DataOpenstackImagesImageV2(this, "image", {
      name: cloud.config.images[config.image].name,
      mostRecent: true,
    });
    const keyPair = new ComputeKeypairV2(this, "admin-key-pair", {
      name: `${name}-admin`,
      publicKey: config.admin.ssh_public_keys[0],
    });
    const network = new Network(this, "network", { name, config: cloud.config.network });

    const servers: ServerRoleDefaults = {
      deploymentName: name,
      network,
      imageId: image.id,
      bootVolumeSizes: Object.fromEntries(
        Object.values(cloud.config.flavors).flatMap((flavor) => (flavor.boot_volume_gib === undefined ? [] : [[flavor.name, flavor.boot_volume_gib]])),
      ),
      keyPairName: keyPair.name,
      serverGroupPolicy: cloud.config.server_group_policy,
      adminSshPublicKeys: config.admin.ssh_public_keys,
      adminPrefixes: config.admin.ssh_allowed_prefixes,
    };
    const flavorName = (alias: string) => cloud.config.flavors[alias].name;
    // Looked up by name like the image, so that a flavor missing on the cloud fails the plan, not the apply.
    const flavorAliases = [
      config.search.data_nodes.flavor,
      config.search.master_nodes.flavor,
      config.ingestion.workers.flavor,
      config.recheck.flavor,
      config.frontend.flavor,
      config.monitoring.host === "dedicated" ? (config.monitoring.flavor ?? config.frontend.flavor) : undefined,
    ].filter((alias): alias is string => alias !== undefined);
    for (const alias of [...new Set(flavorAliases)].sort()) {
      new DataOpenstackComputeFlavorV2(this, `flavor-${alias}`, { name: flavorName(alias) });
    }

    const search = new SearchCluster(this, "search", {
      servers,
      topology: props.deployment.search,
      dataFlavorName: props.deployment.search.dataNodes.flavor.name,
      masterFlavorName: props.deployment.search.masterNodes.flavor.name,
      ingestPipeline: { name: PIPELINE_NAME, body: ingestPipelineBody() },
    });
    const ingestion = new IngestionWorkers(this, "ingestion", {
      servers,
      count: config.ingestion.workers.count,
      flavorName: flavorName(config.ingestion.workers.flavor),
      sources: config.ingestion.sources,
      search,
      serviceBundle: props.serviceBundles.ingestion,
      retentionDays: props.deployment.search.retentionDays,
      downloadList: config.ingestion.download_list,
      debugMessages: config.ingestion.debug_messages,
      backfillHours: config.ingestion.backfill_hours,
      pollSeconds: config.ingestion.poll_seconds,
      maxLogFileSizeMiB: config.ingestion.max_log_file_mib,
    });
    const monitoringSettings = {
      servers,
      search,
      rules: {
        dataNodes: props.deployment.search.dataNodes.count,
        searchNodes: props.deployment.search.dataNodes.count + props.deployment.search.masterNodes.count,
        watermarks: watermarkPercents(props.deployment.search.diskWatermarkPercent),
        retentionDays: props.deployment.search.retentionDays,
        plannedStoreGiB: searchCapacity(props.deployment.search).requiredGiB,
        snapshots: props.deployment.search.snapshots !== undefined,
        sourceGapMinutes: Object.fromEntries(
          config.ingestion.sources.map((source) => [source.name, config.monitoring.source_gaps[source.name] ?? config.monitoring.source_gap_minutes]),
        ),
      },
      retentionDays: config.monitoring.retention_days,
      email: config.monitoring.alerts.email
        ? { ...config.monitoring.alerts.email, requireTls: config.monitoring.alerts.email.require_tls }
        : undefined,
      webhook: config.monitoring.alerts.webhook ? { sendResolved: config.monitoring.alerts.webhook.send_resolved } : undefined,
      ircAlerts: config.monitoring.alerts.irc
        ? { receiverServerName: recheckServerName(name), sendResolved: config.monitoring.alerts.irc.send_resolved }
        : undefined,
    };
    // A server of its own exists before the front end, which names it for the status page.
    const dedicatedMonitoring =
      config.monitoring.host === "dedicated"
        ? new Monitoring(this, "monitoring", {
            ...monitoringSettings,
            flavorName: flavorName(config.monitoring.flavor ?? config.frontend.flavor),
            volumeSizeGiB: config.monitoring.volume_gib,
          })
        : undefined;
    const frontend = new Frontend(this, "frontend", {
      servers,
      flavorName: flavorName(config.frontend.flavor),
      search,
      publicTcpPorts: [80, 443, ...config.frontend.extra_public_ports],
      dnsName: config.frontend.dns_name,
      acmeEmail: config.frontend.acme_email,
      designateZoneId: config.frontend.designate_zone_id,
      dashboards: config.frontend.dashboards,
      savedObjects: props.savedObjects,
      requestsPerSecond: config.frontend.requests_per_second,
      maxRequestBodyKib: config.frontend.max_request_body_kib,
      statusPageUpstream: dedicatedMonitoring?.statusPageUpstream ?? `127.0.0.1:${PROMETHEUS_PORT}`,
    });
    dedicatedMonitoring?.connections.allowFrom(frontend, Port.tcp(PROMETHEUS_PORT), "The front end serves the monitoring's status page");
    const monitoring =
      dedicatedMonitoring ?? new Monitoring(this, "monitoring", { ...monitoringSettings, host: frontend.role, hostJobs: ["node", "nginx", "tls"] });

    const recheck = new RecheckService(this, "recheck", {
      servers,
      flavorName: flavorName(config.recheck.flavor),
      search,
      queries: props.queries,
      gerritHost: config.recheck.gerrit.host,
      gerritUser: config.recheck.gerrit.user,
      gerritHostKey: config.recheck.gerrit.host_key,
      gerritAddresses: config.recheck.gerrit.addresses,
      ircAddresses: config.recheck.irc?.addresses,
      commentOnGerrit: config.recheck.gerrit.comment,
      ciUsername: config.recheck.ci_username,
      jobsRe: config.recheck.jobs_re,
      tenants: config.recheck.tenants ?? [...new Set(config.ingestion.sources.map((source) => tenantOf(source)!))],
      logsUrl: frontend.dashboardsUrl ?? frontend.url,
      irc: config.recheck.irc,
      alertReceiver: config.monitoring.alerts.irc
        ? { channel: config.monitoring.alerts.irc.channel, token: monitoring.alertReceiverToken!, statusPageUrl: `${frontend.url}${STATUS_PAGE_PUBLIC_PATH.slice(1)}` }
        : undefined,
      serviceBundle: props.serviceBundles.recheck,
      dashboardDays: props.deployment.search.retentionDays,
      suggestions: {
        baselineDays: Math.min(config.recheck.suggestions.baseline_days, props.deployment.search.retentionDays),
        minBuilds: config.recheck.suggestions.min_builds,
        maxSuggestions: config.recheck.suggestions.max_suggestions,
        ircMinBuilds: config.recheck.suggestions.irc_min_builds,
      },
      dnsName: config.recheck.dns_name,
      acmeEmail: config.recheck.acme_email,
    });

    if (config.monitoring.alerts.irc) {
      recheck.connections.allowFrom(monitoring, Port.tcp(SERVICE_DEFAULTS.alertReceiverPort), "Alertmanager posts the alerts the recheck bot announces on IRC");
    }
    const searchApi = { search: HTTP_PORT, tls: HTTP_PORT };
    monitoring.watch(search.dataNodes, ["node", "search", "tls"], searchApi);
    if (search.masterNodes) monitoring.watch(search.masterNodes, ["node", "search", "tls"], searchApi);
    monitoring.watch(ingestion.role, ["node", "ingestion"]);
    monitoring.watch(recheck.role, ["node", "nginx", "recheck", "tls"]);
    monitoring.watch(frontend.role, ["node", "nginx", "tls"]);
    if (dedicatedMonitoring) monitoring.watch(dedicatedMonitoring.role, ["node"]);

    // On a tenant network only the public roles have addresses the admins reach: the others are
    // reached with ProxyJump through the front end (npm run ssh-config).
    if (network.floatingIpPool) {
      for (const role of this.node.findAll().filter((node): node is ServerRole => node instanceof ServerRole && node !== frontend.role)) {
        role.connections.allowFrom(frontend.role, Port.tcp(22), "Admin SSH through the front end (ProxyJump)");
      }
      new TerraformOutput(this, SSH_JUMP_HOST_OUTPUT, {
        value: frontend.role.nodes[0].name,
        description: "The server private servers are reached through with SSH (ProxyJump).",
      });
    }
    const allServers = this.node.findAll().filter((node): node is Server => node instanceof Server);
    const sshUser = DISTRIBUTIONS[cloud.config.images[config.image].distribution].defaultUser;
    new TerraformOutput(this, SSH_HOSTS_OUTPUT, {
      value: Object.fromEntries(
        allServers.map((server) => [
          server.name,
          { address: server.privateIpv4Address, ...(server.publicIpv4Address ? { public_address: server.publicIpv4Address } : {}), user: sshUser },
        ]),
      ),
      description: "Each server's private address, its public one if it has one, and the image's login user (npm run ssh-config).",
    });

    new TerraformOutput(this, "search_endpoints", {
      value: search.endpoints,
      description: "HTTPS endpoints of the search data nodes (private network; TLS from the cluster's own CA).",
    });
    new TerraformOutput(this, "public_url", { value: frontend.url, description: "The public read-only search API." });
    new TerraformOutput(this, "recheck_url", { value: recheck.dashboardUrl, description: "The recheck dashboard." });
    if (frontend.dashboardsUrl) {
      new TerraformOutput(this, "dashboards_url", { value: frontend.dashboardsUrl, description: "Kibana (OpenSearch Dashboards), read-only." });
    }
  }
}

/** The engine's three watermarks (lib/search/engine.ts), as numbers. */
function watermarkPercents(lowPercent: number): { lowPercent: number; highPercent: number; floodStagePercent: number } {
  const settings = diskWatermarks(lowPercent);
  const percent = (key: string) => Number(settings[`cluster.routing.allocation.disk.watermark.${key}`].replace("%", ""));
  return { lowPercent: percent("low"), highPercent: percent("high"), floodStagePercent: percent("flood_stage") };
}
