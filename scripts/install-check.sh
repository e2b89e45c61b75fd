#!/usr/bin/env bash
# Proves that the package installs and works as its users get it: `npm pack`, install the
# tarball into an empty prefix, and run the demo's whole flow (keys, pack, sign, verify,
# plan, apply to SQLite, the refusals, the audit report) against the installed command; then
# pack, verify, apply and status against a throwaway PostgreSQL server (initdb in a temp
# folder, run as `nobody` when the check runs as root, stopped and removed at the end).
#
#   bash scripts/install-check.sh [NODE_VERSION]
#
# With NODE_VERSION (e.g. 24.21.0) that Node comes from the registry's `node` package into a
# temporary folder and both the install and the demo run on it; without, the Node on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/migseal-install.XXXXXX")
pgdir='' pgpid=''
cleanup() {
  if [ -n "$pgpid" ]; then kill -INT "$pgpid" 2>/dev/null || true; wait "$pgpid" 2>/dev/null || true; fi
  [ -z "$pgdir" ] || rm -rf "$pgdir"
  rm -rf "$tmp"
}
trap cleanup EXIT

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

# PostgreSQL: Debian's server (pg_config, else the newest /usr/lib/postgresql/N), as the test helpers find it.
bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/initdb" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "install check: PostgreSQL's initdb not found (install the postgresql package)" >&2; exit 1; }
# Its own folder under the temp root (the check's folder is private to this user); PostgreSQL refuses to run as root.
pgdir=$(mktemp -d "${TMPDIR:-/tmp}/migseal-install-pg.XXXXXX")
as_server=()
if [ "$(id -u)" = 0 ]; then chown nobody "$pgdir"; as_server=(setpriv --reuid=65534 --regid=65534 --clear-groups); fi
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
(cd "$pgdir" && env -i PATH="$PATH" LC_ALL=C "${as_server[@]}" "$bindir/initdb" -D "$pgdir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >"$pgdir/initdb.log" 2>&1) \
  || { cat "$pgdir/initdb.log"; echo "install check: initdb failed" >&2; exit 1; }
(cd "$pgdir" && exec env -i PATH="$PATH" LC_ALL=C "${as_server[@]}" "$bindir/postgres" -D "$pgdir/data" -p "$port" -k "$pgdir" -c listen_addresses=127.0.0.1 -c fsync=off >"$pgdir/server.log" 2>&1) &
pgpid=$!
for _ in $(seq 1 100); do "$bindir/pg_isready" -q -h "$pgdir" -p "$port" && break; sleep 0.1; done
"$bindir/psql" -X -q -h "$pgdir" -p "$port" -U postgres -d postgres -c 'CREATE DATABASE shop' || { cat "$pgdir/server.log"; exit 1; }

mig="$prefix/bin/migseal"
work="$tmp/pg-work"
mkdir -p "$work/migrations" && cd "$work"
export MIGSEAL_AUDIT_LOG="$work/audit.jsonl"
printf 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n' > migrations/1_users.up.sql
printf 'CREATE INDEX CONCURRENTLY users_email ON users (email);\n' > migrations/2_users_email.up.sql
"$mig" keys generate --out release >/dev/null
"$mig" trust init --project shop --key release.pub --out trust.json >/dev/null
"$mig" pack migrations --project shop --release 1 --dialect postgres --key release.key --out shop-1.migseal >/dev/null
"$mig" verify shop-1.migseal --trust trust.json >/dev/null
url="postgres://postgres@127.0.0.1:$port/shop"
"$mig" apply shop-1.migseal --trust trust.json --db "$url" > apply.log || { cat apply.log; exit 1; }
grep -q '^applied 2 migrations' apply.log || { cat apply.log; exit 1; }
"$mig" status --db "$url" --bundle shop-1.migseal --trust trust.json > status.log || { cat status.log; exit 1; }
tables=$("$bindir/psql" -X -q -A -t -h "$pgdir" -p "$port" -U postgres -d shop -c "SELECT count(*) FROM pg_index WHERE indexrelid = 'users_email'::regclass AND indisvalid")
[ "$tables" = 1 ] || { echo "install check: the index built outside a transaction is missing on PostgreSQL" >&2; exit 1; }
cd "$ROOT"
echo "install check: pack, verify, apply and status against PostgreSQL $("$bindir/postgres" --version | grep -oE '[0-9]+\.[0-9]+' | head -n 1) work from the installed package"
