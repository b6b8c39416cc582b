CREATE TABLE `assertions` (
	`id` integer PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`instance_id` text NOT NULL,
	`step_index` integer,
	`assertion_name` text NOT NULL,
	`passed` integer NOT NULL,
	`expected` text,
	`actual` text,
	`error` text,
	FOREIGN KEY (`run_id`,`instance_id`) REFERENCES `instances`(`run_id`,`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "assertions_passed_bool" CHECK("assertions"."passed" IN (0, 1)),
	CONSTRAINT "assertions_expected_json" CHECK("assertions"."expected" IS NULL OR json_valid("assertions"."expected")),
	CONSTRAINT "assertions_actual_json" CHECK("assertions"."actual" IS NULL OR json_valid("assertions"."actual"))
);
--> statement-breakpoint
CREATE INDEX `assertions_run_instance_idx` ON `assertions` (`run_id`,`instance_id`);--> statement-breakpoint
CREATE INDEX `assertions_run_passed_name_idx` ON `assertions` (`run_id`,`passed`,`assertion_name`);--> statement-breakpoint
CREATE TABLE `instances` (
	`run_id` text NOT NULL,
	`id` text NOT NULL,
	`scenario_id` text NOT NULL,
	`correlation_id` text,
	`status` text NOT NULL,
	`started_at` text,
	`completed_at` text,
	`duration_ms` real,
	`variations` text,
	`error` text,
	PRIMARY KEY(`run_id`, `id`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "instances_status_enum" CHECK("instances"."status" IN ('pass', 'fail')),
	CONSTRAINT "instances_duration_range" CHECK("instances"."duration_ms" IS NULL OR "instances"."duration_ms" >= 0),
	CONSTRAINT "instances_variations_json" CHECK("instances"."variations" IS NULL OR json_valid("instances"."variations"))
);
--> statement-breakpoint
CREATE INDEX `instances_run_status_idx` ON `instances` (`run_id`,`status`);--> statement-breakpoint
CREATE INDEX `instances_run_scenario_idx` ON `instances` (`run_id`,`scenario_id`);--> statement-breakpoint
CREATE INDEX `instances_run_started_idx` ON `instances` (`run_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`started_at` text NOT NULL,
	`completed_at` text,
	`sut_name` text NOT NULL,
	`scenario_ids` text DEFAULT '[]' NOT NULL,
	`seed` integer,
	`config` text DEFAULT '{}' NOT NULL,
	CONSTRAINT "runs_scenario_ids_json" CHECK(json_valid("runs"."scenario_ids") AND json_type("runs"."scenario_ids") = 'array'),
	CONSTRAINT "runs_config_json" CHECK(json_valid("runs"."config") AND json_type("runs"."config") = 'object')
);
--> statement-breakpoint
CREATE INDEX `runs_sut_started_idx` ON `runs` (`sut_name`,`started_at`);--> statement-breakpoint
CREATE INDEX `runs_started_at_idx` ON `runs` (`started_at`);--> statement-breakpoint
CREATE TABLE `steps` (
	`id` integer PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`instance_id` text NOT NULL,
	`step_index` integer NOT NULL,
	`action_name` text NOT NULL,
	`action_type` text NOT NULL,
	`service` text,
	`started_at` text,
	`latency_ms` real,
	`status_code` integer,
	`ok` integer,
	`observation` text DEFAULT '{}' NOT NULL,
	FOREIGN KEY (`run_id`,`instance_id`) REFERENCES `instances`(`run_id`,`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "steps_step_index_range" CHECK("steps"."step_index" >= 0),
	CONSTRAINT "steps_latency_range" CHECK("steps"."latency_ms" IS NULL OR "steps"."latency_ms" >= 0),
	CONSTRAINT "steps_ok_bool" CHECK("steps"."ok" IS NULL OR "steps"."ok" IN (0, 1)),
	CONSTRAINT "steps_observation_json" CHECK(json_valid("steps"."observation"))
);
--> statement-breakpoint
CREATE INDEX `steps_run_instance_idx` ON `steps` (`run_id`,`instance_id`,`step_index`);--> statement-breakpoint
CREATE INDEX `steps_run_action_type_idx` ON `steps` (`run_id`,`action_type`);--> statement-breakpoint
CREATE INDEX `steps_run_service_idx` ON `steps` (`run_id`,`service`);