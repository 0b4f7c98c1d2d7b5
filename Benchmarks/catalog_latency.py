"""Sequential request latency at the client, per scenario, with a /healthz baseline in the same run."""
import argparse
import http.client
import json
import random
import statistics
import time
import urllib.parse

from bench_common import percentile


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rooms", type=int, default=50000)
    parser.add_argument("--json")
    args = parser.parse_args()
    target = urllib.parse.urlsplit(args.url)
    connection = http.client.HTTPConnection(target.hostname, target.port)
    headers = {"Authorization": f"Bearer {args.key}"}

    def get(path):
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status} {body[:200]!r}")
        return body

    # Find the cursor of a page 10,000 rows deep by walking there.
    cursor = None
    for _ in range(100):
        page = json.loads(get("/v1/recordings?limit=100" + (f"&cursor={cursor}" if cursor else "")))
        cursor = page["next_cursor"]
    deep = f"/v1/recordings?cursor={cursor}"
    first_deep = json.loads(get(deep))["items"]
    assert len(first_deep) == 20

    rng = random.Random(7)
    scenarios = {
        "healthz (baseline)": lambda: "/healthz",
        "GET /v1/recordings?room=X": lambda: f"/v1/recordings?room=room-{rng.randrange(args.rooms)}",
        "GET /v1/recordings (first page)": lambda: "/v1/recordings",
        "GET /v1/recordings (10,000 rows deep)": lambda: deep,
    }
    results = {}
    for name, path in scenarios.items():
        for _ in range(200):
            get(path())
        samples = []
        for _ in range(args.requests):
            p = path()
            start = time.perf_counter_ns()
            get(p)
            samples.append((time.perf_counter_ns() - start) / 1e6)
        results[name] = {
            "requests": len(samples),
            "p50_ms": round(percentile(samples, 50), 3),
            "p99_ms": round(percentile(samples, 99), 3),
            "max_ms": round(max(samples), 3),
            "mean_ms": round(statistics.fmean(samples), 3),
        }
    print(f"{'scenario':40} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, r in results.items():
        print(f"{name:40} {r['p50_ms']:8.3f} {r['p99_ms']:8.3f} {r['max_ms']:8.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
