package zones

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// The state checks that depend on a record's kind: a zone's state is its
// entries replayed (the zone and each version), an agreement's its latest
// body, and the self-check walks every kind. What is the same for every
// kind (checking entries against the tree, comparing a row with its
// latest body, reporting a mismatch) is package journal's.

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
	rs, err := s.SubjectEntries(ctx, "zone", id)
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
			return nil, s.Refuse("zone "+id, fmt.Sprintf("Zone %s: journal entry %d holds no zone record", id, r.Index))
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
		return nil, s.Refuse("zone "+id, fmt.Sprintf("Zone %s has no journal entry", id))
	}
	var first error
	if z != nil {
		key := "zone " + id
		if !journal.Same(z, jz.Zone) {
			first = s.Refuse(key, fmt.Sprintf("Zone %s does not match its journal entry %d", id, jz.Index))
		} else {
			s.Integrity.Clear(key)
		}
	}
	for _, v := range vs {
		key := fmt.Sprintf("zone %s version %d", id, v.Version)
		if jv := jz.Versions[v.Version]; jv == nil || !journal.Same(v, jv) {
			err := s.Refuse(key, fmt.Sprintf("Zone %s version %d does not match its journal entries (latest %d)", id, v.Version, jz.Index))
			if first == nil {
				first = err
			}
		} else {
			s.Integrity.Clear(key)
			// The same record: keep one copy of it (a zone's geometry is
			// most of the index's memory), and let the journal's go.
			jz.Versions[v.Version] = v
		}
	}
	return jz, first
}

// vouchAgreement checks an agreement (read from its row) against its
// latest journal entry. Like vouchZone, it returns the journalled
// agreement with the EINTEGRITY error of a mismatch, and nil when the
// journal fails its checks.
//
// A row read before a change to it committed, and its entries read after,
// differ without anyone having touched the database: the row's journal
// index is then older than its latest entry's, and the row is read again
// (*ag is replaced), a few times, before a difference is reported.
func (s *Service) vouchAgreement(ctx context.Context, ag *truce.Agreement) (*truce.Agreement, error) {
	for try := 0; ; try++ {
		rs, err := s.SubjectEntries(ctx, "agreement", ag.ID)
		if err != nil {
			return nil, err
		}
		if try < 3 && len(rs) > 0 && ag.JournalIndex < rs[len(rs)-1].Index {
			now, err := s.Store.Agreement(ctx, ag.ID)
			if err != nil {
				return nil, err
			}
			if now.JournalIndex != ag.JournalIndex {
				*ag = *now
				continue
			}
		}
		return s.compareAgreement(ag, rs)
	}
}

// compareAgreement compares an agreement's row with its entries, already
// checked (see vouchAgreement).
func (s *Service) compareAgreement(ag *truce.Agreement, rs []*truce.JournalRecord) (*truce.Agreement, error) {
	key := "agreement " + ag.ID
	if len(rs) == 0 {
		return nil, s.Refuse(key, fmt.Sprintf("Agreement %s has no journal entry", ag.ID))
	}
	last := rs[len(rs)-1]
	var j truce.Agreement
	if err := json.Unmarshal(last.Body, &j); err != nil || j.ID != ag.ID {
		return nil, s.Refuse(key, fmt.Sprintf("Agreement %s: journal entry %d holds no agreement record", ag.ID, last.Index))
	}
	agreementIndexes(&j, last.Index)
	if !journal.Same(ag, &j) {
		return &j, s.Refuse(key, fmt.Sprintf("Agreement %s does not match its journal entry %d", ag.ID, last.Index))
	}
	s.Integrity.Clear(key)
	return &j, nil
}

// VouchedAgreement returns an agreement checked against the journal
// (EINTEGRITY if it does not match).
func (s *Service) VouchedAgreement(ctx context.Context, id string) (*truce.Agreement, error) {
	return journal.Read(ctx, s.Journal, func(ctx context.Context) (*truce.Agreement, error) {
		ag, err := s.Store.Agreement(ctx, id)
		if err != nil {
			return nil, err
		}
		if _, err := s.vouchAgreement(ctx, ag); err != nil {
			return nil, err
		}
		return ag, nil
	})
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
func (s *Service) VouchedZone(ctx context.Context, id string) (z *truce.Zone, vs []*truce.ZoneVersion, err error) {
	err = s.Snapshot(ctx, func(ctx context.Context) error {
		z, vs, err = s.vouchedZone(ctx, id)
		return err
	})
	return z, vs, err
}

// vouchedZone is VouchedZone in the snapshot it gives.
func (s *Service) vouchedZone(ctx context.Context, id string) (*truce.Zone, []*truce.ZoneVersion, error) {
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
		return nil, nil, s.Refuse("zone "+id, fmt.Sprintf("Zone %s has %d stored versions and %d journalled", id, len(vs), len(jz.Versions)))
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
// note with each record's outcome (a mismatch is reported, EINTEGRITY,
// and given to note, which returns the errors that end the check),
// stored with each record's kind and id (to find the rows deleted while
// the journal has them), and progress after each record, counting from
// n. It returns the count after the last.
func (s *Service) CheckState(ctx context.Context, n int, note func(error) error, stored func(kind, id string), progress func(checked int)) (int, error) {
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
				rs, err = s.SubjectEntries(ctx, "zone", z.ID)
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
				note(s.Refuse("zone "+z.ID, fmt.Sprintf("Zone %s has %d stored versions and %d journalled", z.ID, len(vs), len(jz.Versions))))
			}
			stored("zone", z.ID)
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
				rs, err = s.SubjectEntries(ctx, "agreement", ag.ID)
			}
			if err == nil {
				_, err = s.compareAgreement(ag, rs)
			}
			if err := note(err); err != nil {
				return n, err
			}
			stored("agreement", ag.ID)
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
	return n, nil
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
// of records in one query each, and checks all the entries at once
// (journal.EntriesPage). When the store cannot, or an entry fails its
// checks, bulk is false.
func (s *Service) statePage(ctx context.Context, kind string, ids []string, versions bool) (statePage, error) {
	b, ok := s.Store.(bulkState)
	if !ok || len(ids) == 0 {
		return statePage{}, nil
	}
	var p statePage
	var err error
	if p.entries, p.bulk, err = s.EntriesPage(ctx, kind, ids); err != nil || !p.bulk {
		return statePage{}, err
	}
	if versions {
		if p.versions, err = b.ZoneVersionsOf(ctx, ids); err != nil {
			return statePage{}, err
		}
	}
	return p, nil
}

// bulkZones is implemented by the SQL stores: a page of zones in one query.
type bulkZones interface {
	bulkState
	ZonesOf(ctx context.Context, ids []string) (map[string]*truce.Zone, error)
}

// journalledZones checks zones, with the version rows given, against
// their journals, a page of 250 at a time (three queries a page when
// the store can), and returns each one's journalled zone: nil for a zone
// whose journal fails its checks (reported), and the journal's state for
// one whose rows do not match it (reported). Errors are the store's.
func (s *Service) journalledZones(ctx context.Context, order []string, rows map[string][]*truce.ZoneVersion) (map[string]*JournalledZone, error) {
	out := make(map[string]*JournalledZone, len(order))
	b, bulk := s.Store.(bulkZones)
	// A page's journal entries hold every version's geometry, read and
	// decoded at once: pages of 250 bound that to a few MB with real
	// polygons, at four queries more a thousand zones.
	const pageZones = 250
	for start := 0; start < len(order); start += pageZones {
		page := order[start:min(start+pageZones, len(order))]
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
			err = s.CheckEntries(ctx, all, false)
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

// StateCheck is the self-check's state pass over the zones, their
// versions and the agreements (CheckState; see
// journal.Journal.CheckState).
func (s *Service) StateCheck() journal.StateCheck {
	return journal.StateCheck{Kinds: []string{"zone", "agreement"}, Check: s.CheckState}
}
