-- Synthetic transcripts for the search benchmark of Benchmarks/cues.sh: 1,000 ready one-hour
-- recordings over 100 rooms, one session each with five participants, and 1,000 final caption
-- cues per recording (1,000,000 in all), English but for one recording in ten in Spanish.
-- Deterministic: ids are md5 of a name and the text comes from a seeded generator.
--
-- Each cue is a sentence of 8 to 20 words drawn Zipf-like (rank k with probability about 1/k)
-- from its language's vocabulary: the language's most common function words first (stop words
-- for PostgreSQL, about half of all words drawn, as in speech), then 4,000 made-up content words
-- shared by both languages. The vocabulary stays in cue_seed_words for the benchmark to pick
-- its query words from.
SET seed = 0.42;

CREATE TABLE cue_seed_words (language TEXT NOT NULL, rank INT NOT NULL, word TEXT NOT NULL, PRIMARY KEY (language, rank));

INSERT INTO cue_seed_words (language, rank, word)
SELECT 'en', ordinality, word FROM unnest(ARRAY[
    'the', 'of', 'and', 'to', 'a', 'in', 'that', 'is', 'was', 'it', 'for', 'on', 'with', 'as', 'i', 'be', 'at',
    'by', 'this', 'have', 'from', 'or', 'had', 'not', 'but', 'what', 'all', 'were', 'when', 'we', 'there', 'can',
    'an', 'your', 'which', 'their', 'if', 'do', 'will', 'each', 'about', 'how', 'up', 'out', 'them', 'then', 'she',
    'some', 'so', 'these', 'other', 'into', 'has', 'more', 'her', 'him', 'you', 'he', 'they', 'are', 'his', 'my',
    'me', 'our', 'no']) WITH ORDINALITY AS t(word, ordinality)
UNION ALL
SELECT 'es', ordinality, word FROM unnest(ARRAY[
    'de', 'la', 'que', 'el', 'en', 'y', 'a', 'los', 'se', 'del', 'las', 'un', 'por', 'con', 'no', 'una', 'su',
    'para', 'es', 'al', 'lo', 'como', 'más', 'pero', 'sus', 'le', 'ya', 'o', 'este', 'sí', 'porque', 'esta',
    'entre', 'cuando', 'muy', 'sin', 'sobre', 'también', 'me', 'hasta', 'hay', 'donde', 'quien', 'desde', 'todo',
    'nos', 'durante', 'todos', 'uno', 'les', 'ni', 'contra', 'otros', 'ese', 'eso', 'ante', 'ellos', 'e', 'esto',
    'mí', 'antes', 'algunos', 'qué', 'unos', 'yo', 'otro', 'otras', 'otra', 'él', 'tanto', 'esa', 'estos',
    'mucho', 'quienes', 'nada', 'muchos', 'cual', 'poco', 'ella', 'estar', 'estas', 'algunas', 'algo',
    'nosotros']) WITH ORDINALITY AS t(word, ordinality);

-- Content words of three syllables and a final consonant, in an order unrelated to their spelling.
INSERT INTO cue_seed_words (language, rank, word)
SELECT l.language, l.heads + row_number() OVER (PARTITION BY l.language ORDER BY md5(i::text)), w.word
FROM (SELECT i, s[1 + i % 16] || s[1 + (i / 16) % 16] || s[1 + i / 256] || f[1 + (i * 7) % 5] AS word
      FROM generate_series(0, 3999) i,
           (SELECT ARRAY['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ba', 'do', 'fi', 'gu', 'ha', 'jo', 'pe', 'zu'] AS s,
                   ARRAY['k', 'm', 'n', 't', 'p'] AS f) a) w
CROSS JOIN (SELECT language, count(*) AS heads FROM cue_seed_words GROUP BY language) l;

INSERT INTO rooms (id, provider, name, created_at, updated_at)
SELECT md5('room-' || n)::uuid, 'livekit', 'lecture-room-' || n, 1700000000000, 1700000000000
FROM generate_series(0, 99) n;

INSERT INTO sessions (id, room_id, provider_session_id, key, started_at, ended_at, created_at)
SELECT md5('session-' || n)::uuid, md5('room-' || (n % 100))::uuid, 'RM_' || n, 'lecture-room-' || (n % 100) || '_' || n,
       t, t + 3600000, t
FROM (SELECT n, 1700000000000::bigint + n::bigint * 7200000 AS t FROM generate_series(0, 999) n) s;

-- Five students of 400 in each session; the benchmark's viewer took part in ten of them.
INSERT INTO participants (session_id, identity, name, role, joined_at)
SELECT md5('session-' || n)::uuid, 'student-' || ((n * 5 + j) % 400), 'Student', 'participant',
       1700000000000::bigint + n::bigint * 7200000
FROM generate_series(0, 999) n, generate_series(0, 4) j
UNION ALL
SELECT md5('session-' || n)::uuid, 'bench-viewer', 'Viewer', 'participant', 1700000000000::bigint + n::bigint * 7200000
FROM generate_series(7, 999, 100) n;

INSERT INTO recordings (id, room_id, session_id, provider, provider_recording_id, status, layout, audio_only,
    requested_by, started_at, ended_at, duration_ms, size_bytes, storage, key_prefix, created_at, updated_at,
    media_started_at)
SELECT md5('rec-' || n)::uuid, md5('room-' || (n % 100))::uuid, md5('session-' || n)::uuid, 'livekit', 'EG_' || n,
       'ready', 'grid', false, 'policy', t, t + 3600000, 3600000, 500000000, 'local',
       'lecture-room-' || (n % 100) || '/' || n || '/', t, t, t
FROM (SELECT n, 1700000000000::bigint + n::bigint * 7200000 AS t FROM generate_series(0, 999) n) s;

INSERT INTO assets (recording_id, kind, key, content_type, size_bytes, duration_ms, created_at)
SELECT md5('rec-' || n)::uuid, k.kind, 'lecture-room-' || (n % 100) || '/' || n || '/' || k.name, k.content_type,
       250000000, 3600000, 1700000000000::bigint + n::bigint * 7200000
FROM generate_series(0, 999) n
CROSS JOIN (VALUES ('hls', 'index.m3u8', 'application/vnd.apple.mpegurl'),
                   ('mp4', 'session.mp4', 'video/mp4')) AS k(kind, name, content_type);

-- Cue p of recording r starts p * 3.6 s into it; the words are drawn per cue (the subquery
-- names the cue, so it runs once per cue; ordering by the draw keeps the aggregate its own) by
-- inverting the Zipf distribution: floor(V^u) for a uniform u is rank k with probability about
-- 1/(k ln V).
INSERT INTO cues (session_id, recording_id, kind, language, cue_key, start_at, end_at, start_ms, end_ms, text, speaker,
                  source, final, posted_by, received_at)
SELECT md5('session-' || c.r)::uuid, md5('rec-' || c.r)::uuid, 'captions', v.language, 'cue-' || c.p,
       c.t + c.p * 3600, c.t + c.p * 3600 + 3200, c.p * 3600, c.p * 3600 + 3200,
       (SELECT string_agg(v.words[floor(power(v.size + 1, random()))::int], ' ' ORDER BY w)
        FROM generate_series(1, 8 + c.n % 13) w) || '.',
       'Speaker ' || (c.p % 3), 'live', true, 'key:seed', c.t + c.p * 3600 + 4000
FROM (SELECT n, n % 1000 AS r, n / 1000 AS p, 1700000000000::bigint + (n % 1000)::bigint * 7200000 AS t,
             CASE WHEN n % 1000 % 10 = 3 THEN 'es' ELSE 'en' END AS language
      FROM generate_series(0, 999999) n) c
JOIN (SELECT language, array_agg(word ORDER BY rank) AS words, count(*)::int AS size
      FROM cue_seed_words GROUP BY language) v ON v.language = c.language;

VACUUM ANALYZE;
