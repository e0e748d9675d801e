/**
 * The monitoring server's scripts (bash, checked by shellcheck and run in the tests):
 * installing the distribution's packages, discovering the targets from the server's own Nova
 * metadata (lib/monitoring/targets.ts), and starting one elasticsearch exporter per search node.
 */
import { APT_RETRIES } from "../cloud-init/systemd-unit";

/**
 * Root, every minute: reads the `monitor:<server>` entries of this server's metadata and writes
 * Prometheus' file_sd files (rewritten only when they change), and keeps one
 * `search-exporter@<server>` instance per search node, on loopback ports from
 * FIRST_SEARCH_EXPORTER_PORT. The first search node's exporter also reads what is the same for
 * the whole cluster (snapshots, index settings), so the cluster answers that once per scrape.
 * It also names the watched servers in a block of /etc/hosts, where Alertmanager finds the
 * receiver its webhook URL names (the recheck server, whose address changes with each
 * replacement); cloud-init may rewrite /etc/hosts at boot, the next run a minute later puts the
 * block back. When the metadata service does not answer, the files stay as they are.
 */
export const DISCOVERY_SCRIPT = `: "\${TARGETS_DIR:?}" "\${SEARCH_EXPORTER_DIR:?}" "\${FIRST_SEARCH_EXPORTER_PORT:?}" "\${TARGET_METADATA_PREFIX:?}"
: "\${METADATA_URL:=http://169.254.169.254/openstack/latest/meta_data.json}"
: "\${SYSTEMCTL:=systemctl}"
: "\${HOSTS_FILE:=/etc/hosts}"

mkdir -p "$TARGETS_DIR" "$SEARCH_EXPORTER_DIR"
metadata=$(curl --silent --show-error --fail --max-time 20 "$METADATA_URL")
targets=$(jq --arg prefix "$TARGET_METADATA_PREFIX" '[.meta // {} | to_entries[] | select(.key | startswith($prefix))
  | (.value | split(" ")) as $fields
  | {server: (.key | ltrimstr($prefix)), address: $fields[0], role: $fields[1],
     ports: ($fields[2:] | map(split("=") | {key: .[0], value: .[1]}) | from_entries)}] | sort_by(.server)' <<<"$metadata")

# Replaces $TARGETS_DIR/<job>.json when its content changed (Prometheus rereads it by itself).
write_targets() {
  local file="$TARGETS_DIR/$1.json" staged
  staged=$(mktemp "$TARGETS_DIR/.$1.XXXXXX")
  printf '%s\\n' "$2" > "$staged"
  chmod 0644 "$staged"
  if cmp -s "$staged" "$file"; then rm -f "$staged"; else mv "$staged" "$file"; fi
}

for job in node nginx ingestion recheck tls; do
  write_targets "$job" "$(jq --arg job "$job" '[.[] | select(.ports[$job]) | {targets: ["\\(.address):\\(.ports[$job])"], labels: {server, role}}]' <<<"$targets")"
done

mapfile -t search_nodes < <(jq -r '.[] | select(.ports.search) | "\\(.server) \\(.role) \\(.address) \\(.ports.search)"' <<<"$targets")
search_targets="[]"
wanted=" "
for index in "\${!search_nodes[@]}"; do
  read -r server role address api_port <<<"\${search_nodes[$index]}"
  port=$((FIRST_SEARCH_EXPORTER_PORT + index))
  cluster_collectors=0
  if [ "$index" -eq 0 ]; then cluster_collectors=1; fi
  settings=$(printf 'ES_URI=https://%s:%s\\nEXPORTER_PORT=%s\\nCLUSTER_COLLECTORS=%s' "$address" "$api_port" "$port" "$cluster_collectors")
  env_file="$SEARCH_EXPORTER_DIR/$server.env"
  if [ "$(cat "$env_file" 2>/dev/null)" != "$settings" ]; then
    printf '%s\\n' "$settings" > "$env_file"
    "$SYSTEMCTL" enable "search-exporter@$server.service"
    "$SYSTEMCTL" restart "search-exporter@$server.service"
  fi
  wanted="$wanted$server "
  search_targets=$(jq --arg target "127.0.0.1:$port" --arg server "$server" --arg role "$role" '. + [{targets: [$target], labels: {server: $server, role: $role}}]' <<<"$search_targets")
done
for env_file in "$SEARCH_EXPORTER_DIR"/*.env; do
  [ -e "$env_file" ] || continue
  server=$(basename "$env_file" .env)
  case "$wanted" in
    *" $server "*) ;;
    *) "$SYSTEMCTL" disable --now "search-exporter@$server.service"; rm -f "$env_file" ;;
  esac
done
write_targets search "$search_targets"

begin="# BEGIN watched servers (monitoring-discovery)"
end="# END watched servers"
hosts=$(mktemp "$(dirname "$HOSTS_FILE")/.hosts.XXXXXX")
{
  awk -v begin="$begin" -v end="$end" '$0 == begin { skip = 1 } !skip { print } $0 == end { skip = 0 }' "$HOSTS_FILE"
  printf '%s\\n' "$begin"
  jq -r '.[] | "\\(.address) \\(.server)"' <<<"$targets"
  printf '%s\\n' "$end"
} > "$hosts"
chmod 0644 "$hosts"
if cmp -s "$hosts" "$HOSTS_FILE"; then rm -f "$hosts"; else mv "$hosts" "$HOSTS_FILE"; fi
`;

/**
 * The exporter of one search node, as the prometheus user. Its collectors of cluster-wide facts
 * changed flags between releases: Debian 12's 1.5 has --es.snapshots, Ubuntu 24.04's 1.7 and
 * Debian 13's 1.9 have --collector.snapshots (kingpin refuses an unknown flag).
 */
export const SEARCH_EXPORTER_SCRIPT = `: "\${ES_URI:?}" "\${EXPORTER_PORT:?}" "\${ES_CA:?}" "\${ES_USERNAME:?}" "\${ES_PASSWORD:?}"
: "\${EXPORTER:=/usr/bin/prometheus-elasticsearch-exporter}"
flags=(--es.uri="$ES_URI" --es.ca="$ES_CA" --es.timeout=15s --web.listen-address="127.0.0.1:$EXPORTER_PORT")
if [ "\${CLUSTER_COLLECTORS:-0}" = 1 ]; then
  flags+=(--es.indices_settings)
  if "$EXPORTER" --help 2>&1 | grep -q -- '--collector.snapshots'; then flags+=(--collector.snapshots); else flags+=(--es.snapshots); fi
fi
exec "$EXPORTER" "\${flags[@]}"
`;

/**
 * Root, once, retried by its unit: installs the monitoring packages once the storage is there,
 * gives Prometheus' group the secret files it reads, and starts everything.
 */
export const INSTALL_MONITORING_SCRIPT = `: "\${MONITORING_PACKAGES:?}" "\${MONITORING_STORAGE:?}" "\${GROUP_READABLE_SECRETS:=}"
apt-get ${APT_RETRIES} update
# shellcheck disable=SC2086 # a list of package names
DEBIAN_FRONTEND=noninteractive apt-get install --yes --no-install-recommends ${APT_RETRIES} -o Dpkg::Options::=--force-confold $MONITORING_PACKAGES
install -d -o prometheus -g prometheus -m 0750 "$MONITORING_STORAGE/prometheus" "$MONITORING_STORAGE/alertmanager"
for secret in $GROUP_READABLE_SECRETS; do
  chgrp prometheus "$secret"
  chmod 0640 "$secret"
done
# One exporter per search node (search-exporter@.service) replaces the package's single one.
systemctl disable --now prometheus-elasticsearch-exporter.service
systemctl daemon-reload
systemctl restart prometheus prometheus-alertmanager prometheus-blackbox-exporter
systemctl enable --now monitoring-discovery.timer
systemctl start monitoring-discovery.service
`;

/** Where each script is installed on the monitoring server. */
export const MONITORING_SCRIPTS: Readonly<Record<string, string>> = {
  "/usr/local/sbin/install-monitoring": INSTALL_MONITORING_SCRIPT,
  "/usr/local/sbin/monitoring-discovery": DISCOVERY_SCRIPT,
  "/usr/local/sbin/search-exporter": SEARCH_EXPORTER_SCRIPT,
};

/**
 * The file of a script, as CloudConfigBuilder.addScript writes it; the monitoring's scripts are
 * written gzipped instead (the front end's user data could not hold them otherwise).
 */
export function bashScript(body: string): string {
  return `#!/bin/bash\nset -euo pipefail\n${body}`;
}
