DROP TRIGGER IF EXISTS `test_scenarios_updated_at`;
