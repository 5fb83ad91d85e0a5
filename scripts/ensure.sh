#!/usr/bin/env bash
# Installs whatever is missing for `npm start` / `npm test`, and nothing that is already there.
#   scripts/ensure.sh            npm packages
#   scripts/ensure.sh --browser  also Debian's chromium (browser tests)
#   scripts/ensure.sh --pgtools  also Debian's postgresql-client-15 (pg_dump/pg_restore tests)
#   scripts/ensure.sh --faketime also Debian's faketime (libfaketime: F9 clock-skew tests)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure: installing npm packages" >&2
  # `npm install` honours package-lock.json; `npm ci` would refuse it, because lock files written
  # through this registry mirror lack other platforms' optional packages (biome, turbo binaries).
  npm install --no-audit --no-fund >&2
fi

apt_updated=0
apt_install() {
  if [ "$(id -u)" != "0" ]; then
    echo "ensure: need root to apt-get install $*; install it and run again" >&2
    return 1
  fi
  if [ "$apt_updated" = 0 ]; then apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

for arg in "$@"; do
  case "$arg" in
    --browser) command -v chromium >/dev/null 2>&1 || apt_install chromium ;;
    --pgtools) command -v pg_dump >/dev/null 2>&1 || apt_install postgresql-client-15 ;;
    --faketime) command -v faketime >/dev/null 2>&1 || apt_install faketime ;;
  esac
done
