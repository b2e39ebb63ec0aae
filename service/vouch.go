package service

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gowebpki/jcs"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// The log vouches for state (DESIGN.md, "Security model"): a record the
// engines or the API use is checked against the journal entries of its
// subject. Each entry's body is the record as stored (write stores the
// record with its entry's index before sealing), so the state a subject's
// entries describe, replayed oldest first, is what the rows must hold.
// Each entry is checked on the way: its leaf against the Merkle tree's
// stored leaf hash, its columns against its leaf, and its body and salt
// against the leaf's body_hash. A row that differs was changed behind the
// server's back: it is refused (the engines use the journalled state
// instead, the API answers EINTEGRITY), logged, counted, and reported by
// /readyz until it matches again.

// nextIndex returns the index the transaction's next Append will return,
// when the store can say.
func nextIndex(tx truce.Tx) (int64, bool) {
	p, ok := tx.(interface{ NextIndex() int64 })
	if !ok {
		return 0, false
	}
	return p.NextIndex(), true
}

// Integrity collects the records found not to match the journal.
type Integrity struct {
	// Mismatches counts every refusal (a record found changed, each time
	// it is found).
	Mismatches atomic.Uint64

	mu       sync.Mutex
	problems map[string]string // record key -> what is wrong
	// seen holds the encoding's hash of each record read on every request
	// (the caller's token, user and party) when it last matched the
	// journal: until its row changes, it is not read from the journal
	// again.
	seen sync.Map
}

// report records that the record known by key does not match the journal.
func (g *Integrity) report(log *slog.Logger, key, problem string) {
	g.Mismatches.Add(1)
	g.mu.Lock()
	_, known := g.problems[key]
	if g.problems == nil {
		g.problems = map[string]string{}
	}
	g.problems[key] = problem
	g.mu.Unlock()
	if !known && log != nil {
		log.Error("integrity: a stored record does not match the journal; refused", "record", key, "problem", problem)
	}
}

// clear forgets the problem of a record that matches again.
func (g *Integrity) clear(key string) {
	g.mu.Lock()
	delete(g.problems, key)
	g.mu.Unlock()
}

// Problems lists the records that do not match the journal, for /readyz.
func (g *Integrity) Problems() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.problems))
	for _, p := range g.problems {
		out = append(out, "integrity: "+p)
	}
	slices.Sort(out)
	return out
}

// refuse reports a mismatch and returns the error the API answers.
func (s *Service) refuse(key, problem string) error {
	s.Integrity.report(s.Log, key, problem)
	return truce.Errorf(truce.EINTEGRITY, "%s. The stored record was changed outside Truce; it is not served. Tell the operator.", problem)
}

// subjectEntries returns a subject's entries, each checked against its
// leaf and the tree: the entries whose bodies are the subject's history.
func (s *Service) subjectEntries(ctx context.Context, kind, subject string) ([]*truce.JournalRecord, error) {
	rs, err := s.Store.SubjectJournal(ctx, kind, subject)
	if err != nil {
		return nil, err
	}
	if err := s.checkEntries(ctx, rs, false); err != nil {
		return nil, err
	}
	return rs, nil
}

// checkEntries checks journal records as stored: each leaf is the
// tree's (when the service has the log), the columns say what the leaf
// says, and the body and salt hash to the leaf's body_hash. A record
// whose body is redacted is checked all the same: the check runs before
// redaction. Columns that differ from the leaf are refused when strict
// (the entry is served as it is stored); otherwise they are reported and
// replaced by the leaf's (the engines need only the leaf and the body).
func (s *Service) checkEntries(ctx context.Context, rs []*truce.JournalRecord, strict bool) error {
	if s.Ledger != nil && len(rs) > 0 {
		idx := make([]int64, len(rs))
		for i, r := range rs {
			idx[i] = tlog.StoredHashIndex(0, r.Index)
		}
		hs, err := s.Ledger.ReadHashes(ctx, idx)
		if err != nil && !errors.Is(err, ledger.ErrNotFound) {
			return err // out of reach (the store says so), not changed
		}
		if err != nil {
			return s.refuse(fmt.Sprintf("journal entry %d", rs[0].Index), fmt.Sprintf("Journal entries from %d: the Merkle tree's leaf hashes cannot be read", rs[0].Index))
		}
		for i, r := range rs {
			if tlog.RecordHash(r.Leaf) != hs[i] {
				return s.refuse(fmt.Sprintf("journal entry %d", r.Index), fmt.Sprintf("Journal entry %d does not match the Merkle tree", r.Index))
			}
		}
	}
	for _, r := range rs {
		var e truce.Entry
		if err := json.Unmarshal(r.Leaf, &e); err != nil {
			return s.refuse(fmt.Sprintf("journal entry %d", r.Index), fmt.Sprintf("Journal entry %d has an unreadable leaf", r.Index))
		}
		if !sameEntry(e, r.Entry) {
			err := s.refuse(fmt.Sprintf("journal entry %d", r.Index), fmt.Sprintf("Journal entry %d: the stored columns differ from the entry's leaf", r.Index))
			if strict {
				return err
			}
			r.Entry = e
		}
		if truce.BodyHash(r.Salt, r.Body) != e.BodyHash {
			return s.refuse(fmt.Sprintf("journal entry %d", r.Index), fmt.Sprintf("Journal entry %d: the stored body does not hash to the entry's body_hash", r.Index))
		}
	}
	return nil
}

func sameEntry(a, b truce.Entry) bool {
	return a.Kind == b.Kind && a.Subject == b.Subject && a.Party == b.Party && a.User == b.User && a.Time.Equal(b.Time) &&
		a.BodyHash == b.BodyHash && (a.Prev == nil) == (b.Prev == nil) && (a.Prev == nil || *a.Prev == *b.Prev)
}

// canonical returns the RFC 8785 form of v's JSON, so that a record read
// from its row and one read from a body compare equal when they hold the
// same values.
func canonical(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	c, err := jcs.Transform(b)
	if err != nil {
		return nil
	}
	return c
}

// same reports whether two records of one type hold the same values. Both
// are encoded from the same Go type, so equal encodings are the common,
// cheap case; otherwise their RFC 8785 forms decide (a body's embedded
// GeoJSON was canonicalised when sealed, a row's was not).
func same(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return false
	}
	if string(ja) == string(jb) {
		return true
	}
	ca, cb := canonical(a), canonical(b)
	return ca != nil && string(ca) == string(cb)
}

// JournalledZone is a zone as its journal entries describe it: the zone
// and each version as last recorded.
type JournalledZone struct {
	Zone     *truce.Zone
	Versions map[int]*truce.ZoneVersion
	// Index is the zone's latest entry.
	Index int64
}

// journalledZone replays a zone's entries.
func (s *Service) journalledZone(ctx context.Context, id string) (*JournalledZone, error) {
	rs, err := s.subjectEntries(ctx, "zone", id)
	if err != nil {
		return nil, err
	}
	return s.replayZone(id, rs)
}

// replayZone replays a zone's entries, already checked (checkEntries).
func (s *Service) replayZone(id string, rs []*truce.JournalRecord) (*JournalledZone, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	jz := &JournalledZone{Versions: map[int]*truce.ZoneVersion{}}
	for _, r := range rs {
		var body struct {
			Zone       *truce.Zone        `json:"zone"`
			Version    *truce.ZoneVersion `json:"version"`
			Superseded *truce.ZoneVersion `json:"superseded"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || body.Zone == nil || body.Version == nil {
			return nil, s.refuse("zone "+id, fmt.Sprintf("Zone %s: journal entry %d holds no zone record", id, r.Index))
		}
		v := body.Version
		was := jz.Versions[v.Version]
		legacyBody(r.Index, body.Zone, v, was)
		if body.Superseded == nil && jz.Zone != nil {
			legacySupersede(jz, v, was)
		}
		jz.Zone, jz.Index = body.Zone, r.Index
		jz.Versions[v.Version] = v
		if body.Superseded != nil {
			jz.Versions[body.Superseded.Version] = body.Superseded
		}
	}
	return jz, nil
}

// Journals written before records carried their own entry's index hold,
// in each body, the index the record had before the change (0 for a new
// record), and an approval did not record the version it superseded. The
// write path then set, after sealing, each record's journal index to its
// entry's (a version's to the entry that proposed it, a decision's to the
// entry that added it), and ended the superseded version: legacyBody and
// legacySupersede do the same to such a body, so that the rows it wrote
// are checked exactly. A body written since holds those values already.

// legacyBody sets the journal indexes the write path set after sealing.
func legacyBody(idx int64, z *truce.Zone, v, was *truce.ZoneVersion) {
	z.JournalIndex = idx
	if was == nil && v.JournalIndex == 0 {
		v.JournalIndex = idx
	}
	for i := range v.Decisions {
		if v.Decisions[i].JournalIndex == 0 {
			v.Decisions[i].JournalIndex = idx
		}
	}
}

// legacySupersede ends the version in force when a legacy body approves
// another, as DecideZone did to the row without journalling it.
func legacySupersede(jz *JournalledZone, v, was *truce.ZoneVersion) {
	cur := jz.Zone.Current
	approved := v.Status == truce.VersionApproved && (was == nil || was.Status != truce.VersionApproved)
	prev := jz.Versions[cur]
	if !approved || cur == 0 || cur == v.Version || prev == nil || v.InForceFrom == nil {
		return
	}
	p := *prev
	from := *v.InForceFrom
	if p.InForceUntil == nil || p.InForceUntil.After(from) {
		p.InForceUntil = &from
	}
	if p.Action == truce.ZoneProposed || p.Action == truce.ZoneChange {
		p.Status = truce.VersionSuperseded
	}
	jz.Versions[cur] = &p
}

// entryIndex sets a record's journal index to its latest entry's: what
// the write path set after sealing when the body held the previous one
// (see legacyBody), and what a body written since holds already.
func entryIndex(record any, idx int64) {
	f := reflect.ValueOf(record).Elem().FieldByName("JournalIndex")
	if f.IsValid() && f.CanSet() && f.Kind() == reflect.Int64 {
		f.SetInt(idx)
	}
}

// vouchZone checks a zone (when z is not nil) and the versions given, as
// read from their rows, against the zone's journal. It returns the
// journalled zone, also when a row does not match (with the EINTEGRITY
// error, the mismatch reported): the engines then use what the journal
// says, and the API refuses the record. It returns a nil zone when the
// journal itself fails its checks or has no entry for the zone.
func (s *Service) vouchZone(ctx context.Context, id string, z *truce.Zone, vs []*truce.ZoneVersion) (*JournalledZone, error) {
	jz, err := s.journalledZone(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.compareZone(id, z, vs, jz)
}

// compareZone compares a zone's rows with its journalled state (see
// vouchZone).
func (s *Service) compareZone(id string, z *truce.Zone, vs []*truce.ZoneVersion, jz *JournalledZone) (*JournalledZone, error) {
	if jz == nil {
		return nil, s.refuse("zone "+id, fmt.Sprintf("Zone %s has no journal entry", id))
	}
	var first error
	if z != nil {
		key := "zone " + id
		if !same(z, jz.Zone) {
			first = s.refuse(key, fmt.Sprintf("Zone %s does not match its journal entry %d", id, jz.Index))
		} else {
			s.Integrity.clear(key)
		}
	}
	for _, v := range vs {
		key := fmt.Sprintf("zone %s version %d", id, v.Version)
		if jv := jz.Versions[v.Version]; jv == nil || !same(v, jv) {
			err := s.refuse(key, fmt.Sprintf("Zone %s version %d does not match its journal entries (latest %d)", id, v.Version, jz.Index))
			if first == nil {
				first = err
			}
		} else {
			s.Integrity.clear(key)
		}
	}
	return jz, first
}

// vouchAgreement checks an agreement (read from its row) against its
// latest journal entry. Like vouchZone, it returns the journalled
// agreement with the EINTEGRITY error of a mismatch, and nil when the
// journal fails its checks.
func (s *Service) vouchAgreement(ctx context.Context, ag *truce.Agreement) (*truce.Agreement, error) {
	rs, err := s.subjectEntries(ctx, "agreement", ag.ID)
	if err != nil {
		return nil, err
	}
	return s.compareAgreement(ag, rs)
}

// compareAgreement compares an agreement's row with its entries, already
// checked (see vouchAgreement).
func (s *Service) compareAgreement(ag *truce.Agreement, rs []*truce.JournalRecord) (*truce.Agreement, error) {
	key := "agreement " + ag.ID
	if len(rs) == 0 {
		return nil, s.refuse(key, fmt.Sprintf("Agreement %s has no journal entry", ag.ID))
	}
	last := rs[len(rs)-1]
	var j truce.Agreement
	if err := json.Unmarshal(last.Body, &j); err != nil || j.ID != ag.ID {
		return nil, s.refuse(key, fmt.Sprintf("Agreement %s: journal entry %d holds no agreement record", ag.ID, last.Index))
	}
	agreementIndexes(&j, last.Index)
	if !same(ag, &j) {
		return &j, s.refuse(key, fmt.Sprintf("Agreement %s does not match its journal entry %d", ag.ID, last.Index))
	}
	s.Integrity.clear(key)
	return &j, nil
}

// VouchedAgreement returns an agreement checked against the journal
// (EINTEGRITY if it does not match).
func (s *Service) VouchedAgreement(ctx context.Context, id string) (*truce.Agreement, error) {
	ag, err := s.Store.Agreement(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.vouchAgreement(ctx, ag); err != nil {
		return nil, err
	}
	return ag, nil
}

// vouchVersions checks versions read from their rows, and their zones,
// against the journal (EINTEGRITY if one does not match).
func (s *Service) vouchVersions(ctx context.Context, vs []*truce.ZoneVersion) error {
	byZone := map[string][]*truce.ZoneVersion{}
	var order []string
	for _, v := range vs {
		if _, ok := byZone[v.ZoneID]; !ok {
			order = append(order, v.ZoneID)
		}
		byZone[v.ZoneID] = append(byZone[v.ZoneID], v)
	}
	for _, id := range order {
		if _, err := s.vouchZone(ctx, id, nil, byZone[id]); err != nil {
			return err
		}
	}
	return nil
}

// VouchedZone returns a zone and all its versions, checked against the
// journal.
func (s *Service) VouchedZone(ctx context.Context, id string) (*truce.Zone, []*truce.ZoneVersion, error) {
	z, err := s.Store.Zone(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	vs, err := s.Store.ZoneVersions(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	jz, err := s.vouchZone(ctx, id, z, vs)
	if err != nil {
		return nil, nil, err
	}
	if len(vs) != len(jz.Versions) {
		return nil, nil, s.refuse("zone "+id, fmt.Sprintf("Zone %s has %d stored versions and %d journalled", id, len(vs), len(jz.Versions)))
	}
	return z, vs, nil
}

// JournalledAgreement returns an agreement read from its row as the
// journal vouches for it, for the engines: a row that does not match is
// reported and the journal's agreement returned; nil (and no error) when
// the journal itself fails its checks (reported too). Errors are the
// store's.
func (s *Service) JournalledAgreement(ctx context.Context, ag *truce.Agreement) (*truce.Agreement, error) {
	j, err := s.vouchAgreement(ctx, ag)
	if truce.ErrorCode(err) == truce.EINTEGRITY {
		return j, nil
	}
	return j, err
}

// CheckState checks every zone, with all its versions, and every
// agreement against the journal (the self-check's second pass), calling
// progress after each record. Every mismatch is reported; the first is
// returned (EINTEGRITY), after all records are checked.
func (s *Service) CheckState(ctx context.Context, progress func(checked int)) (int, error) {
	var first error
	n := 0
	stored := map[string]map[string]bool{"zone": {}, "agreement": {}}
	note := func(err error) error {
		if truce.ErrorCode(err) == truce.EINTEGRITY {
			if first == nil {
				first = err
			}
			return nil
		}
		return err
	}
	for cursor := ""; ; {
		zs, err := s.Store.Zones(ctx, truce.ZoneFilter{Cursor: cursor, Limit: 1000})
		if err != nil {
			return n, err
		}
		ids := make([]string, len(zs))
		for i, z := range zs {
			ids[i] = z.ID
		}
		page, err := s.statePage(ctx, "zone", ids, true)
		if err != nil {
			return n, err
		}
		for _, z := range zs {
			vs, rs, ok := page.versions[z.ID], page.entries[z.ID], page.bulk
			if !ok {
				if vs, err = s.Store.ZoneVersions(ctx, z.ID); err != nil {
					return n, err
				}
				rs, err = s.subjectEntries(ctx, "zone", z.ID)
			}
			var jz *JournalledZone
			if err == nil {
				if jz, err = s.replayZone(z.ID, rs); err == nil {
					jz, err = s.compareZone(z.ID, z, vs, jz)
				}
			}
			if err := note(err); err != nil {
				return n, err
			}
			if jz != nil && len(jz.Versions) != len(vs) {
				note(s.refuse("zone "+z.ID, fmt.Sprintf("Zone %s has %d stored versions and %d journalled", z.ID, len(vs), len(jz.Versions))))
			}
			stored["zone"][z.ID] = true
			n++
			if progress != nil {
				progress(n)
			}
		}
		if len(zs) < 1000 {
			break
		}
		cursor = zs[len(zs)-1].ID
	}
	for cursor := ""; ; {
		ags, err := s.Store.Agreements(ctx, truce.AgreementFilter{Cursor: cursor, Limit: 1000})
		if err != nil {
			return n, err
		}
		ids := make([]string, len(ags))
		for i, ag := range ags {
			ids[i] = ag.ID
		}
		page, err := s.statePage(ctx, "agreement", ids, false)
		if err != nil {
			return n, err
		}
		for _, ag := range ags {
			rs, ok := page.entries[ag.ID], page.bulk
			if !ok {
				rs, err = s.subjectEntries(ctx, "agreement", ag.ID)
			}
			if err == nil {
				_, err = s.compareAgreement(ag, rs)
			}
			if err := note(err); err != nil {
				return n, err
			}
			stored["agreement"][ag.ID] = true
			n++
			if progress != nil {
				progress(n)
			}
		}
		if len(ags) < 1000 {
			break
		}
		cursor = ags[len(ags)-1].ID
	}
	// The monitor's records: alerts (every one, to find deleted rows too),
	// the aircraft registry and the feeds in use.
	stored["alert"] = map[string]bool{}
	for cursor := ""; ; {
		as, err := s.Store.Alerts(ctx, truce.AlertFilter{Cursor: cursor, Limit: 1000})
		if err != nil {
			return n, err
		}
		_, bad, err := vouchRecords(ctx, s, "alert", as, alertID)
		if err != nil {
			return n, err
		}
		note(bad)
		for _, a := range as {
			stored["alert"][a.ID] = true
		}
		n += len(as)
		if progress != nil {
			progress(n)
		}
		if len(as) < 1000 {
			break
		}
		cursor = as[len(as)-1].ID
	}
	for cursor := ""; ; {
		ps, err := s.Store.Parties(ctx, truce.PartyFilter{Cursor: cursor, Limit: 1000})
		if err != nil {
			return n, err
		}
		if _, bad, err := vouchRecords(ctx, s, "party", ps, partyID); err != nil {
			return n, err
		} else {
			note(bad)
		}
		n += len(ps)
		if len(ps) < 1000 {
			break
		}
		cursor = ps[len(ps)-1].ID
	}
	// Users and their tokens: one at a time (there are few).
	for cursor := ""; ; {
		us, err := s.Store.Users(ctx, truce.UserFilter{Cursor: cursor, Limit: 1000})
		if err != nil {
			return n, err
		}
		for _, u := range us {
			if err := note(vouchOne(ctx, s, "user", u.ID, u, normUser)); err != nil {
				return n, err
			}
			ts, err := s.Store.Tokens(ctx, u.ID)
			if err != nil {
				return n, err
			}
			for _, t := range ts {
				if err := note(vouchOne(ctx, s, "token", t.ID, t, nil)); err != nil {
					return n, err
				}
			}
			n += 1 + len(ts)
		}
		if len(us) < 1000 {
			break
		}
		cursor = us[len(us)-1].ID
	}
	acs, err := s.Store.AircraftList(ctx, "")
	if err != nil {
		return n, err
	}
	if _, bad, err := vouchRecords(ctx, s, "aircraft", acs, func(a *truce.Aircraft) string { return a.ID }); err != nil {
		return n, err
	} else {
		note(bad)
	}
	fs, err := s.Store.Feeds(ctx)
	if err != nil {
		return n, err
	}
	if _, bad, err := vouchRecords(ctx, s, "feed", fs, func(f *truce.FeedSource) string { return f.ID }); err != nil {
		return n, err
	} else {
		note(bad)
	}
	n += len(acs) + len(fs)
	if st, ok := s.Store.(stateColumns); ok {
		// Records hidden from the engines' queries: columns that differ
		// from their documents, rows deleted while the journal has them.
		err := st.CheckStateColumns(ctx, func(record, problem string) { note(s.refuse(record+" columns", problem)) })
		if err != nil {
			return n, err
		}
		for _, kind := range []string{"zone", "agreement", "alert"} {
			err := st.JournalSubjects(ctx, kind, func(id string) error {
				if !stored[kind][id] {
					note(s.refuse(kind+" "+id, fmt.Sprintf("The journal records %s %s, which is not stored: its row was deleted", kind, id)))
				}
				return nil
			})
			if err != nil {
				return n, err
			}
		}
	}
	return n, first
}

// stateColumns is implemented by the SQL stores (internal/sqlstore/vouch.go).
type stateColumns interface {
	CheckStateColumns(ctx context.Context, fn func(record, problem string)) error
	JournalSubjects(ctx context.Context, kind string, fn func(subject string) error) error
}

// vouchRecords checks records of one kind, read from their rows, against
// their subjects' latest journal entries (whose bodies are the records as
// stored). It returns the records as the journal holds them (leaving out
// those whose journal fails its checks), the EINTEGRITY error of the
// first that did not match (each is reported), and the store's error.
// A page of records costs one query when the store can (bulkState).
func vouchRecords[T any](ctx context.Context, s *Service, kind string, rows []*T, idOf func(*T) string) ([]*T, error, error) {
	out := make([]*T, 0, len(rows))
	var first error
	for start := 0; start < len(rows); start += 1000 {
		page := rows[start:min(start+1000, len(rows))]
		var es map[string][]*truce.JournalRecord
		if b, ok := s.Store.(bulkState); ok {
			ids := make([]string, len(page))
			for i, r := range page {
				ids[i] = idOf(r)
			}
			var err error
			if es, err = b.SubjectsJournal(ctx, kind, ids); err != nil {
				return nil, nil, err
			}
			var all []*truce.JournalRecord
			for _, rs := range es {
				all = append(all, rs...)
			}
			if err := s.checkEntries(ctx, all, false); truce.ErrorCode(err) == truce.EINTEGRITY {
				es = nil // read each on its own to name the one at fault
			} else if err != nil {
				return nil, nil, err
			}
		}
		for _, r := range page {
			id := idOf(r)
			key := kind + " " + id
			rs, ok := es[id]
			if es == nil || !ok {
				var err error
				if rs, err = s.subjectEntries(ctx, kind, id); truce.ErrorCode(err) == truce.EINTEGRITY {
					first = cmp.Or(first, err)
					continue
				} else if err != nil {
					return nil, nil, err
				}
			}
			j := new(T)
			if len(rs) == 0 || json.Unmarshal(rs[len(rs)-1].Body, j) != nil || idOf(j) != id {
				first = cmp.Or(first, s.refuse(key, fmt.Sprintf("The %s record %s has no journal entry holding it", kind, id)))
				continue
			}
			entryIndex(j, rs[len(rs)-1].Index)
			if !same(r, j) {
				first = cmp.Or(first, s.refuse(key, fmt.Sprintf("The %s record %s does not match its journal entry %d", kind, id, rs[len(rs)-1].Index)))
			} else {
				s.Integrity.clear(key)
			}
			out = append(out, j)
		}
	}
	return out, first, nil
}

// JournalledAircraft returns registry entries read from their rows as
// the journal vouches for them, for the monitor's attribution: an entry
// that does not match is reported and the journal's used (left out if
// the journal says it is removed, or if the journal itself fails its
// checks). Errors are the store's.
func (s *Service) JournalledAircraft(ctx context.Context, as []*truce.Aircraft) ([]*truce.Aircraft, error) {
	js, _, err := vouchRecords(ctx, s, "aircraft", as, func(a *truce.Aircraft) string { return a.ID })
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(js, func(a *truce.Aircraft) bool { return a.Removed }), nil
}

// JournalledFeeds returns the configured feeds as the journal vouches for
// them, for the monitor (which connects to their addresses), as
// JournalledAircraft does for the registry.
func (s *Service) JournalledFeeds(ctx context.Context) ([]*truce.FeedSource, error) {
	fs, err := s.Store.Feeds(ctx)
	if err != nil {
		return nil, err
	}
	js, _, err := vouchRecords(ctx, s, "feed", fs, func(f *truce.FeedSource) string { return f.ID })
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(js, func(f *truce.FeedSource) bool { return f.Removed }), nil
}

// vouched returns rows checked against the journal for the API: the rows
// themselves, or EINTEGRITY if one does not match.
func vouched[T any](ctx context.Context, s *Service, kind string, rows []*T, idOf func(*T) string) ([]*T, error) {
	_, first, err := vouchRecords(ctx, s, kind, rows, idOf)
	if err != nil {
		return nil, err
	}
	if first != nil {
		return nil, first
	}
	return rows, nil
}

// bulkState is implemented by the SQL stores (internal/sqlstore/vouch.go):
// a page of records' versions and entries in one query each.
type bulkState interface {
	ZoneVersionsOf(ctx context.Context, ids []string) (map[string][]*truce.ZoneVersion, error)
	SubjectsJournal(ctx context.Context, kind string, ids []string) (map[string][]*truce.JournalRecord, error)
}

// statePage is what the self-check reads for a page of records at once.
type statePage struct {
	bulk     bool // false: read each record's on its own
	versions map[string][]*truce.ZoneVersion
	entries  map[string][]*truce.JournalRecord
}

// statePage reads the entries (and, for zones, the versions) of a page
// of records in one query each, and checks all the entries at once. When
// the store cannot, or an entry fails its checks (so that the record at
// fault is found by reading each on its own), bulk is false.
func (s *Service) statePage(ctx context.Context, kind string, ids []string, versions bool) (statePage, error) {
	b, ok := s.Store.(bulkState)
	if !ok || len(ids) == 0 {
		return statePage{}, nil
	}
	p := statePage{bulk: true}
	var err error
	if p.entries, err = b.SubjectsJournal(ctx, kind, ids); err != nil {
		return statePage{}, err
	}
	if versions {
		if p.versions, err = b.ZoneVersionsOf(ctx, ids); err != nil {
			return statePage{}, err
		}
	}
	var all []*truce.JournalRecord
	for _, rs := range p.entries {
		all = append(all, rs...)
	}
	if err := s.checkEntries(ctx, all, false); truce.ErrorCode(err) == truce.EINTEGRITY {
		return statePage{}, nil
	} else if err != nil {
		return statePage{}, err
	}
	return p, nil
}

// bulkZones is implemented by the SQL stores: a page of zones in one query.
type bulkZones interface {
	bulkState
	ZonesOf(ctx context.Context, ids []string) (map[string]*truce.Zone, error)
}

// journalledZones checks zones, with the version rows given, against
// their journals, a page of 1,000 at a time (three queries a page when
// the store can), and returns each one's journalled zone: nil for a zone
// whose journal fails its checks (reported), and the journal's state for
// one whose rows do not match it (reported). Errors are the store's.
func (s *Service) journalledZones(ctx context.Context, order []string, rows map[string][]*truce.ZoneVersion) (map[string]*JournalledZone, error) {
	out := make(map[string]*JournalledZone, len(order))
	b, bulk := s.Store.(bulkZones)
	for start := 0; start < len(order); start += 1000 {
		page := order[start:min(start+1000, len(order))]
		var zs map[string]*truce.Zone
		var es map[string][]*truce.JournalRecord
		checked := false
		if bulk {
			var err error
			if zs, err = b.ZonesOf(ctx, page); err != nil {
				return nil, err
			}
			if es, err = b.SubjectsJournal(ctx, "zone", page); err != nil {
				return nil, err
			}
			var all []*truce.JournalRecord
			for _, rs := range es {
				all = append(all, rs...)
			}
			// A bad entry: read each zone on its own to name it.
			err = s.checkEntries(ctx, all, false)
			if err != nil && truce.ErrorCode(err) != truce.EINTEGRITY {
				return nil, err
			}
			checked = err == nil
		}
		for _, id := range page {
			var jz *JournalledZone
			var err error
			if checked {
				if jz, err = s.replayZone(id, es[id]); err == nil {
					jz, err = s.compareZone(id, zs[id], rows[id], jz)
				}
			} else {
				z, zerr := s.Store.Zone(ctx, id)
				if zerr != nil && truce.ErrorCode(zerr) != truce.ENOTFOUND {
					return nil, zerr
				}
				jz, err = s.vouchZone(ctx, id, z, rows[id])
			}
			if err != nil && truce.ErrorCode(err) != truce.EINTEGRITY {
				return nil, err
			}
			out[id] = jz
		}
	}
	return out, nil
}

// vouchOne checks one record read from its row against its subject's
// latest journal entry, remembering a match until the row changes (see
// Integrity.seen). norm, when set, evens out encodings that differ
// without differing in value (a nil and an empty list).
func vouchOne[T any](ctx context.Context, s *Service, kind, id string, row *T, norm func(*T)) error {
	enc, err := json.Marshal(row)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(enc)
	key := kind + " " + id
	if v, ok := s.Integrity.seen.Load(key); ok && v.([32]byte) == sum {
		return nil
	}
	rs, err := s.subjectEntries(ctx, kind, id)
	if err != nil {
		return err
	}
	j := new(T)
	if len(rs) == 0 || json.Unmarshal(rs[len(rs)-1].Body, j) != nil {
		return s.refuse(key, fmt.Sprintf("The %s record %s has no journal entry holding it", kind, id))
	}
	entryIndex(j, rs[len(rs)-1].Index)
	a, b := *row, *j
	if norm != nil {
		norm(&a)
		norm(&b)
	}
	if !same(&a, &b) {
		return s.refuse(key, fmt.Sprintf("The %s record %s does not match its journal entry %d", kind, id, rs[len(rs)-1].Index))
	}
	s.Integrity.clear(key)
	s.Integrity.seen.Store(key, sum)
	return nil
}

func normUser(u *truce.User) {
	if len(u.Roles) == 0 {
		u.Roles = nil
	}
}
