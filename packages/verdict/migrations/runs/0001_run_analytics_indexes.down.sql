-- Back to the 0000 index set: drop the percentile/failure indexes, restore steps_run_service_idx's two columns.
DROP INDEX `instances_run_scenario_duration_idx`;--> statement-breakpoint
DROP INDEX `instances_run_duration_idx`;--> statement-breakpoint
DROP INDEX `steps_run_service_idx`;--> statement-breakpoint
DROP INDEX `steps_run_failed_idx`;--> statement-breakpoint
DROP INDEX `steps_run_action_latency_idx`;--> statement-breakpoint
DROP INDEX `steps_run_latency_idx`;--> statement-breakpoint
CREATE INDEX `steps_run_service_idx` ON `steps` (`run_id`,`service`);
