"""Sequential request latency at the client, per scenario, with a /healthz baseline in the same
run, and where each request's time went by the server's own `Server-Timing` header
(TAPEDECK_SERVER_TIMING=true): waiting for a pooled connection, statements, writing JSON, the
rest of the handler, and what lies outside the handler (HTTP parsing and writing, the hops
between NIO's event loops and the handler's task, loopback, the Python client).

With several --url, request i goes to instance i mod N."""
import argparse
import json
import random
import statistics
import time

from bench_common import percentile
from load import Client

COMPONENTS = ("pool", "db", "encode", "handler", "outside")


def parse_server_timing(value):
    """{'pool': ms, 'db': ms, 'statements': n, 'encode': ms, 'total': ms} of one header."""
    metrics = {}
    for part in value.split(","):
        fields = [f.strip() for f in part.split(";")]
        metrics[fields[0]] = float(fields[1].removeprefix("dur="))
        if fields[0] == "db" and len(fields) > 2:
            metrics["statements"] = int(fields[2].removeprefix('desc="').split()[0])
    return metrics


def measure(clients, next_path, requests, warmup=200):
    """Each request's client latency and the server's breakdown of it."""
    samples = []
    for index in range(warmup + requests):
        client = clients[index % len(clients)]
        path = next_path()
        start = time.perf_counter_ns()
        client.connection.request("GET", path, headers=client.headers)
        response = client.connection.getresponse()
        response.read()
        elapsed = (time.perf_counter_ns() - start) / 1e6
        if response.status != 200:
            raise SystemExit(f"{path}: {response.status}")
        if index < warmup:
            continue
        timing = response.getheader("Server-Timing")
        if timing is None:
            raise SystemExit("no Server-Timing header: start the server with TAPEDECK_SERVER_TIMING=true")
        server = parse_server_timing(timing)
        samples.append({
            "position": index - warmup, "client": elapsed, "total": server["total"], "pool": server["pool"], "db": server["db"],
            "encode": server["encode"], "statements": server.get("statements", 0),
            "handler": max(0.0, server["total"] - server["pool"] - server["db"] - server["encode"]),
            "outside": max(0.0, elapsed - server["total"]),
        })
    return samples


def summarize(samples):
    client = [s["client"] for s in samples]
    p99 = percentile(client, 99)
    # The slowest 1% at the client against the typical request: which component grew.
    tail = [s for s in samples if s["client"] >= p99]
    result = {
        "requests": len(samples), "p50_ms": round(percentile(client, 50), 3), "p99_ms": round(p99, 3),
        "max_ms": round(max(client), 3), "server_total_p50_ms": round(percentile([s["total"] for s in samples], 50), 3),
        "server_total_p99_ms": round(percentile([s["total"] for s in samples], 99), 3),
        "statements": statistics.median(s["statements"] for s in samples),
        "tail_requests": len(tail),
        # Whether the slowest requests cluster (a burst of other work) or are spread evenly.
        "tail_positions_by_tenth": [sum(1 for s in tail if s["position"] * 10 // len(samples) == t) for t in range(10)],
    }
    for component in COMPONENTS:
        values = [s[component] for s in samples]
        result[f"{component}_p50_ms"] = round(percentile(values, 50), 3)
        result[f"{component}_p99_ms"] = round(percentile(values, 99), 3)
        result[f"{component}_tail_mean_ms"] = round(statistics.fmean(s[component] for s in tail), 3)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", action="append", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rooms", type=int, default=50000)
    parser.add_argument("--label", default="")
    parser.add_argument("--json")
    args = parser.parse_args()
    clients = [Client(url, {"Authorization": f"Bearer {args.key}"}) for url in args.url]

    # Find the cursor of a page 10,000 rows deep by walking there.
    cursor = None
    for _ in range(100):
        page = json.loads(clients[0].get("/v1/recordings?limit=100" + (f"&cursor={cursor}" if cursor else "")))
        cursor = page["next_cursor"]
    deep = f"/v1/recordings?cursor={cursor}"
    assert len(json.loads(clients[0].get(deep))["items"]) == 20

    rng = random.Random(7)
    scenarios = {
        "healthz (baseline)": lambda: "/healthz",
        "GET /v1/recordings?room=X": lambda: f"/v1/recordings?room=room-{rng.randrange(args.rooms)}",
        "GET /v1/recordings (first page)": lambda: "/v1/recordings",
        "GET /v1/recordings (10,000 rows deep)": lambda: deep,
    }
    results = {name: summarize(measure(clients, path, args.requests)) for name, path in scenarios.items()}
    print(f"{args.label}: {len(clients)} instance(s), {args.requests} requests per scenario")
    print("ms at the client; then per component: p50 / p99 / mean over the slowest 1% at the client")
    print(f"{'scenario':38} {'p50':>6} {'p99':>6} {'max':>6} |" + "".join(f" {c:>17}" for c in COMPONENTS))
    for name, r in results.items():
        parts = "".join(
            f" {r[c + '_p50_ms']:5.2f}/{r[c + '_p99_ms']:5.2f}/{r[c + '_tail_mean_ms']:5.2f}" for c in COMPONENTS)
        print(f"{name:38} {r['p50_ms']:6.2f} {r['p99_ms']:6.2f} {r['max_ms']:6.1f} |{parts}")
    print("where the slowest 1% fell, by tenth of each scenario's requests:")
    for name, r in results.items():
        print(f"  {name:36} {' '.join(f'{n:2d}' for n in r['tail_positions_by_tenth'])}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"label": args.label, "instances": len(clients), "scenarios": results}, f, indent=2)


if __name__ == "__main__":
    main()
