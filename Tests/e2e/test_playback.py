"""Playback and access: viewer tokens, who may see what, signed playlists played by ffprobe."""
import datetime
import os
import re
import time
import urllib.parse

import jwt
import pytest
import requests

from media import probe_duration
from test_livekit import Harness, outputs, room_name, run_session, check_ready  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def recorded(outputs):  # noqa: F811
    harness = Harness(outputs, name="playback")
    room = room_name("lecture")
    _, egress_id = run_session(harness, room, people=("ada", "grace"))
    recording = check_ready(harness, room, egress_id)
    yield harness, room, recording
    harness.close()


def viewer_secret(harness):
    with open(os.path.join(harness.server.env["TAPEDECK_DATA_DIR"], "secrets", "viewer-token.key"), "rb") as f:
        return f.read()


def bearer(token):
    return {"Authorization": f"Bearer {token}", "User-Agent": "e2e-viewer/1.0"}


def test_participants_watch_others_get_404(recorded):
    harness, room, recording = recorded
    server = harness.server
    # A token from Tapedeck for ada, and one the customer's backend mints with PyJWT for eve.
    issued = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "ada", "name": "Ada"},
                           headers=server.admin)
    assert issued.status_code == 201, issued.text
    ada = issued.json()["token"]
    eve = jwt.encode({"sub": "eve", "name": "Eve", "exp": int(time.time()) + 600}, viewer_secret(harness),
                     algorithm="HS256")
    rid = recording["id"]

    mine = server.get("/v1/me/recordings", headers=bearer(ada)).json()["items"]
    assert [r["id"] for r in mine] == [rid]
    assert server.get("/v1/me/recordings", headers=bearer(eve)).json()["items"] == []
    assert server.get(f"/v1/recordings/{rid}", headers=bearer(ada)).status_code == 200
    for path in (f"/v1/recordings/{rid}", f"/v1/recordings/{rid}/playback"):
        denied = server.get(path, headers=bearer(eve))
        missing = server.get(path.replace(rid, "00000000-0000-4000-8000-000000000000"), headers=bearer(eve))
        assert denied.status_code == missing.status_code == 404
        assert denied.json() == missing.json()  # nothing tells the two apart
    # Viewers see their recordings, not the admin API.
    assert server.get("/v1/recordings", headers=bearer(ada)).status_code == 401
    assert server.get(f"/v1/recordings/{rid}/events", headers=bearer(ada)).status_code == 401


def test_bad_viewer_tokens_are_refused(recorded):
    harness, _, recording = recorded
    server, secret = harness.server, viewer_secret(harness)
    path = f"/v1/recordings/{recording['id']}/playback"
    expired = jwt.encode({"sub": "ada", "exp": int(time.time()) - 120}, secret, algorithm="HS256")
    response = server.get(path, headers=bearer(expired))
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_expired"
    no_exp = jwt.encode({"sub": "ada"}, secret, algorithm="HS256")
    wrong_secret = jwt.encode({"sub": "ada", "exp": int(time.time()) + 60}, b"x" * 32, algorithm="HS256")
    unsigned = jwt.encode({"sub": "ada", "exp": int(time.time()) + 60}, None, algorithm="none")
    hs512 = jwt.encode({"sub": "ada", "exp": int(time.time()) + 60}, secret, algorithm="HS512")
    for token in (no_exp, wrong_secret, unsigned, hs512, "a.b.c"):
        assert server.get(path, headers=bearer(token)).status_code == 401, token


def test_signed_hls_plays_and_mp4_downloads(recorded):
    harness, room, recording = recorded
    server = harness.server
    token = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "grace"}, headers=server.admin).json()["token"]
    grant = server.get(f"/v1/recordings/{recording['id']}/playback", headers=bearer(token))
    assert grant.status_code == 200, grant.text
    urls = grant.json()
    # The playlist comes from Tapedeck, with every segment individually signed.
    playlist = requests.get(urls["hls_url"], timeout=10)
    assert playlist.status_code == 200
    assert playlist.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    segments = [line for line in playlist.text.splitlines() if line and not line.startswith("#")]
    assert len(segments) == len(harness.sim.outputs.segments)
    for url in segments:
        parts = urllib.parse.urlsplit(url)
        assert parts.path.startswith("/media/") and "sig=" in parts.query and "expires=" in parts.query
    # A real player (ffprobe) reads the playlist and its segments through the signed URLs.
    assert abs(probe_duration(urls["hls_url"]) - probe_duration(urls["mp4_url"])) < 1.0
    # Tampering with the link or a segment URL is refused.
    broken = urls["hls_url"].replace("sig=", "sig=x")
    assert requests.get(broken, timeout=10).status_code == 403
    assert requests.get(segments[0].replace("sig=", "sig=x"), timeout=10).status_code in (401, 403)
    # The download is an attachment named after the room and the date.
    download = requests.get(urls["download_url"], timeout=30)
    assert download.status_code == 200 and download.content == harness.sim.outputs.mp4
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="{room} {recording["started_at"][:10]}.mp4"')
    # The grant is in the audit log, with who, from where and with what.
    events = server.get(f"/v1/recordings/{recording['id']}/events?limit=500", headers=server.admin).json()["items"]
    downloads = [e for e in events if e["type"] == "recording.downloaded" and e["actor"] == "viewer:grace"]
    assert downloads and downloads[-1]["data"]["user_agent"].startswith("python-requests")
    grants = [e for e in events if e["type"] == "playback.granted" and e["actor"] == "viewer:grace"]
    assert grants and grants[-1]["data"]["ip"] == "127.0.0.1"
    assert grants[-1]["data"]["user_agent"] == "e2e-viewer/1.0"


def share_playback(server, url, passcode=None, token=None):
    link_token = url.rsplit("/", 1)[1]
    headers = {"User-Agent": "e2e-share/1.0", **({"Authorization": f"Bearer {token}"} if token else {})}
    body = {"passcode": passcode} if passcode is not None else None
    return requests.post(f"{server.base_url}/v1/share-links/{link_token}/playback", json=body, headers=headers,
                         timeout=10)


def test_shares_passcodes_emails_and_revocation(recorded):
    harness, room, recording = recorded
    server = harness.server
    rid = recording["id"]
    base = f"{server.base_url}/v1/recordings/{rid}/shares"
    # Hosts and admins create shares; plain participants and strangers cannot see the recording's shares.
    ada = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "ada"}, headers=server.admin).json()["token"]
    assert requests.post(base, json={"expires_in": 600}, headers=bearer(ada)).status_code == 404
    too_long = requests.post(base, json={"expires_in": 10 ** 9}, headers=server.admin)
    assert too_long.status_code == 400 and too_long.json()["error"]["field"] == "expires_in"

    plain = requests.post(base, json={"expires_in": 600}, headers=server.admin)
    assert plain.status_code == 201, plain.text
    share = plain.json()
    assert share["url"].startswith(server.base_url + "/s/") and len(share["url"].rsplit("/", 1)[1]) >= 22
    grant = share_playback(server, share["url"])
    assert grant.status_code == 200, grant.text
    # Downloads are not allowed by default: no download link, and no MP4 URL either while there is HLS.
    assert grant.json()["hls_url"] and grant.json()["download_url"] is None and grant.json()["mp4_url"] is None
    assert requests.get(grant.json()["hls_url"], timeout=10).status_code == 200
    # Passcode: required, checked, and rate-limited after five wrong tries.
    locked = requests.post(base, json={"expires_in": 600, "passcode": "4321", "allow_download": True},
                           headers=server.admin).json()
    assert share_playback(server, locked["url"]).json()["error"]["code"] == "passcode_required"
    for _ in range(5):
        assert share_playback(server, locked["url"], passcode="0000").status_code == 401
    limited = share_playback(server, locked["url"], passcode="4321")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    # Email-bound: only a viewer token with that email.
    bound = requests.post(base, json={"expires_in": 600, "email": "Grace@Example.com"}, headers=server.admin).json()
    assert share_playback(server, bound["url"]).json()["error"]["code"] == "viewer_token_required"
    other = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "x", "email": "eve@example.com"},
                          headers=server.admin).json()["token"]
    assert share_playback(server, bound["url"], token=other).status_code == 403
    grace = requests.post(server.base_url + "/v1/viewer-tokens", json={"sub": "g", "email": "grace@example.com"},
                          headers=server.admin).json()["token"]
    assert share_playback(server, bound["url"], token=grace).status_code == 200
    # Listing shows views and no secrets; revocation works at once.
    listed = requests.get(base, headers=server.admin).json()["items"]
    assert {s["id"] for s in listed} >= {share["id"], locked["id"], bound["id"]}
    assert all("url" not in s for s in listed)
    assert next(s for s in listed if s["id"] == share["id"])["views"] == 1
    revoked = requests.delete(f"{server.base_url}/v1/shares/{share['id']}", headers=server.admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    gone = share_playback(server, share["url"])
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "share_expired"
    # What the share granted before stops with it: its playlist link says so at once.
    stale = requests.get(grant.json()["hls_url"], timeout=10)
    assert stale.status_code == 410 and stale.json()["error"]["code"] == "share_expired"
    assert share_playback(server, server.base_url + "/s/" + "A" * 32).status_code == 404
    # Each use is in the audit log.
    events = server.get(f"/v1/recordings/{rid}/events?limit=500", headers=server.admin).json()["items"]
    uses = [e for e in events if e["type"] == "share.used"]
    assert len(uses) == 2 and all(e["data"]["user_agent"] == "e2e-share/1.0" for e in uses)
    assert sum(e["type"] == "share.created" for e in events) >= 3


@pytest.mark.parametrize("trusted", [None, "127.0.0.1/32, 10.0.0.0/8"])
def test_audited_ip_believes_x_forwarded_for_only_from_trusted_proxies(trusted, tmp_path):
    from tapedeck_server import Server
    from media import make_mp4
    env = {"TAPEDECK_TRUSTED_PROXIES": trusted} if trusted else {}
    server = Server(env=env, name="proxies").start()
    try:
        server.cli("import", make_mp4(str(tmp_path / "talk.mp4"), seconds=2), "--room", "proxied")
        [recording] = server.get("/v1/recordings?room=proxied", headers=server.admin).json()["items"]
        headers = {**server.admin, "X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.2.2.2"}
        assert server.get(f"/v1/recordings/{recording['id']}/playback", headers=headers).status_code == 200
        events = server.get(f"/v1/recordings/{recording['id']}/events?limit=500", headers=server.admin).json()["items"]
        [grant] = [e for e in events if e["type"] == "playback.granted"]
        assert grant["data"]["ip"] == ("198.51.100.7" if trusted else "127.0.0.1")
    finally:
        server.close()
    # A value that is not a network stops start-up, naming the setting.
    import subprocess
    from tapedeck_server import tapedeck_binary
    refused = subprocess.run([tapedeck_binary(), "keys", "list"], capture_output=True, text=True,
                             env={**server.env, "TAPEDECK_TRUSTED_PROXIES": "proxy.internal"})
    assert refused.returncode == 78 and "TAPEDECK_TRUSTED_PROXIES" in refused.stderr, refused.stderr


def test_a_share_grant_never_outlives_the_share(recorded):
    """Every URL a share grants expires with the share at the latest, and its playlist, storyboard
    and download links stop at once when it is revoked."""
    harness, room, recording = recorded
    server = harness.server
    base = f"{server.base_url}/v1/recordings/{recording['id']}/shares"
    share = requests.post(base, json={"expires_in": 90, "allow_download": True}, headers=server.admin).json()
    grant = share_playback(server, share["url"]).json()
    assert grant["expires_at"] <= share["expires_at"]
    for url in (grant["hls_url"], grant["download_url"]):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        assert query["share"] == [share["id"]]
        assert int(query["expires"][0]) <= datetime.datetime.fromisoformat(share["expires_at"].replace("Z", "+00:00")).timestamp()
    # Dropping the share from a link breaks its signature; so does hiding it in another field.
    bare = re.sub(r"&share=[^&]+", "", grant["hls_url"])
    assert requests.get(bare, timeout=10).status_code == 403
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(grant["download_url"]).query)
    smuggled = re.sub(r"&by=[^&]+&share=[^&]+", "&by=" + urllib.parse.quote(query["by"][0] + "\nshare:" + share["id"]),
                      grant["download_url"])
    assert "share=" not in urllib.parse.urlsplit(smuggled).query.replace("share%3A", "")
    assert requests.get(smuggled, timeout=10, allow_redirects=False).status_code == 403
    # The share's web page hands out the same bound links.
    page = requests.get(share["url"], timeout=10).text
    page_playlist = re.search(r'src="([^"]+\.m3u8[^"]*)"', page).group(1).replace("&amp;", "&")
    assert f"share={share['id']}" in page_playlist
    assert requests.get(grant["download_url"], timeout=10, allow_redirects=False).status_code == 302
    # The segments and the MP4 are served by Tapedeck (local storage) and name the share too.
    playlist = requests.get(grant["hls_url"], timeout=10).text
    segment = next(line for line in playlist.splitlines() if line and not line.startswith("#"))
    assert f"share={share['id']}" in segment and f"share={share['id']}" in grant["mp4_url"]
    assert requests.get(segment, timeout=10).status_code == 200
    with requests.Session() as player:  # one connection: the fast path remembers the verified URL
        assert player.get(segment, headers={"Range": "bytes=0-99"}, timeout=10).status_code == 206
        assert requests.delete(f"{server.base_url}/v1/shares/{share['id']}", headers=server.admin).status_code == 200
        assert player.get(segment, headers={"Range": "bytes=100-199"}, timeout=10).status_code == 410
    assert requests.get(segment, timeout=10).status_code == 410
    assert requests.get(grant["mp4_url"], headers={"Range": "bytes=0-9"}, timeout=10).status_code == 410
    for url in (grant["hls_url"], grant["download_url"], grant["storyboard_url"], page_playlist):
        if url:
            answer = requests.get(url, timeout=10, allow_redirects=False)
            assert answer.status_code == 410 and answer.json()["error"]["code"] == "share_expired", url


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (scripts/test.sh starts one)")
def test_a_revoked_share_stops_on_every_instance(tmp_path):
    """Two `serve` processes on one catalog and one data directory: a share revoked through one
    stops its media on the other within the refresh interval (2 s)."""
    from tapedeck_server import Server
    from media import make_mp4
    first = Server(database="postgres", name="revoke-a").start()
    second = Server(name="revoke-b", env={"DATABASE_URL": first.postgres.url,
                                          "TAPEDECK_DATA_DIR": first.env["TAPEDECK_DATA_DIR"]}).start()
    try:
        first.cli("import", make_mp4(str(tmp_path / "talk.mp4"), seconds=2), "--room", "two-instances")
        [recording] = first.get("/v1/recordings?room=two-instances", headers=first.admin).json()["items"]
        share = requests.post(f"{first.base_url}/v1/recordings/{recording['id']}/shares", json={"expires_in": 600},
                              headers=first.admin).json()
        link = share["url"].rsplit("/", 1)[1]
        grant = requests.post(f"{second.base_url}/v1/share-links/{link}/playback", json={}, timeout=10).json()
        media = grant["mp4_url"] or grant["thumbnail_url"]
        assert media and requests.get(media, timeout=10).status_code == 200
        assert requests.delete(f"{first.base_url}/v1/shares/{share['id']}", headers=first.admin).status_code == 200
        deadline = time.time() + 5
        while time.time() < deadline and requests.get(media, timeout=10).status_code == 200:
            time.sleep(0.1)
        assert requests.get(media, timeout=10).status_code == 410
    finally:
        second.close()
        first.close()
