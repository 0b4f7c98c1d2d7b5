#!/usr/bin/env bash
# Serving local media: wrk fetching random 64 KiB ranges of one 1 GiB file from Tapedeck's
# signed /media URL and from nginx serving the same file, in one run.
#   Benchmarks/media-vs-nginx.sh [seconds] [connections]
source "$(dirname "$0")/common.sh"
SECONDS_EACH=${1:-15}
CONNECTIONS=${2:-32}
scripts/install-system-packages.sh nginx-light wrk
WORK=$(mktemp -d)
chmod 755 "$WORK"
trap 'kill ${SERVER:-} ${NGINX:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
export TAPEDECK_DATA_DIR="$WORK/data" TAPEDECK_LOG_LEVEL=warning
head -c $((1 << 30)) /dev/urandom > "$WORK/big.bin"
"$TAPEDECK" import "$WORK/big.bin" --room bench > /dev/null 2>&1
rm "$WORK/big.bin"
OBJECT=$(cd "$WORK/data/objects" && find . -type f -name big.bin | sed 's|^\./||')
PORT=$("$PY" Tests/peers/net.py free-port)
NGINX_PORT=$("$PY" Tests/peers/net.py free-port)
"$TAPEDECK" serve --port "$PORT" > "$ARTIFACTS/media-bench-serve.log" 2>&1 &
SERVER=$!
cat > "$WORK/nginx.conf" <<CONF
worker_processes 2;
error_log $WORK/nginx-error.log;
pid $WORK/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    types { application/octet-stream bin; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/data/objects;
    }
}
CONF
nginx -c "$WORK/nginx.conf" -g "daemon off;" &
NGINX=$!
"$PY" Benchmarks/media_vs_nginx.py --tapedeck "http://127.0.0.1:$PORT" --nginx "http://127.0.0.1:$NGINX_PORT" \
    --object "$OBJECT" --secret "$WORK/data/secrets/media-signing.key" --seconds "$SECONDS_EACH" \
    --connections "$CONNECTIONS" --json "$ARTIFACTS/media-vs-nginx.json"
