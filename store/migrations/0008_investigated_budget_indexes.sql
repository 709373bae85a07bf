-- The hourly budgets count investigated deliveries (mode ''), and only
-- those need to be in their indexes. In a storm most deliveries are routed
-- away (over budget, or repeats of a storm's lead), and each of them wrote
-- an entry in both indexes, about half the pages a batch of deliveries
-- dirtied. The partial indexes keep the counts covered and take only the
-- investigated ones.
CREATE INDEX IF NOT EXISTS triage_delivery_investigated ON triage_delivery (mode, accepted_at) WHERE mode = '';

CREATE INDEX IF NOT EXISTS triage_delivery_detection_investigated ON triage_delivery (detection_id, mode, accepted_at) WHERE mode = '';

DROP INDEX IF EXISTS triage_delivery_budget;

DROP INDEX IF EXISTS triage_delivery_detection_budget;
