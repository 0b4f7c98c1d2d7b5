"""Several `tapedeck serve` processes on one PostgreSQL: each periodic task runs on one instance
at a time, another takes it over when the holder is killed, and `tapedeck status` and
`/metrics` say who runs what; a job queued on one instance wakes the others' workers at once;
a rolling restart loses no webhook and no job."""
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

import pytest

from livekit_sim import LiveKitSim
from tapedeck_server import Server

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)")

INTERVAL_S = 3


def lease(server, task):
    out = subprocess.run(["psql", server.postgres.url, "-AtF", "|", "-c",
                          f"SELECT holder, lease_until, runs, last_started_at FROM task_leases WHERE name = '{task}'"],
                         check=True, capture_output=True, text=True).stdout.strip()
    if not out:
        return None
    holder, until, runs, started = out.split("|")
    return {"holder": holder, "until": int(until), "runs": int(runs), "started": int(started or 0)}


def wait(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_one_runner_per_task_and_takeover_after_kill():
    sim = LiveKitSim(None)  # a provider to reconcile, so the reconciler has its interval
    egress = tempfile.mkdtemp(prefix="tapedeck-cluster-egress-")
    env = {**sim.env(), "TAPEDECK_EGRESS_DIR": egress, "TAPEDECK_RECONCILE_INTERVAL_S": str(INTERVAL_S)}
    first = Server(database="postgres", env=env, name="cluster-a").start()
    second = Server(database="sqlite", env={**env, "DATABASE_URL": first.postgres.url}, name="cluster-b")
    try:
        second.start()
        servers = [first, second]
        held = wait(lambda: lease(first, "reconciler"), 20, "a reconciler lease")
        # Over 5 intervals the task runs about 5 times, not twice as often: one runner.
        start_runs = lease(first, "reconciler")["runs"]
        time.sleep(5 * INTERVAL_S)
        runs = lease(first, "reconciler")["runs"] - start_runs
        assert 3 <= runs <= 6, runs
        # Both instances are alive, and status names the holder.
        status = first.cli("status").stdout
        assert status.count("  serve  ") == 2, status
        holder = lease(first, "reconciler")["holder"]
        assert f"reconciler  held by {holder}" in status, status
        metrics = first.get("/metrics").text + second.get("/metrics").text
        assert f'tapedeck_periodic_task_holder{{task="reconciler",instance="{holder}"}} 1' in metrics
        assert "tapedeck_instances_alive 2" in metrics
        # kill -9 the holder: the other instance takes the task over within about one interval.
        def own_instance(server):
            line = next(l for l in server.get("/metrics").text.splitlines() if l.startswith("tapedeck_instance_info{"))
            return line.split('instance="')[1].split('"')[0]
        victim = next(s for s in servers if own_instance(s) == holder)
        survivor = second if victim is first else first
        killed_at = time.time()
        victim.stop(kill=True)
        taken = wait(lambda: (l := lease(first, "reconciler")) and l["holder"] != holder and l, 6 * INTERVAL_S, "a takeover")
        took = time.time() - killed_at
        assert took <= 2 * INTERVAL_S + 1, took
        assert f'instance="{taken["holder"]}"' in survivor.get("/metrics").text
        # And it keeps running there.
        before = lease(first, "reconciler")["runs"]
        wait(lambda: lease(first, "reconciler")["runs"] > before, 3 * INTERVAL_S, "a run on the survivor")
    finally:
        second.close()
        first.close()
        sim.close()
        shutil.rmtree(egress, ignore_errors=True)


def test_local_storage_on_a_second_machine_is_refused_unless_shared():
    first = Server(database="postgres", name="cluster-local")
    try:
        first.cli("migrate")
        # Another machine's instance is alive on this catalog.
        now_ms = int(time.time() * 1000)
        subprocess.run(["psql", first.postgres.url, "-qc",
                        "INSERT INTO instances (id, host, pid, version, role, started_at, seen_at) "
                        f"VALUES ('elsewhere:1:x', 'another-machine', 1, '0.1.0', 'serve', {now_ms}, {now_ms})"], check=True)
        with pytest.raises(RuntimeError):
            first.start(timeout=15)
        with open(first.log_path) as f:
            log = f.read()
        assert "another machine (another-machine" in log and "TAPEDECK_SHARED_DATA_DIR=true" in log, log[-2000:]
        first.stop()
        # Declared shared (an NFS mount on every machine): it starts.
        first.env["TAPEDECK_SHARED_DATA_DIR"] = "true"
        first.start()
        assert first.get("/readyz").status_code == 200
    finally:
        first.close()


def metric(server, name, **labels):
    """Sum of a metric's samples on one instance whose labels include `labels`."""
    total = 0.0
    for line in server.get("/metrics").text.splitlines():
        match = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(3))
    return total


def psql(server, sql):
    return subprocess.run(["psql", server.postgres.url, "-AtF", "|", "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def open_session(sim, room, tapedeck_url=None):
    """room_started and participant_joined for a new room, signed, not yet sent."""
    sim.start_room(room)
    sim.join(room, "person-" + room)
    return [sim.signed(event) for event in sim.take_outbox()]


def test_a_job_queued_on_one_instance_runs_on_the_other_at_once_without_polling():
    """Instance A (one job slot, webhooks all go to it) and B (four slots, no webhooks), both polling
    only every 30 s; every egress start takes the stand-in 0.5 s. A alone would need 6 s for
    twelve rooms; B's worker, woken by PostgreSQL's notifications, takes its share at once."""
    sim = LiveKitSim(None)
    sim.start_answer_delay = 0.5
    egress = tempfile.mkdtemp(prefix="tapedeck-cluster-egress-")
    env = {**sim.env(), "TAPEDECK_EGRESS_DIR": egress, "TAPEDECK_POLICY_START": "always",
           "TAPEDECK_WORKER_POLL_MS": "30000"}
    first = Server(database="postgres", env={**env, "TAPEDECK_WORKER_CONCURRENCY": "1"}, name="wake-a").start()
    second = Server(env={**env, "DATABASE_URL": first.postgres.url}, name="wake-b").start()
    try:
        wait(lambda: metric(first, "tapedeck_job_listener_connected") == 1
             and metric(second, "tapedeck_job_listener_connected") == 1, 10, "both listeners")
        time.sleep(0.5)  # both workers asleep in their 30 s poll
        sim.tapedeck_url = first.base_url
        rooms = [f"wake-{i}" for i in range(12)]
        sessions = {room: open_session(sim, room) for room in rooms}
        sent = time.monotonic()

        def deliver(room):
            with requests.Session() as http:
                for body, token in sessions[room]:
                    assert sim.post_raw(body, token, http).status_code == 200
        with ThreadPoolExecutor(len(rooms)) as pool:
            list(pool.map(deliver, rooms))
        sim.wait(lambda: all(sim.starts_for(room) for room in rooms), timeout=25, what="every start")
        took = max(t for name, t, _ in sim.calls if name == "StartRoomCompositeEgress") - sent
        assert took < 4, f"the last start came {took:.1f} s after the webhooks (A alone: 6 s; polling: 30 s)"
        assert all(len(sim.starts_for(room)) == 1 for room in rooms)
        def completed(server):
            return metric(server, "tapedeck_jobs_processed_total", kind="livekit.start_egress", outcome="completed")
        wait(lambda: completed(first) + completed(second) == 12, 5, "the answers of the last starts")
        on_first, on_second = completed(first), completed(second)
        assert on_second >= 4, (on_first, on_second)
        assert metric(second, "tapedeck_job_notifications_received_total") >= on_second
        assert sim.protocol_errors == []
    finally:
        second.close()
        first.close()
        sim.close()
        shutil.rmtree(egress, ignore_errors=True)


class Balancer:
    """Sends each webhook to a random running instance and, when that one refuses or drops it
    (stopping, or not yet started), to the next, as a load balancer with retries does."""

    def __init__(self, servers):
        self.servers = servers
        self.lock = threading.Lock()
        self.retried = 0

    def post(self, sim, body, token, http):
        order = random.sample(self.servers, len(self.servers))
        for attempt in range(40):
            server = order[attempt % len(order)]
            try:
                response = http.post(server.base_url + "/webhooks/livekit", data=body.encode(), timeout=10,
                                     headers={"Authorization": token, "Content-Type": "application/webhook+json"})
                if response.status_code == 200:
                    return server
                assert response.status_code >= 500, (response.status_code, response.text)
            except requests.ConnectionError:
                pass
            with self.lock:
                self.retried += 1
            time.sleep(0.05 if attempt % len(order) == len(order) - 1 else 0)
        raise AssertionError("no instance accepted a webhook")


def test_rolling_restart_loses_no_webhook_and_no_job():
    """Two instances take sessions through a balancer while one of them is stopped (SIGTERM, with
    egress starts in flight) and started again: every session is recorded exactly once, every
    job finishes."""
    sim = LiveKitSim(None)
    sim.start_answer_delay = 0.2  # starts in flight when the signal comes
    egress = tempfile.mkdtemp(prefix="tapedeck-cluster-egress-")
    env = {**sim.env(), "TAPEDECK_EGRESS_DIR": egress, "TAPEDECK_POLICY_START": "always"}
    first = Server(database="postgres", env=env, name="rolling-a").start()
    second = Server(env={**env, "DATABASE_URL": first.postgres.url}, name="rolling-b").start()
    balancer = Balancer([first, second])
    rooms = [f"rolling-{i:03d}" for i in range(80)]
    failures = []

    def send():
        try:
            with requests.Session() as http:
                for room in rooms:
                    for body, token in open_session(sim, room):
                        balancer.post(sim, body, token, http)
                    # The stand-in's own reports (egress_started, egress_updated) go the same way.
                    for event in sim.take_outbox():
                        balancer.post(sim, *sim.signed(event), http)
                    time.sleep(0.03)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            failures.append(error)
    try:
        sender = threading.Thread(target=send)
        sender.start()
        wait(lambda: len(sim.calls_of("StartRoomCompositeEgress")) >= 15, 30, "the first starts")
        first.stop()  # SIGTERM: stops taking requests, lets running jobs finish
        assert first.process is None
        restarted_at = len(sim.calls_of("StartRoomCompositeEgress"))
        first.start()
        sender.join(timeout=120)
        assert not sender.is_alive() and not failures, failures
        # Reports of the last starts, then every session must be recording, once.
        for event in sim.take_outbox():
            balancer.post(sim, *sim.signed(event), requests.Session())
        sim.wait(lambda: all(sim.starts_for(room) for room in rooms), timeout=30, what="every start")
        assert restarted_at < len(rooms), "the restart came while sessions were still arriving"
        assert {room: len(sim.starts_for(room)) for room in rooms} == {room: 1 for room in rooms}
        counts = dict(line.split("|") for line in psql(first, """
            SELECT rooms.name, COUNT(*) FROM recordings JOIN rooms ON rooms.id = recordings.room_id
            GROUP BY rooms.name""").splitlines())
        assert counts == {room: "1" for room in rooms}
        def all_recording():
            for event in sim.take_outbox():
                balancer.post(sim, *sim.signed(event), requests.Session())
            return psql(first, "SELECT COUNT(*) FROM recordings WHERE status <> 'recording'") == "0"
        try:
            wait(all_recording, 20, "every recording to be recording")
        except AssertionError:
            raise AssertionError(psql(first, "SELECT status, COUNT(*) FROM recordings GROUP BY status")) from None
        wait(lambda: psql(first, "SELECT COUNT(*) FROM jobs WHERE state <> 'done'") == "0", 20, "every job done")
        # The stopped instance's in-flight starts finished, none was left to a lease.
        assert psql(first, "SELECT COUNT(*) FROM jobs WHERE last_error IS NOT NULL") == "0"
        assert balancer.retried > 0, "the balancer met the stopped instance"
        assert sim.protocol_errors == []
    finally:
        second.close()
        first.close()
        sim.close()
        shutil.rmtree(egress, ignore_errors=True)
