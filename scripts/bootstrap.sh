#!/usr/bin/env bash
# Installs everything nbgrid needs on a fresh Debian machine, idempotently: each step checks what
# is already there, says "skip" and moves on. Called by every make target that needs the stack.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf '[bootstrap] %s\n' "$*"; }
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

# 1. Debian packages: Redis (broker + result backend), Chromium for the JupyterLab UI tests.
need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v ip >/dev/null || need_apt+=(iproute2)  # ip netns, ss: multi-host and security tests
command -v patch >/dev/null || need_apt+=(patch)  # step 3 patches FerretDB's source
if [ "${NBGRID_SKIP_BROWSER:-0}" != 1 ]; then command -v chromium >/dev/null || need_apt+=(chromium); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  say "apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
else
  say "skip apt: redis-server$( [ "${NBGRID_SKIP_BROWSER:-0}" = 1 ] || echo ', chromium') present"
fi

# 2. Python virtualenv with the pinned lock.
PY="${PYTHON:-python3}"
req_hash="$(sha256sum scripts/requirements.txt pyproject.toml | sha256sum | cut -c1-16)"
if stamp_ok .venv/.nbgrid-stamp "$req_hash"; then
  say "skip venv: .venv matches scripts/requirements.txt"
else
  [ -x .venv/bin/python ] || { say "create .venv"; "$PY" -m venv .venv; }
  say "pip install -r scripts/requirements.txt"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r scripts/requirements.txt
  echo "$req_hash" > .venv/.nbgrid-stamp
fi

# 3. FerretDB v1.24.2 (MongoDB wire protocol on SQLite): the local default MongoDB, with one fix.
# Its SQLite backend creates the `_id` index on `_ferretdb_sjson->"_id"` but filters by
# `_ferretdb_sjson->'$._id'`, an expression SQLite does not match to that index: every lookup,
# update and delete by `_id` scanned the whole collection (measured by bench/storage/ops.ts). The
# fix makes the filter the index's expression (same value: the key `_id` of the document).
# Then scripts/ferretdb/patches/bulk-writes.patch, for bulk updates (issue 15; its header says why):
# `_id` is pushed down to SQL whenever a filter pins it (`_id: {$in: [...]}`, or `_id` beside other
# conditions, which FerretDB still applies to what SQL returns), and the statements of one `update`
# command are written in one SQLite transaction instead of one per document, each statement's
# query closed when it ends (commands of 100 statements or more hung). Test:
# test/worker/integration/storage/ferretdb-bulk-patch.test.ts.
FERRETDB_FIX="sqlite-id-index-1+bulk-writes-1"
mkdir -p .bin
# (Output captured first: `| grep -q` would close the pipe early, and pipefail would call it a failure.)
ferretdb_version() { [ -x .bin/ferretdb ] && .bin/ferretdb --version 2>/dev/null || true; }
if [[ "$(ferretdb_version)" == *v1.24.2* ]] && stamp_ok .bin/ferretdb.fix "$FERRETDB_FIX"; then
  say "skip ferretdb: .bin/ferretdb is v1.24.2 ($FERRETDB_FIX)"
else
  # `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` (DESIGN.md) builds a binary that
  # panics at start: FerretDB embeds build/version/version.txt, which its module zip leaves out.
  # So build the same v1.24.2 from a module that pins it, vendored, with that one file written.
  say "build FerretDB v1.24.2 ($FERRETDB_FIX) from scripts/ferretdb (go module proxy)"
  meta=vendor/github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata/metadata.go
  (cd scripts/ferretdb && GOFLAGS=-buildvcs=false go mod vendor \
    && echo v1.24.2 > vendor/github.com/FerretDB/FerretDB/build/version/version.txt \
    && sed -i "s|IDColumn = DefaultColumn + \"->'\$\._id'\"|IDColumn = DefaultColumn + \"->'_id'\"|" "$meta" \
    && grep -qF "IDColumn = DefaultColumn + \"->'_id'\"" "$meta" \
    && patch -d vendor/github.com/FerretDB/FerretDB -p1 --forward -s < patches/bulk-writes.patch \
    && grep -qF "idPushdown(params.Filter)" vendor/github.com/FerretDB/FerretDB/internal/backends/sqlite/collection.go \
    && GOFLAGS="-buildvcs=false -mod=vendor" go build -o "$ROOT/.bin/ferretdb.new" github.com/FerretDB/FerretDB/cmd/ferretdb)
  # A rename, not a copy over the file: a running FerretDB keeps its binary.
  mv -f .bin/ferretdb.new .bin/ferretdb
  [[ "$(ferretdb_version)" == *v1.24.2* ]] || { echo "FerretDB build failed" >&2; exit 1; }
  echo "$FERRETDB_FIX" > .bin/ferretdb.fix
fi

# 4. Node packages (root = JupyterLab extension, workspace worker/).
lock_hash="$(sha256sum package-lock.json | cut -c1-16)"
if stamp_ok node_modules/.nbgrid-stamp "$lock_hash"; then
  say "skip npm ci: node_modules matches package-lock.json"
else
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.nbgrid-stamp
fi
say "ready"
