#!/usr/bin/env bash
# Runs the backend against a throwaway PostgreSQL server: a temporary
# folder, initdb, a server listening only on a unix socket inside that
# folder (no TCP port to collide with), then the backend with DATABASE_URL
# pointing at it. On SIGTERM/SIGINT the backend is stopped first (so it
# drains its requests), then PostgreSQL, then the folder is removed.
#
# Usage: ci/pg-backend.sh [backend flags...]   e.g. --host 127.0.0.1 --port 8080
# Needs Debian's postgresql package (initdb, pg_ctl). As root, PostgreSQL
# runs as the postgres user (it refuses to run as root).
set -euo pipefail

build="${TOLLGATE_BUILD:-build}"
backend="$(cd "$(dirname "$0")/.." && pwd)/$build/backend"
pgbin="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  echo "pg-backend: PostgreSQL not found; run: sudo ci/install-deps.sh (package postgresql)" >&2
  exit 2
fi

dir="$(mktemp -d /tmp/tollgate-pg-XXXXXX)"
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then (cd "$dir" && runuser -u postgres -- "$@"); else (cd "$dir" && "$@"); fi
}
[ "$(id -u)" -eq 0 ] && chown postgres "$dir"

pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
  as_pg "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi' TERM INT

as_pg "$pgbin/initdb" -N -D "$dir/data" -U tollgate --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 3; }
as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
  -o "-c listen_addresses='' -k $dir -c fsync=off -c synchronous_commit=off" start >/dev/null ||
  { cat "$dir/postgres.log" >&2; exit 3; }

export DATABASE_URL="postgres:///postgres?host=$dir&user=tollgate"
"$backend" "$@" &
pid=$!
# wait returns early when a trapped signal arrives; wait again for the exit.
rc=0
wait "$pid" || rc=$?
if kill -0 "$pid" 2>/dev/null; then rc=0; wait "$pid" || rc=$?; fi
pid=""
exit "$rc"
