#!/usr/bin/env bash
# A full disk: a run that cannot write fails with one line, leaves no YAML
# without a run, no run `running`, and after space is freed the same run
# completes and verify is clean. The repository lives on a small tmpfs when
# this process may mount one (root); otherwise the file size limit
# (ulimit -f) makes writes fail the same way (EFBIG instead of ENOSPC).
# usage: diskfull_test.sh ZENML
set -u
ZENML=$(realpath "$1")
export ZENML
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=workload.sh
source "$here/workload.sh"
work=$(mktemp -d /tmp/zenml-full-XXXXXX)
mounted=0
cleanup() {
  cd / || true
  [ $mounted = 1 ] && umount "$work/fs" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

mkdir -p "$work/fs"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=8m tmpfs "$work/fs" 2>/dev/null; then
  mounted=1
fi
make_repo "$work/fs/repo"
cd "$work/fs/repo" || exit 1
sql() { sqlite3 .zenml/metadata.db "$1"; }

for cut in 0 60 200 2000; do
  # leave $cut KiB free (tmpfs), or allow files of at most $cut KiB
  if [ $mounted = 1 ]; then
    rm -f "$work/fs/filler"
    free=$(df -k --output=avail "$work/fs" | tail -1)
    fallocate -l $(((free - cut) * 1024)) "$work/fs/filler" 2>/dev/null ||
      dd if=/dev/zero of="$work/fs/filler" bs=1k count=$((free - cut)) status=none 2>/dev/null
    out=$($ZENML run --no-cache folder.lua 2>&1)
    rc=$?
  else
    out=$( (trap '' XFSZ; ulimit -f $((cut * 2)); exec $ZENML run --no-cache folder.lua) 2>&1)
    rc=$?
  fi
  label="$cut KiB"
  if [ $rc != 0 ]; then
    first=$(printf '%s\n' "$out" | grep -m1 '^zenml: ')
    [ -n "$first" ] || fail "$label: no 'zenml:' line in: $out"
    printf '%s\n' "$out" | grep -q 'stack traceback' && fail "$label: a traceback: $out"
    [ $rc -lt 128 ] || fail "$label: killed by a signal ($rc)"
  fi
  rm -f "$work/fs/filler"
  # every YAML has its run, every run its YAML; nothing is left running
  for y in pipelines/*.yaml; do
    [ -e "$y" ] || continue
    id=$(sed -n 's/^run_id: "\(.*\)"$/\1/p' "$y")
    [ "$(sql "SELECT count(*) FROM runs WHERE id = '$id'")" = 1 ] ||
      fail "$label: $y has no run in the metadata store"
  done
  $ZENML run list >/dev/null 2>&1
  [ "$(sql "SELECT count(*) FROM runs WHERE status = 'running'")" = 0 ] ||
    fail "$label: a run is left running"
  out=$($ZENML verify --repair 2>&1) || fail "$label: verify --repair: $out"
  out=$($ZENML run folder.lua 2>&1) || fail "$label: the run after freeing space: $out"
  out=$($ZENML verify 2>&1) || fail "$label: verify: $out"
done

if [ $failures -gt 0 ]; then
  echo "$failures failures"
  exit 1
fi
echo "disk full test passed ($([ $mounted = 1 ] && echo tmpfs || echo ulimit -f))"
