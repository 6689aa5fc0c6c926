#!/usr/bin/env bash
# The test command: set up everything, then lint, type-check and run every test.
# Integration tests run against a real Apache Kafka broker (deploy/kafka/broker.sh, started and
# stopped by the test session) and the chDB ClickHouse engine. Extra arguments go to pytest.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
started=$SECONDS
deploy/bootstrap.sh test
# shellcheck disable=SC1091
. .venv/bin/activate
if [ -z "${CL_KAFKA_BOOTSTRAP:-}" ]; then deploy/kafka/broker.sh fetch; fi
echo "== ruff" && ruff check .
echo "== mypy --strict" && mypy
echo "== pytest"
python -m pytest "$@"
echo "test.sh: done in $((SECONDS - started)) s"
