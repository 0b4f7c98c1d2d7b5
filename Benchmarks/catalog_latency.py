"""Sequential request latency at the client, per scenario, with a /healthz baseline in the same run."""
import argparse
import json
import random

from load import Client


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rooms", type=int, default=50000)
    parser.add_argument("--json")
    args = parser.parse_args()
    client = Client(args.url, {"Authorization": f"Bearer {args.key}"})

    # Find the cursor of a page 10,000 rows deep by walking there.
    cursor = None
    for _ in range(100):
        page = json.loads(client.get("/v1/recordings?limit=100" + (f"&cursor={cursor}" if cursor else "")))
        cursor = page["next_cursor"]
    deep = f"/v1/recordings?cursor={cursor}"
    first_deep = json.loads(client.get(deep))["items"]
    assert len(first_deep) == 20

    rng = random.Random(7)
    scenarios = {
        "healthz (baseline)": lambda: "/healthz",
        "GET /v1/recordings?room=X": lambda: f"/v1/recordings?room=room-{rng.randrange(args.rooms)}",
        "GET /v1/recordings (first page)": lambda: "/v1/recordings",
        "GET /v1/recordings (10,000 rows deep)": lambda: deep,
    }
    results = {name: client.timed(path, args.requests) for name, path in scenarios.items()}
    print(f"{'scenario':40} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, r in results.items():
        print(f"{name:40} {r['p50_ms']:8.3f} {r['p99_ms']:8.3f} {r['max_ms']:8.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
