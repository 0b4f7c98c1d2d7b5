#!/usr/bin/env bash
# 100ms: a peer's join to the recorder's start request over N sessions (SQLite); then the copy-in
# of a 2 GiB MP4 from 100ms' presigned URLs into S3 (moto), against `curl -o` plus `aws s3 cp` of
# the same file to the same bucket in the same run: time and Tapedeck's peak resident memory.
#   Benchmarks/hms.sh [sessions] [copy-runs] [size-MiB]
source "$(dirname "$0")/common.sh"
SESSIONS=${1:-1000}
RUNS=${2:-2}
SIZE_MIB=${3:-2048}
need_awscli
# moto writes each completed multipart object out again as one temporary file, while the client
# waits: kept in memory, so that the shared machine's disk adds no noise of its own (on disk, one
# CompleteMultipartUpload took 37 s where the others took 6 to 10).
[ -d /dev/shm ] && MOTO_TMPDIR=${MOTO_TMPDIR:-/dev/shm}
start_s3
run() { "$PY" Benchmarks/hms_bench.py "$@" --binary "$TAPEDECK" --artifacts "$ARTIFACTS"; }
echo "== join to start request, SQLite, $SESSIONS sessions"
run start-latency --sessions "$SESSIONS" --json "$ARTIFACTS/hms-start-latency.json"
echo "== copy-in of a $SIZE_MIB MiB MP4 into S3 (moto), $RUNS runs, against curl + aws s3 cp"
run copy --runs "$RUNS" --size-mib "$SIZE_MIB" --endpoint "$TEST_S3_ENDPOINT" --bucket "$TEST_S3_BUCKET" --work "$WORK" \
    --json "$ARTIFACTS/hms-copy.json"
