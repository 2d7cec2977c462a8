#!/usr/bin/env bash
# Installs the nbgrid Python package (kernel-side client, server extension, prebuilt labextension)
# into .venv in editable mode, and links the labextension so rebuilds are picked up. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[install] %s\n' "$*"; }
[ -f nbgrid/labextension/package.json ] || { echo "nbgrid/labextension is not built: run 'npm run build' first" >&2; exit 1; }
stamp=".venv/.nbgrid-package-stamp"
want="$(sha256sum pyproject.toml install.json jupyter-config/jupyter_server_config.d/nbgrid.json | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && .venv/bin/python -c 'import nbgrid' 2>/dev/null; then
  say "skip: nbgrid already installed in .venv"
else
  say "pip install -e . (nbgrid)"
  .venv/bin/pip install -q --no-build-isolation --no-deps -e .
  PATH="$PWD/.venv/bin:$PATH" .venv/bin/jupyter labextension develop --overwrite . >/dev/null 2>&1
  echo "$want" > "$stamp"
fi
listed="$(PATH="$PWD/.venv/bin:$PATH" .venv/bin/jupyter labextension list 2>&1)"
grep -q "jupyterlab-nbgrid.*enabled.*OK" <<<"$listed" \
  || { echo "jupyterlab-nbgrid is not listed as enabled OK by 'jupyter labextension list'" >&2; exit 1; }
say "jupyterlab-nbgrid enabled OK"
