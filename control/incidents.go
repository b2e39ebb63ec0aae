package control

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// Incidents is what control reads of ceasefire observation: the verified
// incidents of the kind "non-state actor overtakes territory" (ACLED's
// sub-event type; observation's category territory_overtaken).
// ObservedIncidents implements it over observation's store, with each
// incident checked against its journal entry.
type Incidents interface {
	// TerritoryTaken calls fn with each verified incident of territory
	// overtaken until fn returns an error, which it returns.
	TerritoryTaken(ctx context.Context, fn func(*TakenIncident) error) error
	// Incident returns where an incident stands now, as the journal
	// holds it; ENOTFOUND if it is not stored.
	Incident(ctx context.Context, id string) (*IncidentNow, error)
}

// IncidentNow is where an incident that raised a breach stands now.
type IncidentNow struct {
	ID         string
	Version    int
	Status     string
	Category   string
	MergedInto string
	// Taken reports whether it is still a verified incident of territory
	// overtaken.
	Taken bool
}

// TakenIncident is a verified incident of territory overtaken, as
// control reads it: where (its located centre), when (its window), whom
// the observers attribute it to, and how many saw it.
type TakenIncident struct {
	ID           string
	Version      int
	Lon, Lat     float64
	Start, End   time.Time
	Actor        string // the attribution, as the observers gave it
	Observations int
	Observers    int
}

// CheckIncidents raises the breaches of verified incidents of territory
// overtaken: each incident inside a guaranteed area, during the
// guarantee, by an actor the guarantee does not allow (IncidentBreaches),
// is a breach journalled with a guarantee.breach event every party
// receives, owing the guarantors a response by the guarantee's deadline.
// An incident breaches a guarantee once, however often it is read
// (a second breach is refused by the store as well, for servers that
// check at once). It returns the breaches raised. The node runs it when
// an incident changes and periodically; it is the system's write (no
// caller). Nothing is read when Incidents is nil.
func (s *Service) CheckIncidents(ctx context.Context) ([]*Breach, error) {
	if s.Incidents == nil {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	if s.checked == nil {
		s.checked = map[string]int{}
	}
	rows, err := s.Store.Actors(ctx)
	if err != nil {
		return nil, err
	}
	// The actors as the journal holds them: a row changed behind the
	// server's back names no one.
	actors, _, err := journal.VouchRecords(ctx, s.Journal, KindActor, rows, actorID)
	if err != nil {
		return nil, err
	}
	type found struct {
		inc      *TakenIncident
		actor    *Actor
		findings []Finding
	}
	var todo []found
	taken := map[string]bool{}
	err = s.Incidents.TerritoryTaken(ctx, func(inc *TakenIncident) error {
		taken[inc.ID] = true
		if v, ok := s.checked[inc.ID]; ok && v == inc.Version {
			return nil
		}
		act := ResolveActor(inc.Actor, actors)
		sg := Sighting{IncidentID: inc.ID, Point: orb.Point{inc.Lon, inc.Lat}, Start: inc.Start, End: inc.End, Attribution: inc.Actor}
		if act != nil {
			sg.ActorID = act.ID
		}
		fs := CheckSighting(s.guarantees, sg)
		if len(fs) == 0 {
			s.checked[inc.ID] = inc.Version
			return nil
		}
		todo = append(todo, found{inc, act, fs})
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []*Breach
	var firstErr error
	for _, f := range todo {
		bs, err := s.raiseIncident(ctx, f.inc, f.actor, f.findings)
		if err != nil {
			// One incident's failure (another server raising it at
			// once) does not hold back the others; the next check
			// reads what is stored.
			if firstErr == nil {
				firstErr = fmt.Errorf("incident %s: %w", f.inc.ID, err)
			}
			continue
		}
		s.checked[f.inc.ID] = f.inc.Version
		out = append(out, bs...)
	}
	changed, err := s.reviewEvidence(ctx, taken)
	return append(out, changed...), cmp.Or(firstErr, err)
}

// reviewEvidence withdraws the breaches whose incident is no longer among
// the verified incidents of territory overtaken (taken), and reinstates
// the withdrawn ones whose incident is again: each a new version of the
// breach, journalled with its event (guarantee.breach_withdrawn, or
// guarantee.breach once more), that says so. It returns them. Callers
// hold s.mu.
func (s *Service) reviewEvidence(ctx context.Context, taken map[string]bool) ([]*Breach, error) {
	rows, err := s.Store.Breaches(ctx, false)
	if err != nil {
		return nil, err
	}
	// The breaches as the journal holds them.
	bs, _, err := journal.VouchRecords(ctx, s.Journal, KindBreach, rows, breachID)
	if err != nil {
		return nil, err
	}
	var out []*Breach
	var firstErr error
	for _, b := range bs {
		withdrawn := b.Withdrawal != nil
		if b.IncidentID == "" || withdrawn != taken[b.IncidentID] {
			continue
		}
		var now *IncidentNow
		if !withdrawn {
			now, err = s.Incidents.Incident(ctx, b.IncidentID)
			if err != nil && truce.ErrorCode(err) != truce.ENOTFOUND {
				firstErr = cmp.Or(firstErr, fmt.Errorf("incident %s: %w", b.IncidentID, err))
				continue
			}
			if now != nil && now.Taken {
				continue // verified again since the list was read
			}
		}
		n, err := s.review(ctx, b, now)
		if err != nil {
			firstErr = cmp.Or(firstErr, fmt.Errorf("breach %s: %w", b.ID, err))
			continue
		}
		if n != nil {
			out = append(out, n)
		}
	}
	return out, firstErr
}

// review journals the next version of breach b: withdrawn when it was not
// (its incident now inc, nil when no longer stored), reinstated when it
// was. Nothing is written (nil) if b was changed meanwhile.
func (s *Service) review(ctx context.Context, b *Breach, inc *IncidentNow) (*Breach, error) {
	out, err := journal.Write(ctx, s.Journal, s.Store, nil, func(tx Tx, w *journal.Writer) (*Breach, error) {
		cur, err := s.Store.Breach(ctx, b.ID)
		if err != nil {
			return nil, err
		}
		if cur.Version != b.Version {
			return nil, errNothing
		}
		now := s.Now().UTC()
		n := *b
		n.Version = b.Version + 1
		ev := EventWithdrawn
		if b.Withdrawal == nil {
			n.Withdrawal = &Withdrawal{At: now, Reason: withdrawalReason(b.IncidentID, inc)}
			if inc != nil {
				n.Withdrawal.IncidentVersion, n.Withdrawal.IncidentStatus = inc.Version, inc.Status
			}
			if n.Status != BreachAnswered {
				n.Status = BreachWithdrawn
			}
		} else {
			// Verified again: the breach stands, and a response is owed
			// within the guarantee's deadline from now.
			ev = EventBreach
			n.Withdrawal, n.ReinstatedAt = nil, &now
			if n.Response == nil {
				n.Status, n.EscalatedAt, n.Due = BreachOpen, nil, now.Add(b.Due.Sub(b.DetectedAt))
			}
		}
		n.JournalIndex = w.Journal(truce.Change{Kind: KindBreach, Subject: n.ID, Body: &n, Visibility: everyone,
			Event: &truce.Event{Kind: ev, Data: &n}})
		return &n, tx.UpdateBreach(ctx, &n)
	})
	if errors.Is(err, errNothing) {
		return nil, nil
	}
	return out, err
}

// withdrawalReason says why incident id no longer supports a breach.
func withdrawalReason(id string, inc *IncidentNow) string {
	switch {
	case inc == nil:
		return fmt.Sprintf("Incident %s is no longer stored.", id)
	case inc.MergedInto != "":
		return fmt.Sprintf("Incident %s was merged into incident %s; a breach it supports is raised from that incident.", id, inc.MergedInto)
	case inc.Status != "verified":
		return fmt.Sprintf("Incident %s is now %s (version %d): it is no longer verified.", id, inc.Status, inc.Version)
	}
	return fmt.Sprintf("Incident %s is no longer of the category territory overtaken (now %s, version %d).", id, inc.Category, inc.Version)
}

// raiseIncident journals, in one transaction, the breaches of the
// findings of incident inc that are not raised yet.
func (s *Service) raiseIncident(ctx context.Context, inc *TakenIncident, act *Actor, fs []Finding) ([]*Breach, error) {
	have, err := s.Store.BreachesOfIncident(ctx, inc.ID)
	if err != nil {
		return nil, err
	}
	fresh := unraised(fs, have)
	if len(fresh) == 0 {
		return nil, nil
	}
	return journal.Write(ctx, s.Journal, s.Store, nil, func(tx Tx, w *journal.Writer) ([]*Breach, error) {
		now := s.Now().UTC()
		var out []*Breach
		for _, f := range fresh {
			b := newBreach(f, now)
			b.IncidentID, b.Attribution, b.Evidence = inc.ID, strings.TrimSpace(inc.Actor), incidentEvidence(inc)
			b.Location = &[2]float64{inc.Lon, inc.Lat}
			if act != nil {
				b.ActorID, b.ActorGuarantor = act.ID, act.GuarantorAt(f.At)
			}
			if err := s.put(ctx, tx, w, b, truce.BBox{inc.Lon, inc.Lat, inc.Lon, inc.Lat}); err != nil {
				return nil, err
			}
			out = append(out, b)
		}
		return out, nil
	})
}

// incidentEvidence says what a breach raised by an incident rests on.
func incidentEvidence(inc *TakenIncident) string {
	who := "no actor"
	if a := strings.TrimSpace(inc.Actor); a != "" {
		who = fmt.Sprintf("%q", a)
	}
	return fmt.Sprintf("Verified incident %s: territory overtaken, attributed to %s; %d observations by %d observers, %s to %s.",
		inc.ID, who, inc.Observations, inc.Observers, inc.Start.UTC().Format(time.RFC3339), inc.End.UTC().Format(time.RFC3339))
}

// unraised returns the findings of fs whose guarantee has no breach among
// have (the breaches already raised of the same area or incident).
func unraised(fs []Finding, have []*Breach) []Finding {
	var fresh []Finding
	for _, f := range fs {
		raised := false
		for _, b := range have {
			raised = raised || b.GuaranteeID == f.Guarantee.ID
		}
		if !raised {
			fresh = append(fresh, f)
		}
	}
	return fresh
}
