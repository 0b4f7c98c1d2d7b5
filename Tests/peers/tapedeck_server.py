"""`tapedeck serve` for the end-to-end suites and the benchmarks: the real binary with a data
directory of its own, an admin key, and optionally a PostgreSQL database of its own.

The binary comes from TAPEDECK_BIN (scripts/test.sh sets it), else the debug build; logs go to
ARTIFACTS (default: artifacts/ in the repository). PostgreSQL servers need TEST_DATABASE_URL.
"""
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse

import requests

from net import free_port, is_ready, wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.environ.get("ARTIFACTS", os.path.join(ROOT, "artifacts"))


def tapedeck_binary():
    path = os.environ.get("TAPEDECK_BIN") or os.path.join(ROOT, ".build", "debug", "tapedeck")
    if not os.path.exists(path):
        raise RuntimeError(f"tapedeck binary not found at {path}; build first (swift build)")
    return path


def database_kinds():
    return ["sqlite", "postgres"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]


class ScratchPostgres:
    """A database of its own on the throwaway PostgreSQL server."""

    def __init__(self):
        admin = os.environ["TEST_DATABASE_URL"]
        self.name = "tapedeck_e2e_" + secrets.token_hex(6)
        self.admin = admin
        subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{self.name}"'], check=True)
        parts = urllib.parse.urlsplit(admin)
        self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))

    def drop(self):
        subprocess.run(["psql", self.admin, "-qc", f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'],
                       check=False, capture_output=True)


class Server:
    """A running `tapedeck serve` with its own data directory and an admin key."""

    def __init__(self, database="sqlite", env=None, name="server", artifacts=None, binary=None):
        self.binary = binary or tapedeck_binary()
        self.artifacts = artifacts or ARTIFACTS
        self.directory = tempfile.mkdtemp(prefix="tapedeck-e2e-")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.postgres = ScratchPostgres() if database == "postgres" else None
        self.env = dict(os.environ)
        self.env.update({
            "TAPEDECK_DATA_DIR": os.path.join(self.directory, "data"),
            "TAPEDECK_PORT": str(self.port),
            "TAPEDECK_HOST": "127.0.0.1",
            "TAPEDECK_LOG_LEVEL": "info",
        })
        if self.postgres:
            self.env["DATABASE_URL"] = self.postgres.url
        self.env.update(env or {})
        self.name = name
        self.process = None
        self.admin_key = self.cli("keys", "create", "--name", "e2e").stdout.strip()

    def cli(self, *args, check=True, **kwargs):
        return subprocess.run([self.binary, *args], env=self.env, cwd=self.directory, text=True,
                              capture_output=True, check=check, **kwargs)

    def start(self, timeout=30):
        os.makedirs(self.artifacts, exist_ok=True)
        self.log_path = os.path.join(self.artifacts, f"{self.name}-{self.port}.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([self.binary, "serve"], env=self.env, cwd=self.directory,
                                        stdout=self.log, stderr=subprocess.STDOUT)

        def ready():
            if self.process.poll() is not None:
                raise RuntimeError(f"tapedeck exited early; see {self.log_path}")
            return is_ready(self.base_url)
        try:
            wait_until(ready, timeout=timeout, interval=0.1)
        except AssertionError:
            raise RuntimeError(f"tapedeck did not become ready; see {self.log_path}") from None
        return self

    def stop(self, kill=False):
        if self.process and self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.log.close()
        self.process = None

    def close(self):
        self.stop()
        if self.postgres:
            self.postgres.drop()
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def admin(self):
        return {"Authorization": f"Bearer {self.admin_key}"}

    def get(self, path, **kwargs):
        return requests.get(self.base_url + path, timeout=10, **kwargs)

    def viewer_token(self, identity, **claims):
        """A viewer token for `identity` from the admin API (`claims`: name, email, expires_in...)."""
        answer = requests.post(self.base_url + "/v1/viewer-tokens", json={"sub": identity, **claims}, headers=self.admin,
                               timeout=10)
        assert answer.status_code == 201, answer.text
        return answer.json()["token"]

    def rows(self, sql):
        """The catalog read directly (to prove what was, or was not, written): rows as tuples of
        strings, NULL as the empty string."""
        if self.env.get("DATABASE_URL"):
            out = subprocess.run(["psql", self.env["DATABASE_URL"], "-AtF", "|", "-c", sql], check=True,
                                 capture_output=True, text=True).stdout
            return [tuple(line.split("|")) for line in out.splitlines() if line]
        path = os.path.join(self.env["TAPEDECK_DATA_DIR"], "tapedeck.sqlite")
        with sqlite3.connect(path, timeout=10) as db:
            return [tuple("" if v is None else str(v) for v in row) for row in db.execute(sql).fetchall()]

    def import_media(self, path, room, captions=(), timeout=60):
        """`tapedeck import` of a file, then waits until it is processed; returns the recording
        (as the API shows it) and what the command printed."""
        done = self.cli("import", path, "--room", room, *[a for c in captions for a in ("--captions", c)])
        rid = re.search(r"Imported ([0-9a-f-]{36})", done.stdout).group(1)
        deadline = time.time() + timeout
        while time.time() < deadline:
            recording = self.get(f"/v1/recordings/{rid}", headers=self.admin).json()
            kinds = {a["kind"] for a in recording["assets"]}
            # Post-processing stores the storyboard last: by then the HLS and its first PTS are known.
            if recording["status"] == "ready" and {"hls", "storyboard"} <= kinds:
                return recording, done.stdout
            time.sleep(0.2)
        raise AssertionError(f"import of {path} not processed: {recording}")
