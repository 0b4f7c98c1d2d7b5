"""Who may do what: every role against the JSON API, the playback and media links, and the
pages; refusals carry exact statuses and nothing about the recording."""
import base64
import hashlib
import hmac
import os
import re
import sqlite3
import time
import urllib.parse

import jwt
import pytest
import requests

from test_livekit import Harness, outputs, room_name, check_ready  # noqa: F401 (fixture)

ZERO = "00000000-0000-4000-8000-000000000000"


def record(harness, room):
    """A LiveKit session of `ada` and the host `teacher`, recorded and ready; its recording."""
    sim = harness.sim
    sim.start_room(room)
    sim.join(room, "ada")
    sim.join(room, "teacher", host=True)
    sim.deliver()
    harness.wait_start(room)
    sim.deliver()
    harness.wait_recordings(room, "recording")
    sim.leave(room, "teacher")
    sim.leave(room, "ada")
    sim.deliver()
    harness.wait_stop(sim.egress_of(room)[0].egress_id)
    sim.deliver()
    return check_ready(harness, room, sim.egress_of(room)[0].egress_id)


@pytest.fixture(scope="module")
def world(outputs):  # noqa: F811
    harness = Harness(outputs, name="access")
    sim, server = harness.sim, harness.server
    room = room_name("seminar")
    recording = record(harness, room)
    secrets_dir = os.path.join(server.env["TAPEDECK_DATA_DIR"], "secrets")
    viewer_secret = open(os.path.join(secrets_dir, "viewer-token.key"), "rb").read()

    def token(sub, **claims):
        return jwt.encode({"sub": sub, "exp": int(time.time()) + 600, **claims}, viewer_secret, algorithm="HS256")

    tokens = {
        "host": token("teacher"), "participant": token("ada"), "non-participant": token("eve"),
        "expired": jwt.encode({"sub": "ada", "exp": int(time.time()) - 300}, viewer_secret, algorithm="HS256"),
        "wrong signature": jwt.encode({"sub": "ada", "exp": int(time.time()) + 600}, b"z" * 32, algorithm="HS256"),
    }
    yield {"harness": harness, "server": server, "room": room, "recording": recording, "tokens": tokens,
           "secrets": secrets_dir, "token": token}
    harness.close()


def auth(world, who):
    if who == "admin":
        return {"Authorization": f"Bearer {world['server'].admin_key}"}
    return {"Authorization": f"Bearer {world['tokens'][who]}"}


def assert_clean(world, response):
    """A refusal says nothing about the recording: no URL, no object key, no room, no people."""
    body = response.text
    for secret in (world["room"], "/media/", "X-Amz", "index.m3u8", "session.mp4", "sig=", "ada", "teacher"):
        assert secret not in body, (response.status_code, secret, body[:300])


ROLES = ["admin", "host", "participant", "non-participant", "expired", "wrong signature"]
MATRIX = {
    # operation: expected status per role, in ROLES order
    ("GET", "/v1/recordings/{id}"): [200, 200, 200, 404, 401, 401],
    ("GET", "/v1/recordings/{id}/playback"): [200, 200, 200, 404, 401, 401],
    ("POST", "/v1/recordings/{id}/shares"): [201, 201, 404, 404, 401, 401],
    ("GET", "/v1/recordings/{id}/shares"): [200, 200, 404, 404, 401, 401],
    ("GET", "/v1/recordings/{id}/events"): [200, 401, 401, 401, 401, 401],
    ("GET", "/v1/recordings"): [200, 401, 401, 401, 401, 401],
    ("GET", "/v1/me/recordings"): [403, 200, 200, 200, 401, 401],
}


@pytest.mark.parametrize("operation", list(MATRIX), ids=lambda op: f"{op[0]} {op[1]}")
def test_json_api_matrix(world, operation):
    server, rid = world["server"], world["recording"]["id"]
    method, template = operation
    for who, expected in zip(ROLES, MATRIX[operation]):
        body = {"expires_in": 600} if method == "POST" else None
        response = requests.request(method, server.base_url + template.replace("{id}", rid), json=body,
                                    headers=auth(world, who), timeout=10)
        assert response.status_code == expected, (who, method, template, response.text[:200])
        if expected >= 400:
            assert_clean(world, response)
            # A recording that does not exist is refused the same way.
            other = requests.request(method, server.base_url + template.replace("{id}", ZERO), json=body,
                                     headers=auth(world, who), timeout=10)
            if "{id}" in template and expected == 404:
                assert other.status_code == 404 and other.json() == response.json()


def test_only_admins_and_hosts_delete(world):
    server, rid = world["server"], world["recording"]["id"]
    for who in ("participant", "non-participant"):
        response = requests.delete(f"{server.base_url}/v1/recordings/{rid}", headers=auth(world, who))
        assert response.status_code == 404
        assert_clean(world, response)
    for who in ("expired", "wrong signature"):
        assert requests.delete(f"{server.base_url}/v1/recordings/{rid}", headers=auth(world, who)).status_code == 401
    assert server.get(f"/v1/recordings/{rid}", headers=server.admin).json()["status"] == "ready"


def test_pages_matrix(world):
    server, rid = world["server"], world["recording"]["id"]
    expected = {"host": (200, "Download MP4"), "participant": (200, "Download MP4"),
                "non-participant": (403, "Access denied"), "expired": (401, "Link expired"),
                "wrong signature": (401, "Link expired")}
    for who, (status, words) in expected.items():
        session = requests.Session()
        response = session.get(f"{server.base_url}/recordings/{rid}?token={world['tokens'][who]}", timeout=10)
        assert response.status_code == status and words in response.text, (who, response.status_code)
        if status >= 400:
            assert_clean(world, response)
    anonymous = requests.get(f"{server.base_url}/recordings/{rid}")
    assert anonymous.status_code == 401
    assert_clean(world, anonymous)


def shares_of(world, **body):
    server, rid = world["server"], world["recording"]["id"]
    response = requests.post(f"{server.base_url}/v1/recordings/{rid}/shares", json={"expires_in": 600, **body},
                             headers=server.admin)
    assert response.status_code == 201
    return response.json()


def use_share(world, share, passcode=None, token=None):
    link = share["url"].rsplit("/", 1)[1]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    api = requests.post(f"{world['server'].base_url}/v1/share-links/{link}/playback",
                        json={"passcode": passcode} if passcode else None, headers=headers, timeout=10)
    cookies = {"tapedeck_viewer": token} if token else {}
    page = (requests.post(share["url"], data={"passcode": passcode}, cookies=cookies, timeout=10) if passcode
            else requests.get(share["url"], cookies=cookies, timeout=10))
    return api, page


def test_share_matrix(world):
    harness, server = world["harness"], world["server"]
    revoked = shares_of(world)
    requests.delete(f"{server.base_url}/v1/shares/{revoked['id']}", headers=server.admin)
    expired = shares_of(world)
    path = os.path.join(server.env["TAPEDECK_DATA_DIR"], "tapedeck.sqlite")
    with sqlite3.connect(path, timeout=10) as db:
        db.execute("UPDATE shares SET expires_at = ? WHERE lower(id) = ?", (int(time.time() * 1000) - 1000, expired["id"]))
    bound = shares_of(world, email="grace@example.com")
    locked = shares_of(world, passcode="s3cret-code")
    cases = [
        ("revoked", revoked, {}, 410, 410),
        ("expired", expired, {}, 410, 410),
        ("email mismatch", bound, {"token": world["token"]("x", email="eve@example.com")}, 403, 403),
        ("wrong passcode", locked, {"passcode": "guess"}, 401, 401),
    ]
    for name, share, extra, api_status, page_status in cases:
        api, page = use_share(world, share, **extra)
        assert (api.status_code, page.status_code) == (api_status, page_status), name
        assert_clean(world, api)
        assert_clean(world, page)
    # And the same shares used rightly work, so the refusals above were about the right things.
    assert use_share(world, bound, token=world["token"]("g", email="Grace@example.com"))[0].status_code == 200
    assert use_share(world, locked, passcode="s3cret-code")[0].status_code == 200


SHARE_HOLDERS = ["valid link", "expired link", "revoked link", "link bound to another address"]


def test_share_holders_across_the_matrix(world):
    """A share link's holder (valid, expired, revoked, bound to another address) against the same
    routes: the link opens its recording while it is good and nothing else; as a bearer it is no
    credential, and a browser that opened it holds none either (every route and page answers it
    as it answers someone without a token)."""
    server, rid = world["server"], world["recording"]["id"]
    valid, expired, revoked = shares_of(world), shares_of(world), shares_of(world)
    requests.delete(f"{server.base_url}/v1/shares/{revoked['id']}", headers=server.admin)
    server.rows(f"UPDATE shares SET expires_at = {int(time.time() * 1000) - 1000} "
                f"WHERE lower(CAST(id AS TEXT)) = '{expired['id'].lower()}'")
    bound = shares_of(world, email="grace@example.com")
    other_address = world["token"]("x", email="eve@example.com")
    holders = dict(zip(SHARE_HOLDERS, [(valid, None, 200), (expired, None, 410), (revoked, None, 410),
                                       (bound, other_address, 403)]))
    for who, (share, token, status) in holders.items():
        api, page = use_share(world, share, token=token)
        assert (api.status_code, page.status_code) == (status, status), who
        if status != 200:
            assert_clean(world, api)
            assert_clean(world, page)
        else:
            assert rid in api.text
        link = share["url"].rsplit("/", 1)[1]
        browser = requests.Session()
        browser.get(share["url"], timeout=10)
        for (method, template), statuses in MATRIX.items():
            url = server.base_url + template.replace("{id}", rid)
            body = {"expires_in": 600} if method == "POST" else None
            as_bearer = requests.request(method, url, json=body, headers={"Authorization": f"Bearer {link}"}, timeout=10)
            # As a credential the link is a token nobody signed: the answer of a wrong signature.
            assert as_bearer.status_code == statuses[ROLES.index("wrong signature")], (who, template)
            assert_clean(world, as_bearer)
            held, anonymous = browser.request(method, url, json=body, timeout=10), requests.request(method, url, json=body, timeout=10)
            assert (held.status_code, held.text) == (anonymous.status_code, anonymous.text) and held.status_code == 401, (who, template)
        for path in (f"/recordings/{rid}", "/my", f"/recordings/{rid}/transcript"):
            held, anonymous = browser.get(server.base_url + path, timeout=10), requests.get(server.base_url + path, timeout=10)
            assert (held.status_code, held.text) == (anonymous.status_code, anonymous.text), (who, path)
            assert held.status_code in (401, 404), (who, path, held.status_code)
            assert_clean(world, held)
    # Nor can its holder revoke it: the link still works afterwards.
    link = valid["url"].rsplit("/", 1)[1]
    revoke = requests.delete(f"{server.base_url}/v1/shares/{valid['id']}", headers={"Authorization": f"Bearer {link}"}, timeout=10)
    assert revoke.status_code == 401
    assert use_share(world, valid)[0].status_code == 200


def b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def other_first_character(signature):
    # A fixed replacement would leave one signature in 64 unchanged.
    return ("B" if signature[0] == "A" else "A") + signature[1:]


def test_signed_links_cannot_be_altered(world):
    server, rid = world["server"], world["recording"]["id"]
    grant = requests.get(f"{server.base_url}/v1/recordings/{rid}/playback", headers=auth(world, "participant")).json()
    playlist = urllib.parse.urlsplit(grant["hls_url"])
    query = dict(urllib.parse.parse_qsl(playlist.query))
    base = f"{server.base_url}{playlist.path}"
    assert requests.get(grant["hls_url"]).status_code == 200
    asset = playlist.path.rsplit("/", 1)[1].split(".")[0]
    assert re.fullmatch(r"a[0-9]+", asset), asset  # links name the asset's id, not its position
    refused = {
        "tampered": requests.get(base, params={**query, "sig": other_first_character(query["sig"])}),
        "another recording": requests.get(base.replace(rid, ZERO), params=query),
        "another asset": requests.get(base.replace(f"/{asset}.m3u8", f"/a{int(asset[1:]) + 1}.m3u8"), params=query),
        "a position for the id": requests.get(base.replace(f"/{asset}.m3u8", "/0.m3u8"), params=query),
        "extended expiry": requests.get(base, params={**query, "expires": str(int(query["expires"]) + 3600)}),
    }
    link_secret = open(os.path.join(world["secrets"], "media-signing.key"), "rb").read()
    index = playlist.path.rsplit("/", 1)[1].split(".")[0]
    past = int(time.time()) - 10
    message = f"tapedeck-playlist-v1\n{rid}\n{index}\n{past}".encode()
    refused["expired"] = requests.get(base, params={"expires": past, "sig": b64(hmac.new(link_secret, message, hashlib.sha256).digest())})
    for name, response in refused.items():
        assert response.status_code == 403, (name, response.status_code)
        assert_clean(world, response)
    # Segment URLs: each signed for its own object only.
    segments = [l for l in requests.get(grant["hls_url"]).text.splitlines() if l and not l.startswith("#")]
    first, second = (urllib.parse.urlsplit(u) for u in segments[:2])
    assert requests.get(segments[0]).status_code == 200
    swapped = f"{server.base_url}{second.path}?{first.query}"
    tampered = segments[0].replace("sig=", "sig=B")
    q = dict(urllib.parse.parse_qsl(first.query))
    late = f"{server.base_url}{first.path}?{urllib.parse.urlencode({**q, 'expires': int(q['expires']) + 60})}"
    key = urllib.parse.unquote(first.path[len("/media/"):])
    expired_sig = b64(hmac.new(link_secret, f"tapedeck-media-v1\n{key}\n{past}\n\n".encode(), hashlib.sha256).digest())
    expired = f"{server.base_url}{first.path}?expires={past}&sig={expired_sig}"
    for name, url in {"another object": swapped, "tampered": tampered, "extended expiry": late, "expired": expired}.items():
        response = requests.get(url)
        assert response.status_code in (403, 410), (name, response.status_code)
    # Download links are bound to their grantee.
    download = urllib.parse.urlsplit(grant["download_url"])
    dq = dict(urllib.parse.parse_qsl(download.query))
    other = requests.get(f"{server.base_url}{download.path}", params={**dq, "by": "viewer:eve"}, allow_redirects=False)
    assert other.status_code == 403
    assert requests.get(grant["download_url"], allow_redirects=False).status_code == 302
