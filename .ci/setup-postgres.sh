#!/usr/bin/env bash
# Install (if missing) and start a local PostgreSQL for the storage tests, create a test user
# and database, and export PLENS_TEST_POSTGRES_URL into the file named by $PLENS_CI_ENV.
# Run as root. Idempotent: running it twice reuses the running cluster, user and database.
set -euo pipefail

PG_USER="${PLENS_PG_USER:-plens}"
PG_PASSWORD="${PLENS_PG_PASSWORD:-plens}"
PG_DB="${PLENS_PG_DB:-plens_test}"
PG_PORT="${PLENS_PG_PORT:-5432}"

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
fi

# The newest installed major version and its first cluster (Debian creates "main").
VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
CLUSTER="$(pg_lsclusters -h | awk -v v="$VERSION" '$1 == v {print $2; exit}')"
if [ -z "$CLUSTER" ]; then
    CLUSTER=main
    pg_createcluster "$VERSION" "$CLUSTER" --port "$PG_PORT" >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $4}' \
        | grep -q online; then
    pg_ctlcluster "$VERSION" "$CLUSTER" start || service postgresql start
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $3}')"

for _ in $(seq 1 30); do
    if su postgres -c "pg_isready -q -p $PORT"; then break; fi
    sleep 1
done

psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -q -p $PORT $*"; }
if ! psql_admin "-tAc \"SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'\"" | grep -q 1; then
    psql_admin "-c \"CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD' CREATEDB\""
fi
if ! psql_admin "-tAc \"SELECT 1 FROM pg_database WHERE datname = '$PG_DB'\"" | grep -q 1; then
    psql_admin "-c \"CREATE DATABASE $PG_DB OWNER $PG_USER\""
fi

URL="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PORT/$PG_DB"
if [ -n "${PLENS_CI_ENV:-}" ]; then
    echo "export PLENS_TEST_POSTGRES_URL=$URL" >> "$PLENS_CI_ENV"
fi
echo "PostgreSQL $VERSION/$CLUSTER is ready: $URL"
