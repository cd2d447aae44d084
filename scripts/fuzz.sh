#!/usr/bin/env bash
# Build the libFuzzer targets (tests/fuzz) with clang in build-fuzz/ and run
# each for SECONDS (default 60) on a copy of its seed corpus, so new corpus
# entries never land in the tree. A crash, a sanitizer report, a broken
# round-trip property, a hang or a memory blow-up fails the script; the input
# that did it is left in build-fuzz/crashes/ (reproduce with
# `build-fuzz/tests/fuzz/fuzz_<target> <file>`). usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
case $seconds in '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;; esac
build=$PWD/build-fuzz

echo "== fuzz: building $build (clang, ZM_FUZZ=ON)"
CC=clang cmake -S . -B "$build" -DZM_FUZZ=ON -DBUILD_TESTING=OFF -DZM_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz >/dev/null

# The longest input each target is given: enough for the structure of its
# format, small enough that an execution stays well under a millisecond.
max_len() {
  case $1 in
    archive) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$build/crashes" "$build/fuzz-logs"
failed=()
for dir in tests/fuzz/corpus/*/; do
  t=$(basename "$dir")
  bin=$build/tests/fuzz/fuzz_$t
  [ -x "$bin" ] || { echo "fuzz: no target fuzz_$t for corpus $dir" >&2; failed+=("$t"); continue; }
  work=$build/fuzz-work/$t
  rm -rf "$work"
  mkdir -p "$work"
  cp -r "$dir" "$work/corpus"
  log=$build/fuzz-logs/$t.log
  opts=(-max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048
        -print_final_stats=1 -artifact_prefix="$build/crashes/$t-")
  # words of the format, for targets whose parser is not instrumented (Lua)
  [ -f "tests/fuzz/$t.dict" ] && opts+=(-dict="$PWD/tests/fuzz/$t.dict")
  rc=0
  (cd "$work" && "$bin" "${opts[@]}" corpus >"$log" 2>&1) || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    printf '%-10s ok    %s runs in %s s\n' "$t" "${runs:-?}" "$seconds"
  else
    printf '%-10s FOUND (exit %s), log %s\n' "$t" "$rc" "$log"
    grep -E '^(fuzz: property failed|==[0-9]+==ERROR|SUMMARY|artifact_prefix|.*Test unit written)' "$log" |
      head -6 | sed 's/^/    /'
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in: ${failed[*]} (inputs in $build/crashes/)"
  exit 1
fi
echo "fuzz: no findings"
