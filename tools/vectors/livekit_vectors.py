"""Generates LiveKit wire vectors with the official SDK (livekit-api, livekit-protocol).

    .venv/bin/python tools/vectors/livekit_vectors.py > Tests/LiveKitTests/Vectors/livekit.json

- webhooks: bodies serialized the way LiveKit sends them (lowerCamel names, zero values omitted,
  int64 as strings), each signed by the SDK's own AccessToken(...).with_sha256(...), with the
  moment of signing so the Swift tests can verify at that time; the expected values are read
  back from the protobuf messages, not from Tapedeck's code.
- egress_infos: EgressInfo as the Twirp API writes it (snake_case, zero values emitted).
"""
import base64
import calendar
import datetime
import hashlib
import json
import sys

from google.protobuf import json_format
from livekit import api
from livekit.protocol import egress as egress_pb
from livekit.protocol import models, webhook

KEY, SECRET = "APIvectorkey", "vector-secret-with-enough-entropy-0123456789"
SECOND = 1_000_000_000
T0 = 1_795_000_000  # seconds; a fixed moment in 2026


def webhook_json(event):
    return json_format.MessageToJson(event, indent=None)


def twirp_json(message):
    return json_format.MessageToJson(message, indent=None, preserving_proto_field_name=True,
                                     always_print_fields_with_no_presence=True)


def sign(body, ttl_s=300):
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    now = calendar.timegm(datetime.datetime.now(datetime.timezone.utc).utctimetuple())
    token = api.AccessToken(KEY, SECRET).with_sha256(digest).with_ttl(datetime.timedelta(seconds=ttl_s)).to_jwt()
    return token, now


def room(name="math-101", sid="RM_vector1"):
    return models.Room(sid=sid, name=name, creation_time=T0, num_participants=1)


def participant(identity, name, kind=models.ParticipantInfo.Kind.STANDARD, attributes=None, metadata=""):
    return models.ParticipantInfo(sid="PA_" + identity, identity=identity, name=name, kind=kind,
                                  attributes=attributes or {}, metadata=metadata, joined_at=T0 + 5)


def finished_egress(status=egress_pb.EgressStatus.EGRESS_COMPLETE, error="", deprecated_only=False,
                    negative_duration=False):
    info = egress_pb.EgressInfo(egress_id="EG_vector1", room_id="RM_vector1", room_name="math-101", status=status,
                                started_at=(T0 + 10) * SECOND, ended_at=(T0 + 130) * SECOND,
                                updated_at=(T0 + 131) * SECOND, error=error)
    duration = -1 if negative_duration else 120 * SECOND + 500_000_000
    file = egress_pb.FileInfo(filename="math-101/s1/session.mp4", started_at=(T0 + 10) * SECOND,
                              ended_at=(T0 + 130) * SECOND, duration=duration, size=31_457_280,
                              location="https://recordings.https://s3.example.com/math-101/s1/session.mp4")
    segments = egress_pb.SegmentsInfo(playlist_name="math-101/s1/index.m3u8", duration=duration, size=29_000_000,
                                      segment_count=21, playlist_location="s3://recordings/math-101/s1/index.m3u8",
                                      started_at=(T0 + 10) * SECOND, ended_at=(T0 + 130) * SECOND)
    if deprecated_only:
        info.file.CopyFrom(file)
    else:
        info.file_results.append(file)
        info.segment_results.append(segments)
    return info


def expected_participant(p):
    return {"identity": p.identity, "name": p.name, "kind": p.kind, "attributes": dict(p.attributes),
            "metadata": p.metadata, "joined_at": p.joined_at}


def expected_egress(info):
    files = list(info.file_results) or ([info.file] if info.HasField("file") else [])
    return {
        "egress_id": info.egress_id, "room_name": info.room_name, "status": info.status,
        "started_at_ns": info.started_at, "ended_at_ns": info.ended_at, "error": info.error,
        "files": [{"filename": f.filename, "duration_ns": f.duration, "size": f.size} for f in files],
        "segments": [{"playlist_name": s.playlist_name, "duration_ns": s.duration, "size": s.size,
                      "segment_count": s.segment_count} for s in info.segment_results],
    }


def webhook_case(name, event):
    body = webhook_json(event)
    token, now = sign(body)
    expected = {"event": event.event, "id": event.id, "created_at": event.created_at}
    if event.HasField("room"):
        expected["room"] = {"name": event.room.name, "sid": event.room.sid, "creation_time": event.room.creation_time}
    if event.HasField("participant"):
        expected["participant"] = expected_participant(event.participant)
    if event.HasField("egress_info"):
        expected["egress"] = expected_egress(event.egress_info)
    return {"name": name, "body": body, "authorization": token, "signed_at": now, "expected": expected}


def event(kind, n, **fields):
    return webhook.WebhookEvent(event=kind, id=f"EV_vector{n}", created_at=T0 + n, **fields)


starting = egress_pb.EgressInfo(egress_id="EG_vector1", room_id="RM_vector1", room_name="math-101",
                                status=egress_pb.EgressStatus.EGRESS_STARTING, started_at=(T0 + 10) * SECOND)
active = egress_pb.EgressInfo(egress_id="EG_vector1", room_id="RM_vector1", room_name="math-101",
                              status=egress_pb.EgressStatus.EGRESS_ACTIVE, started_at=(T0 + 10) * SECOND,
                              updated_at=(T0 + 12) * SECOND)
webhooks = [
    webhook_case("room_started", event("room_started", 1, room=room())),
    webhook_case("participant_joined standard", event("participant_joined", 2, room=room(),
                 participant=participant("ada", "Ada Lovelace"))),
    webhook_case("participant_joined host by attribute", event("participant_joined", 3, room=room(),
                 participant=participant("grace", "Grace Hopper", attributes={"role": "host"}))),
    webhook_case("participant_joined host by metadata", event("participant_joined", 4, room=room(),
                 participant=participant("alan", "Alan Turing", metadata='{"role":"host"}'))),
    webhook_case("participant_joined egress recorder", event("participant_joined", 5, room=room(),
                 participant=participant("EG_vector1", "", kind=models.ParticipantInfo.Kind.EGRESS))),
    webhook_case("participant_joined agent", event("participant_joined", 6, room=room(),
                 participant=participant("agent-1", "Notes bot", kind=models.ParticipantInfo.Kind.AGENT))),
    webhook_case("egress_started without status", event("egress_started", 7, egress_info=starting)),
    webhook_case("egress_updated active", event("egress_updated", 8, egress_info=active)),
    webhook_case("egress_ended complete", event("egress_ended", 9, egress_info=finished_egress())),
    webhook_case("egress_ended deprecated file only", event("egress_ended", 10,
                 egress_info=finished_egress(deprecated_only=True))),
    webhook_case("egress_ended negative duration", event("egress_ended", 11,
                 egress_info=finished_egress(negative_duration=True))),
    webhook_case("egress_ended failed", event("egress_ended", 12, egress_info=finished_egress(
        status=egress_pb.EgressStatus.EGRESS_FAILED, error="S3 upload failed"))),
    webhook_case("egress_ended limit reached", event("egress_ended", 13, egress_info=finished_egress(
        status=egress_pb.EgressStatus.EGRESS_LIMIT_REACHED))),
    webhook_case("participant_left", event("participant_left", 14, room=room(),
                 participant=participant("ada", "Ada Lovelace"))),
    webhook_case("participant_connection_aborted", event("participant_connection_aborted", 15, room=room(),
                 participant=participant("grace", "Grace Hopper", attributes={"role": "host"}))),
    webhook_case("room_finished", event("room_finished", 16, room=room())),
    webhook_case("track_published (unused)", event("track_published", 17, room=room(),
                 participant=participant("ada", "Ada Lovelace"),
                 track=models.TrackInfo(sid="TR_1", type=models.TrackType.VIDEO))),
]

egress_infos = []
for name, info in [("starting", starting), ("active", active), ("complete", finished_egress()),
                   ("aborted", finished_egress(status=egress_pb.EgressStatus.EGRESS_ABORTED,
                                               error="Start signal not received"))]:
    egress_infos.append({"name": name, "json": twirp_json(info), "expected": expected_egress(info)})

json.dump({"key": KEY, "secret": SECRET, "webhooks": webhooks, "egress_infos": egress_infos}, sys.stdout, indent=1)
sys.stdout.write("\n")
