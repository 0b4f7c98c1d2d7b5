"""Post-processing on real media: probe, thumbnail, and the missing one of HLS and MP4, checked
with ffprobe; and a kill -9 in the middle that leaves no duplicate."""
import os
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

from media import check_storyboard, make_hls, make_mp4, probe_duration
from tapedeck_server import Server


@pytest.fixture(scope="module")
def sources():
    directory = tempfile.mkdtemp(prefix="tapedeck-process-")
    mp4 = make_mp4(os.path.join(directory, "talk.mp4"), seconds=20, gop=60)
    make_hls(mp4, os.path.join(directory, "hls"), segment_seconds=4)
    yield {"mp4": mp4, "hls": os.path.join(directory, "hls")}
    shutil.rmtree(directory, ignore_errors=True)


def ffprobe(entries, target, stream=None):
    args = ["ffprobe", "-v", "error"] + (["-select_streams", stream] if stream else []) + \
        ["-show_entries", entries, "-of", "default=noprint_wrappers=1:nokey=1", target]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout.split("\n")[0].strip()


def wait_assets(server, room, kinds, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        [recording] = server.get(f"/v1/recordings?room={room}", headers=server.admin).json()["items"]
        if kinds <= {a["kind"] for a in recording["assets"]}:
            return recording
        time.sleep(0.2)
    raise AssertionError(f"{room}: assets {[a['kind'] for a in recording['assets']]}, wanted {kinds}")


def test_mp4_gets_thumbnail_and_hls(server, sources):
    server.cli("import", sources["mp4"], "--room", "from-mp4")
    recording = wait_assets(server, "from-mp4", {"mp4", "thumbnail", "hls", "storyboard"})
    source_seconds = float(ffprobe("format=duration", sources["mp4"]))
    assert abs(recording["duration_ms"] - source_seconds * 1000) <= 1
    grant = server.get(f"/v1/recordings/{recording['id']}/playback", headers=server.admin).json()
    # The thumbnail is a JPEG 640 px wide.
    thumbnail = requests.get(grant["thumbnail_url"], timeout=10)
    assert thumbnail.content[:3] == b"\xff\xd8\xff"
    assert ffprobe("stream=width", grant["thumbnail_url"]) == "640"
    # The generated HLS is a playlist whose segments decode, as long as the source within a segment.
    playlist = requests.get(grant["hls_url"], timeout=10).text
    segments = [line for line in playlist.splitlines() if line and not line.startswith("#")]
    assert len(segments) >= 3
    for url in segments:
        assert ffprobe("stream=codec_name", url, stream="v:0") == "h264"
    assert abs(probe_duration(grant["hls_url"]) - source_seconds) <= 6
    # The storyboard: a frame every 2 s of the 20 s, 160 px wide, on one signed sprite sheet.
    cues = check_storyboard(grant["storyboard_url"], recording["duration_ms"] / 1000, (640, 360))
    assert len(cues) == 10 and cues[3][3] == (480, 0, 160, 90)
    tampered = grant["storyboard_url"].replace("sig=", "sig=x")
    assert requests.get(tampered, timeout=10).status_code == 403
    kinds = [a["kind"] for a in recording["assets"]]
    assert sorted(kinds) == sorted(set(kinds))  # one asset of each kind


def test_hls_gets_mp4(server, sources):
    server.cli("import", sources["hls"], "--room", "from-hls")
    recording = wait_assets(server, "from-hls", {"hls", "thumbnail", "mp4", "storyboard"})
    grant = server.get(f"/v1/recordings/{recording['id']}/playback", headers=server.admin).json()
    assert abs(probe_duration(grant["mp4_url"]) - probe_duration(sources["mp4"])) < 0.5
    assert ffprobe("stream=codec_name", grant["mp4_url"], stream="a:0") == "aac"


def test_kill_during_processing_finishes_once(sources):
    server = Server(name="process-kill", env={"TAPEDECK_JOB_LEASE_SECONDS": "5"})
    try:
        # Queue the work while no worker runs, then start and kill the server as soon as it picks it up.
        server.cli("import", sources["mp4"], "--room", "killed")
        server.start()
        db = os.path.join(server.env["TAPEDECK_DATA_DIR"], "tapedeck.sqlite")
        import sqlite3
        deadline = time.time() + 30
        while time.time() < deadline:
            with sqlite3.connect(db, timeout=10) as conn:
                state = conn.execute("SELECT state FROM jobs WHERE kind = 'media.post_process'").fetchone()
            if state and state[0] == "running":
                break
            time.sleep(0.02)
        assert state and state[0] == "running", "the job was never seen running"
        server.stop(kill=True)
        server.start()
        recording = wait_assets(server, "killed", {"mp4", "thumbnail", "hls", "storyboard"}, timeout=90)
        keys = [a["key"] for a in recording["assets"]]
        assert len(keys) == len(set(keys)) == 4
        with sqlite3.connect(db, timeout=10) as conn:
            [(done,)] = conn.execute("SELECT COUNT(*) FROM jobs WHERE kind = 'media.post_process' AND state = 'done'").fetchall()
        assert done == 1
    finally:
        server.close()


def test_retention_command_lists_and_holds(server, sources):
    server.cli("import", sources["mp4"], "--room", "kept")
    # Nothing is due on the defaults (recordings are kept), and the dry run says so with its total.
    out = server.cli("retention", "--dry-run").stdout
    assert "0 recording(s) would be deleted, freeing 0 bytes." in out
    [recording] = server.get("/v1/recordings?room=kept", headers=server.admin).json()["items"]
    held = requests.put(f"{server.base_url}/v1/recordings/{recording['id']}/hold", headers=server.admin)
    assert held.status_code == 200 and held.json()["on_hold"] is True
    events = server.get(f"/v1/recordings/{recording['id']}/events", headers=server.admin).json()["items"]
    assert any(e["type"] == "recording.held" for e in events)
