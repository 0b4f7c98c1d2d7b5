"""The example deployment of `deploy/`, run: nginx with deploy/nginx/tapedeck.conf in front of
three `tapedeck serve` instances and one `tapedeck worker` on one PostgreSQL, started as the
systemd units start them.

The LiveKit stand-in runs 500 sessions and delivers each webhook to a random instance, one in
ten twice, to two instances at once; the lease holder of the periodic tasks is killed (kill -9)
mid-run. Every session is recorded exactly once, no egress is started twice, every recording
gets ready, each periodic task runs on one instance at a time and is taken over within one
interval. API and playback requests go through nginx: X-Forwarded-For reaches the audit log as
the client's address, /media answers Range requests through it.

Wake-ups are the in-process signal plus polling: a job lands on the instance whose webhook
queued it, or on any other at its next poll (the job lease, shortened here, covers the killed
instance's). Post-processing needs ffmpeg, which the instances are not given here: 500 thumbnails
and storyboards would take most of the time budget and prove nothing about the cluster (the
recordings are `ready` before post-processing, which other suites cover).

TAPEDECK_DEPLOY_SESSIONS sets another number of sessions (500 by default) for a quicker look.
"""
import collections
import concurrent.futures
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse

import pytest
import requests

from deploy_nginx import DeployNginx, nginx_binary
from livekit.protocol import models, webhook
from livekit_sim import LiveKitSim, Outputs
from media import make_hls, make_mp4
from net import wait_until
from tapedeck_server import ARTIFACTS, ROOT, ScratchPostgres, Server, tapedeck_binary

DEPLOY = os.path.join(ROOT, "deploy")
SESSIONS = int(os.environ.get("TAPEDECK_DEPLOY_SESSIONS", "500"))
RECONCILE_INTERVAL_S = 3
JOB_LEASE_S = 5
CLUSTER_TASKS = ("reconciler", "retention", "prune-finished-jobs")

needs_postgres = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)")
needs_nginx = pytest.mark.skipif(not nginx_binary(), reason="needs nginx (the Debian package nginx)")


# MARK: the units and the environment file

def unit(name):
    """A systemd unit's keys by section, every value of a repeated key kept."""
    values = collections.defaultdict(lambda: collections.defaultdict(list))
    section = None
    with open(os.path.join(DEPLOY, name)) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, value = line.split("=", 1)
            values[section][key.strip()].append(value.strip())
    return values


def unit_environment(values, instance=None):
    """The unit's Environment= lines as a dict, with %i replaced by the instance name."""
    env = {}
    for line in values["Service"]["Environment"]:
        key, value = line.split("=", 1)
        env[key] = value.replace("%i", instance or "")
    return env


def env_example():
    env = {}
    with open(os.path.join(DEPLOY, "tapedeck.env.example")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                key, value = line.split("=", 1)
                env[key] = value
    return env


def test_units_and_environment_file_are_valid():
    if shutil.which("systemd-analyze"):
        # verify resolves the units' paths inside --root: the unit directory of this machine's
        # systemd for the targets they name, and a stand-in executable where the binary goes.
        root = tempfile.mkdtemp(prefix="tapedeck-units-")
        try:
            os.makedirs(os.path.join(root, "usr/local/bin"))
            os.makedirs(os.path.join(root, "etc/systemd"))
            os.makedirs(os.path.join(root, "usr/lib/systemd"))
            shutil.copytree("/usr/lib/systemd/system", os.path.join(root, "usr/lib/systemd/system"), symlinks=True)
            shutil.copytree(DEPLOY, os.path.join(root, "etc/systemd/system"),
                            ignore=shutil.ignore_patterns("nginx", "*.md", "*.example"))
            stand_in = os.path.join(root, "usr/local/bin/tapedeck")
            with open(stand_in, "w") as f:
                f.write("#!/bin/sh\n")
            os.chmod(stand_in, 0o755)
            done = subprocess.run(["systemd-analyze", "verify", f"--root={root}",
                                   "tapedeck@8081.service", "tapedeck-worker.service"], capture_output=True, text=True)
            # Unknown keys and bad values are warnings only: any output at all is a failure.
            assert done.returncode == 0 and not done.stdout.strip() and not done.stderr.strip(), done.stdout + done.stderr
        finally:
            shutil.rmtree(root, ignore_errors=True)
    for name, command in (("tapedeck@.service", "serve"), ("tapedeck-worker.service", "worker")):
        values = unit(name)
        service = values["Service"]
        assert service["ExecStart"] == [f"/usr/local/bin/tapedeck {command}"], name
        assert service["EnvironmentFile"] == ["/etc/tapedeck/tapedeck.env"], name
        assert service["Restart"] == ["on-failure"] and service["RestartPreventExitStatus"] == ["78"], name
        for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                           "PrivateTmp": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": ""}.items():
            assert service[key] == [value], (name, key)
        assert service["User"] == ["tapedeck"] and values["Install"]["WantedBy"] == ["multi-user.target"]
    instance = unit_environment(unit("tapedeck@.service"), "8082")
    assert instance["TAPEDECK_PORT"] == "8082" and instance["TAPEDECK_HOST"] == "127.0.0.1"
    # Every setting of the example is one Tapedeck documents; the ones a cluster cannot do without are there.
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    example = env_example()
    for key in example:
        assert f"`{key}`" in readme or f"`{key}," in readme or f", `{key}`" in readme, key
    for key in ("DATABASE_URL", "TAPEDECK_STORAGE", "TAPEDECK_S3_BUCKET", "TAPEDECK_PUBLIC_URL", "TAPEDECK_TRUSTED_PROXIES",
                "TAPEDECK_MEDIA_SECRET", "TAPEDECK_VIEWER_SECRET", "TAPEDECK_WEBHOOK_SEALING_KEY", "LIVEKIT_API_SECRET"):
        assert key in example, key
    assert example["DATABASE_URL"].startswith("postgres://")
    # Secrets are placeholders, never values someone could deploy as they are.
    for key in ("TAPEDECK_MEDIA_SECRET", "TAPEDECK_VIEWER_SECRET", "TAPEDECK_WEBHOOK_SEALING_KEY", "LIVEKIT_API_SECRET",
                "TAPEDECK_S3_SECRET_ACCESS_KEY"):
        assert example[key].startswith("<") and example[key].endswith(">"), key
    # The units set what is per instance; the shared file must not.
    assert not {"TAPEDECK_PORT", "TAPEDECK_HOST", "TAPEDECK_DATA_DIR"} & set(example)
    # Tapedeck reads the file as it is (--config), and refuses it while the keys are placeholders;
    # with the keys filled in (and this machine's catalog instead of the example's host) every
    # other value passes the settings' checks.
    scratch = tempfile.mkdtemp(prefix="tapedeck-env-")
    try:
        bare = {"PATH": os.environ["PATH"], "TAPEDECK_DATA_DIR": scratch, "DATABASE_URL": f"sqlite://{scratch}/c.sqlite"}
        command = [tapedeck_binary(), "migrate", "--status", "--config", os.path.join(DEPLOY, "tapedeck.env.example")]
        refused = subprocess.run(command, env=bare, capture_output=True, text=True)
        assert refused.returncode == 78 and "TAPEDECK_MEDIA_SECRET" in refused.stderr, refused.stderr
        keys = {k: secrets.token_hex(24) for k in ("TAPEDECK_MEDIA_SECRET", "TAPEDECK_VIEWER_SECRET", "TAPEDECK_WEBHOOK_SEALING_KEY")}
        listed = subprocess.run(command, env={**bare, **keys}, capture_output=True, text=True)
        assert listed.returncode == 0 and "0001_" in listed.stdout, listed.stdout + listed.stderr
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# MARK: the cluster

class ClusterSim(LiveKitSim):
    """The stand-in with an outbox per room (sessions run side by side) and each start counted."""

    def __init__(self, outputs):
        super().__init__(outputs)
        self.outboxes = collections.defaultdict(list)
        self.started = collections.defaultdict(list)  # room -> egress ids started
        self.start_seen = threading.Condition(self.lock)

    def queue(self, event):
        with self.lock:
            super().queue(event)
            self.outbox.pop()
            room = event.room.name or event.egress_info.room_name
            self.outboxes[room].append(event)

    def take(self, room):
        with self.lock:
            return self.outboxes.pop(room, [])

    def StartRoomCompositeEgress(self, request):
        info = super().StartRoomCompositeEgress(request)
        with self.lock:
            self.started[request.room_name].append(info.egress_id)
            self.start_seen.notify_all()
        return info

    def wait_started(self, room, timeout):
        with self.lock:
            if not self.start_seen.wait_for(lambda: self.started.get(room), timeout=timeout):
                raise AssertionError(f"{room}: no egress started within {timeout} s")
            return self.started[room][0]


class Delivery:
    """LiveKit sending webhooks to a random instance, one in ten also to a second one at the same
    moment; a delivery the instance does not answer goes to another (LiveKit retries)."""

    def __init__(self, sim, instances):
        self.sim = sim
        self.instances = list(instances)
        self.alive = list(instances)
        self.lock = threading.Lock()
        self.local = threading.local()
        self.twins = concurrent.futures.ThreadPoolExecutor(max_workers=8)
        self.deliveries = collections.Counter()

    def remove(self, instance):
        with self.lock:
            self.alive.remove(instance)

    def session(self):
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def post_once(self, url, body, token, session=None):
        http = session or requests
        return http.post(url + "/webhooks/livekit", data=body, timeout=30,
                         headers={"Authorization": token, "Content-Type": "application/webhook+json"})

    def post(self, body, token, first, session=None):
        """Posts to `first`, then to others while an instance does not answer; the status code."""
        tried = []
        target = first
        for _ in range(10):
            tried.append(target)
            try:
                answer = self.post_once(target.base_url, body, token, session)
                if answer.status_code < 500:
                    return answer.status_code
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
            with self.lock:
                others = [i for i in self.alive if i is not target] or self.alive
                target = random.choice(others)
        raise AssertionError(f"webhook not accepted by any of {[t.base_url for t in tried]}")

    def deliver(self, events):
        for event in events:
            body, token = self.sim.signed(event)
            body = body.encode()
            with self.lock:
                twice = random.random() < 0.1 and len(self.alive) >= 2
                targets = random.sample(self.alive, 2) if twice else [random.choice(self.alive)]
            if twice:
                together = threading.Barrier(2)

                def post_with(target):
                    together.wait()
                    return self.post(body, token, target)
                statuses = list(self.twins.map(post_with, targets))
                self.deliveries["twice"] += 1
            else:
                statuses = [self.post(body, token, targets[0], self.session())]
                self.deliveries["once"] += 1
            assert statuses == [200] * len(statuses), (event.event, statuses)


class Worker:
    """`tapedeck worker`, as tapedeck-worker.service starts it."""

    def __init__(self, env, args, name):
        self.env = env
        self.log_path = os.path.join(ARTIFACTS, f"{name}.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([tapedeck_binary(), *args], env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        cwd=env["TAPEDECK_DATA_DIR"])

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def psql(url, sql):
    out = subprocess.run(["psql", url, "-AtF", "|", "-c", sql], check=True, capture_output=True, text=True).stdout
    return [tuple(line.split("|")) for line in out.splitlines() if line]


def periodic_runs(log_paths):
    """Every periodic task run the instances logged: (task, instance, started_ms, finished_ms or None)."""
    runs = {}
    for path in log_paths:
        with open(path) as f:
            for line in f:
                if not line.startswith("{") or '"periodic task ' not in line:
                    continue
                entry = json.loads(line)
                key = (entry["task"], entry["instance"])
                if entry["message"] == "periodic task started":
                    runs.setdefault(key, []).append([int(entry["at_ms"]), None])
                elif entry["message"] == "periodic task finished":
                    runs[key][-1][1] = int(entry["at_ms"])
    return [(task, instance, start, end) for (task, instance), spans in runs.items() for start, end in spans]


def lease(url, task):
    rows = psql(url, f"SELECT holder, runs FROM task_leases WHERE name = '{task}'")
    return {"holder": rows[0][0], "runs": int(rows[0][1])} if rows else None


class FromAddress(http.client.HTTPConnection):
    """A client on another loopback address than nginx's own (127.0.0.2), so the address the
    audit log names can only have come through X-Forwarded-For."""

    def __init__(self, base_url):
        parts = urllib.parse.urlsplit(base_url)
        super().__init__(parts.hostname, parts.port, timeout=10, source_address=("127.0.0.2", 0))


@pytest.fixture
def outputs():
    directory = tempfile.mkdtemp(prefix="tapedeck-deploy-media-")
    # Small media: 500 sessions write and ingest it; what is measured is the cluster, not the bytes.
    mp4 = make_mp4(os.path.join(directory, "egress.mp4"), seconds=2, size="160x90", gop=30)
    make_hls(mp4, os.path.join(directory, "hls"), segment_seconds=1)
    yield Outputs(mp4, os.path.join(directory, "hls"))
    shutil.rmtree(directory, ignore_errors=True)


@needs_postgres
@needs_nginx
def test_deploy_cluster_through_nginx(outputs):
    began = time.monotonic()
    sim = ClusterSim(outputs)
    database = ScratchPostgres()
    shared = tempfile.mkdtemp(prefix="tapedeck-deploy-")
    egress = os.path.join(shared, "egress")
    os.makedirs(egress)
    serve_unit, worker_unit = unit("tapedeck@.service"), unit("tapedeck-worker.service")
    example = env_example()
    # The environment file of deploy/, as a test can have it: this PostgreSQL, local storage on one
    # disk all instances share (so /media can be played through nginx), the example's trusted proxies.
    cluster_env = {
        **sim.env(), "DATABASE_URL": database.url,
        "TAPEDECK_STORAGE": "local", "TAPEDECK_LOCAL_ROOT": os.path.join(shared, "objects"), "TAPEDECK_EGRESS_DIR": egress,
        "TAPEDECK_TRUSTED_PROXIES": example["TAPEDECK_TRUSTED_PROXIES"],
        "TAPEDECK_MEDIA_SECRET": secrets.token_hex(24), "TAPEDECK_VIEWER_SECRET": secrets.token_hex(24),
        "TAPEDECK_WEBHOOK_SEALING_KEY": secrets.token_hex(24),
        "TAPEDECK_RECONCILE_INTERVAL_S": str(RECONCILE_INTERVAL_S), "TAPEDECK_JOB_LEASE_SECONDS": str(JOB_LEASE_S),
        "TAPEDECK_LOG_FORMAT": "json", "TAPEDECK_LOG_LEVEL": "debug",
        # No ffmpeg for the instances (see the module's docstring): a PATH with nothing on it.
        "PATH": os.path.join(shared, "no-tools"),
    }
    os.makedirs(cluster_env["PATH"])
    servers, worker, nginx = [], None, None
    try:
        migrate = subprocess.run([tapedeck_binary(), "migrate"], env={**os.environ, **cluster_env,
                                 "TAPEDECK_DATA_DIR": shared}, capture_output=True, text=True)
        assert migrate.returncode == 0, migrate.stderr
        for n in range(3):
            server = Server(env=cluster_env, name=f"deploy-serve-{n}")
            server.env.update(unit_environment(serve_unit, str(server.port)))
            server.env["TAPEDECK_DATA_DIR"] = os.path.join(server.directory, "data")  # the unit's /var/lib/tapedeck/%i
            servers.append(server)
        nginx = DeployNginx([s.port for s in servers], ARTIFACTS).start()
        for server in servers:
            server.env["TAPEDECK_PUBLIC_URL"] = nginx.base_url
            server.start()
        worker_dir = tempfile.mkdtemp(prefix="tapedeck-deploy-worker-", dir=shared)
        worker_env = {**os.environ, **cluster_env, **unit_environment(worker_unit), "TAPEDECK_DATA_DIR": worker_dir,
                      "TAPEDECK_PUBLIC_URL": nginx.base_url}
        worker = Worker(worker_env, worker_unit["Service"]["ExecStart"][0].split()[1:], "deploy-worker")
        admin = {"Authorization": f"Bearer {servers[0].admin_key}"}
        through = requests.Session()
        assert through.get(nginx.base_url + "/readyz", timeout=10).status_code == 200
        assert through.get(nginx.base_url + "/metrics", timeout=10).status_code == 404
        wait_until(lambda: all(lease(database.url, t) for t in CLUSTER_TASKS), what="every task leased", timeout=20)

        delivery = Delivery(sim, servers)
        rooms = [f"deploy-{i:04d}" for i in range(SESSIONS)]
        done_sessions = []
        done_lock = threading.Lock()
        api_clients = threading.local()

        def session(room):
            sim.start_room(room)
            sim.join(room, f"host-{room}", host=True)
            delivery.deliver(sim.take(room))
            # The job lands where the webhook did; if that instance is killed meanwhile, another
            # takes the job over when its lease runs out.
            sim.wait_started(room, timeout=JOB_LEASE_S * 6)
            delivery.deliver(sim.take(room))  # egress_started, egress_updated (active)
            time.sleep(random.uniform(0, 0.3))
            sim.finish_room(room)  # outputs written, then ending, ended, room_finished
            delivery.deliver(sim.take(room))
            # The API through nginx, while instances come and go: the session's one recording.
            if not hasattr(api_clients, "session"):
                api_clients.session = requests.Session()
            listed = api_clients.session.get(nginx.base_url + "/v1/recordings", params={"room": room}, headers=admin,
                                             timeout=30)
            assert listed.status_code == 200 and len(listed.json()["items"]) == 1, (room, listed.status_code, listed.text)
            with done_lock:
                done_sessions.append(room)

        # Who holds the tasks, and so is killed mid-run; instance ids are host:pid:random.
        holder = lease(database.url, "reconciler")["holder"]
        [victim] = [s for s in servers if f":{s.process.pid}:" in holder]
        kill = {}

        def killer():
            wait_until(lambda: len(done_sessions) >= SESSIONS * 2 // 5, what="sessions before the kill", timeout=240,
                       interval=0.05)
            delivery.remove(victim)
            kill["at_ms"] = int(time.time() * 1000)
            victim.process.send_signal(signal.SIGKILL)
            kill["sessions_done"] = len(done_sessions)
            taken = wait_until(lambda: (l := lease(database.url, "reconciler")) and l["holder"] != holder and l,
                               what="the reconciler taken over", timeout=4 * RECONCILE_INTERVAL_S, interval=0.05)
            kill["taken_ms"] = int(time.time() * 1000)
            kill["new_holder"] = taken["holder"]

        killing = threading.Thread(target=killer)
        killing.start()
        with concurrent.futures.ThreadPoolExecutor(max_workers=24) as pool:
            for future in [pool.submit(session, room) for room in rooms]:
                future.result()
        killing.join()
        delivered_s = time.monotonic() - began

        # Every session recorded exactly once, and ready; LiveKit asked for one egress per session.
        def statuses():
            return dict(psql(database.url, "SELECT status, COUNT(*) FROM recordings GROUP BY status"))
        try:
            wait_until(lambda: statuses().get("ready") == str(SESSIONS), what="every recording ready", timeout=90)
        except AssertionError:
            raise AssertionError(f"recordings by status: {statuses()}")
        per_room = psql(database.url, "SELECT r.name, COUNT(*), MIN(c.status) FROM recordings c JOIN rooms r ON r.id = c.room_id GROUP BY r.name")
        assert sorted(r[0] for r in per_room) == rooms
        assert all(count == "1" and status == "ready" for _, count, status in per_room)
        assert {room: len(sim.started[room]) for room in rooms} == {room: 1 for room in rooms}
        assert sim.protocol_errors == []
        assert delivery.deliveries["twice"] > 0
        # The worker took part: alive (heartbeats) beside the instances.
        roles = psql(database.url, "SELECT role, COUNT(*) FROM instances GROUP BY role ORDER BY role")
        assert roles == [("serve", "3"), ("worker", "1")], roles
        # Nothing lost: no job gave up; every egress's files are in the shared store.
        assert psql(database.url, "SELECT COUNT(*) FROM jobs WHERE state = 'dead'") == [("0",)]
        assets = dict(psql(database.url, "SELECT kind, COUNT(*) FROM assets GROUP BY kind"))
        assert assets.get("mp4") == str(SESSIONS) and assets.get("hls") == str(SESSIONS), assets

        # The kill: another instance held the reconciler within one interval, and ran it in time.
        assert kill["new_holder"] != holder
        took_s = (kill["taken_ms"] - kill["at_ms"]) / 1000
        # One interval, and a second of slack for a loaded machine's scheduling (the lease lasts two
        # checks of a third of the interval each, then the next check takes it).
        assert took_s <= RECONCILE_INTERVAL_S + 1.0, took_s
        runs = periodic_runs([s.log_path for s in servers])
        now_ms = int(time.time() * 1000)
        # Each periodic task ran on one instance at a time: no two runs overlap, across instances
        # (a run without its end ended with the kill, or is still going on).
        for task in CLUSTER_TASKS:
            spans = sorted((start, end or (kill["at_ms"] if instance == holder else now_ms), instance)
                           for t, instance, start, end in runs if t == task)
            assert spans, task
            for (start, end, who), (next_start, _, next_who) in zip(spans, spans[1:]):
                assert next_start >= end, (task, who, next_who, start, end, next_start)
            if task != "reconciler":  # hourly and daily: once for the whole cluster
                assert len(spans) == 1, (task, spans)
        reconciles = sorted((start, instance) for t, instance, start, _ in runs if t == "reconciler")
        gaps = [(b - a) / 1000 for (a, _), (b, _) in zip(reconciles, reconciles[1:])]
        assert min(gaps) >= RECONCILE_INTERVAL_S * 0.99 - 0.05, gaps
        holders = [instance for _, instance in reconciles]
        assert holders[0] == holder and holders[-1] == kill["new_holder"]
        assert holders.count(holder) + holders.count(kill["new_holder"]) == len(holders)
        first_after = next(start for start, instance in reconciles if instance != holder)
        assert (first_after - kill["at_ms"]) / 1000 <= RECONCILE_INTERVAL_S + 1.0
        # The catalog counted the same runs (one more at most: the victim killed between the two).
        counted = lease(database.url, "reconciler")["runs"]
        assert len(reconciles) <= counted <= len(reconciles) + 1, (counted, len(reconciles))

        # nginx with the killed instance still in its upstream list: every request is answered
        # (a refused connection moves on to the next instance and counts against the dead one),
        # webhooks too (one delivery sent four times: taken once, then recognised as a duplicate
        # whichever instance gets it).
        for _ in range(20):
            assert through.get(nginx.base_url + "/healthz", timeout=10).status_code == 200
        event = webhook.WebhookEvent(event="track_published", room=models.Room(name=rooms[0], sid="RM_replayed"),
                                     track=models.TrackInfo(sid="TR_replayed"))
        event.id = "EV_replayed_through_nginx"
        body, token = sim.signed(event)
        outcomes = []
        for _ in range(4):
            answer = through.post(nginx.base_url + "/webhooks/livekit", data=body.encode(), timeout=10,
                                  headers={"Authorization": token, "Content-Type": "application/webhook+json"})
            assert answer.status_code == 200, answer.text
            outcomes.append(answer.json()["status"])
        assert outcomes[0] != "duplicate" and outcomes[1:] == ["duplicate"] * 3, outcomes
        with open(nginx.error_log) as f:
            assert "Connection refused) while connecting to upstream" in f.read()

        # API and playback through nginx.
        listing = through.get(nginx.base_url + "/v1/recordings", params={"room": rooms[7]}, headers=admin, timeout=10)
        assert listing.status_code == 200, listing.text
        [recording] = listing.json()["items"]
        # A viewer token for the session's host (participants may watch their session).
        viewer = f"host-{rooms[7]}"
        token = through.post(nginx.base_url + "/v1/viewer-tokens", json={"sub": viewer}, headers=admin,
                             timeout=10).json()["token"]
        # X-Forwarded-For: nginx appends the client's address; a forged value before it is ignored.
        client = FromAddress(nginx.base_url)
        client.request("GET", f"/v1/recordings/{recording['id']}/playback",
                       headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": "203.0.113.9",
                                "User-Agent": "deploy-viewer/1.0"})
        answer = client.getresponse()
        grant = json.loads(answer.read())
        assert answer.status == 200, grant
        events = through.get(nginx.base_url + f"/v1/recordings/{recording['id']}/events?limit=500", headers=admin,
                             timeout=10).json()["items"]
        [granted] = [e for e in events if e["type"] == "playback.granted" and e["actor"] == f"viewer:{viewer}"]
        assert granted["data"]["ip"] == "127.0.0.2" and granted["data"]["user_agent"] == "deploy-viewer/1.0"
        # /media through nginx: signed links name nginx (TAPEDECK_PUBLIC_URL); Range is answered.
        assert grant["mp4_url"].startswith(nginx.base_url + "/media/")
        ranged = through.get(grant["mp4_url"], headers={"Range": "bytes=100-1123"}, timeout=10)
        assert ranged.status_code == 206, ranged.status_code
        assert ranged.headers["Content-Range"] == f"bytes 100-1123/{len(outputs.mp4)}"
        assert ranged.content == outputs.mp4[100:1124]
        tail = through.get(grant["mp4_url"], headers={"Range": "bytes=-64"}, timeout=10)
        assert tail.status_code == 206 and tail.content == outputs.mp4[-64:]
        playlist = through.get(grant["hls_url"], timeout=10)
        assert playlist.status_code == 200
        segment = next(l for l in playlist.text.splitlines() if l and not l.startswith("#"))
        assert segment.startswith(nginx.base_url + "/media/")
        assert through.get(segment, timeout=10).content in outputs.segment_bytes.values()
        # Bodies: a 10 MiB caption upload reaches Tapedeck (which judges it), a byte more is nginx's 413.
        captions = f"{nginx.base_url}/v1/recordings/{recording['id']}/captions?language=en"
        judged = through.post(captions, data=b"x" * (10 << 20), headers=admin, timeout=30)
        assert judged.status_code in (400, 422) and judged.json()["error"], judged.status_code
        too_big = through.post(captions, data=b"x" * ((10 << 20) + 1), headers=admin, timeout=30)
        assert too_big.status_code == 413 and "nginx" in too_big.text
        total_s = time.monotonic() - began
        print(f"\n{SESSIONS} sessions delivered in {delivered_s:.1f} s, whole test {total_s:.1f} s; "
              f"kill after {kill['sessions_done']} sessions, reconciler taken over in {took_s:.2f} s; "
              f"deliveries {dict(delivery.deliveries)}; reconciler runs {len(reconciles)}")
    finally:
        for server in servers:
            server.close()
        if worker:
            worker.stop()
        if nginx:
            nginx.stop()
        sim.close()
        database.drop()
        shutil.rmtree(shared, ignore_errors=True)
