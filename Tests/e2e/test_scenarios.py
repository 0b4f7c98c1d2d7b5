"""Generated LiveKit sessions (hypothesis): random joins, leaves, rejoins, host changes, manual
stops and starts, duplicated and dropped webhooks. After each run the catalog and the store must
hold: no two recordings share an object; every ready recording's objects exist and are
byte-identical to what its egress wrote; deleting one recording touches no other's objects, and
a held one survives; no egress is left running for an empty room once the reconciler has run."""
import os
import random
import time

import requests
from hypothesis import HealthCheck, Phase, example, given, settings, strategies as st

from test_livekit import Harness, outputs, room_name  # noqa: F401 (fixture)

TERMINAL = {"ready", "failed", "aborted"}
PEOPLE = ["ada", "bob", "teacher"]
POLICIES = [{}, {"start": "when_host_joins", "stop": "host_left"}, {"start": "manual"}]

action = st.one_of(
    st.tuples(st.just("join"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("leave"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("start"), st.just("")),
    st.tuples(st.just("stop"), st.just("")),
    st.tuples(st.just("deliver"), st.sampled_from(["all", "lossy", "twice"])),
)


def objects_of(h, recording):
    """Every object key a recording names: its assets and the segments its playlists list."""
    keys = {a["key"] for a in recording["assets"]}
    root = os.path.join(h.server.env["TAPEDECK_DATA_DIR"], "objects")
    for asset in recording["assets"]:
        if asset["kind"] == "hls":
            folder = os.path.dirname(asset["key"])
            with open(os.path.join(root, asset["key"])) as f:
                keys |= {f"{folder}/{line}" for line in f.read().splitlines() if line and not line.startswith("#")}
    return keys


def read(h, key):
    with open(os.path.join(h.server.env["TAPEDECK_DATA_DIR"], "objects", key), "rb") as f:
        return f.read()


def intact(h, recording):
    """The recorder's outputs of a ready recording are stored, byte for byte."""
    sim = h.sim
    segments = list(sim.outputs.segment_bytes.values())
    for asset in recording["assets"]:
        if asset["kind"] == "mp4":
            assert read(h, asset["key"]) == sim.outputs.mp4, asset["key"]
        if asset["kind"] == "hls":
            stored = sorted(k for k in objects_of(h, {"assets": [asset]}) if k.endswith(".ts"))
            assert [read(h, k) for k in stored] == segments, asset["key"]


def test_generated_sessions_keep_every_recording_whole(outputs):  # noqa: F811
    harness = Harness(outputs, name="scenarios",
                      env={"TAPEDECK_RECONCILE_INTERVAL_S": "1", "TAPEDECK_RECONCILE_AFTER_S": "5"})
    sim, server = harness.sim, harness.server
    rng = random.Random(20261201)
    held_recordings = []
    stats = {"runs": 0, "ready": 0, "two_or_more": 0}

    def deliver(mode):
        for event in sim.take_outbox():
            if mode == "lossy" and rng.random() < 0.3:
                continue
            for _ in range(2 if mode == "twice" else 1):
                assert sim.post(event).status_code == 200

    @settings(max_examples=int(os.environ.get("TAPEDECK_SCENARIO_EXAMPLES", "12")), deadline=None, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.reuse, Phase.generate])
    @given(policy=st.sampled_from(POLICIES), actions=st.lists(action, min_size=3, max_size=14))
    # The cases an outside check found: a rejoin under room_empty, and a returning host.
    @example(policy={}, actions=[("join", "ada"), ("deliver", "all"), ("leave", "ada"), ("deliver", "all"),
                                 ("join", "ada"), ("deliver", "twice"), ("leave", "ada"), ("deliver", "all")])
    @example(policy=POLICIES[1], actions=[("join", "bob"), ("join", "teacher"), ("deliver", "all"), ("leave", "teacher"),
                                          ("deliver", "all"), ("join", "teacher"), ("deliver", "lossy"), ("stop", ""),
                                          ("deliver", "all"), ("start", ""), ("deliver", "all")])
    def scenario(policy, actions):
        room = room_name("gen")
        if policy:
            assert requests.put(f"{server.base_url}/v1/rooms/{room}/policy", json=policy,
                                headers=server.admin).status_code == 200
        sim.start_room(room)
        present = set()
        for kind, arg in actions:
            if kind == "join" and arg not in present:
                sim.join(room, arg, host=arg == "teacher")
                present.add(arg)
            elif kind == "leave" and arg in present:
                sim.leave(room, arg)
                present.discard(arg)
            elif kind == "start":
                answer = requests.post(f"{server.base_url}/v1/recordings", json={"room": room}, headers=server.admin)
                assert answer.status_code in (200, 201, 202, 409), answer.text
            elif kind == "stop":
                for recording in harness.recordings(room):
                    if recording["status"] in ("starting", "recording"):
                        answer = requests.post(f"{server.base_url}/v1/recordings/{recording['id']}/stop",
                                               headers=server.admin)
                        assert answer.status_code in (200, 202, 409), answer.text
            elif kind == "deliver":
                deliver(arg)
            time.sleep(0.05)  # let queued starts and stops reach the stand-in
        for person in sorted(present):
            sim.leave(room, person)
        deliver("lossy")
        time.sleep(0.3)
        sim.finish_room(room)
        deliver("lossy")

        # The reconciler heals what was lost: every recording ends, and no egress runs for the room.
        def settled():
            deliver("all")
            items = harness.recordings(room)
            running = [e for e in sim.egress_of(room) if e.status < 3]
            return (items,) if all(r["status"] in TERMINAL for r in items) and not running else None
        try:
            [recordings] = sim.wait(settled, timeout=40, what=f"{room} settled")
        except AssertionError:
            raise AssertionError(
                f"{room} did not settle: policy {policy}, actions {actions}; recordings "
                f"{[(r['id'][:8], r['status'], r['error']) for r in harness.recordings(room)]}; egresses "
                f"{[(e.egress_id, e.status) for e in sim.egress_of(room)]}; jobs "
                f"{harness.rows('SELECT kind, state, attempts, last_error FROM jobs WHERE state <> ' + chr(39) + 'done' + chr(39))}")
        ready = [r for r in recordings if r["status"] == "ready"]
        stats["runs"] += 1
        stats["ready"] += len(ready)
        stats["two_or_more"] += len(ready) >= 2
        # No two recordings name a common object, and each ready one is whole.
        seen = {}
        for recording in ready:
            for key in objects_of(harness, recording):
                assert key not in seen, (key, seen.get(key), recording["id"])
                seen[key] = recording["id"]
            intact(harness, recording)
        # Hold one, delete another: only the deleted one's objects go.
        if len(ready) >= 2:
            keep, drop = ready[0], ready[1]
            assert requests.put(f"{server.base_url}/v1/recordings/{keep['id']}/hold", headers=server.admin).status_code == 200
            held_recordings.append(keep)
            dropped = objects_of(harness, drop)
            assert requests.delete(f"{server.base_url}/v1/recordings/{drop['id']}", headers=server.admin).status_code == 202
            root = os.path.join(server.env["TAPEDECK_DATA_DIR"], "objects")
            sim.wait(lambda: not any(os.path.exists(os.path.join(root, k)) for k in dropped), what="purge")
            for recording in ready:
                if recording is not drop:
                    intact(harness, recording)
        # Every recording held so far, in every earlier run, is still whole.
        for recording in held_recordings:
            intact(harness, recording)

    try:
        scenario()
        assert sim.protocol_errors == []
        # The runs did record, and some sessions had more than one recording.
        assert stats["ready"] >= 2 and stats["two_or_more"] >= 1, stats
    finally:
        harness.close()
