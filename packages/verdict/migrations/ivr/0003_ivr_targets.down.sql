-- Drops what 0003 added: scenarios lose their target name (the rest of each scenario stays), and the
-- targets table goes with its trigger.
DROP INDEX `test_scenarios_target_idx`;--> statement-breakpoint
ALTER TABLE `test_scenarios` DROP COLUMN `target`;--> statement-breakpoint
DROP TRIGGER `ivr_targets_updated_at`;--> statement-breakpoint
DROP TABLE `ivr_targets`;
