-- pgbench: the statements of a verified track_published webhook (Tapedeck records only that it
-- saw it: the de-duplication row), as PostgreSQL logged them.
\set now_ms 1796000000000
BEGIN;
INSERT INTO inbound_events (provider, event_id, received_at) VALUES ('livekit', 'PGB_' || gen_random_uuid(), :now_ms)
    ON CONFLICT (provider, event_id) DO NOTHING RETURNING event_id;
COMMIT;
