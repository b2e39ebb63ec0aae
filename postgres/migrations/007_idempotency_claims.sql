-- A write made for a request with an Idempotency-Key claims the key in its
-- own transaction (status 0 until the response is saved), so the key's
-- write is never made twice even if the response is lost.
ALTER TABLE idempotency ADD COLUMN journal_index BIGINT;
