#!/usr/bin/env bash
# The server behind a connection pooler: a PgBouncer in transaction pooling mode in front of the CI database,
# then the PostgreSQL suite through it (DATABASE_URL = PgBouncer; DATABASE_LISTEN_URL = the direct connection,
# since LISTEN needs a session of its own). Needs DATABASE_URL (the CI database); PGBOUNCER_PORT is optional.
# PgBouncer and its folder are removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?DATABASE_URL is the CI database}"
PGBOUNCER_PORT="${PGBOUNCER_PORT:-27002}"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
url_part() { node -e 'const url = new URL(process.argv[1]); process.stdout.write(decodeURIComponent(url[process.argv[2]]))' "${DATABASE_URL}" "$1"; }

DB_HOST=$(url_part hostname)
DB_PORT=$(url_part port)
DB_USER=$(url_part username)
DB_PASSWORD=$(url_part password)
DB_NAME=$(url_part pathname | sed 's|^/||')

WORK=$(mktemp -d /tmp/open311-pgbouncer.XXXXXX)
chmod 700 "${WORK}"
cleanup() {
  status=$?
  if [ -f "${WORK}/pgbouncer.pid" ]; then kill "$(cat "${WORK}/pgbouncer.pid")" 2>/dev/null || true; fi
  if [ "${status}" -ne 0 ] && [ -f "${WORK}/pgbouncer.log" ]; then tail -n 30 "${WORK}/pgbouncer.log" >&2; fi
  as_root rm -rf "${WORK}"
}
trap cleanup EXIT

# Transaction pooling: a server connection belongs to a client only for one transaction, so nothing may rely on
# session state between statements (SET, named prepared statements, advisory locks, LISTEN).
cat > "${WORK}/pgbouncer.ini" <<INI
[databases]
${DB_NAME} = host=${DB_HOST} port=${DB_PORT:-5432} dbname=${DB_NAME}
; Databases the tests create for themselves (same server) pass through under their own names.
* = host=${DB_HOST} port=${DB_PORT:-5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${PGBOUNCER_PORT}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = ${WORK}/userlist.txt
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
logfile = ${WORK}/pgbouncer.log
pidfile = ${WORK}/pgbouncer.pid
INI
printf '"%s" "%s"\n' "${DB_USER}" "${DB_PASSWORD}" > "${WORK}/userlist.txt"
as_root chown -R postgres "${WORK}"
# PgBouncer refuses to run as root.
as_postgres pgbouncer -d "${WORK}/pgbouncer.ini"
for _ in $(seq 1 30); do
  PGPASSWORD="${DB_PASSWORD}" psql -X -q -h 127.0.0.1 -p "${PGBOUNCER_PORT}" -U "${DB_USER}" -d "${DB_NAME}" -c 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.5
done

POOLED_URL=$(node -e 'const url = new URL(process.argv[1]); url.port = process.argv[2]; process.stdout.write(url.href)' \
  "${DATABASE_URL}" "${PGBOUNCER_PORT}")
echo "== tests on PostgreSQL through PgBouncer (transaction pooling, port ${PGBOUNCER_PORT})"
DIRECT_URL="${DATABASE_URL}"
DATABASE_URL="${POOLED_URL}" DATABASE_LISTEN_URL="${DIRECT_URL}" PGBOUNCER_DATABASE_URL="${POOLED_URL}" npm run test:pg
