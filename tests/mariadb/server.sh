#!/usr/bin/env bash
# A throwaway MariaDB server for the tests: Debian 12's mariadb-server with
# its own data folder, socket and a non-default port in DIR, run as the
# current user (root in CI), never the system's server.
#   server.sh start DIR [PORT]   make DIR, start the server (on PORT, or the
#                                first free port from 33061), create the test
#                                users and databases; DIR/port, DIR/password
#   server.sh stop DIR           stop it and remove DIR
# tests/mariadb/with_server.sh DIR CMD... runs a command against it.
# Users: root over the socket (unix_socket authentication), `zenml` with the
# password in DIR/password and every privilege on zenml_* databases, and
# `nopriv` (same password) with none. Database: zenml_test (empty).
set -euo pipefail
cmd=${1:?usage: server.sh start|stop DIR [PORT]}
dir=${2:?usage: server.sh start|stop DIR [PORT]}
port=${3:-}

find_bin() {
  for b in "$@"; do
    command -v "$b" 2>/dev/null && return 0
    [ -x "/usr/sbin/$b" ] && { echo "/usr/sbin/$b"; return 0; }
  done
  echo "server.sh: none of $* is installed (scripts/setup.sh installs mariadb-server)" >&2
  exit 1
}

# the server's own administrator: the OS user, over the socket
sql() { "$client" --no-defaults --socket="$dir/mysqld.sock" -u"$(id -un)" -e "$1"; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Start mariadbd on $1; 0 once it answers, 1 if it stopped (a taken port).
launch() {
  "$server" --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" \
    --port="$1" --bind-address=127.0.0.1 --pid-file="$dir/mysqld.pid" \
    --log-error="$dir/error.log" --user="$(id -un)" --skip-name-resolve \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=16M \
    --innodb-flush-log-at-trx-commit=2 --max-connections=200 >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do
    [ -S "$dir/mysqld.sock" ] && sql "SELECT 1" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

start() {
  local server install
  server=$(find_bin mariadbd mysqld)
  install=$(find_bin mariadb-install-db mysql_install_db)
  client=$(find_bin mariadb mysql)
  stop # a server left running in DIR by an interrupted run

  mkdir -p "$dir/data"
  "$install" --no-defaults --datadir="$dir/data" --user="$(id -un)" \
    --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 \
    || { cat "$dir/install.log" >&2; exit 1; }
  local p=${port:-33061} started=0
  for _ in $(seq 1 20); do
    if port_free "$p" && launch "$p"; then started=1; break; fi
    [ -n "$port" ] && break
    p=$((p + 1))
  done
  [ "$started" = 1 ] || { cat "$dir/error.log" >&2 2>/dev/null; echo "server.sh: could not start mariadbd" >&2; exit 1; }
  printf '%s' "$p" >"$dir/port"
  local pw="pw-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s' "$pw" >"$dir/password"
  sql "CREATE USER 'zenml'@'%' IDENTIFIED BY '$pw';
       CREATE USER 'zenml'@'localhost' IDENTIFIED BY '$pw';
       GRANT ALL PRIVILEGES ON \`zenml\\_%\`.* TO 'zenml'@'%';
       GRANT ALL PRIVILEGES ON \`zenml\\_%\`.* TO 'zenml'@'localhost';
       CREATE USER 'nopriv'@'%' IDENTIFIED BY '$pw';
       CREATE USER 'nopriv'@'localhost' IDENTIFIED BY '$pw';
       CREATE DATABASE zenml_test;"
  echo "MariaDB test server on 127.0.0.1:$p and $dir/mysqld.sock"
}

stop() {
  if [ -f "$dir/mysqld.pid" ]; then
    local pid
    pid=$(cat "$dir/mysqld.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: server.sh start|stop DIR [PORT]" >&2; exit 2 ;;
esac
