"""No secret reaches the server's log: share links (`/s/{token}`, `/v1/share-links/{token}/...`),
viewer `?token=` links, passcodes, signed media URLs and API keys are used, then the log of the
run is searched for each of them."""
import os
import re
import shutil
import tempfile
import urllib.parse

import requests

from media import make_mp4


def secrets_of(url):
    """The parts of a URL that grant access: the last path segment of a share link, every query value."""
    parts = urllib.parse.urlsplit(url)
    found = [value for _, value in urllib.parse.parse_qsl(parts.query) if len(value) >= 16]
    if "/s/" in parts.path:
        found.append(parts.path.rsplit("/", 1)[1])
    return found


def test_tokens_and_signatures_stay_out_of_the_log(server):
    media = tempfile.mkdtemp(prefix="tapedeck-log-")
    try:
        clip = make_mp4(os.path.join(media, "clip.mp4"), seconds=2, size="160x90", gop=30)
        done = server.cli("import", clip, "--room=log-room")
        recording_id = re.search(r"Imported ([0-9a-f-]{36})", done.stdout).group(1)
        base = server.base_url
        used = [server.admin_key]

        # Share links: open, with a passcode (wrong, then right), through the page and the API.
        plain = requests.post(f"{base}/v1/recordings/{recording_id}/shares", json={"expires_in": 600},
                              headers=server.admin).json()["url"]
        guarded = requests.post(f"{base}/v1/recordings/{recording_id}/shares",
                                json={"expires_in": 600, "passcode": "correct horse"}, headers=server.admin).json()["url"]
        passcode_token = guarded.rsplit("/", 1)[1]
        used += [plain.rsplit("/", 1)[1], passcode_token, "correct horse", "wrong horse"]
        assert requests.get(plain).status_code == 200
        assert requests.get(guarded).status_code == 200
        assert requests.post(guarded, data={"passcode": "wrong horse"}).status_code == 401
        assert requests.post(guarded, data={"passcode": "correct horse"}).status_code == 200
        grant = requests.post(f"{base}/v1/share-links/{passcode_token}/playback", json={"passcode": "correct horse"})
        assert grant.status_code == 200, grant.text
        assert requests.post(f"{base}/v1/share-links/{passcode_token}/playback", json={"passcode": "nope"}).status_code == 401
        # A share token in a path no route serves, and a mistyped one.
        requests.get(f"{plain}/extra")
        requests.get(plain[:-1] + ("A" if plain[-1] != "A" else "B"))
        used.append(plain.rsplit("/", 1)[1][:-1])

        # The grant's signed URLs, fetched.
        for url in grant.json().values():
            if isinstance(url, str) and url.startswith("http"):
                used += secrets_of(url)
                requests.get(url, headers={"Range": "bytes=0-99"})

        # A viewer link (`?token=` exchanged for a cookie) and a viewer token as a bearer.
        viewer = requests.post(f"{base}/v1/viewer-tokens", json={"sub": "ada", "name": "Ada"}, headers=server.admin).json()["token"]
        used.append(viewer)
        link = requests.get(f"{base}/recordings/{recording_id}?token={viewer}", allow_redirects=False)
        assert link.status_code == 303 and viewer in link.headers["Set-Cookie"]
        requests.get(f"{base}/recordings/{recording_id}", cookies={"tapedeck_viewer": viewer})
        requests.get(f"{base}/v1/me/recordings", headers={"Authorization": f"Bearer {viewer}"})
        requests.get(f"{base}/v1/me/recordings?token={viewer}")
        requests.get(f"{base}/nowhere/{viewer}")

        server.stop()  # flushes and closes the log
        with open(server.log_path, encoding="utf-8", errors="replace") as f:
            log = f.read()
        for secret in used:
            for form in {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote(secret)}:
                assert form not in log, f"a secret is in the log: {form[:6]}..."
        # The requests are still there, by route.
        assert "GET /s/{token} 200" in log and "POST /v1/share-links/{token}/playback 200" in log
        assert "GET /recordings/{id} 303" in log and "GET (no route) 404" in log
    finally:
        shutil.rmtree(media, ignore_errors=True)
