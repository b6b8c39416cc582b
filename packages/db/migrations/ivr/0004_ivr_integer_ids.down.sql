-- Back to text ids: every row gets the text id it had before 0004 (from ivr_ids_0004), a row created
-- since gets its slug (scenarios) or `exe_<id>` / `trn_<id>`; queued executions listed in
-- ivr_ids_0004 (put there by 0004, or by queue/0001's down) come back as 'queued' rows. The queue's
-- 0001 must be reverted first (it points work items at these ids): the guard below refuses otherwise.
-- Each table is rebuilt (new table, INSERT ... SELECT, drop, rename), as in the up migration.
CREATE TABLE `ivr_0004_down_guard` (
	`n` integer CONSTRAINT "revert_queue_0001_ivr_queue_items_first" CHECK(`n` = 0)
);
--> statement-breakpoint
INSERT INTO `ivr_0004_down_guard` (`n`)
SELECT count(*) FROM `_verdict_migrations` WHERE `domain` = 'queue' AND `name` = '0001_ivr_queue_items';--> statement-breakpoint
DROP TABLE `ivr_0004_down_guard`;--> statement-breakpoint
DROP TRIGGER IF EXISTS `test_scenarios_updated_at`;--> statement-breakpoint
ALTER TABLE `ivr_ids_0004` RENAME TO `ivr_0004_ids_copied`;--> statement-breakpoint
CREATE TABLE `__new_test_scenarios` (
	`scenario_id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`target_phone` text NOT NULL,
	`steps` text NOT NULL,
	`timeout_seconds` integer DEFAULT 300 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`target` text,
	CONSTRAINT "test_scenarios_steps_json" CHECK(json_valid("__new_test_scenarios"."steps") AND json_type("__new_test_scenarios"."steps") = 'array'),
	CONSTRAINT "test_scenarios_timeout_positive" CHECK("__new_test_scenarios"."timeout_seconds" > 0)
);
--> statement-breakpoint
INSERT INTO `__new_test_scenarios` (`scenario_id`, `name`, `description`, `target_phone`, `steps`, `timeout_seconds`,
	`created_at`, `updated_at`, `target`)
SELECT coalesce(m.`old_id`, s.`slug`), s.`name`, s.`description`, s.`target_phone`, s.`steps`, s.`timeout_seconds`,
	s.`created_at`, s.`updated_at`, s.`target`
FROM `test_scenarios` AS s
LEFT JOIN `ivr_0004_ids_copied` AS m ON m.`kind` = 'scenario' AND m.`new_id` = s.`scenario_id`
ORDER BY s.`scenario_id`;--> statement-breakpoint
CREATE TABLE `__new_test_executions` (
	`execution_id` text PRIMARY KEY NOT NULL,
	`scenario_id` text NOT NULL,
	`status` text DEFAULT 'running' NOT NULL,
	`start_time` text,
	`end_time` text,
	`call_id` text,
	`final_result` text,
	`error_message` text,
	FOREIGN KEY (`scenario_id`) REFERENCES `test_scenarios`(`scenario_id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "test_executions_status_enum" CHECK("__new_test_executions"."status" IN ('queued', 'running', 'completed', 'failed', 'timeout')),
	CONSTRAINT "test_executions_final_result_enum" CHECK("__new_test_executions"."final_result" IS NULL OR "__new_test_executions"."final_result" IN ('pass', 'fail')),
	CONSTRAINT "test_executions_end_after_start" CHECK("__new_test_executions"."end_time" IS NULL OR "__new_test_executions"."start_time" IS NULL OR "__new_test_executions"."end_time" >= "__new_test_executions"."start_time")
);
--> statement-breakpoint
-- (scenario text ids of the rows above, by integer id)
CREATE TABLE `ivr_0004_scenario_text` AS
SELECT s.`scenario_id` AS `new_id`, coalesce(m.`old_id`, s.`slug`) AS `old_id`
FROM `test_scenarios` AS s
LEFT JOIN `ivr_0004_ids_copied` AS m ON m.`kind` = 'scenario' AND m.`new_id` = s.`scenario_id`;--> statement-breakpoint
INSERT INTO `__new_test_executions` (`execution_id`, `scenario_id`, `status`, `start_time`, `end_time`, `call_id`,
	`final_result`, `error_message`)
SELECT coalesce(m.`old_id`, 'exe_' || e.`execution_id`), st.`old_id`, e.`status`, e.`start_time`, e.`end_time`, e.`call_id`,
	e.`final_result`, e.`error_message`
FROM `test_executions` AS e
JOIN `ivr_0004_scenario_text` AS st ON st.`new_id` = e.`scenario_id`
LEFT JOIN `ivr_0004_ids_copied` AS m ON m.`kind` = 'execution' AND m.`new_id` = e.`execution_id`
ORDER BY e.`execution_id`;--> statement-breakpoint
INSERT INTO `__new_test_executions` (`execution_id`, `scenario_id`, `status`, `start_time`)
SELECT q.`old_id`, st.`old_id`, 'queued', q.`queued_at`
FROM `ivr_0004_ids_copied` AS q
JOIN `ivr_0004_scenario_text` AS st ON st.`new_id` = q.`scenario_id`
WHERE q.`kind` = 'execution' AND q.`new_id` IS NULL
ORDER BY q.`queued_at`, q.`old_id`;--> statement-breakpoint
CREATE TABLE `__new_step_executions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
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
	FOREIGN KEY (`execution_id`) REFERENCES `test_executions`(`execution_id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "step_executions_step_type_enum" CHECK("__new_step_executions"."step_type" IN ('prompt', 'intent', 'dtmf', 'validate')),
	CONSTRAINT "step_executions_status_enum" CHECK("__new_step_executions"."status" IN ('pass', 'fail', 'skipped', 'error')),
	CONSTRAINT "step_executions_confidence_range" CHECK("__new_step_executions"."confidence" IS NULL OR ("__new_step_executions"."confidence" >= 0 AND "__new_step_executions"."confidence" <= 1)),
	CONSTRAINT "step_executions_step_number_range" CHECK("__new_step_executions"."step_number" >= 0),
	CONSTRAINT "step_executions_latency_range" CHECK("__new_step_executions"."latency_ms" IS NULL OR "__new_step_executions"."latency_ms" >= 0),
	CONSTRAINT "step_executions_dtmf_chars" CHECK("__new_step_executions"."dtmf_sent" IS NULL OR ("__new_step_executions"."dtmf_sent" <> '' AND "__new_step_executions"."dtmf_sent" NOT GLOB '*[^0-9*#A-D]*'))
);
--> statement-breakpoint
INSERT INTO `__new_step_executions` (`id`, `execution_id`, `step_number`, `step_type`, `expected_intent`, `actual_intent`,
	`confidence`, `transcript`, `dtmf_sent`, `status`, `started_at`, `ended_at`, `latency_ms`, `error`)
SELECT t.`id`, coalesce(m.`old_id`, 'exe_' || t.`execution_id`), t.`step_number`, t.`step_type`, t.`expected_intent`,
	t.`actual_intent`, t.`confidence`, t.`transcript`, t.`dtmf_sent`, t.`status`, t.`started_at`, t.`ended_at`,
	t.`latency_ms`, t.`error`
FROM `step_executions` AS t
LEFT JOIN `ivr_0004_ids_copied` AS m ON m.`kind` = 'execution' AND m.`new_id` = t.`execution_id`;--> statement-breakpoint
UPDATE `step_executions_duplicates` SET `execution_id` = coalesce((
	SELECT m.`old_id` FROM `ivr_0004_ids_copied` AS m
	WHERE m.`kind` = 'execution' AND CAST(m.`new_id` AS text) = `step_executions_duplicates`.`execution_id`),
	'exe_' || `execution_id`)
WHERE `execution_id` NOT GLOB '*[^0-9]*';--> statement-breakpoint
CREATE TABLE `__new_intent_training_data` (
	`training_id` text PRIMARY KEY NOT NULL,
	`text_sample` text NOT NULL,
	`intent_label` text NOT NULL,
	`confidence_threshold` real DEFAULT 0.85 NOT NULL,
	`source` text DEFAULT 'manual' NOT NULL,
	`validation_status` text DEFAULT 'pending' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "intent_training_data_threshold_range" CHECK("__new_intent_training_data"."confidence_threshold" >= 0 AND "__new_intent_training_data"."confidence_threshold" <= 1),
	CONSTRAINT "intent_training_data_source_enum" CHECK("__new_intent_training_data"."source" IN ('manual', 'recorded', 'synthetic')),
	CONSTRAINT "intent_training_data_validation_status_enum" CHECK("__new_intent_training_data"."validation_status" IN ('pending', 'validated', 'rejected')),
	CONSTRAINT "intent_training_data_text_not_blank" CHECK(trim("__new_intent_training_data"."text_sample") <> ''),
	CONSTRAINT "intent_training_data_label_not_blank" CHECK(trim("__new_intent_training_data"."intent_label") <> '')
);
--> statement-breakpoint
INSERT INTO `__new_intent_training_data` (`training_id`, `text_sample`, `intent_label`, `confidence_threshold`, `source`,
	`validation_status`, `created_at`)
SELECT coalesce(m.`old_id`, 'trn_' || d.`training_id`), d.`text_sample`, d.`intent_label`, d.`confidence_threshold`,
	d.`source`, d.`validation_status`, d.`created_at`
FROM `intent_training_data` AS d
LEFT JOIN `ivr_0004_ids_copied` AS m ON m.`kind` = 'training' AND m.`new_id` = d.`training_id`
ORDER BY d.`training_id`;--> statement-breakpoint
DROP TABLE `ivr_0004_scenario_text`;--> statement-breakpoint
DROP TABLE `step_executions`;--> statement-breakpoint
DROP TABLE `test_executions`;--> statement-breakpoint
DROP TABLE `test_scenarios`;--> statement-breakpoint
DROP TABLE `intent_training_data`;--> statement-breakpoint
DROP TABLE `ivr_0004_ids_copied`;--> statement-breakpoint
ALTER TABLE `__new_test_scenarios` RENAME TO `test_scenarios`;--> statement-breakpoint
ALTER TABLE `__new_test_executions` RENAME TO `test_executions`;--> statement-breakpoint
ALTER TABLE `__new_step_executions` RENAME TO `step_executions`;--> statement-breakpoint
ALTER TABLE `__new_intent_training_data` RENAME TO `intent_training_data`;--> statement-breakpoint
CREATE INDEX `test_scenarios_name_idx` ON `test_scenarios` (`name`);--> statement-breakpoint
CREATE INDEX `test_scenarios_target_idx` ON `test_scenarios` (`target`);--> statement-breakpoint
CREATE INDEX `test_executions_scenario_id_idx` ON `test_executions` (`scenario_id`);--> statement-breakpoint
CREATE INDEX `test_executions_status_idx` ON `test_executions` (`status`);--> statement-breakpoint
CREATE INDEX `test_executions_call_id_idx` ON `test_executions` (`call_id`);--> statement-breakpoint
CREATE INDEX `test_executions_start_time_idx` ON `test_executions` (`start_time`);--> statement-breakpoint
CREATE INDEX `step_executions_execution_id_idx` ON `step_executions` (`execution_id`);--> statement-breakpoint
CREATE INDEX `step_executions_status_idx` ON `step_executions` (`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `step_executions_execution_step_uq` ON `step_executions` (`execution_id`,`step_number`);--> statement-breakpoint
CREATE INDEX `intent_training_data_intent_label_idx` ON `intent_training_data` (`intent_label`);--> statement-breakpoint
CREATE INDEX `intent_training_data_validation_status_idx` ON `intent_training_data` (`validation_status`);--> statement-breakpoint
CREATE TRIGGER `test_scenarios_updated_at`
AFTER UPDATE ON `test_scenarios`
FOR EACH ROW
WHEN NEW.`updated_at` = OLD.`updated_at`
BEGIN
  UPDATE `test_scenarios`
  SET `updated_at` = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  WHERE `scenario_id` = NEW.`scenario_id`;
END;
