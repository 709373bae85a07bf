-- A delivery no longer writes an investigation record of its own while it
-- waits: its queued record is kept in its delivery row until its job first
-- saves a record, and reads take it from there (records.go). At intake a
-- record row cost a second row and index entry per delivery, about a
-- quarter of the intake's time on SQLite. The partial index holds only the
-- deliveries still waiting, newest first for listings.
ALTER TABLE triage_delivery ADD COLUMN queued TEXT NOT NULL DEFAULT '';

CREATE INDEX triage_delivery_queued ON triage_delivery (accepted_at, alert_id) WHERE queued <> '';
