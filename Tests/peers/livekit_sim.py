"""A LiveKit server, as far as Tapedeck can tell: the Twirp API and the webhooks it sends.

The Twirp side checks every request the way the real server would: the bearer token with the
SDK's TokenVerifier and the grant the method needs, the body parsed strictly into the real
protobuf request message (an unknown field is recorded as a protocol error), and answers with
real EgressInfo JSON as the server writes it (snake_case, zero values emitted, int64 strings).
Webhooks are real WebhookEvent messages, serialized and signed the way LiveKit does, queued in
an outbox the test delivers in order, shuffled, duplicated or with some dropped.

When an egress ends it writes real media (made with ffmpeg) where the request told it to: into
the egress folder shared with Tapedeck, or into the S3 bucket named by the request's upload.
"""
import base64
import hashlib
import http.server
import json
import os
import secrets
import shutil
import threading
import time

import requests
from google.protobuf import json_format
from livekit import api
from livekit.protocol import egress as egress_pb
from livekit.protocol import models, room as room_pb, webhook

from net import wait_until

SECOND = 1_000_000_000


def twirp_json(message):
    return json_format.MessageToJson(message, indent=None, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)


class TwirpFailure(Exception):
    def __init__(self, status, code, msg):
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


class Outputs:
    """Real media an egress writes: one MP4 and one HLS rendition named as egress names them."""

    def __init__(self, mp4_path, hls_dir):
        with open(mp4_path, "rb") as f:
            self.mp4 = f.read()
        self.segments = sorted(n for n in os.listdir(hls_dir) if n.endswith(".ts"))
        self.segment_bytes = {}
        for name in self.segments:
            with open(os.path.join(hls_dir, name), "rb") as f:
                self.segment_bytes[name] = f.read()
        with open(os.path.join(hls_dir, "index.m3u8")) as f:
            self.playlist = f.read()

    def renamed(self, prefix):
        """The segment names egress gives (`{prefix}_00000.ts`) and the playlist naming them."""
        names = {name: f"{prefix}_{index:05d}.ts" for index, name in enumerate(self.segments)}
        playlist = self.playlist
        for old, new in names.items():
            playlist = playlist.replace(old, new)
        return names, playlist


class LiveKitSim:
    def __init__(self, outputs, key="APIstandin", secret=None, webhook_key=None, webhook_secret=None, port=0):
        self.key = key
        self.secret = secret or secrets.token_hex(24)
        self.webhook_key = webhook_key or key
        self.webhook_secret = webhook_secret or self.secret
        self.outputs = outputs
        self.lock = threading.RLock()
        self.rooms = {}  # name -> {"sid", "participants": {identity: ParticipantInfo}}
        self.egresses = {}  # egress id -> EgressInfo
        self.requests = {}  # egress id -> RoomCompositeEgressRequest
        self.calls = []  # (method, monotonic time, parsed request)
        self.protocol_errors = []
        self.outbox = []
        self.unavailable_starts = 0
        self.start_answer_delay = 0.0  # seconds the start answer is held back (to crash Tapedeck meanwhile)
        self.file_start_lag_ns = 0  # how long after the egress its files begin
        self.tapedeck_url = None
        self.counter = 0
        self.clock_s = int(time.time())
        sim = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                arrived = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    status, payload = 200, sim.handle(self.path, self.headers, body, arrived)
                except TwirpFailure as failure:
                    status, payload = failure.status, json.dumps({"code": failure.code, "msg": failure.msg})
                data = payload.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def env(self):
        return {"LIVEKIT_URL": self.url, "LIVEKIT_API_KEY": self.key, "LIVEKIT_API_SECRET": self.secret}

    # MARK: Twirp

    GRANTS = {
        "livekit.Egress": lambda video, body: video.room_record,
        "livekit.RoomService/ListRooms": lambda video, body: video.room_list,
        "livekit.RoomService/ListParticipants": lambda video, body: video.room_admin and video.room == body.room,
    }
    MESSAGES = {
        "livekit.Egress/StartRoomCompositeEgress": egress_pb.RoomCompositeEgressRequest,
        "livekit.Egress/StopEgress": egress_pb.StopEgressRequest,
        "livekit.Egress/ListEgress": egress_pb.ListEgressRequest,
        "livekit.Egress/UpdateLayout": egress_pb.UpdateLayoutRequest,
        "livekit.RoomService/ListRooms": room_pb.ListRoomsRequest,
        "livekit.RoomService/ListParticipants": room_pb.ListParticipantsRequest,
    }

    def protocol_error(self, what):
        with self.lock:
            self.protocol_errors.append(what)
        return TwirpFailure(400, "malformed", what)

    def handle(self, path, headers, body, arrived):
        if not path.startswith("/twirp/"):
            raise self.protocol_error(f"unexpected path {path}")
        method = path[len("/twirp/"):]
        message_type = self.MESSAGES.get(method)
        if message_type is None:
            raise self.protocol_error(f"unknown method {method}")
        if headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            raise self.protocol_error(f"{method}: Content-Type {headers.get('Content-Type')!r}")
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            raise TwirpFailure(401, "unauthenticated", "missing bearer token")
        try:
            claims = api.TokenVerifier(self.key, self.secret).verify(auth[len("Bearer "):])
        except Exception as error:  # the SDK raises jwt errors of several kinds
            self.protocol_errors.append(f"{method}: token refused: {error}")
            raise TwirpFailure(401, "unauthenticated", str(error))
        try:
            request = json_format.Parse(body.decode(), message_type())
        except json_format.ParseError as error:
            raise self.protocol_error(f"{method}: body does not parse strictly: {error}: {body[:300]!r}")
        service = method.split("/")[0]
        allowed = self.GRANTS.get(method) or self.GRANTS.get(service)
        if claims.video is None or not allowed(claims.video, request):
            self.protocol_errors.append(f"{method}: token lacks the grant ({claims.video})")
            raise TwirpFailure(403, "permission_denied", "missing grant")
        with self.lock:
            self.calls.append((method.split("/")[1], arrived, request))
        return twirp_json(getattr(self, method.split("/")[1])(request))

    def StartRoomCompositeEgress(self, request):
        if len(request.file_outputs) > 1 or len(request.segment_outputs) > 1:
            raise self.protocol_error("more than one file or segment output")
        if not request.file_outputs and not request.segment_outputs:
            raise self.protocol_error("no outputs")
        with self.lock:
            if self.unavailable_starts > 0:
                self.unavailable_starts -= 1
                raise TwirpFailure(503, "unavailable", "no egress instance available")
            room = self.rooms.get(request.room_name)
            if room is None:
                raise TwirpFailure(404, "not_found", "requested room does not exist")
            egress_id = "EG_" + secrets.token_hex(6)
            info = egress_pb.EgressInfo(egress_id=egress_id, room_id=room["sid"], room_name=request.room_name,
                                        status=egress_pb.EgressStatus.EGRESS_STARTING,
                                        source_type=egress_pb.EgressSourceType.EGRESS_SOURCE_TYPE_WEB,
                                        updated_at=self.now_ns())
            info.room_composite.CopyFrom(request)
            for output in request.file_outputs:
                info.file_results.append(egress_pb.FileInfo(filename=output.filepath))
            for output in request.segment_outputs:
                info.segment_results.append(egress_pb.SegmentsInfo(playlist_name=output.playlist_name))
            self.egresses[egress_id] = info
            self.requests[egress_id] = request
            # The recorder comes up a moment later: egress_started (no status: STARTING is 0), then active.
            self.queue_egress("egress_started", info)
            active = self.copy(info)
            active.status = egress_pb.EgressStatus.EGRESS_ACTIVE
            active.started_at = self.now_ns()
            active.updated_at = active.started_at
            self.egresses[egress_id] = active
            self.queue_egress("egress_updated", active)
        if self.start_answer_delay:
            time.sleep(self.start_answer_delay)
        return info

    def StopEgress(self, request):
        with self.lock:
            info = self.egresses.get(request.egress_id)
            if info is None:
                raise TwirpFailure(404, "not_found", "egress not found")
            if info.status >= egress_pb.EgressStatus.EGRESS_COMPLETE:
                raise TwirpFailure(412, "failed_precondition",
                                   f"egress with status {egress_pb.EgressStatus.Name(info.status)} cannot be stopped")
            return self.end_egress(request.egress_id)

    def ListEgress(self, request):
        with self.lock:
            items = [i for i in self.egresses.values()
                     if (not request.room_name or i.room_name == request.room_name)
                     and (not request.egress_id or i.egress_id == request.egress_id)
                     and (not request.active or i.status < egress_pb.EgressStatus.EGRESS_COMPLETE)]
            return egress_pb.ListEgressResponse(items=[self.copy(i) for i in items])

    def UpdateLayout(self, request):
        with self.lock:
            return self.copy(self.egresses[request.egress_id])

    def ListRooms(self, request):
        with self.lock:
            names = set(request.names) or set(self.rooms)
            return room_pb.ListRoomsResponse(rooms=[self.room_info(n) for n in names if n in self.rooms])

    def ListParticipants(self, request):
        with self.lock:
            room = self.rooms.get(request.room) or {"participants": {}}
            return room_pb.ListParticipantsResponse(participants=list(room["participants"].values()))

    # MARK: egress outputs

    @staticmethod
    def copy(info):
        clone = egress_pb.EgressInfo()
        clone.CopyFrom(info)
        return clone

    def now_ns(self):
        return time.time_ns()

    def end_egress(self, egress_id, status=egress_pb.EgressStatus.EGRESS_COMPLETE, error=""):
        """The recorder stops: ENDING now, then the outputs are written and the end reported."""
        info = self.egresses[egress_id]
        ending = self.copy(info)
        ending.status = egress_pb.EgressStatus.EGRESS_ENDING
        ending.updated_at = self.now_ns()
        self.queue_egress("egress_updated", ending)
        ended = self.copy(ending)
        ended.status = status
        ended.ended_at = self.now_ns()
        ended.updated_at = ended.ended_at
        ended.error = error
        del ended.file_results[:]
        del ended.segment_results[:]
        if status in (egress_pb.EgressStatus.EGRESS_COMPLETE, egress_pb.EgressStatus.EGRESS_LIMIT_REACHED):
            self.write_outputs(egress_id, ended)
        self.egresses[egress_id] = ended
        self.queue_egress("egress_ended", ended)
        return ending

    def write_outputs(self, egress_id, ended):
        request = self.requests[egress_id]
        # A real recorder's files begin a little after the egress itself (file_start_lag_ns).
        media_start = ended.started_at + self.file_start_lag_ns
        duration = ended.ended_at - media_start
        for output in request.file_outputs:
            self.put(output, output.filepath, self.outputs.mp4)
            ended.file_results.append(egress_pb.FileInfo(
                filename=output.filepath, started_at=media_start, ended_at=ended.ended_at, duration=duration,
                size=len(self.outputs.mp4), location=self.location(output, output.filepath)))
        for output in request.segment_outputs:
            folder = os.path.dirname(output.playlist_name)
            prefix = os.path.basename(output.filename_prefix)
            names, playlist = self.outputs.renamed(prefix)
            total = 0
            for name, renamed in names.items():
                data = self.outputs.segment_bytes[name]
                total += len(data)
                self.put(output, os.path.join(folder, renamed), data)
            self.put(output, output.playlist_name, playlist.encode())
            ended.segment_results.append(egress_pb.SegmentsInfo(
                playlist_name=output.playlist_name, playlist_location=self.location(output, output.playlist_name),
                duration=duration, size=total, segment_count=len(self.outputs.segments),
                started_at=media_start, ended_at=ended.ended_at))

    @staticmethod
    def location(output, path):
        if output.HasField("s3"):
            # As LiveKit builds it with a custom endpoint: malformed on purpose, never to be parsed.
            return f"https://{output.s3.bucket}.{output.s3.endpoint}/{path}"
        return path

    def put(self, output, path, data):
        if output.HasField("s3"):
            import boto3  # only the S3 scenarios need it
            s3 = output.s3
            client = boto3.client("s3", endpoint_url=s3.endpoint, region_name=s3.region or "us-east-1",
                                  aws_access_key_id=s3.access_key, aws_secret_access_key=s3.secret)
            # Egress uploads with the content type of each file, as the real one does.
            types = {".ts": "video/MP2T", ".m3u8": "application/x-mpegurl", ".mp4": "video/mp4"}
            client.put_object(Bucket=s3.bucket, Key=path, Body=data,
                              ContentType=types.get(os.path.splitext(path)[1], "application/octet-stream"))
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)

    # MARK: rooms and webhooks

    def next_id(self):
        with self.lock:
            self.counter += 1
            return self.counter

    def room_info(self, name):
        room = self.rooms[name]
        return models.Room(sid=room["sid"], name=name, creation_time=room["created"],
                           num_participants=len(room["participants"]), metadata=room.get("metadata", ""))

    def queue_egress(self, kind, info):
        self.queue(webhook.WebhookEvent(event=kind, egress_info=self.copy(info)))

    def queue(self, event):
        with self.lock:
            event.id = f"EV_{secrets.token_hex(6)}"
            event.created_at = int(time.time())
            self.outbox.append(event)

    def start_room(self, name, sid=None, metadata=""):
        with self.lock:
            self.rooms[name] = {"sid": sid or f"RM_{secrets.token_hex(6)}", "created": int(time.time()),
                                "participants": {}, "metadata": metadata}
            self.queue(webhook.WebhookEvent(event="room_started", room=self.room_info(name)))

    def join(self, room_name, identity, host=False, kind=models.ParticipantInfo.Kind.STANDARD, metadata="", name=None):
        with self.lock:
            participant = models.ParticipantInfo(
                sid=f"PA_{secrets.token_hex(5)}", identity=identity, name=identity.title() if name is None else name, kind=kind,
                attributes={"role": "host"} if host else {}, metadata=metadata, joined_at=int(time.time()),
                state=models.ParticipantInfo.State.ACTIVE)
            self.rooms[room_name]["participants"][identity] = participant
            self.queue(webhook.WebhookEvent(event="participant_joined", room=self.room_info(room_name),
                                            participant=participant))

    def leave(self, room_name, identity):
        with self.lock:
            participant = self.rooms[room_name]["participants"].pop(identity)
            participant.state = models.ParticipantInfo.State.DISCONNECTED
            self.queue(webhook.WebhookEvent(event="participant_left", room=self.room_info(room_name),
                                            participant=participant))

    def finish_room(self, room_name):
        """The room closes; its room-composite egresses end with it, as LiveKit's do."""
        with self.lock:
            info = self.room_info(room_name)
            for egress_id, egress in list(self.egresses.items()):
                if egress.room_name == room_name and egress.status < egress_pb.EgressStatus.EGRESS_COMPLETE:
                    self.end_egress(egress_id)
            del self.rooms[room_name]
            self.queue(webhook.WebhookEvent(event="room_finished", room=info))

    def take_outbox(self):
        with self.lock:
            events, self.outbox = self.outbox, []
            return events

    def signed(self, event, key=None, secret=None, ttl=300):
        body = json_format.MessageToJson(event, indent=None)
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        token = (api.AccessToken(key or self.webhook_key, secret or self.webhook_secret)
                 .with_sha256(digest).with_ttl(__import__("datetime").timedelta(seconds=ttl)).to_jwt())
        return body, token

    def post(self, event, session=None, **signing):
        body, token = self.signed(event, **signing)
        return self.post_raw(body, token, session)

    def post_raw(self, body, token, session=None):
        http = session or requests
        response = http.post(self.tapedeck_url + "/webhooks/livekit", data=body.encode(), timeout=30,
                             headers={"Authorization": token, "Content-Type": "application/webhook+json",
                                      "User-Agent": "LiveKit"})
        return response

    def deliver(self, events=None):
        """Posts events (default: the outbox, in order); every delivery must be accepted."""
        for event in (self.take_outbox() if events is None else events):
            response = self.post(event)
            assert response.status_code == 200, (event.event, response.status_code, response.text)

    # MARK: waiting

    def calls_of(self, method):
        with self.lock:
            return [request for name, _, request in self.calls if name == method]

    def starts_for(self, room_name):
        return [r for r in self.calls_of("StartRoomCompositeEgress") if r.room_name == room_name]

    def egress_of(self, room_name):
        with self.lock:
            return [i for i in self.egresses.values() if i.room_name == room_name]

    def wait(self, predicate, timeout=20, what="condition"):
        return wait_until(predicate, what=what, timeout=timeout, interval=0.02)


def make_outputs(directory):
    """An 8 s MP4 and its HLS rendition (2 s segments), made once."""
    from media import make_hls, make_mp4
    mp4 = make_mp4(os.path.join(directory, "egress.mp4"), seconds=8)
    make_hls(mp4, os.path.join(directory, "hls"))
    return Outputs(mp4, os.path.join(directory, "hls"))


def cleanup(directory):
    shutil.rmtree(directory, ignore_errors=True)
