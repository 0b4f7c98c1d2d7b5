#!/usr/bin/env bash
# `tapedeck serve` on the defaults (SQLite, local storage): time from process start to the first
# /readyz 200 (first start on an empty data dir, and restarts), and resident memory when idle.
#   Benchmarks/serve-footprint.sh [runs]
source "$(dirname "$0")/common.sh"
"$PY" Benchmarks/serve_footprint.py --binary "$TAPEDECK" --runs "${1:-10}" --json "$ARTIFACTS/serve-footprint.json"
