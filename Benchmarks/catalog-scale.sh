#!/usr/bin/env bash
# Catalog at scale on PostgreSQL: 1,000,000 recordings over 50,000 rooms (2,000,000 assets),
# 5,000,000 events. Measures, at the client over loopback, p50/p99 of GET /v1/recordings
# filtered by room, the unfiltered first page, and a page 10,000 rows deep, next to /healthz;
# with one `serve` and with three on the same database (requests spread over them in turn),
# each configuration run ROUNDS times in alternation, and each with every variant of the settings
# in turn: by default the listings planned each time (the baseline), then prepared
# (CATALOG_VARIANTS="NAME=value NAME=value;..." sets others). Each request's Server-Timing
# header says where its time went; pg_stat_statements says what PostgreSQL spent planning and
# executing. Last, pgbench runs the listings' statements themselves, unnamed and prepared.
#   Benchmarks/catalog-scale.sh [requests-per-scenario] [rounds]
source "$(dirname "$0")/common.sh"
REQUESTS=${1:-3000}
ROUNDS=${2:-2}
IFS=';' read -r -a VARIANTS <<< "${CATALOG_VARIANTS:-TAPEDECK_PREPARED_STATEMENTS=false;TAPEDECK_PREPARED_STATEMENTS=true}"
scripts/install-system-packages.sh postgresql postgresql-client
source scripts/throwaway-postgres.sh
SERVERS=()
stop_servers() {
    [ ${#SERVERS[@]} -eq 0 ] || kill "${SERVERS[@]}" 2>/dev/null || true
    [ ${#SERVERS[@]} -eq 0 ] || wait "${SERVERS[@]}" 2>/dev/null || true
    SERVERS=()
}
trap 'stop_servers; pg_stop; rm -rf "${WORK:-}"' EXIT
PG_EXTRA_OPTIONS="-c shared_buffers=1GB -c work_mem=64MB -c maintenance_work_mem=1GB -c max_wal_size=8GB \
-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on" pg_start
WORK=$(mktemp -d)
export DATABASE_URL="$TEST_DATABASE_URL" TAPEDECK_DATA_DIR="$WORK/data" TAPEDECK_LOG_LEVEL=warning
export TAPEDECK_SERVER_TIMING=true TAPEDECK_SHARED_DATA_DIR=true
"$TAPEDECK" migrate >/dev/null
psql "$DATABASE_URL" -qc "CREATE EXTENSION pg_stat_statements"
echo "seeding (takes a few minutes)..."
seed_started=$(date +%s)
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -f Benchmarks/catalog-seed.sql
echo "seeded in $(( $(date +%s) - seed_started )) s"
# The load leaves gigabytes of dirty buffers: written out now, not by a checkpoint mid-run.
psql "$DATABASE_URL" -qc "CHECKPOINT"
psql "$DATABASE_URL" -Atc "SELECT 'rooms ' || count(*) FROM rooms UNION ALL SELECT 'recordings ' || count(*) FROM recordings UNION ALL SELECT 'assets ' || count(*) FROM assets UNION ALL SELECT 'events ' || count(*) FROM events"
KEY=$("$TAPEDECK" keys create --name bench 2>/dev/null)

run_config() {  # instances round variant-index
    local instances=$1 round=$2 variant=$3 urls=() port
    for i in $(seq "$instances"); do
        port=$("$PY" Tests/peers/net.py free-port)
        # shellcheck disable=SC2086 # a variant is NAME=value words
        env ${VARIANTS[$variant]} "$TAPEDECK" serve --port "$port" \
            > "$ARTIFACTS/catalog-scale-serve-$instances-$round-$variant-$i.log" 2>&1 &
        SERVERS+=($!)
        urls+=(--url "http://127.0.0.1:$port")
        for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "serve on $port did not start"; exit 1; }
    done
    psql "$DATABASE_URL" -qAtc "SELECT pg_stat_statements_reset()" >/dev/null
    "$PY" Benchmarks/catalog_latency.py "${urls[@]}" --key "$KEY" --requests "$REQUESTS" --rooms 50000 \
        --label "round $round, ${VARIANTS[$variant]}" --json "$ARTIFACTS/catalog-scale-$instances-$round-$variant.json"
    echo "PostgreSQL's side (pg_stat_statements, statements called at least $REQUESTS times):"
    psql "$DATABASE_URL" -P pager=off -c "
        SELECT calls, round(mean_plan_time::numeric, 3) AS plan_mean_ms, round(max_plan_time::numeric, 2) AS plan_max_ms,
               round(mean_exec_time::numeric, 3) AS exec_mean_ms, round(max_exec_time::numeric, 2) AS exec_max_ms,
               left(regexp_replace(query, '\s+', ' ', 'g'), 70) AS statement
        FROM pg_stat_statements WHERE calls >= $REQUESTS ORDER BY total_exec_time + total_plan_time DESC LIMIT 6"
    stop_servers
}

for round in $(seq "$ROUNDS"); do
    for instances in 1 3; do
        for variant in "${!VARIANTS[@]}"; do
            run_config "$instances" "$round" "$variant"
        done
    done
done

echo "statement preparation (pgbench on the same catalog, the statements as a serve sent them):"
psql "$DATABASE_URL" -qc "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
port=$("$PY" Tests/peers/net.py free-port)
TAPEDECK_PREPARED_STATEMENTS=false "$TAPEDECK" serve --port "$port" > "$ARTIFACTS/catalog-scale-serve-logged.log" 2>&1 &
SERVERS+=($!)
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
"$PY" Benchmarks/catalog_latency.py --url "http://127.0.0.1:$port" --key "$KEY" --requests 1 --rooms 50000 >/dev/null
stop_servers
psql "$DATABASE_URL" -qc "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null
"$PY" Benchmarks/catalog_prepared.py --log "$PG_TMP/log" --database-url "$DATABASE_URL"
