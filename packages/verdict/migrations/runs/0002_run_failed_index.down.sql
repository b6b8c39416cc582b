DROP INDEX `instances_run_failed_idx`;
