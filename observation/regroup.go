package observation

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// StatusMerged is the status of an incident whose observations were all
// moved into another (MergedInto).
const StatusMerged Status = "merged"

// Regrouping is a change an analyst made by hand to which observations an
// incident holds: a merge of other incidents into it, a split of some of
// its observations into a new incident, or a move of observations to it.
type Regrouping struct {
	Action string `json:"action"` // merge, split, move
	// Observations are those moved; From the incidents they left; To the
	// incident they joined.
	Observations []string  `json:"observations"`
	From         []string  `json:"from"`
	To           string    `json:"to"`
	PartyID      string    `json:"party_id"`
	UserID       string    `json:"user_id"`
	Reason       string    `json:"reason"`
	At           time.Time `json:"at"`
}

// MergeInput asks to merge incidents into one.
type MergeInput struct {
	// From are the incidents whose observations move into the one merged
	// into; they end as merged.
	From   []string `json:"from" required:"true"`
	Reason string   `json:"reason" required:"true"`
}

// SplitInput asks to split observations out of an incident into a new
// one.
type SplitInput struct {
	Observations []string `json:"observations" required:"true"`
	Reason       string   `json:"reason" required:"true"`
}

// MoveInput asks to move observations, of whichever incidents hold them,
// into an existing incident.
type MoveInput struct {
	Observations []string `json:"observations" required:"true"`
	Reason       string   `json:"reason" required:"true"`
}

// MaxRegroup bounds how many incidents or observations one regrouping
// names.
const MaxRegroup = 500

// regroupable reports whether an incident's observations may still be
// moved: not once the monitoring centre decided on it.
func regroupable(inc *Incident) error {
	if inc.Status != StatusReported && inc.Status != StatusCorroborated {
		return truce.Errorf(truce.ECONFLICT, "Incident %s is %s: only a reported or corroborated incident is regrouped.", inc.ID, inc.Status)
	}
	return nil
}

func checkRegroup(a *truce.Caller, reason string, ids []string, what string) (string, error) {
	if err := CanDecide(a, ActionVerify); err != nil {
		return "", truce.Errorf(truce.EFORBIDDEN, "Only an operator of the monitoring mission regroups incidents.")
	}
	reason = strings.TrimSpace(reason)
	if err := truce.CheckText("reason", reason, truce.MaxTextLen, false); err != nil {
		return "", err
	}
	if reason == "" {
		return "", truce.Errorf(truce.EINVALID, "Give the reason for the regrouping.")
	}
	if len(ids) == 0 || len(ids) > MaxRegroup {
		return "", truce.Errorf(truce.EINVALID, "Name 1 to %d %s.", MaxRegroup, what)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			return "", truce.Errorf(truce.EINVALID, "%s names %s twice.", what, id)
		}
		seen[id] = true
	}
	return reason, nil
}

// MergeIncidents moves every observation of the incidents in.From into
// incident id, which is summarised again (location, cross-fix, counts,
// status); the others end as merged into it. Journalled with the reason,
// as the monitoring mission's operator. EFORBIDDEN, EINVALID (another
// category, an incident named twice or merged into itself), ECONFLICT (an
// incident already decided on), ENOTFOUND.
func (s *Service) MergeIncidents(ctx context.Context, id string, in MergeInput) (*Incident, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	reason, err := checkRegroup(a, in.Reason, in.From, "from")
	if err != nil {
		return nil, err
	}
	if slices.Contains(in.From, id) {
		return nil, truce.Errorf(truce.EINVALID, "An incident is not merged into itself.")
	}
	return s.regroup(ctx, a, func(tx Tx) (*regroupPlan, error) {
		into, err := tx.Incident(ctx, id)
		if err != nil {
			return nil, err
		}
		p := &regroupPlan{into: into, action: "merge", reason: reason}
		for _, fid := range in.From {
			from, err := tx.Incident(ctx, fid)
			if err != nil {
				return nil, err
			}
			if from.Category != into.Category {
				return nil, truce.Errorf(truce.EINVALID, "Incident %s is %s, not %s: incidents of different categories are not merged.", fid, from.Category, into.Category)
			}
			obs, err := tx.IncidentObservations(ctx, fid)
			if err != nil {
				return nil, err
			}
			p.from = append(p.from, from)
			p.moved = append(p.moved, obs...)
		}
		return p, nil
	})
}

// SplitIncident moves observations of incident id into a new incident;
// both are summarised again. Journalled with the reason, as the
// monitoring mission's operator. EFORBIDDEN, EINVALID (an observation of
// another incident, or all of them), ECONFLICT, ENOTFOUND.
func (s *Service) SplitIncident(ctx context.Context, id string, in SplitInput) (*Incident, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	reason, err := checkRegroup(a, in.Reason, in.Observations, "observations")
	if err != nil {
		return nil, err
	}
	return s.regroup(ctx, a, func(tx Tx) (*regroupPlan, error) {
		from, err := tx.Incident(ctx, id)
		if err != nil {
			return nil, err
		}
		obs, err := tx.IncidentObservations(ctx, id)
		if err != nil {
			return nil, err
		}
		p := &regroupPlan{from: []*Incident{from}, action: "split", reason: reason}
		for _, oid := range in.Observations {
			i := slices.IndexFunc(obs, func(o *Observation) bool { return o.ID == oid })
			if i < 0 {
				return nil, truce.Errorf(truce.EINVALID, "Observation %s is not in incident %s.", oid, id)
			}
			p.moved = append(p.moved, obs[i])
		}
		if len(p.moved) == len(obs) {
			return nil, truce.Errorf(truce.EINVALID, "A split leaves at least one observation in the incident.")
		}
		now := s.Now()
		p.into = &Incident{ID: truce.NewID(), Category: from.Category, SubCategory: from.SubCategory, Status: StatusReported, CreatedAt: now}
		return p, nil
	})
}

// MoveObservations moves observations from the incidents that hold them
// into incident id, an existing one of the same category; every incident
// touched is summarised again, and one left with no observation ends as
// merged into id. Journalled with the reason, as the monitoring mission's
// operator. EFORBIDDEN, EINVALID (an observation named twice, already in
// incident id, or of another category), ECONFLICT (an incident already
// decided on, or an observation moved meanwhile), ENOTFOUND.
func (s *Service) MoveObservations(ctx context.Context, id string, in MoveInput) (*Incident, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	reason, err := checkRegroup(a, in.Reason, in.Observations, "observations")
	if err != nil {
		return nil, err
	}
	// Where each observation is, read before the transaction (which holds
	// the database), as the journal vouches for it, and checked again in
	// the transaction through the incident that holds it.
	at := make([]string, len(in.Observations))
	for i, oid := range in.Observations {
		o, err := journal.VouchedFind(ctx, s.Journal, "observation", func(ctx context.Context) (*Observation, error) {
			return s.Store.Observation(ctx, oid)
		}, observationID)
		if err != nil {
			return nil, err
		}
		if o.IncidentID == id {
			return nil, truce.Errorf(truce.EINVALID, "Observation %s is already in incident %s.", oid, id)
		}
		at[i] = o.IncidentID
	}
	return s.regroup(ctx, a, func(tx Tx) (*regroupPlan, error) {
		into, err := tx.Incident(ctx, id)
		if err != nil {
			return nil, err
		}
		p := &regroupPlan{into: into, action: "move", reason: reason}
		from := map[string]*Incident{}
		held := map[string][]*Observation{}
		for n, oid := range in.Observations {
			f, ok := from[at[n]]
			if !ok {
				if f, err = tx.Incident(ctx, at[n]); err != nil {
					return nil, err
				}
				if held[f.ID], err = tx.IncidentObservations(ctx, f.ID); err != nil {
					return nil, err
				}
				from[f.ID] = f
				p.from = append(p.from, f)
			}
			i := slices.IndexFunc(held[f.ID], func(h *Observation) bool { return h.ID == oid })
			if i < 0 {
				return nil, truce.Errorf(truce.ECONFLICT, "Observation %s was moved meanwhile; read it again.", oid)
			}
			if o := held[f.ID][i]; o.Category != into.Category {
				return nil, truce.Errorf(truce.EINVALID, "Observation %s is %s, not %s: an observation joins an incident of its category only.", oid, o.Category, into.Category)
			}
			p.moved = append(p.moved, held[f.ID][i])
		}
		return p, nil
	})
}

// regroupPlan is what a regrouping does: the observations moved, the
// incidents they leave and the one they join (Version 0: new).
type regroupPlan struct {
	into   *Incident
	from   []*Incident
	moved  []*Observation
	action string
	reason string
}

// regroup reads the plan in the transaction, moves the observations,
// summarises every incident touched and journals each change; the
// grouping index follows once committed. Filing is held meanwhile, so
// that no observation is grouped into an incident while it changes.
func (s *Service) regroup(ctx context.Context, a *truce.Caller, plan func(tx Tx) (*regroupPlan, error)) (*Incident, error) {
	s.filing.Lock()
	defer s.filing.Unlock()
	if len(s.pending) > 0 {
		return nil, truce.Errorf(truce.EUNAVAILABLE, "Observations are being filed; regroup again in a moment.")
	}
	var done *regroupPlan
	out, err := journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Incident, error) {
		p, err := plan(tx)
		if err != nil {
			return nil, err
		}
		for _, inc := range append([]*Incident{p.into}, p.from...) {
			if inc.Version == 0 {
				continue
			}
			if err := regroupable(inc); err != nil {
				return nil, err
			}
		}
		now := s.Now()
		rg := Regrouping{Action: p.action, To: p.into.ID, PartyID: a.Party.ID, UserID: a.User.ID, Reason: p.reason, At: now}
		moved := map[string]bool{}
		for _, o := range p.moved {
			rg.Observations = append(rg.Observations, o.ID)
			moved[o.ID] = true
		}
		for _, f := range p.from {
			rg.From = append(rg.From, f.ID)
		}
		// The incidents as they end: the one joined holds its own and the
		// moved observations; each left holds what stays.
		var intoObs []*Observation
		if p.into.Version > 0 {
			if intoObs, err = tx.IncidentObservations(ctx, p.into.ID); err != nil {
				return nil, err
			}
		}
		var movedObs []*Observation
		for _, o := range p.moved {
			n := *o
			n.IncidentID, n.Version = p.into.ID, o.Version+1
			movedObs = append(movedObs, &n)
		}
		summarise := func(inc *Incident, obs []*Observation) *Incident {
			base := *inc
			base.Status = StatusReported
			n := Summarize(&base, obs)
			n.PCode = s.pcode(n.Center)
			n.Regroupings = append(slices.Clone(inc.Regroupings), rg)
			n.Version, n.UpdatedAt = inc.Version+1, now
			return n
		}
		into := summarise(p.into, append(intoObs, movedObs...))
		into.JournalIndex = w.Journal(incidentChange(into))
		if err := tx.PutIncident(ctx, into); err != nil {
			return nil, err
		}
		for _, f := range p.from {
			all, err := tx.IncidentObservations(ctx, f.ID)
			if err != nil {
				return nil, err
			}
			var stay []*Observation
			for _, o := range all {
				if !moved[o.ID] {
					stay = append(stay, o)
				}
			}
			var n *Incident
			if len(stay) == 0 {
				m := *f
				m.Status, m.MergedInto, m.Observations, m.Observers = StatusMerged, into.ID, 0, 0
				m.Regroupings = append(slices.Clone(f.Regroupings), rg)
				m.Version, m.UpdatedAt = f.Version+1, now
				n = &m
			} else {
				n = summarise(f, stay)
			}
			n.JournalIndex = w.Journal(incidentChange(n))
			if err := tx.PutIncident(ctx, n); err != nil {
				return nil, err
			}
		}
		for _, o := range movedObs {
			o.JournalIndex = w.Journal(observationChange(o))
			if err := tx.PutObservation(ctx, o); err != nil {
				return nil, err
			}
		}
		done = &regroupPlan{into: into, moved: movedObs, from: p.from}
		return into, nil
	})
	if err != nil {
		return nil, err
	}
	for _, o := range done.moved {
		e := EntryOf(o)
		for _, f := range done.from {
			if s.Index.Move(e, f.ID, o.IncidentID) {
				break
			}
		}
	}
	return out, nil
}
