-- Alert episodes: the episode an alert belongs to (an entry and its exit,
-- a predicted entry and what became of it), and whether the episode has
-- ended, so that the open episodes (GET /alerts?ongoing=true) and one
-- episode's alerts are found by query. The acknowledgements of each
-- party and the history stay in the document, which the journal vouches
-- for.
ALTER TABLE alerts ADD COLUMN episode TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN ended INTEGER NOT NULL DEFAULT 0;
UPDATE alerts SET episode = COALESCE(json_extract(doc, '$.episode'), ''),
	ended = CASE WHEN json_extract(doc, '$.ended_at') IS NULL THEN 0 ELSE 1 END;
CREATE INDEX alerts_episode ON alerts(episode, id);
CREATE INDEX alerts_ongoing ON alerts(ended, state, id);
