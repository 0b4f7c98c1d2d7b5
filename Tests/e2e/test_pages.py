"""The viewer's pages in a real browser: the player plays, share links ask for their passcode,
and the error pages say what happened."""
import os
import time

import jwt
import pytest
import requests

from browser import Browser, chromium_binary
from tapedeck_server import ARTIFACTS
from test_livekit import outputs  # noqa: F401 (fixture)
from test_playback import recorded, viewer_secret  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason="needs chromium (scripts/test.sh installs it)")


@pytest.fixture(scope="module")
def browser():
    instance = Browser()
    yield instance
    instance.close()


def playing(browser, past, timeout=20):
    """Starts the video and waits until it has played `past` seconds (True), or `timeout` seconds
    of real time pass (False)."""
    browser.js("document.querySelector('video').muted = true; document.querySelector('video').play().then(() => 'ok')",
               await_promise=True)
    deadline = time.time() + timeout
    while time.time() < deadline:
        if browser.js("document.querySelector('video').currentTime") > past:
            return True
        time.sleep(0.1)
    return False


def test_viewer_link_sets_a_cookie_and_the_player_plays(recorded, browser):  # noqa: F811
    harness, room, recording = recorded
    server = harness.server
    token = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "ada", "name": "Ada"},
                          headers=server.admin).json()["token"]
    page = f"{server.base_url}/recordings/{recording['id']}"
    browser.open(f"{page}?token={token}", settle=1.0)
    assert browser.js("location.href") == page  # the token left the address bar
    assert browser.js("document.querySelector('h1').textContent") == room
    assert playing(browser, past=2.0)
    # Chromium plays the Tapedeck-signed HLS playlist natively.
    assert "/playback/" in browser.js("document.querySelector('video').currentSrc")
    text = browser.js("document.body.innerText")
    assert "Ada" in text and "Grace" in text and "Download MP4" in text
    assert browser.js("document.cookie") == ""  # HttpOnly: scripts cannot read the token
    browser.screenshot(os.path.join(ARTIFACTS, "pages", "player.png"))


def test_share_link_with_passcode(recorded, browser):  # noqa: F811
    harness, room, recording = recorded
    server = harness.server
    share = requests.post(f"{server.base_url}/v1/recordings/{recording['id']}/shares",
                          json={"expires_in": 600, "passcode": "open sesame"}, headers=server.admin).json()
    browser.open(share["url"])
    assert browser.js("document.querySelector('label[for=passcode]').textContent") == "Passcode"
    browser.screenshot(os.path.join(ARTIFACTS, "pages", "passcode.png"))
    submit(browser, "form", {"passcode": "wrong"})
    assert "not right" in browser.js("document.body.innerText")
    submit(browser, "form", {"passcode": "open sesame"})
    assert browser.js("document.querySelector('h1').textContent") == room
    assert playing(browser, past=1.0)
    assert "Download MP4" not in browser.js("document.body.innerText")  # download not allowed on this share


def test_error_pages(recorded, browser):  # noqa: F811
    harness, _, recording = recorded
    server = harness.server
    expired = jwt.encode({"sub": "ada", "exp": int(time.time()) - 600}, viewer_secret(harness), algorithm="HS256")
    browser.open(f"{server.base_url}/recordings/{recording['id']}?token={expired}")
    assert browser.js("document.querySelector('h1').textContent") == "Link expired"
    browser.screenshot(os.path.join(ARTIFACTS, "pages", "expired.png"))
    stranger = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "eve"}, headers=server.admin).json()["token"]
    browser.open(f"{server.base_url}/recordings/{recording['id']}?token={stranger}")
    assert browser.js("document.querySelector('h1').textContent") == "Access denied"
    browser.screenshot(os.path.join(ARTIFACTS, "pages", "denied.png"))
    # The same page for a recording that does not exist: nothing tells the two apart.
    browser.open(f"{server.base_url}/recordings/00000000-0000-4000-8000-000000000000")
    assert browser.js("document.querySelector('h1').textContent") == "Access denied"
    response = requests.get(f"{server.base_url}/recordings/{recording['id']}")
    assert response.status_code == 401 and "Access denied" in response.text
    revoked = requests.post(f"{server.base_url}/v1/recordings/{recording['id']}/shares", json={"expires_in": 600},
                            headers=server.admin).json()
    requests.delete(f"{server.base_url}/v1/shares/{revoked['id']}", headers=server.admin)
    assert requests.get(revoked["url"]).status_code == 410


def submit(browser, form_selector, fields, timeout=20, method="requestSubmit"):
    """Fills a form's fields (by id) and submits it like a user would, then waits for the page it
    leads to: a marker on the old document is gone and the new one has loaded (a fixed pause
    is too short on a loaded machine). `method="submit"` skips the form's submit handlers (a
    confirmation dialog)."""
    script = "".join(f"document.getElementById({name!r}).value = {value!r};" for name, value in fields.items())
    browser.js(script + "window.__beforeSubmit = true;" + f"document.querySelector({form_selector!r}).{method}()")
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if browser.js("window.__beforeSubmit === undefined && document.readyState === 'complete'"):
                return
        except RuntimeError:
            pass  # the document was being replaced
        time.sleep(0.05)
    raise AssertionError(f"submitting {form_selector} led to no new page within {timeout} s")


def test_admin_dashboard_filters_and_shares(recorded, browser):  # noqa: F811
    harness, room, recording = recorded
    server = harness.server
    browser.open(server.base_url + "/")
    assert browser.js("document.querySelector('h1').textContent") == "Sign in"
    submit(browser, "form", {"api_key": "tdk_wrong_key"})
    assert "not valid" in browser.js("document.body.innerText")
    submit(browser, "form", {"api_key": server.admin_key})
    assert browser.js("document.querySelector('h1').textContent") == "Recordings"
    rows = browser.js("[...document.querySelectorAll('tbody tr')].map(r => r.innerText)")
    assert any(room in row and "ready" in row and "Ada" in row for row in rows), rows
    browser.screenshot(os.path.join(ARTIFACTS, "pages", "dashboard.png"))
    # Filters: by participant (name, any case) and by status.
    submit(browser, "form[role=search]", {"participant": "grace"})
    assert any(room in row for row in browser.js("[...document.querySelectorAll('tbody tr')].map(r => r.innerText)"))
    submit(browser, "form[role=search]", {"participant": "nobody-like-this"})
    assert "No recordings match" in browser.js("document.body.innerText")
    # The recording page: the player, the event log, and a share made from the dialog.
    browser.open(f"{server.base_url}/recordings/{recording['id']}")
    assert "Event log" in browser.js("document.body.innerText")
    assert "recording.created" in browser.js("document.body.innerText")
    submit(browser, "form[action$='/shares']", {"share-passcode": "letmein"})
    link = browser.js("document.getElementById('new-share').value")
    assert "/s/" in link
    browser.screenshot(os.path.join(ARTIFACTS, "pages", "admin-recording.png"))
    used = requests.post(server.base_url + "/v1/share-links/" + link.rsplit("/", 1)[1] + "/playback",
                         json={"passcode": "letmein"})
    assert used.status_code == 200
    # Revoke from the page.
    forms = browser.js("document.querySelectorAll(\"form[action$='/revoke']\").length")
    assert forms >= 1
    submit(browser, "form[action$='/revoke']", {})
    assert requests.post(server.base_url + "/v1/share-links/" + link.rsplit("/", 1)[1] + "/playback",
                         json={"passcode": "letmein"}).status_code == 410
    # A form without its CSRF token changes nothing.
    cookies = {c["name"]: c["value"] for c in browser.call("Network.getAllCookies")["cookies"]}
    forged = requests.post(f"{server.base_url}/recordings/{recording['id']}/shares", data={"expires_in": "86400"},
                           cookies={"tapedeck_admin": cookies["tapedeck_admin"]}, allow_redirects=False)
    assert forged.status_code == 403
    # Delete from the recording's page (form.submit() skips the confirmation dialog).
    browser.open(f"{server.base_url}/recordings/{recording['id']}")
    submit(browser, "form[action$='/delete']", {}, method="submit")
    assert browser.js("document.querySelector('h1').textContent") == "Recordings"
    assert server.get(f"/v1/recordings/{recording['id']}", headers=server.admin).json()["status"] == "deleted"
    # Signing out ends the session, on the server too: a copy of the cookie no longer signs in.
    cookie = {c["name"]: c["value"] for c in browser.call("Network.getAllCookies")["cookies"]}["tapedeck_admin"]
    assert "Recordings" in requests.get(server.base_url + "/", cookies={"tapedeck_admin": cookie}).text
    browser.open(server.base_url + "/")
    submit(browser, "form[action='/logout']", {})
    assert browser.js("document.querySelector('h1').textContent") == "Sign in"
    copied = requests.get(server.base_url + "/", cookies={"tapedeck_admin": cookie})
    assert "Sign in" in copied.text and "Recordings" not in copied.text


@pytest.mark.skipif(not os.environ.get("TEST_S3_ENDPOINT"), reason="needs the S3 test server (scripts/test.sh)")
def test_player_plays_from_s3(outputs, browser):  # noqa: F811
    import uuid
    from test_livekit import Harness, check_ready, room_name, run_session
    env = {
        "TAPEDECK_STORAGE": "s3", "TAPEDECK_S3_ENDPOINT": os.environ["TEST_S3_ENDPOINT"],
        "TAPEDECK_S3_REGION": "us-east-1", "TAPEDECK_S3_BUCKET": os.environ["TEST_S3_BUCKET"],
        "TAPEDECK_S3_ACCESS_KEY_ID": "testing", "TAPEDECK_S3_SECRET_ACCESS_KEY": "testing",
        "TAPEDECK_S3_FORCE_PATH_STYLE": "true", "TAPEDECK_S3_PREFIX": f"pages-{uuid.uuid4().hex[:6]}/",
    }
    # As the README asks of S3 users: the bucket answers CORS for GET (browsers fetch HLS segments
    # cross-origin, from the bucket, for a page served by Tapedeck).
    import boto3
    boto3.client("s3", endpoint_url=os.environ["TEST_S3_ENDPOINT"], region_name="us-east-1",
                 aws_access_key_id="testing", aws_secret_access_key="testing").put_bucket_cors(
        Bucket=os.environ["TEST_S3_BUCKET"],
        CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"],
                                          "AllowedHeaders": ["*"], "MaxAgeSeconds": 3600}]})
    harness = Harness(outputs, env=env, name="pages-s3")
    try:
        room = room_name("s3-lecture")
        _, egress_id = run_session(harness, room)
        recording = check_ready(harness, room, egress_id)
        server = harness.server
        token = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "ada"}, headers=server.admin).json()["token"]
        browser.open(f"{server.base_url}/recordings/{recording['id']}?token={token}", settle=1.0)
        assert playing(browser, past=2.0)
        playlist = requests.get(browser.js("document.querySelector('video').currentSrc")).text
        assert "X-Amz-Signature=" in playlist and os.environ["TEST_S3_ENDPOINT"] in playlist
        browser.screenshot(os.path.join(ARTIFACTS, "pages", "player-s3.png"))
    finally:
        harness.close()
