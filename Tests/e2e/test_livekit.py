"""LiveKit recording end to end: the real binary, webhooks signed by the official SDK, and a
Twirp stand-in that checks every request strictly (livekit_sim.py)."""
import concurrent.futures
import datetime
import os
import random
import tempfile
import time
import uuid

import pytest
import requests
from hypothesis import HealthCheck, given, settings, strategies as st
from livekit.protocol import egress as egress_pb
from livekit.protocol import models, webhook

from livekit_sim import LiveKitSim, cleanup, make_outputs
from tapedeck_server import Server, database_kinds

TERMINAL = {"ready", "failed", "aborted", "deleted"}


@pytest.fixture(scope="module")
def outputs():
    directory = tempfile.mkdtemp(prefix="tapedeck-egress-media-")
    yield make_outputs(directory)
    cleanup(directory)


class Harness:
    """A LiveKit stand-in and a Tapedeck pointed at it (local storage, a shared egress folder)."""

    def __init__(self, outputs, database="sqlite", env=None, name="livekit"):
        self.egress_dir = tempfile.mkdtemp(prefix="tapedeck-egress-")
        self.sim = LiveKitSim(outputs)
        settings_env = {**self.sim.env(), "TAPEDECK_EGRESS_DIR": self.egress_dir}
        settings_env.update(env or {})
        self.server = Server(database=database, env=settings_env, name=name).start()
        self.sim.tapedeck_url = self.server.base_url

    def close(self):
        self.server.close()
        self.sim.close()
        cleanup(self.egress_dir)

    # The catalog, read directly: to prove what was (not) written.
    def rows(self, sql):
        return self.server.rows(sql)

    def count(self, table):
        return int(self.rows(f"SELECT COUNT(*) FROM {table}")[0][0])

    def recordings(self, room):
        response = self.server.get(f"/v1/recordings?room={room}&limit=100", headers=self.server.admin)
        assert response.status_code == 200, response.text
        return response.json()["items"]

    def wait_recordings(self, room, statuses, count=1, timeout=30):
        statuses = {statuses} if isinstance(statuses, str) else set(statuses)

        def done():
            items = self.recordings(room)
            return items if len(items) == count and all(i["status"] in statuses for i in items) else None
        try:
            return self.sim.wait(done, timeout=timeout, what=f"{count} recording(s) of {room} in {statuses}")
        except AssertionError:
            raise AssertionError(f"{room}: {self.recordings(room)}; protocol errors {self.sim.protocol_errors}")

    def wait_latest(self, room, status, timeout=30):
        """Waits for the room's newest recording to reach a status."""
        def done():
            items = self.recordings(room)
            return items[0] if items and items[0]["status"] == status else None
        try:
            return self.sim.wait(done, timeout=timeout, what=f"newest recording of {room} {status}")
        except AssertionError:
            raise AssertionError(f"{room}: {self.recordings(room)}; protocol errors {self.sim.protocol_errors}")

    def wait_start(self, room, count=1):
        try:
            return self.sim.wait(lambda: len(self.sim.starts_for(room)) >= count and self.sim.starts_for(room),
                                 what=f"StartRoomCompositeEgress for {room}")
        except AssertionError:
            raise AssertionError(f"no start for {room}: jobs {self.rows('SELECT kind, state, attempts, last_error FROM jobs')}"
                                 f", recordings {self.recordings(room)}")

    def wait_stop(self, egress_id):
        return self.sim.wait(lambda: any(r.egress_id == egress_id for r in self.sim.calls_of("StopEgress")),
                             what=f"StopEgress of {egress_id}")

    def session_state(self, room):
        return self.rows(
            "SELECT s.key, s.ended_at IS NOT NULL FROM sessions s JOIN rooms r ON r.id = s.room_id "
            f"WHERE r.name = '{room}' ORDER BY s.started_at")


@pytest.fixture(params=database_kinds())
def lk(request, outputs):
    harness = Harness(outputs, database=request.param, name=request.node.name)
    yield harness
    assert harness.sim.protocol_errors == []
    harness.close()


def room_name(prefix="room"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def expected_assets(sim, egress_id):
    """What Tapedeck must end with for an egress: its outputs with the sizes LiveKit reported."""
    info = sim.egresses[egress_id]
    return info, sorted(
        [("mp4", len(sim.outputs.mp4)) for _ in info.file_results]
        + [("hls", len(sim.outputs.renamed("segment")[1].encode())) for _ in info.segment_results])


def check_ready(lk, room, egress_id):
    [recording] = lk.wait_recordings(room, "ready")
    info, assets = expected_assets(lk.sim, egress_id)
    # Post-processing adds a thumbnail (and never a second HLS or MP4): compare the recorder's outputs.
    assert sorted((a["kind"], a["size_bytes"]) for a in recording["assets"] if a["kind"] in ("hls", "mp4")) == assets
    assert recording["duration_ms"] == (info.ended_at - info.started_at) // 1_000_000
    assert recording["error"] is None
    media_bytes = len(lk.sim.outputs.mp4) * len(info.file_results) + \
        sum(map(len, lk.sim.outputs.segment_bytes.values())) * len(info.segment_results)
    assert media_bytes <= recording["size_bytes"] <= media_bytes + 4096
    return recording


def run_session(lk, room, people=("ada",)):
    """room_started, people join and record, all leave, room_finished; returns the egress id."""
    sim = lk.sim
    earlier = len(sim.starts_for(room))
    sim.start_room(room)
    for person in people:
        sim.join(room, person)
    sim.deliver()
    start = lk.wait_start(room, count=earlier + 1)[-1]
    sim.deliver()  # egress_started, egress_updated(active)
    lk.wait_latest(room, "recording")
    info = sim.egress_of(room)[-1]
    for person in people:
        sim.leave(room, person)
    sim.deliver()
    lk.wait_stop(info.egress_id)
    sim.deliver()  # ending, ended
    sim.finish_room(room)
    sim.deliver()
    return start, info.egress_id


def test_plain_session(lk):
    room = room_name("math")
    start, egress_id = run_session(lk, room, people=("ada", "grace"))
    recording = check_ready(lk, room, egress_id)
    # The request: HLS + MP4 in the recording's own folder, {room}/{session_key}/{id[:8]}/, in the
    # shared egress folder, default policy.
    key = f"{room}/{recording['session_key']}/{recording['id'][:8]}/"
    assert start.layout == "grid" and not start.audio_only
    assert [f.filepath for f in start.file_outputs] == [f"{lk.egress_dir}/{key}session.mp4"]
    assert start.file_outputs[0].file_type == egress_pb.EncodedFileType.MP4
    [segments] = start.segment_outputs
    assert segments.playlist_name == f"{lk.egress_dir}/{key}index.m3u8"
    assert segments.filename_prefix == f"{lk.egress_dir}/{key}segment"
    assert segments.segment_duration == 6
    assert sorted(a["key"] for a in recording["assets"] if a["kind"] in ("hls", "mp4")) == [key + "index.m3u8", key + "session.mp4"]
    # Ingested into the store, byte for byte, and the egress folder emptied.
    objects = os.path.join(lk.server.env["TAPEDECK_DATA_DIR"], "objects")
    with open(os.path.join(objects, key, "session.mp4"), "rb") as f:
        assert f.read() == lk.sim.outputs.mp4
    assert sorted(n for n in os.listdir(os.path.join(objects, key)) if n.startswith("segment_")) == \
        [f"segment_{i:05d}.ts" for i in range(len(lk.sim.outputs.segments))]
    lk.sim.wait(lambda: not os.path.exists(os.path.join(lk.egress_dir, key, "session.mp4")), what="egress file removed")
    # The session is closed and the audit trail tells the story.
    lk.sim.wait(lambda: lk.session_state(room) == [(recording["session_key"], "1" if not lk.server.postgres else "t")],
                what="session closed")
    events = lk.server.get(f"/v1/recordings/{recording['id']}/events", headers=lk.server.admin).json()["items"]
    types = [e["type"] for e in events]
    assert "recording.ready" in types or any(e["data"].get("to") == "ready" for e in events), types
    assert len(lk.sim.starts_for(room)) == 1


def test_two_sessions_of_one_room(lk):
    room = room_name("office-hours")
    _, first = run_session(lk, room)
    check_ready(lk, room, first)
    _, second = run_session(lk, room, people=("bob",))
    recordings = lk.wait_recordings(room, "ready", count=2)
    keys = {r["session_key"] for r in recordings}
    assert len(keys) == 2 and all(k.startswith(room + "_") for k in keys)
    assert len({a["key"] for r in recordings for a in r["assets"] if a["kind"] in ("hls", "mp4")}) == 4
    assert len(lk.session_state(room)) == 2


SEQUENCE = ["student joins", "host joins", "host leaves", "student leaves", "room finishes"]
START_STEP = {"always": 0, "when_host_joins": 1, "manual": 1}
STOP_STEP = {"room_empty": 3, "host_left": 2, "room_finished": 4}


@pytest.mark.parametrize("database", database_kinds()[:1])
def test_every_policy_combination(outputs, database):
    harness = Harness(outputs, database=database, name="policies")
    sim, server = harness.sim, harness.server
    try:
        for start_rule in START_STEP:
            for stop_rule in STOP_STEP:
                room = room_name(f"{start_rule}-{stop_rule}".replace("_", ""))
                policy = {"start": start_rule, "stop": stop_rule}
                put = requests.put(f"{server.base_url}/v1/rooms/{room}/policy", json=policy, headers=server.admin)
                assert put.status_code == 200, put.text
                sim.start_room(room)
                sim.deliver()
                egress_id = None
                for step, action in enumerate(SEQUENCE):
                    if action == "student joins":
                        sim.join(room, "student")
                    elif action == "host joins":
                        sim.join(room, "teacher", host=True)
                    elif action == "host leaves":
                        sim.leave(room, "teacher")
                    elif action == "student leaves":
                        sim.leave(room, "student")
                    else:
                        sim.finish_room(room)
                    sim.deliver()
                    if start_rule == "manual" and step == START_STEP["manual"]:
                        started = requests.post(f"{server.base_url}/v1/recordings", json={"room": room},
                                                headers=server.admin)
                        assert started.status_code in (200, 201, 202), started.text
                    if step == START_STEP[start_rule]:
                        harness.wait_start(room)
                        sim.deliver()
                        harness.wait_recordings(room, "recording")
                        [info] = sim.egress_of(room)
                        egress_id = info.egress_id
                    elif step == STOP_STEP[stop_rule] and stop_rule != "room_finished":
                        harness.wait_stop(egress_id)
                        sim.deliver()
                    else:
                        # Nothing may happen on this step: give Tapedeck the chance to do it wrong.
                        time.sleep(0.3)
                    calls = [(name, getattr(r, "room_name", None) or getattr(r, "egress_id", None))
                             for name, _, r in sim.calls if name in ("StartRoomCompositeEgress", "StopEgress")]
                    starts = [c for c in calls if c == ("StartRoomCompositeEgress", room)]
                    stops = [c for c in calls if c == ("StopEgress", egress_id)]
                    assert len(starts) == (1 if step >= START_STEP[start_rule] else 0), (start_rule, stop_rule, action)
                    expect_stop = 1 if step >= STOP_STEP[stop_rule] and stop_rule != "room_finished" else 0
                    assert len(stops) == expect_stop or (stop_rule == "room_finished" and len(stops) <= 1), \
                        (start_rule, stop_rule, action, stops)
                sim.deliver()
                check_ready(harness, room, egress_id)
        assert sim.protocol_errors == []
    finally:
        harness.close()


def test_hosts_by_identity_list_and_metadata_role(lk):
    sim, server = lk.sim, lk.server
    room = room_name("seminar")
    policy = {"start": "when_host_joins", "stop": "host_left", "hosts": ["prof-7"], "host_roles": ["teacher"]}
    assert requests.put(f"{server.base_url}/v1/rooms/{room}/policy", json=policy,
                        headers=server.admin).status_code == 200
    sim.start_room(room)
    sim.join(room, "student")
    sim.join(room, "visitor", host=True)  # role "host" is not one of this room's host roles
    sim.deliver()
    time.sleep(0.5)
    assert sim.starts_for(room) == []
    sim.join(room, "ta", metadata='{"role": "teacher"}')
    sim.join(room, "prof-7")
    sim.deliver()
    lk.wait_start(room)
    sim.deliver()
    lk.wait_recordings(room, "recording")
    [info] = sim.egress_of(room)
    sim.leave(room, "ta")
    sim.deliver()
    time.sleep(0.4)
    assert sim.calls_of("StopEgress") == []  # prof-7 is still there
    sim.leave(room, "prof-7")
    sim.deliver()
    lk.wait_stop(info.egress_id)
    sim.deliver()
    check_ready(lk, room, info.egress_id)


def test_recorders_and_agents_are_not_people(lk):
    sim = lk.sim
    room = room_name("bots")
    sim.start_room(room)
    sim.join(room, "EG_recorder", kind=models.ParticipantInfo.Kind.EGRESS)
    sim.join(room, "notes-agent", kind=models.ParticipantInfo.Kind.AGENT)
    sim.deliver()
    time.sleep(0.5)
    assert sim.starts_for(room) == []
    assert lk.count("participants") == 0


def test_duplicated_events_change_nothing(lk):
    sim = lk.sim
    room = room_name("dup")
    sim.start_room(room)
    sim.join(room, "ada")
    events = sim.take_outbox()
    for event in events + events:
        response = sim.post(event)
        assert response.status_code == 200
    # The repeat of an event is recognised as one.
    assert sim.post(events[0]).json()["status"] == "duplicate"
    lk.wait_start(room)
    egress_events = sim.take_outbox()
    sim.deliver(egress_events * 3)
    lk.wait_recordings(room, "recording")
    [info] = sim.egress_of(room)
    sim.leave(room, "ada")
    left = sim.take_outbox()
    sim.deliver(left + left)
    lk.wait_stop(info.egress_id)
    ended = sim.take_outbox()
    sim.deliver(ended + list(reversed(ended)) + ended)
    sim.finish_room(room)
    finished = sim.take_outbox()
    sim.deliver(finished * 2)
    check_ready(lk, room, info.egress_id)
    time.sleep(0.3)
    assert len(sim.starts_for(room)) == 1
    assert len(sim.calls_of("StopEgress")) == 1
    assert lk.count("participants") == 1
    assert len(lk.session_state(room)) == 1


class TestShuffledOrders:
    """Whatever order the later webhooks arrive in, with repeats, the outcome is the same."""

    def test_orders_converge(self, outputs):
        harness = Harness(outputs, name="shuffled")
        try:
            self.property(harness)
            assert harness.sim.protocol_errors == []
        finally:
            harness.close()

    @staticmethod
    def property(harness):
        sim = harness.sim
        outcomes = []

        @settings(max_examples=int(os.environ.get("TAPEDECK_SHUFFLE_EXAMPLES", "30")), deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(data=st.data())
        def converges(data):
            room = room_name("shuffle")
            sim.start_room(room)
            sim.join(room, "ada")
            sim.deliver()
            harness.wait_start(room)
            # Everything after the start: egress reports, the departure, the room's end.
            sim.leave(room, "ada")
            sim.finish_room(room)
            later = sim.take_outbox()
            repeats = data.draw(st.lists(st.sampled_from(later), max_size=4), label="repeats")
            order = data.draw(st.permutations(later + repeats), label="order")
            sim.deliver(order)
            [info] = sim.egress_of(room)
            recording = check_ready(harness, room, info.egress_id)
            harness.sim.wait(lambda: harness.session_state(room)[0][1] in ("1", "t"), what="session closed")
            assert len(sim.starts_for(room)) == 1
            outcomes.append((recording["status"], sorted(a["kind"] for a in recording["assets"] if a["kind"] in ("hls", "mp4")),
                             recording["limit_reached"]))

        converges()
        assert len(outcomes) >= 10 and len(set(map(str, outcomes))) == 1, outcomes


def test_dropped_webhooks_are_healed_by_the_reconciler(outputs):
    harness = Harness(outputs, env={"TAPEDECK_RECONCILE_INTERVAL_S": "1", "TAPEDECK_RECONCILE_AFTER_S": "5"},
                      name="dropped")
    sim = harness.sim
    rng = random.Random(20261122)
    dropped = []

    def deliver_lossy():
        for event in sim.take_outbox():
            if rng.random() < 0.3:
                dropped.append(event.event)
            else:
                assert sim.post(event).status_code == 200

    try:
        rooms = [room_name("lossy") for _ in range(12)]
        for room in rooms:
            sim.start_room(room)
            sim.join(room, "ada")
            sim.join(room, "bob")
            deliver_lossy()
        time.sleep(1.0)
        deliver_lossy()  # egress reports of the starts that happened
        for room in rooms:
            sim.leave(room, "ada")
            sim.leave(room, "bob")
            deliver_lossy()
        time.sleep(1.0)
        deliver_lossy()
        for room in rooms:
            sim.finish_room(room)  # ends any egress Tapedeck did not stop
        deliver_lossy()
        assert dropped, "the seed dropped nothing"
        recorded = [room for room in rooms if sim.egress_of(room)]
        assert len(recorded) >= len(rooms) // 2
        for room in rooms:
            egresses = sim.egress_of(room)
            if not egresses:
                assert harness.recordings(room) == []
                continue
            [info] = egresses
            check_ready_within = time.time() + 40
            while time.time() < check_ready_within and harness.recordings(room)[0]["status"] != "ready":
                time.sleep(0.2)
            check_ready(harness, room, info.egress_id)
        # Every session ends up closed, including those whose room_finished was lost.
        sim.wait(lambda: all(closed in ("1", "t") for _, closed in harness.rows(
            "SELECT key, ended_at IS NOT NULL FROM sessions")), timeout=30, what="all sessions closed")
        reconciled = harness.rows("SELECT COUNT(*) FROM events WHERE actor = 'reconciler'")[0][0]
        assert int(reconciled) > 0
        assert sim.protocol_errors == []
    finally:
        harness.close()


def test_unavailable_start_is_retried(lk):
    sim = lk.sim
    sim.unavailable_starts = 5  # more than one attempt's own retries: the job must try again later
    room = room_name("busy")
    sim.start_room(room)
    sim.join(room, "ada")
    sim.deliver()
    [recording] = lk.wait_recordings(room, "starting")
    lk.sim.wait(lambda: len(sim.egress_of(room)) == 1, timeout=30, what="egress started after retries")
    assert len(sim.starts_for(room)) == 6
    sim.deliver()
    lk.wait_recordings(room, "recording")
    events = lk.server.get(f"/v1/recordings/{recording['id']}/events", headers=lk.server.admin).json()["items"]
    assert any(e["type"] == "recording.start_retrying" for e in events)


def test_bad_webhooks_are_refused_and_change_nothing(lk):
    sim = lk.sim
    room = room_name("forged")
    sim.rooms[room] = {"sid": "RM_forged", "created": int(time.time()), "participants": {}}
    event = webhook.WebhookEvent(event="room_started", id="EV_forged1", created_at=int(time.time()),
                                 room=sim.room_info(room))
    body, token = sim.signed(event)
    other_body, _ = sim.signed(webhook.WebhookEvent(event="room_started", id="EV_forged2", room=sim.room_info(room)))
    _, expired = sim.signed(event, ttl=-120)
    _, wrong_key = sim.signed(event, key="APIunknown")
    _, wrong_secret = sim.signed(event, secret="not-the-secret")
    attempts = {
        "tampered body": (body.replace("forged", "f0rged"), token),
        "hash of another body": (other_body, token),
        "expired token": (body, expired),
        "unknown key": (body, wrong_key),
        "wrong secret": (body, wrong_secret),
        "no signature": (body, ""),
        "garbage token": (body, "abc.def.ghi"),
    }
    for what, (data, authorization) in attempts.items():
        response = sim.post_raw(data, authorization)
        assert response.status_code == 401, (what, response.status_code, response.text)
        assert response.json()["error"]["code"] == "invalid_webhook", what
    for table in ("rooms", "sessions", "participants", "recordings", "inbound_events", "events"):
        assert lk.count(table) == 0, table
    # The same event, correctly signed, is accepted: the refusals above were about the signatures.
    assert sim.post_raw(body, token).status_code == 200
    assert lk.count("sessions") == 1


def test_unused_events_are_acknowledged_and_ignored(lk):
    sim = lk.sim
    room = room_name("tracks")
    sim.start_room(room)
    sim.deliver()
    event = webhook.WebhookEvent(event="track_published", id="EV_track", created_at=int(time.time()),
                                 room=sim.room_info(room), track=models.TrackInfo(sid="TR_1", type=models.TrackType.AUDIO))
    response = sim.post(event)
    assert response.status_code == 200 and response.json()["status"] == "ignored"


def deliver_by_room(sim, pool):
    """Delivers the outbox with each room's events in order and the rooms in parallel."""
    by_room = {}
    for event in sim.take_outbox():
        name = event.room.name if event.HasField("room") else event.egress_info.room_name
        by_room.setdefault(name, []).append(event)
    list(pool.map(lambda events: sim.deliver(events), by_room.values()))


def test_fifty_rooms_at_once(lk):
    sim = lk.sim
    rooms = [room_name(f"r{i:02d}") for i in range(50)]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        for room in rooms:
            sim.start_room(room)
            sim.join(room, "ada")
            sim.join(room, "bob")
        deliver_by_room(sim, pool)
        sim.wait(lambda: all(sim.starts_for(r) for r in rooms), timeout=60, what="50 starts")
        deliver_by_room(sim, pool)
        for room in rooms:
            lk.wait_recordings(room, "recording")
        for room in rooms:
            sim.leave(room, "ada")
            sim.leave(room, "bob")
        deliver_by_room(sim, pool)
        sim.wait(lambda: len(sim.calls_of("StopEgress")) >= 50, timeout=60, what="50 stops")
        for room in rooms:
            sim.finish_room(room)
        deliver_by_room(sim, pool)
    for room in rooms:
        [info] = sim.egress_of(room)
        lk.wait_recordings(room, "ready", timeout=60)
        check_ready(lk, room, info.egress_id)
    assert len(sim.calls_of("StartRoomCompositeEgress")) == 50


def test_concurrent_joins_start_one_recording(lk):
    sim = lk.sim
    room = room_name("rush")
    sim.start_room(room)
    sim.deliver()
    for i in range(12):
        sim.join(room, f"student-{i}")
    joins = sim.take_outbox()
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        responses = list(pool.map(sim.post, joins))
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    lk.wait_start(room)
    time.sleep(0.5)
    assert len(sim.starts_for(room)) == 1
    assert len(lk.recordings(room)) == 1
    assert lk.count("participants") == 12


def test_manual_start_and_stop_are_idempotent(lk):
    sim, server = lk.sim, lk.server
    room = room_name("manual")
    assert requests.put(f"{server.base_url}/v1/rooms/{room}/policy", json={"start": "manual", "stop": "room_finished"},
                        headers=server.admin).status_code == 200
    sim.start_room(room)
    sim.join(room, "ada")
    sim.deliver()
    headers = {**server.admin, "Idempotency-Key": "start-" + room}
    body = {"room": room, "layout": "speaker", "outputs": ["mp4"]}
    first = requests.post(f"{server.base_url}/v1/recordings", json=body, headers=headers)
    again = requests.post(f"{server.base_url}/v1/recordings", json=body, headers=headers)
    assert first.status_code in (200, 201, 202), first.text
    assert again.json()["id"] == first.json()["id"]
    [start] = lk.wait_start(room)
    assert start.layout == "speaker" and len(start.segment_outputs) == 0 and len(start.file_outputs) == 1
    sim.deliver()
    lk.wait_recordings(room, "recording")
    recording_id = first.json()["id"]
    # LiveKit's egress cannot pause: named, and nothing asked of LiveKit.
    calls = len(sim.calls)
    pause = requests.post(f"{server.base_url}/v1/recordings/{recording_id}/pause", headers=server.admin)
    assert pause.status_code == 409 and pause.json()["error"]["code"] == "pause_not_supported", pause.text
    assert len(sim.calls) == calls
    for _ in range(2):
        stop = requests.post(f"{server.base_url}/v1/recordings/{recording_id}/stop", headers=server.admin)
        assert stop.status_code in (200, 202), stop.text
    [info] = sim.egress_of(room)
    lk.wait_stop(info.egress_id)
    sim.deliver()
    check_ready(lk, room, info.egress_id)
    time.sleep(0.3)
    assert len(sim.calls_of("StopEgress")) == 1
    # Bad input is named and changes nothing.
    bad = requests.post(f"{server.base_url}/v1/recordings", json={"room": room, "layout": "mosaic"},
                        headers=server.admin)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "layout"


@pytest.mark.skipif(not os.environ.get("TEST_S3_ENDPOINT"), reason="needs the S3 test server (scripts/test.sh)")
def test_egress_uploads_straight_to_s3(outputs):
    prefix = f"lk-{uuid.uuid4().hex[:6]}/"
    env = {
        "TAPEDECK_STORAGE": "s3", "TAPEDECK_S3_ENDPOINT": os.environ["TEST_S3_ENDPOINT"],
        "TAPEDECK_S3_REGION": "us-east-1", "TAPEDECK_S3_BUCKET": os.environ["TEST_S3_BUCKET"],
        "TAPEDECK_S3_ACCESS_KEY_ID": "testing", "TAPEDECK_S3_SECRET_ACCESS_KEY": "testing",
        "TAPEDECK_S3_FORCE_PATH_STYLE": "true", "TAPEDECK_S3_PREFIX": prefix,
    }
    harness = Harness(outputs, env=env, name="s3-egress")
    try:
        room = room_name("cloud")
        start, egress_id = run_session(harness, room)
        recording = check_ready(harness, room, egress_id)
        [mp4] = start.file_outputs
        assert mp4.s3.bucket == os.environ["TEST_S3_BUCKET"] and mp4.s3.force_path_style
        assert mp4.s3.endpoint == os.environ["TEST_S3_ENDPOINT"] and mp4.s3.access_key == "testing"
        assert mp4.filepath == f"{prefix}{room}/{recording['session_key']}/{recording['id'][:8]}/session.mp4"
        assert start.segment_outputs[0].s3.bucket == os.environ["TEST_S3_BUCKET"]
        assert harness.sim.protocol_errors == []
    finally:
        harness.close()


def test_kill_during_start_leaves_one_recorder(outputs):
    """kill -9 while LiveKit is starting the egress: after restart the retried start finds the
    egress that was started and adopts it; the room never gets a second recorder."""
    harness = Harness(outputs, env={"TAPEDECK_JOB_LEASE_SECONDS": "5"}, name="kill-start")
    sim, server = harness.sim, harness.server
    try:
        sim.start_answer_delay = 3
        room = room_name("crash")
        sim.start_room(room)
        sim.join(room, "ada")
        sim.deliver()
        harness.wait_start(room)
        server.stop(kill=True)
        [recording] = harness.rows("SELECT status FROM recordings")
        assert recording == ("starting",)  # written before the call went out
        sim.start_answer_delay = 0
        server.start()
        sim.wait(lambda: harness.recordings(room)[0]["status"] != "starting" or
                 harness.rows("SELECT provider_recording_id FROM recordings")[0][0], timeout=40,
                 what="the start retried after the lease expired")
        sim.deliver()
        harness.wait_recordings(room, "recording")
        assert len(sim.egress_of(room)) == 1 and len(sim.starts_for(room)) == 1
        assert any(r.room_name == room for r in sim.calls_of("ListEgress"))  # looked before starting again
        [info] = sim.egress_of(room)
        sim.leave(room, "ada")
        sim.deliver()
        harness.wait_stop(info.egress_id)
        sim.deliver()
        check_ready(harness, room, info.egress_id)
        assert harness.sim.protocol_errors == []
    finally:
        harness.close()


def test_recording_status_for_meeting_uis(lk):
    sim, server = lk.sim, lk.server
    room = room_name("indicator")
    viewer = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "ada"}, headers=server.admin).json()["token"]
    headers = {"Authorization": f"Bearer {viewer}"}

    def status():
        response = server.get(f"/v1/rooms/{room}/recording-status", headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    # Before ada took part in the room, it is as unknown to her as to anyone; an API key sees it.
    assert server.get(f"/v1/rooms/{room}/recording-status", headers=headers).status_code == 404
    assert server.get(f"/v1/rooms/{room}/recording-status", headers=server.admin).json() == \
        {"room": room, "recording": False, "status": None, "recording_id": None, "started_at": None}
    sim.start_room(room)
    sim.join(room, "ada")
    sim.deliver()
    eve = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "eve"}, headers=server.admin).json()["token"]
    assert server.get(f"/v1/rooms/{room}/recording-status",
                      headers={"Authorization": f"Bearer {eve}"}).status_code == 404
    lk.wait_start(room)
    sim.deliver()
    [recording] = lk.wait_recordings(room, "recording")
    now = status()
    assert now["recording"] is True and now["recording_id"] == recording["id"] and now["started_at"]
    sim.leave(room, "ada")
    sim.deliver()
    lk.wait_stop(sim.egress_of(room)[0].egress_id)
    sim.deliver()
    lk.wait_recordings(room, "ready")
    assert status()["recording"] is False
    assert server.get(f"/v1/rooms/{room}/recording-status").status_code == 401
