/**
 * Scripts a search node runs at boot. They are static text (checked by shellcheck in the
 * tests); everything per node comes from EnvironmentFile= files that the construct renders.
 */
import { APT_RETRIES } from "../cloud-init/systemd-unit";

/**
 * The admin's credentials for curl, in a private file (`curl --config`), never on a command
 * line, where any local user would read them in /proc/<pid>/cmdline.
 */
const CURL_ADMIN_AUTH = `curl_auth=$(mktemp)
trap 'rm -f "$curl_auth"' EXIT
escaped_password=\${ADMIN_PASSWORD//\\\\/\\\\\\\\}
printf 'user = "%s:%s"\\n' "$ADMIN_USER" "\${escaped_password//\\"/\\\\\\"}" > "$curl_auth"
`;

/**
 * Installs the pinned engine (its signed repository was added before) with our configuration already in
 * place, so that the package generates no certificates, passwords or demo security of its own;
 * then starts it, and on master-eligible nodes drops the first-bootstrap setting once the node
 * is part of a cluster.
 */
export const INSTALL_SEARCH_ENGINE_SCRIPT = `: "\${ENGINE:?}" "\${ENGINE_PACKAGE:?}" "\${ENGINE_VERSION:?}" "\${ENGINE_SERVICE:?}" "\${ENGINE_USER:?}"
: "\${ENGINE_CONFIG_DIR:?}" "\${STAGED_CONFIG:?}" "\${DATA_PATH:?}" "\${NODE_ADDRESS:?}" "\${ENGINE_UID:?}"
# Only master-eligible nodes get the admin's credentials (to see the cluster form).
: "\${ADMIN_USER:=}" "\${ADMIN_PASSWORD:=}"

# The engine's user and group get fixed ids before the package creates them with whatever ids
# are free: a replacement node then owns the files on the old node's data volume.
if ! getent group "$ENGINE_USER" > /dev/null; then
  groupadd --system --gid "$ENGINE_UID" "$ENGINE_USER"
fi
if ! getent passwd "$ENGINE_USER" > /dev/null; then
  useradd --system --uid "$ENGINE_UID" --gid "$ENGINE_UID" --home-dir "/usr/share/$ENGINE" --no-create-home \\
    --shell /usr/sbin/nologin "$ENGINE_USER"
fi
install -d -m 0750 "$ENGINE_CONFIG_DIR"
cp -r "$STAGED_CONFIG"/. "$ENGINE_CONFIG_DIR"/
if ! dpkg-query --show --showformat='\${Status}' "$ENGINE_PACKAGE" 2>/dev/null | grep -q "install ok installed"; then
  apt-get ${APT_RETRIES} update
  DISABLE_INSTALL_DEMO_CONFIG=true DEBIAN_FRONTEND=noninteractive \\
    apt-get install --yes ${APT_RETRIES} -o Dpkg::Options::=--force-confold "\${ENGINE_PACKAGE}=\${ENGINE_VERSION}"
  apt-mark hold "$ENGINE_PACKAGE"
fi
# The package may have laid down files of its own (security config): ours win.
cp -r "$STAGED_CONFIG"/. "$ENGINE_CONFIG_DIR"/
chown -R "root:\${ENGINE_USER}" "$ENGINE_CONFIG_DIR"
chmod -R u=rwX,g=rX,o= "$ENGINE_CONFIG_DIR"
install -d -o "$ENGINE_USER" -g "$ENGINE_USER" -m 0750 "$DATA_PATH"

keystore="/usr/share/$ENGINE/bin/$ENGINE-keystore"
keystore_file="$ENGINE_CONFIG_DIR/$ENGINE.keystore"
[ -f "$keystore_file" ] || "$keystore" create
if [ "$ENGINE" = elasticsearch ] && [ -n "$ADMIN_PASSWORD" ]; then
  printf '%s' "$ADMIN_PASSWORD" | "$keystore" add --stdin --force bootstrap.password
fi
# Snapshots to object storage: the S3 client's keys live in the keystore, never in a file.
if [ -n "\${S3_ACCESS_KEY:-}" ]; then
  printf '%s' "$S3_ACCESS_KEY" | "$keystore" add --stdin --force s3.client.default.access_key
  printf '%s' "\${S3_SECRET_KEY:?set with S3_ACCESS_KEY}" | "$keystore" add --stdin --force s3.client.default.secret_key
  plugin="/usr/share/$ENGINE/bin/$ENGINE-plugin"
  if [ "$ENGINE" = opensearch ] && ! "$plugin" list | grep -qx repository-s3; then
    # The plugin of the engine's own release, checked against the checksum published beside it.
    zip="repository-s3-$ENGINE_VERSION.zip"
    plugin_dir=$(mktemp -d)
    for file in "$zip" "$zip.sha512"; do
      curl --fail --silent --show-error --location --retry 5 --output "$plugin_dir/$file" \\
        "https://artifacts.opensearch.org/releases/plugins/repository-s3/$ENGINE_VERSION/$file"
    done
    (cd "$plugin_dir" && sha512sum --check --strict "$zip.sha512")
    "$plugin" install --batch "file://$plugin_dir/$zip"
    rm -rf "$plugin_dir"
  fi
fi
chown "root:\${ENGINE_USER}" "$keystore_file"
chmod 0660 "$keystore_file"

/usr/local/sbin/search-bootstrap-guard
systemctl daemon-reload
systemctl enable --now "$ENGINE_SERVICE"

config_file="$ENGINE_CONFIG_DIR/\${ENGINE}.yml"
if grep -q '^cluster\\.initial_' "$config_file"; then
  : "\${ADMIN_USER:?a master-eligible node needs the admin credentials}" "\${ADMIN_PASSWORD:?a master-eligible node needs the admin credentials}"
${CURL_ADMIN_AUTH.replace(/^(?=.)/gm, "  ")}  for _ in $(seq 1 90); do
    if curl --silent --fail --cacert "$ENGINE_CONFIG_DIR/certs/ca.crt" --config "$curl_auth" \\
      "https://$NODE_ADDRESS:9200/_cluster/health" > /dev/null; then
      # The cluster has formed: the bootstrap setting must never be used again.
      sed -i '/^cluster\\.initial_/d' "$config_file" "$STAGED_CONFIG/\${ENGINE}.yml"
      exit 0
    fi
    sleep 10
  done
  echo "the node did not join a cluster within 15 minutes; cluster.initial_* is left in $config_file" >&2
  exit 1
fi
`;

/**
 * Runs before the engine starts on a master-eligible node: when the other masters (PEER_MASTERS,
 * their addresses, comma-separated) already answer as a formed cluster, this node is a replacement, perhaps with
 * an empty disk, and must join that cluster: the first-bootstrap setting is removed before its
 * first start, or a new master could bootstrap a second cluster of its own. On the very first
 * boot of a cluster no peer answers yet, and the setting stays until the cluster has formed.
 */
export const SEARCH_BOOTSTRAP_GUARD_SCRIPT = `: "\${ENGINE:?}" "\${ENGINE_CONFIG_DIR:?}" "\${STAGED_CONFIG:?}"
config_file="$ENGINE_CONFIG_DIR/\${ENGINE}.yml"
grep -q '^cluster\\.initial_' "$config_file" || exit 0
: "\${ADMIN_USER:?}" "\${ADMIN_PASSWORD:?}" "\${PEER_MASTERS:=}"
${CURL_ADMIN_AUTH}
for peer in \${PEER_MASTERS//,/ }; do
  answer=$(curl --silent --fail --max-time 10 --cacert "$ENGINE_CONFIG_DIR/certs/ca.crt" --config "$curl_auth" "https://$peer:9200/") || continue
  # "_na_" is the cluster id of a node that has not joined any cluster yet.
  if printf '%s' "$answer" | jq --exit-status '.cluster_uuid != "_na_"' > /dev/null; then
    sed -i '/^cluster\\.initial_/d' "$config_file" "$STAGED_CONFIG/\${ENGINE}.yml"
    echo "master $peer answers for a formed cluster: joining it, without the first-bootstrap setting"
    exit 0
  fi
done
`;

/**
 * Applies the ingest pipeline, the index lifecycle policy, the index template, the roles and the
 * users, then the snapshot repository and policy (whose failure does not stop the rest), every
 * time the node boots: each request replaces a whole object, so running it again is safe.
 * A `versioned` object (an ISM policy) can only be replaced with the sequence number of its
 * current version, so it is read first. On OpenSearch (SECURITY_ADMIN_DIR set) the security files
 * are applied with securityadmin first. SEARCH_URL (default https://NODE_ADDRESS:SEARCH_PORT,
 * port 9200) lets the tests point the script at a plain-HTTP node; SECURITYADMIN and
 * SECURITYADMIN_JAVA_HOME at the plugin's tool and a JDK outside the package.
 */
export const SEARCH_SETUP_SCRIPT = `: "\${ENGINE_CONFIG_DIR:?}" "\${NODE_ADDRESS:?}" "\${ADMIN_USER:?}" "\${ADMIN_PASSWORD:?}" "\${SETUP_DIR:?}"
search_url=\${SEARCH_URL:-https://$NODE_ADDRESS:\${SEARCH_PORT:-9200}}
${CURL_ADMIN_AUTH}
api() {
  local method=$1 path=$2
  shift 2
  curl --silent --show-error --fail-with-body --cacert "$ENGINE_CONFIG_DIR/certs/ca.crt" \\
    --config "$curl_auth" --header 'Content-Type: application/json' \\
    --request "$method" "$search_url/$path" "$@"
}

for attempt in $(seq 1 90); do
  if api GET "_cluster/health?wait_for_status=yellow&timeout=10s" > /dev/null 2>&1; then break; fi
  if [ "$attempt" -eq 90 ]; then
    echo "the cluster did not reach yellow within 30 minutes" >&2
    exit 1
  fi
  sleep 10
done

# apply_requests FILE: every "METHOD PATH BODY-FILE [MODE]" line of FILE, in order; returns 1
# at the first request that failed (its answer on stderr).
apply_requests() {
  local method path file mode current response applied attempt
  while read -r method path file mode; do
    [ -n "$method" ] || continue
    echo "$method $path"
    if [ "\${mode:-}" = versioned ] && current=$(api GET "$path" 2> /dev/null); then
      path="$path?if_seq_no=$(printf '%s' "$current" | jq -r '._seq_no')&if_primary_term=$(printf '%s' "$current" | jq -r '._primary_term')"
    fi
    # A cluster that has just formed may answer 5xx for a while (the security index not yet
    # allocated): retry those; a 4xx is final.
    applied=false
    for attempt in $(seq 1 30); do
      if response=$(api "$method" "$path" --data-binary "@$SETUP_DIR/$file"); then applied=true; break; fi
      if printf '%s' "$response" | grep -q '"status" *: *4[0-9][0-9]' || [ "$attempt" -eq 30 ]; then break; fi
      echo "$method $path failed (attempt $attempt), retrying: $response" >&2
      sleep "\${SETUP_RETRY_SECONDS:-10}"
    done
    if [ "$applied" = false ]; then
      # An object that can only be created once is already there: that is the state we want.
      if [ "\${mode:-}" = create-only ] && printf '%s' "$response" | grep -q '"status" *: *409'; then
        echo "$path exists already"
        continue
      fi
      printf '%s %s was refused: %s\\n' "$method" "$path" "$response" >&2
      return 1
    fi
    printf '%s\\n' "$response"
  done < "$1"
}

# OpenSearch loads its security files only into an empty security index, at the first start:
# applied again here with the admin certificate, a role or user changed since reaches the cluster
# (the files replace what the security REST API changed meanwhile).
if [ -n "\${SECURITY_ADMIN_DIR:-}" ]; then
  OPENSEARCH_JAVA_HOME=\${SECURITYADMIN_JAVA_HOME:-/usr/share/opensearch/jdk} \\
    "\${SECURITYADMIN:-/usr/share/opensearch/plugins/opensearch-security/tools/securityadmin.sh}" \\
    -cd "$ENGINE_CONFIG_DIR/opensearch-security" -cacert "$ENGINE_CONFIG_DIR/certs/ca.crt" \\
    -cert "$SECURITY_ADMIN_DIR/admin.crt" -key "$SECURITY_ADMIN_DIR/admin.key" \\
    -h "$NODE_ADDRESS" -p "\${SEARCH_PORT:-9200}" -icl
fi

apply_requests "$SETUP_DIR/requests"

if [ -f "$SETUP_DIR/users" ]; then
  while read -r user role password_variable; do
    [ -n "$user" ] || continue
    password=\${!password_variable:?"$password_variable is not set in the secrets file"}
    # The password goes through pipes only: never an argument of jq or curl.
    if [ "$role" = "-" ]; then
      printf '%s' "$password" | jq --raw-input --slurp '{password: .}' | api POST "_security/user/$user/_password" --data-binary @-
    else
      printf '%s' "$password" | jq --raw-input --slurp --arg r "$role" '{password: ., roles: [$r]}' | api PUT "_security/user/$user" --data-binary @-
    fi
    echo
  done < "$SETUP_DIR/users"
fi

# Snapshots last: object storage that refuses the repository (wrong keys, endpoint down) is
# reported, and the unit fails so that systemctl --failed names it, but the users and the index
# management above are in place.
if [ -f "$SETUP_DIR/deferred-requests" ] && ! apply_requests "$SETUP_DIR/deferred-requests"; then
  echo "the snapshot repository or policy could not be set up (see above); the users, lifecycle policy and template are in place. Fix the object storage settings or keys, then: systemctl restart search-setup" >&2
  exit 1
fi
`;
