"""Cue (transcript) benchmarks against a release `tapedeck serve`.

    vtt: a 3-hour lecture's 10,000 cues in three languages (English captions, Spanish and French
      subtitles translating them) posted with media times onto an imported short MP4; then the
      English track's signed WebVTT URL, from text-tracks, requested one at a time and by wrk,
      next to /healthz of the same server (SQLite).
    player: the same lecture's player page through a share link in headless Chromium: time from
      the navigation's start to the first frame with the panel ready on the default track (and its
      translation beside it), over repeated loads, alternated with the page of the same video
      without cues (no panel) as the baseline; then a card pressed seeks the video.
    big-track: tracks of 1,000, 10,000 and 100,000 cues, each fetched once as WebVTT and as JSON
      after a restart, with the server's resident memory sampled meanwhile (SQLite).
    ingest: a LiveKit session (the stand-in) with its recording running; concurrent posters send
      batches of cues with fresh keys and wall-clock times to POST /v1/rooms/{name}/cues with a
      participant's viewer token: cues/s and batch latency, for batches of 100, then of 10.
    search: GET /v1/search?q= over the catalog Benchmarks/cues-seed.sql made (PostgreSQL):
      two-word queries, common+rare, rare+rare and common+common, with the admin key and with
      the token of a viewer who took part in 10 sessions, next to /healthz; then the plans
      PostgreSQL ran for them (auto_explain), to see which indexes they use.
"""
import argparse
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import requests
import webvtt

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "Tests", "peers"))
from livekit_sim import LiveKitSim  # noqa: E402
from media import make_mp4  # noqa: E402
from tapedeck_server import Server  # noqa: E402
from livekit_bench import Tapedeck  # noqa: E402
from bench_common import cpu_seconds, memory, percentile  # noqa: E402
from load import Client, report, summary, wrk  # noqa: E402

LECTURE_MS = 3 * 3600 * 1000
WORDS = ("we", "look", "at", "the", "proof", "again", "recursion", "base", "case", "induction", "so", "this", "term",
         "grows", "like", "n", "log", "and", "that", "is", "why", "memory", "matters", "here", "a", "tree", "of",
         "calls", "each", "node", "splits", "into", "two", "smaller", "problems", "until", "they", "are", "trivial")


def sentence(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."


def lecture_cues(count, rng):
    """`count` cues spread over three hours in each of en (captions), es and fr (subtitles of them)."""
    step = LECTURE_MS // count
    english = [{"cue_key": f"en-{i}", "language": "en", "start_ms": i * step, "end_ms": i * step + step - 200,
                "text": sentence(rng), "speaker": "Lecturer"} for i in range(count)]
    tracks = {"en": english}
    for language in ("es", "fr"):
        tracks[language] = [{"cue_key": f"{language}-{i}", "kind": "subtitles", "language": language,
                             "translation_of": cue["cue_key"], "start_ms": cue["start_ms"], "end_ms": cue["end_ms"],
                             "text": sentence(rng)} for i, cue in enumerate(english)]
    return tracks


def lecture_recording(tapedeck, work, cue_count):
    """An imported short MP4 with `cue_count` cues over three hours in three languages posted onto
    it in batches of 1,000: (recording, cues posted, cue count per language, batch latencies)."""
    # A short real MP4 stands for the lecture: cue times are not bound by the media's duration.
    mp4 = make_mp4(os.path.join(work, "lecture.mp4"), seconds=10, size="320x180")
    recording, _ = tapedeck.import_media(mp4, "lecture")
    rid = recording["id"]
    tracks = lecture_cues(cue_count // 3 + 1, random.Random(15))
    posted, took = 0, []
    for cues in tracks.values():
        for first in range(0, len(cues), 1000):
            batch = cues[first:first + 1000][:cue_count - posted]
            if not batch:
                break
            started = time.perf_counter()
            answer = requests.post(f"{tapedeck.base_url}/v1/recordings/{rid}/cues", json={"cues": batch},
                                   headers=tapedeck.admin, timeout=60)
            took.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200 and answer.json()["accepted"] == len(batch), answer.text
            posted += len(batch)
    listed = tapedeck.get(f"/v1/recordings/{rid}/text-tracks", headers=tapedeck.admin).json()
    counts = {t["language"]: t["cue_count"] for t in listed}
    assert sum(counts.values()) == posted, (counts, posted)
    return recording, posted, counts, took


def vtt(args):
    tapedeck = Server(env={"TAPEDECK_LOG_LEVEL": "warning"}, name="cues-bench-vtt", artifacts=args.artifacts,
                      binary=args.binary).start()
    work = tempfile.mkdtemp(prefix="tapedeck-cues-")
    try:
        recording, posted, counts, took = lecture_recording(tapedeck, work, args.cues)
        listed = tapedeck.get(f"/v1/recordings/{recording['id']}/text-tracks", headers=tapedeck.admin).json()
        [english] = [t for t in listed if t["language"] == "en"]
        body = requests.get(english["url"], timeout=30)
        assert body.status_code == 200 and body.headers["Content-Type"].startswith("text/vtt"), body.text[:200]
        parsed = webvtt.from_buffer(__import__("io").StringIO(body.text))
        assert len(parsed) == english["cue_count"]
        last_ms = parsed[-1].start_in_seconds * 1000
        link = urllib.parse.urlsplit(english["url"])
        url = f"{link.path}?{link.query}"
        client = Client(tapedeck.base_url)
        healthz = client.timed("/healthz", args.requests)
        # The server's own CPU time per request, which the host's other load does not inflate.
        cpu_before = cpu_seconds(tapedeck.process.pid)
        track = client.timed(url, args.requests, warmup=200)
        served = args.requests + 200
        track["server_cpu_ms_per_request"] = round((cpu_seconds(tapedeck.process.pid) - cpu_before) * 1000 / served, 2)
        result = {
            "cues": posted, "tracks": counts, "recording_duration_ms": recording["duration_ms"],
            "last_english_cue_start_ms": round(last_ms), "vtt_bytes": len(body.content),
            "post_batch_of_1000_ms": summary(took),
            "sequential": {"healthz": healthz, "vtt": track},
            "wrk": {"healthz": wrk(tapedeck.base_url + "/healthz", args.seconds, args.connections),
                    "vtt": wrk(tapedeck.base_url + url, args.seconds, args.connections)},
        }
        client.close()
        return result
    finally:
        tapedeck.close()
        shutil.rmtree(work, ignore_errors=True)


# Runs in the page before its own scripts: notes when the panel is ready with the default track
# (its list no longer aria-busy, its cards standing for all `want` lines) and the next animation
# frame, the first the browser can paint with them; the first frame after DOMContentLoaded (what a
# page without the panel is ready by); when the video has metadata; and the main thread's long
# tasks (over 50 ms) until then.
PANEL_PROBE = """(() => {
  const want = %d;
  window.__panel = {longTasks: []};
  try {
    new PerformanceObserver(list => { list.getEntries().forEach(e => window.__panel.longTasks.push(e.duration)); })
      .observe({type: 'longtask', buffered: true});
  } catch (e) {}
  function check() {
    const list = document.getElementById('transcript-cues');
    const card = list && list.querySelector('li[aria-setsize]');
    // (Or every line's card in the list, as the panel had them before it rendered only a window:
    // to measure that version too.)
    const ready = list && (list.getAttribute('aria-busy') === 'false' && card && Number(card.getAttribute('aria-setsize')) === want
                           || list.querySelectorAll('.cue').length === want);
    if (ready) {
      window.__panel.cards = performance.now();
      // When the last of the panel's track fetches (JSON) had its answer.
      window.__panel.tracks = Math.max(...performance.getEntriesByType('resource')
        .filter(r => /\.json\?/.test(r.name)).map(r => r.responseEnd));
      requestAnimationFrame(() => { window.__panel.painted = performance.now(); });
      return;
    }
    requestAnimationFrame(check);
  }
  if (want > 0) requestAnimationFrame(check);
  document.addEventListener('DOMContentLoaded', () => {
    window.__panel.dom = performance.now();
    requestAnimationFrame(() => { window.__panel.domFrame = performance.now(); });
    const video = document.getElementById('player');
    if (video) video.addEventListener('loadedmetadata', () => { window.__panel.metadata = performance.now(); });
  });
})();"""


def load_page(browser, page, mark):
    """Opens `page` and waits for window.__panel[mark]: the probe's marks for this load."""
    browser.open(page, settle=0)
    deadline = time.time() + 30
    # This load's page (not the one before it), with its mark taken.
    ready = f"location.href === {json.dumps(page)} && window.__panel && window.__panel.{mark}"
    while not browser.js(ready) and time.time() < deadline:
        time.sleep(0.02)
    marks = browser.js("window.__panel")
    assert mark in marks, marks
    return marks


def spread(values):
    return {"p50": round(percentile(values, 50), 1), "p99": round(percentile(values, 99), 1),
            "min": round(min(values), 1), "max": round(max(values), 1)}


def player(args):
    """The player page of the 3-hour lecture, through a share link, in headless Chromium: from the
    navigation's start to the first frame with the panel ready (English, with the Spanish
    translation beside it); alternated with the player page of the same video without cues (no
    panel) as the baseline; then a card pressed seeks the video."""
    from browser import Browser  # noqa: E402 (Tests/peers; needs websocket-client)
    tapedeck = Server(env={"TAPEDECK_LOG_LEVEL": "warning"}, name="cues-bench-player", artifacts=args.artifacts,
                      binary=args.binary).start()
    work = tempfile.mkdtemp(prefix="tapedeck-cues-player-")
    browsers = []
    try:
        recording, posted, counts, _ = lecture_recording(tapedeck, work, args.cues)
        bare, _ = tapedeck.import_media(os.path.join(work, "lecture.mp4"), "lecture-without-cues")

        def share(rid):
            return requests.post(f"{tapedeck.base_url}/v1/recordings/{rid}/shares", json={"expires_in": 3600},
                                 headers=tapedeck.admin, timeout=30).json()["url"]
        lecture_url, bare_url = share(recording["id"]), share(bare["id"])
        # One browser for each page, so each keeps its own probe (with the lines it waits for).
        browser = Browser()
        browsers.append(browser)
        browser.call("Page.addScriptToEvaluateOnNewDocument", source=PANEL_PROBE % counts["en"])
        plain = Browser()
        browsers.append(plain)
        plain.call("Page.addScriptToEvaluateOnNewDocument", source=PANEL_PROBE % 0)
        loads, baseline, rendered = [], [], []
        for n in range(args.page_loads + 2):
            suffix = f"{'&' if '?' in lecture_url else '?'}load={n}"
            marks = load_page(browser, lecture_url + suffix, "painted")
            # The default view pairs each English line with its Spanish translation, on every card rendered.
            cards = browser.js("document.querySelectorAll('#transcript-cues .cue').length")
            assert cards > 0 and browser.js("document.querySelectorAll('#transcript-cues .cue-translation').length") == cards
            without = load_page(plain, bare_url + f"{'&' if '?' in bare_url else '?'}load={n}", "domFrame")
            assert plain.js("document.getElementById('transcript') === null")
            if n >= 2:  # the first two warm the browser's and the server's caches
                loads.append(marks)
                baseline.append(without)
                rendered.append(cards)
        # Interactive: pressing a card plays from its line.
        card = browser.js("(() => { const c = document.querySelectorAll('#transcript-cues .cue')[2]; c.click();"
                          " return c.querySelector('.cue-time').textContent; })()")
        time.sleep(0.3)
        seeked = browser.js("document.getElementById('player').currentTime")
        step = LECTURE_MS // (args.cues // 3 + 1)
        assert abs(seeked - 2 * step / 1000) < 0.3, (card, seeked)
        longest = [max(m["longTasks"], default=0) for m in loads]
        return {
            "cues": posted, "tracks": counts, "page_loads": len(loads),
            "panel_interactive_ms": spread([m["painted"] for m in loads]),
            "baseline_page_without_panel_first_frame_ms": spread([m["domFrame"] for m in baseline]),
            "first_frame_after_dom_content_loaded_ms": spread([m["domFrame"] for m in loads]),
            "dom_content_loaded_ms_p50": round(percentile([m["dom"] for m in loads], 50), 1),
            "tracks_fetched_ms_p50": round(percentile([m["tracks"] for m in loads], 50), 1),
            "cards_built_ms_p50": round(percentile([m["cards"] for m in loads], 50), 1),
            "longest_main_thread_task_ms": spread(longest),
            "cards_in_document": {"min": min(rendered), "max": max(rendered)},
            "video_metadata_ms_p50": round(percentile([m["metadata"] for m in loads if "metadata" in m], 50), 1)
            if any("metadata" in m for m in loads) else None,
            "card_press_seeked_to_s": round(seeked, 3),
            "load_average": os.getloadavg(),
        }
    finally:
        for browser in browsers:
            browser.close()
        tapedeck.close()
        shutil.rmtree(work, ignore_errors=True)


def post_track(tapedeck, rid, count, language="en"):
    """`count` one-line captions of one language, a second apart, posted in batches of 1,000."""
    rng = random.Random(count)
    for first in range(0, count, 1000):
        batch = [{"cue_key": f"{language}-{i}", "language": language, "start_ms": i * 1000, "end_ms": i * 1000 + 900,
                  "text": sentence(rng), "speaker": "Lecturer"} for i in range(first, min(count, first + 1000))]
        answer = requests.post(f"{tapedeck.base_url}/v1/recordings/{rid}/cues", json={"cues": batch},
                               headers=tapedeck.admin, timeout=120)
        assert answer.status_code == 200 and answer.json()["accepted"] == len(batch), answer.text


def fetch_watching_memory(tapedeck, url, marker):
    """GETs `url` as a stream (the client holds none of it), sampling the server's resident memory
    every 5 ms meanwhile: bytes, occurrences of `marker` (cues), seconds to the first byte and in all,
    the server's RSS before and its highest sample during (MiB)."""
    pid = tapedeck.process.pid
    before = memory(pid)["VmRSS"]
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], memory(pid)["VmRSS"])
            time.sleep(0.005)
    watcher = threading.Thread(target=sample)
    watcher.start()
    started = time.perf_counter()
    size, cues, first_byte, tail = 0, 0, None, b""
    with requests.get(url, stream=True, timeout=300) as answer:
        assert answer.status_code == 200, answer.text[:200]
        chunked = answer.headers.get("Transfer-Encoding") == "chunked"
        for chunk in answer.iter_content(64 * 1024):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(chunk)
            # Markers split across two chunks are counted once, on the later one.
            joined = tail + chunk
            cues += joined.count(marker)
            tail = joined[-(len(marker) - 1):]
            cues -= tail.count(marker)
    took = time.perf_counter() - started
    done.set()
    watcher.join()
    return {"bytes": size, "cues": cues, "chunked": chunked, "first_byte_s": round(first_byte, 3), "total_s": round(took, 3),
            "server_rss_before_mib": round(before, 1), "server_rss_peak_mib": round(peak[0], 1),
            "server_rss_growth_mib": round(peak[0] - before, 1)}


def big_track(args):
    """Memory of serving one long track: recordings with 1,000, 10,000 and `--big-track` cues on
    one track (SQLite); after a restart, each track's WebVTT and JSON fetched once while the
    server's resident memory is sampled. Streamed in pages, the growth does not follow the size."""
    tapedeck = Server(env={"TAPEDECK_LOG_LEVEL": "warning"}, name="cues-bench-big-track", artifacts=args.artifacts,
                      binary=args.binary).start()
    work = tempfile.mkdtemp(prefix="tapedeck-cues-big-")
    try:
        mp4 = make_mp4(os.path.join(work, "lecture.mp4"), seconds=10, size="320x180")
        sizes = [1000, 10000, args.big_track]
        recordings = {}
        for count in sizes:
            recording, _ = tapedeck.import_media(mp4, f"track-{count}")
            post_track(tapedeck, recording["id"], count)
            recordings[count] = recording["id"]
        # A fresh process: what the posts left in its heap does not hide what a fetch needs.
        tapedeck.stop()
        tapedeck.start()
        results = {}
        for count in sizes:
            [track] = tapedeck.get(f"/v1/recordings/{recordings[count]}/text-tracks", headers=tapedeck.admin).json()
            assert track["cue_count"] == count, track
            vtt_result = fetch_watching_memory(tapedeck, track["url"], b" --> ")
            json_result = fetch_watching_memory(tapedeck, track["cues_url"], b'"cue_key":')
            assert vtt_result["cues"] == count and json_result["cues"] == count, (vtt_result, json_result)
            results[str(count)] = {"vtt": vtt_result, "json": json_result}
        results["server_peak_rss_mib"] = round(memory(tapedeck.process.pid)["VmHWM"], 1)
        return results
    finally:
        tapedeck.close()
        shutil.rmtree(work, ignore_errors=True)


def live_recording(tapedeck, sim, room, identity):
    """A room whose session is open, with `identity` in it and its recording running."""
    sim.start_room(room)
    sim.join(room, identity)
    sim.deliver()
    sim.wait(lambda: sim.starts_for(room), what=f"egress start for {room}")
    sim.deliver()  # egress_started, egress_updated (active)

    def recording():
        items = tapedeck.get(f"/v1/recordings?room={room}", headers=tapedeck.admin).json()["items"]
        return items[0] if items and items[0]["status"] == "recording" else None
    return sim.wait(recording, what=f"{room} recording")


def post_live(base_url, room, token, batch_size, seconds, posters):
    """`posters` threads, each posting batches of new cues for `seconds`: cues/s and batch latency."""
    texts = [sentence(random.Random(n)) for n in range(500)]
    latencies, counts, failures = [], [], []
    start_gate = threading.Barrier(posters + 1)

    def poster(index):
        client = Client(base_url, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        path = f"/v1/rooms/{room}/cues"
        mine, sequence = [], 0
        start_gate.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            now = int(time.time() * 1000)
            cues = [{"cue_key": f"b{batch_size}-p{index}-{sequence + i}", "language": "en", "start_at": now + i,
                     "end_at": now + i + 1500, "text": texts[(sequence + i) % len(texts)], "speaker": "Ada"}
                    for i in range(batch_size)]
            sequence += batch_size
            body = json.dumps({"cues": cues})
            started = time.perf_counter_ns()
            status, answer = client.request("POST", path, body=body)
            mine.append((time.perf_counter_ns() - started) / 1e6)
            if status != 200 or json.loads(answer)["accepted"] != batch_size:
                failures.append((status, answer[:200]))
                break
        client.close()
        latencies.extend(mine)
        counts.append(len(mine) * batch_size)

    threads = [threading.Thread(target=poster, args=(i,)) for i in range(posters)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert not failures, failures[:3]
    return {"batch_size": batch_size, "posters": posters, "seconds": round(elapsed, 2), "cues": sum(counts),
            "cues_per_s": round(sum(counts) / elapsed), "batches_per_s": round(len(latencies) / elapsed),
            "batch_latency": summary(latencies)}


def ingest(args):
    # One participant posts every cue of the run (about 240,000 on SQLite in 40 s): past the
    # default cap of cues per poster, so raised here; each batch still counts the poster's cues.
    os.environ["TAPEDECK_MAX_CUES_PER_POSTER"] = "10000000"
    args.mode = "cues-" + ("postgres" if args.database_url else "sqlite")
    sim = LiveKitSim(None)
    tapedeck = Tapedeck(args, sim)
    sim.tapedeck_url = tapedeck.base_url
    try:
        room = "lecture-live"
        recording = live_recording(tapedeck, sim, room, "ada")
        token = tapedeck.viewer_token("ada", expires_in=3600)
        result = {"database": "postgresql" if args.database_url else "sqlite", "runs": []}
        for batch_size in args.batch_sizes:
            result["runs"].append(post_live(tapedeck.base_url, room, token, batch_size, args.seconds, args.posters))
            print(json.dumps(result["runs"][-1]), flush=True)
        [(stored, placed)] = tapedeck.rows("SELECT COUNT(*), COUNT(recording_id) FROM cues")
        posted = sum(run["cues"] for run in result["runs"])
        # Every cue is stored once and landed on the running recording.
        assert int(stored) == int(placed) == posted, (stored, placed, posted)
        result["stored"] = int(stored)
        result["recording"] = recording["id"]
        assert sim.protocol_errors == [], sim.protocol_errors
        return result
    finally:
        tapedeck.close()
        sim.close()


def psql(url, sql):
    return subprocess.run(["psql", url, "-AtF", "|", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                          capture_output=True, text=True).stdout.strip()


def query_words(url, rng):
    """Query words by class: common (the 20 most frequent English words PostgreSQL does not drop
    as stop words) and rare (the 1,000 least frequent), as the seed ranked them."""
    first = int(psql(url, "SELECT MIN(rank) FROM cue_seed_words WHERE language = 'en' "
                          "AND to_tsvector('english', word) <> ''::tsvector"))
    last = int(psql(url, "SELECT MAX(rank) FROM cue_seed_words WHERE language = 'en'"))

    def words(low, high):
        return psql(url, f"SELECT word FROM cue_seed_words WHERE language = 'en' AND rank BETWEEN {low} AND {high} "
                         "ORDER BY rank").split("\n")
    return words(first, first + 19), words(last - 999, last)


def search_queries(common, rare, per_class, rng):
    """Two-word queries of each class, and all of them interleaved (the mix)."""
    pairs = {
        "common+rare": lambda: (rng.choice(common), rng.choice(rare)),
        "rare+rare": lambda: tuple(rng.sample(rare, 2)),
        "common+common": lambda: tuple(rng.sample(common, 2)),
    }
    queries = {name: [" ".join(make()) for _ in range(per_class)] for name, make in pairs.items()}
    queries["mix"] = [q for triple in zip(*queries.values()) for q in triple]
    return queries


def matching_cues(url, query):
    """How many cues hold both words (English stemming), for context."""
    return int(psql(url, "SELECT COUNT(*) FROM cues WHERE search @@ plainto_tsquery('english', "
                         f"'{query}') AND final"))


def explained_plans(url, log_path, run_queries):
    """The plans PostgreSQL ran (auto_explain, with ANALYZE) while `run_queries` ran."""
    offset = os.path.getsize(log_path)
    psql(url, "ALTER SYSTEM SET auto_explain.log_min_duration = 0")
    psql(url, "ALTER SYSTEM SET auto_explain.log_analyze = on")
    psql(url, "SELECT pg_reload_conf()")
    time.sleep(1)
    try:
        run_queries()
    finally:
        psql(url, "ALTER SYSTEM RESET auto_explain.log_min_duration")
        psql(url, "ALTER SYSTEM RESET auto_explain.log_analyze")
        psql(url, "SELECT pg_reload_conf()")
    time.sleep(1)
    with open(log_path) as log:
        log.seek(offset)
        return log.read()


def search(args):
    rng = random.Random(15)
    tapedeck = Server(env={"TAPEDECK_LOG_LEVEL": "warning", "DATABASE_URL": args.database_url}, name="cues-bench-search",
                      artifacts=args.artifacts, binary=args.binary).start()
    try:
        common, rare = query_words(args.database_url, rng)
        queries = search_queries(common, rare, 200, rng)
        principals = {"admin key": tapedeck.admin,
                      "viewer token (10 sessions)": {"Authorization": "Bearer " + tapedeck.viewer_token("bench-viewer", expires_in=3600)}}
        client = Client(tapedeck.base_url)
        result = {"cues": int(psql(args.database_url, "SELECT COUNT(*) FROM cues")),
                  "recordings": int(psql(args.database_url, "SELECT COUNT(*) FROM recordings WHERE status = 'ready'")),
                  "matching_cues_mean": {name: round(sum(matching_cues(args.database_url, q) for q in qs[:20]) / 20)
                                         for name, qs in queries.items() if name != "mix"},
                  "healthz": client.timed("/healthz", args.requests)}
        answers = {}
        mix = []
        for principal, headers in principals.items():
            result[principal] = {}
            for name, qs in queries.items():
                paths = [f"/v1/search?q={urllib.parse.quote(q)}" for q in qs]
                timed = client.timed(itertools.cycle(paths).__next__, args.requests, headers=headers)
                result[principal][name] = timed
                mix.append(timed)
                if name == "mix":
                    continue
                for q, path in zip(qs, paths):
                    items = json.loads(client.get(path, headers))["items"]
                    answers[f"{principal}: {q}"] = [
                        [i["recording"]["id"], i["hit_count"], [h["start_ms"] for h in i["hits"]]] for i in items]
            found = [len(v) for k, v in answers.items() if k.startswith(principal)]
            result[principal]["distinct_queries"] = len(found)
            result[principal]["queries_with_results"] = sum(1 for n in found if n)
        result["worst_p99_ms"] = max(m["p99_ms"] for m in mix)
        if args.answers:
            with open(args.answers, "w") as f:
                json.dump(answers, f, indent=0, sort_keys=True)
        if args.pg_log:
            def once():
                for headers in principals.values():
                    for qs in list(queries.values())[:3]:
                        client.get(f"/v1/search?q={urllib.parse.quote(qs[0])}", headers)
            plans = explained_plans(args.database_url, args.pg_log, once)
            with open(os.path.join(args.artifacts, "cues-search-plans.log"), "w") as f:
                f.write(plans)
            searches = [p for p in re.split(r"\n(?=\S.*LOG:)", plans) if "GROUP BY" in p or "@@" in p]
            result["plans"] = {"statements_with_a_text_match": len(searches),
                               "using_cues_search_gin": sum(1 for p in searches if "cues_search" in p)}
        client.close()
        return result
    finally:
        tapedeck.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["vtt", "player", "big-track", "ingest", "search"])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--artifacts", default=tempfile.gettempdir())
    parser.add_argument("--database-url")
    parser.add_argument("--cues", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--big-track", type=int, default=100000, help="big-track: cues on the longest track")
    parser.add_argument("--page-loads", type=int, default=40, help="player: page loads measured")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--posters", type=int, default=4)
    parser.add_argument("--batch-sizes", type=lambda s: [int(v) for v in s.split(",")], default=[100, 10])
    parser.add_argument("--pg-log", help="the PostgreSQL server's log file (search: plans from auto_explain)")
    parser.add_argument("--answers", help="search: where to write every query's answer, to compare two builds")
    parser.add_argument("--json")
    args = parser.parse_args()
    report({"vtt": vtt, "player": player, "big-track": big_track, "ingest": ingest, "search": search}[args.mode](args), args.json)


if __name__ == "__main__":
    main()
