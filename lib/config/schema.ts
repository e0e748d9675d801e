/**
 * The public configuration model: the single source of the config types, of their validation
 * and of the JSON Schemas published for editors (see scripts/write-config-schemas.ts).
 *
 * Keys are snake_case, as in clouds.yaml and Terraform; every object is strict so that a
 * misspelt setting is an error instead of being silently ignored.
 */
import * as z from "zod";
import { DEFAULT_DISTRIBUTION, DISTRIBUTION_NAMES, DISTRIBUTIONS } from "../images/distributions";
import { SERVICE_DEFAULTS } from "../recheck/service-config";

/** A short lowercase name used in resource names and stack names. */
const slug = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/, {
    error: "expected 2-32 characters of a-z, 0-9 and '-', starting with a letter",
  });

const ipv4Cidr = z.cidrv4({ error: "expected an IPv4 CIDR such as 10.42.0.0/24" });
const ipv6Cidr = z.cidrv6({ error: "expected an IPv6 CIDR such as fd00:42::/64" });
const cidr = z.union([ipv4Cidr, ipv6Cidr], {
  error: "expected an IPv4 or IPv6 CIDR such as 203.0.113.0/24 or 2001:db8::/48",
});

const sshPublicKey = z
  .string()
  .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+=*( .*)?$/, {
    error: "expected an OpenSSH public key line such as 'ssh-ed25519 AAAA... admin@example.org' (never a private key)",
  });

const tcpPort = z.int().min(1).max(65535);
const ircChannel = z.string().regex(/^[A-Za-z0-9_-]+$/, { error: "expected a channel name without #" });

/** A setting that no longer exists: any value is an error, at its line, saying what to do instead. */
function retired(message: string) {
  return z
    .unknown()
    .refine((value) => value === undefined, { error: message })
    .optional()
    .describe(`Retired: setting it is an error (${message.replace(/^is retired: /, "")}).`);
}

/**
 * Ports the front end must never open to the world: admin SSH, the cluster's API and transport,
 * the dashboards' own port (they are served under /dashboards/ on 443), and the ingestion
 * workers' admin-only metrics port (9128).
 */
export const RESERVED_PORTS: readonly { readonly from: number; readonly to: number; readonly what: string }[] = [
  { from: 22, to: 22, what: "admin SSH" },
  { from: 5601, to: 5601, what: "the dashboards' own port (they are served under /dashboards/ on 443)" },
  { from: 9128, to: 9128, what: "the ingestion workers' admin-only metrics" },
  { from: 9200, to: 9200, what: "the search API (the front end proxies it, read-only, on 443)" },
  { from: 9300, to: 9300, what: "the search cluster's transport" },
];

const publicPort = tcpPort.check((context) => {
  const reserved = RESERVED_PORTS.find((range) => context.value >= range.from && context.value <= range.to);
  if (reserved) {
    context.issues.push({
      code: "custom",
      input: context.value,
      message: `reserved for ${reserved.what}, never opened to the world; remove it`,
    });
  }
});

/** The longest admin prefixes may be: anything wider lets a large part of the Internet try SSH. */
export const WIDEST_ADMIN_PREFIX = { IPv4: 8, IPv6: 32 } as const;

const adminPrefix = cidr.refine(
  (value) => Number(value.split("/")[1]) >= (value.includes(":") ? WIDEST_ADMIN_PREFIX.IPv6 : WIDEST_ADMIN_PREFIX.IPv4),
  {
    error: `expected a prefix of /${WIDEST_ADMIN_PREFIX.IPv4} or longer (IPv4), /${WIDEST_ADMIN_PREFIX.IPv6} or longer (IPv6): a wider one opens admin SSH to a large part of the Internet; list the admins' own networks`,
  },
);

/** More RAM than any flavor has: a larger ram_gib was given in MiB. */
export const MAX_FLAVOR_RAM_GIB = 1024;

export const flavorSchema = z
  .strictObject({
    name: z.string().min(1).describe("The flavor's name in Nova (openstack flavor list)."),
    vcpus: z.int().min(1).describe("vCPUs of the flavor, used for sizing and quota checks."),
    ram_gib: z
      .number()
      .positive()
      .max(MAX_FLAVOR_RAM_GIB, {
        error: `did you give MiB? ram_gib is in GiB (\`openstack flavor list\` shows MiB: divide by 1024), and no flavor has more than ${MAX_FLAVOR_RAM_GIB} GiB`,
      })
      .describe("RAM of the flavor in GiB (openstack flavor list shows MiB: divide by 1024), used for heap sizing."),
    disk_gib: z
      .int()
      .min(0)
      .describe("Root disk of the flavor in GiB (openstack flavor list: Disk), for the root disk check; 0 when the flavor has none: its servers then boot from a volume of boot_volume_gib."),
    boot_volume_gib: z
      .int()
      .min(1)
      .optional()
      .describe("Boot the flavor's servers from a Cinder volume of this size in GiB, created with each server and deleted with it; required when disk_gib is 0, unset means the flavor's own disk."),
  })
  .check((context) => {
    if (context.value.disk_gib === 0 && context.value.boot_volume_gib === undefined) {
      context.issues.push({
        code: "custom",
        input: context.value.disk_gib,
        path: ["disk_gib"],
        message: "a flavor without a root disk needs boot_volume_gib too: its servers boot from a Cinder volume of that size (Nova refuses to boot such a flavor from an image)",
      });
    }
  })
  .describe("A Nova flavor and the size facts the stack needs before the cloud is asked.");

/** Root disk of a server of the flavor, in GiB: its boot volume, or the flavor's own disk. */
export function rootDiskGiB(flavor: FlavorConfig): number {
  return flavor.boot_volume_gib ?? flavor.disk_gib;
}

export const imageSchema = z
  .union([
    z.string().min(1).transform((name) => ({ name, distribution: DEFAULT_DISTRIBUTION })),
    z.strictObject({
      name: z.string().min(1).describe("The image's name in Glance (openstack image list)."),
      distribution: z
        .enum(DISTRIBUTION_NAMES)
        .describe(`What the image runs: ${DISTRIBUTION_NAMES.map((name) => `${name} (${DISTRIBUTIONS[name].displayName})`).join(", ")}.`),
    }),
  ])
  .describe(`An image: its name in Glance, and what it runs (a name alone means ${DEFAULT_DISTRIBUTION}).`);

const tenantNetworkSchema = z
  .strictObject({
    mode: z.literal("tenant"),
    external_network: z
      .string()
      .min(1)
      .describe("Name of the external (public) network the router uses as gateway."),
    ipv4_cidr: ipv4Cidr
      .refine((value) => Number(value.split("/")[1]) <= 24, {
        error: "expected a prefix of /24 or shorter: the servers' fixed addresses and the DHCP range need 254 hosts",
      })
      .default("10.42.0.0/24")
      .describe("CIDR of the private IPv4 subnet, /24 or larger."),
    ipv6_cidr: ipv6Cidr.optional().describe("CIDR of an optional private IPv6 subnet."),
    dns_nameservers: z
      .array(z.union([z.ipv4(), z.ipv6()], { error: "expected an IPv4 or IPv6 address" }))
      .default([])
      .describe("DNS servers for the subnet; empty means the cloud's default."),
    mtu: z.int().min(1280).max(9000).optional().describe("MTU of the network; unset means the cloud's default."),
  })
  .describe("A private network behind a router; floating IPs only for public nodes.");

const providerNetworkSchema = z
  .strictObject({
    mode: z.literal("provider"),
    network_name: z
      .string()
      .min(1)
      .describe("Name of the existing provider network whose addresses are public."),
  })
  .describe("An existing network with public addresses: no router, no floating IPs.");

export const networkSchema = z.discriminatedUnion("mode", [tenantNetworkSchema, providerNetworkSchema]);

export const cloudSchema = z
  .strictObject({
    description: z.string().optional().describe("Who donates this cloud and any notes for admins."),
    clouds_yaml_entry: z
      .string()
      .min(1)
      .describe("Name of the entry in clouds.yaml (OS_CLOUD). Credentials stay in clouds.yaml."),
    region: z.string().min(1).describe("OpenStack region name."),
    images: z
      .record(slug, imageSchema)
      .refine((images) => Object.keys(images).length > 0, { error: "expected at least one image" })
      .describe("Image aliases used by deployments: the image's name in Glance and the distribution it runs."),
    flavors: z
      .record(slug, flavorSchema)
      .refine((flavors) => Object.keys(flavors).length > 0, { error: "expected at least one flavor" })
      .describe("Flavor aliases used by deployments."),
    network: networkSchema,
    quota: z
      .strictObject({
        instances: z.int().min(0).optional(),
        cores: z.int().min(0).optional(),
        ram_gib: z.number().min(0).optional(),
        volumes: z.int().min(0).optional(),
        volume_gib: z.int().min(0).optional(),
        floating_ips: z.int().min(0).optional(),
        security_groups: z.int().min(0).optional(),
        security_group_rules: z.int().min(0).optional(),
      })
      .default({})
      .describe("The donated quota of the project (openstack quota show); synth fails when the deployments on this cloud need more. Unset items are not checked."),
    server_group_policy: z
      .enum(["anti-affinity", "soft-anti-affinity"])
      .default("anti-affinity")
      .describe("How servers of one role are spread over hypervisors; soft-anti-affinity where the cloud has too few hosts."),
  })
  .describe("A donated OpenStack cloud: where and with what its deployments are built.");

/** Each role has a block of 32 fixed addresses (constructs/server-role.ts). */
const nodeCount = z.int().min(0).max(32);

const nodeGroupSchema = z.strictObject({
  count: nodeCount.describe("Number of servers in this group (at most 32)."),
  flavor: slug.describe("Flavor alias from the cloud file."),
});

const dataNodeGroupSchema = nodeGroupSchema.extend({
  volume_gib: z.int().min(10).describe("Size of each node's data volume in GiB."),
});

export const deploymentSchema = z
  .strictObject({
    description: z.string().optional().describe("What this deployment is for."),
    cloud: slug.describe("Name of a cloud file in config/clouds/ (without .yaml)."),
    image: slug.describe("Image alias from the cloud file, used for every server."),
    admin: z.strictObject({
      ssh_public_keys: z
        .array(sshPublicKey)
        .min(1)
        .describe("Public keys of the admins; the first one is also the Nova key pair."),
      ssh_allowed_prefixes: z
        .array(adminPrefix)
        .min(1)
        .describe("The only address prefixes SSH (and the admin-only metrics ports) accept connections from."),
    }),
    state: z
      .discriminatedUnion("backend", [
        z.strictObject({
          backend: z.literal("local"),
          path: z.string().min(1).optional().describe("State file, relative to the project folder (beside cdktf.json) unless absolute; unset means terraform.<stack>.tfstate there."),
        }),
        z.strictObject({
          backend: z.literal("s3"),
          bucket: z.string().min(1).describe("Container on the sponsor's S3-compatible object storage (create it first)."),
          key: z.string().min(1).optional().describe("Object name; unset means <stack>.tfstate."),
          endpoint: z.url().describe("The object storage's S3 endpoint, e.g. https://object.example.org."),
          region: z.string().min(1).default("us-east-1").describe("Any value the storage accepts; Swift and Ceph ignore it."),
          lockfile: z.boolean().default(true).describe("Lock with a lock object next to the state (Terraform 1.10+; the storage must support conditional writes)."),
        }),
        z.strictObject({
          backend: z.literal("pg"),
          schema_name: z.string().min(1).optional().describe("PostgreSQL schema; unset means the stack name. The connection string comes from PG_CONN_STR."),
        }),
        z.strictObject({
          backend: z.literal("http"),
          address: z.url().describe("State URL (GET/POST); credentials from TF_HTTP_USERNAME and TF_HTTP_PASSWORD."),
          lock_address: z.url().optional().describe("Lock URL; unset means no locking."),
          unlock_address: z.url().optional(),
        }),
      ])
      .default({ backend: "local" })
      .describe("Where Terraform keeps this deployment's state. Credentials come from the environment, never from this file."),
    search: z.strictObject({
      engine: z.enum(["elasticsearch", "opensearch"]).default("opensearch").describe("The search engine."),
      version: z
        .string()
        .regex(/^\d+\.\d+\.\d+$/, { error: "expected a full release number such as 3.8.0" })
        .optional()
        .describe("Pinned engine release (Elasticsearch 8.x/9.x, OpenSearch 2.x/3.x); unset means the release this project tests."),
      data_nodes: dataNodeGroupSchema.extend({ count: z.int().min(1).max(32).describe("Number of data nodes (1 to 32).") }),
      master_nodes: z
        .strictObject({
          count: nodeCount.optional().describe("Dedicated master-eligible nodes; unset means 3 once there are 3 or more data nodes, else none."),
          flavor: slug.optional().describe("Flavor alias of the masters; unset means the data nodes' flavor."),
        })
        .default({})
        .describe("Dedicated master-eligible nodes."),
      primary_shards: z.int().min(1).max(64).default(5).describe("Primary shards of each daily index."),
      replicas: z.int().min(0).max(3).optional().describe("Replicas of each shard; unset means 1 (0 with a single data node)."),
      retention_days: z.int().min(1).max(365).default(14).describe("Daily log indices older than this are deleted."),
      daily_ingest_gib: z.number().positive().describe("Expected size of one day of indexed logs (primary data, GiB), for the capacity check."),
      disk_watermark_percent: z
        .int()
        .min(50)
        .max(95)
        .default(85)
        .describe("Share of each data volume the indices may fill (the engine's low disk watermark)."),
      snapshots: z
        .strictObject({
          s3_endpoint: z.url().describe("The cloud's S3-compatible object storage endpoint, e.g. https://object.example.org."),
          hour_utc: z.int().min(0).max(23).default(1).describe("Hour of the daily snapshot (UTC)."),
          keep_days: z.int().min(1).max(365).default(30).describe("Snapshots older than this are deleted."),
        })
        .optional()
        .describe("Daily snapshots of the log indices to a container the stack creates; keys are Terraform variables."),
    }),
    ingestion: z.strictObject({
      workers: nodeGroupSchema,
      sources: z
        .array(
          z.strictObject({
            name: z.string().describe("Short name of the source: the `source` label of the workers' metrics."),
            zuul_api_url: z.url({ error: "expected a URL such as https://zuul.opendev.org/api/tenant/openstack" }).describe("The tenant's Zuul REST API."),
            tenant: z.string().optional().describe("The Zuul tenant; unset means the last segment of zuul_api_url, which it must equal when set."),
            shards: z
              .int()
              .min(1)
              .max(32)
              .default(1)
              .describe("How many workers share the tenant: its builds are split between them by a hash of the build uuid."),
            job_filter: retired(
              "is retired: each tenant is listed once and its builds are split between workers by a hash of the build uuid, never by job name; " +
                "list the tenant once, with shards: <number of workers> to share it",
            ),
          }),
        )
        .min(1)
        .describe("Zuul tenants to follow, each listed once; their shards are dealt round-robin over the workers."),
      download_list: z
        .array(z.strictObject({ name: z.string().min(1), tags: z.array(z.string().min(1)) }))
        .optional()
        .describe("Files read from every build (path relative to the build's log URL) and their tags; unset means the built-in list."),
      debug_messages: z
        .enum(["drop", "keep"])
        .default("drop")
        .describe("drop: DEBUG messages are not indexed, their continuation lines neither; keep: they are, whole."),
      backfill_hours: z
        .int()
        .min(0)
        .max(72)
        .default(6)
        .describe("A new worker indexes the builds that ended this far back; also how far a worker catches up after a stop."),
      poll_seconds: z.int().min(10).max(3600).default(60).describe("Between two listings of a tenant's builds."),
      max_log_file_mib: z.int().min(1).max(10240).default(256).describe("A single log file is read up to this size, in MiB, and cut at a line break."),
      git_commit: retired("is retired: the workers run this repository's own ingestion service (services/ingestion), built at synth; remove the setting"),
      scratch_gib: retired("is retired: the workers stream each file from the log server straight into the cluster and keep nothing on disk; remove the setting"),
    }),
    recheck: z.strictObject({
      flavor: slug.describe("Flavor alias of the recheck bot and dashboard server."),
      git_commit: retired("is retired: the recheck service is now this repository's own (services/recheck), built at synth; remove the setting"),
      gerrit: z.strictObject({
        host: z.hostname({ error: "expected a host name such as review.opendev.org" }).describe("Gerrit server; the bot uses its SSH port 29418."),
        user: z.string().min(1).describe("The bot's Gerrit account (needs the Stream Events capability)."),
        host_key: sshPublicKey.describe("Gerrit's SSH host key (public), e.g. from ssh-keyscan -p 29418 <host>."),
        addresses: z
          .array(cidr)
          .min(1)
          .optional()
          .describe("Gerrit's addresses as CIDRs (e.g. 199.204.45.33/32); the bot's port 29418 then reaches only these. Unset means any address."),
        comment: z.boolean().default(true).describe("Comment on changes; false runs the bot without commenting (-n)."),
      }),
      ci_username: z.string().min(1).default("zuul").describe("Gerrit account whose 'Build failed' comments the bot reads."),
      jobs_re: z.string().min(1).default("(devstack|tempest|grenade)").describe("Regular expression a failure comment must match to be classified."),
      tenants: z
        .array(z.string().regex(/^[A-Za-z0-9._-]+$/, { error: "expected a Zuul tenant name such as openstack" }))
        .min(1)
        .optional()
        .describe("Zuul tenants whose failures the bot classifies (their logs must be indexed); unset means the tenants of ingestion.sources."),
      allow_no_queries: z
        .boolean()
        .default(false)
        .describe("Run the bot even when the config folder has no queries/*.yaml (it then classifies nothing); unset means that is an error."),
      irc: z
        .strictObject({
          server: z.hostname(),
          port: tcpPort.default(6697),
          addresses: z
            .array(cidr)
            .min(1)
            .optional()
            .describe("The IRC server's addresses as CIDRs; the IRC port then reaches only these. Unset means any address."),
          nick: z.string().min(1),
          channels: z.record(
            ircChannel,
            z.strictObject({
              projects: z.array(z.string().min(1)).min(1).describe("Launchpad projects announced here, or 'all'."),
              events: z.array(z.enum(["positive", "negative"])).min(1),
            }),
          ),
        })
        .optional()
        .describe("IRC notifications; unset means none. The password is the Terraform variable recheck_irc_password."),
      dns_name: z.hostname({ error: "expected a DNS name such as recheck.example.org" }).optional().describe("Public name of the dashboard."),
      acme_email: z.email().optional().describe("Contact for Let's Encrypt; required with dns_name."),
      suggestions: z
        .strictObject({
          baseline_days: z
            .int()
            .min(1)
            .max(365)
            .default(SERVICE_DEFAULTS.suggestions.baselineDays)
            .describe("An error seen in a passing build of the same job over this many days is no suggestion; at most search.retention_days."),
          min_builds: z.int().min(1).max(1000).default(SERVICE_DEFAULTS.suggestions.minBuilds).describe("A suggestion appears in at least this many uncategorized failed builds."),
          max_suggestions: z.int().min(1).max(200).default(SERVICE_DEFAULTS.suggestions.maxSuggestions).describe("Suggestions shown on the dashboard, most failed builds first."),
          irc_min_builds: z
            .int()
            .min(1)
            .max(1000)
            .optional()
            .describe(
              "A suggestion in at least this many failed builds is said once on IRC, in the recheck.irc channels of projects [all] and negative events; unset means never.",
            ),
        })
        .prefault({})
        .describe("The dashboard's suggested bug signatures (README: Suggested signatures)."),
    }),
    frontend: z.strictObject({
      flavor: slug.describe("Flavor alias of the public read-only front end."),
      extra_public_ports: z
        .array(publicPort)
        .default([])
        .describe("TCP ports besides 80 and 443 that the front end opens to the world."),
      dns_name: z
        .hostname({ error: "expected a DNS name such as logs.example.org" })
        .optional()
        .describe("Public name of the front end; with it, a Let's Encrypt certificate is obtained."),
      acme_email: z.email().optional().describe("Contact for Let's Encrypt; required with dns_name."),
      designate_zone_id: z
        .string()
        .min(1)
        .optional()
        .describe("Designate zone to create the dns_name A record in; unset means manage DNS elsewhere."),
      dashboards: z.boolean().default(true).describe("Serve Kibana (OpenSearch Dashboards) read-only under /dashboards/."),
      requests_per_second: z.int().min(1).max(1000).default(10).describe("Requests per second per client address to the search API."),
      max_request_body_kib: z.int().min(1).max(102400).default(1024).describe("Largest accepted request body (a search query) in KiB."),
    }),
    monitoring: z
      .strictObject({
        host: z
          .enum(["dedicated", "frontend"])
          .default("dedicated")
          .describe("Where Prometheus and Alertmanager run: a small server of their own (history on a protected volume), or the front end's server (history on its root disk, lost when it is replaced)."),
        flavor: slug.optional().describe("Flavor alias of the dedicated monitoring server; unset means the front end's flavor. Only with host: dedicated."),
        volume_gib: z.int().min(5).max(1000).optional().describe("Size of the dedicated server's protected volume for the metrics history and alert state, in GiB; unset means 20. Only with host: dedicated."),
        retention_days: z.int().min(1).max(365).default(30).describe("Days of metrics history Prometheus keeps."),
        source_gap_minutes: z
          .int()
          .min(10)
          .max(10080)
          .default(180)
          .describe("An ingestion source whose newest indexed build is older than this raises an alert (IngestionSourceStale)."),
        source_gaps: z
          .record(z.string().min(1), z.int().min(10).max(10080))
          .default({})
          .describe("Per ingestion source (by name), its own gap in minutes, for sources that are quiet for longer (weekends, small tenants)."),
        alerts: z
          .strictObject({
            email: z
              .strictObject({
                smarthost: z
                  .string()
                  .regex(/^[A-Za-z0-9.-]+:[0-9]{1,5}$/, { error: "expected host:port, such as smtp.example.org:587" })
                  .describe("The SMTP server and port alerts are sent through."),
                from: z.email().describe("Sender address."),
                to: z.array(z.email()).min(1).describe("Who gets the alerts."),
                username: z.string().min(1).optional().describe("SMTP login; its password is the Terraform variable monitoring_smtp_password. Unset means no authentication."),
                require_tls: z.boolean().default(true).describe("Refuse to send without STARTTLS."),
              })
              .optional()
              .describe("Alerts by e-mail; unset means none."),
            webhook: z
              .strictObject({
                send_resolved: z.boolean().default(true).describe("Also tell when an alert is resolved."),
              })
              .optional()
              .describe("Alerts posted as Alertmanager's webhook JSON to the URL in the Terraform variable monitoring_alert_webhook_url (it usually carries a token); unset means none."),
            irc: z
              .strictObject({
                channel: ircChannel.describe("The channel (without #) the recheck bot announces the alerts in; it joins it besides recheck.irc.channels."),
                send_resolved: z.boolean().default(true).describe("Also announce when an alert is resolved."),
              })
              .optional()
              .describe("Alerts announced on IRC by the recheck bot, on its own connection (needs recheck.irc); unset means none."),
          })
          .prefault({})
          .describe("Where alerts go. With none set, alerts show on the status page and in Alertmanager only."),
      })
      .prefault({})
      .describe("Metrics, alerts and the public status page (README: Monitoring)."),
  })
  .describe("One deployment of the service on one cloud: a Terraform stack.");

export type FlavorConfig = z.infer<typeof flavorSchema>;
export type ImageConfig = z.infer<typeof imageSchema>;
export type NetworkConfig = z.infer<typeof networkSchema>;
export type CloudConfig = z.infer<typeof cloudSchema>;
export type DeploymentConfig = z.infer<typeof deploymentSchema>;
export type QuotaConfig = CloudConfig["quota"];
export type StateConfig = DeploymentConfig["state"];

/** The folders of config/ and the schema each file in them follows. */
export const configKinds = {
  clouds: { schema: cloudSchema, jsonSchemaFile: "cloud.schema.json" },
  deployments: { schema: deploymentSchema, jsonSchemaFile: "deployment.schema.json" },
} as const;
export type ConfigKind = keyof typeof configKinds;
