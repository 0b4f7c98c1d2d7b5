"""Every string of the hostile corpus in every field a client controls through the JSON API,
the query strings and the command line: never a 5xx, every answer valid JSON (4xx with the field
named), every log line still one JSON object, and nothing written outside the data directory."""
import json
import os
import tempfile
import urllib.parse

import pytest
import requests

from livekit_sim import LiveKitSim, cleanup
from tapedeck_server import Server, database_kinds

HOSTILE = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "testdata",
                                      "hostile-strings.json")))


def quoted(value):
    return urllib.parse.quote(value, safe="")


def check(answer, what):
    assert answer.status_code < 500, (what, answer.status_code, answer.text[:300])
    body = answer.json()
    if answer.status_code >= 400:
        assert body["error"]["code"] and body["error"]["message"], (what, body)
    return body


@pytest.fixture(params=database_kinds())
def server(request):
    sim = LiveKitSim(None)
    egress = tempfile.mkdtemp(prefix="tapedeck-hostile-egress-")
    instance = Server(database=request.param, name=f"hostile-api-{request.param}",
                      env={**sim.env(), "TAPEDECK_EGRESS_DIR": egress, "TAPEDECK_LOG_FORMAT": "json"}).start()
    yield instance
    # The server's working folder holds only its data directory: no hostile room, title or path
    # made it write anything beside it (relative paths such as `../x` would land here or above).
    stray = [os.path.join(folder, name) for folder, _, files in os.walk(instance.directory) for name in files
             if not os.path.join(folder, name).startswith(instance.env["TAPEDECK_DATA_DIR"] + os.sep)]
    assert stray == [], stray
    log = instance.log_path
    instance.close()
    sim.close()
    cleanup(egress)
    with open(log) as f:
        lines = f.read().splitlines()
    # `serve` prints its banner (where it listens, which storage) as text; every log line after
    # it is one JSON object, whatever was logged.
    listening = next(i for i, line in enumerate(lines) if line.startswith("Listening on "))
    for line in lines[listening + 1:]:
        json.loads(line)


def test_hostile_strings_in_api_bodies_and_queries(server):
    base, admin = server.base_url, server.admin
    for value in HOSTILE:
        q = quoted(value)
        check(requests.post(f"{base}/v1/viewer-tokens", json={"sub": value, "name": value, "email": value},
                            headers=admin), f"viewer token {value!r}")
        check(requests.post(f"{base}/v1/viewer-tokens", json={"sub": "ada", "name": value}, headers=admin),
              f"viewer name {value!r}")
        check(requests.put(f"{base}/v1/rooms/{q}/policy", json={"start": "manual", "hosts": [value],
                                                                "host_roles": [value]}, headers=admin),
              f"policy {value!r}")
        check(requests.get(f"{base}/v1/rooms/{q}/policy", headers=admin), f"policy read {value!r}")
        check(requests.get(f"{base}/v1/rooms/{q}/recording-status", headers=admin), f"status {value!r}")
        check(requests.post(f"{base}/v1/recordings", json={"room": value, "title": value}, headers=admin),
              f"start {value!r}")
        check(requests.post(f"{base}/v1/recordings", json={"provider": "local", "room": value, "input": value,
                                                           "title": value, "participants": [value]}, headers=admin),
              f"local start {value!r}")
        check(requests.get(f"{base}/v1/recordings", params={"room": value, "participant": value, "status": value,
                                                            "cursor": value}, headers=admin), f"list {value!r}")
        check(requests.get(f"{base}/v1/recordings/{q}", headers=admin), f"get {value!r}")
        check(requests.post(f"{base}/v1/webhook-endpoints", json={"url": value, "description": value},
                            headers=admin), f"webhook {value!r}")
        # Cues: the room name, every field of a cue, and the search and listing queries.
        cue = {"cue_key": value, "language": value, "kind": value, "start_at": value, "end_at": value, "text": value,
               "speaker": value, "speaker_identity": value, "translation_of": value}
        check(requests.post(f"{base}/v1/rooms/{q}/cues", json={"cues": [cue]}, headers=admin), f"live cue {value!r}")
        check(requests.post(f"{base}/v1/rooms/{q}/cues", headers=admin, json={"cues": [
            {"cue_key": "k", "language": "en", "start_at": 0, "end_at": 1, "text": value, "speaker": value}]}),
              f"live cue text {value!r}")
        check(requests.get(f"{base}/v1/search", params={"q": value, "room": value, "language": value, "cursor": value},
                           headers=admin), f"search {value!r}")
        check(requests.get(f"{base}/v1/recordings/{q}/cues", params={"q": value, "kind": value}, headers=admin),
              f"cues {value!r}")
        check(requests.post(f"{base}/v1/recordings/{q}/captions", params={"language": value}, data=value.encode(),
                            headers=admin), f"captions {value!r}")
    # The recordings that were started are real ones, listed as valid JSON.
    listing = check(requests.get(f"{base}/v1/recordings?limit=100", headers=admin), "listing")
    assert isinstance(listing["items"], list)
    assert server.get("/healthz").status_code == 200


def test_hostile_strings_on_the_command_line(server):
    for value in HOSTILE:
        if "\x00" in value:
            continue  # a command-line argument cannot hold NUL
        named = server.cli("keys", "create", "--name", value, check=False)
        assert named.returncode in (0, 64, 1), (value, named.returncode, named.stderr)
        # The path is the operator's to name (`../../etc/passwd` from the data folder is a file
        # they can read): it is imported or refused, and whatever the room, its objects stay in the store.
        imported = server.cli("import", value, "--room", value, "--title", value, check=False)
        assert imported.returncode in (0, 1, 64), (value, imported.returncode, imported.stderr)
        assert "Fatal" not in imported.stderr and "Backtrace" not in imported.stderr
    objects = os.path.realpath(os.path.join(server.env["TAPEDECK_DATA_DIR"], "objects"))
    for recording in server.get("/v1/recordings?limit=100", headers=server.admin).json()["items"]:
        for asset in recording["assets"]:
            path = os.path.realpath(os.path.join(objects, asset["key"]))
            assert path.startswith(objects + "/") and os.path.exists(path), asset["key"]
    listed = server.cli("keys", "list")
    assert listed.returncode == 0
