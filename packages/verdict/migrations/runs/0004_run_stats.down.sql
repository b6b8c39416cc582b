DROP INDEX `steps_run_not_ok_idx`;--> statement-breakpoint
DROP TABLE `run_stats`;--> statement-breakpoint
DROP TABLE `run_stat_groups`;--> statement-breakpoint
DROP TABLE `run_error_categories`;
