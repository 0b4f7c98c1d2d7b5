"""Local storage whose root is another file system than the data dir (a tmpfs mounted for the
test): writes still land (scratch goes where a rename reaches the root), recordings play from it,
and /readyz checks the very path a write takes."""
import hashlib
import os
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

from media import make_mp4
from tapedeck_server import Server, tapedeck_binary


@pytest.fixture
def mount():
    """A fresh tmpfs, unmounted afterwards; `options` e.g. "ro"."""
    mounted = []

    def make(options=""):
        path = tempfile.mkdtemp(prefix="tapedeck-mount-")
        subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(filter(None, ["size=64m", options])), "tmpfs", path],
                       check=True)
        mounted.append(path)
        return path

    yield make
    for path in mounted:
        subprocess.run(["umount", "-l", path], check=False)
        shutil.rmtree(path, ignore_errors=True)


def test_a_root_on_another_file_system_stores_and_serves(mount):
    root = mount()
    assert os.stat(root).st_dev != os.stat(tempfile.gettempdir()).st_dev
    server = Server(env={"TAPEDECK_LOCAL_ROOT": root}, name="local-tmpfs")
    media = tempfile.mkdtemp(prefix="tapedeck-media-")
    try:
        server.start()
        assert server.get("/readyz").json()["checks"]["storage"] == "ok"
        mp4 = make_mp4(os.path.join(media, "lecture.mp4"), seconds=2, size="320x180")
        imported = server.cli("import", mp4, "--room", "tmpfs room", check=False)
        assert imported.returncode == 0, imported.stderr[-2000:]
        recording = server.get("/v1/recordings?room=tmpfs%20room", headers=server.admin).json()["items"][0]
        assert recording["status"] == "ready"
        grant = server.get(f"/v1/recordings/{recording['id']}/playback", headers=server.admin).json()
        served = requests.get(grant["download_url"], timeout=10)
        assert served.status_code == 200
        assert hashlib.sha256(served.content).hexdigest() == hashlib.sha256(open(mp4, "rb").read()).hexdigest()
        # The object is on the tmpfs, and nothing is left in scratch once the write is done.
        stored = [os.path.join(d, f) for d, _, files in os.walk(root) for f in files if f.endswith(".mp4")]
        assert stored and all(os.stat(p).st_dev == os.stat(root).st_dev for p in stored)
        scratch = os.path.join(root, ".tapedeck\\scratch")
        assert os.path.isdir(scratch)
        leftovers = [f for d, _, files in os.walk(scratch) for f in files if not f.endswith(".lock")]
        assert leftovers == []
    finally:
        server.close()
        shutil.rmtree(media, ignore_errors=True)


def test_readyz_fails_when_a_write_could_not_land(mount):
    root = mount("ro")
    server = Server(env={"TAPEDECK_LOCAL_ROOT": root}, name="local-readonly")
    try:
        log = open(os.path.join(server.directory, "serve.log"), "w")
        process = subprocess.Popen([tapedeck_binary(), "serve"], env=server.env, cwd=server.directory, stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            answer = None
            deadline = time.time() + 30
            while time.time() < deadline and answer is None:
                assert process.poll() is None, open(os.path.join(server.directory, "serve.log")).read()[-2000:]
                try:
                    answer = requests.get(server.base_url + "/readyz", timeout=2)
                except requests.RequestException:
                    time.sleep(0.2)
            assert answer is not None and answer.status_code == 503, answer and answer.text
            assert answer.json()["checks"]["storage"] != "ok"
        finally:
            process.terminate()
            process.wait(timeout=20)
            log.close()
    finally:
        server.close()
