-- Named IVR targets: where a scenario's calls go (channel kind, URL, non-secret options such as
-- From/To numbers, HTTP method or account SID). Secrets are never stored here: a worker or
-- `verdict ivr run` takes a target's auth token from its environment by the target's name
-- (VERDICT_IVR_TOKEN_<NAME>). A scenario may name its target in test_scenarios.target.
CREATE TABLE `ivr_targets` (
	`name` text PRIMARY KEY NOT NULL,
	`channel` text NOT NULL,
	`url` text NOT NULL,
	`options` text DEFAULT '{}' NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	CONSTRAINT "ivr_targets_name_slug" CHECK(length("ivr_targets"."name") BETWEEN 1 AND 64 AND "ivr_targets"."name" NOT GLOB '*[^a-z0-9-]*' AND "ivr_targets"."name" NOT GLOB '-*'),
	CONSTRAINT "ivr_targets_channel_enum" CHECK("ivr_targets"."channel" IN ('webhook', 'twiml')),
	CONSTRAINT "ivr_targets_url_http" CHECK("ivr_targets"."url" GLOB 'http://?*' OR "ivr_targets"."url" GLOB 'https://?*'),
	CONSTRAINT "ivr_targets_options_json" CHECK(json_valid("ivr_targets"."options") AND json_type("ivr_targets"."options") = 'object')
);
--> statement-breakpoint
CREATE TRIGGER `ivr_targets_updated_at`
AFTER UPDATE ON `ivr_targets`
FOR EACH ROW
WHEN NEW.`updated_at` = OLD.`updated_at`
BEGIN
  UPDATE `ivr_targets`
  SET `updated_at` = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  WHERE `name` = NEW.`name`;
END;
--> statement-breakpoint
ALTER TABLE `test_scenarios` ADD `target` text;--> statement-breakpoint
CREATE INDEX `test_scenarios_target_idx` ON `test_scenarios` (`target`);
