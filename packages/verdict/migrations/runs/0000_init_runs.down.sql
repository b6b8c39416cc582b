-- Steps and assertions reference instances, which reference runs.
DROP TABLE `assertions`;--> statement-breakpoint
DROP TABLE `steps`;--> statement-breakpoint
DROP TABLE `instances`;--> statement-breakpoint
DROP TABLE `runs`;
