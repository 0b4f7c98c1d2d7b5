"""`tapedeck import` end to end: real media, real HTTP sources, the catalog seen through the API."""
import functools
import http.server
import os
import shutil
import tempfile
import threading

import pytest
import requests

from media import make_hls, make_mp4, probe_duration


@pytest.fixture(scope="module")
def media():
    directory = tempfile.mkdtemp(prefix="tapedeck-media-")
    mp4 = make_mp4(os.path.join(directory, "lecture one.mp4"))
    make_hls(mp4, os.path.join(directory, "hls"))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield {"dir": directory, "mp4": mp4, "url": f"http://127.0.0.1:{httpd.server_address[1]}"}
    httpd.shutdown()
    shutil.rmtree(directory, ignore_errors=True)


# What the post-processing job adds next to an imported MP4 (see test_processing.py).
DERIVED_KINDS = {"thumbnail", "storyboard", "hls"}


def recordings(server, room):
    return server.get(f"/v1/recordings?room={room}", headers=server.admin).json()["items"]


def test_import_file_folder_and_urls(server, media):
    # A local MP4 with title and date.
    done = server.cli("import", media["mp4"], "--room", "math 101", "--title", "Lecture 1",
                      "--recorded-at", "2026-11-20T10:00:00Z")
    assert "Imported" in done.stdout
    # A local HLS folder, and the same from URLs (playlist and MP4).
    server.cli("import", os.path.join(media["dir"], "hls"), "--room", "math 101")
    server.cli("import", media["url"] + "/hls/index.m3u8", "--room", "remote")
    server.cli("import", media["url"] + "/lecture%20one.mp4", "--room", "remote")

    local = recordings(server, "math 101")
    assert [r["status"] for r in local] == ["ready", "ready"]
    titled = [r for r in local if r["title"] == "Lecture 1"][0]
    assert titled["started_at"] == "2026-11-20T10:00:00.000Z"
    assert titled["session_key"] == "math 101_2026-11-20_10-00-00"
    # The imported file is the first asset; post-processing may already have added derived ones.
    imported = titled["assets"][0]
    assert imported["kind"] == "mp4"
    assert imported["size_bytes"] == os.path.getsize(media["mp4"])
    assert {a["kind"] for a in titled["assets"][1:]} <= DERIVED_KINDS

    remote = recordings(server, "remote")
    assert sorted(r["assets"][0]["kind"] for r in remote) == ["hls", "mp4"]
    hls = [r for r in remote if r["assets"][0]["kind"] == "hls"][0]
    # The playlist's duration is known at once; it matches the media within a segment.
    assert abs(hls["duration_ms"] / 1000 - probe_duration(media["mp4"])) < 2.1
    assert os.path.exists(media["mp4"]), "import never deletes the user's file"


def test_import_failures_are_clear_and_leave_nothing(server, media):
    missing = server.cli("import", media["url"] + "/nope.mp4", "--room", "r", check=False)
    assert missing.returncode == 1
    assert "HTTP 404" in missing.stderr
    failed = server.get("/v1/recordings?status=failed", headers=server.admin).json()["items"]
    assert len(failed) == 1 and "HTTP 404" in failed[0]["error"]
    assert failed[0]["assets"] == []

    absent = server.cli("import", "/no/such/file.mp4", "--room", "r", check=False)
    assert absent.returncode == 1 and "does not exist" in absent.stderr
    bad_date = server.cli("import", media["mp4"], "--room", "r", "--recorded-at", "yesterday", check=False)
    assert bad_date.returncode != 0 and "--recorded-at" in bad_date.stderr


def test_remote_imports_fetch_only_http_and_stop_at_max_bytes(server, media):
    """A remote playlist naming `file:` or `http+unix:` segments is refused before anything is
    fetched from them; an import larger than --max-bytes stops and leaves nothing behind."""
    objects = os.path.join(server.env["TAPEDECK_DATA_DIR"], "objects")
    for index, uri in enumerate(["file:///etc/passwd", "http+unix://%2Fvar%2Frun%2Fdocker.sock/containers/json",
                                 "ftp://127.0.0.1/segment.ts"]):
        with open(os.path.join(media["dir"], f"hostile{index}.m3u8"), "w") as f:
            f.write(f"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\n{uri}\n#EXT-X-ENDLIST\n")
        answer = server.cli("import", f"{media['url']}/hostile{index}.m3u8", "--room", f"hostile{index}", check=False)
        assert answer.returncode == 1 and "only http and https URLs can be imported" in answer.stderr, answer.stderr
        [recording] = recordings(server, f"hostile{index}") or server.get(
            f"/v1/recordings?room=hostile{index}&status=failed", headers=server.admin).json()["items"]
        assert recording["status"] == "failed" and recording["assets"] == []
    size = os.path.getsize(media["mp4"])
    capped = server.cli("import", media["url"] + "/lecture%20one.mp4", "--room", "capped", "--max-bytes",
                        str(size // 2), check=False)
    assert capped.returncode == 1 and "larger than --max-bytes" in capped.stderr, capped.stderr
    [recording] = server.get("/v1/recordings?room=capped&status=failed", headers=server.admin).json()["items"]
    assert recording["assets"] == []
    assert not os.path.exists(os.path.join(objects, "capped")) or not any(
        files for _, _, files in os.walk(os.path.join(objects, "capped")))
    assert server.cli("import", media["url"] + "/lecture%20one.mp4", "--room", "capped", "--max-bytes", "0",
                      check=False).returncode != 0
