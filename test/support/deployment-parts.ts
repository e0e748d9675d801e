import type { Construct } from "constructs";
import { Network } from "../../constructs/network";
import { SearchCluster } from "../../constructs/search-cluster";
import type { ServerRoleDefaults } from "../../constructs/server-role";
import type { SearchEngine } from "../../lib/search/topology";
import { resolveSearchTopology } from "../../lib/search/topology";

/** What the roles of a small test deployment `prod` share: a tenant network, image, key, admin access. */
export function testServers(scope: Construct): ServerRoleDefaults {
  const network = new Network(scope, "network", {
    name: "prod",
    config: { mode: "tenant", external_network: "public", ipv4_cidr: "10.42.0.0/24", dns_nameservers: [] },
  });
  return {
    deploymentName: "prod", network, imageId: "image", keyPairName: "key", serverGroupPolicy: "anti-affinity",
    adminSshPublicKeys: ["ssh-ed25519 AAAA admin"], adminPrefixes: ["203.0.113.0/24"],
  };
}

/** A two-node search cluster, the smallest a client construct can be tested against. */
export function smallSearchCluster(scope: Construct, servers: ServerRoleDefaults, engine: SearchEngine = "elasticsearch"): SearchCluster {
  const topology = resolveSearchTopology(
    {
      engine, data_nodes: { count: 2, flavor: "f", volume_gib: 100 }, master_nodes: {}, primary_shards: 1,
      retention_days: 7, daily_ingest_gib: 1, disk_watermark_percent: 85,
    },
    { f: { name: "m1", vcpus: 2, ram_gib: 4, disk_gib: 40 } },
  );
  return new SearchCluster(scope, "search", { servers, topology, dataFlavorName: "m1", masterFlavorName: "m1" });
}
