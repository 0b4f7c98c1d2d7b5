"""Several `tapedeck serve` processes on one PostgreSQL: each periodic task runs on one instance
at a time, another takes it over when the holder is killed, and `tapedeck status` and
`/metrics` say who runs what."""
import os
import shutil
import subprocess
import tempfile
import time

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
