DROP TABLE `run_artifacts`;--> statement-breakpoint
ALTER TABLE `assertions` DROP COLUMN `source`;--> statement-breakpoint
ALTER TABLE `assertions` DROP COLUMN `timestamp`;--> statement-breakpoint
ALTER TABLE `assertions` DROP COLUMN `message`;--> statement-breakpoint
ALTER TABLE `assertions` DROP COLUMN `correlation_id`;--> statement-breakpoint
ALTER TABLE `steps` DROP COLUMN `source`;--> statement-breakpoint
ALTER TABLE `steps` DROP COLUMN `correlation_id`;--> statement-breakpoint
ALTER TABLE `instances` DROP COLUMN `source`;--> statement-breakpoint
ALTER TABLE `instances` DROP COLUMN `entry_data`;--> statement-breakpoint
ALTER TABLE `instances` DROP COLUMN `passed`;--> statement-breakpoint
ALTER TABLE `runs` DROP COLUMN `source_files`;--> statement-breakpoint
ALTER TABLE `runs` DROP COLUMN `summary_text`;--> statement-breakpoint
ALTER TABLE `runs` DROP COLUMN `manifest_text`;--> statement-breakpoint
ALTER TABLE `runs` DROP COLUMN `source_format`;--> statement-breakpoint
ALTER TABLE `runs` DROP COLUMN `interrupted`;--> statement-breakpoint
ALTER TABLE `runs` DROP COLUMN `importer`;--> statement-breakpoint
ALTER TABLE `runs` DROP COLUMN `state`;
