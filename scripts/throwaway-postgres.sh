# Sourced by the test and benchmark scripts: a private PostgreSQL on 127.0.0.1, stopped on exit.
#   pg_start  starts it and exports TEST_DATABASE_URL (a database named tapedeck_test)
#   pg_stop   stops it and deletes its files (also run by the EXIT trap)

PG_PEERS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../Tests/peers" && pwd)

pg_bin() {
    local version
    version=$(ls /usr/lib/postgresql/ 2>/dev/null | sort -n | tail -1)
    [ -n "$version" ] || { echo "PostgreSQL is not installed" >&2; return 1; }
    echo "/usr/lib/postgresql/$version/bin"
}

pg_as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
    local bin port
    bin=$(pg_bin)
    port=${PG_PORT:-$(python3 "$PG_PEERS/net.py" free-port)}
    PG_TMP=$(mktemp -d /tmp/tapedeck-pg.XXXXXX)
    [ "$(id -u)" -ne 0 ] || chown postgres "$PG_TMP"
    pg_as_owner "$bin/initdb" -D "$PG_TMP/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
    pg_as_owner "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/log" -w -o \
        "-c listen_addresses=127.0.0.1 -p $port -k $PG_TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 ${PG_EXTRA_OPTIONS:-}" \
        start >/dev/null
    psql -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE tapedeck_test" >/dev/null
    export PG_PORT=$port
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/tapedeck_test?sslmode=disable"
    echo "PostgreSQL running on 127.0.0.1:$port"
}

pg_stop() {
    [ -n "${PG_TMP:-}" ] || return 0
    pg_as_owner "$(pg_bin)/pg_ctl" -D "$PG_TMP/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
    PG_TMP=
}
