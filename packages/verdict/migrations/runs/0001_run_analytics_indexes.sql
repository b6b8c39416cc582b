DROP INDEX `steps_run_service_idx`;--> statement-breakpoint
CREATE INDEX `steps_run_latency_idx` ON `steps` (`run_id`,`latency_ms`);--> statement-breakpoint
CREATE INDEX `steps_run_action_latency_idx` ON `steps` (`run_id`,`action_name`,`latency_ms`);--> statement-breakpoint
CREATE INDEX `steps_run_failed_idx` ON `steps` (`run_id`,`action_name`) WHERE "steps"."ok" = 0;--> statement-breakpoint
CREATE INDEX `steps_run_service_idx` ON `steps` (`run_id`,`service`,`latency_ms`);--> statement-breakpoint
CREATE INDEX `instances_run_duration_idx` ON `instances` (`run_id`,`duration_ms`);--> statement-breakpoint
CREATE INDEX `instances_run_scenario_duration_idx` ON `instances` (`run_id`,`scenario_id`,`duration_ms`);