package operations

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/spatial"
)

// Follows reports whether Handle re-checks operations on event e: a
// site's or a movement's change, or a zone's or an agreement's (a zone
// coming into force).
func Follows(e truce.Event) bool {
	return (e.Kind == "site" && e.BBox != nil) || e.Kind == humanitarian.KindMovement || e.Kind == kindZone || e.Kind == kindAgreement
}

// The change kinds of zones and agreements (package zones), which
// operations follows without importing it.
const (
	kindZone      = "zone"
	kindAgreement = "agreement"
)

// other is the other side of a conflict raised later, as Handle checks it.
type other struct {
	against         Against
	id, party, kind string
	name            string
	class           string // what rules on conflicts name it by (notifiedRef)
	bbox            truce.BBox
	volumes         []spatial.Volume
}

// Handle re-checks the live operations (filed or active) against a
// change committed elsewhere: a site notified (or changed) inside one, or
// a movement notified or under way through one in its window, raises a
// conflict, recorded, journalled and alerted (EventConflict) to the
// operation's parties and the site's or movement's notifying party,
// marked Later. A conflict of the same operation version with the same
// site or movement is raised once, so a retried or repeated event adds
// nothing. The site or movement is read from the store and vouched for by
// the journal, not taken from the event; the sites and movements a filing
// is checked against (see notifiedIndex) take it too. Events that Follows
// does not name are ignored.
//
// A zone's change (or an agreement's, which moves all its zones) re-checks
// the live operations against the zones in force as the zone index now
// holds them (zoneLater). Every server sharing the database handles every
// such change (its own and, followed, the others'): each holds the
// operations filed on it, and a conflict is recorded once whichever
// servers find it (raiseLater).
func (s *Service) Handle(ctx context.Context, e truce.Event) error {
	if !Follows(e) {
		return nil
	}
	if e.Kind == kindZone || e.Kind == kindAgreement {
		return s.zoneLater(ctx, e)
	}
	if s.Notified == nil {
		return nil
	}
	// The site or movement and its journal entries are read in one
	// snapshot, so a change committed between the two reads is not taken
	// for a row changed behind the server's back.
	o, err := journal.Read(ctx, s.Journal, func(ctx context.Context) (*other, error) {
		if e.Kind == humanitarian.KindMovement {
			return s.notifiedMovement(ctx, e.Subject)
		}
		return s.notifiedSite(ctx, e.Subject, *e.BBox)
	})
	if err != nil {
		return err
	}
	s.followNotified(e.Subject, o)
	if o == nil {
		// The site is closed (or gone), the movement over: the
		// conflicts it raised later no longer stand.
		reason := "site closed"
		if e.Kind == humanitarian.KindMovement {
			reason = "movement no longer notified or under way"
		}
		return s.withdrawLater(ctx, e.Subject, reason)
	}
	vs := o.volumes
	type hit struct {
		op     *Operation
		volume int
		ov     spatial.Overlap
	}
	var hits []hit
	s.mu.Lock()
	if err := s.load(ctx); err != nil {
		s.mu.Unlock()
		return err
	}
	seen := map[string]bool{}
	for _, v := range vs {
		err := s.index.Overlapping(v, func(ov spatial.Overlap) bool {
			op := s.live[ov.Owner]
			if op == nil || seen[op.ID] {
				return true
			}
			seen[op.ID] = true
			_, j := splitVolumeID(ov.ID)
			hits = append(hits, hit{op, j, ov})
			return true
		})
		if err != nil {
			break // a site's buffer that cannot be drawn: its area was checked
		}
	}
	s.mu.Unlock()
	if len(hits) == 0 {
		return nil
	}
	now := s.Now().UTC()
	var raise []*Conflict
	// Whether a conflict blocks is said by the rules of the operation's
	// agreement now; it blocks nothing (the operation is filed) but tells
	// the parties how grave it is.
	rules := map[string][]truce.ConflictRule{}
	for _, h := range hits {
		if _, ok := rules[h.op.AgreementID]; ok {
			continue
		}
		ag, err := s.Store.Agreement(ctx, h.op.AgreementID)
		if err != nil {
			return err
		}
		rules[ag.ID] = ag.RulesAt(now).Conflicts
	}
	for _, h := range hits {
		v := h.op.Volumes[min(h.volume, len(h.op.Volumes)-1)]
		vis := []string{}
		for _, p := range append(slices.Clone(h.op.Participants), h.op.NotifyTo...) {
			if p != h.op.PartyID && !slices.Contains(vis, p) {
				vis = append(vis, p)
			}
		}
		if o.party != h.op.PartyID && !slices.Contains(vis, o.party) {
			vis = append(vis, o.party)
		}
		d := Decide(rules[h.op.AgreementID], h.op.Kind, o.against, o.class, false)
		raise = append(raise, &Conflict{OperationID: h.op.ID, OperationVersion: h.op.Version, PartyID: h.op.PartyID, Kind: h.op.Kind, Volume: h.volume,
			Against: o.against, OtherID: o.id, OtherParty: o.party, OtherKind: o.kind, OtherName: o.name,
			Overlap:  Overlap{FloorM: v.FloorM, CeilingM: v.CeilingM, Start: tp(h.ov.Start), End: tp(h.ov.End), BBox: meet(v.BBox, o.bbox)},
			Blocking: d.Blocking, Reason: d.Reason, DetectedAt: now, Visible: vis, Later: true})
	}
	return s.raiseLater(ctx, raise)
}

// raiseLater records, journals and alerts the conflicts raised later that
// are not recorded yet: one of an operation's version with the same other
// side (site, movement, zone) is raised once. The check reads the
// conflicts in the writing transaction, which holds the log's head (every
// write of every server sharing the database waits for it), so two
// servers finding the same conflict at once record it once.
func (s *Service) raiseLater(ctx context.Context, raise []*Conflict) error {
	// Most repeats (a retried event) are known before the write.
	known, err := journal.Read(ctx, s.Journal, func(ctx context.Context) (map[string][]*Conflict, error) {
		known := map[string][]*Conflict{}
		for _, c := range raise {
			if _, ok := known[c.OperationID]; !ok {
				cs, err := s.Store.Conflicts(ctx, c.OperationID)
				if err != nil {
					return nil, err
				}
				known[c.OperationID] = cs
			}
		}
		return known, nil
	})
	if err != nil {
		return err
	}
	raise = slices.DeleteFunc(raise, func(c *Conflict) bool { return raised(known[c.OperationID], c) })
	if len(raise) == 0 {
		return nil
	}
	_, err = journal.Write(ctx, s.Journal, s.Store, nil, func(tx Tx, w *journal.Writer) (struct{}, error) {
		known, n := map[string][]*Conflict{}, 0
		for _, c := range raise {
			cs, ok := known[c.OperationID]
			if !ok {
				var err error
				if cs, err = tx.Conflicts(ctx, c.OperationID); err != nil {
					return struct{}{}, err
				}
			}
			if raised(cs, c) {
				known[c.OperationID] = cs
				continue
			}
			c.ID = truce.NewID()
			bb := c.Overlap.BBox
			c.JournalIndex = w.Journal(truce.Change{Kind: KindConflict, Subject: c.ID, Body: c,
				Visibility: truce.Visibility{Scope: truce.ScopeParties, Owner: c.PartyID, Parties: c.Visible}, New: true,
				Event: &truce.Event{Kind: EventConflict, Data: c, BBox: &bb}})
			if err := tx.InsertConflict(ctx, c); err != nil {
				return struct{}{}, err
			}
			known[c.OperationID] = append(cs, c)
			n++
		}
		if n == 0 {
			return struct{}{}, errAllRaised
		}
		return struct{}{}, nil
	})
	if errors.Is(err, errAllRaised) {
		return nil
	}
	return err
}

// withdrawLater withdraws the standing conflicts raised later against
// other side otherID with the live operations: each is journalled again,
// withdrawn with the reason, and alerted (EventConflict) to whom it was.
// The conflicts are read again in the writing transaction, so a repeated
// event, or another server handling the same one, withdraws each once.
func (s *Service) withdrawLater(ctx context.Context, otherID, reason string) error {
	s.mu.Lock()
	if err := s.load(ctx); err != nil {
		s.mu.Unlock()
		return err
	}
	ops := make([]string, 0, len(s.live))
	for id := range s.live {
		ops = append(ops, id)
	}
	s.mu.Unlock()
	slices.Sort(ops)
	standing := func(c *Conflict) bool { return c.Later && c.OtherID == otherID && c.WithdrawnAt == nil }
	// Most events withdraw nothing: that is known before the write.
	some, err := journal.Read(ctx, s.Journal, func(ctx context.Context) (bool, error) {
		for _, id := range ops {
			cs, err := s.Store.Conflicts(ctx, id)
			if err != nil {
				return false, err
			}
			if slices.ContainsFunc(cs, standing) {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil || !some {
		return err
	}
	now := s.Now().UTC()
	_, err = journal.Write(ctx, s.Journal, s.Store, nil, func(tx Tx, w *journal.Writer) (struct{}, error) {
		n := 0
		for _, id := range ops {
			cs, err := tx.Conflicts(ctx, id)
			if err != nil {
				return struct{}{}, err
			}
			for _, c := range cs {
				if !standing(c) {
					continue
				}
				c.WithdrawnAt, c.WithdrawnReason = &now, reason
				bb := c.Overlap.BBox
				c.JournalIndex = w.Journal(truce.Change{Kind: KindConflict, Subject: c.ID, Body: c,
					Visibility: truce.Visibility{Scope: truce.ScopeParties, Owner: c.PartyID, Parties: c.Visible},
					Event:      &truce.Event{Kind: EventConflict, Data: c, BBox: &bb}})
				if err := tx.UpdateConflict(ctx, c); err != nil {
					return struct{}{}, err
				}
				n++
			}
		}
		if n == 0 {
			return struct{}{}, errAllRaised
		}
		return struct{}{}, nil
	})
	if errors.Is(err, errAllRaised) {
		return nil
	}
	return err
}

// errAllRaised ends a write of conflicts raised later that another
// server recorded first: nothing is left to journal.
var errAllRaised = truce.Errorf(truce.ECONFLICT, "The conflicts are recorded already.")

// raised reports whether c (raised later) is among the conflicts known of
// its operation: one of the same version with the same other side, not
// withdrawn (a site reopened raises its conflict anew).
func raised(known []*Conflict, c *Conflict) bool {
	return slices.ContainsFunc(known, func(k *Conflict) bool {
		return k.OtherID == c.OtherID && k.OperationVersion == c.OperationVersion && k.WithdrawnAt == nil
	})
}

// zoneLater re-checks the live operations against the zones in force
// after a zone's or an agreement's change e (the zone index has applied
// it: the node refreshes the index first): a zone now in force whose
// agreement prohibits an operation's activity there, meeting one of its
// volumes in area, band and window, raises a conflict (later) to the
// operation's parties and the zone's agreement's signatories. For a
// zone's change only that zone's conflicts are raised; an agreement's
// may bring any of its zones into force.
func (s *Service) zoneLater(ctx context.Context, e truce.Event) error {
	if s.Zones == nil {
		return nil
	}
	s.mu.Lock()
	if err := s.load(ctx); err != nil {
		s.mu.Unlock()
		return err
	}
	ops := make([]*Operation, 0, len(s.live))
	for _, o := range s.live {
		ops = append(ops, o)
	}
	s.mu.Unlock()
	slices.SortFunc(ops, func(a, b *Operation) int { return strings.Compare(a.ID, b.ID) })
	now := s.Now().UTC()
	raise, err := journal.Read(ctx, s.Journal, func(ctx context.Context) ([]*Conflict, error) {
		var raise []*Conflict
		for _, o := range ops {
			pvs, err := prepare(o, 0)
			if err != nil {
				continue // checked when it was filed
			}
			seen := map[string]bool{}
			err = s.findZones(ctx, o, pvs, func(i int, against Against, otherID, otherParty, otherKind, otherName string, d Decision, ov Overlap, visible []string) {
				if (e.Kind == kindZone && otherID != e.Subject) || seen[otherID] {
					return
				}
				seen[otherID] = true
				vis := []string{}
				for _, p := range append(append(slices.Clone(o.Participants), o.NotifyTo...), visible...) {
					if p != o.PartyID && p != "" && !slices.Contains(vis, p) {
						vis = append(vis, p)
					}
				}
				raise = append(raise, &Conflict{OperationID: o.ID, OperationVersion: o.Version, PartyID: o.PartyID, Kind: o.Kind, Volume: i,
					Against: against, OtherID: otherID, OtherParty: otherParty, OtherKind: otherKind, OtherName: otherName,
					Overlap: ov, Blocking: d.Blocking, Reason: d.Reason, DetectedAt: now, Visible: vis, Later: true})
			})
			if err != nil {
				return nil, err
			}
		}
		return raise, nil
	})
	if err != nil {
		return err
	}
	return s.raiseLater(ctx, raise)
}

// notifiedSite reads site id (in box bb) as the journal vouches for it:
// nil when it is not there or not active.
func (s *Service) notifiedSite(ctx context.Context, id string, bb truce.BBox) (*other, error) {
	cursor := ""
	for {
		sites, err := s.Notified.Sites(ctx, humanitarian.SiteFilter{BBox: &bb, Cursor: cursor, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, st := range sites {
			if st.ID == id {
				out, err := journal.Vouched(ctx, s.Journal, "site", []*humanitarian.Site{st}, func(x *humanitarian.Site) string { return x.ID })
				if err != nil || out[0].Status != humanitarian.SiteActive {
					return nil, err
				}
				st = out[0]
				vs, err := siteVolumes(st)
				if err != nil {
					return nil, nil // not a shape a site is checked with
				}
				return &other{AgainstSite, st.ID, st.PartyID, string(st.Category), st.Name, string(st.Category), st.BBox, vs}, nil
			}
		}
		if len(sites) < 1000 {
			return nil, nil
		}
		cursor = sites[len(sites)-1].ID
	}
}

// notifiedMovement reads movement id as the journal vouches for it: nil
// when it is not there, or neither notified nor under way.
func (s *Service) notifiedMovement(ctx context.Context, id string) (*other, error) {
	cursor := ""
	for {
		ms, err := s.Notified.Movements(ctx, humanitarian.MovementFilter{Cursor: cursor, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if m.ID != id {
				continue
			}
			out, err := journal.Vouched(ctx, s.Journal, humanitarian.KindMovement, []*humanitarian.Movement{m}, func(x *humanitarian.Movement) string { return x.ID })
			if err != nil {
				return nil, err
			}
			m = out[0]
			v, ok := movementVolume(m)
			if !ok {
				return nil, nil
			}
			return &other{AgainstMovement, m.ID, m.PartyID, "movement", m.Name, string(m.Kind.Or()), m.BBox, []spatial.Volume{v}}, nil
		}
		if len(ms) < 1000 {
			return nil, nil
		}
		cursor = ms[len(ms)-1].ID
	}
}
