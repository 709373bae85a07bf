-- One row that /readyz rewrites to learn whether the database can write.
CREATE TABLE triage_probe (
	id         INTEGER PRIMARY KEY,
	written_at BIGINT NOT NULL
);
