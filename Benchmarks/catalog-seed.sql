-- Synthetic catalog for Benchmarks/catalog-scale.sh: deterministic ids (md5 of a name), one
-- session per recording, recordings one minute apart, 2 assets per recording, 5 events each.
INSERT INTO rooms (id, provider, name, created_at, updated_at)
SELECT md5('room-' || n)::uuid, 'livekit', 'room-' || n, 1700000000000, 1700000000000
FROM generate_series(0, 49999) n;

INSERT INTO sessions (id, room_id, provider_session_id, key, started_at, ended_at, created_at)
SELECT md5('session-' || n)::uuid, md5('room-' || (n % 50000))::uuid, 'RM_' || n,
       'room-' || (n % 50000) || '_' || n, t, t + 3600000, t
FROM (SELECT n, 1700000000000::bigint + n::bigint * 60000 AS t FROM generate_series(0, 999999) n) s;

INSERT INTO recordings (id, room_id, session_id, provider, provider_recording_id, status, layout, audio_only,
    requested_by, started_at, ended_at, duration_ms, size_bytes, storage, key_prefix, created_at, updated_at)
SELECT md5('rec-' || n)::uuid, md5('room-' || (n % 50000))::uuid, md5('session-' || n)::uuid, 'livekit', 'EG_' || n,
       CASE WHEN n % 97 = 0 THEN 'deleted' WHEN n % 50 = 0 THEN 'failed' ELSE 'ready' END,
       'grid', false, 'policy', t, t + 3000000, 3000000, 500000000, 'local',
       'room-' || (n % 50000) || '/' || n || '/', t, t
FROM (SELECT n, 1700000000000::bigint + n::bigint * 60000 AS t FROM generate_series(0, 999999) n) s;

INSERT INTO assets (recording_id, kind, key, content_type, size_bytes, duration_ms, created_at)
SELECT md5('rec-' || n)::uuid, k.kind, 'room-' || (n % 50000) || '/' || n || '/' || k.name, k.content_type,
       250000000, 3000000, 1700000000000::bigint + n::bigint * 60000
FROM generate_series(0, 999999) n
CROSS JOIN (VALUES ('hls', 'index.m3u8', 'application/vnd.apple.mpegurl'),
                   ('mp4', 'session.mp4', 'video/mp4')) AS k(kind, name, content_type);

INSERT INTO events (recording_id, session_id, type, actor, data_json, at)
SELECT md5('rec-' || (n / 5))::uuid, md5('session-' || (n / 5))::uuid,
       (ARRAY['recording.created', 'recording.recording', 'recording.stopping', 'recording.processing',
              'recording.ready'])[n % 5 + 1],
       'livekit', '{"cause":"benchmark"}', 1700000000000::bigint + n::bigint * 12000
FROM generate_series(0, 4999999) n;

VACUUM ANALYZE;
