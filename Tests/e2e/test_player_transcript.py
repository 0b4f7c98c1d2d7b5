"""The player's transcript panel in real Chromium: cards from the recording's cue tracks (every
hostile string as text and speaker, shown as text), click or Enter to seek, the line being said
highlighted as the video plays, translations side by side, search with marked hits and keyboard
steps, captions on the video from the same tracks, `#t=` deep links, the phone layout; the
transcript search pages; and grant renewal, over HTTP here and in the browser in
test_player_renewal.py."""
import os
import re
import shutil
import tempfile
import time

import pytest
import requests

from browser import Browser, chromium_binary
from livekit_sim import Outputs
from media import make_hls, make_mp4
from tapedeck_server import ARTIFACTS
from test_livekit import Harness, room_name, run_session
from test_page_escaping import HOSTILE, TRAP, admin_session, baseline, check_page, printable

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason="needs chromium (scripts/test.sh installs it)")

SHOTS = os.path.join(ARTIFACTS, "pages")
# The lecture's lines: English captions by two speakers, two seconds apart, and a Spanish translation of each.
PHRASES = {1: "Recursion is a function calling itself", 5: "A base case stops the recursion",
           9: "Tail calls & <loops>", 30: "RECURSION, one last time"}
LINES = 34


def english(i):
    return f"Line {i}: {PHRASES.get(i, 'we keep going')}"


def lecture_cues():
    cues = []
    for i in range(LINES):
        start = 1000 + 2000 * i
        cues.append({"cue_key": f"en-{i}", "language": "en", "start_ms": start, "end_ms": start + 1900,
                     "text": english(i), "speaker": "Ada" if i % 2 == 0 else "Grace"})
        cues.append({"cue_key": f"es-{i}", "language": "es", "translation_of": f"en-{i}", "start_ms": start,
                     "end_ms": start + 1900, "text": f"Línea {i}: seguimos"})
    return cues


def post_cues(server, recording_id, cues):
    return requests.post(f"{server.base_url}/v1/recordings/{recording_id}/cues", json={"cues": cues}, headers=server.admin)


# What JavaScript's String.prototype.trim removes: the panel leaves out lines that are only this.
JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"


def wait_for(browser, expression, timeout=20, what=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            value = browser.js(expression)
        except RuntimeError:
            value = None  # the document was being replaced
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or expression}")


def seek_and_settle(browser, seconds):
    """Sets currentTime and waits for the seek to finish (the panel follows on seeked/timeupdate)."""
    browser.js(f"""new Promise(done => {{ const v = document.getElementById('player');
        v.addEventListener('seeked', () => setTimeout(done, 50), {{ once: true }}); v.currentTime = {seconds}; }})""",
               await_promise=True)


def press(browser, key, shift=False):
    codes = {"Enter": (13, "\r"), "ArrowDown": (40, ""), "ArrowUp": (38, ""), "Home": (36, ""), "End": (35, ""), "Tab": (9, "")}
    code, text = codes[key]
    modifiers = 8 if shift else 0
    browser.call("Input.dispatchKeyEvent", type="keyDown", key=key, code=key, windowsVirtualKeyCode=code, text=text,
                 modifiers=modifiers)
    browser.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=key, windowsVirtualKeyCode=code, modifiers=modifiers)
    time.sleep(0.1)


def choose(browser, select, value):
    """Picks an option as a person would: the value changes, then `change` fires."""
    browser.js(f"(s => {{ s.value = {value!r}; s.dispatchEvent(new Event('change')); }})(document.getElementById({select!r}))")


def type_search(browser, words):
    browser.js(f"(s => {{ s.value = {words!r}; s.dispatchEvent(new Event('input')); }})"
               "(document.getElementById('transcript-search'))")


def full_screenshot(browser, path):
    import base64
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))


def cards(browser):
    return browser.js("[...document.querySelectorAll('#transcript-cues .cue')].map(c => ({"
                      "text: c.querySelector('.cue-text').textContent,"
                      "speaker: c.querySelector('.cue-speaker') && c.querySelector('.cue-speaker').textContent,"
                      "translation: c.querySelector('.cue-translation') && c.querySelector('.cue-translation').textContent}))")


@pytest.fixture(scope="module")
def long_outputs():
    """A 75 s recording (long enough to scroll a transcript, and to outlive a playback grant)."""
    directory = tempfile.mkdtemp(prefix="tapedeck-transcript-media-")
    mp4 = make_mp4(os.path.join(directory, "egress.mp4"), seconds=75, size="320x180")
    make_hls(mp4, os.path.join(directory, "hls"))
    yield Outputs(mp4, os.path.join(directory, "hls")), mp4
    shutil.rmtree(directory, ignore_errors=True)


def wait_processed(harness):
    harness.sim.wait(lambda: harness.rows("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")[0][0] == "0",
                     timeout=180, what="post-processing finished")


@pytest.fixture(scope="module")
def site(long_outputs):
    """A LiveKit lecture (ada and grace took part) with English captions and a Spanish translation;
    an imported recording whose cues carry every hostile string; a browser signed in as ada."""
    outputs, mp4 = long_outputs
    harness = Harness(outputs, name="transcript")
    server = harness.server
    browser = None
    try:
        room = room_name("lecture")
        run_session(harness, room, people=("ada", "grace"))
        [lecture] = harness.wait_recordings(room, "ready")
        answer = post_cues(server, lecture["id"], lecture_cues())
        assert answer.status_code == 200 and answer.json()["accepted"] == 2 * LINES, answer.text
        done = server.cli("import", mp4, "--room", room_name("hostile"))
        hostile_id = re.search(r"Imported ([0-9a-f-]{36})", done.stdout).group(1)
        for i, value in enumerate(HOSTILE):
            start = 500 + 400 * i
            cue = {"cue_key": f"h{i}", "language": "en", "start_ms": start, "end_ms": start + 300, "text": value}
            # Text and speaker both hostile; where the speaker is refused (a control character), the text alone.
            if post_cues(server, hostile_id, [dict(cue, speaker=value)]).status_code != 200:
                post_cues(server, hostile_id, [cue])
        wait_processed(harness)
        token = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "ada", "name": "Ada"},
                              headers=server.admin).json()["token"]
        browser = Browser()
        browser.call("Page.addScriptToEvaluateOnNewDocument", source=TRAP)
        browser.open(f"{server.base_url}/recordings/{lecture['id']}?token={token}")
        yield {"harness": harness, "server": server, "lecture": lecture, "hostile": hostile_id, "browser": browser,
               "page": f"{server.base_url}/recordings/{lecture['id']}", "token": token}
    finally:
        if browser:
            browser.close()
        harness.close()


def open_lecture(site, fragment=""):
    browser = site["browser"]
    browser.open(site["page"] + "?reload=" + str(time.time()) + fragment, settle=0.2)
    wait_for(browser, f"document.querySelectorAll('#transcript-cues .cue').length === {LINES}", what="the cards")
    wait_for(browser, "document.getElementById('player').readyState >= 1", what="the video's metadata")
    return browser


def test_cards_show_the_lines_with_their_translations_side_by_side(site):
    browser = open_lecture(site)
    shown = cards(browser)
    assert [c["text"] for c in shown] == [english(i) for i in range(LINES)]
    assert [c["speaker"] for c in shown] == ["Ada" if i % 2 == 0 else "Grace" for i in range(LINES)]
    # Translations beside the lines they translate (linked by cue key), by default.
    assert [c["translation"] for c in shown] == [f"Línea {i}: seguimos" for i in range(LINES)]
    assert browser.js("document.getElementById('transcript-beside-field').hidden") is False
    assert browser.js("[...document.getElementById('transcript-language').options].map(o => o.textContent)") == \
        ["English (transcript)", "Spanish (translation)"]
    assert browser.js("document.querySelector('#transcript-cues .cue-translation').lang") == "es"
    assert browser.js("document.getElementById('transcript-columns').innerText.split('\\n')") == ["English", "Spanish"]
    # "<loops>" arrives as text, never as markup.
    assert browser.js("document.querySelectorAll('#transcript-cues loops').length") == 0
    full_screenshot(browser, os.path.join(SHOTS, "transcript-desktop.png"))
    # The Spanish track on its own: nothing translates it, so nothing is offered beside it.
    choose(browser, "transcript-language", "1")
    shown = cards(browser)
    assert [c["text"] for c in shown] == [f"Línea {i}: seguimos" for i in range(LINES)]
    assert all(c["translation"] is None for c in shown)
    assert browser.js("document.getElementById('transcript-beside-field').hidden") is True
    # Back to English, and no translation beside it.
    choose(browser, "transcript-language", "0")
    choose(browser, "transcript-beside", "")
    assert all(c["translation"] is None for c in cards(browser))
    assert browser.js("window.__ran") == [] and browser.js("window.__blocked") == []


def test_tracks_reach_the_video_and_captions_switch_on(site):
    browser = open_lecture(site)
    tracks = browser.js("[...document.querySelectorAll('#player track')].map(t => ({kind: t.kind, lang: t.srclang, label: t.label}))")
    assert tracks == [{"kind": "captions", "lang": "en", "label": "English"},
                      {"kind": "subtitles", "lang": "es", "label": "Spanish"}]
    # Chromium's own WebVTT parser read every cue of both tracks from the signed links.
    wait_for(browser, "[...document.querySelectorAll('#player track')].every(t => t.readyState === 2)", what="tracks loaded")
    counts = browser.js("[...document.querySelectorAll('#player track')].map(t => t.track.cues.length)")
    assert counts == [LINES, LINES]
    first = browser.js("(() => { const c = document.querySelector('#player track').track.cues[0];"
                       " return [c.startTime, c.endTime, c.text]; })()")
    assert first == [1.0, 2.9, "<v Ada>" + english(0)]
    assert browser.js("document.querySelector('#player track[srclang=es]').track.cues[9].text") == "Línea 9: seguimos"
    # The panel's button shows the chosen language's captions on the video, and hides them again.
    toggle = "document.getElementById('captions-toggle')"
    assert browser.js(f"{toggle}.getAttribute('aria-pressed')") == "false"
    browser.js(f"{toggle}.click()")
    assert browser.js("[...document.querySelectorAll('#player track')].map(t => t.track.mode)") == ["showing", "hidden"]
    assert browser.js(f"{toggle}.getAttribute('aria-pressed')") == "true"
    seek_and_settle(browser, 11.5)
    assert browser.js("[...document.querySelector('#player track').track.activeCues].map(c => c.id)") == ["en-5"]
    browser.js(f"{toggle}.click()")
    assert browser.js("[...document.querySelectorAll('#player track')].map(t => t.track.mode)") == ["hidden", "hidden"]


def test_pressing_a_card_seeks_and_the_active_card_follows_playback(site):
    browser = open_lecture(site)
    card = "document.querySelectorAll('#transcript-cues .cue')"
    # The active card is the line being said, announced once in the live region.
    seek_and_settle(browser, 20.4)
    active = browser.js(f"[...{card}].findIndex(c => c.classList.contains('active'))")
    assert active == 9
    assert browser.js(f"{card}[9].getAttribute('aria-current')") == "true"
    assert browser.js(f"[...{card}].filter(c => c.getAttribute('aria-current')).length") == 1
    assert browser.js("document.getElementById('transcript-live').textContent") == "Grace: " + english(9)
    # Near the end, the list has scrolled the active card into view (the page itself did not scroll).
    seek_and_settle(browser, 65.2)
    assert browser.js(f"[...{card}].findIndex(c => c.classList.contains('active'))") == 32
    visible = browser.js(f"""(() => {{ const list = document.getElementById('transcript-cues').getBoundingClientRect();
        const c = {card}[32].getBoundingClientRect(); return c.top >= list.top - 1 && c.bottom <= list.bottom + 1; }})()""")
    assert visible and browser.js("document.getElementById('transcript-cues').scrollTop") > 0
    assert browser.js("window.scrollY") == 0
    # Pressing a card plays from its line; Enter on a focused card too.
    browser.js(f"{card}[3].click()")
    time.sleep(0.3)
    assert abs(browser.js("document.getElementById('player').currentTime") - 7.0) < 0.3
    browser.js(f"{card}[6].focus()")
    press(browser, "Enter")
    time.sleep(0.3)
    assert abs(browser.js("document.getElementById('player').currentTime") - 13.0) < 0.3
    # Playing moves it along with real time, and the live region follows.
    seek_and_settle(browser, 2.6)
    browser.js("(v => { v.muted = true; return v.play().then(() => 'ok'); })(document.getElementById('player'))",
               await_promise=True)
    time.sleep(2.5)
    browser.js("document.getElementById('player').pause()")
    now = browser.js("document.getElementById('player').currentTime")
    assert now > 3.5
    expected = int((now - 1.0) // 2)
    assert browser.js(f"[...{card}].findIndex(c => c.classList.contains('active'))") == expected
    assert browser.js("document.getElementById('transcript-live').textContent").endswith(english(expected))


def test_search_marks_hits_and_the_keyboard_moves_between_them(site):
    browser = open_lecture(site)
    before = browser.js("document.getElementById('transcript-cues').textContent")
    browser.js("document.getElementById('transcript-search').focus()")
    browser.call("Input.insertText", text="recursion")
    wait_for(browser, "document.querySelectorAll('#transcript-cues mark').length > 0", what="marks")
    marks = browser.js("[...document.querySelectorAll('#transcript-cues mark')].map(m => m.textContent)")
    assert marks == ["Recursion", "recursion", "RECURSION"]
    # Marks wrap text nodes: the text reads as before, and the lines hold no other element.
    assert browser.js("document.getElementById('transcript-cues').textContent") == before
    assert browser.js("[...new Set([...document.querySelectorAll('#transcript-cues *')].map(e => e.tagName))].sort()") == \
        ["BUTTON", "LI", "MARK", "SPAN"]
    current = "[...document.querySelectorAll('#transcript-cues mark')].findIndex(m => m.classList.contains('current'))"
    assert browser.js(current) == 0
    assert browser.js("document.getElementById('transcript-hits').textContent") == "1 of 3 matches"
    press(browser, "Enter")
    assert browser.js(current) == 1
    press(browser, "Enter")
    assert browser.js(current) == 2
    # The current hit's card is scrolled into view in the list.
    assert browser.js("""(() => { const list = document.getElementById('transcript-cues').getBoundingClientRect();
        const m = document.querySelector('#transcript-cues mark.current').getBoundingClientRect();
        return m.top >= list.top && m.bottom <= list.bottom; })()""")
    press(browser, "Enter")
    assert browser.js(current) == 0  # wraps around
    press(browser, "Enter", shift=True)
    assert browser.js(current) == 2
    press(browser, "ArrowUp")
    assert browser.js(current) == 1
    assert browser.js("document.activeElement.id") == "transcript-search"  # moving between hits keeps the field focused
    type_search(browser, "<loops> &")
    time.sleep(0.4)
    assert browser.js("[...document.querySelectorAll('#transcript-cues mark')].map(m => m.textContent)") == ["&", "<loops>"]
    type_search(browser, "nowhere-to-be-found")
    time.sleep(0.4)
    assert browser.js("document.querySelectorAll('#transcript-cues mark').length") == 0
    assert browser.js("document.getElementById('transcript-hits').textContent") == "No matches"
    assert browser.js("document.getElementById('transcript-cues').textContent") == before


def test_time_fragment_seeks_on_load_and_on_change(site):
    browser = open_lecture(site, fragment="#t=33")
    wait_for(browser, "Math.abs(document.getElementById('player').currentTime - 33) < 0.3", what="seek to 33 s")
    assert browser.js("[...document.querySelectorAll('#transcript-cues .cue')].findIndex(c => c.classList.contains('active'))") == 16
    browser.js("location.hash = '#t=12.5'")
    wait_for(browser, "Math.abs(document.getElementById('player').currentTime - 12.5) < 0.3", what="seek to 12.5 s")
    browser.js("location.hash = '#t=1:02'")
    wait_for(browser, "Math.abs(document.getElementById('player').currentTime - 62) < 0.3", what="seek to 1:02")


def test_phone_width_puts_the_panel_under_the_video(site):
    browser = open_lecture(site)
    layout = "(() => { const v = document.getElementById('player').getBoundingClientRect();" \
             " const p = document.getElementById('transcript').getBoundingClientRect();" \
             " return {vl: v.left, vr: v.right, vb: v.bottom, pl: p.left, pt: p.top, pr: p.right,"\
             " page: document.documentElement.scrollWidth, width: window.innerWidth}; })()"
    wide = browser.js(layout)
    assert wide["pl"] >= wide["vr"] and wide["pt"] < wide["vb"]  # beside the video
    browser.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
    try:
        browser = open_lecture(site)
        narrow = browser.js(layout)
        assert narrow["pt"] >= narrow["vb"]  # under it
        assert abs(narrow["pl"] - narrow["vl"]) < 2 and abs(narrow["pr"] - narrow["vr"]) < 2
        assert narrow["page"] <= narrow["width"]  # nothing wider than the phone
        full_screenshot(browser, os.path.join(SHOTS, "transcript-phone.png"))
    finally:
        browser.call("Emulation.clearDeviceMetricsOverride")


def js_trimmed(value):
    return value.strip(JS_SPACE)


@pytest.mark.parametrize("page", ["share", "admin"])
def test_hostile_cue_text_and_speakers_are_shown_as_text(site, page):
    server, hostile = site["server"], site["hostile"]
    stored = requests.get(f"{server.base_url}/v1/recordings/{hostile}/cues?limit=5000", headers=server.admin).json()["items"]
    missing = [value for value in HOSTILE if printable(value) and value not in {c["text"] for c in stored}]
    assert not missing, missing
    expected = [(c["text"], c["speaker"] or None) for c in stored if js_trimmed(c["text"])]
    browser = Browser()
    try:
        browser.call("Page.addScriptToEvaluateOnNewDocument", source=TRAP)
        if page == "share":
            url = requests.post(f"{server.base_url}/v1/recordings/{hostile}/shares", json={"expires_in": 600},
                                headers=server.admin).json()["url"]
        else:
            browser.open(server.base_url + "/")
            browser.js(f"document.getElementById('api_key').value = {server.admin_key!r}; document.querySelector('form').submit()")
            wait_for(browser, "document.readyState === 'complete' && document.querySelector('h1')?.textContent === 'Recordings'",
                     what="the signed-in dashboard")
            url = f"{server.base_url}/recordings/{hostile}"
        browser.open(url, settle=0.2)
        wait_for(browser, f"document.querySelectorAll('#transcript-cues .cue').length === {len(expected)}", what="hostile cards")
        shown = cards(browser)
        assert [(c["text"], c["speaker"]) for c in shown] == expected
        # Exactly the elements the panel makes for that many lines, and nothing else anywhere.
        inside = browser.js("(() => { const n = {}; document.querySelectorAll('#transcript-cues *').forEach(e =>"
                            " { n[e.tagName] = (n[e.tagName] || 0) + 1; }); return n; })()")
        speakers = sum(1 for _, speaker in expected if speaker)
        assert inside == {"LI": len(expected), "BUTTON": len(expected), "SPAN": 3 * len(expected) + speakers}
        outside = browser.js("document.querySelectorAll('*').length - document.querySelectorAll('#transcript-cues *').length")
        type_search(browser, "alert")
        time.sleep(0.5)
        assert browser.js("document.querySelectorAll('#transcript-cues mark').length") > 0
        assert browser.js("document.querySelectorAll('*').length - document.querySelectorAll('#transcript-cues *').length") == outside
        browser.js("document.querySelectorAll('#transcript-cues .cue').forEach(c => ['mouseover', 'focus'].forEach(t =>"
                   " c.dispatchEvent(new Event(t))))")
        assert browser.js("window.__ran") == [], "a payload's script ran"
        assert browser.js("window.__blocked") == []
        assert browser.js("document.querySelectorAll('#transcript-cues script, #transcript-cues img, #transcript-cues svg').length") == 0
        if page == "share":
            browser.screenshot(os.path.join(SHOTS, "transcript-hostile.png"))
    finally:
        browser.close()


def test_search_pages_for_admins_and_viewers(site):
    server, lecture = site["server"], site["lecture"]
    admin = admin_session(server)
    dashboard = admin.get(server.base_url + "/")
    assert 'action="/search"' in dashboard.text
    found = admin.get(server.base_url + "/search", params={"q": "recursion"})
    assert found.status_code == 200
    assert f'href="/recordings/{lecture["id"]}#t=3"' in found.text  # line 1, at 3 s
    assert f'href="/recordings/{lecture["id"]}#t=61"' in found.text  # "RECURSION, one last time"
    assert "3 matching lines" in found.text
    # A viewer's list: only what they may watch, as GET /v1/search answers their token.
    def viewer_cookie(sub):
        token = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": sub}, headers=server.admin).json()["token"]
        return {"tapedeck_viewer": token}, {"Authorization": "Bearer " + token}
    for sub, sees in (("ada", True), ("grace", True), ("eve", False)):
        cookie, bearer = viewer_cookie(sub)
        page = requests.get(server.base_url + "/search", params={"q": "recursion"}, cookies=cookie)
        api = requests.get(server.base_url + "/v1/search", params={"q": "recursion"}, headers=bearer).json()["items"]
        assert (lecture["id"] in page.text) == sees == (lecture["id"] in [i["recording"]["id"] for i in api]), sub
    assert requests.get(server.base_url + "/search", params={"q": "recursion"}).status_code == 401
    # Results link into the player at the moment: in Chromium the link seeks there.
    browser = site["browser"]
    # From the viewer's own player page: its search form (a GET form sends the space as "+").
    open_lecture(site)
    browser.js("document.getElementById('search-q').value = 'base case'; document.getElementById('search-q').form.requestSubmit()")
    wait_for(browser, "document.querySelector('.hits a') !== null", what="search results")
    assert browser.js("document.getElementById('q').value") == "base case"
    assert browser.js("[...document.querySelectorAll('.hits a')].map(a => a.textContent)") == ["0:11 Grace: " + english(5)]
    browser.screenshot(os.path.join(SHOTS, "search-results.png"))
    browser.js("document.querySelector('.hits a').click()")
    wait_for(browser, "document.getElementById('player') && Math.abs(document.getElementById('player').currentTime - 11) < 0.3",
             what="the result's moment")
    browser.screenshot(os.path.join(SHOTS, "search-result-followed.png"))
    # Hostile queries keep the search page's structure.
    url = server.base_url + "/search"
    shape = baseline(admin.get(url), admin.get(url, params={"q": "recursion"}), admin.get(url, params={"q": "zzz-nothing"}),
                     admin.get(url, params={"q": "x" * 300}), admin.get(url, params={"q": "recursion", "room": "nowhere"}))
    for value in HOSTILE:
        check_page(admin.get(url, params={"q": value, "room": value}), shape, f"search for {value!r}")


def test_grant_renewal_answers_only_the_page_s_own_credentials(site):
    server, lecture, hostile = site["server"], site["lecture"], site["hostile"]
    renew = f"{server.base_url}/recordings/{lecture['id']}/grant"
    ada = {"tapedeck_viewer": site["token"]}
    fresh = requests.get(renew, cookies=ada)
    assert fresh.status_code == 200 and fresh.headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in fresh.headers
    grant = fresh.json()
    assert grant["hls_url"] and 55 * 60 <= grant["expires_in"] <= 3600
    assert [t["language"] for t in grant["text_tracks"]] == ["en", "es"]
    assert requests.get(grant["text_tracks"][0]["cues_url"]).json()["cues"][0]["text"] == english(0)
    assert requests.get(renew).status_code == 401
    assert requests.get(renew, cookies=ada, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    eve = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "eve"}, headers=server.admin).json()["token"]
    assert requests.get(renew, cookies={"tapedeck_viewer": eve}).status_code == 404
    events = server.get(f"/v1/recordings/{lecture['id']}/events?limit=500", headers=server.admin).json()["items"]
    renewals = [e for e in events if e["type"] == "playback.granted" and e["data"].get("via") == "web page renewal"]
    assert renewals and renewals[-1]["actor"] == "viewer:ada"
    # A share with a passcode: the page's passcode leaves a cookie for that link only, and renewal needs it.
    share = requests.post(f"{server.base_url}/v1/recordings/{hostile}/shares", json={"expires_in": 600, "passcode": "open sesame"},
                          headers=server.admin).json()
    viewer = requests.Session()
    assert viewer.get(share["url"] + "/grant").status_code == 401
    opened = viewer.post(share["url"], data={"passcode": "open sesame"})
    assert opened.status_code == 200 and "tapedeck_share" in viewer.cookies
    cookie = next(c for c in viewer.cookies if c.name == "tapedeck_share")
    assert cookie.path == "/s/" + share["url"].rsplit("/", 1)[1] and cookie.has_nonstandard_attr("HttpOnly")
    renewed = viewer.get(share["url"] + "/grant")
    assert renewed.status_code == 200 and f"share={share['id']}" in renewed.json()["hls_url"]
    other = requests.post(f"{server.base_url}/v1/recordings/{hostile}/shares", json={"expires_in": 600, "passcode": "other one"},
                          headers=server.admin).json()
    stolen = requests.get(other["url"] + "/grant", cookies={"tapedeck_share": cookie.value})
    assert stolen.status_code == 401  # a share's cookie opens no other share
    requests.delete(f"{server.base_url}/v1/shares/{share['id']}", headers=server.admin)
    assert viewer.get(share["url"] + "/grant").status_code == 410
    events = server.get(f"/v1/recordings/{hostile}/events?limit=500", headers=server.admin).json()["items"]
    assert any(e["type"] == "playback.granted" and e["data"].get("share_id") == share["id"] for e in events)


# A long lecture: more lines than the panel renders at once, 30 ms apart over the 75 s video.
LONG_LINES = 2400


def long_line(i):
    return f"Long {i}: " + {100: "the pivot goes first", 2300: "the pivot and a xylophone"}.get(i, "and so on")


def long_start_ms(i):
    return 500 + 30 * i


@pytest.fixture(scope="module")
def long_lecture(site, long_outputs):
    """An imported recording with LONG_LINES English lines and a Spanish translation of each, and a
    share link to its player page."""
    server = site["server"]
    done = server.cli("import", long_outputs[1], "--room", room_name("long"))
    rid = re.search(r"Imported ([0-9a-f-]{36})", done.stdout).group(1)
    cues = []
    for i in range(LONG_LINES):
        start = long_start_ms(i)
        cues.append({"cue_key": f"en-{i}", "language": "en", "start_ms": start, "end_ms": start + 29,
                     "text": long_line(i), "speaker": "Ada"})
        cues.append({"cue_key": f"es-{i}", "language": "es", "translation_of": f"en-{i}", "start_ms": start,
                     "end_ms": start + 29, "text": f"Larga {i}"})
    for at in range(0, len(cues), 1000):
        answer = post_cues(server, rid, cues[at:at + 1000])
        assert answer.status_code == 200, answer.text
    return requests.post(f"{server.base_url}/v1/recordings/{rid}/shares", json={"expires_in": 3600},
                         headers=server.admin).json()["url"]


# The card's place in the whole transcript (only a window of cards is in the document).
POSITION = "(c => c ? Number(c.closest('li').getAttribute('aria-posinset')) : null)"
IN_VIEW = """(c => { const l = document.getElementById('transcript-cues').getBoundingClientRect(), r = c.getBoundingClientRect();
    return r.top >= l.top - 1 && r.bottom <= l.bottom + 1; })"""


def rendered(browser):
    return browser.js("document.querySelectorAll('#transcript-cues .cue').length")


def test_a_long_transcript_renders_a_window_and_still_follows_finds_and_steps(long_lecture):
    browser = Browser()
    try:
        # A deep link far down: the line said then is active, rendered and scrolled into view.
        browser.open(long_lecture + "#t=45", settle=0.2)
        wait_for(browser, "document.getElementById('transcript-cues').getAttribute('aria-busy') === 'false'"
                          " && document.querySelector('#transcript-cues .cue.active') !== null", what="the active card")
        expected = (45000 - 500) // 30  # the last line starting by 45 s
        active = "document.querySelector('#transcript-cues .cue.active')"
        assert browser.js(f"{POSITION}({active})") == expected + 1
        assert browser.js(f"{IN_VIEW}({active})")
        assert browser.js(f"{active}.getAttribute('aria-current')") == "true"
        assert browser.js(f"{active}.querySelector('.cue-text').textContent") == long_line(expected)
        assert browser.js(f"{active}.querySelector('.cue-translation').textContent") == f"Larga {expected}"
        assert browser.js("document.querySelector('#transcript-cues li[aria-setsize]').getAttribute('aria-setsize')") == str(LONG_LINES)
        assert 0 < rendered(browser) < 200
        assert browser.js("window.scrollY") == 0
        # Seeking elsewhere moves the active card there; only one card is active.
        seek_and_settle(browser, 70.0)
        expected = (70000 - 500) // 30
        assert browser.js(f"{POSITION}({active})") == expected + 1 and browser.js(f"{IN_VIEW}({active})")
        assert browser.js("document.querySelectorAll('#transcript-cues .cue.active, #transcript-cues [aria-current]').length") == 1
        assert browser.js("document.getElementById('transcript-live').textContent") == "Ada: " + long_line(expected)
        # Search finds lines that are not rendered: the hit's card comes into view, marked.
        browser.js("document.getElementById('player').currentTime = 1")
        time.sleep(0.3)
        browser.js("document.getElementById('transcript-search').focus()")
        browser.call("Input.insertText", text="xylophone")
        wait_for(browser, "document.getElementById('transcript-hits').textContent === '1 of 1 match'", what="the hit")
        current = "document.querySelector('#transcript-cues mark.current')"
        assert browser.js(f"{current}.textContent") == "xylophone"
        assert browser.js(f"{POSITION}({current})") == 2301 and browser.js(f"{IN_VIEW}({current})")
        type_search(browser, "pivot")
        wait_for(browser, "document.getElementById('transcript-hits').textContent === '1 of 2 matches'", what="two hits")
        assert browser.js(f"{POSITION}({current})") == 101 and browser.js(f"{IN_VIEW}({current})")
        press(browser, "Enter")
        assert browser.js(f"{POSITION}({current})") == 2301 and browser.js(f"{IN_VIEW}({current})")
        assert browser.js("document.getElementById('transcript-hits').textContent") == "2 of 2 matches"
        press(browser, "Enter")  # wraps around
        assert browser.js(f"{POSITION}({current})") == 101
        # Pressing the hit's card plays from its line.
        browser.js(f"{current}.closest('.cue').click()")
        time.sleep(0.3)
        assert abs(browser.js("document.getElementById('player').currentTime") - long_start_ms(100) / 1000) < 0.1
        type_search(browser, "")
        time.sleep(0.4)
        assert browser.js("document.querySelectorAll('#transcript-cues mark').length") == 0
        # The keyboard walks the whole list, to cards that were not rendered.
        focused = "document.activeElement.closest('#transcript-cues .cue')"
        browser.js(f"{active}.focus()")
        press(browser, "End")
        assert browser.js(f"{POSITION}({focused})") == LONG_LINES and browser.js(f"{IN_VIEW}({focused})")
        press(browser, "Home")
        assert browser.js(f"{POSITION}({focused})") == 1 and browser.js(f"{IN_VIEW}({focused})")
        for _ in range(3):
            press(browser, "ArrowDown")
        assert browser.js(f"{POSITION}({focused})") == 4 and browser.js(f"{IN_VIEW}({focused})")
        press(browser, "Enter")
        time.sleep(0.3)
        assert abs(browser.js("document.getElementById('player').currentTime") - long_start_ms(3) / 1000) < 0.1
        # Tab goes from card to card past the ones rendered at first, each scrolled into view.
        for _ in range(40):
            press(browser, "Tab")
        assert browser.js(f"{POSITION}({focused})") == 44 and browser.js(f"{IN_VIEW}({focused})")
        # Scrolled to the end as with a scroll bar: the last card is there, at the bottom.
        for _ in range(5):  # each scroll renders the cards there and measures them; the end settles
            browser.js("(l => { l.scrollTop = l.scrollHeight; })(document.getElementById('transcript-cues'))")
            time.sleep(0.2)
        last = "[...document.querySelectorAll('#transcript-cues .cue')].pop()"
        assert browser.js(f"{POSITION}({last})") == LONG_LINES and browser.js(f"{IN_VIEW}({last})")
        assert 0 < rendered(browser) < 200
        browser.screenshot(os.path.join(SHOTS, "transcript-long.png"))
    finally:
        browser.close()
