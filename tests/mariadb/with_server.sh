#!/usr/bin/env bash
# Run a command against the test server tests/mariadb/server.sh started in
# DIR: the password in ZENML_MYSQL_PASSWORD, its URL in ZM_TEST_META_URL (the
# metadata C tests) and ZM_E2E_METADATA_URL (the end-to-end specs), its socket
# and port in ZM_MARIADB_SOCKET and ZM_MARIADB_PORT.
set -euo pipefail
dir=${1:?usage: with_server.sh DIR COMMAND...}
shift
[ -f "$dir/port" ] || { echo "with_server.sh: no test server in $dir (server.sh start it)" >&2; exit 1; }
port=$(cat "$dir/port")
export ZENML_MYSQL_PASSWORD
ZENML_MYSQL_PASSWORD=$(cat "$dir/password")
export ZM_MARIADB_SOCKET="$dir/mysqld.sock" ZM_MARIADB_PORT="$port" ZM_MARIADB_DIR="$dir"
export ZM_TEST_META_URL="mysql://zenml@127.0.0.1:$port/zenml_test"
export ZM_E2E_METADATA_URL="$ZM_TEST_META_URL"
exec "$@"
