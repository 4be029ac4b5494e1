DROP TABLE IF EXISTS idempotency_keys, organisation_stage_changes, organisations, events;
