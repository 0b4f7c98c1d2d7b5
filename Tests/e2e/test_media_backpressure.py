"""`/media` under a hostile viewer: a client that pipelines ranges and never reads, and a server
short of file descriptors. The server must hold bounded resources, keep answering everyone else,
and stop promptly on SIGTERM."""
import os
import resource
import signal
import socket
import tempfile
import threading
import time
import urllib.parse

import pytest
import requests

from media import make_mp4
from tapedeck_server import Server

FLOOD_SECONDS = 30
MAX_FDS = 200
MAX_RSS_GROWTH_KIB = 100 * 1024
SHUTDOWN_SECONDS = 10


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def media_server():
    """A server holding one imported MP4, and a signed /media URL for it from the playback API."""
    instance = Server(name="media-backpressure")
    directory = tempfile.mkdtemp(prefix="tapedeck-flood-")
    mp4 = make_mp4(os.path.join(directory, "flood.mp4"), seconds=2, size="320x180")
    instance.cli("import", mp4, "--room", "flood")
    instance.start()
    recording = instance.get("/v1/recordings?room=flood", headers=instance.admin).json()["items"][0]
    grant = instance.get(f"/v1/recordings/{recording['id']}/playback", headers=instance.admin)
    assert grant.status_code == 200, grant.text
    url = grant.json()["mp4_url"]
    parts = urllib.parse.urlsplit(url)
    yield instance, url, f"{parts.path}?{parts.query}"
    instance.close()


def range_request(target, first, last):
    return (f"GET {target} HTTP/1.1\r\nHost: flood\r\nRange: bytes={first}-{last}\r\n\r\n").encode()


class NeverReadingClient:
    """One connection that pipelines range requests as fast as the server takes them and never
    reads a byte of the answers; reconnects if the server drops it, as a hostile client would.
    With `through_codec`, each connection starts with a HEAD request, which the raw reader leaves
    to the HTTP/1 codec: the ranges after it are answered behind the codec."""

    def __init__(self, port, target, through_codec=False):
        self.port, self.target, self.through_codec = port, target, through_codec
        self.stop = threading.Event()
        self.requests_sent = 0
        self.connections = 0
        self.sockets = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port))
        # A small receive window fills at once: the server's answers stay unsent.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(0.2)
        if self.through_codec:
            sock.sendall(range_request(self.target, 0, 99).replace(b"GET ", b"HEAD ", 1))
        self.sockets.append(sock)
        self.connections += 1
        return sock

    def run(self):
        batch = b"".join(range_request(self.target, 0, 65535) for _ in range(200))
        sock = self.connect()
        while not self.stop.is_set():
            try:
                sock.sendall(batch)
                self.requests_sent += 200
            except socket.timeout:
                continue  # the server stopped reading: keep pushing
            except OSError:
                time.sleep(0.05)
                try:
                    sock = self.connect()
                except OSError:
                    pass  # the server is going away; the test notices

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def test_pipelining_client_that_never_reads_holds_bounded_resources(media_server):
    server, url, target = media_server
    pid = server.process.pid
    assert requests.get(url, headers={"Range": "bytes=0-65535"}, timeout=5).status_code == 206
    base_rss = rss_kib(pid)
    flood = NeverReadingClient(server.port, target)
    behind_codec = NeverReadingClient(server.port, target, through_codec=True)
    flood.thread.start()
    behind_codec.thread.start()
    most_fds, most_rss, checks = 0, 0, 0
    try:
        deadline = time.time() + FLOOD_SECONDS
        while time.time() < deadline:
            assert server.process.poll() is None, f"server died: {server.process.returncode}"
            most_fds, most_rss = max(most_fds, open_fds(pid)), max(most_rss, rss_kib(pid) - base_rss)
            assert most_fds < MAX_FDS, f"{most_fds} descriptors open"
            assert most_rss < MAX_RSS_GROWTH_KIB, f"RSS grew by {most_rss} KiB"
            # Everyone else is still answered, media included.
            assert requests.get(server.base_url + "/healthz", timeout=5).status_code == 200
            answer = requests.get(url, headers={"Range": "bytes=1000-1999"}, timeout=5)
            assert answer.status_code == 206 and len(answer.content) == 1000
            checks += 1
            time.sleep(0.25)
        assert flood.requests_sent >= 2000 and behind_codec.requests_sent >= 2000, "the flood never got going"
        # SIGTERM while the hostile connection still holds an unsent answer: the server stops anyway.
        started = time.time()
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=SHUTDOWN_SECONDS)
        except Exception:
            pytest.fail(f"server still running {SHUTDOWN_SECONDS} s after SIGTERM")
        assert server.process.returncode == 0, server.process.returncode
        print(f"{checks} checks, {flood.requests_sent} + {behind_codec.requests_sent} requests sent on "
              f"{flood.connections} + {behind_codec.connections} connection(s), "
              f"at most {most_fds} fds and +{most_rss} KiB; stopped in {time.time() - started:.1f} s")
    finally:
        flood.close()
        behind_codec.close()


@pytest.mark.parametrize("headroom", [16, 64])
def test_running_out_of_descriptors_degrades_and_recovers(media_server, headroom):
    server, url, target = media_server
    pid = server.process.pid
    # A limit a little above what the server uses: with little headroom the connections exhaust
    # it; with more, the connection budget refuses them first.
    limit = open_fds(pid) + headroom
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, limit))
    clients = []
    try:
        for _ in range(limit * 2):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            # Each asks for media too, so the server also needs a descriptor per file it opens.
            sock.sendall(range_request(target, 0, 65535) * 4)
            clients.append(sock)
        time.sleep(3)
        assert server.process.poll() is None, f"server died: {server.process.returncode}"
        # Whatever was answered is media or a refusal to retry shortly, never an internal error.
        statuses = {}
        for sock in clients:
            sock.settimeout(0.01)
            received = b""
            try:
                while chunk := sock.recv(1 << 20):
                    received += chunk
            except OSError:
                pass
            for line in received.split(b"\r\n"):
                if line.startswith(b"HTTP/1.1 "):
                    statuses[line[9:12]] = statuses.get(line[9:12], 0) + 1
        assert set(statuses) <= {b"206", b"503"}, statuses
        assert statuses.get(b"503"), f"nothing was refused: {statuses}"
        print(f"answers while short of descriptors: {statuses}")
        for sock in clients:
            sock.close()
        # Once the connections are gone the server answers again.
        deadline = time.time() + 15
        while True:
            assert server.process.poll() is None, f"server died: {server.process.returncode}"
            try:
                healthy = requests.get(server.base_url + "/healthz", timeout=2).status_code == 200
                answer = requests.get(url, headers={"Range": "bytes=0-99"}, timeout=2)
                if healthy and answer.status_code == 206 and len(answer.content) == 100:
                    break
            except requests.RequestException:
                pass
            assert time.time() < deadline, "the server did not recover"
            time.sleep(0.2)
    finally:
        for sock in clients:
            sock.close()
