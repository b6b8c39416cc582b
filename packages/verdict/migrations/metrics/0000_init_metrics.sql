CREATE TABLE `autonomy_metrics` (
	`run_id` text PRIMARY KEY NOT NULL,
	`manual_interventions_count` integer DEFAULT 0 NOT NULL,
	`manual_interventions_types` text DEFAULT '[]' NOT NULL,
	`prompts_needed_initial` integer DEFAULT 0 NOT NULL,
	`prompts_needed_followup` integer DEFAULT 0 NOT NULL,
	`one_shot_success_rate` real DEFAULT 0 NOT NULL,
	`error_recovery_rate` real DEFAULT 0 NOT NULL,
	`agent_handoffs_successful` integer DEFAULT 0 NOT NULL,
	`agent_handoffs_failed` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `benchmark_runs`(`run_id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "autonomy_metrics_interventions_range" CHECK("autonomy_metrics"."manual_interventions_count" >= 0),
	CONSTRAINT "autonomy_metrics_interventions_types_json" CHECK(json_valid("autonomy_metrics"."manual_interventions_types") AND json_type("autonomy_metrics"."manual_interventions_types") = 'array'),
	CONSTRAINT "autonomy_metrics_prompts_range" CHECK("autonomy_metrics"."prompts_needed_initial" >= 0 AND "autonomy_metrics"."prompts_needed_followup" >= 0),
	CONSTRAINT "autonomy_metrics_one_shot_rate_range" CHECK("autonomy_metrics"."one_shot_success_rate" >= 0 AND "autonomy_metrics"."one_shot_success_rate" <= 1),
	CONSTRAINT "autonomy_metrics_error_recovery_rate_range" CHECK("autonomy_metrics"."error_recovery_rate" >= 0 AND "autonomy_metrics"."error_recovery_rate" <= 1),
	CONSTRAINT "autonomy_metrics_handoffs_range" CHECK("autonomy_metrics"."agent_handoffs_successful" >= 0 AND "autonomy_metrics"."agent_handoffs_failed" >= 0)
);
--> statement-breakpoint
CREATE TABLE `benchmark_runs` (
	`run_id` text PRIMARY KEY NOT NULL,
	`timestamp` text NOT NULL,
	`project_name` text NOT NULL,
	`benchmark_name` text NOT NULL,
	`version` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "benchmark_runs_metadata_json" CHECK(json_valid("benchmark_runs"."metadata") AND json_type("benchmark_runs"."metadata") = 'object')
);
--> statement-breakpoint
CREATE INDEX `benchmark_runs_timestamp_idx` ON `benchmark_runs` (`timestamp`);--> statement-breakpoint
CREATE INDEX `benchmark_runs_project_timestamp_idx` ON `benchmark_runs` (`project_name`,`timestamp`);--> statement-breakpoint
CREATE INDEX `benchmark_runs_benchmark_timestamp_idx` ON `benchmark_runs` (`benchmark_name`,`timestamp`);--> statement-breakpoint
CREATE TABLE `performance_metrics` (
	`run_id` text PRIMARY KEY NOT NULL,
	`total_time_seconds` real DEFAULT 0 NOT NULL,
	`phase_times` text DEFAULT '{}' NOT NULL,
	`token_usage_total` integer DEFAULT 0 NOT NULL,
	`token_usage_by_agent` text DEFAULT '{}' NOT NULL,
	`api_calls_count` integer DEFAULT 0 NOT NULL,
	`api_calls_cost` real DEFAULT 0 NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `benchmark_runs`(`run_id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "performance_metrics_total_time_range" CHECK("performance_metrics"."total_time_seconds" >= 0),
	CONSTRAINT "performance_metrics_token_usage_range" CHECK("performance_metrics"."token_usage_total" >= 0),
	CONSTRAINT "performance_metrics_api_calls_range" CHECK("performance_metrics"."api_calls_count" >= 0),
	CONSTRAINT "performance_metrics_api_cost_range" CHECK("performance_metrics"."api_calls_cost" >= 0),
	CONSTRAINT "performance_metrics_phase_times_json" CHECK(json_valid("performance_metrics"."phase_times") AND json_type("performance_metrics"."phase_times") = 'object'),
	CONSTRAINT "performance_metrics_token_usage_by_agent_json" CHECK(json_valid("performance_metrics"."token_usage_by_agent") AND json_type("performance_metrics"."token_usage_by_agent") = 'object')
);
--> statement-breakpoint
CREATE TABLE `quality_metrics` (
	`run_id` text PRIMARY KEY NOT NULL,
	`tests_written` integer DEFAULT 0 NOT NULL,
	`tests_passing` integer DEFAULT 0 NOT NULL,
	`code_coverage_percentage` real DEFAULT 0 NOT NULL,
	`linting_errors_count` integer DEFAULT 0 NOT NULL,
	`linting_errors_by_severity` text DEFAULT '{}' NOT NULL,
	`type_errors_count` integer DEFAULT 0 NOT NULL,
	`security_vulnerabilities_count` integer DEFAULT 0 NOT NULL,
	`security_vulnerabilities_by_severity` text DEFAULT '{}' NOT NULL,
	`functional_completeness_percentage` real DEFAULT 0 NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `benchmark_runs`(`run_id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "quality_metrics_tests_range" CHECK("quality_metrics"."tests_written" >= 0 AND "quality_metrics"."tests_passing" >= 0),
	CONSTRAINT "quality_metrics_tests_passing_le_written" CHECK("quality_metrics"."tests_passing" <= "quality_metrics"."tests_written"),
	CONSTRAINT "quality_metrics_coverage_range" CHECK("quality_metrics"."code_coverage_percentage" >= 0 AND "quality_metrics"."code_coverage_percentage" <= 100),
	CONSTRAINT "quality_metrics_completeness_range" CHECK("quality_metrics"."functional_completeness_percentage" >= 0 AND "quality_metrics"."functional_completeness_percentage" <= 100),
	CONSTRAINT "quality_metrics_error_counts_range" CHECK("quality_metrics"."linting_errors_count" >= 0 AND "quality_metrics"."type_errors_count" >= 0 AND "quality_metrics"."security_vulnerabilities_count" >= 0),
	CONSTRAINT "quality_metrics_linting_by_severity_json" CHECK(json_valid("quality_metrics"."linting_errors_by_severity") AND json_type("quality_metrics"."linting_errors_by_severity") = 'object'),
	CONSTRAINT "quality_metrics_security_by_severity_json" CHECK(json_valid("quality_metrics"."security_vulnerabilities_by_severity") AND json_type("quality_metrics"."security_vulnerabilities_by_severity") = 'object')
);
--> statement-breakpoint
CREATE TABLE `workflow_metrics` (
	`run_id` text PRIMARY KEY NOT NULL,
	`stories_created` integer DEFAULT 0 NOT NULL,
	`stories_completed` integer DEFAULT 0 NOT NULL,
	`avg_cycle_time_seconds` real DEFAULT 0 NOT NULL,
	`phase_distribution` text DEFAULT '{}' NOT NULL,
	`rework_count` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `benchmark_runs`(`run_id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "workflow_metrics_stories_range" CHECK("workflow_metrics"."stories_created" >= 0 AND "workflow_metrics"."stories_completed" >= 0),
	CONSTRAINT "workflow_metrics_completed_le_created" CHECK("workflow_metrics"."stories_completed" <= "workflow_metrics"."stories_created"),
	CONSTRAINT "workflow_metrics_cycle_time_range" CHECK("workflow_metrics"."avg_cycle_time_seconds" >= 0),
	CONSTRAINT "workflow_metrics_rework_range" CHECK("workflow_metrics"."rework_count" >= 0),
	CONSTRAINT "workflow_metrics_phase_distribution_json" CHECK(json_valid("workflow_metrics"."phase_distribution") AND json_type("workflow_metrics"."phase_distribution") = 'object')
);
