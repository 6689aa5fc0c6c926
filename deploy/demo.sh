#!/usr/bin/env bash
# The demo command: set up, then run the whole product on embedded defaults (no Kafka, chDB in
# process) over a generated year of channel activity, print the results and write the report.
# Extra arguments go to `channel-ledger demo` (e.g. --events 1000000 --seed 3).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
deploy/bootstrap.sh
exec .venv/bin/channel-ledger demo "$@"
