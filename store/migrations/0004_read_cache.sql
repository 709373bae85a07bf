-- Cached reads of Panther and the data lake that other investigations
-- reuse (earlier alerts' events and comments, actor baselines), keyed by
-- kind and key: a row is pending while one process reads, then holds the
-- result. Rows of a kind started in the last hour count against that
-- kind's hourly budget. See alertcache.go.
CREATE TABLE triage_read_cache (
	kind       TEXT NOT NULL,
	read_key   TEXT NOT NULL,
	state      TEXT NOT NULL,
	result     TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (kind, read_key)
);
CREATE INDEX triage_read_cache_created ON triage_read_cache (kind, created_at);
