"""Share passcodes under attack: a burst of concurrent wrong guesses, on SQLite, on PostgreSQL and
across two `serve` processes on one PostgreSQL, evaluates at most the allowed tries per window;
passcodes are stored with PBKDF2, and shares hashed the earlier way keep working."""
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from media import make_mp4
from tapedeck_server import Server, database_kinds

ATTEMPTS = 5
WINDOW_S = 10
LIMITS = {"TAPEDECK_SHARE_PASSCODE_ATTEMPTS": str(ATTEMPTS), "TAPEDECK_SHARE_PASSCODE_WINDOW_S": str(WINDOW_S)}
PASSCODE = "right horse battery"


@pytest.fixture(scope="module")
def mp4():
    directory = tempfile.mkdtemp(prefix="tapedeck-passcode-")
    yield make_mp4(os.path.join(directory, "talk.mp4"), seconds=2, size="320x180")
    shutil.rmtree(directory, ignore_errors=True)


def locked_share(server, mp4, room):
    server.cli("import", mp4, "--room", room)
    recording = server.get(f"/v1/recordings?room={room}", headers=server.admin).json()["items"][0]
    created = requests.post(f"{server.base_url}/v1/recordings/{recording['id']}/shares",
                            json={"expires_in": 600, "passcode": PASSCODE}, headers=server.admin, timeout=10)
    assert created.status_code == 201, created.text
    return created.json()


def try_passcode(base_url, share, passcode):
    token = share["url"].rsplit("/", 1)[1]
    return requests.post(f"{base_url}/v1/share-links/{token}/playback", json={"passcode": passcode}, timeout=60)


def burst(base_urls, share, count=200):
    """`count` wrong passcodes sent at once over as many connections, spread over the servers."""
    start = threading.Barrier(count)

    def one(i):
        start.wait()
        return try_passcode(base_urls[i % len(base_urls)], share, f"wrong-{i}")

    with ThreadPoolExecutor(max_workers=count) as pool:
        began = time.monotonic()
        answers = list(pool.map(one, range(count)))
    return answers, time.monotonic() - began


def check_burst_then_window(base_urls, share):
    answers, took = burst(base_urls, share)
    assert took < WINDOW_S, f"the burst took {took:.1f} s, longer than the window"
    statuses = [a.status_code for a in answers]
    evaluated = [a for a in answers if a.status_code == 401]
    refused = [a for a in answers if a.status_code == 429]
    assert len(evaluated) + len(refused) == len(answers), sorted(set(statuses))
    assert 1 <= len(evaluated) <= ATTEMPTS, f"{len(evaluated)} passcodes evaluated in one window"
    assert all(a.json()["error"]["code"] == "wrong_passcode" for a in evaluated)
    assert all(a.json()["error"]["code"] == "too_many_attempts" and a.json()["error"]["field"] == "passcode"
               and 1 <= int(a.headers["Retry-After"]) <= WINDOW_S for a in refused)
    # The right passcode is refused while the window is closed, on every server ...
    for base_url in base_urls:
        closed = try_passcode(base_url, share, PASSCODE)
        assert closed.status_code == 429, closed.text
    # ... and works once it has passed, as often as the viewer likes (right tries are given back).
    time.sleep(int(closed.headers["Retry-After"]) + 0.5)
    for _ in range(ATTEMPTS + 2):
        for base_url in base_urls:
            opened = try_passcode(base_url, share, PASSCODE)
            assert opened.status_code == 200, opened.text
            assert opened.json()["hls_url"] or opened.json()["download_url"] is None


@pytest.mark.parametrize("database", database_kinds())
def test_concurrent_wrong_passcodes_are_limited_per_window(database, mp4):
    server = Server(database=database, env=LIMITS, name=f"passcodes-{database}").start()
    try:
        share = locked_share(server, mp4, "burst")
        check_burst_then_window([server.base_url], share)
    finally:
        server.close()


@pytest.mark.skipif("TEST_DATABASE_URL" not in os.environ, reason="needs PostgreSQL")
def test_the_limit_holds_across_two_serve_processes_on_one_postgres(mp4):
    first = Server(database="postgres", env=LIMITS, name="passcodes-first").start()
    second = None
    try:
        second = Server(env={**LIMITS, "DATABASE_URL": first.postgres.url}, name="passcodes-second").start()
        share = locked_share(first, mp4, "two servers")
        check_burst_then_window([first.base_url, second.base_url], share)
    finally:
        if second:
            second.close()
        first.close()


def stored_hash(server, share_id, replace=None):
    """The share's stored passcode hash, read (or first replaced) straight in the catalog."""
    if server.postgres:
        if replace is not None:
            subprocess.run(["psql", server.postgres.url, "-qc",
                            f"UPDATE shares SET passcode_hash = '{replace}' WHERE id = '{share_id}'"], check=True)
        return subprocess.run(["psql", server.postgres.url, "-Atc", f"SELECT passcode_hash FROM shares WHERE id = '{share_id}'"],
                              check=True, capture_output=True, text=True).stdout.strip()
    with sqlite3.connect(os.path.join(server.env["TAPEDECK_DATA_DIR"], "tapedeck.sqlite"), timeout=10) as db:
        if replace is not None:
            db.execute("UPDATE shares SET passcode_hash = ? WHERE lower(id) = ?", (replace, share_id))
        rows = db.execute("SELECT passcode_hash FROM shares WHERE lower(id) = ?", (share_id,)).fetchall()
    return rows[0][0]


@pytest.mark.parametrize("database", database_kinds())
def test_passcodes_are_pbkdf2_and_earlier_hashes_are_upgraded(database, mp4):
    import hashlib
    server = Server(database=database, name=f"passcode-kdf-{database}").start()
    try:
        share = locked_share(server, mp4, "kdf")
        scheme, rounds, salt, key = stored_hash(server, share["id"]).split("$")
        assert (scheme, rounds) == ("pbkdf2-sha256", "210000") and len(salt) == 32
        assert key == hashlib.pbkdf2_hmac("sha256", PASSCODE.encode(), bytes.fromhex(salt), 210000).hex()
        # A share stored by an earlier version: salt$hex(SHA-256(salt + passcode)).
        legacy = "OldSaltOldSalt12$" + hashlib.sha256(("OldSaltOldSalt12" + PASSCODE).encode()).hexdigest()
        stored_hash(server, share["id"], replace=legacy)
        assert try_passcode(server.base_url, share, "not it").status_code == 401
        assert stored_hash(server, share["id"]) == legacy
        assert try_passcode(server.base_url, share, PASSCODE).status_code == 200
        upgraded = stored_hash(server, share["id"])
        assert upgraded.startswith("pbkdf2-sha256$210000$") and PASSCODE not in upgraded
        assert try_passcode(server.base_url, share, PASSCODE).status_code == 200
        assert try_passcode(server.base_url, share, "not it").status_code == 401
    finally:
        server.close()
