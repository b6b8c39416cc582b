CREATE TABLE `metric_alerts` (
	`alert_id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`metric` text NOT NULL,
	`test` text NOT NULL,
	`direction` text NOT NULL,
	`value` real NOT NULL,
	`baseline_runs` integer NOT NULL,
	`baseline_mean` real,
	`baseline_stddev` real,
	`statistic` real,
	`p_value` real,
	`limit_value` real,
	`reason` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `benchmark_runs`(`run_id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "metric_alerts_test" CHECK("metric_alerts"."test" IN ('static', 'percent', 'zscore', 'ttest')),
	CONSTRAINT "metric_alerts_direction" CHECK("metric_alerts"."direction" IN ('lower', 'higher')),
	CONSTRAINT "metric_alerts_p_value_range" CHECK("metric_alerts"."p_value" IS NULL OR ("metric_alerts"."p_value" >= 0 AND "metric_alerts"."p_value" <= 1))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `metric_alerts_run_metric_test_idx` ON `metric_alerts` (`run_id`,`metric`,`test`);--> statement-breakpoint
CREATE INDEX `metric_alerts_created_idx` ON `metric_alerts` (`created_at`);--> statement-breakpoint
ALTER TABLE `benchmark_runs` ADD `branch` text;--> statement-breakpoint
ALTER TABLE `benchmark_runs` ADD `testbed` text;--> statement-breakpoint
ALTER TABLE `benchmark_runs` ADD `git_commit` text;--> statement-breakpoint
CREATE INDEX `benchmark_runs_scope_timestamp_idx` ON `benchmark_runs` (`project_name`,`benchmark_name`,`timestamp`);--> statement-breakpoint
-- Timestamps are now stored as UTC with microseconds. Rows written before in Verdict's own millisecond UTC form
-- gain three zeros (lossless); any other form is left as it was.
UPDATE `benchmark_runs` SET `timestamp` = substr(`timestamp`, 1, 23) || '000Z' WHERE `timestamp` GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z';
