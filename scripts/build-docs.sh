#!/usr/bin/env bash
# Build the lotusar documentation site (issue 19): English at docs/site/_build/html, every
# translated language (docs/site/locales/<lang>) at docs/site/_build/html/<lang>.
# Warnings are errors (-W): a broken reference, a failing tutorial cell or a missing figure
# fails the build. The tutorials execute once (English build); translations re-use the
# executed notebooks from the jupyter cache, which is emptied first so nothing stale is shown.
# Usage: scripts/build-docs.sh [OUTDIR]        (SPHINXOPTS adds options, e.g. "-j 2")
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
OUT=${1:-docs/site/_build/html}
BUILD=docs/site/_build
rm -rf "$BUILD/.jupyter_cache" docs/site/api/generated "$OUT"
mkdir -p "$BUILD"
# shellcheck disable=SC2086
"$BIN/sphinx-build" -b html -W --keep-going -q -c docs/site -d "$BUILD/doctrees" ${SPHINXOPTS:-} docs "$OUT"
for dir in docs/site/locales/*/; do
  [ -d "$dir" ] || continue
  lang=$(basename "$dir")
  # shellcheck disable=SC2086
  "$BIN/sphinx-build" -b html -W --keep-going -q -c docs/site -d "$BUILD/doctrees-$lang" -D language="$lang" \
    ${SPHINXOPTS:-} docs "$OUT/$lang"
done
echo "documentation site: $OUT/index.html (served by \`lotusar serve\` at /guide)"
