#!/usr/bin/env bash
# Installs the web map's front-end packages from the npm registry into the package's web folder,
# from its package-lock.json, so the page is served from localhost with no CDN.
set -u
web="src/lotusar/service/web"
[ -f "$web/package.json" ] || exit 0
[ -d "$web/node_modules" ] && [ "$web/node_modules" -nt "$web/package-lock.json" ] && exit 0
command -v npm >/dev/null 2>&1 || { echo "web deps: npm not found; the web map test will skip"; exit 0; }
(cd "$web" && npm ci --no-audit --no-fund --silent) || echo "web deps: npm ci failed"
exit 0
