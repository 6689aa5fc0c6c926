#!/usr/bin/env bash
# Create the project virtualenv (.venv) and install Channel Ledger into it, once.
#   deploy/bootstrap.sh          runtime dependencies
#   deploy/bootstrap.sh test     runtime + test dependencies
# Re-running is cheap: the install is skipped while pyproject.toml is unchanged.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
extra=${1:-}
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed")'
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating virtualenv .venv" >&2
  "$python" -m venv .venv
fi
spec="."
[ -n "$extra" ] && spec=".[$extra]"
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${extra:-runtime}
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing channel-ledger${extra:+ [$extra]} and its pinned dependencies (first run takes a few minutes)" >&2
  .venv/bin/python -m pip install --disable-pip-version-check -q --upgrade pip >&2
  .venv/bin/python -m pip install --disable-pip-version-check -q -e "$spec" >&2
  touch "$stamp"
fi
