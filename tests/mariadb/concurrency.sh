#!/usr/bin/env bash
# tests/fault/concurrency_test.sh on the test server (run by with_server.sh):
# 8 processes at once on one MariaDB database, beside a gc loop.
# usage: concurrency.sh ZENML
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=zenml_conc_$$
client() {
  MYSQL_PWD="$ZENML_MYSQL_PASSWORD" mariadb --no-defaults -h 127.0.0.1 -P "$ZM_MARIADB_PORT" \
    -u zenml -e "$1"
}
client "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
trap 'client "DROP DATABASE IF EXISTS $db"' EXIT
bash "$here/../fault/concurrency_test.sh" "$1" "mysql://zenml@127.0.0.1:$ZM_MARIADB_PORT/$db"
