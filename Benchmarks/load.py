"""What the benchmark scripts share to measure a server over HTTP: one request at a time on a
kept-alive connection (latency at the client), and wrk runs (throughput under concurrency)."""
import http.client
import json
import re
import statistics
import subprocess
import time
import urllib.parse

from bench_common import percentile


def summary(samples_ms):
    """p50, p99, max and mean of latencies in milliseconds."""
    return {"requests": len(samples_ms), "p50_ms": round(percentile(samples_ms, 50), 3),
            "p99_ms": round(percentile(samples_ms, 99), 3), "max_ms": round(max(samples_ms), 3),
            "mean_ms": round(statistics.fmean(samples_ms), 3)}


class Client:
    """One kept-alive HTTP/1.1 connection; `get` fails loudly on anything but 200."""

    def __init__(self, base_url, headers=None):
        target = urllib.parse.urlsplit(base_url)
        self.connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        self.headers = headers or {}

    def request(self, method, path, body=None, headers=None):
        """(status, body bytes)."""
        self.connection.request(method, path, body=body, headers={**self.headers, **(headers or {})})
        response = self.connection.getresponse()
        return response.status, response.read()

    def get(self, path, headers=None):
        status, body = self.request("GET", path, headers=headers)
        if status != 200:
            raise SystemExit(f"{path}: {status} {body[:200]!r}")
        return body

    def timed(self, path, requests, warmup=200, headers=None):
        """Latency of `requests` GETs one after another (after `warmup` unmeasured ones); `path`
        is a string or a function giving the next one. Adds the rate this pace gave."""
        next_path = path if callable(path) else (lambda: path)
        for _ in range(warmup):
            self.get(next_path(), headers)
        samples = []
        started = time.perf_counter()
        for _ in range(requests):
            p = next_path()
            start = time.perf_counter_ns()
            self.get(p, headers)
            samples.append((time.perf_counter_ns() - start) / 1e6)
        result = summary(samples)
        result["per_s"] = round(requests / (time.perf_counter() - started))
        return result

    def close(self):
        self.connection.close()


def wrk(url, seconds, connections, script=None, args=()):
    """wrk on one thread against `url` (with a Lua `script` and its arguments): requests/s, p99,
    non-2xx answers and the number of requests."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"] + (["-s", script] if script else []) + [url]
    if args:
        command += ["--", *args]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"per_s": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))),
            "p99_ms": round(float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)], 2),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "requests": int(re.search(r"(\d+) requests in", out).group(1))}


def report(result, path=None):
    """Prints a benchmark's result as one JSON line and writes it to `path` (artifacts/*.json)."""
    print(json.dumps(result))
    if path:
        with open(path, "w") as f:
            json.dump(result, f, indent=1)
