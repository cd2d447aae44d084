#!/usr/bin/env bash
# W5's floor: the bare-sbatch cost of W5's two DAGs on a Slurm cluster
# (SLURM_CONF set, e.g. `. build/tests/slurm/env` after tests/slurm/cluster.sh
# start): a chain of N `sbatch --parsable --wrap=true` jobs, each
# --dependency=afterok on the one before, and a fan-out of M independent jobs
# plus one gather job afterok on all M. Each DAG is submitted at once; its
# time runs from the first sbatch until the last job is COMPLETED (squeue
# polled every 0.2 s). Prints the two wall times in seconds:
#   chain 20 54.12
#   fanout 50 71.03
# usage: bench/w5_floor.sh [CHAIN_N [FANOUT_M]]   (default 20 and 50)
set -euo pipefail
chain_n=${1:-20}
fanout_m=${2:-50}
me=w5_floor.sh

die() { echo "$me: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

command -v sbatch >/dev/null || die "sbatch not found on PATH; is Slurm installed?"
sinfo -h -o %P >/dev/null 2>&1 || die "no Slurm controller answers (SLURM_CONF=${SLURM_CONF:-unset}): $(sinfo -h 2>&1 | head -n 1)"

submit() { sbatch --parsable --output=/dev/null --job-name="$1" "${@:2}" --wrap=true | cut -d';' -f1; }

# Wait until job $1 has left PENDING/RUNNING/COMPLETING; fail unless it COMPLETED.
wait_done() {
  local state deadline=$((SECONDS + 900))
  while [ "$SECONDS" -lt "$deadline" ]; do
    state=$(squeue -h -t all -j "$1" -o %T 2>/dev/null || true)
    case "$state" in
      PENDING | RUNNING | CONFIGURING | COMPLETING | "") sleep 0.2 ;;
      COMPLETED) return 0 ;;
      *) die "job $1 ended $state" ;;
    esac
  done
  die "job $1 did not end within 15 minutes"
}

chain() {
  local t0 prev i
  t0=$(now)
  prev=$(submit w5-chain-1)
  for i in $(seq 2 "$chain_n"); do
    prev=$(submit "w5-chain-$i" --dependency="afterok:$prev")
  done
  wait_done "$prev"
  echo "chain $chain_n $(since "$t0")"
}

fanout() {
  local t0 ids=() i last
  t0=$(now)
  for i in $(seq 1 "$fanout_m"); do ids+=("$(submit "w5-fan-$i")"); done
  last=$(submit w5-gather --dependency="afterok:$(IFS=:; echo "${ids[*]}")")
  wait_done "$last"
  echo "fanout $fanout_m $(since "$t0")"
}

chain
fanout
