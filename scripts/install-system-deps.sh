#!/usr/bin/env bash
# Installs the Debian packages used by the real-part tests: PostgreSQL + the PostGIS extension
# (catalog scale-out backend; the extension is the versioned package postgresql-<N>-postgis-3,
# which `postgis --no-install-recommends` leaves out), Chromium + ChromeDriver (web map
# end-to-end test), Node.js + npm (web map assets). Skips what is already there.
# Without root or apt-get it installs nothing and says so; the tests that need a missing part
# then skip, or FAIL under CI=true (see tests/conftest.py).
set -u
pg_major() {
  local v
  v=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sed -n 's#/usr/lib/postgresql/\([0-9]*\)/.*#\1#p' | sort -n | tail -1)
  [ -n "$v" ] && { echo "$v"; return; }
  apt-cache show postgresql 2>/dev/null | sed -n 's/^Depends: .*postgresql-\([0-9][0-9]*\).*/\1/p' | head -1
}
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || need+=(postgis-extension)
  [ ${#need[@]} -eq 0 ] && { echo "system deps: all present"; exit 0; }
  echo "system deps: missing ${need[*]} and cannot apt-get (not root); the tests that need them skip (fail under CI=true)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() { apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
if [ ${#need[@]} -gt 0 ]; then
  echo "system deps: installing ${need[*]}"
  apt-get update -qq && apt_get "${need[@]}" || { echo "system deps: apt-get install ${need[*]} failed" >&2; exit 1; }
fi
if ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
  major=$(pg_major)
  [ -n "$major" ] || { echo "system deps: cannot tell the PostgreSQL major version" >&2; exit 1; }
  echo "system deps: installing postgresql-${major}-postgis-3 (the PostGIS extension)"
  { [ ${#need[@]} -gt 0 ] || apt-get update -qq; } && apt_get "postgresql-${major}-postgis-3" "postgresql-${major}-postgis-3-scripts" \
    || { echo "system deps: apt-get install postgresql-${major}-postgis-3 failed" >&2; exit 1; }
fi
ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 \
  || { echo "system deps: PostGIS extension still missing after install" >&2; exit 1; }
echo "system deps: all present"
