package control

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// Several servers share one database. Each keeps the guarantees and
// control areas in memory, and hears of the others' changes by their
// events (Follow). An event that never arrives (the bus dropped it, the
// server was restarting) would leave its memory out of step for good: its
// maps would miss the change, and — worse — its breach checks would miss a
// guarantee another server gave, so a control change it records would
// breach that guarantee unseen; and two servers that record a guarantee
// and a change of its ground at once each check against memory that does
// not yet hold the other's. CatchUp closes both gaps from the journal.

// catchUpPage is how many journal entries of one kind CatchUp reads and
// applies at once (under the service's lock, released between pages).
const catchUpPage = 500

// catchUpKinds are the kinds CatchUp follows, guarantees first: an area
// entry is then checked against every guarantee, including those learned
// in the same catch-up.
var catchUpKinds = []string{KindGuarantee, KindControlArea}

// CatchUp reads the journal entries of guarantees and control areas
// appended since the last catch-up (or the load), each checked against
// the log, and applies each to memory as Follow would; and it re-checks
// each: a guarantee against the areas held in memory, an area against
// the guarantees, raising the breaches that no server raised (at most one
// per guarantee and area, however many servers catch up at once: the
// store refuses a second). It returns the breaches raised. The node runs
// it periodically; it is the system's write (no caller). A page whose
// breaches cannot be written is read again at the next catch-up.
func (s *Service) CatchUp(ctx context.Context) ([]*Breach, error) {
	heads, err := s.Store.JournalHeads(ctx, catchUpKinds...)
	if err != nil {
		return nil, err
	}
	var out []*Breach
	for _, kind := range catchUpKinds {
		head, ok := heads[kind]
		if !ok {
			continue // no entry of that kind yet
		}
		for {
			raised, more, err := s.catchUpPage(ctx, kind, head)
			out = append(out, raised...)
			if err != nil {
				return out, err
			}
			if !more {
				break
			}
		}
	}
	return out, nil
}

// catchUpPage applies and re-checks one page of kind's entries after the
// last caught up, up to head; more says there are more to read.
func (s *Service) catchUpPage(ctx context.Context, kind string, head int64) (raised []*Breach, more bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(ctx); err != nil {
		return nil, false, err
	}
	after := s.caught[kind]
	if after >= head {
		return nil, false, nil
	}
	rs, err := s.Store.KindJournal(ctx, kind, after, catchUpPage)
	if err != nil {
		return nil, false, err
	}
	if err := s.Journal.CheckEntries(ctx, rs, false); err != nil {
		return nil, false, err
	}
	actors := map[string]*Actor{}
	for _, r := range rs {
		if r.Entry.Kind != kind {
			return raised, false, fmt.Errorf("journal entry %d is a %s entry, read as %s", r.Index, r.Entry.Kind, kind)
		}
		var bs []*Breach
		switch kind {
		case KindGuarantee:
			bs, err = s.catchUpGuarantee(ctx, r, actors)
		default:
			bs, err = s.catchUpArea(ctx, r, actors)
		}
		raised = append(raised, bs...)
		if err != nil {
			return raised, false, fmt.Errorf("journal entry %d: %w", r.Index, err)
		}
		s.caught[kind] = r.Index
	}
	return raised, len(rs) == catchUpPage, nil
}

// catchUpGuarantee applies a guarantee's entry and raises the breaches of
// it by the areas held in memory that no server raised. Callers hold s.mu.
func (s *Service) catchUpGuarantee(ctx context.Context, r *truce.JournalRecord, actors map[string]*Actor) ([]*Breach, error) {
	var g Guarantee
	if err := json.Unmarshal(r.Body, &g); err != nil {
		return nil, err
	}
	area, _, _, err := geometry(g.Geometry)
	if err != nil {
		return nil, err
	}
	if !s.guaranteed[g.ID] {
		s.guarantees.Add(area.Bound(), Guarded{Guarantee: &g, Area: area})
		s.guaranteed[g.ID] = true
		// It may reach back to incidents already examined.
		s.checked = nil
	}
	var out []*Breach
	var firstErr error
	s.layer.Within(area, func(c *ControlArea) {
		if firstErr != nil {
			return
		}
		fs := Breaches(Change{ActorID: c.ActorID, Area: area, From: c.From, To: c.To}, []Guarded{{Guarantee: &g, Area: area}})
		bs, err := s.raiseMissed(ctx, c, fs, actors)
		out = append(out, bs...)
		firstErr = err
	})
	return out, firstErr
}

// catchUpArea applies a control area's entry (unless memory holds that
// version or a later one) and raises the breaches of the guarantees it
// breaks that no server raised. Callers hold s.mu.
func (s *Service) catchUpArea(ctx context.Context, r *truce.JournalRecord, actors map[string]*Actor) ([]*Breach, error) {
	var c ControlArea
	if err := json.Unmarshal(r.Body, &c); err != nil {
		return nil, err
	}
	g, _, _, err := geometry(c.Geometry)
	if err != nil {
		return nil, err
	}
	if have, _, ok := s.layer.Area(c.ID); !ok || have.Version < c.Version {
		s.layer.AddDecoded(&c, g)
	}
	return s.raiseMissed(ctx, &c, Check(s.guarantees, Change{ActorID: c.ActorID, Area: g, From: c.From, To: c.To}), actors)
}

// raiseMissed journals, in one transaction, the breaches of findings fs by
// control area c that are not raised yet. A second server raising them at
// the same moment is refused by the store (ECONFLICT): they are raised,
// and nothing is returned for them here.
func (s *Service) raiseMissed(ctx context.Context, c *ControlArea, fs []Finding, actors map[string]*Actor) ([]*Breach, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	have, err := s.Store.BreachesOfArea(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	fresh := unraised(fs, have)
	if len(fresh) == 0 {
		return nil, nil
	}
	actor, ok := actors[c.ActorID]
	if !ok {
		// The actor as the journal holds it: its guarantor is named in
		// the breach.
		actor, err = journal.VouchedFind(ctx, s.Journal, KindActor, func(ctx context.Context) (*Actor, error) {
			return s.Store.Actor(ctx, c.ActorID)
		}, actorID)
		if err != nil {
			return nil, err
		}
		actors[c.ActorID] = actor
	}
	out, err := journal.Write(ctx, s.Journal, s.Store, nil, func(tx Tx, w *journal.Writer) ([]*Breach, error) {
		now := s.Now().UTC()
		var out []*Breach
		for _, f := range fresh {
			b, err := s.raise(ctx, tx, w, c, actor, f, now)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
		return out, nil
	})
	if truce.ErrorCode(err) == truce.ECONFLICT {
		return nil, nil
	}
	return out, err
}
