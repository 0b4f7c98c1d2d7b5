"""Outbound webhooks end to end: a local receiver that checks every signature the way the README
tells customers to, and fails the first attempts; the delivery log seen through the API."""
import hashlib
import hmac
import http.server
import json
import os
import tempfile
import threading
import time

import pytest
import requests

from media import make_mp4
from net import wait_until
from tapedeck_server import Server, database_kinds

SECRET = "whsec_e2e_0123456789abcdef"


class Receiver:
    """Answers 500 to the first `fail_first` attempts of each event, then 200 (or always `status`)."""

    def __init__(self, secret, fail_first=0, status=200):
        self.secret, self.fail_first, self.status = secret, fail_first, status
        self.attempts = {}  # event id -> number of attempts
        self.delivered = []  # (headers, body) of accepted events
        self.bad_signatures = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.receive(dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Length", "7")
                self.end_headers()
                self.wfile.write(b"nope\n\n\n" if status >= 300 else b"thanks\n")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/tapedeck"

    def verify(self, headers, body):
        # The README's snippet, as a customer would write it.
        timestamp = headers["Tapedeck-Timestamp"]
        expected = hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, headers["Tapedeck-Signature"]) and abs(time.time() - int(timestamp)) < 300

    def receive(self, headers, body):
        with self.lock:
            if not self.verify(headers, body):
                self.bad_signatures += 1
                return 400
            event = json.loads(body)
            assert event["id"] == headers["Tapedeck-Event-Id"] and event["type"] == headers["Tapedeck-Event-Type"]
            self.attempts[event["id"]] = self.attempts.get(event["id"], 0) + 1
            if self.status != 200:
                return self.status
            if self.attempts[event["id"]] <= self.fail_first:
                return 500
            self.delivered.append(event)
            return 200

    def events(self, type_):
        with self.lock:
            return [e for e in self.delivered if e["type"] == type_]

    def close(self):
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def mp4():
    directory = tempfile.mkdtemp(prefix="tapedeck-hooks-")
    return make_mp4(os.path.join(directory, "talk.mp4"), seconds=3)


@pytest.mark.parametrize("database", database_kinds())
def test_events_are_signed_retried_and_logged(database, mp4):
    server = Server(database=database, name=f"webhooks-{database}",
                    env={"TAPEDECK_WEBHOOK_RETRY_INITIAL_S": "1", "TAPEDECK_WEBHOOK_RETRY_WINDOW_S": "12"})
    flaky, down = Receiver(SECRET, fail_first=2), Receiver(SECRET, status=503)
    try:
        server.start()
        api = server.base_url + "/v1/webhook-endpoints"
        created = requests.post(api, json={"url": flaky.url, "secret": SECRET, "description": "app"},
                                headers=server.admin, timeout=10)
        assert created.status_code == 201, created.text
        endpoint = created.json()
        assert endpoint["secret"] == SECRET and len(endpoint["events"]) == 6
        only_ready = requests.post(api, json={"url": down.url, "events": ["recording.ready"]},
                                   headers=server.admin, timeout=10).json()
        assert only_ready["secret"].startswith("whsec_") and only_ready["events"] == ["recording.ready"]
        down.secret = only_ready["secret"]
        # The secret is never shown again.
        listed = requests.get(api, headers=server.admin, timeout=10).json()["items"]
        assert [e["id"] for e in listed] == [endpoint["id"], only_ready["id"]]
        assert all("secret" not in e for e in listed)

        # ready, share.created, deleted, and failed (an import of a missing URL).
        server.cli("import", mp4, "--room", "hooks")
        [recording] = requests.get(server.base_url + "/v1/recordings?room=hooks", headers=server.admin,
                                   timeout=10).json()["items"]
        share = requests.post(f"{server.base_url}/v1/recordings/{recording['id']}/shares", json={"expires_in": 3600},
                              headers=server.admin, timeout=10)
        assert share.status_code == 201
        server.cli("import", flaky.url.replace("/hooks/tapedeck", "/missing.mp4"), "--room", "broken", check=False)

        ready = wait_until(lambda: flaky.events("recording.ready"), "recording.ready")
        assert ready[0]["data"]["recording"]["id"] == recording["id"]
        assert ready[0]["data"]["recording"]["status"] == "ready"
        shared = wait_until(lambda: flaky.events("share.created"), "share.created")
        assert shared[0]["data"]["share"]["id"] == share.json()["id"]
        assert "url" not in shared[0]["data"]["share"], "the share token never leaves in a webhook"
        failed = wait_until(lambda: flaky.events("recording.failed"), "recording.failed")
        assert failed[0]["data"]["recording"]["room"] == "broken"

        assert requests.delete(f"{server.base_url}/v1/recordings/{recording['id']}", headers=server.admin,
                               timeout=10).status_code in (200, 202, 204)
        deleted = wait_until(lambda: flaky.events("recording.deleted"), "recording.deleted")
        assert deleted[0]["data"]["recording"]["id"] == recording["id"]

        # Every event was refused twice, then accepted once, with the same id on every attempt.
        assert flaky.bad_signatures == 0
        assert sorted(flaky.attempts.values()) == [3, 3, 3, 3]
        log = requests.get(f"{api}/{endpoint['id']}/deliveries", headers=server.admin, timeout=10).json()["items"]
        assert sorted(d["event_type"] for d in log) == ["recording.deleted", "recording.failed", "recording.ready",
                                                       "share.created"]
        for delivery in log:
            assert delivery["status"] == "delivered" and delivery["attempts"] == 3, delivery
            assert delivery["last_status_code"] == 200 and delivery["last_error"].startswith("HTTP 500")
            assert delivery["event_id"] in flaky.attempts

        # The endpoint that only answers 503 got only recording.ready, retried until the window closed.
        down_log = wait_until(lambda: [d for d in requests.get(f"{api}/{only_ready['id']}/deliveries",
                                                               headers=server.admin, timeout=10).json()["items"]
                                       if d["status"] == "failed"], "the failing endpoint to be given up", timeout=40)
        [given_up] = down_log
        assert given_up["event_type"] == "recording.ready" and given_up["last_status_code"] == 503
        assert given_up["attempts"] >= 3 and given_up["next_attempt_at"] is None
        assert down.bad_signatures == 0 and list(down.attempts.values()) == [given_up["attempts"]]

        # Deleting an endpoint stops its deliveries and drops its log.
        assert requests.delete(f"{api}/{endpoint['id']}", headers=server.admin, timeout=10).status_code == 204
        assert requests.get(f"{api}/{endpoint['id']}", headers=server.admin, timeout=10).status_code == 404
        assert requests.get(f"{api}/{endpoint['id']}/deliveries", headers=server.admin, timeout=10).status_code == 404
    finally:
        server.close()
        flaky.close()
        down.close()


def test_bad_endpoints_are_refused_and_change_nothing():
    server = Server(name="webhooks-bad")
    try:
        server.start()
        api = server.base_url + "/v1/webhook-endpoints"
        cases = [
            ({"url": "ftp://example.com/x"}, "url"),
            ({"url": "https://user:pw@example.com/"}, "url"),
            ({"url": "https://example.com/", "events": ["recording.exploded"]}, "events"),
            ({"url": "https://example.com/", "secret": "short"}, "secret"),
            ({"url": "https://example.com/", "description": "a\nb"}, "description"),
            ({"url": "https://example.com/", "colour": "red"}, "colour"),
            ({"events": ["recording.ready"]}, "url"),
        ]
        for body, field in cases:
            answer = requests.post(api, json=body, headers=server.admin, timeout=10)
            assert answer.status_code == 400, (body, answer.text)
            assert answer.json()["error"]["field"] == field, (body, answer.text)
        assert requests.post(api, json={"url": "https://example.com/"}, timeout=10).status_code == 401
        assert requests.get(api + "/not-a-uuid", headers=server.admin, timeout=10).status_code == 400
        assert requests.get(api, headers=server.admin, timeout=10).json()["items"] == []
    finally:
        server.close()


class Redirector:
    """Answers every delivery with a 307 to another URL."""

    def __init__(self, target):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(307)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks"

    def close(self):
        self.httpd.shutdown()


def deliveries(server, endpoint_id):
    return requests.get(f"{server.base_url}/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=server.admin,
                        timeout=10).json()["items"]


def test_redirects_are_not_followed_and_private_targets_can_be_refused(mp4):
    receiver = Receiver(SECRET)
    redirector = Redirector(receiver.url)
    retry = {"TAPEDECK_WEBHOOK_RETRY_INITIAL_S": "1", "TAPEDECK_WEBHOOK_RETRY_WINDOW_S": "5"}
    open_server = Server(name="webhooks-redirect", env=retry)
    closed_server = Server(name="webhooks-private", env={**retry, "TAPEDECK_WEBHOOK_ALLOW_PRIVATE": "false"})
    try:
        for server in (open_server, closed_server):
            server.start()
        bounced = requests.post(open_server.base_url + "/v1/webhook-endpoints",
                                json={"url": redirector.url, "secret": SECRET}, headers=open_server.admin).json()
        private = requests.post(closed_server.base_url + "/v1/webhook-endpoints",
                                json={"url": receiver.url, "secret": SECRET}, headers=closed_server.admin).json()
        for server in (open_server, closed_server):
            server.cli("import", mp4, "--room", "hooks")
        failed = wait_until(lambda: [d for d in deliveries(open_server, bounced["id"]) if d["status"] == "failed"],
                            "the redirected delivery given up")
        assert failed[0]["last_status_code"] == 307
        refused = wait_until(lambda: [d for d in deliveries(closed_server, private["id"]) if d["status"] == "failed"],
                             "the private delivery given up")
        assert "private address 127.0.0.1" in refused[0]["last_error"] and refused[0]["last_status_code"] is None
        assert receiver.delivered == [] and receiver.attempts == {}
    finally:
        for server in (open_server, closed_server):
            server.close()
        redirector.close()
        receiver.close()
