#!/usr/bin/env bash
# Upload of one 2 GiB file to the same S3 server (moto on 127.0.0.1) by `tapedeck import` and by
# `aws s3 cp`, alternating, in one run: client CPU seconds per GiB and peak resident memory.
#   Benchmarks/upload-vs-awscli.sh [runs-each] [size-MiB]
source "$(dirname "$0")/common.sh"
RUNS=${1:-3}
SIZE_MIB=${2:-2048}
need_awscli
start_s3
echo "writing a ${SIZE_MIB} MiB file..."
head -c "$((SIZE_MIB << 20))" /dev/urandom > "$WORK/recording.mp4"
"$PY" Benchmarks/upload_vs_awscli.py --tapedeck "$TAPEDECK" --file "$WORK/recording.mp4" --endpoint "$TEST_S3_ENDPOINT" \
    --bucket "$TEST_S3_BUCKET" --work "$WORK" --runs "$RUNS" --json "$ARTIFACTS/upload-vs-awscli.json"
