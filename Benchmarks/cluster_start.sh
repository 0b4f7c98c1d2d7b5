#!/usr/bin/env bash
# Start latency with three `serve` and one `tapedeck worker` on one throwaway PostgreSQL, webhooks
# to random instances from concurrent clients: each load with job notifications (LISTEN/NOTIFY),
# then with TAPEDECK_JOB_NOTIFY=false (polling every second) as the baseline. Three loads:
#   A  8 clients, the stand-in answers starts at once (the machine's CPU is the limit)
#   B  4 clients, the stand-in takes 40 ms per start (workers' slots fill; jobs must move)
#   C  2 clients, starts answered at once (a lighter load)
#   D, E  sessions arriving on a schedule (open loop) at 60 and 90 per second, about half and
#      two thirds of what load A's closed loop reaches: latency under a load the machine carries,
#      not at saturation, where 8 waiting clients make it 8 / throughput by Little's law
#   Benchmarks/cluster_start.sh [sessions]
source "$(dirname "$0")/common.sh"
SESSIONS=${1:-1000}
scripts/install-system-packages.sh postgresql postgresql-client
source scripts/throwaway-postgres.sh
trap pg_stop EXIT
pg_start
run() {
    local name=$1; shift
    echo "== load $name: $*"
    "$PY" Benchmarks/cluster_start.py --binary "$TAPEDECK" --artifacts "$ARTIFACTS" --sessions "$SESSIONS" \
        --json "$ARTIFACTS/cluster-start-$name.json" "$@"
    uptime
}
run A --clients 8
run B --clients 4 --start-answer-ms 40
run C --clients 2
run D --clients 16 --rate 60
run E --clients 16 --rate 90
