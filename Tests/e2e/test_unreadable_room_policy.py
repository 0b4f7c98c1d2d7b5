"""A room whose stored policy cannot be read (written straight into the catalog) is not run under
the default policy: LiveKit's webhooks are still taken (200) and the participants kept, but no
recording starts, a manual start is refused with the reason, and the log says why."""
import os
import sqlite3
import subprocess
import time

import requests

from test_livekit import lk, outputs, room_name  # noqa: F401 (fixtures)


def execute(server, sql):
    """Runs one statement straight on the catalog."""
    if server.postgres:
        subprocess.run(["psql", server.postgres.url, "-qc", sql], check=True)
        return
    with sqlite3.connect(os.path.join(server.env["TAPEDECK_DATA_DIR"], "tapedeck.sqlite"), timeout=10) as db:
        db.execute(sql)


def set_stored_policy(server, room, policy_json):
    execute(server, f"UPDATE rooms SET policy_json = '{policy_json}' WHERE name = '{room}'")


def test_a_room_with_an_unreadable_policy_is_not_recorded_by_the_default(lk):  # noqa: F811
    server, sim = lk.server, lk.sim
    broken, control = room_name("broken"), room_name("control")
    for room in (broken, control):
        put = requests.put(f"{server.base_url}/v1/rooms/{room}/policy", json={"start": "always"},
                           headers=server.admin, timeout=10)
        assert put.status_code == 200, put.text
    set_stored_policy(server, broken, '{"start": "always", "retain_days": ')
    for room in (broken, control):
        sim.start_room(room)
        sim.join(room, "ada")
    sim.deliver()  # every webhook answered 200
    lk.wait_start(control)
    time.sleep(1)
    assert sim.starts_for(broken) == []
    assert lk.rows(f"SELECT p.identity FROM participants p JOIN sessions s ON s.id = p.session_id "
                   f"JOIN rooms r ON r.id = s.room_id WHERE r.name = '{broken}'") == [("ada",)]
    # Neither a manual start nor the policy endpoint pretends the default is the room's.
    started = requests.post(f"{server.base_url}/v1/recordings", json={"room": broken}, headers=server.admin, timeout=10)
    assert started.status_code == 409 and started.json()["error"]["code"] == "room_policy_unreadable", started.text
    shown = requests.get(f"{server.base_url}/v1/rooms/{broken}/policy", headers=server.admin, timeout=10)
    assert shown.status_code == 409 and "cannot be read" in shown.json()["error"]["message"]
    assert sim.starts_for(broken) == []
    with open(server.log_path) as log:
        assert any(f"not applying a policy to room {broken}" in line for line in log)


def test_retention_skips_and_reports_a_room_with_an_unreadable_policy(tmp_path):
    from tapedeck_server import Server
    from media import make_mp4
    server = Server(env={"TAPEDECK_RETAIN_DAYS": "30"}, name="retention-unreadable")
    try:
        mp4 = make_mp4(str(tmp_path / "old.mp4"), seconds=1, size="160x90")
        for room in ("kept-by-its-policy", "plain-old"):
            server.cli("import", mp4, "--room", room, "--recorded-at", "2020-01-01T00:00:00Z")
        # Both ended long ago: past the default's 30 days.
        execute(server, "UPDATE recordings SET ended_at = 1577836800000, created_at = 1577836800000")
        set_stored_policy(server, "kept-by-its-policy", '{"retain_days": null')
        report = server.cli("retention")
        assert "1 recording(s) deleted" in report.stdout, report.stdout
        assert "skipped room kept-by-its-policy (1 recording(s)): the stored policy of room kept-by-its-policy " \
               "cannot be read" in report.stdout, report.stdout
        assert "cannot be read" in report.stderr  # and logged
        server.start()
        statuses = {r["room"]: r["status"] for r in server.get(
            "/v1/recordings?limit=100", headers=server.admin).json()["items"]}
        assert statuses.get("kept-by-its-policy") == "ready", statuses
    finally:
        server.close()
