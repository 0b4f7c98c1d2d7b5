#!/usr/bin/env bash
# HLS from a 1-hour 720p MP4 by remux: the post-processing job's own time (from /metrics) next to
# the same ffmpeg steps (probe, thumbnail, HLS remux, storyboard) run by hand here.
#   Benchmarks/remux.sh [runs]
source "$(dirname "$0")/common.sh"
scripts/install-system-packages.sh ffmpeg
"$PY" Benchmarks/remux_bench.py --binary "$TAPEDECK" --runs "${1:-3}" --json "$ARTIFACTS/remux.json"
