"""Hostile values in every page: each string of the shared hostile-string corpus as a room name,
title, participant name and identity, failure reason, share email, webhook URL and dashboard
filter. The pages are parsed with Python's html.parser and must hold no element or attribute that
the same page with a benign value does not; in real Chromium, no payload's script may run.

One SQLite-backed server: what a page prints does not depend on the catalog's database."""
import html.parser
import json
import os
import re
import shutil
import tempfile
import time
import unicodedata

import pytest
import requests
from livekit.protocol import egress as egress_pb

from browser import Browser, chromium_binary
from media import make_mp4
from tapedeck_server import ARTIFACTS, ROOT
from test_livekit import Harness, outputs  # noqa: F401 (fixture)
from test_livekit import room_name

CORPUS = os.environ.get("TAPEDECK_HOSTILE_STRINGS",
                        os.path.join(os.path.dirname(ROOT), "shared", "testdata", "hostile-strings.json"))

# A quote or bracket joined to the next character by a combining mark, joiner or variation
# selector: one grapheme cluster, which a per-Character escaper does not see as a quote.
CLUSTERED = [
    "x\"\u0301 onloadstart=alert(1) y", "x\"\u0308 autofocus onfocus=alert(1) y", "\"\u0301><img src=x onerror=alert(1)>",
    "<\u200dimg src=x onerror=alert(1)>", "x'\u0301 onmouseover=alert(1) y", "x\"\U000e0100 onerror=alert(1) y",
]


def hostile_strings():
    with open(CORPUS, encoding="utf-8") as f:
        corpus = json.load(f)
    return list(dict.fromkeys(corpus + CLUSTERED))


HOSTILE = hostile_strings()


class Structure(html.parser.HTMLParser):
    """What a page is made of: each element with each attribute name, comments and declarations,
    script sources; and the text of every element with an id or of the first h1."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.parts, self.scripts, self.h1, self._in_h1 = set(), set(), None, False
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.parts.add((tag, None))
        self.parts.update((tag, name) for name, _ in attrs)
        if tag == "script":
            self.scripts.add(dict(attrs).get("src"))
        if tag == "h1" and self.h1 is None:
            self._in_h1, self.h1 = True, ""

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1 += data

    def handle_comment(self, data):
        self.parts.add(("#comment", None))

    def handle_decl(self, decl):
        self.parts.add(("#declaration", decl.lower()))

    def handle_pi(self, data):
        self.parts.add(("#processing-instruction", None))

    def unknown_decl(self, data):
        self.parts.add(("#unknown-declaration", None))


def check_page(response, baseline, what):
    assert response.status_code < 500, (what, response.status_code)
    assert response.headers["Content-Type"].startswith("text/html"), what
    page = Structure(response.text)
    extra = page.parts - baseline.parts
    assert not extra, f"{what}: elements or attributes the template did not put there: {sorted(extra, key=str)}"
    assert page.scripts <= baseline.scripts, f"{what}: scripts {page.scripts - baseline.scripts}"
    return page


def printable(value):
    """Shown exactly as stored (no control characters or edge spaces for a store to clean)."""
    return value.isprintable() and value == value.strip() and value != ""


def baseline(*responses):
    """The union of benign renderings of one page: what its templates may put there."""
    union = Structure("")
    for response in responses:
        assert response.status_code < 500
        page = Structure(response.text)
        union.parts |= page.parts
        union.scripts |= page.scripts
    return union


def admin_session(server):
    session = requests.Session()
    login = session.get(server.base_url + "/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
    signed_in = session.post(server.base_url + "/login", data={"csrf": csrf, "api_key": server.admin_key})
    assert "Recordings" in signed_in.text
    return session


def recorded_session(harness, room, people, error=None):
    """A LiveKit session with `people` ((identity, name) pairs); its egress completes, or fails
    with `error`. Returns the recording."""
    sim = harness.sim
    sim.start_room(room)
    for identity, name in people:
        sim.join(room, identity, name=name)
    sim.deliver()
    harness.wait_start(room)
    sim.deliver()
    harness.wait_latest(room, "recording")
    info = sim.egress_of(room)[-1]
    if error is not None:
        sim.end_egress(info.egress_id, status=egress_pb.EgressStatus.EGRESS_FAILED, error=error)
        sim.deliver()
        return harness.wait_latest(room, "failed")
    for identity, _ in people:
        sim.leave(room, identity)
    sim.deliver()
    harness.wait_stop(info.egress_id)
    sim.deliver()
    sim.finish_room(room)
    sim.deliver()
    return harness.wait_latest(room, "ready")


def share_url(server, recording_id, **body):
    response = requests.post(f"{server.base_url}/v1/recordings/{recording_id}/shares",
                             json={"expires_in": 3600, **body}, headers=server.admin)
    assert response.status_code < 500, response.text
    return response.json()["url"] if response.status_code == 201 else None


@pytest.fixture(scope="module")
def site(outputs):  # noqa: F811
    """Tapedeck with a LiveKit stand-in; one imported recording per hostile string (room and
    title), a session whose participants carry every string, a failed one whose reason does."""
    harness = Harness(outputs, name="escaping")
    server = harness.server
    media = tempfile.mkdtemp(prefix="tapedeck-escaping-")
    clip = make_mp4(os.path.join(media, "clip.mp4"), seconds=1, size="160x90", gop=30)
    try:
        # The LiveKit sessions first: the imports' post-processing would queue ahead of their egress.
        people = [("benign-person", "Benign Person")] + \
            [(value, "") for value in HOSTILE if value] + [(f"named-{i}", value) for i, value in enumerate(HOSTILE)]
        crowd = recorded_session(harness, room_name("crowd"), people)
        failed = recorded_session(harness, room_name("failed"), [("ada", "Ada")], error=" | ".join(HOSTILE))
        benign_failed = recorded_session(harness, room_name("failed"), [("ada", "Ada")], error="disk full")
        imported = {}
        for value in ["benign room"] + HOSTILE:
            if "\x00" in value:
                continue  # a command-line argument cannot hold NUL
            done = server.cli("import", clip, f"--room={value}", f"--title={value}", check=False)
            found = re.search(r"Imported ([0-9a-f-]{36})", done.stdout)
            if found:
                imported[value] = found.group(1)
        assert all(value in imported for value in ["benign room"] + CLUSTERED), sorted(imported)
        # Post-processing adds thumbnails (an <img> on the pages): let it finish before any page is
        # compared with another, so that both show the same kinds of element.
        harness.sim.wait(lambda: harness.rows("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running') "
                                              "AND kind = 'media.post_process'")[0][0] == "0",
                         timeout=120, what="post-processing finished")
        shares = {value: share_url(server, rid) for value, rid in imported.items()}
        for recording in (crowd, failed, benign_failed):
            shares[recording["id"]] = share_url(server, recording["id"])
        yield {"harness": harness, "server": server, "imported": imported, "shares": shares, "crowd": crowd,
               "failed": failed, "benign_failed": benign_failed, "admin": admin_session(server)}
    finally:
        harness.close()
        shutil.rmtree(media, ignore_errors=True)


def test_player_and_admin_pages_keep_their_structure(site):
    server, admin, imported, shares = site["server"], site["admin"], site["imported"], site["shares"]
    benign = imported["benign room"]
    viewer_base = baseline(requests.get(shares["benign room"]))
    admin_base = baseline(admin.get(f"{server.base_url}/recordings/{benign}"))
    assert ("video", "aria-label") in viewer_base.parts and ("code", None) in admin_base.parts
    for value, recording_id in imported.items():
        viewer = check_page(requests.get(shares[value]), viewer_base, f"share page of room {value!r}")
        page = check_page(admin.get(f"{server.base_url}/recordings/{recording_id}"), admin_base,
                          f"admin page of room {value!r}")
        if printable(value):
            assert viewer.h1 == page.h1 == value, (value, viewer.h1)  # shown as stored: escaped once, not twice


def test_participants_and_failure_reasons_keep_the_structure(site):
    server, admin, shares = site["server"], site["admin"], site["shares"]
    crowd, failed, benign_failed = site["crowd"], site["failed"], site["benign_failed"]
    viewer_base = baseline(requests.get(shares["benign room"]))
    admin_base = baseline(admin.get(f"{server.base_url}/recordings/{site['imported']['benign room']}"))
    crowd_page = admin.get(f"{server.base_url}/recordings/{crowd['id']}")
    check_page(crowd_page, admin_base, "admin page listing every hostile participant")
    check_page(requests.get(shares[crowd["id"]]), viewer_base, "share page listing every hostile participant")
    # Every name is shown (once per canonically equal name: "café" precomposed or not is one person).
    text = unicodedata.normalize("NFC", html.unescape(crowd_page.text))
    missing = [value for value in HOSTILE if printable(value) and unicodedata.normalize("NFC", value) not in text]
    assert not missing, missing
    failed_viewer = baseline(requests.get(shares[benign_failed["id"]]))
    failed_admin = baseline(admin.get(f"{server.base_url}/recordings/{benign_failed['id']}"))
    assert "disk full" in requests.get(shares[benign_failed["id"]]).text
    check_page(requests.get(shares[failed["id"]]), failed_viewer, "failure page with a hostile reason")
    check_page(admin.get(f"{server.base_url}/recordings/{failed['id']}"), failed_admin, "admin page of a hostile failure")


def test_dashboard_filters_and_listing_keep_their_structure(site):
    server, admin = site["server"], site["admin"]
    url = server.base_url + "/"
    dashboard = baseline(admin.get(url), admin.get(url, params={"room": "benign room"}),
                         admin.get(url, params={"participant": "Benign"}),
                         admin.get(url, params={"room": "no such room", "participant": "nobody"}))
    for value in HOSTILE:
        for field in ("room", "participant"):
            response = admin.get(url, params={field: value})
            check_page(response, dashboard, f"dashboard with {field}={value!r}")
        check_page(admin.get(url, params={"room": value, "participant": value, "status": value}), dashboard,
                   f"dashboard with every filter {value!r}")


def test_share_email_and_message_pages_keep_their_structure(site):
    server, imported = site["server"], site["imported"]
    benign = imported["benign room"]
    denied = baseline(requests.get(share_url(server, benign, email="ada@example.com")))
    for value in HOSTILE:
        url = share_url(server, benign, email=value)
        if url:
            check_page(requests.get(url), denied, f"share for email {value!r}")


def test_my_page_and_the_outbox_keep_their_structure(site):
    """Invitations to every hostile room: the invitee's /my page lists them all, and the
    dashboard's outbox shows their subjects (no mail server here: recorded as skipped). Before
    the webhook test: its endpoints' failing deliveries would keep the worker busy."""
    server, admin, imported = site["server"], site["admin"], site["imported"]

    def invite(recording_id, email):
        response = requests.put(f"{server.base_url}/v1/recordings/{recording_id}/invitees",
                                json={"invitees": [{"email": email}]}, headers=server.admin)
        assert response.status_code == 200, response.text

    def my_page(email, sub):
        token = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": sub, "email": email},
                              headers=server.admin).json()["token"]
        return requests.get(f"{server.base_url}/my?token={token}")

    def outbox_count():
        return len(requests.get(server.base_url + "/v1/emails?limit=200", headers=server.admin).json()["items"])

    invite(imported["benign room"], "benign-viewer@example.com")
    site["harness"].sim.wait(lambda: outbox_count() == 1, timeout=60, what="the benign invitation recorded")
    my_base = baseline(my_page("benign-viewer@example.com", "benign-viewer"))
    dashboard_base = baseline(admin.get(server.base_url + "/"))
    assert ("img", "src") in my_base.parts and ("table", None) in dashboard_base.parts
    for value, recording_id in imported.items():
        invite(recording_id, "hostile-viewer@example.com")
    site["harness"].sim.wait(lambda: outbox_count() == 1 + len(imported), timeout=120, what="every invitation recorded")
    page = check_page(my_page("hostile-viewer@example.com", "hostile-viewer"), my_base, "/my listing every hostile room")
    assert page.h1 == "Your recordings"
    check_page(admin.get(server.base_url + "/"), dashboard_base, "dashboard with hostile subjects in the outbox")
    text = html.unescape(my_page("hostile-viewer@example.com", "hostile-viewer").text)
    missing = [value for value in imported if printable(value) and value not in text]
    assert not missing, missing


def test_webhook_urls_and_descriptions_reach_no_page(site):
    """Webhook endpoints are API-only: hostile URLs and descriptions are stored or refused with a
    4xx, and the admin's pages stay as they were."""
    server, admin = site["server"], site["admin"]
    benign = f"{server.base_url}/recordings/{site['imported']['benign room']}"
    pages = baseline(admin.get(server.base_url + "/"), admin.get(benign))
    for value in HOSTILE:
        for url in (value, "https://hooks.example.com/" + value):
            created = requests.post(f"{server.base_url}/v1/webhook-endpoints", json={"url": url, "description": value},
                                    headers=server.admin)
            assert created.status_code < 500, (value, created.status_code)
    for response in (admin.get(server.base_url + "/"), admin.get(benign)):
        check_page(response, pages, "admin page after hostile webhook endpoints")


def test_pages_send_a_policy_that_allows_no_inline_script(site):
    server, admin = site["server"], site["admin"]
    for response in (requests.get(site["shares"]["benign room"]), admin.get(server.base_url + "/"),
                     requests.get(server.base_url + "/"), requests.get(server.base_url + "/s/" + "x" * 40),
                     admin.get(f"{server.base_url}/recordings/{site['imported']['benign room']}")):
        policy = response.headers["Content-Security-Policy"]
        directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
        assert directives["default-src"] == ["'self'"] and directives["frame-ancestors"] == ["'none'"]
        assert directives["script-src"] == ["'self'"] and directives["object-src"] == ["'none'"]
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
        assert response.headers["X-Frame-Options"] == "DENY"
        assert 'style="' not in response.text and not re.search(r"<script(?![^>]*\ssrc=)", response.text)
    for asset in ("tapedeck.css", "storyboard-previews.js", "admin-panel.js"):
        assert requests.get(f"{server.base_url}/assets/{asset}").status_code == 200


# Every payload that would run script calls alert(); the browser's alert is replaced before any
# page script runs, so a call is recorded (and no dialog blocks the page). What the policy blocks
# is recorded too: Tapedeck's own pages must need nothing it refuses.
TRAP = ("window.__ran = []; window.__blocked = [];"
        "window.alert = function (v) { window.__ran.push(String(v)); };"
        "document.addEventListener('securitypolicyviolation', function (e) {"
        " window.__blocked.push(e.violatedDirective + ' ' + e.blockedURI); });")
HANDLERS = "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name)).filter(n => n.startsWith('on'))"
# Fire the events a reader's pointer or keyboard would, so handlers that need them would run too.
POKE = ("document.querySelectorAll('*').forEach(e => ['mouseover', 'focus', 'click'].forEach(t => "
        "{ if (t !== 'click' || !e.closest('a, form, button')) e.dispatchEvent(new Event(t)); }))")


@pytest.mark.skipif(chromium_binary() is None, reason="needs chromium (scripts/test.sh installs it)")
def test_no_payload_runs_in_chromium(site):
    server, imported, shares = site["server"], site["imported"], site["shares"]
    scripted = [value for value in imported if "alert" in value]
    browser = Browser()
    try:
        browser.call("Page.addScriptToEvaluateOnNewDocument", source=TRAP)
        browser.open(server.base_url + "/")
        browser.js(f"document.getElementById('api_key').value = {server.admin_key!r}; document.querySelector('form').submit()")
        time.sleep(1.0)
        pages = [(f"share page of {v!r}", shares[v]) for v in scripted]
        pages += [(f"admin page of {v!r}", f"{server.base_url}/recordings/{imported[v]}") for v in scripted]
        pages += [(f"dashboard filtered by {v!r}", f"{server.base_url}/?" + requests.compat.urlencode(
            {"room": v, "participant": v})) for v in scripted if "\x00" not in v]
        pages += [("crowd", f"{server.base_url}/recordings/{site['crowd']['id']}"),
                  ("failure", f"{server.base_url}/recordings/{site['failed']['id']}"),
                  ("failure share", shares[site["failed"]["id"]]),
                  ("benign admin page", f"{server.base_url}/recordings/{imported['benign room']}"),
                  ("benign share page", shares["benign room"]), ("dashboard", f"{server.base_url}/")]
        for what, url in pages:
            browser.open(url, settle=0.2)
            assert browser.js("document.querySelector('h1') !== null"), what
            browser.js(POKE)
            assert browser.js("window.__ran") == [], f"{what}: payload script ran"
            assert browser.js(HANDLERS) == [], what
            assert browser.js("window.__blocked") == [], what
        browser.screenshot(os.path.join(ARTIFACTS, "pages", "hostile-failure.png"))
        # The handlers moved out of the markup still work: deleting asks first (and "no" keeps it).
        benign = imported["benign room"]
        browser.open(f"{server.base_url}/recordings/{benign}", settle=0.2)
        browser.js("window.__asked = []; window.confirm = m => { window.__asked.push(m); return false; };"
                   "document.querySelector('form[data-confirm]').requestSubmit()")
        time.sleep(0.5)
        assert browser.js("window.__asked") == ["Delete this recording and its files?"]
        assert server.get(f"/v1/recordings/{benign}", headers=server.admin).json()["status"] == "ready"
    finally:
        browser.close()
