package journal

import (
	"context"
	"fmt"

	"github.com/truce-project/truce"
)

// StateCheck is one capability's part of the self-check's state pass: a
// check of its records against the journal, and the kinds of record
// whose rows it reports stored.
type StateCheck struct {
	// Kinds are the kinds of record whose rows Check reports (stored): a
	// subject of one of them that the journal records and Check did not
	// report has had its row deleted behind the server's back.
	Kinds []string
	// Check checks the capability's records, calling note with each
	// record's outcome (a mismatch is reported, EINTEGRITY, and given to
	// note, which returns the errors that end the check), stored with
	// each record's kind and id, and progress as it goes, counting from
	// n. It returns the count after the last record.
	Check func(ctx context.Context, n int, note func(error) error, stored func(kind, id string), progress func(checked int)) (int, error)
}

// stateColumns is implemented by the SQL stores (internal/sqlstore/vouch.go).
type stateColumns interface {
	CheckStateColumns(ctx context.Context, fn func(record, problem string)) error
	JournalSubjects(ctx context.Context, kind string, fn func(subject string) error) error
}

// CheckState is the self-check's second pass: every record, as each
// capability's check reads it, against the journal, calling progress as
// the checks go. Then, when the store can, the columns the engines query
// are checked against the records' documents, and the subjects the
// journal records of each check's Kinds against the rows found. Every
// mismatch is reported; the first is returned (EINTEGRITY), after all
// records are checked.
func (j *Journal) CheckState(ctx context.Context, progress func(checked int), checks ...StateCheck) (int, error) {
	var first error
	note := func(err error) error {
		if truce.ErrorCode(err) == truce.EINTEGRITY {
			if first == nil {
				first = err
			}
			return nil
		}
		return err
	}
	stored := map[string]map[string]bool{}
	for _, c := range checks {
		for _, kind := range c.Kinds {
			stored[kind] = map[string]bool{}
		}
	}
	found := func(kind, id string) {
		if stored[kind] == nil {
			stored[kind] = map[string]bool{}
		}
		stored[kind][id] = true
	}
	n := 0
	for _, c := range checks {
		var err error
		if n, err = c.Check(ctx, n, note, found, progress); err != nil {
			return n, err
		}
	}
	if st, ok := j.Entries.(stateColumns); ok {
		// Records hidden from the engines' queries: columns that differ
		// from their documents, rows deleted while the journal has them.
		err := st.CheckStateColumns(ctx, func(record, problem string) { note(j.Refuse(record+" columns", problem)) })
		if err != nil {
			return n, err
		}
		for _, c := range checks {
			for _, kind := range c.Kinds {
				err := st.JournalSubjects(ctx, kind, func(id string) error {
					if !stored[kind][id] {
						note(j.Refuse(kind+" "+id, fmt.Sprintf("The journal records %s %s, which is not stored: its row was deleted", kind, id)))
					}
					return nil
				})
				if err != nil {
					return n, err
				}
			}
		}
	}
	return n, first
}
