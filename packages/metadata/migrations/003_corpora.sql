-- Replay corpora: captured traffic imported by `loadline import --api`, versioned like
-- scenarios (every store is a new version; versions are never overwritten). `meta` and
-- `mix` are what lists show; `requests` (a JSON array, kept as text: it is read whole and
-- parsed once, never queried inside) is loaded only when a run replays the corpus.

CREATE TABLE corpora (
  id             text PRIMARY KEY,
  name           text NOT NULL UNIQUE,
  latest_version integer NOT NULL CHECK (latest_version > 0),
  created_at     timestamptz(3) NOT NULL DEFAULT now(),
  updated_at     timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE corpus_versions (
  corpus_id     text NOT NULL REFERENCES corpora (id) ON DELETE CASCADE,
  version       integer NOT NULL CHECK (version > 0),
  request_count integer NOT NULL CHECK (request_count >= 0),
  duration_ms   double precision NOT NULL CHECK (duration_ms >= 0),
  meta          jsonb NOT NULL,
  mix           jsonb NOT NULL,
  requests      text NOT NULL,
  created_at    timestamptz(3) NOT NULL DEFAULT now(),
  created_by    text,
  PRIMARY KEY (corpus_id, version)
);
