#!/usr/bin/env bash
# Verified LiveKit webhook ingest on PostgreSQL with 1 instance (direct and behind nginx) and 3
# instances behind the nginx of deploy/ (wrk replaying pre-signed webhooks, as livekit.sh), next
# to PostgreSQL's ceiling for the same statements (pgbench with Benchmarks/cluster-ingest-*.sql);
# the CPU each process used during each run.
#   Benchmarks/cluster_ingest.sh [seconds] [connections] [--only one_direct|one_nginx|three_nginx
#       [--baseline OTHER_TAPEDECK --repeat N]] [--perf DIR]
source "$(dirname "$0")/common.sh"
SECONDS_EACH=${1:-10}
CONNECTIONS=${2:-16}
shift $(( $# < 2 ? $# : 2 ))
scripts/install-system-packages.sh wrk nginx postgresql postgresql-client
source scripts/throwaway-postgres.sh
trap pg_stop EXIT
pg_start
"$PY" Benchmarks/cluster_ingest.py --binary "$TAPEDECK" --artifacts "$ARTIFACTS" --seconds "$SECONDS_EACH" \
    --connections "$CONNECTIONS" --json "$ARTIFACTS/cluster-ingest.json" "$@"
