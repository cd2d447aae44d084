#!/usr/bin/env bash
# A throwaway single-node Slurm cluster for the tests and benchmarks: Debian
# 12's slurm-wlm and munge, run as root, with every file in DIR (slurm.conf,
# state, spool, logs, pid files, and a private munged with its own key and
# socket, so the machine's own munge and Slurm, if any, are never touched).
# Sockets live in DIR/run (munge/, spool/); when DIR's path is too long for a
# socket's name, DIR/run is a link to a folder in /tmp.
#   cluster.sh start DIR   write DIR/slurm.conf, start munged, slurmctld and
#                          slurmd, wait until the node is idle; DIR/env holds
#                          `export SLURM_CONF=DIR/slurm.conf`
#   cluster.sh stop DIR    cancel every job, stop the daemons started in DIR,
#                          remove DIR but its logs (DIR/*.log)
# Both are idempotent: start on a running cluster only waits for it, stop on a
# stopped one does nothing. Settings and measured latencies: tests/slurm/README.md.
# For measuring variants (tests/slurm/README.md): ZM_SLURM_SCHEDULER_TYPE and
# ZM_SLURM_SCHEDULER_PARAMS replace SchedulerType and SchedulerParameters (an
# empty value leaves Slurm's default), ZM_SLURM_EXTRA is appended to slurm.conf.
# ZM_SLURM_CGROUP=1 enforces --mem with task/cgroup (cgroup v1 memory controller
# needed): a job over it ends OUT_OF_MEMORY, as on most real clusters. Off by
# default: clusters on one machine share slurmd's cgroups (slurm_<node>/job_<id>).
set -euo pipefail
cmd=${1:?usage: cluster.sh start|stop DIR}
dir=${2:?usage: cluster.sh start|stop DIR}
me=cluster.sh

die() { echo "$me: $*" >&2; exit 1; }

# Whether process PID runs (a zombie does not: this container's init may be
# slow to reap the daemons, which are its children once they forked).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  case "$(ps -o stat= -p "$1" 2>/dev/null)" in Z* | "") return 1 ;; esac
}

# The pid in FILE if that process is alive and runs the program named NAME.
live_pid() {
  local file=$1 name=$2 pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [ -n "$pid" ] && alive "$pid" || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ] || return 1
  echo "$pid"
}

# Stop the processes in the pid FILEs (each only if it runs the program of
# the same name), all at once, and wait up to 10 s for them to go.
stop_pids() {
  local file pid pids=()
  for file in "$@"; do
    if pid=$(live_pid "$file" "$(basename "$file" .pid)"); then
      kill "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$file"
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do
      alive "$pid" || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  done
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Two consecutive free ports in 6817-7816 (6817 is Slurm's own), from a
# random even one on: test clusters started at the same moment (two builds'
# ctest, a benchmark) rarely pick the same pair. Two slurmctlds on one port
# would not both fail: the second asks the first to hand over and it exits.
free_ports() {
  local p
  p=$((6817 + 2 * (RANDOM % 500)))
  for _ in $(seq 1 500); do
    if port_free "$p" && port_free $((p + 1)); then echo "$p $((p + 1))"; return 0; fi
    p=$((p + 2))
    [ "$p" -lt 7817 ] || p=6817
  done
  die "no two free ports between 6817 and 7816 for slurmctld and slurmd"
}

need_tools() {
  local missing=()
  for b in munged mungekey slurmctld slurmd sinfo sbatch; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || missing+=("$b")
  done
  [ ${#missing[@]} = 0 ] || die "${missing[*]} not found; install the Debian packages slurm-wlm and munge (scripts/setup.sh does)"
  [ "$(id -u)" = 0 ] || die "must run as root (slurmd starts jobs as their users); CI runs as root"
}

write_conf() {
  local host cpus mem ports sched
  host=$(hostname -s)
  cpus=$(nproc)
  # RealMemory in MB, with 10% (at least 256 MB) left for the system: slurmd
  # drains a node that reports less memory than slurm.conf promises.
  mem=$(awk '/^MemTotal:/ { m = int($2 / 1024); h = int(m / 10); if (h < 256) h = 256; print m - h }' /proc/meminfo)
  read -r -a ports <<<"$(free_ports)"
  local task=task/none overkill=OverMemoryKill
  rm -f "$dir/cgroup.conf"
  if [ "${ZM_SLURM_CGROUP:-0}" = 1 ]; then
    grep -qs ' /sys/fs/cgroup/memory cgroup .*memory' /proc/mounts \
      || die "ZM_SLURM_CGROUP=1 needs the cgroup v1 memory controller at /sys/fs/cgroup/memory"
    task=task/cgroup overkill=NoOverMemoryKill
    printf '%s\n' CgroupPlugin=cgroup/v1 CgroupMountpoint=/sys/fs/cgroup ConstrainRAMSpace=yes \
      ConstrainSwapSpace=yes AllowedSwapSpace=0 >"$dir/cgroup.conf"
  fi
  sched=${ZM_SLURM_SCHEDULER_PARAMS-batch_sched_delay=0,sched_min_interval=0,bf_interval=1}
  cat >"$dir/slurm.conf" <<CONF
# Written by tests/slurm/cluster.sh: a one-node test cluster, everything in this folder.
ClusterName=zmtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$run/munge/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$run/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=$task
MpiDefault=none
ReturnToService=2
# finished jobs stay in \`scontrol show job\` for 10 minutes (no slurmdbd, so no sacct)
MinJobAge=600
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
# memory sampled every second; without cgroups a job over its --mem is killed
# here (FAILED by SIGKILL, "Exceeded job memory limit" in its output)
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
JobAcctGatherParams=$overkill
# Fast scheduling on this one small node: the main scheduler whenever a job
# ends or is submitted (not at most every 3 s), backfill every second (not 30)
# (measured: a 20-job afterok chain takes 16 s instead of 57 s; tests/slurm/README.md)
SchedulerType=${ZM_SLURM_SCHEDULER_TYPE:-sched/backfill}
${sched:+SchedulerParameters=$sched}
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# a job without --mem gets its CPUs' share of the node (with CR_Core_Memory and
# no default, one job would hold all the memory and jobs would run one at a time)
DefMemPerCPU=$((mem / cpus))
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
# a job over its partition's limits (time, memory) is refused at sbatch, not left pending
EnforcePartLimits=ALL
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
PartitionName=short Nodes=$host MaxTime=00:01:00 State=UP
${ZM_SLURM_EXTRA:-}
CONF
}

start_munged() {
  live_pid "$run/munge/munged.pid" munged >/dev/null && return 0
  mkdir -p "$run/munge"
  [ -f "$run/munge/munge.key" ] || mungekey --create --keyfile="$run/munge/munge.key" >/dev/null
  chown -R munge:munge "$run/munge"
  chmod 755 "$run/munge" # munged wants its socket's folder open to all (the key is 0600)
  chmod 600 "$run/munge/munge.key"
  rm -f "$run/munge/munge.socket" "$run/munge/munge.socket.lock"
  runuser -u munge -- "$(command -v munged || echo /usr/sbin/munged)" \
    --socket="$run/munge/munge.socket" --key-file="$run/munge/munge.key" \
    --pid-file="$run/munge/munged.pid" --log-file="$run/munge/munged.log" \
    --seed-file="$run/munge/munged.seed" \
    || die "munged did not start: $(tail -n 1 "$run/munge/munged.log" 2>/dev/null)"
}

# $run: DIR/run, or the /tmp folder it links to; made if missing.
find_run() {
  if [ ! -e "$dir/run" ]; then
    if [ ${#dir} -le 60 ]; then
      mkdir "$dir/run"
    else
      ln -s "$(mktemp -d /tmp/zm-slurm-run.XXXXXX)" "$dir/run"
    fi
  fi
  run=$(realpath "$dir/run")
  chmod 755 "$run"
}

show_logs() {
  for f in "$dir/slurmctld.log" "$dir/slurmd.log" "$run/munge/munged.log"; do
    [ -f "$f" ] && { echo "--- $f (last 15 lines)"; tail -n 15 "$f"; }
  done >&2
}

# Whether the daemon of pid FILE has died: the file names a pid (a daemon
# writes it just after it forked) that is gone, and still the same 0.3 s later.
died() {
  local pid again
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && ! alive "$pid" || return 1
  sleep 0.3
  again=$(cat "$1" 2>/dev/null) || return 1
  [ "$again" = "$pid" ] && ! alive "$pid"
}

# Wait (30 s at most) until the node is idle; fail at once if a daemon died.
wait_idle() {
  local state="" deadline=$((SECONDS + 30)) d
  while [ "$SECONDS" -lt "$deadline" ]; do
    for d in slurmctld slurmd; do
      if died "$dir/$d.pid"; then
        echo "$me: $d stopped while starting" >&2
        return 2
      fi
    done
    # sinfo retries an unreachable controller for 9 s: ask it briefly
    state=$(timeout 3 sinfo -h -N -o %t 2>/dev/null | head -n 1) || true
    case "$state" in
      idle | mix | alloc)
        # the controller that answered is this one, not a cluster on the same port
        timeout 3 scontrol show config 2>/dev/null | grep -q "^StateSaveLocation *= *$dir/state\$" && return 0
        echo "$me: another controller answers on this cluster's port" >&2
        return 2 ;;
    esac
    sleep 0.1
  done
  show_logs
  die "the node did not become idle within 30 s (state '${state:-no answer}'); logs in $dir"
}

start() {
  need_tools
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  chmod 755 "$dir"
  export SLURM_CONF="$dir/slurm.conf"
  find_run
  if live_pid "$dir/slurmctld.pid" slurmctld >/dev/null && live_pid "$dir/slurmd.pid" slurmd >/dev/null \
    && wait_idle; then
    return 0
  fi
  stop_daemons # half a cluster left by an interrupted run
  local ctld slurmd try
  ctld=$(command -v slurmctld || echo /usr/sbin/slurmctld)
  slurmd=$(command -v slurmd || echo /usr/sbin/slurmd)
  # a daemon that stops at once lost its ports to a cluster started beside
  # it: try again on others
  for try in 1 2 3; do
    rm -rf "$dir/state" "$run/spool"
    mkdir -p "$dir/state" "$run/spool"
    write_conf
    start_munged
    # -i: ignore (there is none) saved state; fresh each start
    "$ctld" -i -f "$dir/slurm.conf" || { show_logs; die "slurmctld did not start"; }
    "$slurmd" -f "$dir/slurm.conf" || { show_logs; die "slurmd did not start"; }
    if wait_idle; then break; fi
    stop_daemons
    [ "$try" -lt 3 ] || { show_logs; die "slurmctld or slurmd stopped while starting, 3 times; logs in $dir"; }
  done
  printf 'export SLURM_CONF=%q\n' "$dir/slurm.conf" >"$dir/env"
  echo "Slurm test cluster zmtest up: source $dir/env"
}

stop_daemons() {
  if live_pid "$dir/slurmctld.pid" slurmctld >/dev/null; then
    local ids
    ids=$(SLURM_CONF="$dir/slurm.conf" squeue -h -o %i 2>/dev/null | tr '\n' ' ') || true
    if [ -n "${ids// /}" ]; then
      # shellcheck disable=SC2086 # one id a word
      SLURM_CONF="$dir/slurm.conf" scancel --quiet $ids 2>/dev/null || true
    fi
    for _ in $(seq 1 50); do
      [ -z "$(SLURM_CONF="$dir/slurm.conf" squeue -h -t R,CG 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
  stop_pids "$dir/slurmd.pid" "$dir/slurmctld.pid" "$run/munge/munged.pid"
}

stop() {
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd)
  find_run
  stop_daemons
  if [ -f "$run/munge/munged.log" ]; then mv "$run/munge/munged.log" "$dir/munged.log"; fi
  rm -rf "$dir/state" "$run" "$dir/run" "$dir/env" "$dir/slurm.conf" "$dir/cgroup.conf"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: cluster.sh start|stop DIR" >&2; exit 2 ;;
esac
