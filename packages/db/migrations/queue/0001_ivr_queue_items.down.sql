-- Back to text execution ids, run before ivr/0004's down (which refuses to run while this is
-- applied). Every IVR item points at its execution by the text id that execution will have again:
-- its id before ivr/0004 (kept in ivr_ids_0004) or `exe_<id>`. A queued item that has no execution
-- yet is listed in ivr_ids_0004 as a queued execution (old id `exe_<item id>` unless it had one), so
-- ivr/0004's down writes it back as a 'queued' test_executions row, the shape this down expects.
-- An item queued before ivr/0004 and started since: its execution gets its old id back.
UPDATE `ivr_ids_0004` SET `new_id` = (SELECT w.`execution_id` FROM `work_items` AS w WHERE w.`id` = `ivr_ids_0004`.`work_item_id`)
WHERE `kind` = 'execution' AND `new_id` IS NULL
	AND (SELECT w.`execution_id` FROM `work_items` AS w WHERE w.`id` = `ivr_ids_0004`.`work_item_id`) IS NOT NULL;--> statement-breakpoint
INSERT INTO `ivr_ids_0004` (`kind`, `old_id`, `new_id`, `scenario_id`, `queued_at`, `work_item_id`)
SELECT 'execution', 'exe_' || w.`id`, NULL, json_extract(w.`payload`, '$.scenario_id'), w.`enqueued_at`, w.`id`
FROM `work_items` AS w
WHERE w.`kind` = 'ivr' AND w.`execution_id` IS NULL AND w.`status` = 'queued'
	AND NOT EXISTS (SELECT 1 FROM `ivr_ids_0004` AS m WHERE m.`kind` = 'execution' AND m.`work_item_id` = w.`id`);--> statement-breakpoint
-- An item that failed because its scenario was deleted before any worker started it has no execution
-- to point at; before ivr/0004 deleting the scenario deleted such an item, and so does this.
DELETE FROM `work_items` WHERE `kind` = 'ivr' AND `execution_id` IS NULL AND `status` <> 'queued';--> statement-breakpoint
CREATE TABLE `__new_work_items` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`scenario_id` text NOT NULL,
	`execution_id` text,
	`run_id` text,
	`instance_id` text,
	`payload` text DEFAULT '{}' NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer DEFAULT 3 NOT NULL,
	`timeout_seconds` integer NOT NULL,
	`claimed_by` text,
	`lease_token` text,
	`lease_expires_at` text,
	`heartbeat_at` text,
	`last_error` text,
	`enqueued_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`started_at` text,
	`deadline_at` text,
	`finished_at` text,
	FOREIGN KEY (`execution_id`) REFERENCES `test_executions`(`execution_id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "work_items_kind_enum" CHECK("__new_work_items"."kind" IN ('ivr', 'http')),
	CONSTRAINT "work_items_status_enum" CHECK("__new_work_items"."status" IN ('queued', 'running', 'done', 'failed', 'timeout')),
	CONSTRAINT "work_items_kind_refs" CHECK(("__new_work_items"."kind" = 'ivr' AND "__new_work_items"."execution_id" IS NOT NULL AND "__new_work_items"."run_id" IS NULL AND "__new_work_items"."instance_id" IS NULL) OR ("__new_work_items"."kind" = 'http' AND "__new_work_items"."execution_id" IS NULL AND "__new_work_items"."run_id" IS NOT NULL AND "__new_work_items"."instance_id" IS NOT NULL)),
	CONSTRAINT "work_items_attempts_range" CHECK("__new_work_items"."attempts" >= 0 AND "__new_work_items"."attempts" <= "__new_work_items"."max_attempts"),
	CONSTRAINT "work_items_max_attempts_range" CHECK("__new_work_items"."max_attempts" >= 1 AND "__new_work_items"."max_attempts" <= 100),
	CONSTRAINT "work_items_timeout_positive" CHECK("__new_work_items"."timeout_seconds" > 0),
	CONSTRAINT "work_items_payload_json" CHECK(json_valid("__new_work_items"."payload") AND json_type("__new_work_items"."payload") = 'object'),
	CONSTRAINT "work_items_running_has_lease" CHECK("__new_work_items"."status" <> 'running' OR ("__new_work_items"."claimed_by" IS NOT NULL AND "__new_work_items"."lease_token" IS NOT NULL AND "__new_work_items"."lease_expires_at" IS NOT NULL)),
	CONSTRAINT "work_items_finished_iff_terminal" CHECK(("__new_work_items"."status" IN ('done', 'failed', 'timeout')) = ("__new_work_items"."finished_at" IS NOT NULL)),
	CONSTRAINT "work_items_started_has_deadline" CHECK(("__new_work_items"."started_at" IS NULL) = ("__new_work_items"."deadline_at" IS NULL))
);
--> statement-breakpoint
INSERT INTO `__new_work_items` ("id", "kind", "scenario_id", "execution_id", "run_id", "instance_id", "payload",
	"status", "attempts", "max_attempts", "timeout_seconds", "claimed_by", "lease_token", "lease_expires_at", "heartbeat_at",
	"last_error", "enqueued_at", "started_at", "deadline_at", "finished_at")
SELECT w."id", w."kind",
	CASE WHEN w."kind" = 'ivr' THEN coalesce(sm."old_id", w."scenario_id") ELSE w."scenario_id" END,
	CASE WHEN w."kind" = 'ivr' THEN coalesce(e."old_id", q."old_id", 'exe_' || w."execution_id") END,
	w."run_id", w."instance_id",
	CASE WHEN w."kind" = 'ivr' THEN json_remove(w."payload", '$.scenario_id') ELSE w."payload" END,
	w."status", w."attempts", w."max_attempts", w."timeout_seconds", w."claimed_by", w."lease_token", w."lease_expires_at",
	w."heartbeat_at", w."last_error", w."enqueued_at", w."started_at", w."deadline_at", w."finished_at"
FROM `work_items` AS w
LEFT JOIN `ivr_ids_0004` AS e ON w."kind" = 'ivr' AND e."kind" = 'execution' AND e."new_id" = w."execution_id"
LEFT JOIN `ivr_ids_0004` AS q ON w."kind" = 'ivr' AND w."execution_id" IS NULL AND q."kind" = 'execution'
	AND q."new_id" IS NULL AND q."work_item_id" = w."id"
LEFT JOIN `ivr_ids_0004` AS sm ON w."kind" = 'ivr' AND sm."kind" = 'scenario'
	AND sm."new_id" = json_extract(w."payload", '$.scenario_id');--> statement-breakpoint
UPDATE `ivr_ids_0004` SET `work_item_id` = NULL WHERE `kind` = 'execution';--> statement-breakpoint
DROP TABLE `work_items`;--> statement-breakpoint
ALTER TABLE `__new_work_items` RENAME TO `work_items`;--> statement-breakpoint
CREATE UNIQUE INDEX `work_items_execution_id_uq` ON `work_items` (`execution_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `work_items_run_instance_uq` ON `work_items` (`run_id`,`instance_id`);--> statement-breakpoint
CREATE INDEX `work_items_status_enqueued_idx` ON `work_items` (`status`,`enqueued_at`);--> statement-breakpoint
CREATE INDEX `work_items_status_lease_idx` ON `work_items` (`status`,`lease_expires_at`);--> statement-breakpoint
CREATE INDEX `work_items_status_deadline_idx` ON `work_items` (`status`,`deadline_at`);--> statement-breakpoint
CREATE INDEX `work_items_scenario_id_idx` ON `work_items` (`scenario_id`);