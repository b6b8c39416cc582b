CREATE TABLE `run_error_categories` (
	`run_id` text NOT NULL,
	`category` text NOT NULL,
	`count` integer NOT NULL,
	`example_instance_ids` text NOT NULL,
	PRIMARY KEY(`run_id`, `category`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "run_error_categories_examples_json" CHECK(json_valid("run_error_categories"."example_instance_ids"))
);
--> statement-breakpoint
CREATE TABLE `run_stat_groups` (
	`run_id` text NOT NULL,
	`dimension` text NOT NULL,
	`measure` text NOT NULL,
	`ord` integer NOT NULL,
	`key1` text,
	`key2` text,
	`rows` integer NOT NULL,
	`instances` integer,
	`pass` integer,
	`fail` integer,
	`undecided` integer,
	`error` integer,
	`n` integer NOT NULL,
	`min` real,
	`max` real,
	`mean` real,
	`p50` real,
	`p95` real,
	`p99` real,
	`p50_nearest` real,
	`p95_nearest` real,
	`p99_nearest` real,
	PRIMARY KEY(`run_id`, `dimension`, `measure`, `ord`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "run_stat_groups_dimension_enum" CHECK("run_stat_groups"."dimension" IN ('run', 'scenario', 'action', 'service')),
	CONSTRAINT "run_stat_groups_measure_enum" CHECK("run_stat_groups"."measure" IN ('duration_ms', 'latency_ms'))
);
--> statement-breakpoint
CREATE TABLE `run_stats` (
	`run_id` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	`computed_at` text NOT NULL,
	`instances` integer NOT NULL,
	`pass` integer NOT NULL,
	`fail` integer NOT NULL,
	`undecided` integer NOT NULL,
	`error` integer NOT NULL,
	`steps` integer NOT NULL,
	`failed_steps` integer NOT NULL,
	`assertions` integer NOT NULL,
	`failed_assertions` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "run_stats_counts_range" CHECK("run_stats"."instances" >= 0 AND "run_stats"."steps" >= 0 AND "run_stats"."assertions" >= 0)
);
--> statement-breakpoint
CREATE INDEX `steps_run_not_ok_idx` ON `steps` (`run_id`,`instance_id`) WHERE "steps"."ok" IS NOT 1;