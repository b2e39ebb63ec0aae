-- A new observation's or incident's document is the body of its journal
-- entry (the journal seals the document the store wrote): such a row is
-- written with doc = '' and doc_entry = the entry's index, and its document
-- is read from the journal, so a filing stores each document once, as
-- alerts do (020). A changed record (an incident another observation
-- joined, a decision) stores its document again, with doc_entry NULL.
ALTER TABLE observations ADD COLUMN doc_entry BIGINT;
ALTER TABLE incidents ADD COLUMN doc_entry BIGINT;
