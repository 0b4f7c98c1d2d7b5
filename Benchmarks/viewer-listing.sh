#!/usr/bin/env bash
# Viewer listings on PostgreSQL (Benchmarks/viewer-listing-seed.sql: 200,000 recordings, 10,000
# rooms, 600,000 participants, two organizations): the statements of GET /v1/me/recordings (a
# page of 50) for a viewer of the global secret, a member of an organization under `members`
# (first page and 2,000 rows deep) and one under `participants`, each run N times; prints the
# p50 and p99 of the server's execution time.
#   Benchmarks/viewer-listing.sh [runs]
# Only the catalog's statements are timed, so any build of the binary will do for `migrate`.
set -euo pipefail
cd "$(dirname "$0")/.."
TAPEDECK=${TAPEDECK:-$(swift build --show-bin-path)/tapedeck}
RUNS=${1:-200}
scripts/install-system-packages.sh postgresql postgresql-client
source scripts/throwaway-postgres.sh
trap 'pg_stop; rm -rf "${WORK:-}"' EXIT
pg_start
WORK=$(mktemp -d)
export DATABASE_URL="$TEST_DATABASE_URL" TAPEDECK_DATA_DIR="$WORK/data" TAPEDECK_LOG_LEVEL=warning
"$TAPEDECK" migrate >/dev/null
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -f Benchmarks/viewer-listing-seed.sql
SELECT_LIST="SELECT r.*, (SELECT name FROM rooms WHERE id = r.room_id) AS room_name, (SELECT key FROM sessions WHERE id = r.session_id) AS session_key FROM recordings r WHERE"
ORDER="ORDER BY r.created_at DESC, r.id DESC LIMIT 51"
MEMBERS="r.room_id IN (SELECT id FROM rooms WHERE organization_id = md5('org-members')::uuid)"
PARTICIPANTS_ORG="r.room_id IN (SELECT id FROM rooms WHERE organization_id = md5('org-participants')::uuid)"
INSTALLATION="r.room_id IN (SELECT id FROM rooms WHERE organization_id IS NULL OR organization_id IN (SELECT id FROM organizations WHERE allow_global_viewer_secret = true))"
TOOK="r.session_id IN (SELECT session_id FROM participants WHERE identity = 'viewer-42')"
DEEP=$(psql "$DATABASE_URL" -Atc "SELECT created_at || ', ''' || id || '''::uuid' FROM recordings r WHERE $MEMBERS AND r.status <> 'deleted' ORDER BY r.created_at DESC, r.id DESC OFFSET 2000 LIMIT 1")
declare -A QUERIES=(
  ["global secret, own sessions"]="$SELECT_LIST ($INSTALLATION AND $TOOK AND r.status <> 'deleted') AND r.status <> 'deleted' $ORDER"
  ["global secret, own sessions (before: no room condition)"]="$SELECT_LIST $TOOK AND r.status <> 'deleted' $ORDER"
  ["members rule, first page"]="$SELECT_LIST ($MEMBERS AND r.status <> 'deleted') AND r.status <> 'deleted' $ORDER"
  ["members rule, 2,000 rows deep"]="$SELECT_LIST ($MEMBERS AND r.status <> 'deleted') AND r.status <> 'deleted' AND (r.created_at, r.id) < ($DEEP) $ORDER"
  ["participants rule, own sessions"]="$SELECT_LIST ($PARTICIPANTS_ORG AND $TOOK AND r.status <> 'deleted') AND r.status <> 'deleted' $ORDER"
)
for name in "${!QUERIES[@]}"; do
  query=${QUERIES[$name]}
  rows=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM ($query) q")
  times=$(for _ in $(seq "$RUNS"); do echo "EXPLAIN (ANALYZE, TIMING OFF) $query;"; done \
    | psql "$DATABASE_URL" -At | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p' | sort -n)
  p50=$(echo "$times" | awk -v n="$RUNS" 'NR == int(n * 0.5) { print }')
  p99=$(echo "$times" | awk -v n="$RUNS" 'NR == int(n * 0.99) { print }')
  printf '%-58s rows %3s  p50 %7s ms  p99 %7s ms\n' "$name" "$rows" "$p50" "$p99"
done
