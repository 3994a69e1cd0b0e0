#!/usr/bin/env bash
# Read replicas for real: a streaming replica of the CI cluster, made with pg_basebackup -R and started on a
# second port, then test/scale/replica.test.ts against it (the test stops it itself, to prove the fallback).
# Needs DATABASE_URL (the CI database, already migrated) and PG_PORT (its cluster's port); REPLICA_PORT is
# optional. The replica and its folder are removed on exit, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?DATABASE_URL is the CI database}" "${PG_PORT:?PG_PORT is the CI cluster port}"
REPLICA_PORT="${REPLICA_PORT:-27001}"
PG_BIN="/usr/lib/postgresql/${PG_VERSION:-15}/bin"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
primary_sql() { as_postgres psql -X -q -At -p "${PG_PORT}" -v ON_ERROR_STOP=1 -c "$1"; }

echo "== replica: primary settings (wal_level, max_wal_senders, a replication role, pg_hba)"
restart=no
if [ "$(primary_sql 'SHOW wal_level')" = minimal ]; then primary_sql "ALTER SYSTEM SET wal_level = replica"; restart=yes; fi
if [ "$(primary_sql 'SHOW max_wal_senders')" -lt 2 ]; then primary_sql "ALTER SYSTEM SET max_wal_senders = 10"; restart=yes; fi
if [ "${restart}" = yes ]; then
  cluster_version=$(primary_sql 'SHOW server_version_num' | cut -c1-2)
  as_root pg_ctlcluster "${cluster_version}" main restart
  for _ in $(seq 1 30); do as_postgres pg_isready -q -p "${PG_PORT}" && break; sleep 1; done
fi
REPLICATION_PASSWORD="repl_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
primary_sql "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'open311_replication') THEN
    CREATE ROLE open311_replication WITH REPLICATION LOGIN;
  END IF;
END \$\$"
primary_sql "ALTER ROLE open311_replication WITH REPLICATION LOGIN PASSWORD '${REPLICATION_PASSWORD}'"
HBA_FILE=$(primary_sql 'SHOW hba_file')
if ! grep -Eq '^host[[:space:]]+replication[[:space:]]+(all|open311_replication)[[:space:]]+127\.0\.0\.1/32' "${HBA_FILE}"; then
  as_root sh -c "printf '%s\n' 'host replication open311_replication 127.0.0.1/32 scram-sha-256' >> '${HBA_FILE}'"
  primary_sql 'SELECT pg_reload_conf()' >/dev/null
fi

WORK=$(mktemp -d /tmp/open311-replica.XXXXXX)
chmod 700 "${WORK}"
as_root chown postgres "${WORK}"
DATA="${WORK}/data"
STOP_COMMAND="${PG_BIN}/pg_ctl -D ${DATA} -m fast -w stop"
if [ "$(id -u)" -eq 0 ]; then STOP_COMMAND="runuser -u postgres -- ${STOP_COMMAND}"; else STOP_COMMAND="sudo -u postgres ${STOP_COMMAND}"; fi
cleanup() {
  status=$?
  if [ "${status}" -ne 0 ] && [ -f "${WORK}/replica.log" ]; then tail -n 30 "${WORK}/replica.log" >&2; fi
  as_postgres "${PG_BIN}/pg_ctl" -D "${DATA}" -m immediate -w stop >/dev/null 2>&1 || true
  as_root rm -rf "${WORK}"
}
trap cleanup EXIT

echo "== replica: pg_basebackup -R of the CI cluster, started on port ${REPLICA_PORT}"
as_postgres env PGPASSWORD="${REPLICATION_PASSWORD}" "${PG_BIN}/pg_basebackup" -h 127.0.0.1 -p "${PG_PORT}" \
  -U open311_replication -D "${DATA}" -R -X stream -c fast
# Debian keeps the primary's postgresql.conf and pg_hba.conf in /etc: the replica gets small ones of its own,
# with the settings a standby may not have below its primary copied from it.
as_postgres sh -c "cat > '${DATA}/postgresql.conf'" <<CONF
port = ${REPLICA_PORT}
listen_addresses = '127.0.0.1'
unix_socket_directories = '${WORK}'
hot_standby = on
shared_buffers = 32MB
jit = off
max_connections = $(primary_sql 'SHOW max_connections')
max_worker_processes = $(primary_sql 'SHOW max_worker_processes')
max_wal_senders = $(primary_sql 'SHOW max_wal_senders')
max_prepared_transactions = $(primary_sql 'SHOW max_prepared_transactions')
max_locks_per_transaction = $(primary_sql 'SHOW max_locks_per_transaction')
CONF
as_postgres touch "${DATA}/pg_ident.conf"
as_postgres sh -c "cat > '${DATA}/pg_hba.conf'" <<HBA
local all postgres peer
host all all 127.0.0.1/32 scram-sha-256
HBA
as_postgres "${PG_BIN}/pg_ctl" -D "${DATA}" -l "${WORK}/replica.log" -w start >/dev/null
for _ in $(seq 1 30); do
  [ "$(as_postgres psql -X -At -h "${WORK}" -p "${REPLICA_PORT}" -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ] && break
  sleep 1
done

# The same database and role on the replica's port.
REPLICA_DATABASE_URL=$(node -e 'const url = new URL(process.argv[1]); url.port = process.argv[2]; process.stdout.write(url.href)' \
  "${DATABASE_URL}" "${REPLICA_PORT}")
echo "== tests: read replicas (test/scale/replica.test.ts)"
REPLICA_DATABASE_URL="${REPLICA_DATABASE_URL}" REPLICA_STOP_COMMAND="${STOP_COMMAND}" \
  npx mocha --config test/scale/.mocharc.json test/scale/replica.test.ts
