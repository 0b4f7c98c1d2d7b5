"""Start-to-ready time and idle resident memory of `tapedeck serve` on the defaults."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "peers"))
from net import free_port, is_ready, wait_until  # noqa: E402
from bench_common import memory  # noqa: E402


def start(binary, directory):
    port = free_port()
    began = time.perf_counter()
    process = subprocess.Popen([binary, "serve", "--port", str(port)], cwd=directory,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def ready():
        if process.poll() is not None:
            raise SystemExit("serve exited")
        return is_ready(f"http://127.0.0.1:{port}", timeout=0.5)
    wait_until(ready, what="/readyz", timeout=60, interval=0.002)
    return process, (time.perf_counter() - began) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--idle-seconds", type=float, default=10)
    parser.add_argument("--json")
    args = parser.parse_args()
    first, restart, rss = [], [], []
    for _ in range(args.runs):
        directory = tempfile.mkdtemp()
        try:
            process, elapsed = start(args.binary, directory)   # empty data dir: creates and migrates
            first.append(elapsed)
            process.terminate(); process.wait()
            process, elapsed = start(args.binary, directory)   # existing catalog
            restart.append(elapsed)
            time.sleep(args.idle_seconds)
            rss.append(memory(process.pid))
            process.terminate(); process.wait()
        finally:
            shutil.rmtree(directory)
    result = {
        "first_start_to_ready_ms": {"median": round(statistics.median(first), 1), "max": round(max(first), 1)},
        "restart_to_ready_ms": {"median": round(statistics.median(restart), 1), "max": round(max(restart), 1)},
        "idle_rss_mb": {"median": round(statistics.median(r["VmRSS"] for r in rss), 1),
                        "max": round(max(r["VmRSS"] for r in rss), 1)},
        "peak_rss_mb": round(max(r["VmHWM"] for r in rss), 1),
        "runs": args.runs,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
