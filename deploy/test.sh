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
# The report test renders the HTML report in headless Chromium (Debian's package).
if ! command -v chromium >/dev/null && [ -z "${CL_CHROMIUM:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing Chromium for the report rendering test" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2
  else
    echo "test.sh: no chromium; the report rendering test will be skipped (fails under CI=true)" >&2
  fi
fi
echo "== ruff" && ruff check . && ruff format --check .
echo "== mypy --strict" && mypy
echo "== pytest"
python -m pytest "$@"
echo "test.sh: done in $((SECONDS - started)) s"
