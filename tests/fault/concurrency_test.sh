#!/usr/bin/env bash
# Concurrency: 8 processes on one repository at once, with identical and
# different pipelines, some with -j 2, while gc runs in a loop beside them.
# Every run completes, nothing referenced is deleted (verify is clean and a
# re-run of each recorded YAML completes), foreign keys hold, nothing is left
# running, and every run has all its executions, none twice.
# usage: concurrency_test.sh ZENML [METADATA_URL]
# METADATA_URL (an empty MariaDB database, mysql://...) replaces the SQLite file.
set -u
ZENML=$(realpath "$1")
export ZENML
export ZM_METADATA=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=workload.sh
source "$here/workload.sh"
work=$(mktemp -d /tmp/zenml-conc-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

make_repo "$work/repo"
cd "$work/repo" || exit 1
# a query on the metadata through zenml, so on either driver: one value per line
cat >"$work/query.lua" <<'LUA'
for _, r in ipairs(require("zenml").repo():meta():query(...)) do
  local k = next(r)
  print(r[k])
end
LUA
sql() { $ZENML "$work/query.lua" "$1"; }

for round in 1 2; do
  touch "$work/gc-go"
  (while [ -e "$work/gc-go" ]; do $ZENML gc >/dev/null 2>>"$work/gc.err" || echo "gc failed" >>"$work/gc.err"; done) &
  gc_pid=$!
  pids=()
  for k in 1 2 3 4 5 6 7 8; do
    case $k in
      1 | 2) args="run folder.lua" ;;
      3 | 4) args="run -j 2 folder.lua" ;;
      5) args="run archive.lua" ;;
      6) args="run -j 2 archive.lua" ;;
      7) args="run folder.lua --set t1.i=$((10 * round + k))" ;;
      8) args="run -j 2 archive.lua --set t3.i=$((10 * round + k))" ;;
    esac
    ($ZENML $args >"$work/out.$k" 2>&1; echo $? >"$work/rc.$k") &
    pids+=($!)
  done
  wait "${pids[@]}"
  rm -f "$work/gc-go"
  wait $gc_pid
  for k in 1 2 3 4 5 6 7 8; do
    [ "$(cat "$work/rc.$k")" = 0 ] || fail "round $round process $k: $(cat "$work/out.$k")"
    grep -q " completed: " "$work/out.$k" || fail "round $round process $k did not complete"
  done
  if grep -v "waiting for the other processes" "$work/gc.err" | grep -q .; then
    fail "round $round gc: $(cat "$work/gc.err")"
  fi
  : >"$work/gc.err"
  out=$($ZENML verify 2>&1) || fail "round $round verify: $out"
  # (a server enforces foreign keys on every write; SQLite's are checked here)
  if [ -z "$ZM_METADATA" ]; then
    [ -z "$(sqlite3 .zenml/metadata.db 'PRAGMA foreign_key_check')" ] || fail "round $round: foreign keys"
  fi
  [ "$(sql "SELECT count(*) AS n FROM runs")" = $((8 * round)) ] ||
    fail "round $round: $(sql "SELECT count(*) AS n FROM runs") runs recorded, expected $((8 * round))"
  [ "$(sql "SELECT count(*) AS n FROM (SELECT run_id FROM executions GROUP BY run_id, step HAVING count(*) > 1) d")" = 0 ] ||
    fail "round $round: a step recorded twice in one run"
  [ "$(sql "SELECT count(DISTINCT n) AS k FROM (SELECT count(*) AS n FROM executions GROUP BY run_id) d")" = 1 ] ||
    fail "round $round: runs with missing executions"
  [ "$(sql "SELECT count(*) FROM runs WHERE status <> 'completed'")" = 0 ] ||
    fail "round $round: runs not completed: $(sql "SELECT id, status FROM runs WHERE status <> 'completed'")"
done

# Everything a recorded YAML needs survived the gc loop: each runs again.
n=0
for y in pipelines/*.yaml; do
  out=$($ZENML run "$y" 2>&1) || fail "re-run of $y: $out"
  n=$((n + 1))
done
[ "$n" = 16 ] || fail "expected 16 recorded YAMLs, found $n"
out=$($ZENML verify 2>&1) || fail "final verify: $out"

if [ $failures -gt 0 ]; then
  echo "$failures failures"
  exit 1
fi
echo "concurrency test passed: 16 runs beside a gc loop, 16 re-runs"
