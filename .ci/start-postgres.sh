#!/usr/bin/env bash
# Installs (through apt, when missing) and starts a throw-away local PostgreSQL 15 server
# for the test suite. Prints the store URL on its last line.
# Usage: source-free; `url=$(bash .ci/start-postgres.sh | tail -n1)`.
set -euo pipefail
PGPORT="${HGKM_PG_PORT:-55432}"
PGDATA="${HGKM_PG_DATA:-/tmp/hgkm-pg-$PGPORT}"
PGBIN=""
for d in /usr/lib/postgresql/*/bin; do [[ -x "$d/pg_ctl" ]] && PGBIN="$d"; done
if [[ -z "$PGBIN" ]]; then
  echo "PostgreSQL server not found: installing postgresql-15 through apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql-15 >&2 || apt-get install -y -qq postgresql >&2
  for d in /usr/lib/postgresql/*/bin; do [[ -x "$d/pg_ctl" ]] && PGBIN="$d"; done
fi
[[ -n "$PGBIN" ]] || { echo "could not install PostgreSQL" >&2; exit 1; }
RUNAS=()
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql postgres
  RUNAS=(runuser -u postgres --)
fi
if ! "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  if [[ ! -f "$PGDATA/PG_VERSION" ]]; then
    mkdir -p "$PGDATA"
    [[ $(id -u) -eq 0 ]] && chown postgres "$PGDATA"
    "${RUNAS[@]}" "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  mkdir -p /tmp/hgkm-pg-sock && chmod 1777 /tmp/hgkm-pg-sock
  "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w \
    -o "-p $PGPORT -k /tmp/hgkm-pg-sock -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >&2
fi
PSQL=("$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -q)
"${PSQL[@]}" -d postgres -tc "SELECT 1 FROM pg_database WHERE datname='hgkm_test'" | grep -q 1 \
  || "${PSQL[@]}" -d postgres -c "CREATE DATABASE hgkm_test" >&2
echo "postgresql://postgres@127.0.0.1:$PGPORT/hgkm_test"
