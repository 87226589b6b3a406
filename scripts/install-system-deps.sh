#!/usr/bin/env bash
# Installs the Debian packages used by the real-part tests: PostgreSQL + PostGIS (catalog
# scale-out backend), Chromium + ChromeDriver (web map end-to-end test), Node.js + npm (web map
# assets). Skips what is already there; does nothing (exit 0) without root or apt-get.
set -u
need=()
command -v pg_ctlcluster >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || need+=(postgis)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
[ ${#need[@]} -eq 0 ] && { echo "system deps: all present"; exit 0; }
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system deps: missing ${need[*]} and cannot apt-get; the tests that need them will skip"; exit 0
fi
echo "system deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
  || echo "system deps: apt-get failed; the tests that need them will skip"
exit 0
