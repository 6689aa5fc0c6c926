#!/usr/bin/env bash
# Opt-in: compile the pure partner core with mypyc, in place, next to its sources.
#
#   deploy/build-native.sh           compile (needs a C compiler and the Python headers)
#   deploy/build-native.sh --clean   remove the compiled modules: back to interpreted
#
# The compiled extension modules (*.so) sit beside the .py files and take precedence on import,
# so after editing a compiled module either rebuild or clean, or the edit is silently ignored.
# Results are identical either way (the unit tests pass on both). See docs/ledger.md,
# "Compiled core". PYTHON selects the interpreter (default: .venv/bin/python, else python3);
# it must have mypy installed (the test extra pins it) and be the one that will import the core.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

# What is compiled: the partner processor and everything it runs per event, and the customer
# (conflicts) processor. The schemas stay interpreted (event and output dataclasses, shared
# with the adapters), as do the services, the projections and processors/streaming.
core=(processors/ids.py processors/sop.py processors/ledger processors/programs processors/partner processors/conflicts)
# Left interpreted on purpose: processors/partner/state.py. Its records' type hints drive the
# canonical decoder (PartnerState.from_bytes), and mypyc erases the annotations of the classes
# it compiles (``datetime | None`` becomes ``type``); compiling it gains a few per cent at most.
# The packages' __init__.py stay interpreted too: a compiled package body runs before the import
# system has given the package its absolute __path__, so an interpreted submodule it imports
# (state.py) was found only when the process had started in the repo root.
interpreted=(processors/partner/state.py processors/ledger/__init__.py processors/programs/__init__.py
             processors/partner/__init__.py processors/conflicts/__init__.py)

if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
case "$PYTHON" in  # absolute, without resolving a venv's symlink (the check below runs from /)
  /*) ;;
  */*) PYTHON="$repo/$PYTHON" ;;
  *) PYTHON=$(command -v "$PYTHON") ;;
esac

sources() {  # every .py of the core, one a line
  local part
  for part in "${core[@]}"; do
    if [ -d "$part" ]; then find "$part" -maxdepth 1 -name '*.py'; else echo "$part"; fi
  done | sort
}

compiled() {  # the extension modules built from the core, and mypyc's shared runtime module
  local src
  sources | while read -r src; do
    find "$(dirname "$src")" -maxdepth 1 -name "$(basename "$src" .py).*.so"
  done
  find . -maxdepth 1 -name '*__mypyc.*.so' | sed 's|^\./||'
}

site_packages() { "$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }

# mypyc puts the runtime its modules share in one top-level module (<hash>__mypyc) at the repo
# root, where only a process started from the repo root (python -m ...) finds it: the console
# script (channel-ledger) and the benchmark scripts did not. A link to it in the interpreter's
# site-packages makes it importable from anywhere, as the editable install does for the packages.
link_runtime() {
  local runtime target
  target=$(site_packages)
  for runtime in $(find . -maxdepth 1 -name '*__mypyc.*.so' | sed 's|^\./||'); do
    ln -sf "$repo/$runtime" "$target/$runtime"
  done
}

unlink_runtime() {
  local link target
  target=$(site_packages)
  for link in "$target"/*__mypyc.*.so; do
    if [ -L "$link" ] && [[ "$(readlink "$link")" == "$repo/"* ]]; then rm -f "$link"; fi
  done
}

clean() {
  local gone
  unlink_runtime
  gone=$(compiled)
  if [ -n "$gone" ]; then
    # shellcheck disable=SC2086
    rm -f $gone
    echo "build-native: removed $(echo "$gone" | wc -l) compiled modules; the core is interpreted"
  else
    echo "build-native: nothing compiled; the core is interpreted"
  fi
}

case "${1:-}" in
  --clean)
    clean
    exit 0
    ;;
  "") ;;
  *)
    echo "usage: deploy/build-native.sh [--clean]" >&2
    exit 2
    ;;
esac

clean >/dev/null
mapfile -t targets < <(sources | grep -vxF -f <(printf '%s\n' "${interpreted[@]}"))
echo "build-native: compiling ${#targets[@]} modules with mypyc ($("$PYTHON" -m mypy --version))"
# mypyc writes its C sources and objects under ./build (ignored by git), then copies each
# module's extension next to its source.
mkdir -p build
log=build/build-native.log
"$PYTHON" -m mypyc "${targets[@]}" >"$log" 2>&1 || {
  tail -40 "$log" >&2
  echo "build-native: compilation failed (full log: $log); the core stays interpreted" >&2
  clean >/dev/null
  exit 1
}
echo "build-native: compiled:"
compiled | sort | sed 's/^/  /'
echo "build-native: left interpreted: ${interpreted[*]}"
link_runtime
# Checked from outside the repo, as the console script and the benchmarks import it.
(cd / && "$PYTHON" -c '
import processors.conflicts, processors.partner.sales as m
assert m.__file__.endswith(".so"), m.__file__
print("build-native: the core imports compiled; deploy/build-native.sh --clean undoes it")
') || {
  echo "build-native: the compiled core does not import; removed, the core stays interpreted" >&2
  clean >/dev/null
  exit 1
}
