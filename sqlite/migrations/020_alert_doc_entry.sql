-- A new alert's document is the body of its journal entry (the journal
-- seals the document the store wrote): such a row is written with doc = ''
-- and doc_entry = the entry's index, and its document is read from the
-- journal, so an alert's body is stored once. A changed alert (acknowledged,
-- closed) stores its document again, with doc_entry NULL.
ALTER TABLE alerts ADD COLUMN doc_entry INTEGER;
