"""Fixtures for the end-to-end suites: the real `tapedeck` binary against real peers.

The binary comes from TAPEDECK_BIN (scripts/test.sh sets it); PostgreSQL suites run when
TEST_DATABASE_URL is set, each server on a database of its own.
"""
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.environ.get("ARTIFACTS", os.path.join(ROOT, "artifacts"))


def tapedeck_binary():
    path = os.environ.get("TAPEDECK_BIN") or os.path.join(ROOT, ".build", "debug", "tapedeck")
    if not os.path.exists(path):
        raise RuntimeError(f"tapedeck binary not found at {path}; build first (swift build)")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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

    def __init__(self, database="sqlite", env=None, name="server"):
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
        return subprocess.run([tapedeck_binary(), *args], env=self.env, cwd=self.directory, text=True,
                              capture_output=True, check=check, **kwargs)

    def start(self, timeout=30):
        os.makedirs(ARTIFACTS, exist_ok=True)
        self.log_path = os.path.join(ARTIFACTS, f"{self.name}-{self.port}.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([tapedeck_binary(), "serve"], env=self.env, cwd=self.directory,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tapedeck exited early; see {self.log_path}")
            try:
                if requests.get(self.base_url + "/readyz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"tapedeck did not become ready; see {self.log_path}")

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


@pytest.fixture(params=database_kinds())
def server(request):
    instance = Server(database=request.param, name=f"{request.node.name}")
    instance.start()
    yield instance
    instance.close()
