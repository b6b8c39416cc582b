-- IVR work items follow ivr/0004 (which must be applied first: this reads its ivr_ids_0004). An IVR
-- item's execution_id becomes the execution's integer id, and NULL while the item waits for its
-- first claim: the execution row is created when a worker starts it. Its scenario is named by the
-- scenario's numeric id in payload.scenario_id and by its slug in scenario_id. Executions that were
-- queued (and so have no row since ivr/0004) become such items; ivr_ids_0004 notes which item each
-- became, so the down migration can give them their old ids back.
CREATE TABLE `__new_work_items` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`scenario_id` text NOT NULL,
	`execution_id` integer,
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
	CONSTRAINT "work_items_kind_refs" CHECK(("__new_work_items"."kind" = 'ivr' AND ("__new_work_items"."execution_id" IS NOT NULL OR "__new_work_items"."started_at" IS NULL OR "__new_work_items"."status" = 'failed') AND "__new_work_items"."run_id" IS NULL AND "__new_work_items"."instance_id" IS NULL) OR ("__new_work_items"."kind" = 'http' AND "__new_work_items"."execution_id" IS NULL AND "__new_work_items"."run_id" IS NOT NULL AND "__new_work_items"."instance_id" IS NOT NULL)),
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
	CASE WHEN w."kind" = 'ivr' THEN coalesce(s."slug", w."scenario_id") ELSE w."scenario_id" END,
	CASE WHEN w."kind" = 'ivr' THEN e."new_id" END,
	w."run_id", w."instance_id",
	CASE WHEN w."kind" = 'ivr' AND s."scenario_id" IS NOT NULL THEN json_set(w."payload", '$.scenario_id', s."scenario_id")
		ELSE w."payload" END,
	w."status", w."attempts", w."max_attempts", w."timeout_seconds", w."claimed_by", w."lease_token", w."lease_expires_at",
	w."heartbeat_at", w."last_error", w."enqueued_at",
	-- an item whose execution was queued has not been started as far as the new model goes
	CASE WHEN w."kind" = 'ivr' AND e."new_id" IS NULL AND w."status" = 'queued' THEN NULL ELSE w."started_at" END,
	CASE WHEN w."kind" = 'ivr' AND e."new_id" IS NULL AND w."status" = 'queued' THEN NULL ELSE w."deadline_at" END,
	w."finished_at"
FROM `work_items` AS w
LEFT JOIN `ivr_ids_0004` AS e ON w."kind" = 'ivr' AND e."kind" = 'execution' AND e."old_id" = w."execution_id"
LEFT JOIN `ivr_ids_0004` AS sm ON w."kind" = 'ivr' AND sm."kind" = 'scenario' AND sm."old_id" = w."scenario_id"
LEFT JOIN `test_scenarios` AS s ON s."scenario_id" = sm."new_id";--> statement-breakpoint
UPDATE `ivr_ids_0004` SET `work_item_id` = (
	SELECT w."id" FROM `work_items` AS w WHERE w."kind" = 'ivr' AND w."execution_id" = `ivr_ids_0004`.`old_id`)
WHERE `kind` = 'execution';--> statement-breakpoint
DROP TABLE `work_items`;--> statement-breakpoint
ALTER TABLE `__new_work_items` RENAME TO `work_items`;--> statement-breakpoint
CREATE UNIQUE INDEX `work_items_execution_id_uq` ON `work_items` (`execution_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `work_items_run_instance_uq` ON `work_items` (`run_id`,`instance_id`);--> statement-breakpoint
CREATE INDEX `work_items_status_enqueued_idx` ON `work_items` (`status`,`enqueued_at`);--> statement-breakpoint
CREATE INDEX `work_items_status_lease_idx` ON `work_items` (`status`,`lease_expires_at`);--> statement-breakpoint
CREATE INDEX `work_items_status_deadline_idx` ON `work_items` (`status`,`deadline_at`);--> statement-breakpoint
CREATE INDEX `work_items_scenario_id_idx` ON `work_items` (`scenario_id`);