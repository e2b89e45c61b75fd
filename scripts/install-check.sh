#!/usr/bin/env bash
# Proves that the package installs and works as its users get it: `npm pack`, install the
# tarball into an empty prefix, and run the demo's whole flow (keys, pack, sign, verify,
# plan, apply to SQLite, the refusals, the audit report) against the installed command.
#
#   bash scripts/install-check.sh [NODE_VERSION]
#
# With NODE_VERSION (e.g. 24.21.0) that Node comes from the registry's `node` package into a
# temporary folder and both the install and the demo run on it; without, the Node on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/migseal-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

nodedir_args=()
if [ -n "${1:-}" ]; then
  mkdir "$tmp/runtime"
  (cd "$tmp/runtime" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --no-save --loglevel=error "node@$1" >/dev/null)
  export PATH="$tmp/runtime/node_modules/.bin:$PATH"
  # The registry's Node ships its headers: better-sqlite3 compiles against them, whatever
  # `nodedir` this machine's npm configuration names.
  for dir in "$tmp"/runtime/node_modules/node/node_modules/node-*; do
    [ -f "$dir/include/node/node.h" ] && nodedir_args=(--nodedir="$dir")
  done
fi
echo "install check on Node $(node --version)"

npm pack --silent --pack-destination "$tmp" >/dev/null
tgz=$(ls "$tmp"/migseal-*.tgz)
echo "packed $(basename "$tgz"): $(tar -tzf "$tgz" | wc -l) files, $(wc -c < "$tgz") bytes"

prefix="$tmp/prefix"
start=$(date +%s)
npm install -g --prefix "$prefix" --no-audit --no-fund --loglevel=error "${nodedir_args[@]}" "$tgz"
echo "installed into an empty prefix in $(( $(date +%s) - start )) s"

# Nothing of the clone is on the way: the demo runs from another folder against the installed command.
MIGSEAL_BIN="$prefix/bin/migseal" bash "$ROOT/scripts/demo.sh" > "$tmp/demo.log" 2>&1 || { cat "$tmp/demo.log"; echo "install check: the demo failed against the installed command" >&2; exit 1; }
grep -q '^Demo complete' "$tmp/demo.log" || { cat "$tmp/demo.log"; exit 1; }
rm -rf "$(sed -n 's/^working in \(.*\) (kept.*/\1/p' "$tmp/demo.log")"
echo "install check: pack, sign, verify, plan and apply to SQLite work from the installed package on Node $(node --version)"
