-- Alerts go with their table; the dimension columns and the scope index go from benchmark_runs.
-- Timestamps keep their microsecond form (still valid ISO-8601 UTC).
DROP TABLE `metric_alerts`;--> statement-breakpoint
DROP INDEX `benchmark_runs_scope_timestamp_idx`;--> statement-breakpoint
ALTER TABLE `benchmark_runs` DROP COLUMN `git_commit`;--> statement-breakpoint
ALTER TABLE `benchmark_runs` DROP COLUMN `testbed`;--> statement-breakpoint
ALTER TABLE `benchmark_runs` DROP COLUMN `branch`;
