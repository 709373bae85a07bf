-- The store's schema before versioned migrations: the idempotent DDL every
-- start ran, kept as the fixture of TestMigrateUpgradesTheSchemaBeforeMigrations.

CREATE TABLE IF NOT EXISTS triage_delivery (
	alert_id     TEXT PRIMARY KEY,
	accepted_at  BIGINT NOT NULL,
	job_id       BIGINT NOT NULL DEFAULT 0,
	detection_id TEXT NOT NULL,
	mode         TEXT NOT NULL DEFAULT '',
	payload      TEXT NOT NULL
);

DROP INDEX IF EXISTS triage_delivery_accepted;

DROP INDEX IF EXISTS triage_delivery_detection;

CREATE INDEX IF NOT EXISTS triage_delivery_budget ON triage_delivery (mode, accepted_at);

CREATE INDEX IF NOT EXISTS triage_delivery_detection_budget ON triage_delivery (detection_id, mode, accepted_at);

CREATE TABLE IF NOT EXISTS triage_storm (
	detection_id    TEXT NOT NULL,
	title_key       TEXT NOT NULL,
	leader_alert_id TEXT NOT NULL,
	started_at      BIGINT NOT NULL,
	PRIMARY KEY (detection_id, title_key)
);

CREATE TABLE IF NOT EXISTS triage_investigation (
	alert_id     TEXT PRIMARY KEY,
	job_id       BIGINT NOT NULL,
	detection_id TEXT NOT NULL,
	state        TEXT NOT NULL,
	verdict      TEXT NOT NULL DEFAULT '',
	record       TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS triage_investigation_created ON triage_investigation (created_at);

CREATE TABLE IF NOT EXISTS triage_lake (
	search_key TEXT PRIMARY KEY,
	state      TEXT NOT NULL,
	result     TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS triage_lake_created ON triage_lake (created_at);

CREATE TABLE IF NOT EXISTS triage_outcome (
	alert_id       TEXT PRIMARY KEY,
	detection_id   TEXT NOT NULL,
	verdict        TEXT NOT NULL,
	analyst_status TEXT NOT NULL,
	agree          INTEGER NOT NULL,
	checked_at     BIGINT NOT NULL
);

