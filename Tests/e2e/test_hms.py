"""100ms end to end: the real binary against the strict 100ms stand-in. Peers joining and leaving
start and stop 100ms' recorder by policy; the finished MP4 is copied into storage (local and S3)
byte for byte; webhooks without the secret change nothing; a forged "recording succeeded" for a
recording 100ms still runs makes nothing ready; lost webhooks are healed by the reconciler; a
presigned URL that expires mid-copy is asked for again."""
import hashlib
from datetime import datetime
import os
import re
import time
import uuid

import pytest
import requests

from hms_standin import HMSStandin
from media import make_mp4
from net import wait_until
from s3_peers import client as s3_client, tapedeck_env
from tapedeck_server import Server

ACCESS_KEY, SECRET = "hms-access-key", "hms-app-secret-for-the-end-to-end-tests"
WEBHOOK_SECRET = "a-webhook-secret-of-some-length"


def s3_env():
    return tapedeck_env(os.environ["TEST_S3_ENDPOINT"], os.environ["TEST_S3_BUCKET"], f"hms-{uuid.uuid4().hex[:6]}/")


class Setup:
    def __init__(self, storage="local", env=None):
        self.standin = HMSStandin(ACCESS_KEY, SECRET, webhook_secret=WEBHOOK_SECRET, retry_delays=(0.2, 0.5, 1)).start()
        settings = {**self.standin.env(), "TAPEDECK_RECONCILE_INTERVAL_S": "1", "TAPEDECK_RECONCILE_AFTER_S": "600"}
        settings.update(s3_env() if storage == "s3" else {})
        settings.update(env or {})
        self.server = Server(env=settings, name=f"hms-{storage}").start()
        self.standin.webhook_url = self.server.base_url + "/webhooks/100ms"

    def close(self):
        self.server.close()
        self.standin.close()

    def recordings(self, room):
        return self.server.get(f"/v1/recordings?room={room}", headers=self.server.admin).json()["items"]

    def wait_recording(self, room, predicate, what, timeout=30):
        return wait_until(lambda: next((r for r in self.recordings(room) if predicate(r)), None), what=what, timeout=timeout)

    def recorded_until_the_host_left(self, room):
        """A hosted session whose recording ran until its host left: (100ms room id, 100ms recording)."""
        room_id = self.standin.add_room(name=room, hosted=True)
        self.standin.open_session(room_id)
        self.standin.peer_join(room_id, "ada", "Ada", "host")
        self.standin.flush()
        started = self.started(room_id)
        self.standin.advance(started["id"], "running")
        self.standin.flush()
        self.wait_recording(room, lambda r: r["status"] == "recording", "recording")
        self.standin.peer_leave(room_id, "ada")
        self.standin.flush()
        return room_id, started

    def started(self, room_id):
        return wait_until(lambda: self.standin.recordings_in(room_id) or None, what="a start request", timeout=20)[0]


@pytest.fixture(scope="module")
def mp4(tmp_path_factory):
    return make_mp4(str(tmp_path_factory.mktemp("hms") / "composite.mp4"), seconds=4)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def stored_bytes(setup, recording):
    """The MP4 as Tapedeck serves it (through its own signed download)."""
    grant = setup.server.get(f"/v1/recordings/{recording['id']}/playback", headers=setup.server.admin).json()
    return requests.get(grant["download_url"], timeout=30).content


STORAGES = ["local"] + (["s3"] if os.environ.get("TEST_S3_ENDPOINT") else [])


@pytest.mark.parametrize("storage", STORAGES)
def test_policy_records_a_session_and_copies_the_file_in(storage, mp4):
    setup = Setup(storage)
    try:
        room_id = setup.standin.add_room(name=f"class-{storage}", hosted=True)
        setup.standin.open_session(room_id)
        setup.standin.peer_join(room_id, "ada", "Ada", "host")
        setup.standin.peer_join(room_id, "beam-bot", "Recorder", "__internal_recorder")
        setup.standin.flush()
        started = setup.started(room_id)
        setup.standin.advance(started["id"], "running")
        setup.standin.flush()
        active = setup.wait_recording(f"class-{storage}", lambda r: r["status"] == "recording", "recording")
        # The recording indicator works for 100ms rooms, for admins and for the room's participants.
        status = setup.server.get(f"/v1/rooms/class-{storage}/recording-status", headers=setup.server.admin).json()
        ada = requests.post(setup.server.base_url + "/v1/viewer-tokens", json={"sub": "ada"}, headers=setup.server.admin).json()
        as_ada = setup.server.get(f"/v1/rooms/class-{storage}/recording-status",
                                  headers={"Authorization": f"Bearer {ada['token']}"}).json()
        assert status == as_ada and status["recording"] is True and status["recording_id"] == active["id"], status
        setup.standin.peer_leave(room_id, "ada")
        setup.standin.flush()
        wait_until(lambda: setup.standin.calls_to(rf"/recordings/{started['id']}/stop|/room/{room_id}/stop", "POST"),
                   what="a stop request", timeout=20)
        setup.standin.complete(started["id"], mp4)
        setup.standin.flush(shuffle=True, seed=7, duplicate=("beam.recording.success",))
        recording = setup.wait_recording(f"class-{storage}", lambda r: r["status"] == "ready", "ready", timeout=60)
        assert recording["provider"] == "100ms"
        with open(mp4, "rb") as f:
            original = f.read()
        assert sha256(stored_bytes(setup, recording)) == sha256(original)
        # The recorder's own peer never counted: one participant.
        events = setup.server.get(f"/v1/recordings/{recording['id']}", headers=setup.server.admin).json()
        assert events["status"] == "ready"
        # Copied in time: nothing for the day-old-copy alert to count.
        metrics = setup.server.get("/metrics").text
        assert re.search(r"^tapedeck_hms_uncopied_recordings_over_a_day 0(\.0)?$", metrics, re.M), metrics
        assert setup.standin.protocol_errors == []
        assert all(d.delivered for d in setup.standin.deliveries)
    finally:
        setup.close()


@pytest.mark.skipif(not os.environ.get("TEST_S3_ENDPOINT"), reason="needs the S3 test server (scripts/test.sh)")
def test_a_template_uploading_into_tapedecks_bucket_is_checked_not_copied(mp4):
    """The customer's 100ms template writes into the very bucket Tapedeck stores in: the file is
    checked with HEAD (size as 100ms reports) and kept where it is, not downloaded again."""
    settings = s3_env()
    setup = Setup(env=settings)
    try:
        room_id, started = setup.recorded_until_the_host_left("own-bucket")
        key = f"uploads/{room_id}/{started['id']}/composite.mp4"
        with open(mp4, "rb") as f:
            original = f.read()
        s3 = s3_client("s3", os.environ["TEST_S3_ENDPOINT"])
        s3.put_object(Bucket=settings["TAPEDECK_S3_BUCKET"], Key=settings["TAPEDECK_S3_PREFIX"] + key, Body=original)
        made = setup.standin.complete(
            started["id"], mp4, chat=False,
            composite_path=f"s3://{settings['TAPEDECK_S3_BUCKET']}/{settings['TAPEDECK_S3_PREFIX']}{key}")
        setup.standin.flush()
        recording = setup.wait_recording("own-bucket", lambda r: r["status"] == "ready", "ready", timeout=60)
        assert setup.standin.calls_to(rf"/recording-assets/{made['room-composite']}/presigned-url") == [], "not downloaded"
        detail = setup.server.get(f"/v1/recordings/{recording['id']}", headers=setup.server.admin).json()
        assert any(a["kind"] == "mp4" and a["size_bytes"] == len(original) for a in detail["assets"]), detail
        assert sha256(stored_bytes(setup, recording)) == sha256(original)
        listed = s3.list_objects_v2(Bucket=settings["TAPEDECK_S3_BUCKET"], Prefix=settings["TAPEDECK_S3_PREFIX"])
        copies = [o["Key"] for o in listed.get("Contents", []) if o["Key"].endswith((".mp4", ".m4a")) and o["Size"] == len(original)]
        assert copies == [settings["TAPEDECK_S3_PREFIX"] + key], copies
        # Deleting the recording deletes the file, though it lies outside the recording's folder.
        assert requests.delete(f"{setup.server.base_url}/v1/recordings/{recording['id']}", headers=setup.server.admin,
                               timeout=10).status_code in (200, 202, 204)

        def still_there():
            listed = s3.list_objects_v2(Bucket=settings["TAPEDECK_S3_BUCKET"], Prefix=settings["TAPEDECK_S3_PREFIX"] + key)
            return listed.get("KeyCount", 0)
        wait_until(lambda: still_there() == 0, what="the adopted file deleted", timeout=30)
        assert setup.standin.protocol_errors == []
    finally:
        setup.close()


def test_a_transcript_finished_after_the_copy_becomes_the_captions_track(mp4, tmp_path):
    setup = Setup()
    try:
        room_id, started = setup.recorded_until_the_host_left("late-transcript")
        setup.standin.complete(started["id"], mp4)
        setup.standin.flush()
        recording = setup.wait_recording("late-transcript", lambda r: r["status"] == "ready", "ready", timeout=60)

        def tracks():
            return setup.server.get(f"/v1/recordings/{recording['id']}/text-tracks", headers=setup.server.admin).json()
        assert tracks() == []
        transcript = tmp_path / "late.srt"
        transcript.write_text("1\n00:00:00,500 --> 00:00:01,500\nLate <words> & more\n\n")
        setup.standin.transcribe_later(started["id"], str(transcript))
        setup.standin.flush(duplicate=("transcription.success",))
        [track] = wait_until(lambda: tracks() or None, what="the captions track", timeout=30)
        assert track["kind"] == "captions" and track["source"] == "provider" and track["cue_count"] == 1, track
        assert setup.standin.protocol_errors == []
    finally:
        setup.close()


def test_webhooks_without_the_secret_change_nothing():
    setup = Setup()
    try:
        room_id = setup.standin.add_room(name="locked", hosted=True)
        setup.standin.open_session(room_id)
        setup.standin.peer_join(room_id, "ada", "Ada", "host")
        envelopes = setup.standin.take_outbox()
        url = setup.server.base_url + "/webhooks/100ms"
        for headers in ({}, {"Tapedeck-Webhook-Secret": "wrong"}, {"Tapedeck-Webhook-Secret": WEBHOOK_SECRET + "x"}):
            for envelope in envelopes:
                answer = requests.post(url, json=envelope, headers=headers, timeout=10)
                assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_webhook"
        time.sleep(1)
        assert setup.recordings("locked") == []
        assert setup.standin.recordings_in(room_id) == []
        # With the secret, the same events are taken (each once).
        for envelope in envelopes:
            answer = requests.post(url, json=envelope, headers={"Tapedeck-Webhook-Secret": WEBHOOK_SECRET}, timeout=10)
            assert answer.status_code == 200
        setup.started(room_id)
    finally:
        setup.close()


def test_a_forged_success_for_a_running_recording_makes_nothing_ready(mp4):
    setup = Setup()
    try:
        room_id = setup.standin.add_room(name="forged", hosted=True)
        setup.standin.open_session(room_id)
        setup.standin.peer_join(room_id, "ada", "Ada", "guest")
        setup.standin.flush()
        started = setup.started(room_id)
        setup.standin.advance(started["id"], "running")
        setup.standin.flush()
        forged = {"beam_id": started["beam_id"], "recording_id": started["id"], "room_id": room_id,
                  "session_id": started["session_id"], "size": 123, "duration": 4,
                  "recording_path": "s3://elsewhere/x.mp4", "recording_presigned_url": "http://127.0.0.1:9/evil.mp4"}
        setup.standin.send("beam.recording.success", forged)
        setup.standin.send("recording.success", forged)
        time.sleep(2)
        [recording] = setup.recordings("forged")
        assert recording["status"] == "recording" and recording["assets"] == []
        assert setup.standin.calls_to(r"presigned-url") == []
    finally:
        setup.close()


def test_lost_webhooks_are_healed_and_an_expired_url_is_asked_for_again(mp4):
    setup = Setup(env={"TAPEDECK_RECONCILE_AFTER_S": "5"})
    try:
        room_id = setup.standin.add_room(name="quiet", hosted=True)
        setup.standin.open_session(room_id)
        setup.standin.peer_join(room_id, "ada", "Ada", "guest")
        setup.standin.flush()
        started = setup.started(room_id)
        # 100ms records and finishes; none of its beam webhooks arrive.
        setup.standin.advance(started["id"], "running")
        setup.standin.advance(started["id"], "stopping")
        made = setup.standin.complete(started["id"], mp4)
        setup.standin.take_outbox()
        setup.standin.expire_mid_download(made["room-composite"])
        recording = setup.wait_recording("quiet", lambda r: r["status"] == "ready", "healed to ready", timeout=90)
        with open(mp4, "rb") as f:
            assert stored_bytes(setup, recording) == f.read()
        assert len(setup.standin.calls_to(r"presigned-url")) >= 2, "a fresh URL after the one that expired"
        assert setup.standin.protocol_errors == []
    finally:
        setup.close()


def test_manual_start_and_stop_through_the_api():
    setup = Setup(env={"TAPEDECK_POLICY_START": "manual"})
    try:
        room_id = setup.standin.add_room(name="manual", hosted=True)
        setup.standin.open_session(room_id)
        setup.standin.peer_join(room_id, "ada", "Ada", "host")
        setup.standin.flush()
        time.sleep(0.5)
        assert setup.standin.recordings_in(room_id) == []
        body = {"provider": "100ms", "room": "manual"}
        first = requests.post(setup.server.base_url + "/v1/recordings", json=body,
                              headers={**setup.server.admin, "Idempotency-Key": "k1"}, timeout=10)
        assert first.status_code == 202, first.text
        again = requests.post(setup.server.base_url + "/v1/recordings", json=body,
                              headers={**setup.server.admin, "Idempotency-Key": "k1"}, timeout=10)
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
        started = setup.started(room_id)
        setup.standin.advance(started["id"], "running")
        setup.standin.flush()
        setup.wait_recording("manual", lambda r: r["status"] == "recording", "recording")
        rid = first.json()["id"]

        def control(action, headers=None):
            return requests.post(f"{setup.server.base_url}/v1/recordings/{rid}/{action}", headers=setup.server.admin if headers is None else headers,
                                 timeout=10)

        def paused():
            return setup.standin.recordings_in(room_id)[0]["paused"]
        # Pause and resume reach 100ms' room, twice in a row is no error, the events log says who.
        for action, expect in (("pause", True), ("pause", True), ("resume", False), ("resume", False)):
            answer = control(action)
            assert answer.status_code == 200 and answer.json()["status"] == "recording", (action, answer.text)
            assert paused() is expect, action
            # The recording says so itself, and keeps the stretch (one, however often asked).
            body = answer.json()
            assert body["paused"] is expect and (body["paused_at"] is not None) is expect, body
            assert len(body["pauses"]) == 1 and (body["pauses"][0]["ended_at"] is None) is expect, body
        assert len(setup.standin.calls_to(rf"/recordings/room/{room_id}/pause", "POST")) == 2
        events = setup.server.get(f"/v1/recordings/{rid}/events?limit=100", headers=setup.server.admin).json()["items"]
        assert [e["type"] for e in events if e["type"] in ("recording.paused", "recording.resumed")].count("recording.paused") == 2
        assert control("pause", headers={}).status_code == 401
        assert requests.post(f"{setup.server.base_url}/v1/recordings/{uuid.uuid4()}/pause", headers=setup.server.admin,
                             timeout=10).status_code == 404
        stopped = requests.post(f"{setup.server.base_url}/v1/recordings/{first.json()['id']}/stop",
                                headers=setup.server.admin, timeout=10)
        assert stopped.status_code == 202
        wait_until(lambda: setup.standin.calls_to(rf"/recordings/{started['id']}/stop", "POST"), what="stop", timeout=20)
        setup.wait_recording("manual", lambda r: r["status"] != "recording", "stopping")
        late = control("pause")
        assert late.status_code == 409 and late.json()["error"]["code"] == "not_recording", late.text
        unknown = requests.post(setup.server.base_url + "/v1/recordings", json={"provider": "100ms", "room": "nowhere"},
                                headers=setup.server.admin, timeout=10)
        assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "room"
        assert setup.standin.protocol_errors == []
    finally:
        setup.close()


def test_hostile_strings_in_every_field_are_never_a_server_error():
    import json
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "testdata", "hostile-strings.json")) as f:
        hostile = json.load(f)
    setup = Setup()
    try:
        url = setup.server.base_url + "/webhooks/100ms"
        headers = {"Tapedeck-Webhook-Secret": WEBHOOK_SECRET}
        for index, text in enumerate(hostile):
            for field in ("room_name", "user_id", "user_name", "role", "session_id", "room_id"):
                data = {"room_id": f"r{index}", "room_name": f"hostile-{index}", "session_id": f"s{index}",
                        "peer_id": f"p{index}", "user_id": f"u{index}", "user_name": "x", "role": "guest",
                        "type": "regular", "joined_at": "2026-12-01T10:00:00.5Z"}
                data[field] = text
                for event_type in ("session.open.success", "peer.join.success", "peer.leave.success"):
                    envelope = {"version": "2.0", "id": str(uuid.uuid4()), "type": event_type,
                                "timestamp": "2026-12-01T10:00:00Z", "data": data}
                    answer = requests.post(url, json=envelope, headers=headers, timeout=10)
                    assert answer.status_code in (200, 400), (field, text, answer.status_code, answer.text)
            answer = requests.post(url, data=text.encode("utf-8", "surrogatepass"), headers=headers, timeout=10)
            assert answer.status_code in (200, 400), (text, answer.status_code)
        assert setup.server.get("/readyz").status_code == 200
    finally:
        setup.close()


def test_a_host_token_starts_and_stops_a_guest_token_cannot():
    setup = Setup(env={"TAPEDECK_POLICY_START": "manual"})
    try:
        room_id = setup.standin.add_room(name="hosted", hosted=True)
        setup.standin.open_session(room_id)
        setup.standin.peer_join(room_id, "ada", "Ada", "host")
        setup.standin.peer_join(room_id, "bob", "Bob", "guest")
        setup.standin.flush()

        def token(sub):
            answer = requests.post(setup.server.base_url + "/v1/viewer-tokens", json={"sub": sub}, headers=setup.server.admin)
            return {"Authorization": f"Bearer {answer.json()['token']}"}
        body = {"provider": "100ms", "room": "hosted"}
        guest = requests.post(setup.server.base_url + "/v1/recordings", json=body, headers=token("bob"), timeout=10)
        assert guest.status_code == 403 and guest.json()["error"]["code"] == "not_a_host"
        stranger = requests.post(setup.server.base_url + "/v1/recordings", json={"provider": "local", "room": "hosted",
                                 "input": "synthetic://"}, headers=token("ada"), timeout=10)
        assert stranger.status_code == 403, "never the local recorder from a viewer token"
        assert setup.standin.recordings_in(room_id) == []
        started = requests.post(setup.server.base_url + "/v1/recordings", json=body, headers=token("ada"), timeout=10)
        assert started.status_code == 202, started.text
        hms = setup.started(room_id)
        setup.standin.advance(hms["id"], "running")
        setup.standin.flush()
        rid = started.json()["id"]
        assert requests.post(f"{setup.server.base_url}/v1/recordings/{rid}/stop", headers=token("bob"),
                             timeout=10).status_code == 403
        assert requests.post(f"{setup.server.base_url}/v1/recordings/{rid}/pause", headers=token("bob"),
                             timeout=10).status_code == 403
        assert requests.post(f"{setup.server.base_url}/v1/recordings/{rid}/pause", headers=token("ada"),
                             timeout=10).status_code == 200
        assert setup.standin.recordings_in(room_id)[0]["paused"] is True
        assert requests.post(f"{setup.server.base_url}/v1/recordings/{rid}/stop", headers=token("ada"),
                             timeout=10).status_code == 202
        wait_until(lambda: setup.standin.calls_to(rf"/recordings/{hms['id']}/stop", "POST"), what="stop", timeout=20)
        events = setup.server.get(f"/v1/recordings/{rid}/events?limit=100", headers=setup.server.admin).json()["items"]
        assert any(e["actor"] == "viewer:ada" for e in events)
    finally:
        setup.close()


def hostile_strings():
    import json
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "testdata", "hostile-strings.json")) as f:
        return json.load(f)


def side_files(setup, recording_id):
    detail = setup.server.get(f"/v1/recordings/{recording_id}", headers=setup.server.admin).json()
    return {a["kind"]: a for a in detail["assets"] if a["kind"] in ("chat", "summary")}


@pytest.mark.parametrize("storage", STORAGES)
def test_chat_and_summary_are_copied_after_the_recording_is_ready(storage, mp4, tmp_path):
    """100ms' chat and summary follow the MP4: byte for byte, under Tapedeck's names in the
    recording's folder, whatever participants wrote and however 100ms named the files; a chat
    whose copy is cut is copied again; viewers fetch them through the audited download; deleting
    the recording deletes them."""
    hostile = hostile_strings()
    setup = Setup(storage)
    try:
        room_id, started = setup.recorded_until_the_host_left(f"chat-{storage}")
        # A file name 100ms would never make but a stand-in can: every hostile string that can be
        # a file name on disk, squeezed into one.
        name = "".join(c for c in "".join(hostile[:40]) if c not in "/\\\x00" and c.isprintable())[:120] + ".csv"
        chat = tmp_path / name
        rows = "\n".join('"p{0}","{1}","{2}"'.format(i, text.replace('"', '""'), "2026-12-01T10:00:00Z")
                         for i, text in enumerate(hostile))
        chat.write_bytes(("SenderName,Message,SentAt\n" + rows + "\n").encode("utf-8", "surrogatepass"))
        summary = tmp_path / "summary.json"
        summary.write_text('{"sections": [{"title": "<script>alert(1)</script>", "paragraph": "' + "\\u0000 ../../x" + '"}]}')
        made = setup.standin.complete(started["id"], mp4, chat=str(chat), summary=str(summary))
        setup.standin.cut_next_download(made["chat"])
        setup.standin.flush(duplicate=("beam.recording.success", "transcription.success"))
        recording = setup.wait_recording(f"chat-{storage}", lambda r: r["status"] == "ready", "ready", timeout=60)
        files = wait_until(lambda: (lambda f: f if len(f) == 2 else None)(side_files(setup, recording["id"])),
                           what="chat and summary listed", timeout=60)
        prefix = files["chat"]["key"].rsplit("/", 1)[0] + "/"
        # Tapedeck's names, tagged with a hash of 100ms' asset: nothing 100ms named reaches the key.
        assert re.fullmatch(re.escape(prefix) + r"chat-[0-9a-f]{12}\.csv", files["chat"]["key"]), files
        assert re.fullmatch(re.escape(prefix) + r"summary-[0-9a-f]{12}\.json", files["summary"]["key"]), files
        assert files["chat"]["size_bytes"] == chat.stat().st_size and files["summary"]["size_bytes"] == summary.stat().st_size
        assert setup.standin.downloads[made["chat"]] >= 2, "the cut copy was made again"
        # Viewers who may watch fetch them through the signed, audited download.
        grant = setup.server.get(f"/v1/recordings/{recording['id']}/playback", headers=setup.server.admin).json()
        links = {f["kind"]: f["url"] for f in grant["files"]}
        assert set(links) == {"chat", "summary"}, grant
        for kind, path in (("chat", chat), ("summary", summary)):
            answer = requests.get(links[kind], timeout=30)
            assert answer.status_code == 200, (kind, answer.status_code)
            assert sha256(answer.content) == sha256(path.read_bytes()), kind
            assert "attachment" in answer.headers.get("Content-Disposition", "") or storage == "s3", answer.headers
        tampered = links["chat"].replace("sig=", "sig=0")
        assert requests.get(tampered, timeout=10, allow_redirects=False).status_code == 403
        events = setup.server.get(f"/v1/recordings/{recording['id']}/events?limit=200", headers=setup.server.admin).json()["items"]
        assert sum(1 for e in events if e["type"] == "recording.downloaded") >= 2
        # A guest who was not there gets no grant at all.
        stranger = requests.post(setup.server.base_url + "/v1/viewer-tokens", json={"sub": "mallory"},
                                 headers=setup.server.admin).json()["token"]
        assert requests.get(f"{setup.server.base_url}/v1/recordings/{recording['id']}/playback",
                            headers={"Authorization": f"Bearer {stranger}"}, timeout=10).status_code in (403, 404)
        # Through a share without downloads: no MP4 download, but the summary, whose link stops
        # working once the share is revoked. Not the chat: it may hold messages sent to some roles
        # only, so only admins and the session's hosts get it.
        share = requests.post(f"{setup.server.base_url}/v1/recordings/{recording['id']}/shares", json={"expires_in": 600},
                              headers=setup.server.admin, timeout=10).json()
        shared = requests.post(f"{setup.server.base_url}/v1/share-links/{share['url'].rsplit('/', 1)[1]}/playback",
                               timeout=10).json()
        assert shared["download_url"] is None and {f["kind"] for f in shared["files"]} == {"summary"}, shared
        shared_summary = next(f["url"] for f in shared["files"] if f["kind"] == "summary")
        assert sha256(requests.get(shared_summary, timeout=30).content) == sha256(summary.read_bytes())
        assert requests.delete(f"{setup.server.base_url}/v1/shares/{share['id']}", headers=setup.server.admin,
                               timeout=10).status_code == 200
        assert requests.get(shared_summary, timeout=10, allow_redirects=False).status_code == 410
        # One object each, whatever was retried or delivered twice.
        assert len(side_files(setup, recording["id"])) == 2
        # Deleting the recording deletes them.
        assert requests.delete(f"{setup.server.base_url}/v1/recordings/{recording['id']}", headers=setup.server.admin,
                               timeout=10).status_code in (200, 202, 204)
        if storage == "local":
            wait_until(lambda: not any(re.fullmatch(r"(chat|summary)-[0-9a-f]{12}\.(csv|json)", n)
                                       for _, _, names in os.walk(setup.server.directory) for n in names),
                       what="chat and summary deleted", timeout=30)
        else:
            s3 = s3_client("s3", os.environ["TEST_S3_ENDPOINT"])

            def left():
                listed = s3.list_objects_v2(Bucket=setup.server.env["TAPEDECK_S3_BUCKET"],
                                            Prefix=setup.server.env["TAPEDECK_S3_PREFIX"] + prefix)
                return [o["Key"] for o in listed.get("Contents", [])]
            wait_until(lambda: left() == [], what="chat and summary deleted", timeout=30)
        assert setup.standin.protocol_errors == []
    finally:
        setup.close()


def test_a_chat_copy_failing_across_a_kill_is_finished_after_the_restart(mp4):
    """The chat's copy is a job in the catalog: 100ms refusing its URL leaves the recording ready,
    writes the failure to its events, and after kill -9 and a restart the copy is finished, once."""
    setup = Setup()
    try:
        room_id, started = setup.recorded_until_the_host_left("killed")
        made = setup.standin.complete(started["id"], mp4)
        setup.standin.fail_next(1000, status=404, path=rf"/recording-assets/{made['chat']}/presigned-url")
        setup.standin.flush()
        recording = setup.wait_recording("killed", lambda r: r["status"] == "ready", "ready", timeout=60)

        def failures():
            events = setup.server.get(f"/v1/recordings/{recording['id']}/events?limit=200", headers=setup.server.admin).json()
            return [e for e in events["items"] if e["type"] == "recording.asset_copy_failed"]
        wait_until(lambda: failures() or None, what="the failure evented", timeout=30)
        assert side_files(setup, recording["id"]) == {}
        setup.server.stop(kill=True)
        with setup.standin.lock:
            setup.standin.forced.clear()
        setup.server.start()
        chat = wait_until(lambda: side_files(setup, recording["id"]).get("chat"), what="chat copied after the restart", timeout=60)
        with open(setup.standin.assets[made["chat"]]["files"][setup.standin.assets[made["chat"]]["main"]], "rb") as f:
            assert chat["size_bytes"] == len(f.read())
        assert setup.server.get(f"/v1/recordings/{recording['id']}", headers=setup.server.admin).json()["status"] == "ready"
    finally:
        setup.close()


def test_cues_after_a_pause_are_placed_without_it(mp4):
    """A paused stretch is not in 100ms' file: a live cue said after the resume lands that much
    earlier in the media, and one said during the pause lands at the cut."""
    setup = Setup(env={"TAPEDECK_POLICY_START": "manual"})
    try:
        room_id = setup.standin.add_room(name="pauses", hosted=True)
        setup.standin.open_session(room_id)
        setup.standin.peer_join(room_id, "ada", "Ada", "host")
        setup.standin.flush()
        rid = requests.post(setup.server.base_url + "/v1/recordings", json={"provider": "100ms", "room": "pauses"},
                            headers=setup.server.admin, timeout=10).json()["id"]
        started = setup.started(room_id)
        setup.standin.advance(started["id"], "running")
        setup.standin.flush()
        recording = setup.wait_recording("pauses", lambda r: r["status"] == "recording", "recording")
        ada = {"Authorization": "Bearer " + setup.server.viewer_token("ada")}

        def post(key, at):
            answer = requests.post(f"{setup.server.base_url}/v1/rooms/pauses/cues?provider=100ms", headers=ada, timeout=10,
                                   json={"cues": [{"cue_key": key, "language": "en", "start_at": at, "end_at": at + 200,
                                                   "text": key}]})
            assert answer.status_code == 200, answer.text
        now = lambda: int(time.time() * 1000)
        post("before", now())
        paused = requests.post(f"{setup.server.base_url}/v1/recordings/{rid}/pause", headers=setup.server.admin, timeout=10).json()
        time.sleep(0.3)
        post("during", now())
        # The participant's own page shows the recording paused.
        page = requests.Session()
        my = page.get(f"{setup.server.base_url}/my?token={setup.server.viewer_token('ada')}", timeout=10)
        assert my.status_code == 200 and 'badge-paused' in my.text, my.text[:500]
        time.sleep(1.2)
        resumed = requests.post(f"{setup.server.base_url}/v1/recordings/{rid}/resume", headers=setup.server.admin, timeout=10).json()
        [stretch] = resumed["pauses"]
        start_ms = int(datetime.fromisoformat(stretch["started_at"].replace("Z", "+00:00")).timestamp() * 1000)
        end_ms = int(datetime.fromisoformat(stretch["ended_at"].replace("Z", "+00:00")).timestamp() * 1000)
        assert paused["paused"] is True and resumed["paused"] is False and end_ms - start_ms >= 1400, resumed
        assert 'badge-paused' not in page.get(f"{setup.server.base_url}/my", timeout=10).text
        time.sleep(0.4)
        after_at = now() - 200  # after the resume, and well before the stop below
        post("after", after_at)
        time.sleep(0.5)
        assert requests.post(f"{setup.server.base_url}/v1/recordings/{rid}/stop", headers=setup.server.admin,
                             timeout=10).status_code == 202
        wait_until(lambda: setup.standin.calls_to(rf"/recordings/{started['id']}/stop", "POST"), what="stop", timeout=20)
        setup.standin.complete(started["id"], mp4, chat=False)
        setup.standin.flush()
        ready = setup.wait_recording("pauses", lambda r: r["status"] == "ready", "ready", timeout=60)
        origin = int(datetime.fromisoformat((ready["media_started_at"] or ready["started_at"]).replace("Z", "+00:00")).timestamp() * 1000)
        cues = {c["cue_key"]: c for c in setup.server.get(f"/v1/recordings/{rid}/cues?limit=100",
                                                           headers=setup.server.admin).json()["items"]}
        assert cues["during"]["start_ms"] == cues["during"]["end_ms"] == max(0, start_ms - origin), (cues, stretch)
        assert cues["after"]["start_ms"] == max(0, after_at - origin - (end_ms - start_ms)), (cues, stretch)
        assert cues["before"]["start_ms"] <= cues["during"]["start_ms"] <= cues["after"]["start_ms"]
        assert setup.standin.protocol_errors == []
    finally:
        setup.close()
