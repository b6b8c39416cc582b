CREATE TABLE `api_tokens` (
	`name` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`scope` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`last_used_at` text,
	`revoked_at` text,
	CONSTRAINT "api_tokens_scope_enum" CHECK("api_tokens"."scope" IN ('read', 'write', 'admin')),
	CONSTRAINT "api_tokens_name_format" CHECK(length("api_tokens"."name") BETWEEN 1 AND 100 AND "api_tokens"."name" NOT GLOB '*[^A-Za-z0-9._-]*')
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_revoked_idx` ON `api_tokens` (`revoked_at`);