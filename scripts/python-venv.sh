#!/usr/bin/env bash
# Creates .venv with the test requirements; reuses it while the requirements are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=scripts/requirements-test.txt
stamp=.venv/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "python venv up to date"
    exit 0
fi
rm -rf .venv
python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -r "$requirements"
echo "$want" > "$stamp"
echo "python venv ready"
