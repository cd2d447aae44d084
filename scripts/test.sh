#!/usr/bin/env bash
# Set up, build (normal and ASan+UBSan), start the services the tests need,
# and run every test with ctest in both builds.
set -euo pipefail
cd "$(dirname "$0")/.."
ZM_ASAN=1 scripts/setup.sh

status=0
echo "== ctest: normal build"
(cd build && ctest --output-on-failure -j2 --timeout 600) || status=1
echo "== ctest: ASan+UBSan build"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build-asan && ctest --output-on-failure -j2 --timeout 900) || status=1
exit $status
