#!/usr/bin/env bash
# The quick-start demo: keys, trust policy, pack, approve, verify, apply to an embedded
# SQLite database, history, a tampered bundle that is refused with the database unchanged,
# the auditor's report, and a release that edits a released migration (diff flags it, apply refuses it).
# Run from a fresh clone after `npm ci`:  npm run demo
# Against an installed migseal instead of the clone's build:  MIGSEAL_BIN=$(command -v migseal) bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

# Bold headings on a terminal only: a pipe or a log file gets plain text.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD='' PLAIN=''; fi
step() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"; }
show() { printf '$ %s\n' "$*"; "$@"; }

if [ -n "${MIGSEAL_BIN:-}" ]; then
  migseal() { "$MIGSEAL_BIN" "$@"; }
  echo "using $MIGSEAL_BIN ($(migseal --version))"
else
  step "Building migseal"
  npm run --silent build >/dev/null
  migseal() { node "$ROOT/bin/migseal.js" "$@"; }
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/migseal-demo.XXXXXX")
chmod 700 "$WORK"
# The folder stays for a look at the report, the audit log and the database; the demo's
# private keys do not outlive it.
trap 'rm -f "$WORK"/keys/*.key' EXIT
cd "$WORK"
export MIGSEAL_AUDIT_LOG="$WORK/audit.jsonl"
echo "working in $WORK (kept at the end, without the private keys)"

step "1. Generate a release key (for CI) and an approval key (for a reviewer)"
mkdir -m 700 keys
show migseal keys generate --out keys/release
show migseal keys generate --out keys/approver

step "2. Write the production host's trust policy: releases need a release signature and an approval"
cat > keys/trust.json <<'JSON'
{
  "project": "shop",
  "dialect": "sqlite",
  "keys": [
    { "id": "ci-release", "publicKey": "release.pub", "roles": ["release"] },
    { "id": "reviewer", "publicKey": "approver.pub", "roles": ["approve"] }
  ],
  "environments": { "production": { "release": 1, "approve": 1 } }
}
JSON
chmod 644 keys/trust.json
cat keys/trust.json

step "3. A small golang-migrate folder of migrations"
mkdir migrations
cat > migrations/1_create_users.up.sql <<'SQL'
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
SQL
echo 'DROP TABLE users;' > migrations/1_create_users.down.sql
cat > migrations/2_create_orders.up.sql <<'SQL'
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), total_cents INTEGER NOT NULL);
CREATE INDEX orders_user ON orders(user_id);
SQL
echo 'DROP TABLE orders;' > migrations/2_create_orders.down.sql
cat > migrations/3_seed_admin.up.sql <<'SQL'
INSERT INTO users (email) VALUES ('admin@example.com');
SQL
echo "DELETE FROM users WHERE email = 'admin@example.com';" > migrations/3_seed_admin.down.sql
ls migrations

step "4. CI packs the folder into a deterministic bundle and signs it as a release"
show migseal pack migrations --project shop --release 42 --dialect sqlite --out shop-42.migseal --key keys/release.key

step "5. A reviewer adds an approval signature"
show migseal sign shop-42.migseal --key keys/approver.key --role approve

step "6. The production host verifies the bundle against its trust policy"
show migseal verify shop-42.migseal --trust keys/trust.json --env production

step "7. plan: what apply would do (read-only; the database file is not even created)"
show migseal plan shop-42.migseal --trust keys/trust.json --env production --db sqlite:shop.db
[ ! -e shop.db ] && echo "(shop.db still does not exist)"

step "8. apply: verify again, lock the database, run each migration with its history row"
show migseal apply shop-42.migseal --trust keys/trust.json --env production --db sqlite:shop.db

step "9. history: what ran, from which release, signed by whom, run by whom"
show migseal history --db sqlite:shop.db

step "10. An attacker changes one byte of one migration inside the bundle"
node - shop-42.migseal <<'JS'
const fs = require('node:fs');
const zlib = require('node:zlib');
const path = process.argv[2];
const tar = zlib.gunzipSync(fs.readFileSync(path));
const at = tar.indexOf("VALUES ('admin@example.com')") + "VALUES ('".length;
tar[at] = 'e'.charCodeAt(0); // admin@… becomes edmin@… in 3_seed_admin.up.sql
fs.writeFileSync('shop-42-tampered.migseal', zlib.gzipSync(tar));
console.log('wrote shop-42-tampered.migseal: 3_seed_admin.up.sql now inserts edmin@example.com');
JS
BEFORE=$(sha256sum shop.db | cut -d' ' -f1)
set +e
show migseal apply shop-42-tampered.migseal --trust keys/trust.json --env production --db sqlite:shop.db
CODE=$?
set -e
AFTER=$(sha256sum shop.db | cut -d' ' -f1)
echo "exit code: $CODE (2 = refused before anything ran)"
echo "shop.db sha256 before: $BEFORE"
echo "shop.db sha256 after:  $AFTER"
if [ "$CODE" -ne 2 ] || [ "$BEFORE" != "$AFTER" ]; then
  echo "demo FAILED: the tampered bundle was not refused cleanly" >&2
  exit 1
fi

step "11. Every plan, apply and refusal is in the hash-chained audit log"
show migseal audit-log verify "$MIGSEAL_AUDIT_LOG"

step "12. An auditor's report: what was verified, who signed, what ran where, whether the database still matches"
show migseal audit shop-42.migseal --trust keys/trust.json --env production --db sqlite:shop.db --html audit-42.html
echo "(wrote audit-42.html: $(wc -c < audit-42.html) bytes, one self-contained page with no scripts)"

step "13. Release 43 quietly edits released migration 2 and adds migration 4: diff flags it before any host sees it"
cp -r migrations migrations-43
echo 'CREATE INDEX orders_total ON orders(total_cents);' >> migrations-43/2_create_orders.up.sql
echo 'ALTER TABLE users ADD COLUMN name TEXT;' > migrations-43/4_add_user_name.up.sql
migseal pack migrations-43 --project shop --release 43 --dialect sqlite --out shop-43.migseal --key keys/release.key >/dev/null
migseal sign shop-43.migseal --key keys/approver.key --role approve >/dev/null
set +e
show migseal diff shop-42.migseal shop-43.migseal --trust keys/trust.json --env production
DIFF_CODE=$?
show migseal apply shop-43.migseal --trust keys/trust.json --env production --db sqlite:shop.db
APPLY_CODE=$?
set -e
echo "diff exit code: $DIFF_CODE, apply exit code: $APPLY_CODE (2 = refused: migration 2 drifted from what this database ran)"
if [ "$DIFF_CODE" -ne 2 ] || [ "$APPLY_CODE" -ne 2 ]; then
  echo "demo FAILED: the edited release was not flagged and refused" >&2
  exit 1
fi

printf '\n%sDemo complete:%s the signed release applied; the tampered copy was refused and the database is byte-for-byte unchanged; the release that rewrote history was flagged by diff and refused by apply.\n' "$BOLD" "$PLAIN"
echo "The auditor's report: $WORK/audit-42.html (open it in a browser); the audit log: $MIGSEAL_AUDIT_LOG."
echo "Next: sign your own migrations in CI and verify them on a host: README.md, \"Set up a release job\" and \"Set up a production host\"."
