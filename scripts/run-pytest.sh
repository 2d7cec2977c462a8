#!/usr/bin/env bash
# Runs pytest from the project virtualenv; pytest's exit code 5 (no tests collected) is a failure
# here, since a test run that ran nothing checked nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest -q -rs "$@"
rc=$?
[ $rc -eq 5 ] && echo "pytest collected no tests in $*" >&2
exit $rc
