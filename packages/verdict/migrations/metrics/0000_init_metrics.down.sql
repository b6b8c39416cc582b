-- The four metric groups hang off benchmark_runs; drop them first.
DROP TABLE `workflow_metrics`;--> statement-breakpoint
DROP TABLE `quality_metrics`;--> statement-breakpoint
DROP TABLE `autonomy_metrics`;--> statement-breakpoint
DROP TABLE `performance_metrics`;--> statement-breakpoint
DROP TABLE `benchmark_runs`;
