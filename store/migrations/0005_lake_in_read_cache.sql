-- Data lake search results now live in triage_read_cache (kind 'lake'),
-- like every other cached read; the old table held only a cache.
DROP TABLE triage_lake;
