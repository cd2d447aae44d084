#!/usr/bin/env bash
# Installs the Debian 12 packages zenml needs (only those missing) and builds
# it into build/ (and, with ZM_ASAN=1, the ASan+UBSan build into build-asan/).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config git ca-certificates
  liblua5.4-dev libgit2-dev libsqlite3-dev libyaml-dev libarchive-dev libssl-dev
  libopenblas-dev libxgboost-dev libedit-dev
  lua-busted expect zstd sqlite3 python3 tar gzip
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
if [ "${ZM_ASAN:-0}" = 1 ]; then
  cmake -S . -B build-asan -DZM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build build-asan -j"$jobs"
fi
