"""A real SMTP server (aiosmtpd) for the SMTP client's tests, and a reader of what it received.

    smtp_peer.py serve DIR [--user U --password P] [--reply ADDRESS=CODE TEXT ...] [--parent PID] [--remove-on-exit]
        Creates a CA (trustme) and writes its certificate to DIR/ca.pem, then listens on 127.0.0.1
        with one server per mode and writes DIR/ports.json ({"mode": port}) once all are up:
          plain            no TLS, no AUTH (the client's ?starttls=off)
          plain_auth       no TLS, AUTH allowed in clear (a loopback relay with a login)
          starttls         STARTTLS required before MAIL, AUTH (PLAIN and LOGIN) after TLS only
          starttls_login   as starttls, but only AUTH LOGIN is offered
          no_starttls      offers neither STARTTLS nor AUTH (a client requiring STARTTLS must refuse)
          implicit         TLS from the first byte, AUTH
          untrusted        implicit TLS with a certificate of another CA, not in ca.pem
          untrusted_starttls  STARTTLS with that other CA's certificate
          wrong_name       implicit TLS, a certificate of the trusted CA for another host name only
        Each accepted message lands as DIR/mail/<n>.eml (the bytes after un-dot-stuffing) with
        DIR/mail/<n>.json beside it: envelope, the server mode, TLS, the AUTH mechanism and user.
        --reply makes RCPT TO for ADDRESS answer CODE TEXT (a scripted 4xx or 5xx); RCPT TO the
        --drop-recipient (drop@example.test) drops the connection without a word.
        --hold ADDRESS=SECONDS holds the reply to DATA of a message for ADDRESS that long, after
        writing DIR/holding/<n>; a client that goes away meanwhile has not had the message taken
        (as with any MTA, which takes responsibility only with its reply), so it is not stored.
        Runs until SIGTERM, or until process PID (--parent) is gone; --remove-on-exit then deletes DIR.

    smtp_peer.py inspect FILE.eml ...
        Parses each message with Python's email package and prints a JSON list, per message: every header (decoded),
        the defects found, the MIME structure, the text and HTML bodies.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import shutil
import signal
import socket
import ssl
import sys
import threading

MODES = [
    "plain", "plain_auth", "starttls", "starttls_login", "no_starttls", "implicit", "untrusted", "untrusted_starttls",
    "wrong_name",
]


def free_port():
    # The Controller connects to its own port to start, so it needs a real one, not 0.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(args):
    import trustme
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    os.makedirs(os.path.join(args.dir, "mail"), exist_ok=True)
    ca = trustme.CA()
    other_ca = trustme.CA()
    ca.cert_pem.write_to_path(os.path.join(args.dir, "ca.pem"))
    # The other CA is written too, for a test that trusts it explicitly.
    other_ca.cert_pem.write_to_path(os.path.join(args.dir, "other-ca.pem"))

    def server_context(authority, *names):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert(*(names or ("localhost", "127.0.0.1"))).configure_cert(context)
        return context

    trusted, untrusted = server_context(ca), server_context(other_ca)
    wrong_name = server_context(ca, "elsewhere.tapedeck.test")
    replies = {}
    for item in args.reply or []:
        address, _, answer = item.partition("=")
        replies[address.lower()] = answer
    holds = {}
    for item in args.hold or []:
        address, _, seconds = item.partition("=")
        holds[address.lower()] = float(seconds)
    os.makedirs(os.path.join(args.dir, "holding"), exist_ok=True)
    counter = {"n": 0}
    lock = threading.Lock()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == args.user \
            and auth_data.password.decode() == args.password
        if ok:
            session.tapedeck_auth = {"mechanism": mechanism, "user": auth_data.login.decode()}
        # handled=False: aiosmtpd then answers a failure with 535 itself.
        return AuthResult(success=ok, handled=False)

    class Handler:
        def __init__(self, mode):
            self.mode = mode

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.lower() == args.drop_recipient:
                # Gone mid-session without a TLS close_notify, as a crashing server would be.
                server.transport.abort()
                return "421 dropped"
            scripted = replies.get(address.lower())
            if scripted:
                return scripted
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            hold = max([holds.get(a.lower(), 0) for a in envelope.rcpt_tos] or [0])
            if hold:
                with lock:
                    counter["held"] = counter.get("held", 0) + 1
                    mark = os.path.join(args.dir, "holding", str(counter["held"]))
                with open(mark, "w") as f:
                    json.dump(envelope.rcpt_tos, f)
                # Cancelled here (nothing stored) when the client's connection is lost.
                await asyncio.sleep(hold)
            with lock:
                counter["n"] += 1
                n = counter["n"]
            base = os.path.join(args.dir, "mail", f"{n:04d}")
            with open(base + ".eml.part", "wb") as f:
                f.write(envelope.original_content)
            meta = {
                "mode": self.mode,
                "mail_from": envelope.mail_from,
                "mail_options": envelope.mail_options,
                "rcpt_tos": envelope.rcpt_tos,
                "tls": server.transport.get_extra_info("ssl_object") is not None,
                "auth": getattr(session, "tapedeck_auth", None),
                "helo": session.host_name,
                "extended_smtp": session.extended_smtp,
            }
            with open(base + ".json", "w") as f:
                json.dump(meta, f)
            os.rename(base + ".eml.part", base + ".eml")
            return f"250 2.0.0 queued as tapedeck-{n:04d}"

    def controller(mode):
        auth = dict(authenticator=authenticator, auth_require_tls=True)
        settings = {
            "plain": {},
            "plain_auth": dict(authenticator=authenticator, auth_require_tls=False),
            "starttls": dict(tls_context=trusted, require_starttls=True, **auth),
            "starttls_login": dict(tls_context=trusted, require_starttls=True, auth_exclude_mechanism=["PLAIN"], **auth),
            "no_starttls": {},
            # aiosmtpd only counts STARTTLS as TLS for auth_require_tls; these are TLS throughout.
            "implicit": dict(ssl_context=trusted, authenticator=authenticator, auth_require_tls=False),
            "untrusted": dict(ssl_context=untrusted, authenticator=authenticator, auth_require_tls=False),
            "untrusted_starttls": dict(tls_context=untrusted, require_starttls=True, **auth),
            "wrong_name": dict(ssl_context=wrong_name, authenticator=authenticator, auth_require_tls=False),
        }[mode]
        return Controller(Handler(mode), hostname="127.0.0.1", port=free_port(), server_hostname="peer.tapedeck.test", **settings)

    controllers = {}
    for mode in MODES:
        c = controller(mode)
        c.start()
        controllers[mode] = c
    ports = {mode: c.port for mode, c in controllers.items()}
    with open(os.path.join(args.dir, "ports.json.part"), "w") as f:
        json.dump(ports, f)
    os.rename(os.path.join(args.dir, "ports.json.part"), os.path.join(args.dir, "ports.json"))
    print(json.dumps(ports), flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        # Ends with the test run that started it, even when that run is killed.
        if args.parent and os.getppid() != args.parent:
            break
    for c in controllers.values():
        c.stop()
    if args.remove_on_exit:
        shutil.rmtree(args.dir, ignore_errors=True)


def inspect(args):
    json.dump([inspect_file(name) for name in args.files], sys.stdout)


def inspect_file(name):
    with open(name, "rb") as f:
        raw = f.read()
    message = email.message_from_bytes(raw, policy=email.policy.default)

    def part_info(part):
        return {
            "content_type": part.get_content_type(),
            "charset": part.get_content_charset(),
            "transfer_encoding": part.get("Content-Transfer-Encoding"),
            "defects": [type(d).__name__ for d in part.defects],
        }

    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))

    def content(part):
        # The body's lines as text, whatever line ending the parser kept.
        return part.get_content().replace("\r\n", "\n") if part is not None else None

    raw_lines = raw.split(b"\r\n")
    out = {
        "headers": [[name, str(value)] for name, value in message.items()],
        "defects": [type(d).__name__ for d in message.defects],
        "content_type": message.get_content_type(),
        "parts": [part_info(p) for p in message.walk()],
        "text": content(text),
        "html": content(html),
        "max_line_length": max(len(line) for line in raw_lines),
        "only_ascii": all(b < 128 for b in raw),
        "bare_line_feeds": raw.count(b"\n") != raw.count(b"\r\n"),
        "from_addresses": [[a.display_name, a.addr_spec] for a in message["From"].addresses] if message["From"] else [],
        "to_addresses": [[a.display_name, a.addr_spec] for a in message["To"].addresses] if message["To"] else [],
    }
    return out


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("dir")
    s.add_argument("--user", default="mailer")
    s.add_argument("--password", default="secret")
    s.add_argument("--reply", action="append")
    s.add_argument("--hold", action="append")
    s.add_argument("--parent", type=int, default=0, help="exit when this process is gone")
    s.add_argument("--remove-on-exit", action="store_true", help="delete DIR when stopping")
    s.add_argument("--drop-recipient", default="drop@example.test", help="RCPT TO this address drops the connection")
    i = sub.add_parser("inspect")
    i.add_argument("files", nargs="+")
    args = parser.parse_args()
    serve(args) if args.command == "serve" else inspect(args)


if __name__ == "__main__":
    main()
