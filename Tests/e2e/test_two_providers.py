"""One room name on LiveKit and on 100ms is two rooms: the real binary with both configured (the
LiveKit Twirp stand-in and the strict 100ms stand-in) records both sessions of the name, each into
its own recording and objects, and the API asks which room a request means (409 `ambiguous_room`,
naming `provider`) rather than picking one."""
import hashlib
import os
import tempfile
import urllib.parse

import pytest
import requests

from hms_standin import HMSStandin
from livekit_sim import cleanup, make_outputs
from media import make_mp4
from net import wait_until
from tapedeck_server import database_kinds
from test_hms import ACCESS_KEY, SECRET, WEBHOOK_SECRET
from test_hostile_api import HOSTILE
from test_livekit import Harness

# A room name from the hostile strings: quotes, spaces and SQL in a path segment and a query.
NAME = next(s for s in HOSTILE if "DROP TABLE" in s)


@pytest.fixture(scope="module")
def media():
    directory = tempfile.mkdtemp(prefix="tapedeck-two-providers-")
    yield make_outputs(directory), make_mp4(os.path.join(directory, "composite.mp4"), seconds=4)
    cleanup(directory)


@pytest.fixture(params=database_kinds())
def both(request, media):
    outputs, _ = media
    standin = HMSStandin(ACCESS_KEY, SECRET, webhook_secret=WEBHOOK_SECRET, retry_delays=(0.2, 0.5, 1)).start()
    harness = Harness(outputs, database=request.param, name=f"two-providers-{request.param}", env={
        "HMS_ACCESS_KEY": ACCESS_KEY, "HMS_SECRET": SECRET, "TAPEDECK_HMS_API_URL": standin.base_url,
        "TAPEDECK_HMS_WEBHOOK_SECRET": WEBHOOK_SECRET})
    standin.webhook_url = harness.server.base_url + "/webhooks/100ms"
    yield harness, standin
    harness.close()
    standin.close()
    assert harness.sim.protocol_errors == [] and standin.protocol_errors == []


def test_both_providers_sessions_of_one_name_are_recorded_and_requests_say_which(both, media):
    lk, hms = both
    sim, server = lk.sim, lk.server
    name = NAME
    path = urllib.parse.quote(name, safe="")

    def api(method, url, **kwargs):
        return requests.request(method, server.base_url + url, headers=server.admin, timeout=10, **kwargs)

    def recordings(status, count, timeout=30):
        """The name's recordings (every provider's), once there are `count`, all in `status`."""
        def listed():
            items = api("GET", f"/v1/recordings?room={path}&limit=100").json()["items"]
            return items if len(items) == count and all(r["status"] == status for r in items) else None
        return wait_until(listed, what=f"{count} recording(s) {status}", timeout=timeout)

    # On one provider only, the name's routes answer as they always did.
    sim.start_room(name)
    sim.join(name, "ada")
    sim.deliver()
    lk.wait_start(name)
    sim.deliver()  # egress_started, egress_updated (active)
    [livekit_recording] = recordings("recording", 1)
    alone = api("GET", f"/v1/rooms/{path}/recording-status")
    assert alone.status_code == 200 and alone.json()["recording_id"] == livekit_recording["id"], alone.text

    # A 100ms session of the same name, while LiveKit's records.
    room_id = hms.add_room(name=name, hosted=True)
    hms.open_session(room_id)
    hms.peer_join(room_id, "bob", "Bob", "guest")
    hms.flush()
    [started] = wait_until(lambda: hms.recordings_in(room_id) or None, what="100ms' recorder started", timeout=20)
    hms.advance(started["id"], "running")
    hms.flush()
    live = recordings("recording", 2)
    assert sorted(r["provider"] for r in live) == ["100ms", "livekit"]
    hms_recording = next(r for r in live if r["provider"] == "100ms")

    # Now the name is ambiguous: requests that do not say which room are refused, naming the field.
    def ambiguous(answer):
        assert answer.status_code == 409, answer.text
        error = answer.json()["error"]
        assert error["code"] == "ambiguous_room" and error["field"] == "provider", error
    ambiguous(api("GET", f"/v1/rooms/{path}/recording-status"))
    ambiguous(api("GET", f"/v1/rooms/{path}/policy"))
    ambiguous(api("PUT", f"/v1/rooms/{path}/policy", json={"start": "manual"}))
    ambiguous(api("DELETE", f"/v1/rooms/{path}/policy"))
    ambiguous(api("POST", "/v1/recordings", json={"room": name}))
    # ...and those that do, answer for that room.
    for provider, recording in (("livekit", livekit_recording), ("100ms", hms_recording)):
        status = api("GET", f"/v1/rooms/{path}/recording-status?provider={provider}").json()
        assert status["recording"] is True and status["recording_id"] == recording["id"], (provider, status)
    assert api("PUT", f"/v1/rooms/{path}/policy?provider=100ms", json={"retain_days": 30}).status_code == 200
    assert api("GET", f"/v1/rooms/{path}/policy?provider=100ms").json()["source"] == "room"
    assert api("GET", f"/v1/rooms/{path}/policy?provider=livekit").json()["source"] == "default"
    again = api("POST", "/v1/recordings", json={"room": name, "provider": "100ms"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "recording_active", again.text
    # A viewer who took part in one of the two rooms is told about hers, and learns nothing of the other.
    ada = api("POST", "/v1/viewer-tokens", json={"sub": "ada"}).json()["token"]
    as_ada = requests.get(f"{server.base_url}/v1/rooms/{path}/recording-status",
                          headers={"Authorization": f"Bearer {ada}"}, timeout=10)
    assert as_ada.status_code == 200 and as_ada.json()["recording_id"] == livekit_recording["id"], as_ada.text

    # Both sessions end and each is recorded to the end.
    [info] = sim.egress_of(name)
    sim.leave(name, "ada")
    sim.deliver()
    lk.wait_stop(info.egress_id)
    sim.deliver()
    hms.peer_leave(room_id, "bob")
    hms.flush()
    wait_until(lambda: hms.calls_to(rf"/recordings/{started['id']}/stop|/room/{room_id}/stop", "POST"),
               what="100ms' recorder asked to stop", timeout=20)
    _, mp4 = media
    hms.complete(started["id"], mp4)
    hms.flush()
    done = recordings("ready", 2, timeout=60)
    by_provider = {r["provider"]: r for r in done}
    assert set(by_provider) == {"livekit", "100ms"}
    assert by_provider["livekit"]["id"] == livekit_recording["id"] and by_provider["100ms"]["id"] == hms_recording["id"]
    assert by_provider["livekit"]["session_key"] != by_provider["100ms"]["session_key"]
    keys = {p: {a["key"] for a in r["assets"]} for p, r in by_provider.items()}
    assert keys["livekit"] and keys["100ms"] and not keys["livekit"] & keys["100ms"]
    assert len(sim.starts_for(name)) == 1 and len(hms.recordings_in(room_id)) == 1
    with open(mp4, "rb") as f:
        original = hashlib.sha256(f.read()).hexdigest()
    grant = api("GET", f"/v1/recordings/{hms_recording['id']}/playback").json()
    assert hashlib.sha256(requests.get(grant["download_url"], timeout=30).content).hexdigest() == original
    objects = os.path.join(server.env["TAPEDECK_DATA_DIR"], "objects")
    [livekit_mp4] = [a["key"] for a in by_provider["livekit"]["assets"] if a["kind"] == "mp4"]
    with open(os.path.join(objects, livekit_mp4), "rb") as f:
        assert f.read() == sim.outputs.mp4
    # The catalog holds two rooms of the name, one per provider.
    rows = lk.rows("SELECT provider FROM rooms WHERE name = '" + name.replace("'", "''") + "' ORDER BY provider")
    assert rows == [("100ms",), ("livekit",)]
