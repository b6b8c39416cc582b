-- The seed's data model: scenario_id, execution_id and training_id become INTEGER PRIMARY KEYs (rowid
-- aliases; AUTOINCREMENT so a deleted row's id is never handed to a new one), step_executions points
-- at its execution by that integer, and a scenario's former text id becomes its unique `slug` (what
-- files and the CLI use). test_executions.status loses 'queued': a queued execution lives in the
-- queue (work_items) until a worker starts it. SQLite cannot change a primary key in place, so each
-- table is rebuilt: new table, INSERT ... SELECT, drop the old one, rename.
--
-- ivr_ids_0004 keeps every former text id with the integer that replaced it, so nothing that named
-- a row by its old id is lost: queue/0001 re-points work items through it, the down migration gives
-- rows their old ids back, and a person holding an old id can look it up. A queued execution has no
-- row after this migration: it is listed here with new_id NULL, its scenario and its enqueue time,
-- and queue/0001 (or its down, for one enqueued later) carries it between the queue and this table.
CREATE TABLE `ivr_ids_0004` (
	`kind` text NOT NULL,
	`old_id` text NOT NULL,
	`new_id` integer,
	`scenario_id` integer,
	`queued_at` text,
	`work_item_id` text,
	PRIMARY KEY (`kind`, `old_id`),
	CONSTRAINT "ivr_ids_0004_kind_enum" CHECK(`kind` IN ('scenario', 'execution', 'training')),
	CONSTRAINT "ivr_ids_0004_only_queued_unmapped" CHECK(`new_id` IS NOT NULL OR `kind` = 'execution')
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ivr_ids_0004_new_id_uq` ON `ivr_ids_0004` (`kind`, `new_id`);--> statement-breakpoint
INSERT INTO `ivr_ids_0004` (`kind`, `old_id`, `new_id`)
SELECT 'scenario', `scenario_id`, row_number() OVER (ORDER BY `rowid`) FROM `test_scenarios`;--> statement-breakpoint
INSERT INTO `ivr_ids_0004` (`kind`, `old_id`, `new_id`)
SELECT 'execution', `execution_id`, row_number() OVER (ORDER BY `rowid`) FROM `test_executions` WHERE `status` <> 'queued';--> statement-breakpoint
INSERT INTO `ivr_ids_0004` (`kind`, `old_id`, `new_id`, `scenario_id`, `queued_at`)
SELECT 'execution', e.`execution_id`, NULL, s.`new_id`, e.`start_time`
FROM `test_executions` AS e JOIN `ivr_ids_0004` AS s ON s.`kind` = 'scenario' AND s.`old_id` = e.`scenario_id`
WHERE e.`status` = 'queued';--> statement-breakpoint
INSERT INTO `ivr_ids_0004` (`kind`, `old_id`, `new_id`)
SELECT 'training', `training_id`, row_number() OVER (ORDER BY `rowid`) FROM `intent_training_data`;--> statement-breakpoint
CREATE TABLE `__new_test_scenarios` (
	`scenario_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`target_phone` text NOT NULL,
	`steps` text NOT NULL,
	`timeout_seconds` integer DEFAULT 300 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`target` text,
	CONSTRAINT "test_scenarios_steps_json" CHECK(json_valid("__new_test_scenarios"."steps") AND json_type("__new_test_scenarios"."steps") = 'array'),
	CONSTRAINT "test_scenarios_timeout_positive" CHECK("__new_test_scenarios"."timeout_seconds" > 0),
	CONSTRAINT "test_scenarios_slug_shape" CHECK(length("__new_test_scenarios"."slug") BETWEEN 1 AND 200 AND "__new_test_scenarios"."slug" NOT GLOB '*[^A-Za-z0-9._-]*' AND "__new_test_scenarios"."slug" GLOB '*[^0-9]*')
);
--> statement-breakpoint
-- A former id that is not slug-shaped (other characters, or all digits) gets `scenario-<id>`; its old
-- text stays in ivr_ids_0004.
INSERT INTO `__new_test_scenarios` (`scenario_id`, `slug`, `name`, `description`, `target_phone`, `steps`,
	`timeout_seconds`, `created_at`, `updated_at`, `target`)
SELECT m.`new_id`,
	CASE WHEN length(s.`scenario_id`) BETWEEN 1 AND 200 AND s.`scenario_id` NOT GLOB '*[^A-Za-z0-9._-]*'
		AND s.`scenario_id` GLOB '*[^0-9]*' THEN s.`scenario_id` ELSE 'scenario-' || m.`new_id` END,
	s.`name`, s.`description`, s.`target_phone`, s.`steps`, s.`timeout_seconds`, s.`created_at`, s.`updated_at`, s.`target`
FROM `test_scenarios` AS s JOIN `ivr_ids_0004` AS m ON m.`kind` = 'scenario' AND m.`old_id` = s.`scenario_id`;--> statement-breakpoint
CREATE TABLE `__new_test_executions` (
	`execution_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`scenario_id` integer NOT NULL,
	`status` text DEFAULT 'running' NOT NULL,
	`start_time` text,
	`end_time` text,
	`call_id` text,
	`final_result` text,
	`error_message` text,
	FOREIGN KEY (`scenario_id`) REFERENCES `test_scenarios`(`scenario_id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "test_executions_status_enum" CHECK("__new_test_executions"."status" IN ('running', 'completed', 'failed', 'timeout')),
	CONSTRAINT "test_executions_final_result_enum" CHECK("__new_test_executions"."final_result" IS NULL OR "__new_test_executions"."final_result" IN ('pass', 'fail')),
	CONSTRAINT "test_executions_end_after_start" CHECK("__new_test_executions"."end_time" IS NULL OR "__new_test_executions"."start_time" IS NULL OR "__new_test_executions"."end_time" >= "__new_test_executions"."start_time")
);
--> statement-breakpoint
INSERT INTO `__new_test_executions` (`execution_id`, `scenario_id`, `status`, `start_time`, `end_time`, `call_id`,
	`final_result`, `error_message`)
SELECT m.`new_id`, s.`new_id`, e.`status`, e.`start_time`, e.`end_time`, e.`call_id`, e.`final_result`, e.`error_message`
FROM `test_executions` AS e
JOIN `ivr_ids_0004` AS m ON m.`kind` = 'execution' AND m.`old_id` = e.`execution_id` AND m.`new_id` IS NOT NULL
JOIN `ivr_ids_0004` AS s ON s.`kind` = 'scenario' AND s.`old_id` = e.`scenario_id`;--> statement-breakpoint
CREATE TABLE `__new_step_executions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`execution_id` integer NOT NULL,
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
SELECT t.`id`, m.`new_id`, t.`step_number`, t.`step_type`, t.`expected_intent`, t.`actual_intent`, t.`confidence`,
	t.`transcript`, t.`dtmf_sent`, t.`status`, t.`started_at`, t.`ended_at`, t.`latency_ms`, t.`error`
FROM `step_executions` AS t
JOIN `ivr_ids_0004` AS m ON m.`kind` = 'execution' AND m.`old_id` = t.`execution_id` AND m.`new_id` IS NOT NULL;--> statement-breakpoint
-- Steps of a queued execution (left by an attempt that went back to the queue; the next attempt
-- deletes them) have no execution row to point at: they move aside with their old execution id.
INSERT INTO `step_executions_duplicates` (`id`, `execution_id`, `step_number`, `step_type`, `expected_intent`,
	`actual_intent`, `confidence`, `transcript`, `dtmf_sent`, `status`, `started_at`, `ended_at`, `latency_ms`, `error`)
SELECT t.`id`, t.`execution_id`, t.`step_number`, t.`step_type`, t.`expected_intent`, t.`actual_intent`, t.`confidence`,
	t.`transcript`, t.`dtmf_sent`, t.`status`, t.`started_at`, t.`ended_at`, t.`latency_ms`, t.`error`
FROM `step_executions` AS t
WHERE t.`id` NOT IN (SELECT `id` FROM `__new_step_executions`);--> statement-breakpoint
-- Rows moved aside by 0002 keep pointing at their execution, now by its integer id (as text: that
-- side table has no foreign key and may hold ids of executions that are gone).
UPDATE `step_executions_duplicates` SET `execution_id` = (
	SELECT CAST(m.`new_id` AS text) FROM `ivr_ids_0004` AS m
	WHERE m.`kind` = 'execution' AND m.`old_id` = `step_executions_duplicates`.`execution_id` AND m.`new_id` IS NOT NULL)
WHERE `execution_id` IN (SELECT `old_id` FROM `ivr_ids_0004` WHERE `kind` = 'execution' AND `new_id` IS NOT NULL);--> statement-breakpoint
CREATE TABLE `__new_intent_training_data` (
	`training_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
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
SELECT m.`new_id`, d.`text_sample`, d.`intent_label`, d.`confidence_threshold`, d.`source`, d.`validation_status`, d.`created_at`
FROM `intent_training_data` AS d JOIN `ivr_ids_0004` AS m ON m.`kind` = 'training' AND m.`old_id` = d.`training_id`;--> statement-breakpoint
DROP TABLE `step_executions`;--> statement-breakpoint
DROP TABLE `test_executions`;--> statement-breakpoint
DROP TABLE `test_scenarios`;--> statement-breakpoint
DROP TABLE `intent_training_data`;--> statement-breakpoint
ALTER TABLE `__new_test_scenarios` RENAME TO `test_scenarios`;--> statement-breakpoint
ALTER TABLE `__new_test_executions` RENAME TO `test_executions`;--> statement-breakpoint
ALTER TABLE `__new_step_executions` RENAME TO `step_executions`;--> statement-breakpoint
ALTER TABLE `__new_intent_training_data` RENAME TO `intent_training_data`;--> statement-breakpoint
CREATE UNIQUE INDEX `test_scenarios_slug_uq` ON `test_scenarios` (`slug`);--> statement-breakpoint
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
