"""Transcripts and translation cards end to end: cues posted during a LiveKit session by a
participant's viewer token land on the recording at the right media times, survive retries,
come out as WebVTT an independent parser reads, and are found by search."""
import json
import time
import uuid

import pytest
import requests
import webvtt

from livekit_sim import LiveKitSim, cleanup, make_outputs  # noqa: F401 (fixtures below use them)
from test_livekit import Harness, lk, outputs, room_name  # noqa: F401 (pytest fixtures)

LAG_MS = 300


def viewer(server, sub):
    return {"Authorization": "Bearer " + server.viewer_token(sub)}


def post_cues(server, room, cues, headers):
    return requests.post(f"{server.base_url}/v1/rooms/{requests.utils.quote(room, safe='')}/cues",
                         json={"cues": cues}, headers=headers)


def wall_ms():
    return int(time.time() * 1000)


def live_session_with_cues(lk, room, cues_during):
    """A LiveKit session in which ada (a participant) posts cues; returns (recording, file start ms)."""
    sim = lk.sim
    sim.file_start_lag_ns = LAG_MS * 1_000_000
    sim.start_room(room)
    sim.join(room, "ada")
    sim.deliver()
    lk.wait_start(room)
    sim.deliver()
    lk.wait_latest(room, "recording")
    ada = viewer(lk.server, "ada")
    info = sim.egress_of(room)[-1]
    egress_start_ms = sim.egresses[info.egress_id].started_at // 1_000_000
    posted = cues_during(ada, egress_start_ms)
    # The session lasts past the last cue.
    time.sleep(max(0, max(c["end_at"] for c in posted) + 200 - wall_ms()) / 1000)
    sim.leave(room, "ada")
    sim.deliver()
    lk.wait_stop(info.egress_id)
    sim.deliver()
    sim.finish_room(room)
    sim.deliver()
    [recording] = lk.wait_recordings(room, "ready")
    media_start_ms = (sim.egresses[info.egress_id].started_at + sim.file_start_lag_ns) // 1_000_000
    return recording, media_start_ms, posted


def test_live_cues_land_at_their_media_time(lk):
    room = room_name("lecture")
    # One cue said just before the recorder's files began (outside every recording: kept, not
    # placed), the others during it; a translation of each; an interim then final update of one.
    def during(ada, egress_start):
        # The files begin LAG_MS after the egress: u0 ends before them, u1 overlaps their
        # start, the others are inside.
        starts = [egress_start + 50, egress_start + 200] + [egress_start + 500 + i * 300 for i in range(3)]
        originals = [{"cue_key": f"u{i}", "language": "en", "start_at": start, "end_at": start + 200,
                      "text": f"line {i} about recursion" if i == 2 else f"line {i}", "speaker": "Ada"}
                     for i, start in enumerate(starts)]
        translations = [{"cue_key": f"u{i}-es", "language": "es", "translation_of": f"u{i}",
                         "start_at": c["start_at"], "end_at": c["end_at"], "text": f"línea {i}"}
                        for i, c in enumerate(originals)]
        interim = dict(originals[4], text="lin", final=False)
        assert post_cues(lk.server, room, [interim], ada).status_code == 200
        answer = post_cues(lk.server, room, originals + translations, ada)
        assert answer.status_code == 200, answer.text
        assert answer.json()["accepted"] == 10
        # A retry of the same batch changes nothing.
        again = post_cues(lk.server, room, originals + translations, ada)
        assert again.status_code == 200 and again.json()["accepted"] == 10
        # A late interim post never undoes a final cue.
        assert post_cues(lk.server, room, [dict(originals[4], text="li", final=False)], ada).status_code == 200
        return originals
    recording, media_start_ms, originals = live_session_with_cues(lk, room, during)
    rid = recording["id"]
    assert recording["media_started_at"] is not None
    cues = lk.server.get(f"/v1/recordings/{rid}/cues?language=en&limit=100", headers=lk.server.admin).json()["items"]
    by_key = {c["cue_key"]: c for c in cues}
    for original in originals:
        expected = original["start_at"] - media_start_ms
        if original["end_at"] <= media_start_ms:
            assert original["cue_key"] not in by_key  # before the files began: held on the session
            continue
        cue = by_key[original["cue_key"]]
        assert abs(cue["start_ms"] - max(0, expected)) <= 100, (cue, expected)
        assert abs(cue["end_ms"] - (original["end_at"] - media_start_ms)) <= 100, (cue, expected)
        assert cue["text"] == original["text"] and cue["speaker"] == "Ada" and cue["final"] is True
    assert len(lk.rows("SELECT id FROM cues")) == 10  # no duplicates from retries or updates
    assert len(by_key) >= 3, by_key  # the timing of the test itself: most cues are inside the media
    tracks = lk.server.get(f"/v1/recordings/{rid}/text-tracks", headers=lk.server.admin).json()
    languages = {(t["kind"], t["language"]) for t in tracks}
    # Each track the recording became ready with was announced once (recording.captions_ready).
    events = lk.server.get(f"/v1/recordings/{rid}/events?limit=500", headers=lk.server.admin).json()["items"]
    announced = sorted((e["data"]["kind"], e["data"]["language"]) for e in events if e["type"] == "recording.captions_ready")
    assert announced == sorted(languages), (announced, languages)
    assert ("captions", "en") in languages and ("subtitles", "es") in languages
    # The VTT, read by an independent parser, holds every placed cue at its time.
    [english] = [t for t in tracks if t["language"] == "en"]
    answer = requests.get(english["url"])
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/vtt")
    parsed = webvtt.from_buffer(__import__("io").StringIO(answer.text))
    assert len(parsed) == english["cue_count"] == len(by_key)
    # Moving the offset moves every wall-clock cue with it.
    patched = requests.patch(f"{lk.server.base_url}/v1/recordings/{rid}", json={"cue_offset_ms": 2000}, headers=lk.server.admin)
    assert patched.status_code == 200 and patched.json()["cue_offset_ms"] == 2000
    moved = lk.server.get(f"/v1/recordings/{rid}/cues?language=en&limit=100", headers=lk.server.admin).json()["items"]
    starts = {o["cue_key"]: o["start_at"] for o in originals}
    assert {c["cue_key"]: c["start_ms"] for c in moved} == \
        {k: max(0, starts[k] - media_start_ms + 2000) for k in by_key}
    # Search finds the line, for an admin and for the participant, not for a stranger.
    found = lk.server.get("/v1/search?q=recursion", headers=lk.server.admin).json()["items"]
    assert [item["recording"]["id"] for item in found] == [rid]
    assert "#t=" in found[0]["hits"][0]["url"]
    assert [i["recording"]["id"] for i in lk.server.get("/v1/search?q=recursion", headers=viewer(lk.server, "ada")).json()["items"]] == [rid]
    assert lk.server.get("/v1/search?q=recursion", headers=viewer(lk.server, "mallory")).json()["items"] == []
    # The cue said before the files began (and its translation) is held on the session, not lost.
    assert lk.rows("SELECT COUNT(*) FROM cues WHERE recording_id IS NULL") == [("2",)]
    # Deleting the recording deletes its cues, and, as no recording of the ended session is
    # left to take them, the held ones too.
    assert requests.delete(f"{lk.server.base_url}/v1/recordings/{rid}", headers=lk.server.admin).status_code == 202
    assert lk.rows("SELECT COUNT(*) FROM cues") == [("0",)]


def test_cue_posts_are_refused_field_by_field_and_change_nothing(lk):
    room = room_name("checks")
    lk.sim.start_room(room)
    lk.sim.join(room, "ada")
    lk.sim.deliver()
    lk.wait_start(room)
    ada = viewer(lk.server, "ada")
    good = {"cue_key": "a", "language": "en", "start_at": wall_ms(), "end_at": wall_ms() + 10, "text": "hi"}
    bad = [
        (dict(good, language="not a tag"), "cues[0].language"),
        (dict(good, end_at=good["start_at"] - 1), "cues[0]"),
        (dict(good, text="a\u0000b"), "cues[0].text"),
        ({k: v for k, v in good.items() if k != "cue_key"}, "cues[0].cue_key"),
        (dict(good, start_ms=5), "cues[0]"),
        (dict(good, colour="red"), "cues[0]"),
    ]
    for body, field in bad:
        answer = post_cues(lk.server, room, [body], ada)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["error"]["field"].startswith(field), (body, answer.json())
    # Media times on the live route, and keys of the caption files' namespace, are refused.
    media = {k: v for k, v in good.items() if k not in ("start_at", "end_at")} | {"start_ms": 0, "end_ms": 10}
    assert post_cues(lk.server, room, [media], ada).status_code == 400
    assert post_cues(lk.server, room, [dict(good, cue_key="caption-file:1")], ada).json()["error"]["code"] == "reserved_cue_key"
    too_many = [dict(good, cue_key=f"k{i}") for i in range(1001)]
    assert post_cues(lk.server, room, too_many, ada).status_code in (400, 413)
    # Someone not in the room cannot post, nor learn that it exists.
    assert post_cues(lk.server, room, [good], viewer(lk.server, "mallory")).status_code == 404
    assert lk.rows("SELECT COUNT(*) FROM cues") == [("0",)]
    # A participant may not replace a cue someone else posted (the teacher's agent, an API key).
    assert post_cues(lk.server, room, [dict(good, cue_key="teacher-1", text="the lesson")], lk.server.admin).status_code == 200
    lk.sim.join(room, "bob")
    lk.sim.deliver()
    lk.sim.wait(lambda: lk.rows(f"SELECT COUNT(*) FROM participants WHERE identity = 'bob'") == [("1",)], what="bob joined")
    bob = viewer(lk.server, "bob")
    taken = post_cues(lk.server, room, [dict(good, cue_key="teacher-1", text="defaced")], bob)
    assert taken.status_code == 409 and taken.json()["error"]["field"] == "cues[0].cue_key", taken.text
    assert lk.rows("SELECT text FROM cues WHERE cue_key = 'teacher-1'") == [("the lesson",)]
    # An import into the room while the class runs does not take its live cues.
    import os
    from media import make_mp4
    mp4 = make_mp4(os.path.join(lk.egress_dir, "imported.mp4"), seconds=2)
    lk.server.cli("import", mp4, "--room", room)
    assert post_cues(lk.server, room, [dict(good, cue_key="after-import")], ada).status_code == 200
    session_of = lk.rows("SELECT s.id FROM cues c JOIN sessions s ON s.id = c.session_id WHERE c.cue_key = 'after-import'")
    live = lk.rows("SELECT id FROM sessions WHERE ended_at IS NULL")
    assert session_of == live, (session_of, live)


HOSTILE = json.load(open(__import__("os").path.join(__import__("os").path.dirname(__file__), "..", "..", "..", "shared",
                                                     "testdata", "hostile-strings.json")))


def hostile_strings():
    values = HOSTILE if isinstance(HOSTILE, list) else [v for group in HOSTILE.values() for v in
                                                         (group if isinstance(group, list) else [group])]
    return [v for v in values if isinstance(v, str)]


@pytest.fixture(scope="module")
def lecture():
    import os
    import shutil
    import tempfile
    from media import make_mp4
    directory = tempfile.mkdtemp(prefix="tapedeck-cue-media-")
    yield make_mp4(os.path.join(directory, "lecture.mp4"), seconds=6)
    shutil.rmtree(directory, ignore_errors=True)


def english_keys(server, rid):
    items = server.get(f"/v1/recordings/{rid}/cues?language=en&kind=captions&limit=5000", headers=server.admin).json()["items"]
    return {c["cue_key"] for c in items}


def test_caption_files_hls_subtitles_and_hostile_text(server, lecture, tmp_path):
    import subprocess
    hostile = hostile_strings()
    # A caption file given to import: SRT, in Spanish.
    srt = tmp_path / "lecture.es.srt"
    srt.write_text("1\r\n00:00:00,500 --> 00:00:01,500\r\nHola\r\n\r\n2\r\n00:00:02,000 --> 00:00:03,000\r\nAdiós\r\n")
    recording, out = server.import_media(lecture, "captions-room", captions=[f"{srt}:es"])
    rid = recording["id"]
    assert "Attached 2 captions (es)" in out
    # More --captions languages than a recording may have tracks: refused before anything is stored.
    refused = subprocess.run([server.binary, "import", lecture, "--room", "too-many-tracks", "--captions", f"{srt}:es",
                              "--captions", f"{srt}:fr", "--captions", f"{srt}:de"],
                             env=dict(server.env, TAPEDECK_MAX_CUE_TRACKS="2"), cwd=server.directory, text=True,
                             capture_output=True)
    assert refused.returncode != 0 and "TAPEDECK_MAX_CUE_TRACKS" in refused.stderr, refused.stderr
    assert server.get("/v1/recordings?room=too-many-tracks", headers=server.admin).json()["items"] == []
    # A WebVTT upload (the file a captioning service delivers).
    lines = ["WEBVTT", ""]
    for i in range(50):
        lines += [f"00:00:{i // 10:02d}.{i % 10 * 100:03d} --> 00:00:05.000", f"<v Teacher>line {i} &amp; more", ""]
    upload = requests.post(f"{server.base_url}/v1/recordings/{rid}/captions?language=en", data="\n".join(lines).encode(),
                           headers={**server.admin, "Content-Type": "text/vtt"})
    assert upload.status_code == 200, upload.text
    # Every hostile string as a cue's text (and, without control characters, its speaker): stored
    # or refused naming the field, never a 5xx; what is stored is served escaped.
    def plain(text):
        return "".join(c for c in text if ord(c) >= 32 and ord(c) != 127)[:200].strip() or None
    cues = []
    for i, text in enumerate(hostile):
        cue = {"cue_key": f"h{i}", "language": "en", "start_ms": 100 + i, "end_ms": 4000, "text": text, "speaker": plain(text)}
        answer = requests.post(f"{server.base_url}/v1/recordings/{rid}/cues", json={"cues": [cue]}, headers=server.admin)
        assert answer.status_code in (200, 400), (text, answer.text)
        if answer.status_code == 400:
            assert answer.json()["error"]["field"] in ("cues[0].text", "cues[0].speaker"), (text, answer.text)
        else:
            cues.append(cue)
    assert len(cues) > len(hostile) // 2
    # Every hostile string as a key, language, kind or speaker is a 400 or stored, never a 5xx.
    for text in hostile:
        for field in ("cue_key", "language", "kind", "speaker", "translation_of", "speaker_identity"):
            body = {"cue_key": "y", "language": "en", "start_ms": 0, "end_ms": 1, "text": "t", field: text}
            answer = requests.post(f"{server.base_url}/v1/recordings/{rid}/cues", headers=server.admin, json={"cues": [body]})
            assert answer.status_code in (200, 400), (field, text, answer.text)
    tracks = {t["language"]: t for t in server.get(f"/v1/recordings/{rid}/text-tracks", headers=server.admin).json()
              if t["kind"] == "captions"}
    assert tracks["es"]["cue_count"] == 2 and tracks["es"]["source"] == "upload"
    vtt = requests.get(tracks["en"]["url"])
    assert vtt.status_code == 200
    parsed = webvtt.from_buffer(__import__("io").StringIO(vtt.text))
    assert len(parsed) == tracks["en"]["cue_count"]
    assert "-->" not in "".join(c.raw_text for c in parsed if "-->" not in c.raw_text)  # timings only on timing lines
    served = "\n".join(c.raw_text for c in parsed)
    for cue in cues:
        # Escaped, each line of it (blank lines inside a cue are collapsed: they would end it).
        for line in cue["text"].replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            escaped = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            assert escaped in served, (cue["text"], line)
        assert "<script" not in served
    # Replacing the English file keeps the posted cues and drops the old file's.
    posted = {k for k in english_keys(server, rid) if not k.startswith("caption-file:")}
    assert len([k for k in english_keys(server, rid) if k.startswith("caption-file:")]) == 50
    again = requests.post(f"{server.base_url}/v1/recordings/{rid}/captions?language=en",
                          data=b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nonly line\n",
                          headers={**server.admin, "Content-Type": "text/vtt"})
    assert again.status_code == 200 and again.json()["accepted"] == 1
    assert english_keys(server, rid) == posted | {"caption-file:1"}
    # The English captions track was announced once, when its first cues came, not per upload.
    events = server.get(f"/v1/recordings/{rid}/events?limit=500", headers=server.admin).json()["items"]
    announced = [e["data"] for e in events if e["type"] == "recording.captions_ready"]
    assert sum(1 for d in announced if (d["kind"], d["language"]) == ("captions", "en")) == 1, announced
    assert sum(1 for d in announced if (d["kind"], d["language"]) == ("captions", "es")) == 1, announced
    # A broken file is refused with its line, and changes nothing.
    broken = requests.post(f"{server.base_url}/v1/recordings/{rid}/captions?language=en",
                           data=b"WEBVTT\n\n00:00:01.000 --> 00:00:00.500\nbackwards\n", headers=server.admin)
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_caption_file", broken.text
    assert english_keys(server, rid) == posted | {"caption-file:1"}
    # HLS: the granted playlist is multivariant with a subtitle rendition per language, and
    # ffprobe (an independent HLS reader) finds them as WebVTT subtitle streams.
    grant = server.get(f"/v1/recordings/{rid}/playback", headers=server.admin).json()
    listed = server.get(f"/v1/recordings/{rid}/text-tracks", headers=server.admin).json()
    kinds = {(t["kind"], t["language"]) for t in grant["text_tracks"]}
    # (hostile languages such as "NUL" are well-formed tags: they made tracks of their own)
    assert kinds == {(t["kind"], t["language"]) for t in listed} and {("captions", "en"), ("captions", "es")} <= kinds
    master = requests.get(grant["hls_url"]).text
    assert master.count("#EXT-X-MEDIA:TYPE=SUBTITLES") == len(kinds) and 'SUBTITLES="subs"' in master, master
    # ffmpeg 5.1's HLS reader parses the renditions (and names each one it skips) and plays the
    # wrapped variant; each subtitle playlist, read by ffmpeg on its own, yields the cues.
    probe = subprocess.run(["ffprobe", "-v", "verbose", "-show_entries", "stream=codec_type", "-of", "json", grant["hls_url"]],
                           capture_output=True, text=True, timeout=120)
    streams = json.loads(probe.stdout or "{}").get("streams", [])
    assert {"video", "audio"} <= {s["codec_type"] for s in streams}, probe.stderr[-2000:]
    renditions = [line.split('URI="')[1].rstrip('"') for line in master.splitlines() if line.startswith("#EXT-X-MEDIA")]
    for uri in renditions:
        assert uri in probe.stderr, probe.stderr[-2000:]
    spanish = [u for u, line in zip(renditions, [l for l in master.splitlines() if l.startswith("#EXT-X-MEDIA")])
               if 'LANGUAGE="es"' in line][0]
    srt_out = subprocess.run(["ffmpeg", "-v", "error", "-i", spanish, "-f", "srt", "-"], capture_output=True, text=True, timeout=120)
    assert "Hola" in srt_out.stdout and "Adiós" in srt_out.stdout, srt_out.stderr
    # The subtitle VTT given to HLS maps its times onto the segments' measured first PTS.
    recording = server.get(f"/v1/recordings/{rid}", headers=server.admin).json()
    sub_playlist = requests.get([line.split('URI="')[1].rstrip('"') for line in master.splitlines()
                                 if line.startswith("#EXT-X-MEDIA") and 'LANGUAGE="es"' in line][0]).text
    vtt_url = [line for line in sub_playlist.splitlines() if line and not line.startswith("#")][0]
    hls_vtt = requests.get(vtt_url).text
    assert hls_vtt.splitlines()[1].startswith("X-TIMESTAMP-MAP=MPEGTS:"), hls_vtt[:200]
    pts = int(hls_vtt.splitlines()[1].split("MPEGTS:")[1].split(",")[0])
    assert pts > 0  # ffmpeg's MPEG-TS output does not start at zero
    # Without a valid signature, or with another track's, nothing is served.
    assert requests.get(tracks["en"]["url"].replace("/en.vtt", "/es.vtt")).status_code == 403
    assert requests.get(tracks["en"]["url"].split("&sig=")[0] + "&sig=AAAA").status_code == 403
