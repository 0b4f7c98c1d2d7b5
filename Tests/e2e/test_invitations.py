"""Invitations end to end: a LiveKit-driven session in a room with invitees becomes ready, and
every invitee gets exactly one email at a real SMTP server (aiosmtpd over STARTTLS with AUTH,
smtp_peer.py), also when Tapedeck is killed with -9 while the server holds a message; the link
opens the player for that address only; a link request answers the same for every address and
mails only invitees; hostile names cannot add headers or change the message's structure."""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

import pytest
import requests

from net import wait_until
from tapedeck_server import database_kinds
from test_livekit import Harness, outputs, room_name, run_session  # noqa: F401  (outputs is a fixture)

PEERS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "peers")
HOSTILE_FILE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "testdata", "hostile-strings.json")


def hostile_strings():
    values = json.load(open(HOSTILE_FILE))
    return values if isinstance(values, list) else [v for group in values.values() for v in group]


class MailPeer:
    """smtp_peer.py: a real SMTP server; messages land as files, parsed with Python's email package."""

    def __init__(self, holds=()):
        self.dir = tempfile.mkdtemp(prefix="tapedeck-smtp-")
        args = [sys.executable, os.path.join(PEERS, "smtp_peer.py"), "serve", self.dir, "--parent", str(os.getpid())]
        for address, seconds in holds:
            args += ["--hold", f"{address}={seconds}"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: os.path.exists(os.path.join(self.dir, "ports.json")), what="SMTP peer up", timeout=30)
        self.ports = json.load(open(os.path.join(self.dir, "ports.json")))

    def env(self):
        return {"TAPEDECK_SMTP_URL": f"smtp://mailer:secret@127.0.0.1:{self.ports['starttls']}",
                "TAPEDECK_SMTP_CA_FILE": os.path.join(self.dir, "ca.pem"),
                "TAPEDECK_MAIL_FROM": "Tapedeck School <school@example.com>"}

    def files(self):
        folder = os.path.join(self.dir, "mail")
        return sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".eml"))

    def messages(self):
        files = self.files()
        if not files:
            return []
        out = subprocess.run([sys.executable, os.path.join(PEERS, "smtp_peer.py"), "inspect", *files],
                             check=True, capture_output=True, text=True).stdout
        parsed = json.loads(out)
        for message, name in zip(parsed, files):
            message["envelope"] = json.load(open(name[:-4] + ".json"))
        return parsed

    def holding(self):
        return os.listdir(os.path.join(self.dir, "holding"))

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def header(message, name):
    values = [v for n, v in message["headers"] if n.lower() == name.lower()]
    assert len(values) == 1, (name, message["headers"])
    return values[0]


def link_in(message):
    match = re.search(r"(https?://[^\s]+/s/[0-9A-Za-z]{32})", message["text"])
    assert match, message["text"]
    return match.group(1)


@pytest.fixture
def mail():
    peer = MailPeer(holds=[("held@example.com", 4)])
    yield peer
    peer.close()


@pytest.fixture(params=database_kinds())
def lk_mail(request, outputs, mail):  # noqa: F811
    harness = Harness(outputs, database=request.param, env={**mail.env(), "TAPEDECK_JOB_LEASE_SECONDS": "5"},
                      name=request.node.name)
    yield harness
    harness.close()


def put_invitees(server, room, invitees):
    return requests.put(f"{server.base_url}/v1/rooms/{urllib.parse.quote(room, safe='')}/invitees",
                        json={"invitees": invitees}, headers=server.admin, timeout=10)


def emails(server, **query):
    response = requests.get(server.base_url + "/v1/emails", params={"limit": 200, **query}, headers=server.admin, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def viewer_token(server, sub, email=None):
    body = {"sub": sub, **({"email": email} if email else {})}
    response = requests.post(server.base_url + "/v1/viewer-tokens", json=body, headers=server.admin, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def test_every_invitee_gets_exactly_one_email_across_a_kill(lk_mail, mail):
    server, room = lk_mail.server, room_name("class")
    response = put_invitees(server, room, [
        {"email": "Ada@Example.com", "name": "Ada Lovelace"}, {"email": "ada@example.com", "name": "Dup"},
        {"email": "held@example.com", "name": "Held"}, {"email": "bo@example.com"}])
    assert response.status_code == 200, response.text
    assert [i["email"] for i in response.json()["invitees"]] == ["ada@example.com", "bo@example.com", "held@example.com"]
    run_session(lk_mail, room, people=("teacher",))
    [recording] = lk_mail.wait_recordings(room, "ready")
    # The server holds held@'s message before its reply: Tapedeck dies mid-delivery.
    wait_until(lambda: mail.holding(), what="a message held by the SMTP server", timeout=60)
    server.stop(kill=True)
    server.start()
    wait_until(lambda: {m["envelope"]["rcpt_tos"][0] for m in mail.messages()} ==
               {"ada@example.com", "bo@example.com", "held@example.com"}, what="three invitees mailed", timeout=90)
    wait_until(lambda: all(e["status"] == "sent" for e in emails(server)) and len(emails(server)) == 3,
               what="every email sent", timeout=30)
    time.sleep(6)  # longer than a job lease: any second copy would have been sent by now
    messages = mail.messages()
    assert sorted(m["envelope"]["rcpt_tos"][0] for m in messages) == ["ada@example.com", "bo@example.com", "held@example.com"]
    assert len({header(m, "Message-ID") for m in messages}) == 3
    held = next(e for e in emails(server) if e["recipient"] == "held@example.com")
    assert held["attempts"] == 2, held  # the killed attempt, then the one that was taken
    for message in messages:
        assert message["defects"] == [] and message["envelope"]["tls"] and message["envelope"]["auth"]["user"] == "mailer"
        assert header(message, "From") == "Tapedeck School <school@example.com>"
        assert header(message, "Subject").startswith("Recording ready: ")
        assert header(message, "List-Unsubscribe") == "<mailto:school@example.com?subject=unsubscribe>"
        assert message["content_type"] == "multipart/alternative" and link_in(message) in message["html"]
    # The outbox never shows a link; the message is the only place it is in.
    for email in emails(server):
        assert "/s/" not in email["text"] and "/s/" not in email["html"]

    # The link opens the player for its address: anyone holding it with no viewer cookie, or
    # a viewer signed in with that address; a viewer signed in as someone else is refused.
    ada = next(m for m in messages if m["envelope"]["rcpt_tos"][0] == "ada@example.com")
    link = link_in(ada).replace(lk_mail.server.env.get("TAPEDECK_PUBLIC_URL", server.base_url), server.base_url)
    path = urllib.parse.urlsplit(link).path
    assert requests.get(server.base_url + path, timeout=10).status_code == 200
    other = viewer_token(server, "mallory", "mallory@example.com")
    refused = requests.get(server.base_url + path, cookies={"tapedeck_viewer": other}, timeout=10)
    assert refused.status_code == 403
    same = viewer_token(server, "ada-viewer", "ada@example.com")
    assert requests.get(server.base_url + path, cookies={"tapedeck_viewer": same}, timeout=10).status_code == 200
    token = path.rsplit("/", 1)[1]
    grant = requests.post(f"{server.base_url}/v1/share-links/{token}/playback", timeout=10)
    assert grant.status_code == 200, grant.text
    mismatch = requests.post(f"{server.base_url}/v1/share-links/{token}/playback",
                             headers={"Authorization": f"Bearer {other}"}, timeout=10)
    assert mismatch.status_code == 403 and mismatch.json()["error"]["code"] == "email_mismatch"
    events = requests.get(f"{server.base_url}/v1/recordings/{recording['id']}/events?limit=200", headers=server.admin,
                          timeout=10).json()["items"]
    used = [e for e in events if e["type"] == "share.used"]
    assert used and all(e["data"]["email"] == "ada@example.com" for e in used if e["data"].get("share_id") ==
                        next(x["share_id"] for x in emails(server) if x["recipient"] == "ada@example.com"))
    assert sorted(e["data"]["email"] for e in events if e["type"] == "invite.sent") == \
        ["ada@example.com", "bo@example.com", "held@example.com"]

    # /my: the invitee's page lists the recording, and opens it.
    my = requests.get(f"{server.base_url}/my?token={viewer_token(server, 'ada-2', 'ada@example.com')}", timeout=10)
    assert my.status_code == 200 and room in my.text and "invited" in my.text
    stranger = requests.get(f"{server.base_url}/my?token={viewer_token(server, 'eve', 'eve@example.com')}", timeout=10)
    assert stranger.status_code == 200 and room not in stranger.text


def test_link_requests_answer_the_same_and_mail_only_invitees(lk_mail, mail):
    server, room = lk_mail.server, room_name("lab")
    assert put_invitees(server, room, [{"email": "bo@example.com", "name": "Bo"}]).status_code == 200
    run_session(lk_mail, room, people=("teacher",))
    [recording] = lk_mail.wait_recordings(room, "ready")
    wait_until(lambda: len(mail.messages()) == 1, what="the invitation", timeout=60)
    url = f"{server.base_url}/v1/recordings/{recording['id']}/access-requests"
    answers = []
    for address in ["stranger@example.com", "bo@example.com", "BO@example.com"]:
        started = time.monotonic()
        response = requests.post(url, json={"email": address}, timeout=10)
        answers.append((response.status_code, response.text, time.monotonic() - started))
    assert {(status, text) for status, text, _ in answers} == {(202, answers[0][1])}
    # Nobody can tell a missing recording from one they are not invited to either.
    missing = requests.post(f"{server.base_url}/v1/recordings/00000000-0000-4000-8000-000000000000/access-requests",
                            json={"email": "bo@example.com"}, timeout=10)
    assert (missing.status_code, missing.text) == (202, answers[0][1])
    # Bo asked twice within the slot (in two spellings): one fresh link, besides the invitation.
    wait_until(lambda: len(mail.messages()) == 2, what="a fresh link for bo", timeout=60)
    time.sleep(2)
    messages = mail.messages()
    assert sorted(m["envelope"]["rcpt_tos"][0] for m in messages) == ["bo@example.com"] * 2
    assert len({link_in(m) for m in messages}) == 2
    assert len([e for e in emails(server) if e["recipient"] == "bo@example.com" and e["kind"] == "access_link"]) == 1
    assert not [e for e in emails(server) if e["recipient"] == "stranger@example.com"]
    # Per address: the fourth request within the hour is refused (the address's count includes
    # the one for the missing recording), with Retry-After; bad addresses name the field.
    limited = requests.post(url, json={"email": "bo@example.com"}, timeout=10)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    bad = requests.post(url, json={"email": "bo@example.com\r\nBcc: x@example.com"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "email"
    # The recording's page offers the same form to someone without access.
    page = requests.get(f"{server.base_url}/recordings/{recording['id']}", timeout=10)
    assert page.status_code == 401 and "request-link" in page.text
    form = requests.post(f"{server.base_url}/recordings/{recording['id']}/request-link", data={"email": "nobody@example.com"},
                         timeout=10)
    assert form.status_code == 202 and "a link is on its way" in form.text


class Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(sorted(name for name, _ in attrs))))


def structure(markup):
    parser = Tags()
    parser.feed(markup)
    return parser.tags


def test_hostile_names_cannot_inject_headers_or_markup(lk_mail, mail):
    server, room = lk_mail.server, room_name("hostile")
    strings = hostile_strings()
    # As addresses every one is refused with the field named, and nothing is stored.
    for value in strings:
        response = put_invitees(server, room, [{"email": "ok@example.com"}, {"email": value}])
        if response.status_code != 200:
            assert response.status_code == 400 and response.json()["error"]["field"] in ("invitees[1].email", "body"), response.text
    assert put_invitees(server, room, []).status_code == 200
    invitees = [{"email": f"h{i}@example.com", "name": value} for i, value in enumerate(strings)
                if value and len(value) <= 200 and not any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f or c in "\u2028\u2029"
                                                           for c in value)]
    # A name with a line break or control character is refused, naming the entry's field.
    for value in strings:
        if {"email": f"h{strings.index(value)}@example.com", "name": value} in invitees:
            continue
        response = put_invitees(server, room, [{"email": "x@example.com", "name": value}])
        assert response.status_code == 400 and response.json()["error"]["field"] == "invitees[0].name", (value, response.text)
    invitees.append({"email": "plain@example.com", "name": "Plain Name"})
    response = put_invitees(server, room, invitees)
    assert response.status_code == 200, response.text
    run_session(lk_mail, room, people=("teacher",))
    lk_mail.wait_recordings(room, "ready")
    wait_until(lambda: len(mail.messages()) == len(invitees), what=f"{len(invitees)} invitations", timeout=120)
    messages = {m["envelope"]["rcpt_tos"][0]: m for m in mail.messages()}
    assert sorted(messages) == sorted(i["email"] for i in invitees)
    plain = messages["plain@example.com"]
    for invitee in invitees:
        message = messages[invitee["email"]]
        assert message["defects"] == [], (invitee, message["defects"])
        assert message["to_addresses"] == [[message["to_addresses"][0][0], invitee["email"]]]
        assert [n.lower() for n, _ in message["headers"]] == [n.lower() for n, _ in plain["headers"]], invitee
        assert structure(message["html"]) == structure(plain["html"]), invitee
        assert message["text"].count("/s/") == 1


def test_without_a_mail_server_invitations_are_recorded_as_skipped(outputs):  # noqa: F811
    harness = Harness(outputs, name="invitations-no-smtp")
    try:
        server, room = harness.server, room_name("nomail")
        ready = requests.get(server.base_url + "/readyz", headers=server.admin, timeout=10).json()
        assert ready["status"] == "ready" and ready["checks"]["mail"].startswith("warning: no mail server"), ready
        assert put_invitees(server, room, [{"email": "ada@example.com"}]).status_code == 200
        run_session(harness, room, people=("teacher",))
        harness.wait_recordings(room, "ready")
        wait_until(lambda: [e["status"] for e in emails(server)] == ["skipped"], what="a skipped invitation", timeout=30)
        assert emails(server, status="skipped")[0]["recipient"] == "ada@example.com"
        assert emails(server, status="sent") == []
        dashboard = requests.Session()
        form = dashboard.get(server.base_url + "/", timeout=10)
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        dashboard.post(server.base_url + "/login", data={"csrf": csrf, "api_key": server.admin_key}, timeout=10)
        page = dashboard.get(server.base_url + "/", timeout=10)
        assert "ada@example.com" in page.text and "skipped" in page.text
    finally:
        harness.close()
