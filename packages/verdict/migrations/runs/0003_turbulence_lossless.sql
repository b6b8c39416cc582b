-- Written by hand (drizzle-kit would rebuild runs/instances, and DROP TABLE runs cascades into every
-- instance): only ADD COLUMN and CREATE TABLE, so existing rows stay untouched and it runs instantly.
ALTER TABLE `runs` ADD `state` text DEFAULT 'complete' NOT NULL CONSTRAINT "runs_state_enum" CHECK("state" IN ('importing', 'complete'));--> statement-breakpoint
ALTER TABLE `runs` ADD `importer` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `interrupted` integer DEFAULT false NOT NULL CONSTRAINT "runs_interrupted_bool" CHECK("interrupted" IN (0, 1));--> statement-breakpoint
ALTER TABLE `runs` ADD `source_format` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `manifest_text` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `summary_text` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `source_files` text;--> statement-breakpoint
ALTER TABLE `instances` ADD `passed` integer CONSTRAINT "instances_passed_bool" CHECK("passed" IS NULL OR "passed" IN (0, 1));--> statement-breakpoint
ALTER TABLE `instances` ADD `entry_data` text CONSTRAINT "instances_entry_data_json" CHECK("entry_data" IS NULL OR json_valid("entry_data"));--> statement-breakpoint
ALTER TABLE `instances` ADD `source` text;--> statement-breakpoint
ALTER TABLE `steps` ADD `correlation_id` text;--> statement-breakpoint
ALTER TABLE `steps` ADD `source` text;--> statement-breakpoint
ALTER TABLE `assertions` ADD `correlation_id` text;--> statement-breakpoint
ALTER TABLE `assertions` ADD `message` text;--> statement-breakpoint
ALTER TABLE `assertions` ADD `timestamp` text;--> statement-breakpoint
ALTER TABLE `assertions` ADD `source` text;--> statement-breakpoint
CREATE TABLE `run_artifacts` (
	`run_id` text NOT NULL,
	`path` text NOT NULL,
	`instance_id` text,
	`bytes` blob NOT NULL,
	PRIMARY KEY(`run_id`, `path`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
