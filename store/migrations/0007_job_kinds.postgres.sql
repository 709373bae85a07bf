-- Storm repeats and over-budget notices were investigate_alert jobs with a
-- mode; each is now a job kind of its own, with its own worker. Jobs still
-- to run move to their kind (the arguments keep their names).
UPDATE river_job SET kind = 'comment_repeat'
WHERE kind = 'investigate_alert' AND args->>'mode' = 'repeat'
	AND state NOT IN ('completed', 'cancelled', 'discarded');
UPDATE river_job SET kind = 'comment_over_budget'
WHERE kind = 'investigate_alert' AND args->>'mode' = 'over_budget'
	AND state NOT IN ('completed', 'cancelled', 'discarded');
