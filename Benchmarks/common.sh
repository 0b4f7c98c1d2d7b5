# Sourced by the benchmark scripts: a release build, the Python venv, and for the scripts that
# compare with `aws s3 cp`: `need_awscli` and `start_s3`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export ARTIFACTS=${ARTIFACTS:-$ROOT/artifacts}
mkdir -p "$ARTIFACTS"
scripts/python-venv.sh >/dev/null
PY="$ROOT/.venv/bin/python"
echo "building release binary..."
swift build -c release --product tapedeck > "$ARTIFACTS/release-build.log" 2>&1 || {
    tail -30 "$ARTIFACTS/release-build.log"; exit 1; }
TAPEDECK="$(swift build -c release --show-bin-path)/tapedeck"
export TAPEDECK

# `aws` on PATH: the machine's, else one installed into a venv of its own.
need_awscli() {
    if ! command -v aws >/dev/null; then
        python3 -m venv .venv-awscli && .venv-awscli/bin/pip install -q awscli && export PATH="$ROOT/.venv-awscli/bin:$PATH"
    fi
}

# A plain moto S3 server (TEST_S3_ENDPOINT, TEST_S3_BUCKET) and a scratch folder (WORK), both
# removed on exit. moto spools large objects to temporary files, in MOTO_TMPDIR if set.
start_s3() {
    WORK=$(mktemp -d)
    S3_PEER_PIDS=
    trap '[ -z "$S3_PEER_PIDS" ] || "$PY" Tests/peers/s3_peers.py stop $S3_PEER_PIDS; rm -rf "$WORK"' EXIT
    eval "$(TMPDIR=${MOTO_TMPDIR:-${TMPDIR:-/tmp}} "$PY" Tests/peers/s3_peers.py start-plain "$ARTIFACTS")"
}
