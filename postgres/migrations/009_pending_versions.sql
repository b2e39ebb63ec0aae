-- The inbox asks for the zones with a version awaiting decisions.
CREATE INDEX zone_versions_status ON zone_versions(status, zone_id);
