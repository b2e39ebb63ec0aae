-- Alerts listed by kind (GET /alerts?kind=…, the alert lists of each
-- engine) read the kind's newest alerts from this index instead of
-- scanning and sorting the whole table.
CREATE INDEX alerts_kind ON alerts(kind, id);
