#!/usr/bin/env bash
# Playback: GET /v1/recordings/{id}/playback with a viewer token over 1,000 recordings next to
# /healthz (same server, same run); then page load to first frame in headless Chromium, HLS and MP4.
#   Benchmarks/playback.sh [seconds] [connections] [page-loads]
source "$(dirname "$0")/common.sh"
SECONDS_EACH=${1:-10}
CONNECTIONS=${2:-16}
LOADS=${3:-11}
scripts/install-system-packages.sh wrk chromium ffmpeg
echo "== playback grants, 1,000 recordings, SQLite"
"$PY" Benchmarks/playback_bench.py api --binary "$TAPEDECK" --artifacts "$ARTIFACTS" --seconds "$SECONDS_EACH" \
    --connections "$CONNECTIONS" --json "$ARTIFACTS/playback-api.json"
echo "== page load to first frame, Chromium, local storage"
"$PY" Benchmarks/playback_bench.py first-frame --binary "$TAPEDECK" --artifacts "$ARTIFACTS" --loads "$LOADS" \
    --json "$ARTIFACTS/playback-first-frame.json"
