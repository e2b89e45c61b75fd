#!/usr/bin/env bash
# Dependency hygiene for CI: registry signatures and provenance of every installed package
# (`npm audit signatures`), and advisories against the production dependencies
# (`npm audit --omit=dev`). A bad signature or a high or critical advisory fails the run.
# A registry that does not offer the service (a read-only mirror, no route to Sigstore's
# TUF repository) is reported as "not checked", never as passed; set
# MIGSEAL_AUDIT_REQUIRED=1 to fail on that too.
set -uo pipefail
cd "$(dirname "$0")/.."

status=0
unreachable() {
  echo "dependency audit: $1 NOT CHECKED: $2" >&2
  [ "${MIGSEAL_AUDIT_REQUIRED:-}" = 1 ] && status=1
}
reason() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const j=JSON.parse(s);console.log(j.error?.summary||j.message||"no answer")}catch{console.log("no answer")}})'; }

out=$(npm audit signatures --json 2>/dev/null); code=$?
if [ $code -eq 0 ]; then
  echo "dependency audit: registry signatures verified"
elif echo "$out" | grep -q '"invalid"\|"missing"'; then
  echo "$out" >&2
  echo "dependency audit: FAILED: packages with invalid or missing registry signatures" >&2
  status=1
else
  unreachable "registry signatures" "$(echo "$out" | reason)"
fi

out=$(npm audit --omit=dev --audit-level=high --json 2>/dev/null); code=$?
if echo "$out" | grep -q '"vulnerabilities"'; then
  high=$(echo "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s).metadata?.vulnerabilities??{};console.log((v.high??0)+(v.critical??0))})')
  if [ "$high" -gt 0 ]; then
    npm audit --omit=dev --audit-level=high >&2
    echo "dependency audit: FAILED: $high high or critical advisories in production dependencies" >&2
    status=1
  else
    echo "dependency audit: no high or critical advisories in production dependencies"
  fi
else
  unreachable "advisories" "$(echo "$out" | reason)"
fi
exit $status
