#!/usr/bin/env bash
# LiveKit: start latency over N sessions (SQLite), then verified webhook ingest on SQLite and on
# PostgreSQL next to /healthz of the same server, with wrk replaying pre-signed webhooks; then
# egress_ended (outputs written) to `ready`, and to the thumbnail, over 200 sessions (SQLite).
#   Benchmarks/livekit.sh [sessions] [seconds] [connections]
source "$(dirname "$0")/common.sh"
SESSIONS=${1:-1000}
SECONDS_EACH=${2:-10}
CONNECTIONS=${3:-16}
scripts/install-system-packages.sh wrk postgresql postgresql-client
source scripts/throwaway-postgres.sh
trap pg_stop EXIT
pg_start
run() { "$PY" Benchmarks/livekit_bench.py "$@" --binary "$TAPEDECK" --artifacts "$ARTIFACTS"; }
echo "== start latency, SQLite, $SESSIONS sessions"
run start-latency --sessions "$SESSIONS" --json "$ARTIFACTS/livekit-start-latency.json"
echo "== webhook ingest, SQLite ($SECONDS_EACH s, $CONNECTIONS connections)"
run ingest --seconds "$SECONDS_EACH" --connections "$CONNECTIONS" --json "$ARTIFACTS/livekit-ingest-sqlite.json"
echo "== webhook ingest, PostgreSQL"
run ingest --seconds "$SECONDS_EACH" --connections "$CONNECTIONS" --database-url "$TEST_DATABASE_URL" \
    --json "$ARTIFACTS/livekit-ingest-postgres.json"
echo "== egress_ended to ready, SQLite, 200 sessions"
run ready-latency --sessions 200 --warmup 10 --json "$ARTIFACTS/livekit-ready-latency.json"
