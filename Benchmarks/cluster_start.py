"""Start latency with several instances: three `tapedeck serve` and one `tapedeck worker` on one
PostgreSQL, the LiveKit stand-in of the e2e suite, and signed room_started / participant_joined
webhooks sent to random instances by concurrent clients.

Latency of a session = from just before its participant_joined is sent to the moment the
stand-in receives its StartRoomCompositeEgress (an upper bound of Tapedeck's own: it includes the
webhook's own handling, the loopback hops and the Python client and stand-in, all on the same
cores); "after answer" = from the client having the webhook's 200 to that moment (0 when the
start came first), the part a wake-up can change. Run once with job notifications on and once with TAPEDECK_JOB_NOTIFY=false (polling
every TAPEDECK_WORKER_POLL_MS, and the in-process wake-up of the instance that took the webhook).
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "peers"))
from livekit_sim import LiveKitSim  # noqa: E402
from net import wait_until  # noqa: E402
from tapedeck_server import ScratchPostgres, Server  # noqa: E402
from bench_common import cpu_seconds, latency_summary, percentile  # noqa: E402


def metric_sum(text, name):
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + "{") or line.startswith(name + " "))


def run(args, notify):
    sim = LiveKitSim(None)
    # LiveKit takes a while to answer a start; meanwhile the job holds one of its worker's slots.
    sim.start_answer_delay = args.start_answer_ms / 1000
    egress = tempfile.mkdtemp(prefix="tapedeck-bench-egress-")
    database = ScratchPostgres()
    env = {"TAPEDECK_LOG_LEVEL": "warning", "TAPEDECK_EGRESS_DIR": egress, "TAPEDECK_POLICY_START": "always",
           "DATABASE_URL": database.url, "TAPEDECK_JOB_NOTIFY": "true" if notify else "false",
           "TAPEDECK_WORKER_POLL_MS": str(args.poll_ms), **sim.env()}
    label = "notify" if notify else "poll"
    servers = []
    worker = None
    try:
        for i in range(args.instances):
            servers.append(Server(env=env, name=f"cluster-start-{label}-{i}", artifacts=args.artifacts,
                                  binary=args.binary).start())
        worker_log = open(os.path.join(args.artifacts, f"cluster-start-{label}-worker.log"), "w")
        worker = subprocess.Popen([args.binary, "worker"], env=servers[0].env, cwd=servers[0].directory,
                                  stdout=worker_log, stderr=subprocess.STDOUT)
        # Sessions are signed up front, so the clients only send.
        rooms = [f"start-{i:05d}" for i in range(args.sessions + args.warmup)]
        signed = {}
        for room in rooms:
            sim.start_room(room)
            sim.join(room, "person-" + room)
            started, joined = sim.take_outbox()
            signed[room] = (sim.signed(started), sim.signed(joined))
        time.sleep(1)  # the worker process is up and listening
        sent_at, answered_at, answered = {}, {}, []
        lock = threading.Lock()
        queue = list(enumerate(rooms))
        rng = random.Random(7)
        late = []

        def client():
            with requests.Session() as http:
                while True:
                    with lock:
                        if not queue:
                            return
                        index, room = queue.pop(0)
                        first, second = rng.sample(servers, 2)
                    if args.rate:
                        # Open loop: session i is due at i / rate seconds, whatever the answers.
                        delay = began + index / args.rate - time.monotonic()
                        if delay > 0:
                            time.sleep(delay)
                        else:
                            with lock:
                                late.append(-delay * 1000)
                    (body1, token1), (body2, token2) = signed[room]
                    headers = {"Content-Type": "application/webhook+json"}
                    assert http.post(first.base_url + "/webhooks/livekit", data=body1.encode(), timeout=30,
                                     headers={**headers, "Authorization": token1}).status_code == 200
                    before = time.monotonic()
                    response = http.post(second.base_url + "/webhooks/livekit", data=body2.encode(), timeout=30,
                                         headers={**headers, "Authorization": token2})
                    after = time.monotonic()
                    assert response.status_code == 200, response.text
                    with lock:
                        sent_at[room] = before
                        answered_at[room] = after
                        answered.append((after - before) * 1000)
                    if args.pause_ms:
                        time.sleep(args.pause_ms / 1000)

        cpu_before = {s.process.pid: cpu_seconds(s.process.pid) for s in servers}
        began = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wait_until(lambda: len(sim.calls_of("StartRoomCompositeEgress")) >= len(rooms), "every start", timeout=60,
                   interval=0.05)
        elapsed = time.monotonic() - began
        arrivals = {}
        with sim.lock:
            for name, arrived, request in sim.calls:
                if name == "StartRoomCompositeEgress":
                    arrivals.setdefault(request.room_name, arrived)
            starts = [r.room_name for name, _, r in sim.calls if name == "StartRoomCompositeEgress"]
        assert len(starts) == len(set(starts)), "an egress was started twice"
        assert sim.protocol_errors == [], sim.protocol_errors
        measured = rooms[args.warmup:]
        latencies = [(arrivals[room] - sent_at[room]) * 1000 for room in measured]
        # The start often reaches the stand-in before the client has read the webhook's answer
        # (the job is claimed at the commit, the answer written after it): counted as 0.
        after_answer = [max(0.0, arrivals[room] - answered_at[room]) * 1000 for room in measured]
        metrics = [s.get("/metrics").text for s in servers]
        result = {"notify": notify, "instances": args.instances, "worker_processes": 1, "clients": args.clients,
                  "rate_per_s": args.rate, "sent_late_over_5ms": sum(1 for v in late if v > 5),
                  "poll_ms": args.poll_ms, "start_answer_ms": args.start_answer_ms, **latency_summary(latencies),
                  "p90_ms": round(percentile(latencies, 90), 2),
                  "after_answer_p50_ms": round(percentile(after_answer, 50), 2),
                  "after_answer_p99_ms": round(percentile(after_answer, 99), 2),
                  "started_before_answer": sum(1 for v in after_answer if v == 0),
                  "webhook_answer_p50_ms": round(percentile(answered, 50), 2),
                  "webhook_answer_p99_ms": round(percentile(answered, 99), 2),
                  "sessions_per_s": round(len(rooms) / elapsed, 1),
                  "serve_cpu_s": round(sum(cpu_seconds(p) - c for p, c in cpu_before.items()), 2),
                  "notifications_received": int(sum(metric_sum(m, "tapedeck_job_notifications_received_total")
                                                    for m in metrics)),
                  "notifications_ignored": int(sum(metric_sum(m, "tapedeck_job_notifications_ignored_total")
                                                   for m in metrics)),
                  "start_jobs_per_serve": [int(metric_sum(
                      "\n".join(l for l in m.splitlines() if 'kind="livekit.start_egress"' in l and 'outcome="completed"' in l),
                      "tapedeck_jobs_processed_total")) for m in metrics]}
        result["start_jobs_on_worker_process"] = len(rooms) - sum(result["start_jobs_per_serve"])
        return result
    finally:
        if worker:
            worker.terminate()
            worker.wait(timeout=20)
        for server in servers:
            server.close()
        database.drop()
        sim.close()
        shutil.rmtree(egress, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--artifacts", default=tempfile.gettempdir())
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--pause-ms", type=float, default=0)
    parser.add_argument("--rate", type=float, default=0,
                        help="sessions per second, sent on schedule by the clients (open loop); 0: closed loop")
    parser.add_argument("--poll-ms", type=int, default=1000)
    parser.add_argument("--start-answer-ms", type=float, default=0)
    parser.add_argument("--modes", default="notify,poll")
    parser.add_argument("--json")
    args = parser.parse_args()
    results = []
    for mode in args.modes.split(","):
        result = run(args, notify=(mode == "notify"))
        print(json.dumps(result), flush=True)
        results.append(result)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
