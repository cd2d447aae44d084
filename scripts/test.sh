#!/usr/bin/env bash
# Set up, build (normal and ASan+UBSan, warnings as errors), start the services
# the tests need, and run every test with ctest in both builds, then each
# libFuzzer target for 10 s (scripts/fuzz.sh). Release builds
# (-O3) with gcc and with clang are compiled too, since some warnings show only
# when the optimiser inlines across functions.
set -euo pipefail
cd "$(dirname "$0")/.."
ZM_TEST=1 ZM_ASAN=1 scripts/setup.sh

for cc in gcc clang; do
  echo "== Release build with $cc (-O3, warnings as errors)"
  CC=$cc cmake -S . -B "build-release-$cc" -DCMAKE_BUILD_TYPE=Release -DZM_WERROR=ON >/dev/null
  cmake --build "build-release-$cc" -j"$(nproc)" >/dev/null
done

# The server and cluster tests are registered only where their packages are:
# here they must be, or CI would pass without them.
for fixture in mariadb/start slurm/start; do
  for b in build build-asan; do
    # (the list read whole first: grep -q ending the pipe early would fail it under pipefail)
    listed=$(cd "$b" && ctest -N)
    if ! grep -q " $fixture\$" <<<"$listed"; then
      echo "test.sh: $b has no $fixture test: are mariadb-server, slurm-wlm and munge installed?" >&2
      exit 1
    fi
  done
done

status=0
echo "== ctest: normal build"
(cd build && ctest --output-on-failure -j2 --timeout 600) || status=1
echo "== ctest: ASan+UBSan build"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j2 --timeout 900) || status=1
echo "== fuzz: each target 10 s (clang, ASan+UBSan)"
scripts/fuzz.sh 10 || status=1
exit $status
