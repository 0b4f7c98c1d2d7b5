"""Grant renewal in real Chromium, on a server whose playback links last a minute (the shortest
TAPEDECK_PLAYBACK_TTL_S allows): each page asks for a fresh grant before its links expire and
moves the video onto the new links where it was, playing or paused; a share revoked meanwhile
leaves a clear message instead of a dead player."""
import os
import time

import pytest
import requests

from browser import Browser, chromium_binary
from tapedeck_server import ARTIFACTS
from test_livekit import Harness, room_name, run_session
from test_player_transcript import long_outputs, wait_for, wait_processed  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason="needs chromium (scripts/test.sh installs it)")

TTL = 60
# Every 50 ms, what the video shows: (page time in s, currentTime, currentSrc, paused).
SAMPLER = ("window.__samples = []; setInterval(() => { const v = document.getElementById('player');"
           " window.__samples.push([performance.now() / 1000, v.currentTime, v.currentSrc, v.paused]); }, 50)")


@pytest.fixture(scope="module")
def renewing(long_outputs):  # noqa: F811
    outputs, _ = long_outputs
    harness = Harness(outputs, env={"TAPEDECK_PLAYBACK_TTL_S": str(TTL)}, name="renewal")
    browsers = []
    try:
        room = room_name("long-lecture")
        run_session(harness, room, people=("ada",))
        [recording] = harness.wait_recordings(room, "ready")
        wait_processed(harness)
        yield harness, recording, browsers
    finally:
        for browser in browsers:
            browser.close()
        harness.close()


def video(browser, expression):
    return browser.js(f"(v => {expression})(document.getElementById('player'))")


def test_pages_renew_their_links_and_a_revoked_share_says_so(renewing):
    harness, recording, browsers = renewing
    server = harness.server
    rid = recording["id"]
    # setup: a viewer watching, a passcode share's viewer paused at 20 s, and a share about to be revoked.
    watching, paused, revoked = Browser(), Browser(), Browser()
    browsers.extend([watching, paused, revoked])
    token = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "ada"}, headers=server.admin).json()["token"]
    watching.open(f"{server.base_url}/recordings/{rid}?token={token}", settle=0.2)
    wait_for(watching, "document.getElementById('player').readyState >= 1", what="metadata")
    assert watching.js("(v => { v.muted = true; return v.play().then(() => 'ok'); })(document.getElementById('player'))",
                       await_promise=True) == "ok"
    watching.js(SAMPLER)
    opened_at = time.time()
    with_passcode = requests.post(f"{server.base_url}/v1/recordings/{rid}/shares",
                                  json={"expires_in": 3600, "passcode": "lecture"}, headers=server.admin).json()
    paused.open(with_passcode["url"], settle=0.2)
    paused.js("document.getElementById('passcode').value = 'lecture'; document.querySelector('form').submit()")
    wait_for(paused, "document.getElementById('player') && document.getElementById('player').readyState >= 1", what="share page")
    paused.js("document.getElementById('player').currentTime = 20")
    wait_for(paused, "Math.abs(document.getElementById('player').currentTime - 20) < 0.01", what="paused at 20 s")
    to_revoke = requests.post(f"{server.base_url}/v1/recordings/{rid}/shares", json={"expires_in": 3600},
                              headers=server.admin).json()
    revoked.open(to_revoke["url"], settle=0.2)
    wait_for(revoked, "document.getElementById('player').readyState >= 1", what="share page to revoke")
    first = {name: video(b, "v.currentSrc") for name, b in (("watching", watching), ("paused", paused))}
    assert requests.delete(f"{server.base_url}/v1/shares/{to_revoke['id']}", headers=server.admin).status_code == 200

    # action: wait for the pages to renew at about 80 % of the links' minute.
    wait_for(watching, f"document.getElementById('player').currentSrc !== {first['watching']!r}", timeout=TTL + 15,
             what="the playing page's renewal")
    renewed_after = time.time() - opened_at
    wait_for(paused, f"document.getElementById('player').currentSrc !== {first['paused']!r}", timeout=20,
             what="the paused page's renewal")
    wait_for(revoked, "!document.getElementById('playback-problem').hidden", timeout=20, what="the revoked share's message")
    time.sleep(3)

    # check: renewed before the old links died, not long before.
    assert 0.6 * TTL <= renewed_after <= TTL, renewed_after
    samples = watching.js("window.__samples")
    swap = next(i for i, s in enumerate(samples) if s[2] != first["watching"])
    before = samples[swap - 1]
    assert before[1] > 30 and not before[3]  # it had been playing all along
    restored = next(s for s in samples[swap:] if s[1] > 1)
    assert abs(restored[1] - before[1]) <= 0.5, (before, restored)
    assert restored[0] - before[0] < 5  # back in place within seconds
    last = samples[-1]
    assert last[2] != first["watching"] and not last[3] and last[1] > restored[1] + 1.5  # and it played on
    # The paused page stayed paused, at the same frame, on new links (the share's cookie renewed it).
    assert video(paused, "v.paused") is True
    assert abs(video(paused, "v.currentTime") - 20) < 0.05
    assert "share=" + with_passcode["id"] in video(paused, "v.currentSrc")
    assert paused.js("document.getElementById('playback-problem').hidden") is True
    # The revoked share's page: a message, and no player left to fail.
    message = revoked.js("document.getElementById('playback-problem').textContent")
    assert "expired or was revoked" in message
    assert revoked.js("document.getElementById('playback-problem').getAttribute('role')") == "alert"
    assert video(revoked, "[v.getBoundingClientRect().height, v.querySelectorAll('source').length, v.readyState]") == [0, 0, 0]
    revoked.screenshot(os.path.join(ARTIFACTS, "pages", "renewal-revoked.png"))
    # Each renewal is in the audit log.
    events = server.get(f"/v1/recordings/{rid}/events?limit=500", headers=server.admin).json()["items"]
    renewals = [(e["actor"], e["data"].get("via")) for e in events if e["type"] == "playback.granted"]
    assert ("viewer:ada", "web page renewal") in renewals
    assert (f"share:{with_passcode['id']}", "share page renewal") in renewals
    assert not any(e["data"].get("share_id") == to_revoke["id"] and e["type"] == "playback.granted" for e in events)
