DROP TABLE `run_stats`;--> statement-breakpoint
DROP TABLE `run_stat_groups`;--> statement-breakpoint
DROP TABLE `run_error_categories`;
