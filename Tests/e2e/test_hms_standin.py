"""The 100ms stand-in on its own (no Tapedeck): it accepts what 100ms accepts, refuses what 100ms
refuses, paginates, serves and expires presigned URLs, and delivers webhooks with 100ms' retries."""
import calendar
import http.server
import json
import os
import re
import threading
import time
import uuid

import jwt
import pytest
import requests

from hms_standin import HMSStandin
from media import make_hls, make_mp4

ACCESS_KEY = "hms-access-key-standin"
SECRET = "hms-app-secret-standin-0123456789abcdef"
WEBHOOK_SECRET = "webhook-secret-standin"
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


def token(**overrides):
    """A management token as 100ms' Node SDK mints it; `overrides` change or (None) drop claims."""
    now = int(time.time()) - 10
    claims = {"access_key": ACCESS_KEY, "type": "management", "version": 2, "iat": now, "nbf": now,
              "exp": now + 86400, "jti": str(uuid.uuid4())}
    secret = overrides.pop("_secret", SECRET)
    for key, value in overrides.items():
        if value is None:
            claims.pop(key, None)
        else:
            claims[key] = value
    return jwt.encode(claims, secret, algorithm="HS256")


class Client:
    def __init__(self, standin):
        self.standin, self.token = standin, token()

    def call(self, method, path, body=None, raw=None, bearer=None, **kwargs):
        headers = {"Authorization": f"Bearer {bearer or self.token}"}
        if method == "POST":
            headers["Content-Type"] = "application/json"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        return requests.request(method, self.standin.base_url + path, data=data, headers=headers, timeout=10, **kwargs)

    def ok(self, method, path, body=None, **kwargs):
        answer = self.call(method, path, body, **kwargs)
        assert answer.status_code == 200, (answer.status_code, answer.text)
        return answer.json()


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hms-media")
    mp4 = make_mp4(str(folder / "composite.mp4"), seconds=4, size="320x180")
    make_hls(mp4, str(folder / "hls"))
    transcript = folder / "transcript.srt"
    transcript.write_text("1\n00:00:00,000 --> 00:00:02,000\nhello\n")
    return {"mp4": mp4, "hls": str(folder / "hls"), "srt": str(transcript)}


class Receiver:
    """A webhook receiver answering the statuses in `script` in turn (then the last one forever)."""

    def __init__(self, script):
        self.script, self.got = list(script), []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.got.append((time.monotonic(), dict(self.headers), json.loads(body)))
                status = receiver.script.pop(0) if len(receiver.script) > 1 else receiver.script[0]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/webhooks/hms"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(*script):
        made.append(Receiver(script or (200,)))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def hms(tmp_path):
    standin = HMSStandin(ACCESS_KEY, SECRET, artifacts_dir=str(tmp_path / "hms"), retry_delays=(0.1, 0.3, 1.0)).start()
    yield standin
    standin.close()


@pytest.fixture
def client(hms):
    return Client(hms)


def start(client, room_id, **body):
    body.setdefault("meeting_url", f"https://tapedeck.app.100ms.live/preview/{room_id}/recorder?skip_preview=true")
    return client.ok("POST", f"/recordings/room/{room_id}/start", body)


# MARK: the management token

def test_a_good_token_passes_and_its_jti_is_seen(hms, client):
    assert client.ok("GET", "/recordings") == {"limit": 10, "data": [], "last": ""}
    client.ok("GET", "/recordings")
    assert len(hms.jtis) == 1 and hms.protocol_errors == []
    assert hms.base_url.endswith("/v2")


def two_minutes_ago():
    return int(time.time()) - 120


def in_two_minutes():
    return int(time.time()) + 120


# Times are taken when the test runs, not when it is collected: a long suite runs it minutes later.
@pytest.mark.parametrize("bad", [
    {"_secret": "not-the-app-secret-but-as-long-as-one"},
    {"type": "app"},
    {"version": "2"},
    {"version": 1},
    {"version": True},
    {"exp": two_minutes_ago},
    {"nbf": in_two_minutes},
    {"jti": None},
    {"jti": ""},
    {"access_key": "someone-else"},
    {"exp": None},
], ids=lambda bad: ",".join(f"{k}={getattr(v, '__name__', v)}" for k, v in bad.items()))
def test_a_bad_token_is_refused(hms, client, bad):
    bad = {k: (v() if callable(v) else v) for k, v in bad.items()}
    answer = client.call("GET", "/recordings", bearer=token(**bad))
    assert answer.status_code == 401
    body = answer.json()
    assert body["code"] == 401 and body["message"] == "Token validation error" and body["details"]
    assert len(hms.protocol_errors) == 1


def test_no_token_and_an_unsigned_token_are_refused(hms):
    assert requests.get(hms.base_url + "/recordings", timeout=5).status_code == 401
    unsigned = jwt.encode(jwt.decode(token(), options={"verify_signature": False}), None, algorithm="none")
    answer = requests.get(hms.base_url + "/recordings", headers={"Authorization": f"Bearer {unsigned}"}, timeout=5)
    assert answer.status_code == 401 and len(hms.protocol_errors) == 2


def test_an_expiry_the_test_asked_for_needs_a_fresh_token(hms, client):
    hms.expire_next(1)
    answer = client.call("GET", "/recordings")
    assert answer.status_code == 401 and answer.json()["details"] == ["token is expired"]
    assert hms.protocol_errors == []
    assert client.call("GET", "/recordings").status_code == 401  # the same token again: a client bug
    assert len(hms.protocol_errors) == 1
    hms.protocol_errors.clear()
    client.token = token()
    client.ok("GET", "/recordings")
    assert hms.protocol_errors == [] and len(hms.jtis) == 2


def test_forced_failures_answer_as_asked(hms, client):
    hms.fail_next(1, status=429, path=r"/recording-assets$")  # taken in the order queued, where the path fits
    hms.fail_next(2, status=503, retry_after=1)
    first = client.call("GET", "/recordings")
    assert first.status_code == 503 and first.headers["Retry-After"] == "1" and first.json()["code"] == 503
    assert client.call("GET", "/recording-assets").status_code == 429
    assert client.call("GET", "/recordings").status_code == 503
    client.ok("GET", "/recordings")
    client.ok("GET", "/recording-assets")
    assert hms.protocol_errors == []


# MARK: strictness

@pytest.mark.parametrize("method,path,body,status", [
    ("GET", "/recordings/room/R/status", None, 404),
    ("GET", "/rooms", None, 404),
    ("DELETE", "/recordings/abc", None, 405),
    ("GET", "/recordings/room/R/start", None, 405),
    ("POST", "/recording-assets", {}, 405),
    ("GET", "/recordings?room=R", None, 400),
    ("GET", "/recordings?limit=5", None, 400),
    ("GET", "/recordings?limit=101", None, 400),
    ("GET", "/recordings?limit=ten", None, 400),
    ("GET", "/recordings?status=paused", None, 400),
    ("GET", "/recordings?start=nothing-given", None, 400),
    ("GET", "/recording-assets/abc/presigned-url", None, 400),
    ("GET", "/recording-assets/abc/presigned-url?presign_duration=soon", None, 400),
])
def test_unknown_paths_methods_and_queries_are_refused(hms, client, method, path, body, status):
    assert client.call(method, path, body).status_code == status
    assert len(hms.protocol_errors) == 1, hms.protocol_errors


URL = "https://x.app.100ms.live/preview/R/rec"


@pytest.mark.parametrize("body", [
    {"meeting_url": URL, "record": True},
    {"meeting_url": URL, "resolution": {"width": "1280", "height": 720}},
    {"meeting_url": URL, "resolution": {"width": 1280, "height": 720, "fps": 30}},
    {"meeting_url": URL, "resolution": {"width": 1280}},
    {"meeting_url": URL, "audio_only": "true"},
    {"meeting_url": URL, "transcription": {"enabled": True, "output_modes": ["vtt"]}},
    {"meeting_url": URL, "transcription": {"enabled": 1}},
    {"meeting_url": 42},
    {"resolution": {"width": 1280, "height": 720}},  # an API-made room needs meeting_url
], ids=range(9))
def test_a_start_body_with_unknown_keys_or_wrong_types_is_refused(hms, client, body):
    room = hms.add_room()
    answer = client.call("POST", f"/recordings/room/{room}/start", body)
    assert answer.status_code == 400 and answer.json()["code"] == 400
    assert len(hms.protocol_errors) == 1 and hms.recordings == {}


def test_posts_need_json_content_type_and_stops_take_no_body(hms, client):
    room = hms.add_room()
    recording = start(client, room)
    plain = requests.post(hms.base_url + f"/recordings/{recording['id']}/stop", data=b"{}", timeout=5,
                          headers={"Authorization": f"Bearer {client.token}", "Content-Type": "text/plain"})
    assert plain.status_code == 400
    assert client.call("POST", f"/recordings/{recording['id']}/stop", {"force": True}).status_code == 400
    assert len(hms.protocol_errors) == 2


# MARK: recordings and assets

def test_a_recording_from_start_to_its_assets(hms, client, media):
    room = hms.add_room(name="standup")
    hms.peer_join(room, "ada", "Ada", "host")
    recording = start(client, room, resolution={"width": 1280, "height": 720}, audio_only=False,
                      transcription={"enabled": True, "output_modes": ["srt"]})
    assert recording["status"] == "starting" and recording["recording_assets"] is None
    assert recording["session_id"] == hms.rooms[room]["session"]
    assert set(recording["asset_types"]) == {"room-composite", "chat", "transcript"}
    again = client.call("POST", f"/recordings/room/{room}/start", {"meeting_url": recording["meeting_url"]})
    assert again.status_code == 409
    hms.advance(recording["id"], "running")
    assert client.ok("GET", f"/recordings/{recording['id']}")["status"] == "running"
    [stopped] = client.ok("POST", f"/recordings/room/{room}/stop")["data"]
    assert stopped["id"] == recording["id"] and stopped["status"] == "stopping" and STAMP.match(stopped["stopped_at"])
    made = hms.complete(recording["id"], media["mp4"], hls_dir=media["hls"], transcript=media["srt"])
    done = client.ok("GET", f"/recordings/{recording['id']}")
    assert done["status"] == "completed"
    by_type = {a["type"]: a for a in done["recording_assets"]}
    assert set(by_type) == {"room-composite", "room-vod", "chat", "transcript"}
    composite = by_type["room-composite"]
    assert composite["size"] == os.path.getsize(media["mp4"]) and composite["duration"] == 4
    assert composite["path"].startswith("s3://") and composite["job_id"] == recording["id"]
    assert composite["metadata"]["resolution"] == {"width": 320, "height": 180}
    assert by_type["transcript"]["metadata"] == {"output_mode": "srt"}
    assert client.ok("GET", f"/recording-assets/{made['room-composite']}") == composite
    listed = client.ok("GET", f"/recordings?room_id={room}&status=completed")["data"]
    assert [r["id"] for r in listed] == [recording["id"]] and "recording_assets" not in listed[0]
    assets = client.ok("GET", f"/recording-assets?room_id={room}&type=transcript")["data"]
    assert [a["id"] for a in assets] == [made["transcript-srt"]]
    types = [e["type"] for e in hms.outbox]
    assert types == ["session.open.success", "peer.join.success", "beam.started.success", "beam.stopped.success",
                     "beam.recording.success", "transcription.success"]
    assert hms.outbox[3]["data"]["reason"] == "client request"
    assert hms.protocol_errors == []


def test_pause_and_resume_act_on_the_running_recording(hms, client):
    room = hms.add_room()
    recording = start(client, room)
    assert client.call("POST", f"/recordings/room/{room}/pause").status_code == 404  # still starting
    hms.advance(recording["id"], "running")
    assert [r["id"] for r in client.ok("POST", f"/recordings/room/{room}/pause")["data"]] == [recording["id"]]
    assert client.call("POST", f"/recordings/room/{room}/pause").status_code == 404  # paused already
    client.ok("POST", f"/recordings/room/{room}/resume")
    assert client.ok("POST", f"/recordings/{recording['id']}/stop")["status"] == "stopping"
    assert client.call("POST", f"/recordings/{recording['id']}/stop").status_code == 409
    assert hms.protocol_errors == []


@pytest.mark.parametrize("digits", [0, 2, 3, 6, 9])
def test_timestamps_have_the_fractional_digits_asked_for(hms, client, digits):
    hms.fraction_digits = digits
    recording = start(client, hms.add_room())
    fraction = re.search(r"(?:\.(\d+))?Z$", recording["created_at"]).group(1) or ""
    assert STAMP.match(recording["created_at"]) and len(fraction) == digits


def test_sizes_can_be_strings(tmp_path, media):
    with HMSStandin(ACCESS_KEY, SECRET, artifacts_dir=str(tmp_path), sizes_as_strings=True) as hms:
        client = Client(hms)
        recording = start(client, hms.add_room())
        made = hms.complete(recording["id"], media["mp4"], chat=False)
        asset = client.ok("GET", f"/recording-assets/{made['room-composite']}")
        assert asset["size"] == str(os.path.getsize(media["mp4"])) and asset["duration"] == "4"


def test_lists_page_by_limit_start_and_last(hms, client):
    ids = [start(client, hms.add_room())["id"] for _ in range(25)]
    newest_first = list(reversed(ids))
    seen, cursor, pages = [], None, []
    while True:
        page = client.ok("GET", "/recordings" + (f"?start={cursor}" if cursor else ""))
        assert page["limit"] == 10
        pages.append(len(page["data"]))
        seen += [r["id"] for r in page["data"]]
        if len(page["data"]) < page["limit"] or not page["last"]:
            break
        assert page["last"] == page["data"][-1]["id"]
        cursor = page["last"]
    assert pages == [10, 10, 5] and seen == newest_first
    big = client.ok("GET", "/recordings?limit=100")
    assert len(big["data"]) == 25 and big["limit"] == 100
    # A list that ends exactly on a full page: the next page is empty with an empty `last`.
    second = client.ok("GET", f"/recordings?limit=20&start={newest_first[4]}")
    assert len(second["data"]) == 20
    end = client.ok("GET", f"/recordings?limit=20&start={second['last']}")
    assert end == {"limit": 20, "data": [], "last": ""}
    assert hms.protocol_errors == []


# MARK: presigned URLs

def presigned(client, asset_id, seconds=60):
    answer = client.ok("GET", f"/recording-assets/{asset_id}/presigned-url?presign_duration={seconds}")
    assert set(answer) == {"id", "path", "url", "expiry"} and STAMP.match(answer["expiry"])
    return answer["url"]


@pytest.fixture
def composite(hms, client, media):
    recording = start(client, hms.add_room())
    return hms.complete(recording["id"], media["mp4"], hls_dir=media["hls"])


def test_presigned_urls_serve_the_file_and_expire(hms, client, media, composite):
    with open(media["mp4"], "rb") as f:
        data = f.read()
    # Long enough to be fetched on a loaded machine, short enough to wait out: then past the
    # moment the URL itself names.
    signed = client.ok("GET", f"/recording-assets/{composite['room-composite']}/presigned-url?presign_duration=3")
    assert set(signed) == {"id", "path", "url", "expiry"} and STAMP.match(signed["expiry"])
    url = signed["url"]
    answer = requests.get(url, timeout=5)
    assert answer.status_code == 200 and answer.content == data and answer.headers["Content-Type"] == "video/mp4"
    expiry = calendar.timegm(time.strptime(signed["expiry"].split(".")[0].rstrip("Z"), "%Y-%m-%dT%H:%M:%S")) + 1
    time.sleep(max(0.0, expiry + 0.2 - time.time()))
    expired = requests.get(url, timeout=5)
    assert expired.status_code == 403 and b"Request has expired" in expired.content
    assert hms.downloads[composite["room-composite"]] == 1 and hms.refused_downloads[composite["room-composite"]] == 1
    altered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert requests.get(altered, timeout=5).status_code == 403
    fresh = presigned(client, composite["room-composite"])
    assert requests.get(fresh, headers={"Authorization": "Bearer x"}, timeout=5).status_code == 400
    assert len(hms.protocol_errors) == 2  # the altered signature and the leaked Authorization


def test_range_requests(hms, client, media, composite):
    with open(media["mp4"], "rb") as f:
        data = f.read()
    url = presigned(client, composite["room-composite"])
    first = requests.get(url, headers={"Range": "bytes=0-99"}, timeout=5)
    assert first.status_code == 206 and first.content == data[:100]
    assert first.headers["Content-Range"] == f"bytes 0-99/{len(data)}"
    assert requests.get(url, headers={"Range": "bytes=1000-"}, timeout=5).content == data[1000:]
    assert requests.get(url, headers={"Range": "bytes=-50"}, timeout=5).content == data[-50:]
    beyond = requests.get(url, headers={"Range": f"bytes={len(data)}-"}, timeout=5)
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(data)}"
    head = requests.head(url, timeout=5)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(data)
    assert hms.protocol_errors == []


def test_hls_segments_resolve_next_to_the_playlist(client, media, composite):
    url = presigned(client, composite["room-vod"])
    playlist = requests.get(url, timeout=5)
    assert playlist.status_code == 200 and playlist.text.startswith("#EXTM3U")
    segment = next(line for line in playlist.text.splitlines() if line.endswith(".ts"))
    base, query = url.split("?")
    answer = requests.get(base.rsplit("/", 1)[0] + "/" + segment + "?" + query, timeout=5)
    with open(os.path.join(media["hls"], segment), "rb") as f:
        assert answer.status_code == 200 and answer.content == f.read()


def test_a_cut_download_resumes_but_an_expired_one_needs_a_new_url(hms, client, media, composite):
    with open(media["mp4"], "rb") as f:
        data = f.read()
    asset = composite["room-composite"]
    for fault in ("cut", "expire"):
        (hms.cut_next_download if fault == "cut" else hms.expire_mid_download)(asset, after_bytes=4096)
        url = presigned(client, asset)
        received = bytearray()
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            with requests.get(url, stream=True, timeout=5) as answer:
                assert int(answer.headers["Content-Length"]) == len(data)
                for chunk in answer.iter_content(1024):
                    received += chunk
        assert bytes(received) == data[:4096]
        resumed = requests.get(url, headers={"Range": f"bytes={len(received)}-"}, timeout=5)
        if fault == "cut":
            assert resumed.status_code == 206 and bytes(received) + resumed.content == data
        else:
            assert resumed.status_code == 403
            again = requests.get(presigned(client, asset), headers={"Range": f"bytes={len(received)}-"}, timeout=5)
            assert bytes(received) + again.content == data
    assert hms.downloads[asset] == 4 and hms.refused_downloads[asset] == 1 and hms.protocol_errors == []


def test_a_purged_asset_is_gone(hms, client, composite):
    url = presigned(client, composite["room-composite"])
    hms.purge_asset(composite["room-composite"])
    assert client.call("GET", f"/recording-assets/{composite['room-composite']}").status_code == 404
    assert requests.get(url, timeout=5).status_code == 403
    assert hms.protocol_errors == []


# MARK: webhooks

def test_a_webhook_is_retried_on_500_until_200(hms, receiver):
    r = receiver(500, 500, 200)
    hms.webhook_url, hms.webhook_secret = r.url, WEBHOOK_SECRET
    delivery = hms.send("session.open.success", {"room_id": "R", "session_id": "S"})
    assert delivery.delivered and [a[1] for a in delivery.attempts] == [500, 500, 200]
    assert len(r.got) == 3 and {body["id"] for _, _, body in r.got} == {delivery.id}
    assert all(headers["Tapedeck-Webhook-Secret"] == WEBHOOK_SECRET for _, headers, _ in r.got)
    gaps = [b[0] - a[0] for a, b in zip(r.got, r.got[1:])]
    assert gaps[0] >= 0.09 and gaps[1] >= 0.28 and gaps[1] > gaps[0]  # 100ms waits 1 s, 3 s, 10 s
    envelope = r.got[0][2]
    assert set(envelope) == {"version", "id", "app_id", "account_id", "template_id", "timestamp", "type", "data"}
    assert envelope["version"] == "2.0" and STAMP.match(envelope["timestamp"])


def test_anything_but_exactly_200_is_retried_three_times_then_dropped(hms, receiver):
    r = receiver(204)
    hms.webhook_url, hms.webhook_secret = r.url, WEBHOOK_SECRET
    delivery = hms.send("beam.failure", {"error_type": "INTERNAL_ERROR"})
    assert not delivery.delivered and [a[1] for a in delivery.attempts] == [204] * 4 and len(r.got) == 4


def test_a_webhook_to_nobody_is_retried_then_given_up(hms):
    from net import free_port
    hms.webhook_url = f"http://127.0.0.1:{free_port()}/webhooks/hms"
    delivery = hms.send("peer.join.success", {})
    assert not delivery.delivered and [a[1] for a in delivery.attempts] == [None] * 4


def test_the_outbox_is_delivered_in_order_shuffled_or_duplicated(hms, receiver):
    r = receiver(200)
    hms.webhook_url, hms.webhook_secret = r.url, WEBHOOK_SECRET
    room = hms.add_room(name="review")
    peer = hms.peer_join(room, "ada", "Ada", "host")
    hms.peer_leave(room, peer)
    hms.close_session(room)
    in_order = ["session.open.success", "peer.join.success", "peer.leave.success", "session.close.success"]
    assert [e["type"] for e in hms.outbox] == in_order
    left = hms.outbox[2]["data"]
    assert left["peer_id"] == peer and left["type"] == "regular" and {"left_at", "duration", "reason"} <= set(left)
    deliveries = hms.flush(shuffle=True, seed=3, duplicate=("peer.join.success",))
    assert sorted(d.type for d in deliveries) == sorted(in_order + ["peer.join.success"])
    ids = [body["id"] for _, _, body in r.got]
    assert len(ids) == 5 and len(set(ids)) == 4
    assert all(d.delivered for d in deliveries) and hms.outbox == []
    twice = hms.send("peer.join.success", {}, duplicate=True)
    assert twice[0].id == twice[1].id and twice[0].id not in ids
    assert hms.send("peer.join.success", {}).id != hms.send("peer.join.success", {}).id
