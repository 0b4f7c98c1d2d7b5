#!/usr/bin/env bash
# Catalog at scale on PostgreSQL: 1,000,000 recordings over 50,000 rooms (2,000,000 assets),
# 5,000,000 events. Measures, at the client over loopback, p50/p99 of GET /v1/recordings
# filtered by room, the unfiltered first page, and a page 10,000 rows deep, next to /healthz.
#   Benchmarks/catalog-scale.sh [requests-per-scenario]
source "$(dirname "$0")/common.sh"
REQUESTS=${1:-3000}
scripts/install-system-packages.sh postgresql postgresql-client
source scripts/throwaway-postgres.sh
trap 'kill ${SERVER:-} 2>/dev/null || true; pg_stop; rm -rf "${WORK:-}"' EXIT
PG_EXTRA_OPTIONS="-c shared_buffers=1GB -c work_mem=64MB -c maintenance_work_mem=1GB -c max_wal_size=8GB" pg_start
WORK=$(mktemp -d)
export DATABASE_URL="$TEST_DATABASE_URL" TAPEDECK_DATA_DIR="$WORK/data" TAPEDECK_LOG_LEVEL=warning
"$TAPEDECK" migrate >/dev/null
echo "seeding (takes a few minutes)..."
seed_started=$(date +%s)
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -f Benchmarks/catalog-seed.sql
echo "seeded in $(( $(date +%s) - seed_started )) s"
psql "$DATABASE_URL" -Atc "SELECT 'rooms ' || count(*) FROM rooms UNION ALL SELECT 'recordings ' || count(*) FROM recordings UNION ALL SELECT 'assets ' || count(*) FROM assets UNION ALL SELECT 'events ' || count(*) FROM events"
KEY=$("$TAPEDECK" keys create --name bench 2>/dev/null)
PORT=$("$PY" Tests/peers/net.py free-port)
"$TAPEDECK" serve --port "$PORT" > "$ARTIFACTS/catalog-scale-serve.log" 2>&1 &
SERVER=$!
"$PY" Benchmarks/catalog_latency.py --url "http://127.0.0.1:$PORT" --key "$KEY" --requests "$REQUESTS" \
    --rooms 50000 --json "$ARTIFACTS/catalog-scale.json"
