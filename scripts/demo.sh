#!/usr/bin/env bash
# `make demo`: start a private stack (Redis, FerretDB, Kernel Gateway, API service, 2 workers),
# store examples/main.ipynb, map it over range(10) with a progress bar, print the status table
# and the returned values, then stop everything. Exits non-zero if any task is not OK.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"  # `nbgrid` (npm links worker/bin/nbgrid.js)
export NBGRID_HOME="${NBGRID_HOME:-$(mktemp -d -t nbgrid-demo-XXXX)}"
trap 'nbgrid down >/dev/null 2>&1 || true' EXIT
echo "== nbgrid up (NBGRID_HOME=$NBGRID_HOME)"
nbgrid up --workers 2
echo "== nbgrid put examples/main.ipynb main"
nbgrid put examples/main.ipynb main
echo "== nbgrid map main --range 'range(10)' --wait"
status=0
nbgrid map main --range 'range(10)' --wait --timeout 600 || status=$?
echo "== nbgrid workers"
nbgrid workers
echo "== nbgrid down"
nbgrid down
trap - EXIT
exit $status
