-- Children before parents, so no foreign key ever points at a dropped table.
DROP TABLE `step_executions`;--> statement-breakpoint
DROP TABLE `test_executions`;--> statement-breakpoint
DROP TABLE `intent_training_data`;--> statement-breakpoint
DROP TABLE `test_scenarios`;
