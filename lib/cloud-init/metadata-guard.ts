/**
 * The cloud's metadata service hands the server's user data, with every secret this project
 * gives the server, to any process that asks. On every server an nftables table lets only
 * root (cloud-init, the units that install software) reach it; service accounts (the engine,
 * nginx, the bot, the ingestion workers) and any process they start get a reject.
 */
import { NODE_CONFIG_DIR, type CloudConfigBuilder } from "./cloud-config";

/** The metadata service's addresses (OpenStack and EC2-style). */
export const METADATA_ADDRESSES = { IPv4: "169.254.169.254", IPv6: "fe80::a9fe:a9fe" } as const;

export const METADATA_GUARD_RULES_FILE = `${NODE_CONFIG_DIR}/metadata-guard.nft`;

/** The ruleset, loadable again and again (`nft -f`): it replaces its own table atomically. */
export function renderMetadataGuardRules(): string {
  return `# Rendered by ci-log-analysis-infra (lib/cloud-init/metadata-guard.ts).
# Only root may reach the metadata service: it serves this server's user data, secrets included.
table inet metadata_guard
delete table inet metadata_guard
table inet metadata_guard {
    chain output {
        type filter hook output priority filter; policy accept;
        ip daddr ${METADATA_ADDRESSES.IPv4} meta skuid != 0 counter reject
        ip6 daddr ${METADATA_ADDRESSES.IPv6} meta skuid != 0 counter reject
    }
}
`;
}

/** Adds the ruleset and the unit that loads it at every boot, before the network is up. */
export function addMetadataGuard(cloudConfig: CloudConfigBuilder): void {
  cloudConfig.addPackages("nftables");
  cloudConfig.addFile({ path: METADATA_GUARD_RULES_FILE, content: renderMetadataGuardRules() });
  cloudConfig.addSystemdUnit("metadata-guard.service", {
    Unit: {
      Description: "Let only root reach the metadata service (it serves the secrets in the user data)",
      DefaultDependencies: false,
      Before: ["network-pre.target", "shutdown.target"],
      Wants: "network-pre.target",
      Conflicts: "shutdown.target",
    },
    Service: { Type: "oneshot", RemainAfterExit: true, ExecStart: `/usr/sbin/nft -f ${METADATA_GUARD_RULES_FILE}` },
    Install: { WantedBy: "sysinit.target" },
  });
}
