-- One row per step of an execution: (execution_id, step_number) becomes unique, the key that makes
-- step reports idempotent. Rows recorded twice before this migration are not deleted: every row but the
-- earliest (lowest id) of each key moves to step_executions_duplicates, with the time it moved, so the
-- history stays readable (`SELECT count(*) FROM step_executions_duplicates` is how many moved).
CREATE TABLE `step_executions_duplicates` (
	`id` integer PRIMARY KEY NOT NULL,
	`execution_id` text NOT NULL,
	`step_number` integer NOT NULL,
	`step_type` text NOT NULL,
	`expected_intent` text,
	`actual_intent` text,
	`confidence` real,
	`transcript` text,
	`dtmf_sent` text,
	`status` text NOT NULL,
	`started_at` text,
	`ended_at` text,
	`latency_ms` real,
	`error` text,
	`moved_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `step_executions_duplicates_execution_idx` ON `step_executions_duplicates` (`execution_id`,`step_number`);--> statement-breakpoint
INSERT INTO `step_executions_duplicates` (`id`, `execution_id`, `step_number`, `step_type`, `expected_intent`,
	`actual_intent`, `confidence`, `transcript`, `dtmf_sent`, `status`, `started_at`, `ended_at`, `latency_ms`, `error`)
SELECT `id`, `execution_id`, `step_number`, `step_type`, `expected_intent`, `actual_intent`, `confidence`,
	`transcript`, `dtmf_sent`, `status`, `started_at`, `ended_at`, `latency_ms`, `error`
FROM `step_executions` AS s
WHERE s.`id` > (SELECT min(f.`id`) FROM `step_executions` AS f
	WHERE f.`execution_id` = s.`execution_id` AND f.`step_number` = s.`step_number`);--> statement-breakpoint
DELETE FROM `step_executions` WHERE `id` IN (SELECT `id` FROM `step_executions_duplicates`);--> statement-breakpoint
CREATE UNIQUE INDEX `step_executions_execution_step_uq` ON `step_executions` (`execution_id`,`step_number`);
