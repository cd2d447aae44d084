#!/usr/bin/env bash
# Crash test, after SQLite's: for every crash point the binary has
# (ZENML_FAULT=<point>:<n>, src/core/fault.h) and every command of a small
# workload that passes it, kill the command at its 1st and 2nd pass of
# the point, then check what a user would find: the database intact (integrity
# and foreign keys), no run left `running`, `verify --repair` mends everything,
# the command run again completes reusing the steps that had completed, and
# `verify` is clean. Then random kill -9s of real runs (a fixed seed).
# usage: crash_test.sh ZENML
set -u
ZENML=$(realpath "$1")
export ZENML
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=workload.sh
source "$here/workload.sh"
work=$(mktemp -d /tmp/zenml-fault-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
cases=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The states the workload's commands start from: each is the repository after
# the commands before it.
commands=(
  "run folder.lua"
  "run archive.lua"
  "run -j 2 --no-cache folder.lua"
  "gc"
)
make_repo "$work/state0"
cat >"$work/garbage.lua" <<'LUA'
local repo = assert(require("zenml.repo").open())
for i = 1, 6 do repo:store():put(("unreferenced %d\n"):format(i)) end
LUA
for i in "${!commands[@]}"; do
  cp -a "$work/state$i" "$work/state$((i + 1))"
  (cd "$work/state$((i + 1))" && $ZENML ${commands[$i]} >/dev/null 2>&1) ||
    fail "workload command '${commands[$i]}' failed without a fault"
  # gc needs something to collect
  if [ "${commands[$((i + 1))]:-}" = gc ]; then
    (cd "$work/state$((i + 1))" && $ZENML "$work/garbage.lua") || fail "garbage.lua failed"
  fi
done

sql() { sqlite3 .zenml/metadata.db "$1"; }

# check DIR COMMAND LABEL RUNS: what a user finds after COMMAND was killed in
# DIR, which had RUNS runs before it
check() {
  local dir=$1 cmd=$2 label=$3 runs_before=$4 out
  cd "$dir" || return
  [ "$(sql 'PRAGMA integrity_check')" = ok ] || fail "$label: database integrity check"
  [ -z "$(sql 'PRAGMA foreign_key_check')" ] || fail "$label: foreign keys"
  $ZENML run list >/dev/null 2>&1 || fail "$label: run list after the crash"
  [ "$(sql "SELECT count(*) FROM runs WHERE status = 'running'")" = 0 ] ||
    fail "$label: a run is left running"
  out=$($ZENML verify --repair 2>&1) || fail "$label: verify --repair left problems: $out"
  local done_before
  done_before=$(sql "SELECT count(*) FROM executions x WHERE x.status = 'completed'
    AND x.run_id IN (SELECT id FROM runs ORDER BY started LIMIT -1 OFFSET $runs_before)")
  out=$($ZENML $cmd 2>&1) || fail "$label: '$cmd' again failed: $out"
  if [ "$cmd" != gc ]; then
    local cached
    cached=$(printf '%s\n' "$out" | sed -n 's/.* \([0-9]*\) cached,.*/\1/p' | head -1)
    case "$cmd" in *--no-cache*) ;; *)
      [ "${cached:-0}" -ge "$done_before" ] ||
        fail "$label: re-run reused ${cached:-0} steps, $done_before had completed" ;;
    esac
  fi
  out=$($ZENML verify 2>&1) || fail "$label: verify after the re-run: $out"
  cd "$work" || return
}

hit=" "
for point in $($ZENML "$here/points.lua"); do
  for i in "${!commands[@]}"; do
    for pass in 1 2; do
      dir="$work/case"
      rm -rf "$dir"
      cp -a "$work/state$i" "$dir"
      runs=$(cd "$dir" && sql "SELECT count(*) FROM runs")
      # (the command substitution keeps bash's "Killed" notice out of the log)
      rc=$({ (cd "$dir" && ZENML_FAULT="$point:$pass" exec $ZENML ${commands[$i]} \
        >/dev/null 2>"$work/err"); echo $?; } 2>/dev/null)
      [ $rc = 137 ] || break # the command passes the point fewer times
      grep -q "fault injected at $point (pass $pass)" "$work/err" ||
        fail "$point:$pass in '${commands[$i]}': killed without the fault message"
      cases=$((cases + 1))
      hit="$hit$point "
      check "$dir" "${commands[$i]}" "$point:$pass in '${commands[$i]}'" "$runs"
    done
  done
  case "$hit" in *" $point "*) ;; *) fail "crash point $point is never passed by the workload" ;; esac
done
echo "crash points: $cases cases"

# Random kill -9s of real runs, with -j 2 and without.
RANDOM=2024
for k in $(seq 1 12); do
  dir="$work/kill$k"
  cp -a "$work/state0" "$dir"
  cmd="run folder.lua"
  [ $((k % 2)) = 0 ] && cmd="run -j 2 folder.lua"
  delay=$(printf '0.%03d' $((RANDOM % 120)))
  (cd "$dir" && exec $ZENML $cmd >/dev/null 2>&1) &
  pid=$!
  sleep "$delay"
  { kill -9 $pid && wait $pid; } 2>/dev/null
  check "$dir" "$cmd" "kill -9 after ${delay}s of '$cmd'" 0
  rm -rf "$dir"
done
echo "random kills: 12 cases"

if [ $failures -gt 0 ]; then
  echo "$failures failures"
  exit 1
fi
echo "crash test passed"
