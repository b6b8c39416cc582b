-- Drops the unique key, then puts the rows the up migration moved aside back where they were
-- (same ids), so up then down loses nothing; only then is the side table dropped.
DROP INDEX `step_executions_execution_step_uq`;--> statement-breakpoint
INSERT INTO `step_executions` (`id`, `execution_id`, `step_number`, `step_type`, `expected_intent`, `actual_intent`,
	`confidence`, `transcript`, `dtmf_sent`, `status`, `started_at`, `ended_at`, `latency_ms`, `error`)
SELECT d.`id`, d.`execution_id`, d.`step_number`, d.`step_type`, d.`expected_intent`, d.`actual_intent`, d.`confidence`,
	d.`transcript`, d.`dtmf_sent`, d.`status`, d.`started_at`, d.`ended_at`, d.`latency_ms`, d.`error`
FROM `step_executions_duplicates` AS d
WHERE EXISTS (SELECT 1 FROM `test_executions` AS e WHERE e.`execution_id` = d.`execution_id`);--> statement-breakpoint
DROP TABLE `step_executions_duplicates`;
