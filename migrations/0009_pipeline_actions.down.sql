ALTER TABLE organisations DROP COLUMN IF EXISTS stuck_alerted_at;
DROP TABLE IF EXISTS pipeline_stage_actions;
