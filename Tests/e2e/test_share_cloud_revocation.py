"""On S3, media granted through a share stops the moment the share is revoked: its segments,
sprites, thumbnail and MP4 are Tapedeck links that check the share on every use and only then
redirect to a briefly signed bucket URL; a forged, altered or expired link is refused."""
import datetime
import os
import re
import time
import urllib.parse
import uuid

import pytest
import requests

from browser import Browser, chromium_binary
from media import make_mp4
from tapedeck_server import Server
from test_playback import share_playback
from test_processing import wait_assets

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_S3_ENDPOINT"), reason="needs the S3 peers (scripts/test.sh starts them)")


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    env = {
        "TAPEDECK_STORAGE": "s3", "TAPEDECK_S3_ENDPOINT": os.environ.get("TEST_S3_ENDPOINT", ""),
        "TAPEDECK_S3_REGION": "us-east-1", "TAPEDECK_S3_BUCKET": os.environ.get("TEST_S3_BUCKET", ""),
        "TAPEDECK_S3_ACCESS_KEY_ID": "testing", "TAPEDECK_S3_SECRET_ACCESS_KEY": "testing",
        "TAPEDECK_S3_FORCE_PATH_STYLE": "true", "TAPEDECK_S3_PREFIX": f"shares-{uuid.uuid4().hex[:6]}/",
    }
    server = Server(env=env, name="share-s3").start()
    server.cli("import", make_mp4(str(tmp_path_factory.mktemp("media") / "talk.mp4"), seconds=4), "--room", "cloud-share")
    recording = wait_assets(server, "cloud-share", {"mp4", "thumbnail", "hls", "storyboard"})
    yield server, recording
    server.close()


def segment_urls(playlist_text):
    return [line for line in playlist_text.splitlines() if line and not line.startswith("#")]


def follow(url):
    """One redirect by hand: Tapedeck's answer, then the bucket's."""
    first = requests.get(url, allow_redirects=False, timeout=10)
    if first.status_code != 302:
        return first, None
    return first, requests.get(first.headers["Location"], timeout=10)


def test_revoking_a_share_stops_its_bucket_media_at_once(s3_server):
    server, recording = s3_server
    share = requests.post(f"{server.base_url}/v1/recordings/{recording['id']}/shares",
                          json={"expires_in": 600, "allow_download": True}, headers=server.admin).json()
    grant = share_playback(server, share["url"]).json()
    playlist = requests.get(grant["hls_url"], timeout=10)
    assert playlist.status_code == 200
    segments = segment_urls(playlist.text)
    sprite_lines = [line for line in requests.get(grant["storyboard_url"], timeout=10).text.splitlines() if "#xywh=" in line]
    files = [grant["mp4_url"], grant["thumbnail_url"], sprite_lines[0].split("#xywh=")[0]]
    assert segments and all(files)
    # Nothing granted points at the bucket: every URL is Tapedeck's and names the share.
    for url in segments + files:
        assert url.startswith(server.base_url + "/share-object/" + recording["id"] + "/"), url
        assert urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["share"] == [share["id"]]
    # Before revocation, each leads to the object itself, signed by the bucket for a short while.
    for url in segments[:2] + files:
        first, second = follow(url)
        assert first.status_code == 302 and first.headers["Cache-Control"] == "no-store", first.text
        assert second.status_code == 200 and len(second.content) > 0, url
        expires = int(urllib.parse.parse_qs(urllib.parse.urlsplit(first.headers["Location"]).query)["X-Amz-Expires"][0])
        assert expires <= (60 if "/segment?" in url else 600), (url, expires)
    # Altered links are refused: another key, another share, no share, a later expiry.
    link = segments[0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    other_key = link.replace(urllib.parse.quote(query["key"][0], safe="/"), urllib.parse.quote(query["key"][0] + "x", safe="/"))
    assert other_key != link
    forged = [
        other_key,
        link.replace(share["id"], str(uuid.uuid4())),
        re.sub(r"&share=[^&]+", "", link),
        re.sub(r"expires=\d+", "expires=" + str(int(query["expires"][0]) + 3600), link),
        link.replace("/segment?", "/file?"),
    ]
    for url in forged:
        answer = requests.get(url, allow_redirects=False, timeout=10)
        assert answer.status_code in (403, 404), (url, answer.status_code)
    # Revoked: every link stops at once, before any bucket URL is handed out.
    assert requests.delete(f"{server.base_url}/v1/shares/{share['id']}", headers=server.admin).status_code == 200
    for url in segments + files:
        answer = requests.get(url, allow_redirects=False, timeout=10)
        assert answer.status_code == 410 and answer.json()["error"]["code"] == "share_expired", url


def test_a_share_link_expires_with_the_share(s3_server):
    server, recording = s3_server
    share = requests.post(f"{server.base_url}/v1/recordings/{recording['id']}/shares",
                          json={"expires_in": 60}, headers=server.admin).json()
    grant = share_playback(server, share["url"]).json()
    segment = segment_urls(requests.get(grant["hls_url"], timeout=10).text)[0]
    ends = datetime.datetime.fromisoformat(share["expires_at"].replace("Z", "+00:00")).timestamp()
    assert int(urllib.parse.parse_qs(urllib.parse.urlsplit(segment).query)["expires"][0]) <= ends
    first = requests.get(segment, allow_redirects=False, timeout=10)
    bucket_expires = int(urllib.parse.parse_qs(urllib.parse.urlsplit(first.headers["Location"]).query)["X-Amz-Expires"][0])
    assert time.time() + bucket_expires <= ends + 2


def test_a_deleted_recordings_share_links_stop_before_its_purge(s3_server, tmp_path):
    server, _ = s3_server
    server.cli("import", make_mp4(str(tmp_path / "short.mp4"), seconds=2), "--room", "cloud-share-deleted")
    recording = wait_assets(server, "cloud-share-deleted", {"mp4", "thumbnail", "hls"})
    share = requests.post(f"{server.base_url}/v1/recordings/{recording['id']}/shares", json={"expires_in": 600},
                          headers=server.admin).json()
    grant = share_playback(server, share["url"]).json()
    links = segment_urls(requests.get(grant["hls_url"], timeout=10).text) + [grant["thumbnail_url"]]
    assert all(follow(url)[0].status_code == 302 for url in links)
    assert requests.delete(f"{server.base_url}/v1/recordings/{recording['id']}", headers=server.admin).status_code in (200, 202)
    for url in links:
        assert requests.get(url, allow_redirects=False, timeout=10).status_code in (404, 410), url


def test_grants_outside_shares_still_go_straight_to_the_bucket(s3_server):
    server, recording = s3_server
    grant = server.get(f"/v1/recordings/{recording['id']}/playback", headers=server.admin).json()
    segment = segment_urls(requests.get(grant["hls_url"], timeout=10).text)[0]
    assert not segment.startswith(server.base_url) and "X-Amz-Signature=" in segment
    assert requests.get(segment, timeout=10).status_code == 200


@pytest.mark.skipif(chromium_binary() is None, reason="needs chromium (scripts/test.sh installs it)")
def test_a_share_page_plays_from_the_bucket_through_its_links(s3_server):
    """Chromium follows each segment link's redirect into the bucket (which allows the page's
    origin, as a bucket serving a player must) and plays; after revocation the page is gone."""
    import boto3
    server, recording = s3_server
    bucket = boto3.client("s3", endpoint_url=os.environ["TEST_S3_ENDPOINT"], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    bucket.put_bucket_cors(Bucket=os.environ["TEST_S3_BUCKET"], CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": [server.base_url], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["*"]}]})
    share = requests.post(f"{server.base_url}/v1/recordings/{recording['id']}/shares", json={"expires_in": 600},
                          headers=server.admin).json()
    browser = Browser()
    try:
        browser.open(share["url"], settle=1.0)
        assert browser.js("document.querySelector('video source').src").startswith(server.base_url + "/playback/")
        browser.js("document.querySelector('video').muted = true; document.querySelector('video').play().then(() => 'ok')",
                   await_promise=True)
        deadline = time.time() + 20
        while time.time() < deadline and browser.js("document.querySelector('video').currentTime") < 2.0:
            time.sleep(0.2)
        assert browser.js("document.querySelector('video').currentTime") >= 2.0
        assert browser.js("document.querySelector('video').error") is None
        loaded = browser.js("performance.getEntriesByType('resource').map(e => e.name)")
        assert any("/share-object/" in name for name in loaded), loaded
        assert requests.delete(f"{server.base_url}/v1/shares/{share['id']}", headers=server.admin).status_code == 200
        browser.open(share["url"], settle=0.5)
        assert browser.js("document.querySelector('video')") is None
    finally:
        browser.close()
