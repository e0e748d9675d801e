/**
 * The programs an ingestion worker runs besides logscraper and logsender, as text: the
 * first-boot preparation (bash), the start step that writes each service's runtime
 * configuration, and the launcher that caps the size of a downloaded file (Python, standard
 * library only). worker-software.ts writes them; the tests run them.
 */

/**
 * Every boot, as root: creates the bounded scratch area once (an ext4 image of a fixed size,
 * loop-mounted, so a burst of downloads can fill it but never the root file system), mounts it,
 * and installs logscraper once into a virtualenv named after the pinned commit. Idempotent: a
 * finished virtualenv has `.complete`, a half-made one is removed and made again.
 */
export const PREPARE_SCRIPT = `: "\${LOGSCRAPER_GIT_URL:?set in the EnvironmentFile}"
: "\${LOGSCRAPER_GIT_COMMIT:?set in the EnvironmentFile}"
: "\${VENV_ROOT:?set in the EnvironmentFile}"
: "\${SCRATCH_IMAGE:?set in the EnvironmentFile}"
: "\${SCRATCH_SIZE_GIB:?set in the EnvironmentFile}"
: "\${SCRATCH_MOUNT:?set in the EnvironmentFile}"
: "\${PIP_REQUIREMENTS:?set in the EnvironmentFile}"

# 1. The scratch area: made once, mounted on every boot.
if [ ! -e "$SCRATCH_IMAGE" ]; then
  install -d -m 0700 "$(dirname "$SCRATCH_IMAGE")"
  partial="$SCRATCH_IMAGE.partial"
  rm -f "$partial"
  fallocate -l "\${SCRATCH_SIZE_GIB}G" "$partial"
  mkfs.ext4 -q -F -m 0 -L ingest-scratch "$partial"
  mv "$partial" "$SCRATCH_IMAGE"
fi
install -d -m 0755 "$SCRATCH_MOUNT"
if ! mountpoint -q "$SCRATCH_MOUNT"; then
  mount -o loop,nodev,nosuid,noexec "$SCRATCH_IMAGE" "$SCRATCH_MOUNT"
fi
chmod 0755 "$SCRATCH_MOUNT"

# 2. logscraper and logsender, from the pinned commit, into their own virtualenv.
venv="$VENV_ROOT/venv-$LOGSCRAPER_GIT_COMMIT"
if [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  install -d -m 0755 "$VENV_ROOT"
  python3 -m venv "$venv"
  pip=("$venv/bin/pip" install --no-cache-dir --disable-pip-version-check)
  # Every dependency at its locked version and hash; then logscraper itself from the pinned
  # commit, without dependencies and built with the locked setuptools and pbr (no unhashed
  # build tools fetched). pbr would compute the version from git tags: the commit is what matters.
  install_python() {
    "\${pip[@]}" --require-hashes --no-deps --requirement "$PIP_REQUIREMENTS" &&
      PBR_VERSION=0.0.0 "\${pip[@]}" --no-deps --no-build-isolation "logscraper @ git+$LOGSCRAPER_GIT_URL@$LOGSCRAPER_GIT_COMMIT"
  }
  attempt=1
  until install_python; do
    if [ "$attempt" -ge 8 ]; then
      echo "could not install logscraper from $LOGSCRAPER_GIT_URL@$LOGSCRAPER_GIT_COMMIT after $attempt attempts" >&2
      exit 1
    fi
    attempt=$((attempt + 1))
    sleep 60
  done
  "$venv/bin/python3" -c "import logscraper.logscraper, logscraper.logsender"
  touch "$venv/.complete"
fi
ln -sfn "$venv" "$VENV_ROOT/current.new"
mv -T "$VENV_ROOT/current.new" "$VENV_ROOT/current"
`;

/**
 * The start step of each service (run as the service user, system Python): copies the public
 * configuration to the service's private runtime folder, completing it.
 * - `logscraper`: with `--job-filter`/`--exclude-job-filter`, asks Zuul for the tenant's jobs
 *   and writes the matching names as `job_name`; fails when none matches, because logscraper
 *   reads an empty `job_name` as every job.
 * - `logsender`: puts the writer password (from the systemd credential) in place of the
 *   placeholder, and with `--candidate host:port` (repeated) uses the first cluster node that
 *   accepts a connection, so a restart after a node failure moves to another node.
 * Values are written as Python literals with `%` doubled, as logscraper reads them.
 */
export const RUNTIME_CONFIG_SCRIPT = String.raw`#!/usr/bin/python3
"""Write the runtime configuration of a logscraper or logsender service."""
import argparse
import ast
import configparser
import json
import os
import re
import socket
import ssl
import sys
import urllib.request

PLACEHOLDER = "@WRITER_PASSWORD@"


def fail(message):
    print("runtime-config: " + message, file=sys.stderr)
    sys.exit(1)


def read_defaults(text):
    """The [DEFAULT] values as logscraper reads them: configparser, then literal_eval."""
    parser = configparser.ConfigParser(delimiters=("=", ":"))
    parser.read_string(text)
    values = {}
    for key, raw in dict(parser["DEFAULT"]).items():
        try:
            values[key] = ast.literal_eval(raw) if raw else raw
        except (SyntaxError, ValueError):
            values[key] = raw
    return values


def literal(value):
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        fail("a value contains a line break")
    return ascii(value).replace("%", "%%")


def set_key(text, key, value_text):
    line = key + " = " + value_text
    pattern = re.compile(r"^" + re.escape(key) + r"\s*[=:].*$", re.MULTILINE)
    if pattern.search(text):
        return pattern.sub(lambda _match: line, text, count=1)
    return text.rstrip("\n") + "\n" + line + "\n"


def ssl_context(values):
    if values.get("ca_file"):
        return ssl.create_default_context(cafile=values["ca_file"])
    if values.get("insecure") is True:
        return ssl._create_unverified_context()
    return ssl.create_default_context()


def job_names(values, include, excludes):
    urls = values.get("zuul_api_url")
    if not isinstance(urls, list) or len(urls) != 1:
        fail("a job filter needs exactly one zuul_api_url")
    url = urls[0].rstrip("/") + "/jobs"
    timeout = values.get("timeout") or 300
    with urllib.request.urlopen(url, timeout=timeout, context=ssl_context(values)) as response:
        jobs = json.load(response)
    names = sorted({job["name"] for job in jobs if isinstance(job, dict) and isinstance(job.get("name"), str)})
    chosen = [name for name in names
              if (include is None or re.search(include, name))
              and not any(re.search(exclude, name) for exclude in excludes)]
    if not chosen:
        fail("no job of %s matches the filter (of %d jobs); logscraper would read an empty job_name as every job"
             % (url, len(names)))
    return chosen


def read_password(path):
    try:
        with open(path, encoding="utf-8") as handle:
            password = handle.read()
    except OSError as error:
        fail("cannot read the writer password: %s" % error)
    if password.endswith("\n"):
        password = password[:-1]
    if password.endswith("\r"):
        password = password[:-1]
    if not password or "\n" in password or "\r" in password:
        fail("the writer password file must hold one non-empty line")
    return password


def reachable(candidates, timeout):
    for candidate in candidates:
        host, _, port = candidate.rpartition(":")
        host = host.strip("[]")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return host, int(port)
        except OSError as error:
            print("runtime-config: cluster node %s not reachable: %s" % (candidate, error), file=sys.stderr)
    fail("no cluster node accepts connections: " + ", ".join(candidates))


def write_private(path, text):
    partial = path + ".partial"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(text)
    os.replace(partial, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("program", choices=["logscraper", "logsender"])
    parser.add_argument("--template", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--job-filter")
    parser.add_argument("--exclude-job-filter", action="append", default=[])
    parser.add_argument("--password-credential")
    parser.add_argument("--candidate", action="append", default=[])
    parser.add_argument("--connect-timeout", type=float, default=5.0)
    args = parser.parse_args()

    with open(args.template, encoding="ascii") as handle:
        text = handle.read()
    values = read_defaults(text)

    if args.program == "logscraper":
        if args.job_filter is not None or args.exclude_job_filter:
            names = job_names(values, args.job_filter, args.exclude_job_filter)
            text = set_key(text, "job_name", literal(names))
            print("runtime-config: %d job(s) for this source" % len(names), file=sys.stderr)
    else:
        if args.password_credential:
            directory = os.environ.get("CREDENTIALS_DIRECTORY")
            if not directory:
                fail("CREDENTIALS_DIRECTORY is not set; run from a unit with LoadCredential=")
            if values.get("password") != PLACEHOLDER:
                fail("the template has no password placeholder to replace")
            password = read_password(os.path.join(directory, args.password_credential))
            text = set_key(text, "password", literal(password))
        if args.candidate:
            host, port = reachable(args.candidate, args.connect_timeout)
            text = set_key(text, "host", literal(host))
            text = set_key(text, "port", literal(port))

    write_private(args.output, text)


if __name__ == "__main__":
    main()
`;

/**
 * Runs logscraper with a cap on the size of one downloaded file: logscraper streams every file
 * whole to disk and has no such setting, and one huge log used to fill disks and memory. The
 * launcher replaces logscraper's function that writes a response to a file (by name, for the
 * pinned commit) with one that stops at the last line break before the cap and appends a line
 * saying so; the rest of the file is indexed. It fails at start if that function is missing.
 */
export const CAPPED_LOGSCRAPER_SCRIPT = String.raw`"""Run logscraper with a cap on the size of each downloaded file."""
import logging
import multiprocessing
import os
import sys

from logscraper import logscraper as upstream

MAX_BYTES = int(os.environ["INGESTION_MAX_FILE_BYTES"])
CHUNK = 64 * 1024


def write_capped(response, directory, filename):
    if not response.ok:
        return
    written = 0
    ends_with_newline = True
    with open(os.path.join(directory, filename), "wb") as handle:
        for chunk in response.iter_content(CHUNK):
            if written + len(chunk) <= MAX_BYTES:
                handle.write(chunk)
                written += len(chunk)
                if chunk:
                    ends_with_newline = chunk.endswith(b"\n")
                continue
            end = chunk.rfind(b"\n", 0, MAX_BYTES - written)
            if end >= 0:
                handle.write(chunk[:end + 1])
            elif written > 0 and not ends_with_newline:
                handle.write(b"\n")
            handle.write(b"[ingestion worker: the rest of this file was not downloaded, it exceeds %d bytes]\n" % MAX_BYTES)
            logging.warning("Cut %s/%s at %d bytes", directory, filename, MAX_BYTES)
            response.close()
            return


if not callable(getattr(upstream, "write_response_in_file", None)):
    sys.exit("logscraper has no write_response_in_file: the file size cap cannot be applied to this version")
upstream.write_response_in_file = write_capped
# Worker processes must inherit the replacement: fork, not spawn or forkserver.
multiprocessing.set_start_method("fork", force=True)

if __name__ == "__main__":
    sys.exit(upstream.main())
`;
