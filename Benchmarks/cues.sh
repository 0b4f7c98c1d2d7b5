#!/usr/bin/env bash
# Cues: a 3-hour lecture's WebVTT (10,000 cues in 3 languages, SQLite) next to /healthz, and its
# player page in Chromium until the transcript panel is interactive; the server's memory while
# tracks of up to 100,000 cues are served; live cue ingest through POST /v1/rooms/{name}/cues
# during a LiveKit session, on SQLite and on PostgreSQL;
# GET /v1/search over 1,000,000 seeded cues on PostgreSQL, with the admin key and a viewer token.
#   Benchmarks/cues.sh [requests-per-scenario] [ingest-seconds] [posters]
# CUES_PARTS picks parts (default: "vtt player big-track ingest search"), so that one part can be
# rerun on a quiet host without the others.
source "$(dirname "$0")/common.sh"
REQUESTS=${1:-2000}
INGEST_SECONDS=${2:-20}
POSTERS=${3:-4}
CUES_PARTS=${CUES_PARTS:-vtt player big-track ingest search}
part() { [[ " $CUES_PARTS " == *" $1 "* ]]; }
scripts/install-system-packages.sh wrk ffmpeg postgresql postgresql-client chromium
source scripts/throwaway-postgres.sh
trap pg_stop EXIT
# auto_explain is loaded but logs nothing until the search step turns it on for a few queries.
PG_EXTRA_OPTIONS="-c shared_buffers=1GB -c work_mem=64MB -c maintenance_work_mem=1GB -c max_wal_size=8GB \
    -c shared_preload_libraries=auto_explain" pg_start
run() { "$PY" Benchmarks/cues_bench.py "$@" --binary "$TAPEDECK" --artifacts "$ARTIFACTS"; }
if part vtt; then
echo "== WebVTT of a 3-hour lecture, 10,000 cues in 3 languages, SQLite"
run vtt --requests "$REQUESTS" --json "$ARTIFACTS/cues-vtt.json"
fi
if part player; then
echo "== the player page of that lecture in Chromium: until its transcript panel is interactive"
run player --json "$ARTIFACTS/cues-player.json"
fi
if part big-track; then
echo "== memory while one track of 1,000, 10,000 and 100,000 cues is served, SQLite"
run big-track --json "$ARTIFACTS/cues-big-track.json"
fi
if part ingest; then
echo "== live cue ingest, SQLite ($POSTERS posters, $INGEST_SECONDS s per batch size)"
run ingest --seconds "$INGEST_SECONDS" --posters "$POSTERS" --json "$ARTIFACTS/cues-ingest-sqlite.json"
echo "== live cue ingest, PostgreSQL"
run ingest --seconds "$INGEST_SECONDS" --posters "$POSTERS" --database-url "$TEST_DATABASE_URL" \
    --json "$ARTIFACTS/cues-ingest-postgres.json"
fi
if part search; then
echo "== search over 1,000,000 cues, PostgreSQL"
psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE tapedeck_search"
SEARCH_DATABASE_URL=${TEST_DATABASE_URL/\/tapedeck_test/\/tapedeck_search}
SEED_DIR=$(mktemp -d)
DATABASE_URL="$SEARCH_DATABASE_URL" TAPEDECK_DATA_DIR="$SEED_DIR" TAPEDECK_LOG_LEVEL=warning "$TAPEDECK" migrate >/dev/null
rm -rf "$SEED_DIR"
echo "seeding (takes a few minutes)..."
seed_started=$(date +%s)
psql "$SEARCH_DATABASE_URL" -q -v ON_ERROR_STOP=1 -f Benchmarks/cues-seed.sql
echo "seeded in $(( $(date +%s) - seed_started )) s"
run search --requests "$REQUESTS" --database-url "$SEARCH_DATABASE_URL" --pg-log "$PG_TMP/log" \
    --answers "$ARTIFACTS/cues-search-answers.json" --json "$ARTIFACTS/cues-search.json"
fi
