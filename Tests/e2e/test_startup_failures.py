"""Start-up fails loudly: a key file in the data dir that cannot be read or written stops `serve`
(and `worker`) with exit code 78 and one line naming the setting and the file, instead of a
throwaway key that would break every link and sealed secret at the next restart. And admin
commands wait for a write lock held by another connection instead of failing with SQLITE_BUSY."""
import os
import sqlite3
import subprocess
import threading
import time

import pytest

from tapedeck_server import Server, tapedeck_binary
@pytest.fixture
def server():
    instance = Server(name="startup")
    yield instance
    instance.close()


def secrets_dir(server):
    path = os.path.join(server.env["TAPEDECK_DATA_DIR"], "secrets")
    os.makedirs(path, exist_ok=True)
    return path


def run(server, command, env=None, timeout=30):
    return subprocess.run([tapedeck_binary(), command], env={**server.env, **(env or {})}, cwd=server.directory,
                          text=True, capture_output=True, timeout=timeout)


def assert_config_error(result, *words):
    assert result.returncode == 78, (result.returncode, result.stderr[-2000:])
    lines = [line for line in result.stderr.splitlines() if line.startswith("tapedeck: configuration error:")]
    assert len(lines) == 1, result.stderr[-2000:]
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("key_file, setting", [
    ("viewer-token.key", "TAPEDECK_VIEWER_SECRET"),
    ("webhook-sealing.key", "TAPEDECK_WEBHOOK_SEALING_KEY"),
    ("media-signing.key", "TAPEDECK_MEDIA_SECRET"),
])
def test_a_directory_in_place_of_a_key_file_stops_start_up(server, key_file, setting):
    os.makedirs(os.path.join(secrets_dir(server), key_file))
    for command in ("serve", "worker"):
        assert_config_error(run(server, command), setting, key_file, "not a regular file")


def test_a_key_file_too_short_to_be_a_key_stops_start_up(server):
    with open(os.path.join(secrets_dir(server), "viewer-token.key"), "wb") as f:
        f.write(b"short")
    assert_config_error(run(server, "serve"), "TAPEDECK_VIEWER_SECRET", "viewer-token.key", "5 bytes")


def test_a_read_only_secrets_folder_stops_start_up(server):
    # Read-only for root too: an empty read-only file system mounted over the secrets folder.
    # The media key is configured, so only the generated viewer and sealing keys need the folder.
    folder = secrets_dir(server)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", folder], check=True)
    try:
        result = run(server, "serve", env={"TAPEDECK_MEDIA_SECRET": "m" * 40})
        assert_config_error(result, "TAPEDECK_VIEWER_SECRET", "viewer-token.key", "Read-only file system")
        # With the viewer key configured as well, the sealing key is the one that cannot be written.
        result = run(server, "serve", env={"TAPEDECK_MEDIA_SECRET": "m" * 40, "TAPEDECK_VIEWER_SECRET": "v" * 40})
        assert_config_error(result, "TAPEDECK_WEBHOOK_SEALING_KEY", "webhook-sealing.key")
    finally:
        subprocess.run(["umount", folder], check=True)


def test_keys_made_once_are_kept_across_restarts(server):
    server.start()
    server.stop()
    folder = secrets_dir(server)
    first = {name: open(os.path.join(folder, name), "rb").read() for name in sorted(os.listdir(folder))}
    assert set(first) == {"media-signing.key", "viewer-token.key", "webhook-sealing.key"}
    assert all(len(key) == 32 for key in first.values())
    server.start()
    assert {name: open(os.path.join(folder, name), "rb").read() for name in sorted(os.listdir(folder))} == first


def hold_write_lock(path, seconds):
    """Holds SQLite's write lock on `path` for `seconds` from another connection; returns once it is held."""
    holding = threading.Event()

    def hold():
        db = sqlite3.connect(path, timeout=10, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        db.execute("UPDATE api_keys SET name = name")
        holding.set()
        time.sleep(seconds)
        db.execute("COMMIT")
        db.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    return holder


def test_keys_create_waits_for_a_write_lock_held_elsewhere(server):
    server.start()
    path = os.path.join(server.env["TAPEDECK_DATA_DIR"], "tapedeck.sqlite")
    holder = hold_write_lock(path, 1.5)
    created = server.cli("keys", "create", "--name", "beside serve", check=False, timeout=30)
    holder.join()
    assert created.returncode == 0, created.stderr[-2000:]
    assert created.stdout.strip().startswith("tdk_")
    assert "beside serve" in server.cli("keys", "list").stdout


def test_a_write_lock_held_too_long_is_a_clear_error_not_a_hang(server):
    # The busy timeout is 5 s: past it the command says the database is locked, instead of
    # retrying without end on a spinning core.
    path = os.path.join(server.env["TAPEDECK_DATA_DIR"], "tapedeck.sqlite")
    holder = hold_write_lock(path, 9)
    began = time.monotonic()
    try:
        created = server.cli("keys", "create", "--name", "blocked", check=False, timeout=8.5)
    finally:
        took = time.monotonic() - began
        holder.join()
    assert created.returncode != 0 and 4.5 < took < 8.5, (created.returncode, took)
    assert "locked" in created.stderr, created.stderr[-2000:]
