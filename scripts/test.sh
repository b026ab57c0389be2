#!/usr/bin/env bash
# The whole test suite, with the system packages it needs.
#
# Installs what is missing with apt when run as root on Debian; otherwise names
# the packages to install and stops. Installs schemathesis with pip. Then runs the core's tests on its default
# AES-GCM backend, and every test of the workspace with all features. Extra
# arguments go to the workspace run only (e.g. `-p oneshot-redis`).
set -euo pipefail
cd "$(dirname "$0")/.."

# command → Debian package that provides it
declare -A needs=(
  [redis-server]=redis-server
  [redis-cli]=redis-tools
  [redis-benchmark]=redis-tools
  [chromium]=chromium
  [chromedriver]=chromium-driver
  [openssl]=openssl
)

missing=()
for cmd in "${!needs[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${needs[$cmd]}")
done
# PostgreSQL's initdb and postgres (for pg-harness): Debian puts them in
# /usr/lib/postgresql/<version>/bin, not on PATH.
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null && ! command -v initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "test.sh: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test.sh: missing packages; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

# schemathesis, for examples/tests/schemathesis.rs: a PyPI package, pinned
# (the version that test names; a newer one may generate other requests).
schemathesis_version=4.32.5
if ! python3 -c "import sys, schemathesis; sys.exit(schemathesis.__version__ != '$schemathesis_version')" 2>/dev/null; then
  if python3 -m pip --version >/dev/null 2>&1; then
    echo "test.sh: installing schemathesis==$schemathesis_version" >&2
    python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
  else
    echo "test.sh: schemathesis needs Python 3 with pip; then: python3 -m pip install schemathesis==$schemathesis_version" >&2
    exit 1
  fi
fi

if (($# == 0)); then
  # `--all-features` turns on oneshot-core's `ring` backend everywhere, so the
  # default (aes-gcm) backend gets its own run of the core's tests and vectors.
  cargo test -p oneshot-core --features testkit --locked
fi
exec cargo test --workspace --all-features --locked "$@"
