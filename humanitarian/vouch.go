package humanitarian

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/truce-project/truce/journal"
)

// vouchedVersions reads every version of one record with read and checks
// them against the record's journal entries, in one snapshot
// (journal.Read): each entry's body is one version as stored (a site's
// or movement's every change is a new version and one entry), so each
// row must be the body of the entry of its version, and there must be a
// row for every entry. journal.Vouched checks a record against its
// latest entry only; the history an inquiry reads is every version, and
// an old one edited or removed behind the server is refused (EINTEGRITY)
// as the latest would be.
func vouchedVersions[T any](ctx context.Context, j *journal.Journal, kind, id string, read func(ctx context.Context) ([]*T, error), versionOf func(*T) int64) ([]*T, error) {
	return journal.Read(ctx, j, func(ctx context.Context) ([]*T, error) {
		rows, err := read(ctx)
		if err != nil {
			return nil, err
		}
		rs, err := j.SubjectEntries(ctx, kind, id)
		if err != nil {
			return nil, err
		}
		type body struct {
			v   *T
			idx int64
		}
		byVersion := make(map[int64]body, len(rs))
		for _, r := range rs {
			v := new(T)
			if err := json.Unmarshal(r.Body, v); err != nil {
				return nil, j.Refuse(fmt.Sprintf("%s %s", kind, id), fmt.Sprintf("The %s record %s has an unreadable journal entry %d", kind, id, r.Index))
			}
			journal.EntryIndex(v, r.Index)
			byVersion[versionOf(v)] = body{v, r.Index}
		}
		for _, row := range rows {
			n := versionOf(row)
			key := fmt.Sprintf("%s %s version %d", kind, id, n)
			b, ok := byVersion[n]
			if !ok {
				return nil, j.Refuse(key, fmt.Sprintf("The %s record %s version %d has no journal entry holding it", kind, id, n))
			}
			if !journal.Same(row, b.v) {
				return nil, j.Refuse(key, fmt.Sprintf("The %s record %s version %d does not match its journal entry %d", kind, id, n, b.idx))
			}
			j.Integrity.Clear(key)
		}
		if len(rows) != len(byVersion) {
			return nil, j.Refuse(fmt.Sprintf("%s %s", kind, id), fmt.Sprintf("The %s record %s has %d versions in its journal and %d stored", kind, id, len(byVersion), len(rows)))
		}
		return rows, nil
	})
}

// versionOf returns the version n of a record among its versions (nil if
// none).
func versionOf[T any](vs []*T, n int64, version func(*T) int64) *T {
	for _, v := range vs {
		if version(v) == n {
			return v
		}
	}
	return nil
}
