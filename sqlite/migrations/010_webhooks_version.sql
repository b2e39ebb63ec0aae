-- Every commit that logs events matches them against the webhooks; the
-- committer keeps the list and re-reads it only when this counter, bumped
-- by every webhook created or deleted (on any server), has moved.
ALTER TABLE log_head ADD COLUMN webhooks_version BIGINT NOT NULL DEFAULT 0;
