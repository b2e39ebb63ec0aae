-- Every signed checkpoint of the log (C2SP tlog-checkpoint signed notes),
-- keyed by tree size. A note is replaced only by the same checkpoint with
-- more cosignatures; none is ever deleted, so any old proof can be re-served.
CREATE TABLE log_checkpoints (
	size       BIGINT PRIMARY KEY,
	note       BYTEA NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
