-- pgbench: the statements of two verified LiveKit webhooks, participant_joined then
-- participant_left of a new identity in one of the 200 open rooms of the ingest table, as
-- PostgreSQL logged them (log_statement=all) for Tapedeck; one transaction per webhook, as Tapedeck
-- runs them. The worker's claim that follows an applied webhook is not part of it (see BENCHMARKS.md).
-- Run with -M prepared (Tapedeck keeps all but the active-recording read and BEGIN/COMMIT
-- prepared on each connection) and -M extended (all unnamed), as cluster_ingest.py does. The
-- first two reads name only the columns pgbench keeps (\gset). Rooms and their sessions (room sid
-- RM_load_N) are those the benchmark's room_started webhooks created.
\set room random(0, 199)
\set person random(1, 2000000000)
\set now_ms 1796000000000
BEGIN;
INSERT INTO inbound_events (provider, event_id, received_at) VALUES ('livekit', 'PGB_' || gen_random_uuid(), :now_ms)
    ON CONFLICT (provider, event_id) DO NOTHING RETURNING event_id;
SELECT id AS room_id FROM rooms WHERE name = 'load-' || :room AND provider = 'livekit' \gset
SELECT id AS session_id FROM sessions WHERE provider_session_id = 'RM_load_' || :room AND room_id = :room_id
    ORDER BY started_at DESC LIMIT 1 \gset
UPDATE participants SET name = COALESCE('P' || :person, name), role = 'participant'
    WHERE session_id = :session_id AND identity = 'p' || :person AND left_at IS NULL RETURNING id;
INSERT INTO participants (session_id, identity, name, role, joined_at) VALUES (:session_id, 'p' || :person, 'P' || :person, 'participant', :now_ms);
SELECT r.*, (SELECT name FROM rooms WHERE id = r.room_id) AS room_name, (SELECT key FROM sessions WHERE id = r.session_id) AS session_key
    FROM recordings r WHERE r.room_id = :room_id AND r.status IN ('scheduled', 'starting', 'recording', 'stopping');
SELECT COUNT(DISTINCT identity) AS people, COUNT(DISTINCT CASE WHEN role = 'host' THEN identity END) AS hosts
    FROM participants WHERE session_id = :session_id AND left_at IS NULL;
COMMIT;
BEGIN;
INSERT INTO inbound_events (provider, event_id, received_at) VALUES ('livekit', 'PGB_' || gen_random_uuid(), :now_ms)
    ON CONFLICT (provider, event_id) DO NOTHING RETURNING event_id;
SELECT id, provider, name, display_name, policy_json, created_at, updated_at, provider_room_id, organization_id
    FROM rooms WHERE name = 'load-' || :room AND provider = 'livekit';
SELECT id, room_id, provider_session_id, key, started_at, ended_at FROM sessions
    WHERE provider_session_id = 'RM_load_' || :room AND room_id = :room_id ORDER BY started_at DESC LIMIT 1;
UPDATE participants SET left_at = :now_ms WHERE session_id = :session_id AND identity = 'p' || :person AND left_at IS NULL RETURNING role;
SELECT r.*, (SELECT name FROM rooms WHERE id = r.room_id) AS room_name, (SELECT key FROM sessions WHERE id = r.session_id) AS session_key
    FROM recordings r WHERE r.room_id = :room_id AND r.status IN ('scheduled', 'starting', 'recording', 'stopping');
SELECT COUNT(DISTINCT identity) AS people, COUNT(DISTINCT CASE WHEN role = 'host' THEN identity END) AS hosts
    FROM participants WHERE session_id = :session_id AND left_at IS NULL;
COMMIT;
