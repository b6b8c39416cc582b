CREATE TABLE `report_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`work_item_id` text NOT NULL,
	`lease_token` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`work_item_id`) REFERENCES `work_items`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `report_keys_work_item_id_idx` ON `report_keys` (`work_item_id`);--> statement-breakpoint
CREATE TABLE `work_items` (
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
	CONSTRAINT "work_items_kind_enum" CHECK("work_items"."kind" IN ('ivr', 'http')),
	CONSTRAINT "work_items_status_enum" CHECK("work_items"."status" IN ('queued', 'running', 'done', 'failed', 'timeout')),
	CONSTRAINT "work_items_kind_refs" CHECK(("work_items"."kind" = 'ivr' AND "work_items"."execution_id" IS NOT NULL AND "work_items"."run_id" IS NULL AND "work_items"."instance_id" IS NULL) OR ("work_items"."kind" = 'http' AND "work_items"."execution_id" IS NULL AND "work_items"."run_id" IS NOT NULL AND "work_items"."instance_id" IS NOT NULL)),
	CONSTRAINT "work_items_attempts_range" CHECK("work_items"."attempts" >= 0 AND "work_items"."attempts" <= "work_items"."max_attempts"),
	CONSTRAINT "work_items_max_attempts_range" CHECK("work_items"."max_attempts" >= 1 AND "work_items"."max_attempts" <= 100),
	CONSTRAINT "work_items_timeout_positive" CHECK("work_items"."timeout_seconds" > 0),
	CONSTRAINT "work_items_payload_json" CHECK(json_valid("work_items"."payload") AND json_type("work_items"."payload") = 'object'),
	CONSTRAINT "work_items_running_has_lease" CHECK("work_items"."status" <> 'running' OR ("work_items"."claimed_by" IS NOT NULL AND "work_items"."lease_token" IS NOT NULL AND "work_items"."lease_expires_at" IS NOT NULL)),
	CONSTRAINT "work_items_finished_iff_terminal" CHECK(("work_items"."status" IN ('done', 'failed', 'timeout')) = ("work_items"."finished_at" IS NOT NULL)),
	CONSTRAINT "work_items_started_has_deadline" CHECK(("work_items"."started_at" IS NULL) = ("work_items"."deadline_at" IS NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `work_items_execution_id_uq` ON `work_items` (`execution_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `work_items_run_instance_uq` ON `work_items` (`run_id`,`instance_id`);--> statement-breakpoint
CREATE INDEX `work_items_status_enqueued_idx` ON `work_items` (`status`,`enqueued_at`);--> statement-breakpoint
CREATE INDEX `work_items_status_lease_idx` ON `work_items` (`status`,`lease_expires_at`);--> statement-breakpoint
CREATE INDEX `work_items_status_deadline_idx` ON `work_items` (`status`,`deadline_at`);--> statement-breakpoint
CREATE INDEX `work_items_scenario_id_idx` ON `work_items` (`scenario_id`);