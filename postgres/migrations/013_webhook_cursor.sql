-- Webhook deliveries are queued after the commit of the events they
-- deliver, not inside it: a dispatcher matches the events logged after
-- webhook_cursor.matched against the webhooks, queues their deliveries and
-- moves the cursor in one transaction (events.Store.QueueDeliveries). The
-- cursor starts at the newest event id, whose deliveries were queued by
-- the commit that logged it.
CREATE TABLE webhook_cursor (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	matched BIGINT NOT NULL
);
INSERT INTO webhook_cursor (id, matched) SELECT 1, event_seq FROM log_head WHERE id = 1;
-- A webhook gets the events logged after it was created: after_event is
-- the newest event id when it was.
ALTER TABLE webhooks ADD COLUMN after_event BIGINT NOT NULL DEFAULT 0;
