"""A strict stand-in for 100ms' server API (`/v2`), its presigned asset URLs and its webhooks,
for the end-to-end tests of Tapedeck's 100ms provider.

It implements the calls PROTOCOLS.md ("## 100ms") describes and refuses anything else, recording
every deviation in `protocol_errors` (the tests require it to be empty):

  POST /v2/recordings/room/{room_id}/start     body {meeting_url, resolution, destination, audio_only, transcription}
  POST /v2/recordings/room/{room_id}/stop      -> {limit, data, last}
  POST /v2/recordings/room/{room_id}/pause|resume
  POST /v2/recordings/{id}/stop
  GET  /v2/recordings/{id}
  GET  /v2/recordings?room_id=&session_id=&status=&start=&limit=
  GET  /v2/recording-assets?room_id=&session_id=&status=&type=&start=&limit=
  GET  /v2/recording-assets/{id}
  GET  /v2/recording-assets/{id}/presigned-url?presign_duration=<s>   -> {id, path, url, expiry}
  GET  /files/<token>/<name>?X-Amz-Expires=..&X-Amz-Signature=..     (the presigned URLs; Range, HEAD)

Every `/v2` call needs `Authorization: Bearer <management token>`: an HS256 JWT with `access_key`,
`type: "management"`, `version: 2` (a number), `iat`, `nbf`, `exp` and `jti`, checked with PyJWT.

The test drives what 100ms would do on its own: sessions and peers (`open_session`, `peer_join`,
`peer_leave`, `close_session`), the recorder's progress (`advance`, `complete`), and failures it
asks for (`expire_next`, `fail_next`, `cut_next_download`, `expire_mid_download`). Those queue the
webhooks 100ms would send in `outbox`; `flush` delivers them (in order, or shuffled), `send`
delivers one at once. Deliveries carry the secret header and are retried as 100ms does: three more
attempts, 1 s, 3 s and 10 s later, unless the answer is exactly 200 (`retry_delays` shortens them).

Every API call is kept in `calls` with the monotonic time it arrived, so that a benchmark in the
same process can time what Tapedeck sends against the webhook that caused it (`post_once`).
"""
import hmac
import hashlib
import http.server
import itertools
import json
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid

import jwt
import requests

from net import wait_until

STATUSES = ("starting", "running", "stopping", "post_processing", "completed", "failed")
ORDER = {status: index for index, status in enumerate(STATUSES)}
ACTIVE = ("starting", "running", "stopping")  # a new start in the room is refused meanwhile
STOPPABLE = ("starting", "running")
ASSET_STATUSES = ("completed", "failed")
ASSET_TYPES = ("room-composite", "room-composite-legacy", "room-vod", "chat", "transcript", "summary", "track",
               "stream")
TRANSCRIPT_MODES = ("txt", "srt", "json")
BEAM_ERRORS = ("INTERNAL_ERROR", "MAX_RETRIES_REACHED", "UPLOAD_ERROR", "BEAM_STOPPED")
CONTENT_TYPES = {".mp4": "video/mp4", ".m3u8": "application/x-mpegurl", ".ts": "video/MP2T",
                 ".m4s": "video/iso.segment",
                 ".csv": "text/csv", ".txt": "text/plain", ".srt": "application/x-subrip", ".json": "application/json"}


def object_id():
    """An id shaped like 100ms' (24 hex digits)."""
    return secrets.token_hex(12)


class Failure(Exception):
    """An answer other than success, in 100ms' error shape."""

    def __init__(self, status, message, details=(), headers=None):
        super().__init__(message)
        self.status, self.message, self.details, self.headers = status, message, list(details), headers or {}

    def body(self):
        return {"code": self.status, "message": self.message, "details": self.details}


class Schema:
    """Strict JSON shapes: a dict of key -> kind, where kind is a type, a tuple of allowed values,
    a nested Schema, or a list holding one kind (a JSON array of those)."""

    def __init__(self, fields, required=()):
        self.fields, self.required = fields, required

    def check(self, value, where):
        if not isinstance(value, dict):
            raise ValueError(f"{where}: expected an object, got {type(value).__name__}")
        for key in value:
            if key not in self.fields:
                raise ValueError(f"{where}: unknown key {key!r}")
        for key in self.required:
            if key not in value:
                raise ValueError(f"{where}: missing {key!r}")
        for key, item in value.items():
            check_kind(self.fields[key], item, f"{where}.{key}")


def check_kind(kind, value, where):
    if isinstance(kind, Schema):
        kind.check(value, where)
    elif isinstance(kind, list):
        if not isinstance(value, list):
            raise ValueError(f"{where}: expected an array, got {type(value).__name__}")
        for index, item in enumerate(value):
            check_kind(kind[0], item, f"{where}[{index}]")
    elif isinstance(kind, tuple):
        if not isinstance(value, str) or value not in kind:
            raise ValueError(f"{where}: {value!r} is not one of {list(kind)}")
    elif kind is int:
        if type(value) is not int:
            raise ValueError(f"{where}: expected an integer, got {value!r}")
    elif kind is float:
        if type(value) not in (int, float):
            raise ValueError(f"{where}: expected a number, got {value!r}")
    elif not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ValueError(f"{where}: expected {kind.__name__}, got {value!r}")


START_BODY = Schema({
    "meeting_url": str,
    "resolution": Schema({"width": int, "height": int}, required=("width", "height")),
    "destination": str,
    "audio_only": bool,
    "transcription": Schema({
        "enabled": bool,
        "output_modes": [TRANSCRIPT_MODES],
        "custom_vocabulary": [str],
        "summary": Schema({"enabled": bool, "context": str, "temperature": float,
                           "sections": [Schema({"title": str, "format": ("bullets", "paragraph")})]}),
    }),
})


class Delivery:
    """One webhook and every attempt to deliver it: `attempts` holds (time, status or None, answer
    body or the error). `done` is set when it was answered 200 or the retries ran out."""

    def __init__(self, envelope, body):
        self.envelope, self.body = envelope, body
        self.attempts = []
        self.done = threading.Event()
        self.delivered = False

    @property
    def id(self):
        return self.envelope["id"]

    @property
    def type(self):
        return self.envelope["type"]

    def wait(self, timeout=30):
        assert self.done.wait(timeout), f"webhook {self.type} {self.id} still being delivered"
        return self

    def __repr__(self):
        return f"Delivery({self.type}, {self.id}, attempts={[a[1] for a in self.attempts]})"


class HMSStandin:
    def __init__(self, access_key, secret, webhook_url=None, webhook_secret=None, artifacts_dir=None, *,
                 webhook_header="Tapedeck-Webhook-Secret", retry_delays=(1, 3, 10), fraction_digits=3,
                 sizes_as_strings=False, leeway=5, port=0, bucket="hms-recordings"):
        self.access_key, self.secret = access_key, secret
        self.webhook_url, self.webhook_secret, self.webhook_header = webhook_url, webhook_secret, webhook_header
        self.retry_delays = tuple(retry_delays)
        self.fraction_digits = fraction_digits  # an int, or a sequence cycled through stamp by stamp
        self.sizes_as_strings = sizes_as_strings  # `size` and `duration` as JSON strings, as some docs say
        self.leeway = leeway
        self.bucket = bucket
        self.own_artifacts = artifacts_dir is None
        self.artifacts_dir = artifacts_dir or tempfile.mkdtemp(prefix="hms-standin-")
        self.app_id, self.account_id, self.template_id = object_id(), object_id(), object_id()
        self.port = port
        self.lock = threading.RLock()
        self.rooms = {}  # room id -> {"name", "hosted", "session": session id or None, "peers": {peer id: peer}}
        self.sessions = {}  # session id -> {"room_id", "started_ns", "stopped_ns"}
        self.recordings = {}  # id -> internal record (see render_recording)
        self.assets = {}  # id -> internal record (see render_asset)
        self.presigned = {}  # token -> {"asset_id", "expires", "signature", "expired"}
        self.protocol_errors = []
        self.calls = []  # (method, path, query dict, body or None, jti, monotonic time of arrival)
        self.jtis = []  # every distinct jti seen, in order (a re-mint shows as a new one)
        self.expired_jtis = set()
        self.forced = []  # [status, message, details, headers, remaining, path pattern]
        self.download_faults = {}  # asset id -> (mode, after_bytes)
        self.downloads = {}  # asset id -> GETs of its files that were served (wholly, in part or cut)
        self.refused_downloads = {}  # asset id -> GETs refused because the URL had expired
        self.downloads_by_file = {}  # (asset id, name) -> GETs
        self.bytes_served = {}  # asset id -> bytes written
        self.outbox = []  # envelopes queued by the lifecycle methods
        self.deliveries = []
        self._digit_cycle = None
        self.httpd = None
        self.base = None

    # MARK: life

    def start(self):
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # http.server writes an answer's head and body in two sends: with Nagle's algorithm the
            # body waited for the client's delayed ACK, a delay of up to some 30 ms that was the
            # stand-in's own (production servers, Go's net/http or nginx, send without it).
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_GET(self):
                standin.serve(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def close(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None
        if self.own_artifacts:
            shutil.rmtree(self.artifacts_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    @property
    def base_url(self):
        return self.base + "/v2"

    def env(self):
        """The settings that point `tapedeck serve` at this stand-in."""
        env = {"HMS_ACCESS_KEY": self.access_key, "HMS_SECRET": self.secret, "TAPEDECK_HMS_API_URL": self.base_url}
        if self.webhook_secret is not None:
            env["TAPEDECK_HMS_WEBHOOK_SECRET"] = self.webhook_secret
        return env

    # MARK: time

    def stamp(self, ns):
        """RFC 3339 UTC with the configured number of fractional digits (truncated, never rounded)."""
        if ns is None:
            return None
        digits = self.fraction_digits
        if not isinstance(digits, int):
            with self.lock:
                if self._digit_cycle is None or self._digit_cycle[0] is not digits:
                    self._digit_cycle = (digits, itertools.cycle(digits))
                digits = next(self._digit_cycle[1])
        seconds, fraction = divmod(ns, 1_000_000_000)
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        if digits:
            text += "." + f"{fraction:09d}"[:digits]
        return text + "Z"

    def number(self, value):
        return str(value) if self.sizes_as_strings else value

    # MARK: test-side failures

    def protocol_error(self, what, status=400, message="bad request"):
        with self.lock:
            self.protocol_errors.append(what)
        return Failure(status, message, [what])

    def expire_next(self, n=1, path=None):
        """The next `n` API calls (whose path matches the regex `path`, if given) answer 401 as for an
        expired token; the tokens they carried stay refused, so only a re-minted one gets through."""
        with self.lock:
            self.forced.append([401, "Token validation error", ["token is expired"], {}, n, path, True])

    def fail_next(self, n=1, status=503, message=None, retry_after=None, path=None):
        """The next `n` API calls (matching the regex `path`, if given) answer `status` (429, 500, 503, ...)."""
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        message = message or {429: "rate limit exceeded", 503: "service unavailable"}.get(status, "internal error")
        with self.lock:
            self.forced.append([status, message, [], headers, n, path, False])

    def take_forced(self, path):
        with self.lock:
            for entry in self.forced:
                if entry[4] > 0 and (entry[5] is None or re.search(entry[5], path)):
                    entry[4] -= 1
                    if entry[4] == 0:
                        self.forced.remove(entry)
                    return entry
        return None

    def cut_next_download(self, asset_id, after_bytes=None):
        """The next GET of one of the asset's files sends its headers, `after_bytes` of the body (half by
        default) and then closes the connection."""
        with self.lock:
            self.download_faults[asset_id] = ("cut", after_bytes)

    def expire_mid_download(self, asset_id, after_bytes=None):
        """As `cut_next_download`, and the URL used has expired by then: asking it again (a Range
        resume) answers 403, so the client needs a fresh presigned URL."""
        with self.lock:
            self.download_faults[asset_id] = ("expire", after_bytes)

    def expire_presigned(self, asset_id=None):
        """Every presigned URL handed out so far (for one asset, or all) expires now."""
        with self.lock:
            for grant in self.presigned.values():
                if asset_id is None or grant["asset_id"] == asset_id:
                    grant["expired"] = True

    def purge_asset(self, asset_id):
        """100ms deletes the asset (its 15 days are over): the asset and its URLs answer 404/403."""
        with self.lock:
            self.assets[asset_id]["purged"] = True
            self.expire_presigned(asset_id)

    # MARK: HTTP

    def serve(self, handler):
        arrived = time.monotonic()  # as soon as the request line and headers are read, before any check
        try:
            parsed = urllib.parse.urlsplit(handler.path)
            if parsed.path.startswith("/files/"):
                return self.serve_file(handler, parsed)
            length = handler.headers.get("Content-Length")
            if handler.headers.get("Transfer-Encoding"):
                handler.close_connection = True
                raise self.protocol_error(f"{handler.command} {parsed.path}: chunked body")
            body = handler.rfile.read(int(length)) if length else b""
            status, payload, headers = 200, None, {}
            try:
                payload = self.api(handler.command, parsed, handler.headers, body, arrived)
            except Failure as failure:
                status, payload, headers = failure.status, failure.body(), failure.headers
            self.reply(handler, status, payload, headers)
        except Failure as failure:
            self.reply(handler, failure.status, failure.body(), failure.headers)
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True

    @staticmethod
    def reply(handler, status, payload, headers=None, content_type="application/json"):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(data)

    ROUTES = [
        (re.compile(r"^/v2/recordings/room/([^/]+)/start$"), {"POST": "start"}),
        (re.compile(r"^/v2/recordings/room/([^/]+)/stop$"), {"POST": "stop_room"}),
        (re.compile(r"^/v2/recordings/room/([^/]+)/pause$"), {"POST": "pause"}),
        (re.compile(r"^/v2/recordings/room/([^/]+)/resume$"), {"POST": "resume"}),
        (re.compile(r"^/v2/recordings/([^/]+)/stop$"), {"POST": "stop_one"}),
        (re.compile(r"^/v2/recordings$"), {"GET": "list_recordings"}),
        (re.compile(r"^/v2/recordings/([^/]+)$"), {"GET": "get_recording"}),
        (re.compile(r"^/v2/recording-assets$"), {"GET": "list_assets"}),
        (re.compile(r"^/v2/recording-assets/([^/]+)/presigned-url$"), {"GET": "presign"}),
        (re.compile(r"^/v2/recording-assets/([^/]+)$"), {"GET": "get_asset"}),
    ]
    QUERY = {
        "list_recordings": ("room_id", "session_id", "status", "start", "limit"),
        "list_assets": ("room_id", "session_id", "status", "type", "start", "limit"),
        "presign": ("presign_duration",),
    }

    def api(self, method, parsed, headers, body, arrived):
        where = f"{method} {parsed.path}"
        for pattern, methods in self.ROUTES:
            match = pattern.match(parsed.path)
            if match:
                break
        else:
            raise self.protocol_error(f"{where}: no such endpoint", 404, "not found")
        if method not in methods:
            raise self.protocol_error(f"{where}: method not allowed", 405, "method not allowed")
        name = methods[method]
        jti = self.authenticate(where, headers)
        query = self.parse_query(where, name, parsed.query)
        payload = self.parse_body(where, method, headers, body)
        with self.lock:
            self.calls.append((method, parsed.path, query, payload, jti, arrived))
        forced = self.take_forced(parsed.path)
        if forced:
            status, message, details, extra, _, _, expires_token = forced
            if expires_token:
                with self.lock:
                    self.expired_jtis.add(jti)
            raise Failure(status, message, details, extra)
        args = [urllib.parse.unquote(group) for group in match.groups()]
        return getattr(self, "api_" + name)(*args, query=query, body=payload)

    def authenticate(self, where, headers):
        """Checks the management token as 100ms does; answers 401 on anything wrong."""
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise self.token_refused(where, "missing bearer token")
        token = auth[len("Bearer "):].strip()
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "HS256":
                raise jwt.InvalidTokenError(f"alg {header.get('alg')!r}, expected HS256")
            claims = jwt.decode(token, self.secret, algorithms=["HS256"], leeway=self.leeway,
                                options={"require": ["exp", "iat", "nbf", "jti"]})
        except jwt.InvalidTokenError as error:
            raise self.token_refused(where, f"{type(error).__name__}: {error}")
        if claims.get("type") != "management":
            raise self.token_refused(where, f"type is {claims.get('type')!r}, expected 'management'")
        version = claims.get("version")
        if type(version) not in (int, float) or version != 2:
            raise self.token_refused(where, f"version is {version!r}, expected the number 2")
        if claims.get("access_key") != self.access_key:
            raise self.token_refused(where, f"access_key {claims.get('access_key')!r} is not the app's")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise self.token_refused(where, f"jti {jti!r} is not a non-empty string")
        with self.lock:
            if jti in self.expired_jtis:
                raise self.token_refused(where, "token is expired (sent again after a 401 called it expired)")
            if jti not in self.jtis:
                self.jtis.append(jti)
        return jti

    def token_refused(self, where, why):
        with self.lock:
            self.protocol_errors.append(f"{where}: token refused: {why}")
        return Failure(401, "Token validation error", [why])

    def parse_query(self, where, name, text):
        allowed = self.QUERY.get(name, ())
        query = {}
        for key, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
            if key not in allowed:
                raise self.protocol_error(f"{where}: unknown query parameter {key!r}")
            if key in query:
                raise self.protocol_error(f"{where}: query parameter {key!r} repeated")
            query[key] = value
        if "limit" in query:
            if not re.fullmatch(r"\d+", query["limit"]) or not 10 <= int(query["limit"]) <= 100:
                raise self.protocol_error(f"{where}: limit {query['limit']!r} is not an integer from 10 to 100")
        statuses = ASSET_STATUSES if name == "list_assets" else STATUSES
        if "status" in query and query["status"] not in statuses:
            raise self.protocol_error(f"{where}: status {query['status']!r} is not one of {list(statuses)}")
        if "type" in query and query["type"] not in ASSET_TYPES:
            raise self.protocol_error(f"{where}: type {query['type']!r} is not an asset type")
        for key in ("room_id", "session_id", "start"):
            if key in query and not query[key]:
                raise self.protocol_error(f"{where}: empty {key}")
        if name == "presign":
            duration = query.get("presign_duration")
            if duration is None:
                raise self.protocol_error(f"{where}: presign_duration missing (its default is undocumented)")
            if not re.fullmatch(r"\d+", duration) or not 1 <= int(duration) <= 7 * 86400:
                raise self.protocol_error(f"{where}: presign_duration {duration!r} is not a number of seconds")
        return query

    def parse_body(self, where, method, headers, body):
        if method != "POST":
            if body:
                raise self.protocol_error(f"{where}: a GET with a body")
            return None
        content_type = headers.get("Content-Type", "").split(";")[0].strip()
        if content_type != "application/json":
            raise self.protocol_error(
                f"{where}: Content-Type {headers.get('Content-Type')!r}, expected application/json")
        if not body:
            return {}
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise self.protocol_error(f"{where}: body is not JSON: {error}: {body[:200]!r}")
        if not isinstance(payload, dict):
            raise self.protocol_error(f"{where}: body is not an object: {body[:200]!r}")
        return payload

    # MARK: REST

    def api_start(self, room_id, query, body):
        try:
            START_BODY.check(body, "body")
        except ValueError as error:
            raise self.protocol_error(f"POST start {room_id}: {error}")
        with self.lock:
            room = self.rooms.get(room_id)
            if room is None:
                raise Failure(404, "room not found", [f"room {room_id} does not exist"])
            if not room["hosted"] and "meeting_url" not in body:
                raise self.protocol_error(
                    f"POST start {room_id}: meeting_url is required for a room made through the API")
            if "meeting_url" in body and not re.match(r"^https?://[^/\s]+/", body["meeting_url"]):
                raise self.protocol_error(f"POST start {room_id}: meeting_url {body['meeting_url']!r} is not a URL")
            if any(r["room_id"] == room_id and r["status"] in ACTIVE for r in self.recordings.values()):
                raise Failure(409, "recording already running", [f"room {room_id} is being recorded"])
            session_id = room["session"] or self.open_session(room_id, room["name"])
            transcription = body.get("transcription") or {}
            asset_types = ["room-composite", "chat"]
            if transcription.get("enabled"):
                asset_types.append("transcript")
                if (transcription.get("summary") or {}).get("enabled"):
                    asset_types.append("summary")
            now = time.time_ns()
            resolution = body.get("resolution") or {"width": 1280, "height": 720}
            recording = {
                "id": object_id(), "beam_id": object_id(), "room_id": room_id, "session_id": session_id,
                "status": "starting", "meeting_url": body.get("meeting_url"), "destination": body.get("destination"),
                "asset_types": asset_types, "assets": [], "created": now, "started": None, "stopped": None,
                "updated": now, "started_by": self.access_key, "stopped_by": None, "paused": False,
                "request": body, "resolution": resolution, "stop_reason": None,
            }
            self.recordings[recording["id"]] = recording
            return self.render_recording(recording)

    def api_stop_room(self, room_id, query, body):
        self.empty_body(f"POST stop {room_id}", body)
        with self.lock:
            active = [r for r in self.newest_first(self.recordings)
                      if r["room_id"] == room_id and r["status"] in STOPPABLE]
            if not active:
                raise Failure(404, "no recording found", [f"nothing is being recorded in room {room_id}"])
            for recording in active:
                self.stop(recording, "client request")
            return {"limit": 10, "data": [self.render_recording(r) for r in active], "last": ""}

    def api_stop_one(self, recording_id, query, body):
        self.empty_body(f"POST stop {recording_id}", body)
        with self.lock:
            recording = self.recordings.get(recording_id)
            if recording is None:
                raise Failure(404, "recording not found", [recording_id])
            if recording["status"] not in STOPPABLE:
                raise Failure(409, "recording is not running", [f"status {recording['status']}"])
            self.stop(recording, "client request")
            return self.render_recording(recording)

    def api_pause(self, room_id, query, body, pause=True):
        self.empty_body(f"POST pause/resume {room_id}", body)
        with self.lock:
            active = [r for r in self.newest_first(self.recordings)
                      if r["room_id"] == room_id and r["status"] == "running" and r["paused"] != pause]
            if not active:
                raise Failure(404, "no recording found", [f"nothing to {'pause' if pause else 'resume'} in {room_id}"])
            for recording in active:
                recording["paused"] = pause
                recording["updated"] = time.time_ns()
            return {"limit": 10, "data": [self.render_recording(r) for r in active], "last": ""}

    def api_resume(self, room_id, query, body):
        return self.api_pause(room_id, query, body, pause=False)

    def empty_body(self, where, body):
        if body:
            raise self.protocol_error(f"{where}: unexpected body keys {sorted(body)}")

    def api_get_recording(self, recording_id, query, body):
        with self.lock:
            recording = self.recordings.get(recording_id)
            if recording is None:
                raise Failure(404, "recording not found", [recording_id])
            return self.render_recording(recording)

    def api_list_recordings(self, _=None, query=None, body=None):
        with self.lock:
            items = [r for r in self.newest_first(self.recordings)
                     if all(r[key] == query[key] for key in ("room_id", "session_id", "status") if key in query)]
            return self.page("GET /v2/recordings", items, query, lambda r: self.render_recording(r, in_list=True))

    def api_list_assets(self, _=None, query=None, body=None):
        with self.lock:
            keys = [key for key in ("room_id", "session_id", "status", "type") if key in query]
            items = [a for a in self.newest_first(self.assets)
                     if not a["purged"] and all(a[key] == query[key] for key in keys)]
            return self.page("GET /v2/recording-assets", items, query, self.render_asset)

    def api_get_asset(self, asset_id, query, body):
        return self.render_asset(self.live_asset(asset_id))

    def api_presign(self, asset_id, query, body):
        asset = self.live_asset(asset_id)
        url, expires = self.presign(asset, int(query["presign_duration"]))
        return {"id": asset["id"], "path": asset["path"], "url": url, "expiry": self.stamp(expires)}

    def live_asset(self, asset_id):
        with self.lock:
            asset = self.assets.get(asset_id)
            if asset is None or asset["purged"]:
                raise Failure(404, "asset not found", [asset_id])
            return asset

    @staticmethod
    def newest_first(table):
        return list(reversed(table.values()))

    def page(self, where, items, query, render):
        """`limit` items after the one whose id is `start`; `last` names the final item given (empty
        when none was): a client stops on a short page or an empty `last`."""
        limit = int(query.get("limit", 10))
        if "start" in query:
            ids = [item["id"] for item in items]
            if query["start"] not in ids:
                raise self.protocol_error(f"{where}: start {query['start']!r} is no `last` this list gave")
            items = items[ids.index(query["start"]) + 1:]
        data = items[:limit]
        return {"limit": limit, "data": [render(item) for item in data], "last": data[-1]["id"] if data else ""}

    def render_recording(self, recording, in_list=False):
        out = {
            "id": recording["id"], "room_id": recording["room_id"], "session_id": recording["session_id"],
            "status": recording["status"], "meeting_url": recording["meeting_url"],
            "destination": recording["destination"], "asset_types": list(recording["asset_types"]),
            "created_at": self.stamp(recording["created"]), "started_at": self.stamp(recording["started"]),
            "stopped_at": self.stamp(recording["stopped"]), "updated_at": self.stamp(recording["updated"]),
            "started_by": recording["started_by"], "stopped_by": recording["stopped_by"],
        }
        if not in_list:
            assets = [self.assets[a] for a in recording["assets"] if not self.assets[a]["purged"]]
            out["recording_assets"] = [self.render_asset(a) for a in assets] or None
        return out

    def render_asset(self, asset):
        return {
            "id": asset["id"], "job_id": asset["job_id"], "room_id": asset["room_id"],
            "session_id": asset["session_id"], "type": asset["type"], "status": asset["status"],
            "path": asset["path"], "size": self.number(asset["size"]), "duration": self.number(asset["duration"]),
            "created_at": self.stamp(asset["created"]), "thumbnails": None, "metadata": dict(asset["metadata"]),
        }

    # MARK: rooms, sessions, peers (each queues its webhook)

    def add_room(self, room_id=None, name=None, hosted=False):
        """A room; `hosted` rooms have a 100ms-hosted subdomain, so a start needs no meeting_url."""
        room_id = room_id or object_id()
        with self.lock:
            self.rooms.setdefault(room_id, {"name": name or f"room-{room_id[:6]}", "hosted": hosted,
                                            "session": None, "peers": {}})
        return room_id

    def open_session(self, room_id, room_name=None):
        """A session opens in the room (made if unknown); queues session.open.success; returns its id."""
        with self.lock:
            self.add_room(room_id, room_name)
            room = self.rooms[room_id]
            if room_name:
                room["name"] = room_name
            assert room["session"] is None, f"room {room_id} already has an open session"
            session_id = object_id()
            now = time.time_ns()
            self.sessions[session_id] = {"room_id": room_id, "started": now, "stopped": None}
            room["session"] = session_id
            self.queue("session.open.success", self.session_data(session_id))
            return session_id

    def close_session(self, room_id):
        """The session ends; peers still there leave first. Queues session.close.success."""
        with self.lock:
            room = self.rooms[room_id]
            for peer_id in list(room["peers"]):
                self.peer_leave(room_id, peer_id, reason="room ended")
            session_id = room["session"]
            session = self.sessions[session_id]
            session["stopped"] = time.time_ns()
            room["session"] = None
            data = self.session_data(session_id)
            data.update(session_duration=round((session["stopped"] - session["started"]) / 1e9),
                        session_stopped_at=self.stamp(session["stopped"]))
            self.queue("session.close.success", data)
            return session_id

    def session_data(self, session_id):
        session = self.sessions[session_id]
        return {"room_id": session["room_id"], "room_name": self.rooms[session["room_id"]]["name"],
                "session_id": session_id, "template_id": self.template_id,
                "session_started_at": self.stamp(session["started"])}

    def peer_join(self, room_id, user_id, user_name, role, type="regular", user_data=""):
        """A peer joins (opening a session if none is open). Queues peer.join.success; returns the peer id."""
        with self.lock:
            room = self.rooms.get(room_id)
            if room is None or room["session"] is None:
                self.open_session(room_id)
                room = self.rooms[room_id]
            peer = {"peer_id": str(uuid.uuid4()), "user_id": user_id, "user_name": user_name, "user_data": user_data,
                    "role": role, "type": type, "joined": time.time_ns()}
            room["peers"][peer["peer_id"]] = peer
            self.queue("peer.join.success", self.peer_data(room_id, peer))
            return peer["peer_id"]

    def peer_leave(self, room_id, peer, reason="peer_left", message=""):
        """The peer (its peer id or user id) leaves. Queues peer.leave.success."""
        with self.lock:
            peers = self.rooms[room_id]["peers"]
            peer_id = peer if peer in peers else next(p for p, v in peers.items() if v["user_id"] == peer)
            info = peers.pop(peer_id)
            left = time.time_ns()
            data = self.peer_data(room_id, info)
            data.update(left_at=self.stamp(left), duration=round((left - info["joined"]) / 1e9), reason=reason,
                        message=message)
            self.queue("peer.leave.success", data)
            return peer_id

    def peer_data(self, room_id, peer):
        room = self.rooms[room_id]
        return {"room_id": room_id, "room_name": room["name"], "session_id": room["session"],
                "peer_id": peer["peer_id"], "user_id": peer["user_id"], "user_name": peer["user_name"],
                "user_data": peer["user_data"], "role": peer["role"], "joined_at": self.stamp(peer["joined"]),
                "type": peer["type"]}

    # MARK: the recorder

    def recording(self, recording_id):
        with self.lock:
            return self.recordings[recording_id]

    def recordings_in(self, room_id):
        with self.lock:
            return [r for r in self.recordings.values() if r["room_id"] == room_id]

    def stop(self, recording, reason):
        now = time.time_ns()
        recording.update(status="stopping", stopped=now, updated=now, stop_reason=reason,
                         stopped_by=self.access_key if reason == "client request" else None)
        self.queue("beam.stopped.success", self.beam_data(recording, stopped=True))

    def advance(self, recording_id, to, reason="max duration reached", error_type="INTERNAL_ERROR",
                error_message="recorder failed"):
        """The recorder moves on: `running` queues beam.started.success, `stopping` beam.stopped.success
        (with `reason`), `failed` beam.failure; `post_processing` and `completed` only change the status
        (`complete` also registers the assets and queues beam.recording.success)."""
        assert to in STATUSES, to
        with self.lock:
            recording = self.recordings[recording_id]
            current = recording["status"]
            moves_on = current not in ("completed", "failed") if to == "failed" else ORDER[to] > ORDER[current]
            assert moves_on, f"recording {recording_id}: {current} -> {to} goes backwards"
            if to != "failed":
                for step in STATUSES[ORDER[current] + 1:ORDER[to]]:  # pass through what lies between
                    self.advance(recording_id, step, reason=reason)
            now = time.time_ns()
            if to == "running":
                recording.update(status="running", started=now, updated=now)
                self.queue("beam.started.success", self.beam_data(recording))
            elif to == "stopping":
                self.stop(recording, reason)
            elif to == "failed":
                recording.update(status="failed", updated=now, stopped=recording["stopped"] or now)
                self.queue("beam.failure", {"beam_id": recording["beam_id"], "job_id": recording["id"],
                                            "room_id": recording["room_id"], "session_id": recording["session_id"],
                                            "error_type": error_type, "error_message": error_message})
            else:
                recording.update(status=to, updated=now)
            return recording

    def beam_data(self, recording, stopped=False):
        started = recording["started"] or recording["created"]
        data = {"beam_id": recording["beam_id"], "job_id": recording["id"], "room_id": recording["room_id"],
                "session_id": recording["session_id"], "peer_id": str(uuid.uuid4()), "recording_enabled": True,
                "meeting_url": recording["meeting_url"], "max_width": recording["resolution"]["width"],
                "max_height": recording["resolution"]["height"],
                "session_started_at": self.stamp(self.sessions[recording["session_id"]]["started"])}
        if stopped:
            data.update(duration=round((recording["stopped"] - started) / 1e9), reason=recording["stop_reason"])
        return data

    def complete(self, recording_id, mp4_path, hls_dir=None, transcript=None, chat=True, summary=None,
                 url_lifetime=86400):
        """The recording is done: registers its assets from real files (`room-composite` from `mp4_path`,
        `room-vod` from the HLS folder `hls_dir`, `chat` (a CSV made here, or the given file),
        `transcript` (a path, or {mode: path} for txt/srt/json), `summary`), sets `completed` and queues
        beam.recording.success (and transcription.success when there is a transcript). Returns
        {type or "transcript-<mode>": asset id}."""
        with self.lock:
            recording = self.recordings[recording_id]
            if recording["status"] not in ("post_processing",):
                self.advance(recording_id, "post_processing")
            made = {}
            width, height, seconds = probe(mp4_path)
            made["room-composite"] = self.add_asset(recording, "room-composite", [mp4_path], seconds,
                                                    {"resolution": {"width": width, "height": height}})
            if hls_dir:
                files = sorted(os.path.join(hls_dir, n) for n in os.listdir(hls_dir))
                playlists = [f for f in files if f.endswith(".m3u8")]
                assert playlists, f"no playlist in {hls_dir}"
                made["room-vod"] = self.add_asset(recording, "room-vod", files, seconds,
                                                  {"resolution": {"width": width, "height": height}},
                                                  main=os.path.basename(playlists[0]))
            if chat:
                if chat is True:
                    chat = os.path.join(self.artifacts_dir, f"{recording_id}-chat.csv")
                    with open(chat, "w") as f:
                        f.write("SenderName,SenderUserID,Roles,Message,SentAt\n"
                                f"Ada,ada,host,hello,{self.stamp(time.time_ns())}\n")
                made["chat"] = self.add_asset(recording, "chat", [chat], 0, {})
            if transcript:
                modes = transcript if isinstance(transcript, dict) else \
                    {os.path.splitext(transcript)[1].lstrip("."): transcript}
                for mode, path in modes.items():
                    assert mode in TRANSCRIPT_MODES, mode
                    made[f"transcript-{mode}"] = self.add_asset(recording, "transcript", [path], seconds,
                                                                {"output_mode": mode})
            if summary:
                made["summary"] = self.add_asset(recording, "summary", [summary], 0, {"output_mode": "json"})
            now = time.time_ns()
            recording.update(status="completed", updated=now, stopped=recording["stopped"] or now)
            composite = self.assets[made["room-composite"]]
            data = {"beam_id": recording["beam_id"], "recording_id": recording["id"], "room_id": recording["room_id"],
                    "session_id": recording["session_id"],
                    "started_at": self.stamp(recording["started"] or recording["created"]),
                    "stopped_at": self.stamp(recording["stopped"]), "duration": self.number(seconds),
                    "size": self.number(composite["size"]), "recording_path": composite["path"],
                    "recording_presigned_url": self.presign(composite, url_lifetime)[0],
                    "max_width": recording["resolution"]["width"], "max_height": recording["resolution"]["height"]}
            if "chat" in made:
                chat_asset = self.assets[made["chat"]]
                data.update(chat_recording_path=chat_asset["path"],
                            chat_recording_presigned_url=self.presign(chat_asset, url_lifetime)[0])
            self.queue("beam.recording.success", data)
            if transcript or summary:
                data = {"room_id": recording["room_id"], "session_id": recording["session_id"],
                        "recording_id": recording["id"]}
                for key, asset_id in made.items():
                    if key.startswith("transcript-") or key == "summary":
                        field = f"transcript_{key[len('transcript-'):]}" if key != "summary" else "summary_json"
                        asset = self.assets[asset_id]
                        data.update({f"{field}_asset_id": asset_id, f"{field}_path": asset["path"],
                                     f"{field}_presigned_url": self.presign(asset, url_lifetime)[0]})
                self.queue("transcription.success", data)
            return made

    def add_asset(self, recording, kind, paths, seconds, metadata, main=None):
        asset_id = object_id()
        folder = os.path.join(self.artifacts_dir, asset_id)
        os.makedirs(folder)
        files = {}
        for path in paths:
            name = os.path.basename(path)
            shutil.copyfile(path, os.path.join(folder, name))
            files[name] = os.path.join(folder, name)
        main = main or os.path.basename(paths[0])
        day = time.strftime("%Y%m%d", time.gmtime())
        asset = {"id": asset_id, "job_id": recording["id"], "room_id": recording["room_id"],
                 "session_id": recording["session_id"], "type": kind, "status": "completed",
                 "path": f"s3://{self.bucket}/beam/{recording['room_id']}/{day}/{recording['id']}/{main}",
                 "size": sum(os.path.getsize(p) for p in files.values()), "duration": seconds,
                 "created": time.time_ns(), "metadata": metadata, "files": files, "main": main, "purged": False}
        self.assets[asset_id] = asset
        recording["assets"].append(asset_id)
        if kind not in recording["asset_types"]:
            recording["asset_types"].append(kind)
        return asset_id

    # MARK: presigned URLs

    def presign(self, asset, lifetime):
        """A URL for the asset's main file (its folder, for HLS) valid `lifetime` seconds: (url, expiry ns)."""
        token = secrets.token_urlsafe(18)
        expires = time.time_ns() + lifetime * 1_000_000_000
        signature = hmac.new(self.secret.encode(), f"{token}|{expires}".encode(), hashlib.sha256).hexdigest()
        with self.lock:
            self.presigned[token] = {"asset_id": asset["id"], "expires": expires, "signature": signature,
                                     "expired": False}
        query = urllib.parse.urlencode({"X-Amz-Expires": lifetime, "X-Amz-Signature": signature})
        return f"{self.base}/files/{token}/{urllib.parse.quote(asset['main'])}?{query}", expires

    def serve_file(self, handler, parsed):
        where = f"{handler.command} /files/..."
        if handler.headers.get("Content-Length") not in (None, "0"):
            handler.close_connection = True
            raise self.protocol_error(f"{where}: a body sent to a presigned URL")
        if handler.command not in ("GET", "HEAD"):
            raise self.protocol_error(f"{where}: method not allowed", 405, "method not allowed")
        if handler.headers.get("Authorization"):
            # S3 refuses a second auth mechanism; worse, the management token would leak to storage.
            raise self.protocol_error(f"{where}: Authorization header sent to a presigned URL")
        parts = parsed.path.split("/")
        if len(parts) != 4:
            raise self.protocol_error(f"{where}: malformed presigned path", 404, "not found")
        token, name = parts[2], urllib.parse.unquote(parts[3])
        query = dict(urllib.parse.parse_qsl(parsed.query))
        with self.lock:
            grant = self.presigned.get(token)
        if grant is None or query.get("X-Amz-Signature") != grant["signature"]:
            raise self.protocol_error(f"{where}: unknown token or signature (the URL was altered)", 403, "forbidden")
        if grant["expired"] or time.time_ns() >= grant["expires"]:
            with self.lock:
                self.refused_downloads[grant["asset_id"]] = self.refused_downloads.get(grant["asset_id"], 0) + 1
            return self.reply(handler, 403, b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied"
                              b"</Code><Message>Request has expired</Message></Error>", content_type="application/xml")
        with self.lock:
            asset = self.assets[grant["asset_id"]]
            path = asset["files"].get(name)
        if path is None:
            return self.reply(handler, 404, b"<Error><Code>NoSuchKey</Code></Error>", content_type="application/xml")
        size = os.path.getsize(path)
        start, end, status = 0, size - 1, 200
        spec = handler.headers.get("Range")
        if spec:
            match = re.fullmatch(r"bytes=(\d*)-(\d*)", spec.strip())
            if not match or match.groups() == ("", ""):
                raise self.protocol_error(f"{where}: Range {spec!r} is not one byte range")
            first, last = match.groups()
            if first == "":
                start, end = max(0, size - int(last)), size - 1
            else:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
            if start >= size or start > end:
                return self.reply(handler, 416, b"<Error><Code>InvalidRange</Code></Error>",
                                  {"Content-Range": f"bytes */{size}"}, content_type="application/xml")
            status = 206
        fault = None
        with self.lock:
            if handler.command == "GET":
                self.downloads[asset["id"]] = self.downloads.get(asset["id"], 0) + 1
                key = (asset["id"], name)
                self.downloads_by_file[key] = self.downloads_by_file.get(key, 0) + 1
                fault = self.download_faults.pop(asset["id"], None)
        length = end - start + 1
        handler.send_response(status)
        handler.send_header("Content-Type", CONTENT_TYPES.get(os.path.splitext(name)[1], "application/octet-stream"))
        handler.send_header("Content-Length", str(length))
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("ETag", f"\"{asset['id']}\"")
        if status == 206:
            handler.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        handler.end_headers()
        if handler.command == "HEAD":
            return
        budget = length if fault is None else min(length, fault[1] if fault[1] is not None else length // 2)
        sent = 0
        try:
            with open(path, "rb") as f:
                f.seek(start)
                while sent < budget:
                    chunk = f.read(min(65536, budget - sent))
                    if not chunk:
                        break
                    handler.wfile.write(chunk)
                    sent += len(chunk)
        finally:
            with self.lock:
                self.bytes_served[asset["id"]] = self.bytes_served.get(asset["id"], 0) + sent
        if fault is not None:
            if fault[0] == "expire":
                grant["expired"] = True
            handler.wfile.flush()
            handler.close_connection = True
            try:
                handler.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # MARK: webhooks

    def envelope(self, event_type, data, id=None):
        return {"version": "2.0", "id": id or str(uuid.uuid4()), "app_id": self.app_id,
                "account_id": self.account_id, "template_id": self.template_id,
                "timestamp": self.stamp(time.time_ns()), "type": event_type, "data": data}

    def queue(self, event_type, data):
        with self.lock:
            self.outbox.append(self.envelope(event_type, data))

    def take_outbox(self, types=None):
        """The queued webhooks (of `types`, if given), removed from the outbox."""
        with self.lock:
            taken = [e for e in self.outbox if types is None or e["type"] in types]
            self.outbox = [e for e in self.outbox if e not in taken]
            return taken

    def shuffle(self, events=None, seed=None):
        """The outbox (or `events`) in a random order, in place; returns it."""
        events = self.outbox if events is None else events
        random.Random(seed).shuffle(events)
        return events

    def send(self, event_type, data, id=None, duplicate=False, wait=True):
        """Delivers one webhook now (a fresh id unless given; a second time with the same id if
        `duplicate`). Returns the Delivery (both, as a list, when duplicated)."""
        return self.send_envelope(self.envelope(event_type, data, id), duplicate=duplicate, wait=wait)

    def send_envelope(self, envelope, duplicate=False, wait=True):
        deliveries = [self.deliver(envelope, wait)]
        if duplicate:
            deliveries.append(self.deliver(envelope, wait))
        return deliveries if duplicate else deliveries[0]

    def flush(self, shuffle=False, seed=None, duplicate=(), drop=(), wait=True):
        """Delivers the outbox one webhook after another (each through its retries when `wait`),
        shuffled if asked; event types in `duplicate` go twice, those in `drop` never. Returns the
        deliveries."""
        events = self.take_outbox()
        if shuffle:
            self.shuffle(events, seed)
        out = []
        for envelope in events:
            if envelope["type"] in drop:
                continue
            result = self.send_envelope(envelope, duplicate=envelope["type"] in duplicate, wait=wait)
            out.extend(result if isinstance(result, list) else [result])
        return out

    def deliver(self, envelope, wait=True):
        assert self.webhook_url, "no webhook_url"
        body = json.dumps(envelope).encode()
        delivery = Delivery(envelope, body)
        with self.lock:
            self.deliveries.append(delivery)
        thread = threading.Thread(target=self.attempts, args=(delivery,), daemon=True)
        thread.start()
        if wait:
            delivery.wait(timeout=sum(self.retry_delays) + 4 * 35)
        return delivery

    def webhook_headers(self):
        headers = {"Content-Type": "application/json", "User-Agent": "100ms-webhook"}
        if self.webhook_secret is not None:
            headers[self.webhook_header] = self.webhook_secret
        return headers

    def post_once(self, envelope, session=None):
        """One delivery attempt of `envelope`, here and now, with no retry and no thread (for a
        caller that times it): (monotonic time just before sending, the answer)."""
        assert self.webhook_url, "no webhook_url"
        body, headers = json.dumps(envelope).encode(), self.webhook_headers()
        sent = time.monotonic()
        return sent, (session or requests).post(self.webhook_url, data=body, headers=headers, timeout=30)

    def attempts(self, delivery):
        headers = self.webhook_headers()
        try:
            for delay in (0,) + self.retry_delays:
                time.sleep(delay)
                try:
                    answer = requests.post(self.webhook_url, data=delivery.body, headers=headers, timeout=30)
                    delivery.attempts.append((time.monotonic(), answer.status_code, answer.text))
                    if answer.status_code == 200:
                        delivery.delivered = True
                        return
                except requests.RequestException as error:
                    delivery.attempts.append((time.monotonic(), None, repr(error)))
        finally:
            delivery.done.set()

    def deliveries_of(self, event_type):
        with self.lock:
            return [d for d in self.deliveries if d.type == event_type]

    # MARK: waiting

    def calls_to(self, pattern, method=None):
        """The calls (method, path, query, body, jti, arrival) whose path matches the regex `pattern`."""
        with self.lock:
            return [c for c in self.calls if re.search(pattern, c[1]) and (method is None or c[0] == method)]

    def wait(self, predicate, timeout=20, what="condition"):
        return wait_until(predicate, what=what, timeout=timeout, interval=0.02)


def probe(mp4_path):
    """(width, height, whole seconds) of a real media file, by ffprobe."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height:format=duration", "-of", "json", mp4_path],
                         check=True, capture_output=True, text=True).stdout
    info = json.loads(out)
    stream = (info.get("streams") or [{}])[0]
    return stream.get("width"), stream.get("height"), round(float(info["format"]["duration"]))
