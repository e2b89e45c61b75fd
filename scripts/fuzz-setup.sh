#!/usr/bin/env bash
# Installs the coverage-guided fuzzer that scripts/fuzz.mjs runs, into .tools/jazzer/:
# Jazzer.js 2.1 from the npm registry, its native part compiled here against the stock
# libFuzzer of Debian's compiler-rt (libclang-rt-14-dev). Jazzer.js 4 ships only a prebuilt
# native part that needs glibc 2.38, and 2.x's own install step downloads and builds its fork
# of LLVM; scripts/fuzz/ holds the few pieces the fork adds to libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."

JAZZER_VERSION=2.1.0
DEST=.tools/jazzer
ADDON=$DEST/node_modules/@jazzer.js/fuzzer/build/Release/jazzerjs.node
# The native part is rebuilt when this script or the pieces in scripts/fuzz/ change.
STAMP=$DEST/native.sha256
SOURCES=$(cat "$0" scripts/fuzz/libfuzzer-shim.cpp scripts/fuzz/fuzzer/FuzzerDefs.h | sha256sum | cut -d' ' -f1)
[ -f "$ADDON" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$SOURCES" ] && exit 0

LIBFUZZER=$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$LIBFUZZER" ] || ! command -v g++ >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q libclang-rt-14-dev g++
  LIBFUZZER=$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | sort -V | tail -n 1)
fi

mkdir -p "$DEST"
[ -f "$DEST/package.json" ] || echo '{ "name": "migseal-fuzz-tools", "private": true }' > "$DEST/package.json"
# --ignore-scripts: the fuzzer package's install step would fetch and build LLVM.
npm install --prefix "$DEST" --no-audit --no-fund --ignore-scripts "@jazzer.js/core@$JAZZER_VERSION"

NODE_INCLUDE=$(dirname "$(readlink -f "$(command -v node)")")/../include/node
SRC=$DEST/node_modules/@jazzer.js/fuzzer
mkdir -p "$(dirname "$ADDON")"
g++ -std=c++17 -O2 -fPIC -shared -w -DNAPI_VERSION=4 -DNAPI_CPP_EXCEPTIONS \
  -I"$NODE_INCLUDE" -I"$DEST/node_modules/node-addon-api" -Iscripts/fuzz \
  "$SRC"/*.cpp "$SRC"/shared/*.cpp scripts/fuzz/libfuzzer-shim.cpp \
  -Wl,--whole-archive "$LIBFUZZER" -Wl,--no-whole-archive -lpthread \
  -o "$ADDON"
echo "$SOURCES" > "$STAMP"
echo "fuzz-setup: Jazzer.js $JAZZER_VERSION with $(basename "$LIBFUZZER") in $DEST"
