#!/usr/bin/env bash
# Installs the Debian 12 packages zenml needs (only those missing) and builds
# it into build/ (and, with ZM_ASAN=1, the ASan+UBSan build into build-asan/).
# ZM_TEST=1 (scripts/test.sh) also installs what the test suite needs beyond the
# build (clang, for the Release build with a second compiler, and its runtime
# libraries for the libFuzzer targets, which clang only recommends; chromium,
# in which e2e/report_spec opens a report headless, about a second; slurm-wlm
# and munge, for the throwaway Slurm cluster of tests/slurm/cluster.sh;
# mariadb-server, for the metadata tests on a throwaway MariaDB server) and turns
# compiler warnings into errors; a user's build never has warnings forced on it.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config git ca-certificates
  liblua5.4-dev libgit2-dev libsqlite3-dev libyaml-dev libarchive-dev libssl-dev
  libopenblas-dev libxgboost-dev libedit-dev libmariadb-dev
  lua-busted expect zstd sqlite3 python3 tar gzip
)
if [ "${ZM_TEST:-0}" = 1 ]; then
  packages+=(clang libclang-rt-dev chromium slurm-wlm munge mariadb-server)
fi

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
werror=-DZM_WERROR=$([ "${ZM_TEST:-0}" = 1 ] && echo ON || echo OFF)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$werror" >/dev/null
cmake --build build -j"$jobs"
if [ "${ZM_ASAN:-0}" = 1 ]; then
  cmake -S . -B build-asan -DZM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug "$werror" >/dev/null
  cmake --build build-asan -j"$jobs"
fi
