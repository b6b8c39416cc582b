CREATE TABLE `intent_training_data` (
	`training_id` text PRIMARY KEY NOT NULL,
	`text_sample` text NOT NULL,
	`intent_label` text NOT NULL,
	`confidence_threshold` real DEFAULT 0.85 NOT NULL,
	`source` text DEFAULT 'manual' NOT NULL,
	`validation_status` text DEFAULT 'pending' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "intent_training_data_threshold_range" CHECK("intent_training_data"."confidence_threshold" >= 0 AND "intent_training_data"."confidence_threshold" <= 1),
	CONSTRAINT "intent_training_data_source_enum" CHECK("intent_training_data"."source" IN ('manual', 'recorded', 'synthetic')),
	CONSTRAINT "intent_training_data_validation_status_enum" CHECK("intent_training_data"."validation_status" IN ('pending', 'validated', 'rejected')),
	CONSTRAINT "intent_training_data_text_not_blank" CHECK(trim("intent_training_data"."text_sample") <> ''),
	CONSTRAINT "intent_training_data_label_not_blank" CHECK(trim("intent_training_data"."intent_label") <> '')
);
--> statement-breakpoint
CREATE INDEX `intent_training_data_intent_label_idx` ON `intent_training_data` (`intent_label`);--> statement-breakpoint
CREATE INDEX `intent_training_data_validation_status_idx` ON `intent_training_data` (`validation_status`);--> statement-breakpoint
CREATE TABLE `step_executions` (
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
	CONSTRAINT "step_executions_step_type_enum" CHECK("step_executions"."step_type" IN ('prompt', 'intent', 'dtmf', 'validate')),
	CONSTRAINT "step_executions_status_enum" CHECK("step_executions"."status" IN ('pass', 'fail', 'skipped', 'error')),
	CONSTRAINT "step_executions_confidence_range" CHECK("step_executions"."confidence" IS NULL OR ("step_executions"."confidence" >= 0 AND "step_executions"."confidence" <= 1)),
	CONSTRAINT "step_executions_step_number_range" CHECK("step_executions"."step_number" >= 0),
	CONSTRAINT "step_executions_latency_range" CHECK("step_executions"."latency_ms" IS NULL OR "step_executions"."latency_ms" >= 0),
	CONSTRAINT "step_executions_dtmf_chars" CHECK("step_executions"."dtmf_sent" IS NULL OR ("step_executions"."dtmf_sent" <> '' AND "step_executions"."dtmf_sent" NOT GLOB '*[^0-9*#A-D]*'))
);
--> statement-breakpoint
CREATE INDEX `step_executions_execution_id_idx` ON `step_executions` (`execution_id`);--> statement-breakpoint
CREATE INDEX `step_executions_status_idx` ON `step_executions` (`status`);--> statement-breakpoint
CREATE TABLE `test_executions` (
	`execution_id` text PRIMARY KEY NOT NULL,
	`scenario_id` text NOT NULL,
	`status` text DEFAULT 'running' NOT NULL,
	`start_time` text,
	`end_time` text,
	`call_id` text,
	`final_result` text,
	`error_message` text,
	FOREIGN KEY (`scenario_id`) REFERENCES `test_scenarios`(`scenario_id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "test_executions_status_enum" CHECK("test_executions"."status" IN ('queued', 'running', 'completed', 'failed', 'timeout')),
	CONSTRAINT "test_executions_final_result_enum" CHECK("test_executions"."final_result" IS NULL OR "test_executions"."final_result" IN ('pass', 'fail')),
	CONSTRAINT "test_executions_end_after_start" CHECK("test_executions"."end_time" IS NULL OR "test_executions"."start_time" IS NULL OR "test_executions"."end_time" >= "test_executions"."start_time")
);
--> statement-breakpoint
CREATE INDEX `test_executions_scenario_id_idx` ON `test_executions` (`scenario_id`);--> statement-breakpoint
CREATE INDEX `test_executions_status_idx` ON `test_executions` (`status`);--> statement-breakpoint
CREATE INDEX `test_executions_call_id_idx` ON `test_executions` (`call_id`);--> statement-breakpoint
CREATE INDEX `test_executions_start_time_idx` ON `test_executions` (`start_time`);--> statement-breakpoint
CREATE TABLE `test_scenarios` (
	`scenario_id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`target_phone` text NOT NULL,
	`steps` text NOT NULL,
	`timeout_seconds` integer DEFAULT 300 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "test_scenarios_steps_json" CHECK(json_valid("test_scenarios"."steps") AND json_type("test_scenarios"."steps") = 'array'),
	CONSTRAINT "test_scenarios_timeout_positive" CHECK("test_scenarios"."timeout_seconds" > 0)
);
--> statement-breakpoint
CREATE INDEX `test_scenarios_name_idx` ON `test_scenarios` (`name`);