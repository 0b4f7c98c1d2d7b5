"""The local recorder and `tapedeck demo` on real ffmpeg: a synthetic source recorded for 10 s
passes the same checks as post-processed media, a stop through the API ends it cleanly, a dying
ffmpeg fails the recording with its stderr and keeps what it wrote, and the demo's link plays in
a real browser."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

import pytest
import requests

from browser import Browser, chromium_binary
from media import check_storyboard, make_mp4, probe_duration
from net import free_port
from tapedeck_server import ARTIFACTS, Server, tapedeck_binary
from test_processing import ffprobe


def start(server, **body):
    answer = requests.post(server.base_url + "/v1/recordings", json={"provider": "local", **body},
                           headers=server.admin, timeout=10)
    assert answer.status_code == 202, answer.text
    return answer.json()


def wait(server, recording_id, condition, what, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        current = server.get(f"/v1/recordings/{recording_id}", headers=server.admin).json()
        if condition(current):
            return current
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}: {current}")


def kinds(recording):
    return {a["kind"] for a in recording["assets"]}


def test_synthetic_source_for_10_s(server):
    recording = start(server, room="studio", input="synthetic://", max_duration_s=10, participants=["ada"])
    assert recording["provider"] == "local" and recording["status"] == "starting"
    live = wait(server, recording["id"], lambda r: r["status"] == "recording", "recording")
    status = server.get("/v1/rooms/studio/recording-status", headers=server.admin).json()
    assert status["recording"] is True and status["recording_id"] == recording["id"]
    assert live["started_at"] is not None

    done = wait(server, recording["id"], lambda r: {"hls", "mp4", "thumbnail", "storyboard"} <= kinds(r), "processing")
    assert done["status"] == "ready" and done["limit_reached"] is True
    assert abs(done["duration_ms"] - 10_000) <= 500
    grant = server.get(f"/v1/recordings/{recording['id']}/playback", headers=server.admin).json()
    # HLS: a valid playlist whose segments decode, as long as the recording within a segment.
    playlist = requests.get(grant["hls_url"], timeout=10).text
    assert playlist.startswith("#EXTM3U") and "#EXT-X-ENDLIST" in playlist
    segments = [line for line in playlist.splitlines() if line and not line.startswith("#")]
    assert len(segments) == 2
    for url in segments:
        assert ffprobe("stream=codec_name", url, stream="v:0") == "h264"
        assert ffprobe("stream=codec_name", url, stream="a:0") == "aac"
    assert abs(probe_duration(grant["hls_url"]) - 10) <= 6
    # The MP4 remuxed from it has the same duration; the thumbnail is a 640 px JPEG.
    assert abs(probe_duration(grant["mp4_url"]) - 10) < 0.5
    assert ffprobe("stream=width", grant["mp4_url"], stream="v:0") == "1280"
    assert requests.get(grant["thumbnail_url"], timeout=10).content[:3] == b"\xff\xd8\xff"
    assert ffprobe("stream=width", grant["thumbnail_url"]) == "640"
    assert len(check_storyboard(grant["storyboard_url"], done["duration_ms"] / 1000, (1280, 720))) == 5
    # The listed participant may watch it with a viewer token; nobody else.
    ada = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "ada"}, headers=server.admin).json()["token"]
    eve = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "eve"}, headers=server.admin).json()["token"]
    assert server.get(f"/v1/recordings/{recording['id']}/playback",
                      headers={"Authorization": f"Bearer {ada}"}).status_code == 200
    assert server.get(f"/v1/recordings/{recording['id']}/playback",
                      headers={"Authorization": f"Bearer {eve}"}).status_code == 404
    # Nothing left behind in the recorder's work folder.
    assert os.listdir(os.path.join(server.env["TAPEDECK_DATA_DIR"], "recorder")) == []


def test_stop_through_the_api_and_bad_requests(server):
    recording = start(server, room="stoppable", input="synthetic://")
    wait(server, recording["id"], lambda r: r["status"] == "recording", "recording")
    again = requests.post(server.base_url + "/v1/recordings", json={"provider": "local", "room": "stoppable",
                                                                     "input": "synthetic://"}, headers=server.admin)
    assert again.status_code == 409
    time.sleep(3)
    stop = requests.post(f"{server.base_url}/v1/recordings/{recording['id']}/stop", headers=server.admin, timeout=10)
    assert stop.status_code == 202 and stop.json()["status"] == "stopping"
    done = wait(server, recording["id"], lambda r: r["status"] == "ready", "ready after stop", timeout=30)
    # The 3 s above are wall-clock time after the recorder started; on a loaded machine ffmpeg's
    # first frames come a second or more later, so the media may hold less than that.
    assert 500 <= done["duration_ms"] <= 12_000 and done["limit_reached"] is False
    events = server.get(f"/v1/recordings/{recording['id']}/events", headers=server.admin).json()["items"]
    lifecycle = [e["type"] for e in events if e["type"] in
                 ("recording.created", "recording.recording", "recording.stopping", "recording.ready")]
    assert lifecycle == ["recording.created", "recording.recording", "recording.stopping", "recording.ready"]

    cases = [
        ({"provider": "local", "room": "r"}, "input"),
        ({"provider": "local", "room": "r", "input": "gopher://x/y"}, "input"),
        ({"provider": "local", "room": "r", "input": "file:///no/such/file.mp4"}, "input"),
        ({"provider": "local", "room": "r", "input": "synthetic://", "max_duration_s": 0}, "max_duration_s"),
        ({"provider": "local", "room": "r", "input": "synthetic://", "layout": "grid"}, "layout"),
        ({"provider": "local", "room": "r", "input": "synthetic://", "participants": [""]}, "participants"),
        ({"provider": "zoom", "room": "r"}, "provider"),
    ]
    for body, field in cases:
        answer = requests.post(server.base_url + "/v1/recordings", json=body, headers=server.admin, timeout=10)
        assert answer.status_code == 400 and answer.json()["error"]["field"] == field, (body, answer.text)
    assert server.get("/v1/recordings?room=r", headers=server.admin).json()["items"] == []


def test_a_dying_ffmpeg_fails_the_recording_and_keeps_what_was_written(server):
    directory = tempfile.mkdtemp(prefix="tapedeck-dying-")
    source = make_mp4(os.path.join(directory, "long-input.mp4"), seconds=20)
    recording = start(server, room="broken", input="file://" + source)
    wait(server, recording["id"], lambda r: r["status"] == "recording", "recording")
    time.sleep(8)
    # ffmpeg dies (killed from outside) in the middle of the input.
    pids = subprocess.run(["pgrep", "-f", "long-input.mp4"], capture_output=True, text=True).stdout.split()
    assert pids
    for pid in pids:
        os.kill(int(pid), signal.SIGKILL)
    done = wait(server, recording["id"], lambda r: r["status"] in ("failed", "ready"), "the end", timeout=30)
    assert done["status"] == "failed", done
    assert "ffmpeg exited with status" in done["error"]
    # The segments written before ffmpeg died are kept and playable.
    assert [a["kind"] for a in done["assets"]] == ["hls"]
    grant = server.get(f"/v1/recordings/{recording['id']}/playback", headers=server.admin)
    assert grant.status_code == 409 and grant.json()["error"]["code"] == "recording_failed"
    stored = os.path.join(server.env["TAPEDECK_DATA_DIR"], "objects")
    playlists = [os.path.join(root, f) for root, _, files in os.walk(stored) for f in files if f == "index.m3u8"]
    assert len(playlists) == 1 and "#EXT-X-ENDLIST" in open(playlists[0]).read()
    assert probe_duration(playlists[0]) >= 5


def listed_segments(playlist):
    try:
        return [line for line in open(playlist).read().splitlines() if line.endswith(".ts")]
    except FileNotFoundError:
        return []


def running(pid):
    """Alive and not a zombie waiting to be reaped."""
    try:
        return open(f"/proc/{pid}/stat").read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_kill_9_while_recording_keeps_what_was_written():
    server = Server(name="recorder-kill", env={"TAPEDECK_JOB_LEASE_SECONDS": "5"})
    try:
        server.start()
        recording = start(server, room="crashed", input="synthetic://", max_duration_s=600)
        wait(server, recording["id"], lambda r: r["status"] == "recording", "recording")
        folder = os.path.join(server.env["TAPEDECK_DATA_DIR"], "recorder", recording["id"])
        [pid] = [int(p) for p in subprocess.run(["pgrep", "-f", folder], capture_output=True, text=True).stdout.split()]
        playlist = os.path.join(folder, "index.m3u8")
        deadline = time.time() + 60
        while len(listed_segments(playlist)) < 2 and time.time() < deadline:
            time.sleep(0.2)
        assert len(listed_segments(playlist)) >= 2
        server.stop(kill=True)
        # The server is gone; its ffmpeg is not (nothing told it to stop).
        assert running(pid)
        server.start()
        done = wait(server, recording["id"], lambda r: r["status"] not in ("starting", "recording", "stopping"),
                    "recovery", timeout=60)
        assert done["status"] == "ready", done
        assert not running(pid), "the recorder left behind is still running"
        # What was written before the crash (and until the recorder was stopped) is kept, once.
        assert done["duration_ms"] >= 12_000
        events = server.get(f"/v1/recordings/{recording['id']}/events", headers=server.admin).json()["items"]
        assert [e["type"] for e in events].count("recording.ready") == 1
        assert any("interrupted" in json.dumps(e) for e in events if e["type"] == "recording.ready")
        processed = wait(server, recording["id"], lambda r: {"hls", "mp4"} <= kinds(r), "processing")
        assert len(processed["assets"]) == len({a["key"] for a in processed["assets"]})
        grant = server.get(f"/v1/recordings/{recording['id']}/playback", headers=server.admin).json()
        playlist_text = requests.get(grant["hls_url"], timeout=10).text
        assert "#EXT-X-ENDLIST" in playlist_text
        assert abs(probe_duration(grant["mp4_url"]) - done["duration_ms"] / 1000) < 1
        # Nothing is recording any more, and the room can record again.
        assert server.get("/v1/rooms/crashed/recording-status", headers=server.admin).json()["recording"] is False
    finally:
        server.close()


def hover(browser, fraction):
    """Moves the pointer over the player's bar at `fraction` of its width; what the preview shows."""
    return browser.js(
        "(() => { const bar = document.getElementById('scrubber'), box = bar.getBoundingClientRect();"
        f" bar.dispatchEvent(new PointerEvent('pointermove', {{clientX: box.left + box.width * {fraction},"
        " clientY: box.top + 2, bubbles: true}));"
        " const preview = bar.querySelector('.preview'), frame = bar.querySelector('.preview-frame');"
        " return {hidden: preview.hidden, time: bar.querySelector('.preview-time').textContent,"
        " position: frame.style.backgroundPosition, image: frame.style.backgroundImage,"
        " size: [frame.offsetWidth, frame.offsetHeight]}; })()")


@pytest.mark.skipif(chromium_binary() is None, reason="needs chromium (scripts/test.sh installs it)")
def test_demo_prints_a_link_that_plays():
    directory = tempfile.mkdtemp(prefix="tapedeck-demo-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_") and k != "DATABASE_URL"}
    process = subprocess.Popen([tapedeck_binary(), "demo", "--seconds", "5", "--port", str(port)], cwd=directory,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    browser = None
    try:
        lines = []
        deadline = time.time() + 120
        link = None
        while time.time() < deadline and link is None:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"(http://\S+/recordings/\S+\?token=\S+)", line)
            link = match.group(1) if match else None
        assert link, "".join(lines)
        assert any("Processed: hls, mp4, storyboard, thumbnail." in line for line in lines), "".join(lines)
        # The defaults: SQLite and local storage in ./tapedeck-data.
        assert os.path.exists(os.path.join(directory, "tapedeck-data", "tapedeck.sqlite"))
        browser = Browser()
        browser.open(link, settle=1.0)
        browser.js("document.querySelector('video').muted = true; document.querySelector('video').play().then(() => 'ok')",
                   await_promise=True)
        # Played on, within a deadline (a fixed pause is too short on a loaded machine).
        deadline = time.time() + 20
        while browser.js("document.querySelector('video').currentTime") <= 2.0 and time.time() < deadline:
            time.sleep(0.1)
        assert browser.js("document.querySelector('video').currentTime") > 2.0
        assert browser.js("document.querySelector('video').poster").startswith(f"http://127.0.0.1:{port}/media/")
        # Hovering the bar under the video shows the storyboard frame of that moment.
        assert browser.js("document.getElementById('scrubber').dataset.cues") == "3"  # 5 s, a frame every 2 s
        preview = hover(browser, 0.9)
        assert preview["hidden"] is False and preview["time"] == "0:04"
        assert preview["position"] == "-320px 0px" and preview["size"] == [160, 90]
        assert preview["image"].startswith(f'url("http://127.0.0.1:{port}/media/')
        assert browser.js(f"new Promise(r => {{ const i = new Image(); i.onload = () => r(i.naturalWidth); "
                          f"i.onerror = () => r(0); i.src = {json.dumps(preview['image'][5:-2])}; }})",
                          await_promise=True) == 480
        browser.screenshot(os.path.join(ARTIFACTS, "pages", "demo-preview.png"))
        # A click seeks there.
        browser.js("(() => { const bar = document.getElementById('scrubber'), box = bar.getBoundingClientRect();"
                   " bar.dispatchEvent(new MouseEvent('click', {clientX: box.left + box.width * 0.5, bubbles: true})); })()")
        assert abs(browser.js("document.querySelector('video').currentTime") - 2.5) < 0.6
        os.makedirs(os.path.join(ARTIFACTS, "pages"), exist_ok=True)
        browser.screenshot(os.path.join(ARTIFACTS, "pages", "demo.png"))
    finally:
        if browser:
            browser.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (scripts/test.sh starts one)")
def test_database_reconnects_do_not_interrupt_a_recording():
    """PostgreSQL drops every connection of the server again and again while ffmpeg records (a
    failover, a restart): lease renewals and status polls that fail are retried, and the
    recording runs its full length."""
    server = Server(database="postgres", env={"TAPEDECK_JOB_LEASE_SECONDS": "5"}, name="reconnects").start()
    try:
        recording = start(server, room="flaky-db", input="synthetic://", max_duration_s=12)
        wait(server, recording["id"], lambda r: r["status"] == "recording", "recording")
        deadline = time.time() + 9
        dropped = 0
        while time.time() < deadline:
            out = subprocess.run(
                ["psql", server.postgres.admin, "-Atc",
                 f"SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{server.postgres.name}'"],
                capture_output=True, text=True, check=True).stdout.strip()
            dropped += int(out or 0)
            time.sleep(0.6)
        assert dropped > 5
        done = wait(server, recording["id"], lambda r: r["status"] in ("ready", "failed"), "the end of the recording")
        assert done["status"] == "ready", done
        assert abs(done["duration_ms"] - 12_000) <= 500 and done["limit_reached"] is True
    finally:
        server.close()
