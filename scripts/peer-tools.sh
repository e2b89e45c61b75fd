#!/usr/bin/env bash
# Installs the peer migration tools that comparison tests and benchmarks run beside migseal:
# dbmate's binary, from its npm package for this platform, into .tools/dbmate/.
# (dbmate is not a devDependency: its wrapper package lists binaries for every platform as
# optional dependencies, and a lock file that lacks any of them breaks `npm ci`.)
set -euo pipefail
cd "$(dirname "$0")/.."

DBMATE_VERSION=2.36.0
[ -x .tools/dbmate/bin/dbmate ] && exit 0
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=@dbmate/linux-x64 ;;
  Linux-aarch64) pkg=@dbmate/linux-arm64 ;;
  Darwin-arm64) pkg=@dbmate/darwin-arm64 ;;
  Darwin-x86_64) pkg=@dbmate/darwin-x64 ;;
  *) echo "peer-tools: no dbmate build for $(uname -s)-$(uname -m); tests that compare with dbmate will fail" >&2; exit 0 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg@$DBMATE_VERSION" >/dev/null)
mkdir -p .tools/dbmate
tar xzf "$tmp"/*.tgz -C .tools/dbmate --strip-components=1
chmod +x .tools/dbmate/bin/dbmate
