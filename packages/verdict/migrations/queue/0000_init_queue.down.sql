-- Children before parents, so no foreign key ever points at a dropped table.
DROP TABLE `report_keys`;--> statement-breakpoint
DROP TABLE `work_items`;
