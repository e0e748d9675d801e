/**
 * Vendor repositories (Elastic, OpenSearch) are trusted through the fingerprint of their
 * signing key, pinned in this repository: the key is downloaded at boot, checked, and the
 * repository is then used only with that key (`signed-by`).
 */
import type { CloudConfigBuilder } from "./cloud-config";

export const ADD_SIGNED_APT_REPOSITORY = "/usr/local/sbin/add-signed-apt-repository";

export interface SignedAptRepository {
  /** Name of the keyring and of the sources list file. */
  readonly name: string;
  /** `URL suite component`, the part of the sources line after the options. */
  readonly line: string;
  readonly keyUrl: string;
  /** The 40 hex digits the key must have. */
  readonly keyFingerprint: string;
}

/**
 * Succeeds when the key file holds exactly one primary key, with the expected fingerprint:
 * a file with a second key (which apt would trust as well) fails, whatever its order. Prints
 * every primary key's fingerprint it found otherwise.
 */
export const ONLY_KEY_IS_FUNCTION = `only_key_is() {
  local file=$1 expected=$2 found
  found=$(gpg --show-keys --with-colons "$file" 2> /dev/null | awk -F: '$1 == "pub" { primary = 1; next } $1 == "fpr" && primary { print $10; primary = 0 }')
  if [ "$found" = "$expected" ]; then return 0; fi
  echo "found primary keys: \${found:-none}" | tr '\\n' ' ' >&2
  echo >&2
  return 1
}
`;

const SCRIPT = `${ONLY_KEY_IS_FUNCTION}
if [ $# -ne 4 ]; then
  echo "usage: $0 NAME 'URL SUITE COMPONENT' KEY_URL KEY_FINGERPRINT" >&2
  exit 2
fi
name=$1 line=$2 key_url=$3 expected=$4
keyring="/usr/share/keyrings/$name.gpg"
if [ ! -s "$keyring" ]; then
  key=$(mktemp)
  curl --fail --silent --show-error --location --retry 5 "$key_url" --output "$key"
  if ! only_key_is "$key" "$expected"; then
    echo "signing key at $key_url: expected exactly one key, $expected" >&2
    rm -f "$key"
    exit 1
  fi
  gpg --dearmor < "$key" > "$keyring"
  rm -f "$key"
fi
echo "deb [signed-by=$keyring] $line" > "/etc/apt/sources.list.d/$name.list"
`;

/**
 * Adds the script (once per server) and returns the command that adds `repository`, quoted for
 * a systemd `ExecStartPre=` of the unit that installs from it.
 */
export function signedAptRepositoryCommand(cloudConfig: CloudConfigBuilder, repository: SignedAptRepository): string {
  if (!/^[0-9A-F]{40}$/.test(repository.keyFingerprint)) {
    throw new Error(`${repository.name}: key fingerprint ${JSON.stringify(repository.keyFingerprint)} is not 40 upper-case hex digits`);
  }
  if (!cloudConfig.files().some((file) => file.path === ADD_SIGNED_APT_REPOSITORY)) {
    cloudConfig.addPackages("curl", "gnupg");
    cloudConfig.addScript(ADD_SIGNED_APT_REPOSITORY, SCRIPT);
  }
  return [ADD_SIGNED_APT_REPOSITORY, repository.name, `"${repository.line}"`, repository.keyUrl, repository.keyFingerprint].join(" ");
}
