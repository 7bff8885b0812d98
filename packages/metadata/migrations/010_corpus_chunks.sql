-- A corpus's requests in gzip chunks of a few thousand each, not one text: storing or
-- reading a 60,000-request corpus as one 30 MB value held embedded control's only thread
-- for two seconds (PGlite runs in it), and a million-request one would hold it for half a
-- minute. Each chunk is compressed off that thread and written by its own statement.
-- Versions stored before keep their text in corpus_versions.requests (now nullable).
CREATE TABLE corpus_request_chunks (
  corpus_id     text NOT NULL,
  version       integer NOT NULL,
  chunk         integer NOT NULL CHECK (chunk >= 0),
  request_count integer NOT NULL CHECK (request_count > 0),
  -- gzip of the chunk's requests as JSON texts joined by commas (the inside of an array)
  requests_gz   bytea NOT NULL,
  PRIMARY KEY (corpus_id, version, chunk),
  FOREIGN KEY (corpus_id, version) REFERENCES corpus_versions (corpus_id, version) ON DELETE CASCADE
);
-- Already compressed: Postgres should not try again.
ALTER TABLE corpus_request_chunks ALTER COLUMN requests_gz SET STORAGE EXTERNAL;
ALTER TABLE corpus_versions ALTER COLUMN requests DROP NOT NULL;
