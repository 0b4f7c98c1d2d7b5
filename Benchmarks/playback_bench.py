"""Playback benchmarks against a release `tapedeck serve` (SQLite, local storage).

    api: 1,000 ready recordings of sessions a viewer took part in (seeded into the catalog);
      wrk asks GET /v1/recordings/{id}/playback for them in turn with that viewer's token, then
      /healthz of the same server in the same run.
    first-frame: a real recording (ffmpeg-made, imported) opened through a share link in headless
      Chromium, HLS and MP4 in alternation; time from navigation start to the first frame
      presented (requestVideoFrameCallback), in the page's own clock.
"""
import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid

import jwt
import requests

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "Tests", "peers"))
from browser import Browser  # noqa: E402
from media import make_hls, make_mp4  # noqa: E402
from tapedeck_server import Server  # noqa: E402
from load import report, wrk  # noqa: E402


def start_tapedeck(args, name):
    """A `tapedeck serve` on SQLite and local storage with a data directory of its own."""
    return Server(env={"TAPEDECK_LOG_LEVEL": "warning"}, name=f"playback-bench-{name}", artifacts=args.artifacts,
                  binary=args.binary).start()


def catalog(tapedeck):
    return os.path.join(tapedeck.env["TAPEDECK_DATA_DIR"], "tapedeck.sqlite")


def seed(database, count, identity):
    """`count` ready recordings, each of a session `identity` took part in, with HLS and MP4 assets."""
    now = int(time.time() * 1000)
    with sqlite3.connect(database, timeout=30) as db:
        ids = []
        for n in range(count):
            room, session, recording = (str(uuid.uuid4()).upper() for _ in range(3))
            name = f"bench-room-{n}"
            db.execute("INSERT INTO rooms (id, provider, name, created_at, updated_at) VALUES (?, 'livekit', ?, ?, ?)",
                       (room, name, now, now))
            db.execute("INSERT INTO sessions (id, room_id, key, started_at, ended_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (session, room, f"{name}_{n}", now, now + 60000, now))
            db.execute("INSERT INTO participants (session_id, identity, name, role, joined_at) VALUES (?, ?, 'Bench', 'participant', ?)",
                       (session, identity, now))
            db.execute("""INSERT INTO recordings (id, room_id, session_id, provider, status, layout, audio_only, started_at,
                          ended_at, duration_ms, size_bytes, storage, key_prefix, created_at, updated_at)
                          VALUES (?, ?, ?, 'livekit', 'ready', 'grid', 0, ?, ?, 60000, 1000000, 'local', ?, ?, ?)""",
                       (recording, room, session, now, now + 60000, f"{name}/{n}/", now + n, now + n))
            for kind, file, content_type in (("hls", "index.m3u8", "application/vnd.apple.mpegurl"), ("mp4", "session.mp4", "video/mp4")):
                db.execute("INSERT INTO assets (recording_id, kind, key, content_type, size_bytes, created_at) VALUES (?, ?, ?, ?, 500000, ?)",
                           (recording, kind, f"{name}/{n}/{file}", content_type, now))
            ids.append(recording.lower())
    return ids


LUA = """
local ids = {}
local counter = 0
init = function(args)
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
  counter = tonumber(args[2]) or 0
end
request = function()
  counter = counter + 1
  local id = ids[(counter %% #ids) + 1]
  return wrk.format("GET", "/v1/recordings/" .. id .. "/playback", {["Authorization"] = "Bearer %s"})
end
"""


def api(args):
    tapedeck = start_tapedeck(args, "api")
    try:
        ids = seed(catalog(tapedeck), args.recordings, "bench-viewer")
        token = tapedeck.viewer_token("bench-viewer", expires_in=3600)
        sample = requests.get(f"{tapedeck.base_url}/v1/recordings/{ids[0]}/playback",
                              headers={"Authorization": f"Bearer {token}"})
        assert sample.status_code == 200 and sample.json()["hls_url"], sample.text
        with tempfile.NamedTemporaryFile("w", delete=False) as idfile, \
                tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            idfile.write("\n".join(ids) + "\n")
            script.write(LUA % token)
        result = {"recordings": len(ids),
                  "playback": wrk(tapedeck.base_url, args.seconds, args.connections, script.name, (idfile.name,)),
                  "healthz": wrk(tapedeck.base_url + "/healthz", args.seconds, args.connections)}
        result["ratio"] = round(result["playback"]["per_s"] / result["healthz"]["per_s"], 3)
        granted = sqlite3.connect(catalog(tapedeck)).execute(
            "SELECT COUNT(*) FROM events WHERE type = 'playback.granted'").fetchone()[0]
        result["grants_audited"] = granted
        return result
    finally:
        tapedeck.close()


FIRST_FRAME = """
(() => {
  window.__firstFrame = null;
  document.addEventListener('DOMContentLoaded', () => {
    const video = document.querySelector('video');
    if (!video) return;
    const keep = '%s';
    for (const source of [...video.querySelectorAll('source')]) {
      if (!source.type.includes(keep)) source.remove();
    }
    video.muted = true;
    video.load();
    video.requestVideoFrameCallback(() => { window.__firstFrame = performance.now(); });
    video.play();
  });
})();
"""


def first_frame(args):
    tapedeck = start_tapedeck(args, "first-frame")
    work = tempfile.mkdtemp(prefix="tapedeck-frames-")
    browser = Browser()
    try:
        mp4 = make_mp4(os.path.join(work, "talk.mp4"), seconds=30, size="1280x720")
        make_hls(mp4, os.path.join(work, "hls"), segment_seconds=6)
        results = {}
        for kind, source in (("hls", os.path.join(work, "hls")), ("mp4", mp4)):
            tapedeck.cli("import", source, "--room", f"frames-{kind}")
        listing = requests.get(tapedeck.base_url + "/v1/recordings", headers=tapedeck.admin).json()
        links = {}
        for item in listing["items"]:
            share = requests.post(f"{tapedeck.base_url}/v1/recordings/{item['id']}/shares", json={"expires_in": 3600},
                                  headers=tapedeck.admin).json()
            links["hls" if item["room"] == "frames-hls" else "mp4"] = share["url"]
        times = {"hls": [], "mp4": []}
        script_ids = {}
        for round_ in range(args.loads):
            for kind in ("hls", "mp4"):
                for identifier in script_ids.values():
                    browser.call("Page.removeScriptToEvaluateOnNewDocument", identifier=identifier)
                keep = "mpegurl" if kind == "hls" else "video/mp4"
                script_ids = {kind: browser.call("Page.addScriptToEvaluateOnNewDocument",
                                                 source=FIRST_FRAME % keep)["identifier"]}
                browser.call("Page.navigate", url=links[kind])
                deadline = time.time() + 20
                value = None
                while time.time() < deadline:
                    try:
                        value = browser.js("window.__firstFrame")
                    except RuntimeError:
                        value = None
                    if value:
                        break
                    time.sleep(0.02)
                assert value, f"no frame for {kind}"
                src = browser.js("document.querySelector('video').currentSrc")
                assert ("/playback/" in src) == (kind == "hls"), src
                if round_ > 0:  # the first round warms the browser and the page cache
                    times[kind].append(value)
        for kind, values in times.items():
            results[kind] = {"loads": len(values), "median_ms": round(statistics.median(values), 1),
                             "max_ms": round(max(values), 1)}
        return results
    finally:
        browser.close()
        tapedeck.close()
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["api", "first-frame"])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--artifacts", default=tempfile.gettempdir())
    parser.add_argument("--recordings", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--loads", type=int, default=11)
    parser.add_argument("--json")
    args = parser.parse_args()
    report(api(args) if args.mode == "api" else first_frame(args), args.json)


if __name__ == "__main__":
    main()
