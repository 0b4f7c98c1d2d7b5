"""Small helpers shared by the test peers, the end-to-end suites and the benchmarks: a free
loopback port, polling until a condition holds, and whether a server's /readyz answers 200.

    python3 Tests/peers/net.py free-port     # prints a free port on 127.0.0.1 (for shell scripts)
"""
import http.client
import os
import socket
import sys
import time
import urllib.request


def free_port():
    """A port on 127.0.0.1 that nothing listens on at the moment of asking.

    When the suites run in several pytest-xdist workers, each worker takes only ports of its
    own class (bit 1 of the port number, modulo the worker count), so two workers never hand out
    the same port between asking and binding."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").lstrip("gw") or 0)
    # Each try is one worker's in `workers`: 1,000 tries fail only if the kernel keeps handing
    # out ports of other classes, which is then worth an error rather than a hang.
    for _ in range(1000):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        # Linux's bind(0) hands out ports of one parity only (odd here; even ones are kept for
        # connect()), so a split on the lowest bit would starve one worker: split on the next.
        if (port >> 1) % workers == worker % workers:
            return port
    raise RuntimeError(f"no free port of worker {worker}'s class ({workers} workers) in 1,000 tries")


def wait_until(condition, what="condition", timeout=30, interval=0.2):
    """Calls `condition` until it returns something truthy and returns that; raises AssertionError
    naming `what` when `timeout` seconds pass first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def is_ready(base_url, timeout=1):
    """True when GET {base_url}/readyz answers 200; False on any other answer or no answer."""
    try:
        with urllib.request.urlopen(base_url + "/readyz", timeout=timeout) as answer:
            return answer.status == 200
    except (OSError, http.client.HTTPException, ValueError):
        return False


if __name__ == "__main__":
    if sys.argv[1:] == ["free-port"]:
        print(free_port())
    else:
        sys.exit(f"usage: {sys.argv[0]} free-port")
