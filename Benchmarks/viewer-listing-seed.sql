-- Synthetic catalog for the viewer listings (Benchmarks/viewer-listing.sh): 200,000 recordings
-- over 10,000 rooms, one session each with three participants (viewer-0 .. viewer-9999); a fifth
-- of the rooms (n % 5 = 0) of an organization under `members`, a fifth (n % 5 = 1) of one under
-- `participants`, the rest of none. Deterministic ids (md5 of a name), recordings one minute
-- apart, each room's spread over the whole time.
INSERT INTO organizations (id, slug, name, access_rule, allow_global_viewer_secret, created_at, updated_at)
VALUES (md5('org-members')::uuid, 'members', 'Members', 'members', false, 1700000000000, 1700000000000),
       (md5('org-participants')::uuid, 'participants', 'Participants', 'participants', false, 1700000000000, 1700000000000);

INSERT INTO rooms (id, provider, name, organization_id, created_at, updated_at)
SELECT md5('room-' || n)::uuid, 'livekit', 'room-' || n,
       CASE n % 5 WHEN 0 THEN md5('org-members')::uuid WHEN 1 THEN md5('org-participants')::uuid END,
       1700000000000, 1700000000000
FROM generate_series(0, 9999) n;

INSERT INTO sessions (id, room_id, provider_session_id, key, started_at, ended_at, created_at)
SELECT md5('session-' || n)::uuid, md5('room-' || (n % 10000))::uuid, 'RM_' || n,
       'room-' || (n % 10000) || '_' || n, t, t + 3600000, t
FROM (SELECT n, 1700000000000::bigint + n::bigint * 60000 AS t FROM generate_series(0, 199999) n) s;

INSERT INTO participants (session_id, identity, name, role, joined_at)
SELECT md5('session-' || n)::uuid, 'viewer-' || ((n * 7 + p * 3331) % 10000), NULL, 'participant',
       1700000000000::bigint + n::bigint * 60000
FROM generate_series(0, 199999) n CROSS JOIN generate_series(0, 2) p
ON CONFLICT DO NOTHING;

INSERT INTO recordings (id, room_id, session_id, provider, provider_recording_id, status, layout, audio_only,
    requested_by, started_at, ended_at, duration_ms, size_bytes, storage, key_prefix, created_at, updated_at)
SELECT md5('rec-' || n)::uuid, md5('room-' || (n % 10000))::uuid, md5('session-' || n)::uuid, 'livekit', 'EG_' || n,
       CASE WHEN n % 97 = 0 THEN 'deleted' WHEN n % 50 = 0 THEN 'failed' ELSE 'ready' END,
       'grid', false, 'policy', t, t + 3000000, 3000000, 500000000, 'local',
       'room-' || (n % 10000) || '/' || n || '/', t, t
FROM (SELECT n, 1700000000000::bigint + n::bigint * 60000 AS t FROM generate_series(0, 199999) n) s;

VACUUM ANALYZE;
