package operations

import (
	"context"
	"slices"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/spatial"
)

// Follows reports whether Handle re-checks operations on event e: a
// site's or a movement's change.
func Follows(e truce.Event) bool {
	return (e.Kind == "site" && e.BBox != nil) || e.Kind == humanitarian.KindMovement
}

// other is the other side of a conflict raised later, as Handle checks it.
type other struct {
	against         Against
	id, party, kind string
	name            string
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
func (s *Service) Handle(ctx context.Context, e truce.Event) error {
	if !Follows(e) || s.Notified == nil {
		return nil
	}
	var o *other
	var err error
	if e.Kind == humanitarian.KindMovement {
		o, err = s.notifiedMovement(ctx, e.Subject)
	} else {
		o, err = s.notifiedSite(ctx, e.Subject, *e.BBox)
	}
	if err != nil {
		return err
	}
	s.followNotified(e.Subject, o)
	if o == nil {
		return nil
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
	for _, h := range hits {
		known, err := s.Store.Conflicts(ctx, h.op.ID)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(known, func(c *Conflict) bool { return c.OtherID == o.id && c.OperationVersion == h.op.Version }) {
			continue
		}
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
		d := Decide(h.op.Kind, o.against, "", false)
		raise = append(raise, &Conflict{OperationID: h.op.ID, OperationVersion: h.op.Version, PartyID: h.op.PartyID, Kind: h.op.Kind, Volume: h.volume,
			Against: o.against, OtherID: o.id, OtherParty: o.party, OtherKind: o.kind, OtherName: o.name,
			Overlap:  Overlap{FloorM: v.FloorM, CeilingM: v.CeilingM, Start: tp(h.ov.Start), End: tp(h.ov.End), BBox: meet(v.BBox, o.bbox)},
			Blocking: d.Blocking, Reason: d.Reason, DetectedAt: now, Visible: vis, Later: true})
	}
	if len(raise) == 0 {
		return nil
	}
	_, err = journal.Write(ctx, s.Journal, s.Store, nil, func(tx Tx, w *journal.Writer) (struct{}, error) {
		for _, c := range raise {
			c.ID = truce.NewID()
			bb := c.Overlap.BBox
			c.JournalIndex = w.Journal(truce.Change{Kind: KindConflict, Subject: c.ID, Body: c,
				Visibility: truce.Visibility{Scope: truce.ScopeParties, Owner: c.PartyID, Parties: c.Visible}, New: true,
				Event: &truce.Event{Kind: EventConflict, Data: c, BBox: &bb}})
			if err := tx.InsertConflict(ctx, c); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	return err
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
				return &other{AgainstSite, st.ID, st.PartyID, string(st.Category), st.Name, st.BBox, vs}, nil
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
			return &other{AgainstMovement, m.ID, m.PartyID, "movement", m.Name, m.BBox, []spatial.Volume{v}}, nil
		}
		if len(ms) < 1000 {
			return nil, nil
		}
		cursor = ms[len(ms)-1].ID
	}
}
