"""Source of Sources/TapedeckServer/Resources/openapi.json.

The JSON document is the contract; this script only saves typing braces. Edit here, run
`python3 scripts/openapi_source.py`, commit both. A Swift test checks the document against the
router both ways, and the end-to-end suite validates live responses against it.
"""
import json
import pathlib

def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}

def nullable(schema):
    return {"oneOf": [schema, {"type": "null"}]}

def error_responses(*codes):
    descriptions = {
        "400": "Bad input; `error.field` names the parameter or body field.",
        "401": "Missing, malformed, unknown or revoked credentials.",
        "403": "Authenticated, but not allowed.",
        "404": "No such resource (or not visible to this caller).",
        "409": "Conflicts with the resource's current state.",
        "413": "Request body too large.",
        "415": "Body is not JSON.",
        "422": "Well-formed but not acceptable.",
        "410": "The share the link came from expired or was revoked (`share_expired`).",
        "429": "Too many attempts; see Retry-After.",
        "502": "Stored data Tapedeck could not use (e.g. a playlist that is not HLS).",
        "503": "A dependency is down; see Retry-After.",
    }
    return {code: {"description": descriptions[code],
                   "content": {"application/json": {"schema": ref("Error")}}} for code in codes}

def ok(schema_name, description="OK", status="200"):
    return {status: {"description": description,
                     "content": {"application/json": {"schema": ref(schema_name)}}}}

no_control = "^[^\\x00-\\x1f\\x7f]*$"
# Text that goes into mail headers: no C0 or C1 controls and no Unicode line or paragraph separator.
no_line_break = "^[^\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029]*$"
room_param = {"name": "name", "in": "path", "required": True,
              "schema": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": no_control}}
room_provider_param = {
    "name": "provider", "in": "query", "required": False,
    "schema": {"type": "string", "enum": ["livekit", "100ms", "local", "import"]},
    "description": "Which room: a name is one room per provider. Needed when the name is a room of more than one "
                   "(409 `ambiguous_room` without it); a policy set for a room not seen yet is LiveKit's unless it names another."}
room_filter_param = {
    "name": "room", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 256, "pattern": no_control},
    "description": "The recordings of every provider's room of that name (each recording says its provider)."}
uuid_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
limit_param = lambda default, maximum: {
    "name": "limit", "in": "query", "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}}
cursor_param = {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
                "description": "Opaque; `next_cursor` of the previous page, with the same filters."}
admin = [{"apiKey": []}]
viewer_or_admin = [{"apiKey": []}, {"viewerToken": []}]

webhook_events = ["recording.started", "recording.ready", "recording.failed", "recording.deleted", "share.created",
                  "recording.captions_ready"]
cue_kinds = ["captions", "subtitles", "chapters", "metadata"]
cue_sources = ["live", "upload", "provider", "translation"]
# RFC 5646 well-formed syntax (the server also refuses repeated variants and singletons).
_alnum = "[A-Za-z0-9]"
language_pattern = (
    "^(?:(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{5,8})(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?"
    f"(?:-(?:{_alnum}{{5,8}}|[0-9]{_alnum}{{3}}))*(?:-[0-9A-WY-Za-wy-z](?:-{_alnum}{{2,8}})+)*(?:-[xX](?:-{_alnum}{{1,8}})+)?"
    f"|[xX](?:-{_alnum}{{1,8}})+)$")
language_schema = {"type": "string", "minLength": 2, "maxLength": 35, "pattern": language_pattern}
language_query = {"name": "language", "in": "query", "required": False,
                  "schema": language_schema, "description": "A BCP 47 tag (`en`, `pt-BR`)."}
kind_query = {"name": "kind", "in": "query", "required": False, "schema": {"type": "string", "enum": cue_kinds}}
statuses = ["scheduled", "starting", "recording", "stopping", "processing", "ready", "failed", "aborted", "deleted"]

schemas = {
    "ViewerTokenRequest": {
        "type": "object", "required": ["sub"], "additionalProperties": False,
        "properties": {
            "sub": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": no_control,
                    "description": "The viewer's identity: the same string as their LiveKit participant identity."},
            "name": {"type": ["string", "null"], "maxLength": 256},
            "email": {"type": ["string", "null"], "maxLength": 320, "pattern": "@"},
            "expires_in": {"type": ["integer", "null"], "minimum": 60, "maximum": 604800, "default": 3600},
            "org_role": {"type": ["string", "null"], "enum": ["member", "admin", None],
                         "description": "With an organization's key: the viewer's role; the token is signed with the organization's "
                                        "current secret and names it with kid."}}},
    "ViewerToken": {
        "type": "object", "required": ["token", "expires_at"], "additionalProperties": False,
        "properties": {"token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"}}},
    "RecordingStatus": {
        "type": "object", "additionalProperties": False,
        "required": ["room", "recording", "status", "recording_id", "started_at"],
        "properties": {
            "room": {"type": "string"},
            "recording": {"type": "boolean", "description": "True while the recorder runs (recording or stopping)."},
            "status": {"type": ["string", "null"], "enum": statuses + [None]},
            "recording_id": {"type": ["string", "null"], "format": "uuid"},
            "started_at": {"type": ["string", "null"], "format": "date-time"}}},
    "ShareRequest": {
        "type": "object", "required": ["expires_in"], "additionalProperties": False,
        "properties": {
            "expires_in": {"type": "integer", "minimum": 60, "description": "Seconds; capped by TAPEDECK_SHARE_MAX_TTL_S."},
            "email": {"type": ["string", "null"], "maxLength": 320, "pattern": "^[^\\x00-\\x1f\\x7f]*@[^\\x00-\\x1f\\x7f]*$",
                      "description": "Only a viewer whose token carries this email may use the link."},
            "passcode": {"type": ["string", "null"], "minLength": 4, "maxLength": 128},
            "allow_download": {"type": ["boolean", "null"], "default": False}}},
    "Share": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "recording_id", "email", "has_passcode", "allow_download", "expires_at", "revoked_at",
                     "views", "created_by", "created_at"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "recording_id": {"type": "string", "format": "uuid"},
            "url": {"type": "string", "description": "Only in the answer to its creation: the link is stored hashed."},
            "email": {"type": ["string", "null"]},
            "has_passcode": {"type": "boolean"},
            "allow_download": {"type": "boolean"},
            "expires_at": {"type": "string", "format": "date-time"},
            "revoked_at": {"type": ["string", "null"], "format": "date-time"},
            "views": {"type": "integer"},
            "created_by": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"}}},
    "WebhookEndpointRequest": {
        "type": "object", "required": ["url"], "additionalProperties": False,
        "properties": {
            "url": {"type": "string", "minLength": 8, "maxLength": 2048, "pattern": "^[hH][tT][tT][pP][sS]?://",
                    "description": "http or https; receives a signed POST per event."},
            "events": {"type": ["array", "null"], "items": {"type": "string", "enum": webhook_events},
                       "description": "Events to send; absent or empty means all."},
            "secret": {"type": ["string", "null"], "minLength": 16, "maxLength": 256, "pattern": "^[\\x21-\\x7e]+$",
                       "description": "Signing secret; generated (and shown once) when absent."},
            "description": {"type": ["string", "null"], "maxLength": 256, "pattern": no_control}}},
    "WebhookEndpoint": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "url", "events", "description", "created_at"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "url": {"type": "string"},
            "events": {"type": "array", "items": {"type": "string", "enum": webhook_events}},
            "description": {"type": ["string", "null"]},
            "secret": {"type": "string", "description": "Only in the answer to createWebhookEndpoint."},
            "created_at": {"type": "string", "format": "date-time"}}},
    "WebhookEndpointList": {
        "type": "object", "required": ["items", "next_cursor"], "additionalProperties": False,
        "properties": {"items": {"type": "array", "items": ref("WebhookEndpoint")}, "next_cursor": {"type": "null"}}},
    "WebhookDelivery": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "event_id", "event_type", "status", "attempts", "last_status_code", "last_error",
                     "next_attempt_at", "delivered_at", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "event_id": {"type": "string", "format": "uuid", "description": "The `id` in the body; the same on every attempt."},
            "event_type": {"type": "string", "enum": webhook_events},
            "status": {"type": "string", "enum": ["pending", "delivered", "failed"]},
            "attempts": {"type": "integer"},
            "last_status_code": nullable({"type": "integer"}),
            "last_error": nullable({"type": "string"}),
            "next_attempt_at": nullable({"type": "string", "format": "date-time"}),
            "delivered_at": nullable({"type": "string", "format": "date-time"}),
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"}}},
    "WebhookDeliveryPage": {
        "type": "object", "required": ["items", "next_cursor"], "additionalProperties": False,
        "properties": {"items": {"type": "array", "items": ref("WebhookDelivery")}, "next_cursor": nullable({"type": "string"})}},
    "ShareList": {
        "type": "object", "required": ["items"], "additionalProperties": False,
        "properties": {"items": {"type": "array", "items": ref("Share")}}},
    "ShareUse": {
        "type": "object", "additionalProperties": True,
        "properties": {"passcode": {"type": "string"}}},
    "Playback": {
        "type": "object", "additionalProperties": False,
        "required": ["recording_id", "hls_url", "mp4_url", "download_url", "thumbnail_url", "storyboard_url", "captions",
                     "text_tracks", "expires_at"],
        "properties": {
            "recording_id": {"type": "string", "format": "uuid"},
            "hls_url": {"type": ["string", "null"], "description": "Tapedeck-served playlist; every segment URL in it is signed."},
            "mp4_url": {"type": ["string", "null"],
                        "description": "A signed URL of the whole MP4; null through a share without allow_download when HLS exists."},
            "download_url": {"type": ["string", "null"], "description": "The MP4 as an attachment named after the room and date."},
            "thumbnail_url": {"type": ["string", "null"]},
            "storyboard_url": {"type": ["string", "null"],
                               "description": "WebVTT index of hover-preview frames (`sprite#xywh=x,y,w,h` cues, the sprite URL signed)."},
            "captions": {"type": "array", "items": {
                "type": "object", "required": ["label", "url"], "additionalProperties": False,
                "properties": {"label": {"type": "string"}, "url": {"type": "string"}}}},
            "text_tracks": {"type": "array", "items": ref("TextTrack")},
            "files": {"type": "array", "description": "The provider's files beside the media (100ms' chat and summary), each an audited download link.",
                      "items": {"type": "object", "additionalProperties": False, "required": ["kind", "url", "size_bytes"],
                                "properties": {"kind": {"type": "string", "enum": ["chat", "summary"]}, "url": {"type": "string"},
                                               "size_bytes": nullable({"type": "integer"})}}},
            "expires_at": {"type": "string", "format": "date-time"},
            "expires_in": {"type": "integer", "minimum": 0,
                           "description": "Seconds from this answer until the URLs expire (renew by it, not by a local clock)."}}},
    "TextTrack": {
        "type": "object", "additionalProperties": False,
        "required": ["kind", "language", "label", "source", "cue_count", "url", "cues_url"],
        "properties": {
            "kind": {"type": "string", "enum": cue_kinds},
            "language": {"type": "string", "description": "BCP 47 tag."},
            "label": {"type": "string", "description": "The language's name, in English."},
            "source": {"type": "string", "enum": cue_sources},
            "cue_count": {"type": "integer"},
            "url": {"type": "string", "description": "The track as WebVTT (signed, expiring with the grant)."},
            "cues_url": {"type": "string",
                         "description": "The same track as JSON, `{\"cues\": [{cue_key, start_ms, end_ms, text, speaker, "
                                        "translation_of}]}`: what the player's transcript panel reads."}}},
    "CueInput": {
        "type": "object", "additionalProperties": False, "required": ["cue_key", "language", "text"],
        "properties": {
            "cue_key": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": no_control,
                        "description": "Idempotency key, unique per recording, kind and language: a retry or a final version replaces."},
            "kind": {"type": "string", "enum": cue_kinds,
                     "description": "Default `captions`, or `subtitles` when `translation_of` is set."},
            "language": {**language_schema, "description": "BCP 47."},
            "start_at": {"oneOf": [{"type": "string", "format": "date-time"}, {"type": "integer"}],
                         "description": "Wall clock (RFC 3339 or epoch ms); or give start_ms/end_ms."},
            "end_at": {"oneOf": [{"type": "string", "format": "date-time"}, {"type": "integer"}]},
            "start_ms": {"type": "integer", "minimum": 0, "description": "On the recording's media timeline."},
            "end_ms": {"type": "integer", "minimum": 0},
            "text": {"type": "string", "minLength": 1, "maxLength": 2000},
            "speaker": {"type": ["string", "null"], "maxLength": 200, "pattern": no_control},
            "speaker_identity": {"type": ["string", "null"], "maxLength": 256, "pattern": no_control},
            "final": {"type": "boolean", "default": True, "description": "Interim cues are replaced and never exported."},
            "translation_of": {"type": ["string", "null"], "maxLength": 128, "description": "The cue_key this one translates."}}},
    "CueBatch": {
        "type": "object", "additionalProperties": False, "required": ["cues"],
        "properties": {"cues": {"type": "array", "maxItems": 1000, "items": ref("CueInput")}}},
    "CueBatchResult": {
        "type": "object", "additionalProperties": False, "required": ["accepted", "recordings"],
        "properties": {"accepted": {"type": "integer"},
                       "recordings": {"type": "array", "items": {"type": "string", "format": "uuid"},
                                      "description": "The recordings the cues landed on; none while they wait for one."}}},
    "Cue": {
        "type": "object", "additionalProperties": False,
        "required": ["cue_key", "kind", "language", "start_ms", "end_ms", "text", "speaker", "speaker_identity", "source",
                     "final", "translation_of"],
        "properties": {
            "cue_key": {"type": "string"}, "kind": {"type": "string", "enum": cue_kinds}, "language": {"type": "string"},
            "start_ms": {"type": "integer"}, "end_ms": {"type": "integer"}, "text": {"type": "string"},
            "speaker": {"type": ["string", "null"]}, "speaker_identity": {"type": ["string", "null"]},
            "source": {"type": "string", "enum": cue_sources}, "final": {"type": "boolean"},
            "translation_of": {"type": ["string", "null"]}}},
    "CuePage": {
        "type": "object", "required": ["items", "next_cursor"], "additionalProperties": False,
        "properties": {"items": {"type": "array", "items": ref("Cue")}, "next_cursor": {"type": ["string", "null"]}}},
    "TextTrackList": {"type": "array", "items": ref("TextTrack")},
    "RecordingUpdate": {
        "type": "object", "additionalProperties": False,
        "properties": {"cue_offset_ms": {"type": "integer", "minimum": -3600000, "maximum": 3600000}}},
    "SearchPage": {
        "type": "object", "required": ["items", "next_cursor"], "additionalProperties": False,
        "properties": {
            "items": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["recording", "hit_count", "hits"],
                "properties": {
                    "recording": ref("Recording"),
                    "hit_count": {"type": "integer"},
                    "hits": {"type": "array", "items": {
                        "type": "object", "additionalProperties": False,
                        "required": ["start_ms", "end_ms", "language", "kind", "text", "speaker", "url"],
                        "properties": {
                            "start_ms": {"type": "integer"}, "end_ms": {"type": "integer"}, "language": {"type": "string"},
                            "kind": {"type": "string", "enum": cue_kinds}, "text": {"type": "string"},
                            "speaker": {"type": ["string", "null"]},
                            "url": {"type": "string", "description": "The player at that moment (`#t=` seconds)."}}}}}}},
            "next_cursor": {"type": ["string", "null"]}}},
    "Error": {
        "type": "object", "required": ["error"], "additionalProperties": False,
        "properties": {"error": {
            "type": "object", "required": ["code", "message"], "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "description": "Stable machine-readable code."},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "The parameter or body field at fault."}}}}},
    "Asset": {
        "type": "object", "additionalProperties": False,
        "required": ["kind", "key", "content_type", "size_bytes", "duration_ms"],
        "properties": {
            "kind": {"type": "string", "enum": ["hls", "mp4", "audio", "thumbnail", "storyboard", "captions", "manifest", "chat", "summary"],
                     "description": "chat and summary: the provider's files beside the media (100ms), downloaded through the playback grant's files."},
            "key": {"type": "string"},
            "content_type": {"type": "string"},
            "size_bytes": nullable({"type": "integer"}),
            "duration_ms": nullable({"type": "integer"})}},
    "Recording": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "room", "session_key", "provider", "title", "status", "layout", "audio_only", "started_at",
                     "ended_at", "duration_ms", "size_bytes", "error", "limit_reached", "assets", "created_at",
                     "updated_at", "on_hold", "media_started_at", "cue_offset_ms", "paused", "paused_at", "pauses"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "room": {"type": "string"},
            "session_key": nullable({"type": "string"}),
            "provider": {"type": "string"},
            "title": nullable({"type": "string"}),
            "on_hold": {"type": "boolean", "description": "Kept from retention whatever its age."},
            "media_started_at": nullable({"type": "string", "format": "date-time",
                                          "description": "When the recorder's files begin; wall-clock cues are placed by it."}),
            "cue_offset_ms": {"type": "integer", "description": "Added to wall-clock cues' media times (PATCH to adjust)."},
            "paused": {"type": "boolean", "description": "Paused now (POST .../pause); only an active recording is."},
            "paused_at": nullable({"type": "string", "format": "date-time", "description": "When the current pause began."}),
            "pauses": {"type": "array", "description": "Every paused stretch, oldest first; not in the media, and taken out of "
                                                       "wall-clock cues' media times (a cue said during one lands at the cut, with no length).",
                       "items": {"type": "object", "additionalProperties": False, "required": ["started_at", "ended_at"],
                                 "properties": {"started_at": {"type": "string", "format": "date-time"},
                                                "ended_at": nullable({"type": "string", "format": "date-time",
                                                                      "description": "null while paused (or when it stopped paused)."})}}},
            "status": {"type": "string", "enum": statuses},
            "layout": nullable({"type": "string"}),
            "audio_only": {"type": "boolean"},
            "started_at": nullable({"type": "string", "format": "date-time"}),
            "ended_at": nullable({"type": "string", "format": "date-time"}),
            "duration_ms": nullable({"type": "integer"}),
            "size_bytes": nullable({"type": "integer"}),
            "error": nullable({"type": "string"}),
            "limit_reached": {"type": "boolean", "description": "Stopped at a limit: usable but truncated."},
            "assets": {"type": "array", "items": ref("Asset")},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"}}},
    "RecordingPage": {
        "type": "object", "additionalProperties": False, "required": ["items", "next_cursor"],
        "properties": {"items": {"type": "array", "items": ref("Recording")},
                       "next_cursor": nullable({"type": "string"})}},
    "Event": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "recording_id", "session_id", "type", "actor", "data", "at"],
        "properties": {
            "id": {"type": "integer"},
            "recording_id": nullable({"type": "string", "format": "uuid"}),
            "session_id": nullable({"type": "string", "format": "uuid"}),
            "type": {"type": "string"},
            "actor": {"type": "string"},
            "data": {"type": "object"},
            "at": {"type": "string", "format": "date-time"}}},
    "EventPage": {
        "type": "object", "additionalProperties": False, "required": ["items", "next_cursor"],
        "properties": {"items": {"type": "array", "items": ref("Event")},
                       "next_cursor": nullable({"type": "string"})}},
    "Policy": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "start": {"type": "string", "enum": ["always", "when_host_joins", "manual"]},
            "stop": {"type": "string", "enum": ["room_empty", "host_left", "room_finished"]},
            "max_duration_s": nullable({"type": "integer", "minimum": 10, "maximum": 604800}),
            "layout": {"type": "string", "enum": ["grid", "speaker", "single-speaker", "grid-light", "speaker-light",
                                                   "single-speaker-light"]},
            "audio_only": {"type": "boolean"},
            "outputs": {"type": "array", "minItems": 1, "maxItems": 2, "uniqueItems": True,
                        "items": {"type": "string", "enum": ["hls", "mp4"]}},
            "segment_duration_s": {"type": "integer", "minimum": 1, "maximum": 30},
            "preset": nullable({"type": "string", "enum": ["H264_720P_30", "H264_720P_60", "H264_1080P_30",
                                                            "H264_1080P_60", "PORTRAIT_H264_720P_30",
                                                            "PORTRAIT_H264_720P_60", "PORTRAIT_H264_1080P_30",
                                                            "PORTRAIT_H264_1080P_60"]}),
            "hosts": {"type": "array", "maxItems": 1000, "items": {"type": "string", "minLength": 1, "maxLength": 256}},
            "host_roles": {"type": "array", "maxItems": 50, "items": {"type": "string", "minLength": 1, "maxLength": 64}},
            "retain_days": nullable({"type": "integer", "minimum": 1, "maximum": 36500}),
            "notify": {"type": "string", "enum": ["participants", "invitees", "none"],
                       "description": "Who is emailed a personal link when a recording is ready: `invitees` (the room's and "
                                      "the recording's), `participants` (those, plus the session's participants whose viewer "
                                      "token carried an email), or nobody."},
            "invite_link_ttl_s": {"type": "integer", "minimum": 3600, "maximum": 31622400,
                                  "description": "How long an emailed personal link works."},
        }},
    # Stricter than what is accepted (see EmailAddress), so that every address it allows is one.
    "EmailAddress": {
        "type": "string", "minLength": 3, "maxLength": 254,
        "pattern": "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,32}(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,15}){0,2}"
                   "@[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?){1,4}$",
        "description": "ASCII `local@domain` (dot-atom, no quoted parts, comments or IP literals); stored lowercased."},
    "Invitee": {
        "type": "object", "additionalProperties": False, "required": ["email"],
        "properties": {
            "email": ref("EmailAddress"),
            "name": nullable({"type": "string", "minLength": 1, "maxLength": 200, "pattern": no_line_break}),
            "role": nullable({"type": "string", "minLength": 1, "maxLength": 64, "pattern": no_line_break})}},
    "InviteeList": {
        "type": "object", "additionalProperties": False, "required": ["invitees"],
        "properties": {"invitees": {"type": "array", "maxItems": 5000, "items": ref("Invitee")}}},
    "AccessRequest": {
        "type": "object", "additionalProperties": False, "required": ["email"],
        "properties": {"email": ref("EmailAddress")}},
    "AccessRequestAccepted": {
        "type": "object", "additionalProperties": False, "required": ["status", "message"],
        "properties": {"status": {"type": "string", "enum": ["accepted"]}, "message": {"type": "string"}}},
    "Email": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "kind", "status", "recipient", "name", "subject", "text", "html", "recording_id", "share_id",
                     "message_id", "attempts", "last_error", "created_at", "updated_at", "sent_at"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "kind": {"type": "string", "enum": ["invite", "access_link"]},
            "status": {"type": "string", "enum": ["queued", "sending", "sent", "failed", "skipped"]},
            "recipient": {"type": "string"},
            "name": nullable({"type": "string"}),
            "subject": {"type": "string"},
            "text": {"type": "string", "description": "The plain-text body, with the personal link left out."},
            "html": {"type": "string", "description": "The HTML body, with the personal link left out."},
            "recording_id": nullable({"type": "string", "format": "uuid"}),
            "share_id": nullable({"type": "string", "format": "uuid"}),
            "message_id": {"type": "string", "description": "The Message-ID, the same on every attempt."},
            "attempts": {"type": "integer", "minimum": 0},
            "last_error": nullable({"type": "string", "description": "The mail server's last refusal."}),
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "sent_at": nullable({"type": "string", "format": "date-time"})}},
    "EmailPage": {
        "type": "object", "additionalProperties": False, "required": ["items", "next_cursor"],
        "properties": {"items": {"type": "array", "items": ref("Email")},
                       "next_cursor": nullable({"type": "string"})}},
    "RoomPolicy": {
        "type": "object", "additionalProperties": False, "required": ["room", "source", "policy"],
        "properties": {"room": {"type": "string"},
                       "source": {"type": "string", "enum": ["room", "default"]},
                       "policy": ref("Policy")}},
    "StartRecording": {
        "type": "object", "additionalProperties": False, "required": ["room"],
        "properties": {
            "room": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": no_control},
            "layout": {"type": "string", "enum": ["grid", "speaker", "single-speaker", "grid-light", "speaker-light",
                                                   "single-speaker-light"]},
            "audio_only": {"type": "boolean"},
            "outputs": {"type": "array", "minItems": 1, "maxItems": 2, "uniqueItems": True,
                        "items": {"type": "string", "enum": ["hls", "mp4"]}},
            "max_duration_s": {"type": "integer", "minimum": 10, "maximum": 604800},
            "title": {"type": "string", "maxLength": 300, "pattern": no_control},
            "provider": {"type": "string", "enum": ["livekit", "100ms", "local"], "default": "livekit",
                         "description": "`100ms`: 100ms' recorder, for a room 100ms has reported through its webhooks "
                                        "(`layout` and `outputs` are LiveKit's). `local`: Tapedeck records `input` "
                                        "itself with ffmpeg. Required when the name is a room of both LiveKit and 100ms "
                                        "(409 `ambiguous_room` without it)."},
            "input": {"type": "string", "maxLength": 2048,
                      "description": "For `local`: synthetic://, file:///path, rtmp://, rtmps://, rtsp://, srt://, http(s)://."},
            "participants": {"type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1, "maxLength": 256},
                             "description": "For `local`: identities that took part and may watch with a viewer token."}}},
    "Health": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
    "Readiness": {
        "type": "object", "required": ["status", "checks"],
        "properties": {"status": {"type": "string", "enum": ["ready", "unavailable"]},
                       "checks": {"type": "object", "additionalProperties": {"type": "string"}}}},
}

paths = {
    "/healthz": {"get": {"operationId": "health", "summary": "The process is up.", "security": [],
                         "responses": ok("Health")}},
    "/readyz": {"get": {"operationId": "ready", "summary": "Database, storage and tools are usable.",
                        "security": [],
                        "responses": {**ok("Readiness"),
                                      "503": {"description": "Not ready; `checks` says why.",
                                              "content": {"application/json": {"schema": ref("Readiness")}}}}}},
    "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus metrics.", "security": [],
                         "responses": {"200": {"description": "Prometheus text format.",
                                               "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
    "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document.", "security": [],
                              "responses": {"200": {"description": "OpenAPI 3.1 document.",
                                                    "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/v1/recordings": {
        "post": {"operationId": "startRecording",
                 "summary": "Start recording a room now (the room's policy, with these choices on top). An admin key, "
                            "or the viewer token of one of the room's hosts (403 `not_a_host` for other viewers).",
                 "security": viewer_or_admin,
                 "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                                 "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                                 "description": "Repeating a start with the same key returns the same recording."}],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref("StartRecording")}}},
                 "responses": {**ok("Recording", "Starting: the recorder is being started.", "202"),
                               **ok("Recording", "Already started with this Idempotency-Key."),
                               **error_responses("400", "401", "403", "404", "409", "413", "415", "503")}},
        "get": {"operationId": "listRecordings", "summary": "Recordings, newest first.", "security": admin,
                "parameters": [
                    room_filter_param,
                    {"name": "status", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": statuses},
                     "description": "Without it, every status except `deleted`."},
                    limit_param(20, 100), cursor_param],
                "responses": {**ok("RecordingPage"), **error_responses("400", "401", "503")}}},
    "/v1/recordings/{id}": {
        "get": {"operationId": "getRecording", "summary": "One recording with its assets (admins, and viewers who took part).",
                "security": viewer_or_admin,
                "parameters": [uuid_param],
                "responses": {**ok("Recording"), **error_responses("400", "401", "404", "503")}},
        "delete": {"operationId": "deleteRecording",
                   "summary": "Mark deleted and delete its stored objects in the background. Idempotent.",
                   "security": admin, "parameters": [uuid_param],
                   "responses": {**ok("Recording", "Marked deleted; objects are being removed.", "202"),
                                 **error_responses("400", "401", "404", "409", "503")}},
        "patch": {"operationId": "updateRecording",
                  "summary": "Adjust the recording: `cue_offset_ms` moves every wall-clock cue at once.",
                  "security": admin, "parameters": [uuid_param],
                  "requestBody": {"required": True, "content": {"application/json": {"schema": ref("RecordingUpdate")}}},
                  "responses": {**ok("Recording"), **error_responses("400", "401", "404", "413", "415", "503")}}},
    "/v1/rooms/{name}/cues": {
        "post": {"operationId": "postLiveCues",
                 "summary": "Cues of the room's session as it happens, with wall-clock times: attached to the recording "
                            "covering each one, or kept for the session until one does. An admin key, or the viewer token "
                            "of someone taking part (404 for others). Idempotent by cue_key.",
                 "security": viewer_or_admin, "parameters": [room_param, room_provider_param],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref("CueBatch")}}},
                 "responses": {**ok("CueBatchResult"), **error_responses("400", "401", "404", "409", "413", "415", "503")}}},
    "/v1/recordings/{id}/cues": {
        "post": {"operationId": "postRecordingCues",
                 "summary": "Cues for one recording, with media times (start_ms) or wall-clock ones. Idempotent by cue_key.",
                 "security": admin, "parameters": [uuid_param],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref("CueBatch")}}},
                 "responses": {**ok("CueBatchResult"), **error_responses("400", "401", "404", "413", "415", "503")}},
        "get": {"operationId": "listRecordingCues",
                "summary": "The recording's final cues in playback order (admins, and viewers who took part).",
                "security": viewer_or_admin,
                "parameters": [uuid_param, kind_query, language_query,
                               {"name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 200},
                                "description": "Only cues holding every word."},
                               {"name": "after", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0},
                                "description": "Media milliseconds: skip cues starting before."},
                               limit_param(500, 5000), cursor_param],
                "responses": {**ok("CuePage"), **error_responses("400", "401", "404", "503")}}},
    "/v1/recordings/{id}/captions": {
        "post": {"operationId": "uploadCaptions",
                 "summary": "A WebVTT, SRT or 100ms transcript file as the body: replaces the track's earlier file.",
                 "security": admin,
                 "parameters": [uuid_param, {**language_query, "required": True}, kind_query],
                 "requestBody": {"required": True, "content": {"text/vtt": {"schema": {"type": "string"}},
                                                               "application/x-subrip": {"schema": {"type": "string"}},
                                                               "application/json": {"schema": {"type": "object"}}}},
                 "responses": {**ok("CueBatchResult"), **error_responses("400", "401", "404", "413", "503")}}},
    "/v1/recordings/{id}/text-tracks": {
        "get": {"operationId": "listTextTracks",
                "summary": "The recording's cue tracks, each with a signed WebVTT URL.",
                "security": viewer_or_admin, "parameters": [uuid_param],
                "responses": {**ok("TextTrackList"), **error_responses("400", "401", "404", "409", "503")}}},
    "/v1/search": {
        "get": {"operationId": "searchCues",
                "summary": "Recordings whose transcripts hold every word, best first, with their hits. API keys search "
                           "everything; a viewer token only what its holder may watch.",
                "security": viewer_or_admin,
                "parameters": [{"name": "q", "in": "query", "required": True,
                                "schema": {"type": "string", "minLength": 1, "maxLength": 200}},
                               {"name": "room", "in": "query", "required": False,
                                "schema": {"type": "string", "maxLength": 256, "pattern": no_control}},
                               language_query, limit_param(10, 50), cursor_param],
                "responses": {**ok("SearchPage"), **error_responses("400", "401", "503")}}},
    "/text-tracks/{id}/{kind}/{file}": {
        "get": {"operationId": "getSignedTextTrack",
                "summary": "A cue track as WebVTT (`{language}.vtt`), or as an HLS subtitle playlist (`{language}.m3u8`); "
                           "the link comes from getPlayback or listTextTracks.",
                "security": [],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "kind", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "file", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "expires", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "share", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "sig", "in": "query", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The track.",
                                      "content": {"text/vtt": {"schema": {"type": "string"}},
                                                  "application/vnd.apple.mpegurl": {"schema": {"type": "string"}}}},
                              **error_responses("403", "404", "410", "503")}}},
    "/v1/recordings/{id}/hold": {
        "put": {"operationId": "holdRecording", "summary": "Put on hold: retention never deletes it.",
                "security": admin, "parameters": [uuid_param],
                "responses": {**ok("Recording"), **error_responses("400", "401", "404", "503")}},
        "delete": {"operationId": "releaseRecording", "summary": "Release the hold.",
                   "security": admin, "parameters": [uuid_param],
                   "responses": {**ok("Recording"), **error_responses("400", "401", "404", "503")}}},
    "/v1/recordings/{id}/stop": {
        "post": {"operationId": "stopRecording",
                 "summary": "Stop a recording (an admin key or a host's viewer token). Stopping a stopped recording is a no-op.",
                 "security": viewer_or_admin, "parameters": [uuid_param],
                 "responses": {**ok("Recording", "Stopping."), **ok("Recording", "Stopping.", "202"),
                               **error_responses("400", "401", "403", "404", "503")}}},
    "/v1/recordings/{id}/pause": {
        "post": {"operationId": "pauseRecording",
                 "summary": "Pause a 100ms recording (same callers as stop): it keeps recording status and its file leaves the paused stretch out; "
                            "the events log has recording.paused, and the recording says `paused` with the stretch in `pauses`. Pausing a paused recording is a no-op; "
                            "LiveKit and local recordings answer 409 pause_not_supported; past 100 pauses, 409 too_many_pauses; "
                            "while another pause or resume of the recording is with 100ms, 409 pause_in_progress (retry once it is answered).",
                 "security": viewer_or_admin, "parameters": [uuid_param],
                 "responses": {**ok("Recording"), **error_responses("400", "401", "403", "404", "409", "503")}}},
    "/v1/recordings/{id}/resume": {
        "post": {"operationId": "resumeRecording",
                 "summary": "Resume a paused 100ms recording (recording.resumed in the events log); 409 pause_in_progress while another pause or resume of it is with 100ms.",
                 "security": viewer_or_admin, "parameters": [uuid_param],
                 "responses": {**ok("Recording"), **error_responses("400", "401", "403", "404", "409", "503")}}},
    "/v1/rooms/{name}/policy": {
        "get": {"operationId": "getRoomPolicy",
                "summary": "The room's recording policy (its own, or the default); 409 when its stored policy cannot be read.",
                "security": admin, "parameters": [room_param, room_provider_param],
                "responses": {**ok("RoomPolicy"), **error_responses("400", "401", "409", "503")}},
        "put": {"operationId": "setRoomPolicy",
                "summary": "Set the room's policy; fields left out take the default's values.",
                "security": admin, "parameters": [room_param, room_provider_param],
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref("Policy")}}},
                "responses": {**ok("RoomPolicy"), **error_responses("400", "401", "409", "413", "415", "503")}},
        "delete": {"operationId": "resetRoomPolicy", "summary": "Return the room to the default policy.",
                   "security": admin, "parameters": [room_param, room_provider_param],
                   "responses": {**ok("RoomPolicy"), **error_responses("400", "401", "409", "503")}}},
    "/v1/rooms/{name}/invitees": {
        "get": {"operationId": "getRoomInvitees",
                "summary": "Who is emailed a personal link to each recording of the room when it is ready.",
                "security": admin, "parameters": [room_param, room_provider_param],
                "responses": {**ok("InviteeList"), **error_responses("400", "401", "409", "503")}},
        "put": {"operationId": "setRoomInvitees",
                "summary": "Replace the room's invitees (checked entry by entry, de-duplicated without case).",
                "security": admin, "parameters": [room_param, room_provider_param],
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref("InviteeList")}}},
                "responses": {**ok("InviteeList"), **error_responses("400", "401", "409", "413", "415", "503")}}},
    "/v1/recordings/{id}/invitees": {
        "get": {"operationId": "getRecordingInvitees",
                "summary": "The recording's own invitees (besides its room's); admins and the session's hosts.",
                "security": viewer_or_admin, "parameters": [uuid_param],
                "responses": {**ok("InviteeList"), **error_responses("400", "401", "404", "503")}},
        "put": {"operationId": "setRecordingInvitees",
                "summary": "Replace the recording's own invitees; on a ready recording the new ones are emailed now.",
                "security": viewer_or_admin, "parameters": [uuid_param],
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref("InviteeList")}}},
                "responses": {**ok("InviteeList"), **error_responses("400", "401", "404", "413", "415", "503")}}},
    "/v1/recordings/{id}/access-requests": {
        "post": {"operationId": "requestAccessLink",
                 "summary": "Ask for a personal link by email. The same 202 whether or not the address is invited (or the "
                            "recording exists); an invitee or participant is emailed a fresh link. Rate-limited per address and IP.",
                 "security": [], "parameters": [uuid_param],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref("AccessRequest")}}},
                 "responses": {**ok("AccessRequestAccepted", "Accepted (whatever the address).", "202"),
                               **error_responses("400", "413", "415", "429", "503")}}},
    "/v1/emails": {
        "get": {"operationId": "listEmails",
                "summary": "The outbox, newest first: invitations and requested links with their delivery state.",
                "security": admin,
                "parameters": [
                    {"name": "status", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": ["queued", "sending", "sent", "failed", "skipped"]}},
                    limit_param(50, 200), cursor_param],
                "responses": {**ok("EmailPage"), **error_responses("400", "401", "503")}}},
    "/v1/viewer-tokens": {
        "post": {"operationId": "createViewerToken",
                 "summary": "Mint a viewer token (for backends that do not hold TAPEDECK_VIEWER_SECRET).",
                 "security": admin,
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref("ViewerTokenRequest")}}},
                 "responses": {**ok("ViewerToken", "Created.", "201"),
                               **error_responses("400", "401", "413", "415", "503")}}},
    "/v1/me/recordings": {
        "get": {"operationId": "listMyRecordings",
                "summary": "The recordings the viewer may watch, newest first (viewer token): their sessions', and every recording of their organization's rooms where its access rule lets them.",
                "security": [{"viewerToken": []}],
                "parameters": [
                    room_filter_param,
                    {"name": "status", "in": "query", "required": False, "schema": {"type": "string", "enum": statuses}},
                    limit_param(20, 100), cursor_param],
                "responses": {**ok("RecordingPage"), **error_responses("400", "401", "403", "503")}}},
    "/v1/recordings/{id}/playback": {
        "get": {"operationId": "getPlayback",
                "summary": "Short-lived URLs to watch or download the recording; each grant is audited.",
                "security": viewer_or_admin, "parameters": [uuid_param],
                "responses": {**ok("Playback"), **error_responses("400", "401", "404", "409", "503")}}},
    "/v1/rooms/{name}/recording-status": {
        "get": {"operationId": "getRoomRecordingStatus",
                "summary": "Whether the room is being recorded now (for a meeting UI's indicator).",
                "security": viewer_or_admin, "parameters": [room_param, room_provider_param],
                "responses": {**ok("RecordingStatus"), **error_responses("400", "401", "404", "409", "503")}}},
    "/v1/recordings/{id}/shares": {
        "post": {"operationId": "createShare",
                 "summary": "Create a share link (admins and the session's hosts).",
                 "security": viewer_or_admin, "parameters": [uuid_param],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref("ShareRequest")}}},
                 "responses": {**ok("Share", "Created; `url` is shown only now.", "201"),
                               **error_responses("400", "401", "404", "413", "415", "503")}},
        "get": {"operationId": "listShares", "summary": "The recording's share links, newest first.",
                "security": viewer_or_admin, "parameters": [uuid_param],
                "responses": {**ok("ShareList"), **error_responses("400", "401", "404", "503")}}},
    "/v1/shares/{id}": {
        "delete": {"operationId": "revokeShare", "summary": "Revoke a share link at once. Idempotent.",
                   "security": viewer_or_admin, "parameters": [uuid_param],
                   "responses": {**ok("Share"), **error_responses("400", "401", "404", "503")}}},
    "/v1/share-links/{token}/playback": {
        "post": {"operationId": "playShare",
                 "summary": "Playback URLs through a share link (with its passcode, and a viewer token when the share names an email).",
                 "security": [],
                 "parameters": [{"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}],
                 "requestBody": {"required": False, "content": {"application/json": {"schema": ref("ShareUse")}}},
                 "responses": {**ok("Playback"),
                               "410": {"description": "The link expired or was revoked.",
                                       "content": {"application/json": {"schema": ref("Error")}}},
                               **error_responses("400", "401", "403", "404", "409", "413", "415", "429", "503")}}},
    "/download/{id}/{asset}": {
        "get": {"operationId": "download",
                "summary": "Records the download in the audit log, then redirects to the file as an attachment (the link comes from getPlayback).",
                "security": [],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "asset", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "expires", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "by", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "sig", "in": "query", "required": False, "schema": {"type": "string"}}],
                "responses": {"302": {"description": "To the file's short-lived signed URL."},
                              **error_responses("403", "404", "503")}}},
    "/playback/{id}/{playlist}": {
        "get": {"operationId": "getSignedPlaylist",
                "summary": "An HLS playlist with every segment URL signed (the link comes from getPlayback).",
                "security": [],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "playlist", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "expires", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "sig", "in": "query", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The playlist.",
                                      "content": {"application/vnd.apple.mpegurl": {"schema": {"type": "string"}}}},
                              **error_responses("403", "404", "502", "503")}}},
    "/storyboard/{id}/{index}": {
        "get": {"operationId": "getSignedStoryboard",
                "summary": "A storyboard index (WebVTT) with its sprite sheet URL signed (the link comes from getPlayback).",
                "security": [],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "index", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "expires", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "sig", "in": "query", "required": False, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The index.", "content": {"text/vtt": {"schema": {"type": "string"}}}},
                              **error_responses("403", "404", "503")}}},
    "/share-object/{id}/{use}": {
        "get": {"operationId": "getSharedObject",
                "summary": "A segment, sprite or file granted through a share on cloud storage: the share is checked, "
                           "then a redirect to a briefly signed bucket URL (the link comes from a share's grant).",
                "security": [],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "use", "in": "path", "required": True, "schema": {"type": "string", "enum": ["segment", "file"]}},
                    {"name": "key", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "expires", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "share", "in": "query", "required": False, "schema": {"type": "string"}},
                    {"name": "sig", "in": "query", "required": False, "schema": {"type": "string"}}],
                "responses": {"302": {"description": "To the object in the bucket."},
                              **error_responses("403", "404", "410", "503")}}},
    "/v1/webhook-endpoints": {
        "post": {"operationId": "createWebhookEndpoint",
                 "summary": "Send events to a URL, signed with HMAC-SHA256 (Tapedeck-Signature over `timestamp.body`).",
                 "security": admin,
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref("WebhookEndpointRequest")}}},
                 "responses": {**ok("WebhookEndpoint", "Created; `secret` is shown only now.", "201"),
                               **error_responses("400", "401", "403", "413", "415", "503")}},
        "get": {"operationId": "listWebhookEndpoints", "summary": "Every webhook endpoint, oldest first.",
                "security": admin,
                "responses": {**ok("WebhookEndpointList"), **error_responses("401", "403", "503")}}},
    "/v1/webhook-endpoints/{id}": {
        "get": {"operationId": "getWebhookEndpoint", "summary": "One webhook endpoint.",
                "security": admin, "parameters": [uuid_param],
                "responses": {**ok("WebhookEndpoint"), **error_responses("400", "401", "403", "404", "503")}},
        "delete": {"operationId": "deleteWebhookEndpoint", "summary": "Stop sending to the endpoint; its delivery log goes with it.",
                   "security": admin, "parameters": [uuid_param],
                   "responses": {"204": {"description": "Deleted."}, **error_responses("400", "401", "403", "404", "503")}}},
    "/v1/webhook-endpoints/{id}/deliveries": {
        "get": {"operationId": "listWebhookDeliveries",
                "summary": "The endpoint's delivery log, newest first: status, attempts, last status code and error.",
                "security": admin, "parameters": [uuid_param, limit_param(20, 100), cursor_param],
                "responses": {**ok("WebhookDeliveryPage"), **error_responses("400", "401", "403", "404", "503")}}},
    "/v1/recordings/{id}/events": {
        "get": {"operationId": "listRecordingEvents", "summary": "The recording's audit log, oldest first.",
                "security": admin, "parameters": [uuid_param, limit_param(50, 500), cursor_param],
                "responses": {**ok("EventPage"), **error_responses("400", "401", "404", "503")}}},
}

# Organizations: tenants of one installation (see README, "Organizations").
org_slug = {"type": "string", "minLength": 1, "maxLength": 63, "pattern": "^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$"}
org_name = {"type": "string", "minLength": 1, "maxLength": 200, "pattern": no_control}
access_rules = ["participants", "members", "admins"]
schemas.update({
    "OrganizationRequest": {
        "type": "object", "required": ["slug", "name"], "additionalProperties": False,
        "properties": {
            "slug": {**org_slug, "description": "Lower-case letters, digits and inner hyphens; never changes."},
            "name": org_name,
            "access_rule": {"type": ["string", "null"], "enum": access_rules + [None], "default": "participants",
                            "description": "participants: those who took part; members: every member of the organization; "
                                           "admins: members their own sessions, the organization's admins all."},
            "allow_global_viewer_secret": {"type": ["boolean", "null"], "default": False,
                                           "description": "Whether tokens signed with TAPEDECK_VIEWER_SECRET count for its rooms (null: false)."},
            "retain_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 36500,
                            "description": "The organization's default retention; a room's policy overrides it."}}},
    "OrganizationUpdate": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "name": {**org_name, "type": ["string", "null"]},
            "access_rule": {"type": ["string", "null"], "enum": access_rules + [None], "description": "null or left out: unchanged."},
            "allow_global_viewer_secret": {"type": ["boolean", "null"], "description": "null or left out: unchanged."},
            "retain_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 36500}}},
    "ViewerSecret": {
        "type": "object", "required": ["kid", "secret"], "additionalProperties": False,
        "properties": {
            "kid": {"type": "string", "description": "Put it in the token's JWT header as `kid`."},
            "secret": {"type": "string", "description": "The HS256 key; shown only in this answer."},
            "previous_expire_at": {"type": "string", "format": "date-time",
                                   "description": "When the secrets it replaces stop being accepted (a rotation)."}}},
    "Organization": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "slug", "name", "access_rule", "allow_global_viewer_secret", "retain_days", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "slug": org_slug, "name": {"type": "string"},
            "access_rule": {"type": "string", "enum": access_rules},
            "allow_global_viewer_secret": {"type": "boolean"},
            "retain_days": {"type": ["integer", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "viewer_secret": {**ref("ViewerSecret"), "description": "Only in the answer to createOrganization."}}},
    "OrganizationList": {
        "type": "object", "required": ["items", "next_cursor"], "additionalProperties": False,
        "properties": {"items": {"type": "array", "items": ref("Organization")}, "next_cursor": {"type": "null"}}},
    "OrganizationKeyRequest": {
        "type": "object", "required": ["name"], "additionalProperties": False,
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": no_control}}},
    "OrganizationKey": {
        "type": "object", "additionalProperties": False,
        "required": ["id", "name", "organization_id", "created_at", "last_used_at", "revoked_at"],
        "properties": {
            "id": {"type": "string", "format": "uuid"}, "name": {"type": "string"},
            "organization_id": {"type": ["string", "null"], "format": "uuid"},
            "key": {"type": "string", "description": "Only in the answer to createOrganizationKey; stored hashed."},
            "created_at": {"type": "string", "format": "date-time"},
            "last_used_at": {"type": ["string", "null"], "format": "date-time"},
            "revoked_at": {"type": ["string", "null"], "format": "date-time"}}},
    "OrganizationKeyList": {
        "type": "object", "required": ["items", "next_cursor"], "additionalProperties": False,
        "properties": {"items": {"type": "array", "items": ref("OrganizationKey")}, "next_cursor": {"type": "null"}}},
    "ViewerSecretRotation": {
        "type": "object", "additionalProperties": False,
        "properties": {"overlap_s": {"type": ["integer", "null"], "minimum": 0, "maximum": 2592000, "default": 86400,
                                     "description": "How long tokens signed with the earlier secrets are still accepted (null: the default)."}}},
    "OrganizationUsage": {
        "type": "object", "additionalProperties": False, "required": ["organization_id", "from", "to", "days"],
        "properties": {
            "organization_id": {"type": "string", "format": "uuid"},
            "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
            "days": {"type": "array", "items": {
                "type": "object", "additionalProperties": False,
                "required": ["date", "hours_recorded", "bytes_stored", "views", "failed_recordings"],
                "properties": {
                    "date": {"type": "string", "format": "date"},
                    "hours_recorded": {"type": "number", "minimum": 0,
                                       "description": "Length of the recordings that ended that day (failed ones excluded)."},
                    "bytes_stored": {"type": "integer", "minimum": 0, "description": "Bytes of its recordings in storage at the day's end."},
                    "views": {"type": "integer", "minimum": 0, "description": "Playback grants and share-link uses."},
                    "failed_recordings": {"type": "integer", "minimum": 0}}}}}},
    "RoomOrganizationRequest": {
        "type": "object", "required": ["organization"], "additionalProperties": False,
        "properties": {"organization": {"oneOf": [org_slug, {"type": "null"}],
                                        "description": "The organization's slug, or null for none (global keys only)."}}},
    "RoomOrganization": {
        "type": "object", "additionalProperties": False,
        "required": ["room", "provider", "organization", "organization_id", "created_at"],
        "properties": {
            "room": {"type": "string"}, "provider": {"type": "string"},
            "organization": {"type": ["string", "null"]},
            "organization_id": {"type": ["string", "null"], "format": "uuid"},
            "created_at": {"type": "string", "format": "date-time"}}},
})
org_id_param = {**uuid_param, "description": "The organization's id."}
paths.update({
    "/v1/organizations": {
        "post": {"operationId": "createOrganization",
                 "summary": "Create an organization (global key); its first viewer-token secret is shown only in this answer.",
                 "security": admin,
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref("OrganizationRequest")}}},
                 "responses": {**ok("Organization", "Created; `viewer_secret` is shown only now.", "201"),
                               **error_responses("400", "401", "403", "409", "413", "415", "503")}},
        "get": {"operationId": "listOrganizations",
                "summary": "Every organization (global key); an organization's key sees its own only.",
                "security": admin,
                "responses": {**ok("OrganizationList"), **error_responses("401", "503")}}},
    "/v1/organizations/{id}": {
        "get": {"operationId": "getOrganization", "summary": "One organization (global key, or that organization's key).",
                "security": admin, "parameters": [org_id_param],
                "responses": {**ok("Organization"), **error_responses("400", "401", "404", "503")}},
        "patch": {"operationId": "updateOrganization", "summary": "Change name, access rule, global-secret use or retention (global key).",
                  "security": admin, "parameters": [org_id_param],
                  "requestBody": {"required": True, "content": {"application/json": {"schema": ref("OrganizationUpdate")}}},
                  "responses": {**ok("Organization"), **error_responses("400", "401", "403", "404", "413", "415", "503")}},
        "delete": {"operationId": "deleteOrganization",
                   "summary": "Delete an organization no room belongs to (409 `organization_not_empty` otherwise); "
                              "its keys are revoked and its webhook endpoints deleted.",
                   "security": admin, "parameters": [org_id_param],
                   "responses": {"204": {"description": "Deleted."}, **error_responses("400", "401", "403", "404", "409", "503")}}},
    "/v1/organizations/{id}/keys": {
        "post": {"operationId": "createOrganizationKey",
                 "summary": "An API key limited to the organization; `key` is shown only in this answer.",
                 "security": admin, "parameters": [org_id_param],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref("OrganizationKeyRequest")}}},
                 "responses": {**ok("OrganizationKey", "Created.", "201"),
                               **error_responses("400", "401", "403", "404", "413", "415", "503")}},
        "get": {"operationId": "listOrganizationKeys", "summary": "The organization's keys, never their secrets (global key).",
                "security": admin, "parameters": [org_id_param],
                "responses": {**ok("OrganizationKeyList"), **error_responses("400", "401", "403", "404", "503")}}},
    "/v1/organizations/{id}/viewer-secrets/rotate": {
        "post": {"operationId": "rotateOrganizationViewerSecret",
                 "summary": "A new viewer-token secret (shown once); the earlier ones are accepted for `overlap_s` more.",
                 "security": admin, "parameters": [org_id_param],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": ref("ViewerSecretRotation")}}},
                 "responses": {**ok("ViewerSecret", "Created.", "201"),
                               **error_responses("400", "401", "403", "404", "413", "415", "503")}}},
    "/v1/organizations/{id}/usage": {
        "get": {"operationId": "getOrganizationUsage",
                "summary": "Per UTC day: hours recorded, bytes stored, views, failed recordings (global key, or that organization's key).",
                "security": admin,
                "parameters": [org_id_param,
                               {"name": "from", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
                                "description": "First day (UTC), included; 29 days before `to` when left out."},
                               {"name": "to", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
                                "description": "Last day (UTC), included; today when left out. At most 366 days."}],
                "responses": {**ok("OrganizationUsage"), **error_responses("400", "401", "404", "503")}}},
    "/v1/rooms/{name}": {
        "put": {"operationId": "setRoomOrganization",
                "summary": "Put a room in an organization (or none), creating it when new. An organization's key creates rooms "
                           "in its own organization only; a name someone else holds is 409 `room_name_taken`.",
                "security": admin, "parameters": [room_param, room_provider_param],
                "requestBody": {"required": True, "content": {"application/json": {"schema": ref("RoomOrganizationRequest")}}},
                "responses": {**ok("RoomOrganization"), **error_responses("400", "401", "409", "413", "415", "503")}}},
})

document = {
    "openapi": "3.1.0",
    "info": {"title": "Tapedeck", "version": "0.1.0",
             "description": "Self-hosted recording service for LiveKit and 100ms sessions. "
                            "Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}`."},
    "servers": [{"url": "/"}],
    "security": admin,
    "components": {
        "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                       "description": "An admin API key from `tapedeck keys create`."},
                            "viewerToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                            "description": "A viewer token: HS256 JWT with sub, name, email?, exp, signed with TAPEDECK_VIEWER_SECRET."}},
        "schemas": schemas},
    "paths": paths,
}

if __name__ == "__main__":
    import sys
    target = pathlib.Path(__file__).resolve().parent.parent / "Sources/TapedeckServer/Resources/openapi.json"
    text = json.dumps(document, indent=2, sort_keys=False) + "\n"
    if "--check" in sys.argv:
        if target.read_text() != text:
            sys.exit("openapi.json is out of date: run python3 scripts/openapi_source.py")
        print("openapi.json matches scripts/openapi_source.py")
    else:
        target.write_text(text)
        print("wrote Sources/TapedeckServer/Resources/openapi.json")
