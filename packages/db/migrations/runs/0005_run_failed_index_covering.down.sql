DROP INDEX `instances_run_failed_idx`;--> statement-breakpoint
CREATE INDEX `instances_run_failed_idx` ON `instances` (`run_id`,`scenario_id`,`error`) WHERE "instances"."status" = 'fail';
