"""Two recordings of one session (a rejoin, a returning host, a manual restart) each keep their
own files: disjoint object keys, both play, and deleting one never touches the other, even when
the other is on hold. On local storage (egress writes into a shared folder, Tapedeck ingests)
and on S3 (egress uploads into the bucket)."""
import os
import time
import uuid

import pytest
import requests

from tapedeck_server import database_kinds
from test_livekit import Harness, outputs, room_name  # noqa: F401 (fixture)


def s3_env():
    return {
        "TAPEDECK_STORAGE": "s3", "TAPEDECK_S3_ENDPOINT": os.environ["TEST_S3_ENDPOINT"],
        "TAPEDECK_S3_REGION": "us-east-1", "TAPEDECK_S3_BUCKET": os.environ["TEST_S3_BUCKET"],
        "TAPEDECK_S3_ACCESS_KEY_ID": "testing", "TAPEDECK_S3_SECRET_ACCESS_KEY": "testing",
        "TAPEDECK_S3_FORCE_PATH_STYLE": "true", "TAPEDECK_S3_PREFIX": f"iso-{uuid.uuid4().hex[:6]}/",
    }


STORAGES = ["local"] + (["s3"] if os.environ.get("TEST_S3_ENDPOINT") else [])


@pytest.fixture(scope="module", params=STORAGES)
def harness(request, outputs):  # noqa: F811
    instance = Harness(outputs, database=database_kinds()[-1], env=s3_env() if request.param == "s3" else None,
                       name=f"isolation-{request.param}")
    yield instance
    assert instance.sim.protocol_errors == []
    instance.close()


def record_once(h, room, come, go, manual=False):
    """People arrive (`come`), a recording runs, they leave (`go`) and it stops; returns the egress."""
    sim = h.sim
    before = len(sim.starts_for(room))
    for action in come:
        action()
    sim.deliver()
    if manual:
        started = requests.post(h.server.base_url + "/v1/recordings", json={"room": room}, headers=h.server.admin)
        assert started.status_code in (200, 201, 202), started.text
    h.wait_start(room, count=before + 1)
    sim.deliver()
    h.wait_latest(room, "recording")
    info = sim.egress_of(room)[-1]
    if manual:
        recording = h.recordings(room)[0]
        stopped = requests.post(f"{h.server.base_url}/v1/recordings/{recording['id']}/stop", headers=h.server.admin)
        assert stopped.status_code in (200, 202), stopped.text
    for action in go:
        action()
    sim.deliver()
    h.wait_stop(info.egress_id)
    sim.deliver()
    return info.egress_id


def plays(h, recording):
    """The recording's MP4 downloads whole and every segment of its signed playlist is served."""
    grant = h.server.get(f"/v1/recordings/{recording['id']}/playback", headers=h.server.admin)
    assert grant.status_code == 200, grant.text
    urls = grant.json()
    assert requests.get(urls["download_url"], timeout=30).content == h.sim.outputs.mp4
    playlist = requests.get(urls["hls_url"], timeout=10)
    assert playlist.status_code == 200, playlist.text
    segments = [line for line in playlist.text.splitlines() if line and not line.startswith("#")]
    assert len(segments) == len(h.sim.outputs.segments)
    for url in segments:
        assert requests.get(url, timeout=10).status_code == 200, url


def media_keys(recording):
    return {a["key"] for a in recording["assets"] if a["kind"] in ("hls", "mp4")}


def purged(h, recording_id):
    rows = h.rows(f"SELECT state FROM jobs WHERE kind = 'recording.purge_objects' AND lower(payload_json) LIKE '%{recording_id.lower()}%'")
    return rows and rows[0][0] == "done"


SCENARIOS = {
    # The default policy: everyone drops out and someone rejoins before LiveKit closes the room.
    "room_empty": ({}, lambda s, r: [lambda: s.join(r, "ada")], lambda s, r: [lambda: s.leave(r, "ada")], False),
    # The host steps out and comes back.
    "host_left": ({"start": "when_host_joins", "stop": "host_left"},
                  lambda s, r: [lambda: s.join(r, "student"), lambda: s.join(r, "teacher", host=True)],
                  lambda s, r: [lambda: s.leave(r, "teacher")], False),
    # Stopped by hand, then started again.
    "manual": ({"start": "manual"}, lambda s, r: [lambda: s.join(r, "ada")], lambda s, r: [], True),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_second_recording_of_a_session_keeps_its_own_files(harness, scenario):
    h, sim, server = harness, harness.sim, harness.server
    policy, come, go, manual = SCENARIOS[scenario]
    room = room_name(scenario.replace("_", ""))
    if policy:
        assert requests.put(f"{server.base_url}/v1/rooms/{room}/policy", json=policy, headers=server.admin).status_code == 200
    sim.start_room(room)
    sim.deliver()
    first = record_once(h, room, come(sim, room), go(sim, room), manual)
    h.wait_recordings(room, "ready")
    if scenario == "host_left":
        # The host returns while the student is still there.
        come = lambda s, r: [lambda: s.join(r, "teacher", host=True)]  # noqa: E731
    second = record_once(h, room, come(sim, room), go(sim, room), manual)
    assert first != second
    older, newer = sorted(h.wait_recordings(room, "ready", count=2), key=lambda r: r["created_at"])
    # One session, two recordings, and no object key in common (nor one folder inside the other).
    assert older["session_key"] == newer["session_key"]
    assert media_keys(older).isdisjoint(media_keys(newer))
    folders = [os.path.dirname(k) + "/" for k in media_keys(older) | media_keys(newer)]
    assert len(set(folders)) == 2
    assert not any(a != b and b.startswith(a) for a in folders for b in folders)
    plays(h, older)
    plays(h, newer)
    # Hold the first, delete the second: the held one still plays, whole.
    assert requests.put(f"{server.base_url}/v1/recordings/{older['id']}/hold", headers=server.admin).status_code == 200
    assert requests.delete(f"{server.base_url}/v1/recordings/{newer['id']}", headers=server.admin).status_code == 202
    sim.wait(lambda: purged(h, newer["id"]), what="the deleted recording's objects purged")
    plays(h, older)
    # And it is the other way round too: delete the first after releasing it.
    assert requests.delete(f"{server.base_url}/v1/recordings/{older['id']}/hold", headers=server.admin).status_code == 200
    assert requests.delete(f"{server.base_url}/v1/recordings/{older['id']}", headers=server.admin).status_code == 202
    sim.wait(lambda: purged(h, older["id"]), what="the first recording's objects purged")
    if server.env.get("TAPEDECK_STORAGE", "local") == "local":
        objects = os.path.join(server.env["TAPEDECK_DATA_DIR"], "objects")
        for key in media_keys(older) | media_keys(newer):
            assert not os.path.exists(os.path.join(objects, key))
