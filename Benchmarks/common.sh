# Sourced by the benchmark scripts: a release build and the Python venv.
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
