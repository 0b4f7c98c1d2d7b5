"""What providers and imports do that the happy path never does: hostile text in webhooks, other
people's egresses, lost participant_left webhooks, an import into a room that later goes live."""
import json
import os
import tempfile
import time

import pytest
import requests
from livekit.protocol import egress as egress_pb
from livekit.protocol import models, webhook

from tapedeck_server import ARTIFACTS, database_kinds
from test_livekit import Harness, check_ready, outputs, room_name  # noqa: F401 (fixture)

HOSTILE = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "testdata",
                                      "hostile-strings.json")))


@pytest.fixture(scope="module", params=database_kinds())
def lk(request, outputs):  # noqa: F811
    harness = Harness(outputs, database=request.param, name=f"provider-{request.param}",
                      env={"TAPEDECK_RECONCILE_INTERVAL_S": "1", "TAPEDECK_RECONCILE_AFTER_S": "5"})
    yield harness
    assert harness.sim.protocol_errors == []
    harness.close()


def test_hostile_text_in_webhooks_is_acknowledged_and_kept(lk):
    """Every string as a participant's identity, name, metadata and attribute, and as a room name:
    each delivery answers 200 (LiveKit would redeliver anything else forever), is recorded once,
    and the participant is in the catalog."""
    sim, server = lk.sim, lk.server
    room = room_name("hostile")
    assert requests.put(f"{server.base_url}/v1/rooms/{room}/policy", json={"start": "manual"},
                        headers=server.admin).status_code == 200
    sim.start_room(room)
    sim.deliver()
    before = lk.count("inbound_events")
    for index, text in enumerate(HOSTILE):
        participant = models.ParticipantInfo(
            sid=f"PA_h{index}", identity=text or f"empty-{index}", name=text, metadata=text, attributes={"note": text},
            kind=models.ParticipantInfo.Kind.STANDARD, joined_at=int(time.time()))
        joined = webhook.WebhookEvent(event="participant_joined", id=f"EV_join_{index}", room=sim.room_info(room),
                                      participant=participant)
        other = models.Room(sid=f"RM_h{index}", name=text or f"empty-{index}", creation_time=int(time.time()))
        started = webhook.WebhookEvent(event="room_started", id=f"EV_room_{index}", room=other)
        finished = webhook.WebhookEvent(event="room_finished", id=f"EV_fin_{index}", room=other)
        for event in (joined, started, finished):
            response = sim.post(event)
            assert response.status_code == 200, (repr(text), event.event, response.status_code, response.text)
            assert response.json()["status"] in ("applied", "ignored"), response.text
    assert lk.count("inbound_events") == before + 3 * len(HOSTILE)
    count = lk.rows("SELECT COUNT(*) FROM participants p JOIN sessions s ON s.id = p.session_id "
                    f"JOIN rooms r ON r.id = s.room_id WHERE r.name = '{room}'")
    assert count[0][0] == str(len(HOSTILE))
    # Still healthy, and the listing is valid JSON.
    assert server.get("/healthz").status_code == 200
    assert server.get("/v1/recordings?limit=100", headers=server.admin).status_code == 200


def test_an_egress_tapedeck_did_not_start_is_never_adopted(lk):
    """A customer's own track egress reported while Tapedeck's recording waits for its recorder."""
    sim, server = lk.sim, lk.server
    room = room_name("foreign")
    sim.start_answer_delay = 1.5  # the recording stays `starting`, with no egress id, meanwhile
    try:
        sim.start_room(room)
        sim.join(room, "ada")
        sim.deliver()
        lk.wait_start(room)
        foreign = egress_pb.EgressInfo(egress_id="EG_customer_" + room[-8:], room_name=room,
                                       status=egress_pb.EgressStatus.EGRESS_STARTING)
        foreign.track.CopyFrom(egress_pb.TrackEgressRequest(
            room_name=room, track_id="TR_audio", file=egress_pb.DirectFileOutput(filepath="/customer/track.ogg")))
        for status in (egress_pb.EgressStatus.EGRESS_STARTING, egress_pb.EgressStatus.EGRESS_ACTIVE):
            foreign.status = status
            response = sim.post(webhook.WebhookEvent(event="egress_updated", id=f"EV_f{status}_{room}",
                                                     egress_info=foreign))
            assert response.status_code == 200 and response.json()["status"] == "ignored", response.text
    finally:
        sim.start_answer_delay = 0
    sim.deliver()
    [recording] = lk.wait_recordings(room, "recording")
    ids = {row[0] for row in lk.rows("SELECT provider_recording_id FROM recordings")}
    assert sim.egress_of(room)[0].egress_id in ids and foreign.egress_id not in ids
    foreign.status = egress_pb.EgressStatus.EGRESS_COMPLETE
    ended = sim.post(webhook.WebhookEvent(event="egress_ended", id=f"EV_fend_{room}", egress_info=foreign))
    assert ended.json()["status"] == "ignored"
    assert lk.recordings(room)[0]["status"] == "recording"
    sim.leave(room, "ada")
    sim.deliver()
    lk.wait_stop(sim.egress_of(room)[0].egress_id)
    sim.deliver()
    check_ready(lk, room, sim.egress_of(room)[0].egress_id)


def test_lost_participant_left_is_healed_from_listparticipants(lk):
    """Everyone left but LiveKit keeps the room open and the participant_left webhooks were lost:
    the reconciler asks LiveKit who is there and the room_empty policy stops the recorder."""
    sim = lk.sim
    room = room_name("ghosts")
    sim.start_room(room)
    sim.join(room, "ada")
    sim.join(room, "bob")
    sim.deliver()
    lk.wait_start(room)
    sim.deliver()
    lk.wait_recordings(room, "recording")
    [info] = sim.egress_of(room)
    sim.leave(room, "ada")
    sim.deliver()  # one departure arrives
    sim.leave(room, "bob")
    lost = sim.take_outbox()  # the other never does
    assert [e.event for e in lost] == ["participant_left"]
    lk.wait_stop(info.egress_id)
    sim.deliver()
    check_ready(lk, room, info.egress_id)
    events = lk.server.get(f"/v1/recordings/{lk.recordings(room)[0]['id']}/events?limit=500",
                           headers=lk.server.admin).json()["items"]
    assert any(e["type"] == "session.presence_reconciled" and e["data"]["left"] == "bob" for e in events)


def test_an_import_is_never_taken_over_by_a_live_session(lk, outputs):  # noqa: F811
    """`tapedeck import old.mp4 --room math-101 --recorded-at 2023-...`, then a live session of
    math-101: the participant sees only the live recording, and the import keeps its files."""
    sim, server = lk.sim, lk.server
    room = room_name("math")
    with tempfile.NamedTemporaryFile(suffix=".mp4", dir=ARTIFACTS, delete=False) as f:
        f.write(sim.outputs.mp4)
    imported = server.cli("import", f.name, "--room", room, "--recorded-at", "2023-01-01T00:00:00Z")
    os.unlink(f.name)
    [old] = lk.recordings(room)
    assert old["status"] in ("ready", "processing"), imported.stdout
    assert lk.rows(f"SELECT ended_at IS NOT NULL FROM sessions WHERE key = '{old['session_key']}'")[0][0] in ("1", "t")
    sim.start_room(room)
    sim.join(room, "ada")
    sim.deliver()
    lk.wait_start(room)
    sim.deliver()
    live = lk.wait_latest(room, "recording")
    assert live["session_key"] != old["session_key"]
    ada = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "ada"}, headers=server.admin).json()["token"]
    mine = server.get("/v1/me/recordings", headers={"Authorization": f"Bearer {ada}"}).json()["items"]
    assert [r["id"] for r in mine if r["room"] == room] == [live["id"]]
    sim.leave(room, "ada")
    sim.deliver()
    lk.wait_stop(sim.egress_of(room)[0].egress_id)
    sim.deliver()
    lk.sim.wait(lambda: all(r["status"] == "ready" for r in lk.recordings(room)), what="both ready")
    keys = [{a["key"] for a in r["assets"]} for r in lk.recordings(room)]
    assert keys[0].isdisjoint(keys[1])
    grant = server.get(f"/v1/recordings/{old['id']}/playback", headers=server.admin).json()
    assert requests.get(grant["download_url"], timeout=30).content == sim.outputs.mp4
