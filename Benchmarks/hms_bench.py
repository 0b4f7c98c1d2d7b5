"""100ms benchmarks against a running `tapedeck serve` and the strict 100ms stand-in of the e2e suite.

    start-latency: for each of N sessions (a room of its own, policy `always`), its
      session.open.success, then its peer.join.success, both with the secret header; latency = from
      just before the join is sent to the moment `POST /v2/recordings/room/{room_id}/start` arrives
      at the stand-in (an upper bound of Tapedeck's own latency: it includes the loopback hops and
      the Python client and server).
    copy: a recording 100ms made and serves through presigned URLs, an MP4 grown to 2 GiB (see
      media.pad_mp4); time from just before beam.recording.success is sent until Tapedeck lists the
      recording `ready` (copied into S3, its size checked), with Tapedeck's resident memory sampled
      throughout. The baseline, in the same run: `curl -o` of a presigned URL of the same file to
      disk, then `aws s3 cp` of that file into the same bucket. The two take turns at going first,
      each starts after a `sync`, and one untimed upload warms moto up before the first run.
      Tapedeck runs without ffmpeg on its PATH, so that post-processing (which on S3 fetches the
      file again) stays out of the figures.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "peers"))
from hms_standin import HMSStandin  # noqa: E402
from media import make_mp4, pad_mp4  # noqa: E402
from net import wait_until  # noqa: E402
from s3_peers import client, tapedeck_env  # noqa: E402
from tapedeck_server import Server  # noqa: E402
from bench_common import cpu_seconds, latency_summary, memory, timed  # noqa: E402

ACCESS_KEY, SECRET = "hms-bench-access-key", "hms-bench-app-secret-long-enough"
WEBHOOK_SECRET = "hms-bench-webhook-secret"
# The reconciler must not ask 100ms about quiet recordings meanwhile: only the webhooks sent here count.
QUIET = {"TAPEDECK_LOG_LEVEL": "warning", "TAPEDECK_POLICY_START": "always", "TAPEDECK_RECONCILE_AFTER_S": "86400"}


def serve(args, standin, name, env=None):
    server = Server(env={**standin.env(), **QUIET, **(env or {})}, name=name, artifacts=args.artifacts,
                    binary=args.binary).start()
    standin.webhook_url = server.base_url + "/webhooks/100ms"
    return server


def arrival(standin, since, method, path, timeout=10):
    """The arrival time of the first `method path` call after the first `since` calls."""
    def find():
        with standin.lock:
            return next((call[5] for call in standin.calls[since:] if call[0] == method and call[1] == path), None)
    return wait_until(find, what=f"{method} {path}", timeout=timeout, interval=0.0002)


def start_latency(args):
    load = os.getloadavg()[0]  # the machine is shared: its load is part of the result
    standin = HMSStandin(ACCESS_KEY, SECRET, webhook_secret=WEBHOOK_SECRET).start()
    tapedeck = serve(args, standin, "hms-bench-start")
    session = requests.Session()
    latencies = []
    for i in range(args.sessions + args.warmup):
        room_id = standin.add_room(name=f"bench-{i:05d}", hosted=True)
        standin.open_session(room_id)
        standin.peer_join(room_id, f"person-{i}", f"Person {i}", "guest")
        opened, joined = standin.take_outbox()
        assert standin.post_once(opened, session)[1].status_code == 200
        since = len(standin.calls)
        sent, answer = standin.post_once(joined, session)
        assert answer.status_code == 200, answer.text
        arrived = arrival(standin, since, "POST", f"/v2/recordings/room/{room_id}/start")
        if i >= args.warmup:
            latencies.append((arrived - sent) * 1000)
    assert standin.protocol_errors == [], standin.protocol_errors
    tapedeck.close()
    standin.close()
    return {**latency_summary(latencies), "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1)}


class PeakMemory:
    """Samples a process's VmRSS every `interval` seconds until stopped."""

    def __init__(self, pid, interval=0.01):
        self.pid, self.interval, self.peak = pid, interval, 0.0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()

    def sample(self):
        while not self.stopped.is_set():
            self.peak = max(self.peak, memory(self.pid)["VmRSS"])
            time.sleep(self.interval)

    def stop(self):
        self.stopped.set()
        self.thread.join()
        return self.peak


def recorded_and_processing(standin, tapedeck, room, source):
    """Drives one session through Tapedeck until 100ms has the finished file and Tapedeck waits
    for it (`processing`); returns (the composite's asset id, the beam.recording.success not yet sent)."""
    room_id = standin.add_room(name=room, hosted=True)
    standin.open_session(room_id)
    standin.peer_join(room_id, "ada", "Ada", "guest")
    standin.flush()
    [hms] = wait_until(lambda: standin.recordings_in(room_id), what="a start request", timeout=20)
    standin.advance(hms["id"], "running")
    standin.flush()
    standin.peer_leave(room_id, "ada")
    standin.flush()
    wait_until(lambda: standin.calls_to(rf"/recordings/{hms['id']}/stop|/room/{room_id}/stop", "POST"),
               what="a stop request", timeout=20)
    standin.flush()  # beam.stopped.success: Tapedeck asks, hears `stopping`, and waits
    wait_until(lambda: status(tapedeck, room) == "processing", what="processing", timeout=20)
    # The stop and the webhook each queued a look at 100ms: one still to run would find the
    # recording complete and start the copy before the timed webhook.
    wait_until(lambda: no_sync_pending(tapedeck), what="no sync job left", timeout=20, interval=0.05)
    made = standin.complete(hms["id"], source)
    [success] = standin.take_outbox(types=("beam.recording.success",))
    return made["room-composite"], success


def no_sync_pending(tapedeck):
    """No look at 100ms queued or running, as `/metrics` counts them (a stop job may wait: for a
    recording already `processing` it does nothing)."""
    metrics = tapedeck.get("/metrics").text
    return not re.search(r'^tapedeck_jobs\{kind="hms.sync_recording",state="(queued|running)"\} [1-9]', metrics, re.M)


def status(tapedeck, room):
    items = tapedeck.get("/v1/recordings", params={"room": room}, headers=tapedeck.admin).json()["items"]
    return items[0]["status"] if items else None


def settled():
    """Starts a measurement with nothing left to write back (the stand-in's copy of the file, the
    previous step's download): otherwise whichever went first paid for the disk's catching up."""
    os.sync()
    return round(os.getloadavg()[0], 1)


def tapedeck_copy(standin, tapedeck, room, success, size):
    load = settled()
    sampler = PeakMemory(tapedeck.process.pid)
    cpu = cpu_seconds(tapedeck.process.pid)
    assert not standin.calls_to(r"/presigned-url$"), "the copy started before the webhook that is timed"
    sent, answer = standin.post_once(success)
    assert answer.status_code == 200, answer.text
    # Polled 20 times a second: more often would take CPU from the copy on a 2-core machine.
    wait_until(lambda: status(tapedeck, room) == "ready", what="ready", timeout=1800, interval=0.05)
    elapsed = time.monotonic() - sent
    cpu = cpu_seconds(tapedeck.process.pid) - cpu
    sampled = sampler.stop()
    peak = memory(tapedeck.process.pid)["VmHWM"]
    [recording] = tapedeck.get("/v1/recordings", params={"room": room}, headers=tapedeck.admin).json()["items"]
    [mp4] = [a for a in recording["assets"] if a["kind"] == "mp4"]
    assert mp4["size_bytes"] == size, mp4
    return {"seconds": round(elapsed, 2), "cpu_s": round(cpu, 2), "peak_rss_mib": round(peak, 1),
            "peak_sampled_rss_mib": round(sampled, 1), "load_before": load}


AWS_ENV = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")


def aws_cp(args, path, key):
    """(wall s, CPU s, peak RSS MiB) of `aws s3 cp` of a file into the bucket."""
    return timed(["aws", "s3", "cp", path, f"s3://{args.bucket}/{key}", "--endpoint-url", args.endpoint, "--no-progress",
                  "--only-show-errors"], AWS_ENV)


def baseline_copy(args, standin, asset_id, work, run, size):
    """`curl -o` of a fresh presigned URL, then `aws s3 cp` of the file into the same bucket."""
    url, _ = standin.presign(standin.assets[asset_id], 3600)
    download = os.path.join(work, "download.mp4")
    load = settled()
    curl = timed(["curl", "-sSf", "-o", download, url], AWS_ENV)
    assert os.path.getsize(download) == size
    aws = aws_cp(args, download, f"baseline/run-{run}.mp4")
    os.unlink(download)
    return {"seconds": round(curl[0] + aws[0], 2), "curl_s": curl[0], "aws_s": aws[0], "cpu_s": round(curl[1] + aws[1], 2),
            "aws_peak_rss_mib": round(aws[2], 1), "load_before": load}


def copy(args):
    work = tempfile.mkdtemp(prefix="hms-bench-copy-", dir=args.work)
    source = pad_mp4(make_mp4(os.path.join(work, "composite.mp4"), seconds=4), args.size_mib << 20)
    size = os.path.getsize(source)
    no_tools = os.path.join(work, "bin")  # a PATH without ffmpeg: no post-processing
    os.makedirs(no_tools)
    s3 = client("s3", args.endpoint)
    # moto keeps uploaded parts in memory and is slower while it first grows to hold a file this
    # large: an untimed upload first, so that the first run's first copy does not pay for it.
    aws_cp(args, source, "warm-up.mp4")
    s3.delete_object(Bucket=args.bucket, Key="warm-up.mp4")
    runs = []
    try:
        for run in range(args.runs):
            standin = HMSStandin(ACCESS_KEY, SECRET, webhook_secret=WEBHOOK_SECRET).start()
            tapedeck = serve(args, standin, f"hms-bench-copy-{run}",
                             {**tapedeck_env(args.endpoint, args.bucket, f"tapedeck-{run}/"), "PATH": no_tools})
            try:
                room = f"copy-{run}"
                asset_id, success = recorded_and_processing(standin, tapedeck, room, source)
                # Alternating which goes first spreads the machine's drift over both.
                if run % 2:
                    measured = {"baseline": baseline_copy(args, standin, asset_id, work, run, size)}
                    measured["tapedeck"] = tapedeck_copy(standin, tapedeck, room, success, size)
                else:
                    measured = {"tapedeck": tapedeck_copy(standin, tapedeck, room, success, size)}
                    measured["baseline"] = baseline_copy(args, standin, asset_id, work, run, size)
                assert standin.protocol_errors == [], standin.protocol_errors
            finally:
                tapedeck.close()
                standin.close()
            stored = {item["Key"]: item["Size"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=args.bucket)
                      for item in page.get("Contents", [])}
            copied = [key for key in stored if key.startswith(f"tapedeck-{run}/") and key.endswith("/recording.mp4")]
            assert len(copied) == 1 and stored[copied[0]] == size, stored
            assert stored[f"baseline/run-{run}.mp4"] == size, stored
            runs.append(measured)
            print(json.dumps({"run": run, **measured}))
            for key in stored:  # moto keeps objects in memory
                s3.delete_object(Bucket=args.bucket, Key=key)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    gib = size / (1 << 30)
    tapedeck_s = statistics.median(r["tapedeck"]["seconds"] for r in runs)
    baseline_s = statistics.median(r["baseline"]["seconds"] for r in runs)
    result = {"file_gib": round(gib, 3), "runs": runs,
              "tapedeck_median_s": round(tapedeck_s, 2), "baseline_median_s": round(baseline_s, 2),
              "tapedeck_mib_per_s": round(size / (1 << 20) / tapedeck_s, 1),
              "baseline_mib_per_s": round(size / (1 << 20) / baseline_s, 1),
              "throughput_ratio": round(baseline_s / tapedeck_s, 2),
              "tapedeck_peak_rss_mib": max(r["tapedeck"]["peak_rss_mib"] for r in runs)}
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["start-latency", "copy"])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--artifacts", default=tempfile.gettempdir())
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--endpoint", help="the S3 server (copy)")
    parser.add_argument("--bucket", help="a bucket on it (copy)")
    parser.add_argument("--work", help="where the source file and the baseline's download go (copy)")
    parser.add_argument("--json")
    args = parser.parse_args()
    result = {"start-latency": start_latency, "copy": copy}[args.mode](args)
    print(json.dumps({key: value for key, value in result.items() if key != "runs"}))  # each run was printed
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
