-- Keep test_scenarios.updated_at current on every change, whoever writes the row.
-- The WHEN clause skips updates that set updated_at themselves, so the trigger never recurses.
CREATE TRIGGER `test_scenarios_updated_at`
AFTER UPDATE ON `test_scenarios`
FOR EACH ROW
WHEN NEW.`updated_at` = OLD.`updated_at`
BEGIN
  UPDATE `test_scenarios`
  SET `updated_at` = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  WHERE `scenario_id` = NEW.`scenario_id`;
END;
