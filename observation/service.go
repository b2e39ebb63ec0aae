package observation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
	"golang.org/x/mod/sumdb/note"
)

// Accounts is what observation needs of package accounts (whose Service
// implements it): parties and users, and the parties' keys.
type Accounts interface {
	Party(ctx context.Context, idOrSlug string) (*truce.Party, error)
	// FindUser returns a user the context's caller may read.
	FindUser(ctx context.Context, idOrUsername string) (*truce.User, error)
	// VouchParty checks a party against its journal entry.
	VouchParty(ctx context.Context, p *truce.Party) error
	// PartySigner returns a custodial party's signer.
	PartySigner(ctx context.Context, p *truce.Party) (note.Signer, error)
}

// Zones says which zone versions, with their agreements' rules, are in
// force at a point and time (the zone index; nil: none are known, and no
// violation is found).
type Zones interface {
	InForce(ctx context.Context, p Point, t time.Time) ([]ZoneInForce, error)
}

// ManyZones is a Zones that also answers many places at once, reading
// what they share (their agreements) once: a daily report asks it for
// each of the day's incidents.
type ManyZones interface {
	Zones
	InForceMany(ctx context.Context) func(p Point, t time.Time) ([]ZoneInForce, error)
}

// Areas names the administrative area of a point: the OCHA P-code of its
// sub-district ("" when it is in none known).
type Areas interface {
	PCode(p Point) string
}

// AlertViolation is the kind of the alert raised when a verified incident
// breaks an agreement's rule.
const AlertViolation truce.AlertKind = "violation"

// Service files observations, groups them into incidents and records the
// verification decisions, writing through the server's journal.
type Service struct {
	*journal.Journal
	Store    Store
	Accounts Accounts
	Zones    Zones
	// Areas, when set, gives observations and incidents their
	// sub-district's P-code.
	Areas Areas
	// Index is the grouping engine (Load fills it from the store).
	Index *Index

	// filing serialises the grouping decisions: each observation is
	// matched and added to the index under it, before its write, so that
	// two observations of one event filed at once do not open two
	// incidents. pending holds the incidents opened by writes still under
	// way: an observation that joins one waits for that write (and
	// matches again if it failed); the other writes run concurrently and
	// share the store's commits.
	filing  sync.Mutex
	pending map[string]*opening
	// evidenceParty maps the SHA-256 of each evidence file cited so far
	// to the party that uploaded it, as its journal entry says.
	evidenceParty sync.Map
}

// opening is an incident whose first observation is being written.
type opening struct {
	done chan struct{}
	ok   bool
}

// New returns a Service over st writing through j, with an empty index.
func New(st Store, j *journal.Journal, acc Accounts, zones Zones) *Service {
	return &Service{Journal: j, Store: st, Accounts: acc, Zones: zones, Index: NewIndex(), pending: map[string]*opening{}}
}

// Load rebuilds the grouping index from the stored observations, page by
// page, and returns how many it read. The log vouches for what the engine
// uses: each observation is indexed as its journal entry holds it, a row
// that does not match its entry is reported (journal.Refuse: /readyz,
// metrics) and its journalled version used, and one whose journal fails
// its checks is left out.
func (s *Service) Load(ctx context.Context) (int, error) {
	x := NewIndex()
	n, cursor := 0, ""
	for {
		page, err := s.Store.Observations(ctx, Filter{Cursor: cursor, Limit: 1000})
		if err != nil {
			return n, err
		}
		vouched, _, err := journal.VouchRecords(ctx, s.Journal, "observation", page, observationID)
		if err != nil {
			return n, err
		}
		for _, o := range vouched {
			x.Add(EntryOf(o))
		}
		n += len(page)
		if len(page) < 1000 {
			break
		}
		cursor = page[len(page)-1].ID
	}
	s.filing.Lock()
	s.Index = x
	s.filing.Unlock()
	return n, nil
}

// errMerged says the incident an observation was matched to was merged
// into another while it was filed.
var errMerged = errors.New("observation: the incident was merged")

// pcode returns the P-code of the sub-district of p, if Areas knows it.
func (s *Service) pcode(p Point) string {
	if s.Areas == nil {
		return ""
	}
	return s.Areas.PCode(p)
}

// CanFile returns nil if a may file observations: an observer or operator
// (or administrator) of a monitoring party.
func CanFile(a *truce.Caller) error {
	if a.Party.Kind != truce.PartyMonitor {
		return truce.Errorf(truce.EFORBIDDEN, "Only a monitoring mission's observers file observations.")
	}
	if a.IsAdmin() || a.User.HasRole(truce.RoleObserver, truce.RoleOperator) {
		return nil
	}
	return truce.Errorf(truce.EFORBIDDEN, "Filing an observation needs the observer or operator role.")
}

func observationChange(o *Observation) truce.Change {
	// The entry holds the observer's identity: only their party reads it.
	return truce.Change{Kind: "observation", Subject: o.ID, Body: o, New: o.Version == 1,
		Visibility: truce.Visibility{Scope: truce.ScopeParty, Owner: o.PartyID}}
}

func incidentChange(inc *Incident) truce.Change {
	return truce.Change{Kind: "incident", Subject: inc.ID, Body: inc, New: inc.Version == 1,
		Visibility: truce.Visibility{Scope: truce.ScopeAll},
		Event:      &truce.Event{Data: inc, Point: &[2]float64{inc.Center.Lon, inc.Center.Lat}}}
}

// AddObservation files an observation, and groups it into the incident it belongs
// to (a new one when none is near). EINVALID for bad input, EFORBIDDEN
// for a caller who may not file or an observer of another party.
func (s *Service) AddObservation(ctx context.Context, in Input) (*Observation, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := CanFile(a); err != nil {
		return nil, err
	}
	observer := a.User.ID
	if id := strings.TrimSpace(in.ObserverID); id != "" && id != a.User.ID && id != a.User.Username {
		if !a.IsAdmin() && !a.User.HasRole(truce.RoleOperator) {
			return nil, truce.Errorf(truce.EFORBIDDEN, "An observer files their own observations.")
		}
		u, err := s.Accounts.FindUser(ctx, id)
		if err != nil && truce.ErrorCode(err) != truce.ENOTFOUND && truce.ErrorCode(err) != truce.EFORBIDDEN {
			return nil, err
		}
		if err != nil || u.PartyID != a.Party.ID {
			return nil, truce.Errorf(truce.EFORBIDDEN, "Observer %q is not an observer of your party.", id)
		}
		observer = u.ID
	}
	in.ObserverID = observer
	now := s.Now()
	in.Start, in.End = in.Start.UTC().Truncate(time.Microsecond), in.End.UTC().Truncate(time.Microsecond)
	if err := in.Validate(now); err != nil {
		return nil, err
	}
	if err := s.checkEvidence(ctx, a, in.Evidence); err != nil {
		return nil, err
	}
	in.TimePrecision = timePrecision(in.TimePrecision, in.Start, in.End)
	in.Narrative, in.Weapon, in.Actor = strings.TrimSpace(in.Narrative), strings.TrimSpace(in.Weapon), strings.TrimSpace(in.Actor)
	loc := Locate(&in)
	o := &Observation{ID: truce.NewID(), Input: in, PartyID: a.Party.ID, ObserverLabel: "observer of party " + a.Party.Slug,
		FiledBy: a.User.ID, Center: loc.Center, Radius: loc.Radius, Area: loc.Area, GeoPrecision: geoPrecision(loc.Radius),
		CreatedAt: now, Version: 1}
	o.PCode = s.pcode(o.Center)

	for attempt := 0; ; attempt++ {
		out, retry, err := s.file(ctx, a, o, now)
		if !retry {
			return out, err
		}
		if attempt == 3 {
			return nil, truce.Errorf(truce.EUNAVAILABLE, "The incident this observation belongs to could not be recorded; file it again.")
		}
	}
}

// file matches o in the index and adds it there (provisionally), then
// writes it with its incident; retry says the incident it joined was
// being opened by a write that failed, so it must be matched again.
func (s *Service) file(ctx context.Context, a *truce.Caller, o *Observation, now time.Time) (*Observation, bool, error) {
	e := EntryOf(o)
	s.filing.Lock()
	// The index as it is now: Load may replace it (at start-up).
	idx := s.Index
	match := idx.Match(&e)
	wait := s.pending[match]
	var opened *opening
	if match == "" {
		e.Incident = truce.NewID()
		opened = &opening{done: make(chan struct{})}
		s.pending[e.Incident] = opened
	} else {
		e.Incident = match
	}
	slot := idx.Add(e)
	s.filing.Unlock()
	finish := func(ok bool) {
		if !ok {
			idx.Remove(slot)
		}
		if opened != nil {
			s.filing.Lock()
			delete(s.pending, e.Incident)
			s.filing.Unlock()
			opened.ok = ok
			close(opened.done)
		}
	}
	if wait != nil {
		select {
		case <-wait.done:
		case <-ctx.Done():
			finish(false)
			return nil, false, truce.Errorf(truce.EUNAVAILABLE, "The request was cancelled or timed out.")
		}
		if !wait.ok {
			finish(false)
			return nil, true, nil
		}
	}
	out, err := journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Observation, error) {
		o := *o
		var inc *Incident
		obs := []*Observation{&o}
		if opened == nil {
			old, err := tx.Incident(ctx, match)
			if err != nil {
				return nil, err
			}
			if old.Status == StatusMerged {
				// Merged by hand since it was matched: match again.
				return nil, errMerged
			}
			prev, err := tx.IncidentObservations(ctx, match)
			if err != nil {
				return nil, err
			}
			inc = old
			inc.Version++
			obs = append(prev, &o)
		} else {
			inc = &Incident{ID: e.Incident, Category: o.Category, SubCategory: o.SubCategory, Status: StatusReported, CreatedAt: now, Version: 1}
		}
		inc = Summarize(inc, obs)
		inc.PCode = s.pcode(inc.Center)
		inc.UpdatedAt = now
		o.IncidentID = inc.ID
		inc.JournalIndex = w.Journal(incidentChange(inc))
		if err := tx.PutIncident(ctx, inc); err != nil {
			return nil, err
		}
		o.JournalIndex = w.Journal(observationChange(&o))
		return &o, tx.PutObservation(ctx, &o)
	})
	finish(err == nil)
	if errors.Is(err, errMerged) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return out, false, nil
}

// view returns o as a may read it: another party's observation without
// its observer's identity.
func view(a *truce.Caller, o *Observation) *Observation {
	if a.IsAdmin() || a.Party.ID == o.PartyID {
		return o
	}
	n := *o
	n.ObserverID, n.FiledBy = "", ""
	return &n
}

func observationID(o *Observation) string { return o.ID }
func incidentID(i *Incident) string       { return i.ID }

// FindObservation returns an observation as the caller may read it.
func (s *Service) FindObservation(ctx context.Context, id string) (*Observation, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	o, err := journal.VouchedFind(ctx, s.Journal, "observation", func(ctx context.Context) (*Observation, error) {
		return s.Store.Observation(ctx, id)
	}, observationID)
	if err != nil {
		return nil, err
	}
	return view(a, o), nil
}

// ListObservations returns a page of observations as the caller may read
// them, and the next page's cursor.
func (s *Service) ListObservations(ctx context.Context, f Filter) ([]*Observation, string, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, "", err
	}
	f.Limit = truce.PageLimit(f.Limit)
	lim := f.Limit
	f.Limit++
	os, err := journal.VouchedRead(ctx, s.Journal, "observation", func(ctx context.Context) ([]*Observation, error) {
		return s.Store.Observations(ctx, f)
	}, observationID)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(os) > lim {
		os, next = os[:lim], os[lim-1].ID
	}
	for i, o := range os {
		os[i] = view(a, o)
	}
	return os, next, nil
}

// FindIncident returns an incident; incidents are visible to every member.
func (s *Service) FindIncident(ctx context.Context, id string) (*Incident, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return journal.VouchedFind(ctx, s.Journal, "incident", func(ctx context.Context) (*Incident, error) {
		return s.Store.Incident(ctx, id)
	}, incidentID)
}

// ListIncidents returns a page of incidents and the next page's cursor.
func (s *Service) ListIncidents(ctx context.Context, f IncidentFilter) ([]*Incident, string, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, "", err
	}
	f.Limit = truce.PageLimit(f.Limit)
	lim := f.Limit
	f.Limit++
	// The rows are read as documents and compared with their entries'
	// bodies byte for byte: each incident is decoded once, from the
	// journal, not once from the row and again from the entry (the daily
	// report's CPU time halved over 60,000 observations).
	is, err := journal.Read(ctx, s.Journal, func(ctx context.Context) ([]*Incident, error) {
		docs, err := s.Store.IncidentDocs(ctx, f)
		if err != nil {
			return nil, err
		}
		is, first, err := journal.VouchDocs(ctx, s.Journal, "incident", docs, incidentID)
		if err == nil {
			err = first
		}
		return is, err
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(is) > lim {
		is, next = is[:lim], is[lim-1].ID
	}
	return is, next, nil
}

// DecisionInput is a verification decision as asked for: the action, its
// reason, the incident's version it is about (0: the current one) and,
// for a party that holds its own key, the signed DecisionStatement.
type DecisionInput struct {
	Action    Action `json:"action" required:"true"`
	Reason    string `json:"reason" required:"true"`
	Version   int    `json:"version,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// DecideIncident takes a verification decision on an incident, signed with the
// caller's party's key, and journals it with its reason. Verifying checks
// the incident against the agreements in force at its place and time: each
// rule it breaks is recorded on it as a violation, and raises an alert to
// every party. EFORBIDDEN, EINVALID, ECONFLICT (a move the status does not
// allow), EPRECONDITION (the incident changed since the version decided
// on), EUNPROCESSABLE (a signature that does not verify).
func (s *Service) DecideIncident(ctx context.Context, id string, d DecisionInput) (*Incident, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := CanDecide(a, d.Action); err != nil {
		return nil, err
	}
	d.Reason = strings.TrimSpace(d.Reason)
	if err := truce.CheckText("signature", d.Signature, truce.MaxSignatureLen, true); err != nil {
		return nil, err
	}
	inc, err := s.FindIncident(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.Version != 0 && d.Version != inc.Version {
		return nil, truce.Errorf(truce.EPRECONDITION, "Incident %q is at version %d, not %d; reload and decide again.", id, inc.Version, d.Version)
	}
	// The rules first: a refused decision is not signed.
	if _, err := Decide(inc, Decision{Action: d.Action, Reason: d.Reason}); err != nil {
		return nil, err
	}
	if err := s.Accounts.VouchParty(ctx, a.Party); err != nil {
		return nil, err
	}
	statement := DecisionStatement(inc, d.Action, d.Reason)
	sig, err := s.sign(ctx, a.Party, statement, d.Signature)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var zones []ZoneInForce
	var actorParty string // the party the incident is attributed to, if its actor names one
	if to, _ := Move(inc.Status, d.Action); to == StatusVerified && s.Zones != nil {
		if inc.Actor != "" {
			switch p, err := s.Accounts.Party(ctx, inc.Actor); {
			case err == nil:
				if err := s.Accounts.VouchParty(ctx, p); err != nil {
					return nil, err
				}
				actorParty = p.ID
			case truce.ErrorCode(err) != truce.ENOTFOUND:
				return nil, err
			}
		}
		// A zone in force at either end of the incident's window counts:
		// the event may have been at either.
		seen := map[string]bool{}
		for _, t := range []time.Time{inc.Start, inc.End} {
			zs, err := s.Zones.InForce(ctx, inc.Center, t)
			if err != nil {
				return nil, err
			}
			for _, z := range zs {
				if k := fmt.Sprint(z.ZoneID, "#", z.ZoneVersion); !seen[k] {
					seen[k] = true
					zones = append(zones, z)
				}
			}
		}
	}
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Incident, error) {
		cur, err := tx.Incident(ctx, id)
		if err != nil {
			return nil, err
		}
		if cur.Version != inc.Version {
			return nil, truce.Errorf(truce.EPRECONDITION, "Incident %q changed while it was decided on; reload and decide again.", id)
		}
		n, err := Decide(cur, Decision{Action: d.Action, PartyID: a.Party.ID, UserID: a.User.ID, Reason: d.Reason, Signature: sig, DecidedAt: now})
		if err != nil {
			return nil, err
		}
		if n.Status == StatusVerified {
			n.Violations = Violations(n, zones, actorParty)
		}
		idx := w.Journal(incidentChange(n))
		n.JournalIndex = idx
		n.Decisions[len(n.Decisions)-1].JournalIndex = idx
		if err := tx.PutIncident(ctx, n); err != nil {
			return nil, err
		}
		if n.Status != StatusVerified {
			return n, nil
		}
		for _, v := range n.Violations {
			al := &truce.Alert{ID: truce.NewID(), Kind: AlertViolation, State: truce.AlertOpen, Time: v.At, Lon: n.Center.Lon, Lat: n.Center.Lat,
				Aircraft: []truce.AlertAircraft{}, ZoneID: v.ZoneID,
				Summary: fmt.Sprintf("Verified incident %s (%s) violates the prohibition of %s in %s zone %s v%d of agreement %s.", n.ID, n.Category, v.Activity, v.ZoneKind, v.ZoneID, v.ZoneVersion, v.AgreementID),
				Episode: n.ID, Version: 1}
			al.JournalIndex = w.Journal(truce.Change{Kind: "alert", Subject: al.ID, Body: al, New: true, Visibility: truce.Visibility{Scope: truce.ScopeAll},
				Event: &truce.Event{Data: al, Point: &[2]float64{al.Lon, al.Lat}}})
			if err := tx.PutAlert(ctx, al); err != nil {
				return nil, err
			}
		}
		return n, nil
	})
}

// sign returns the signed note of a decision statement: signed here with
// a custodial party's key, or the client's signed note checked against the
// party's public key (as zone decisions are).
func (s *Service) sign(ctx context.Context, p *truce.Party, statement, given string) (string, error) {
	if given == "" {
		if !p.Custodial {
			return "", truce.Errorf(truce.EINVALID, "Your party holds its own key: sign the decision statement and send the signed note as signature.")
		}
		return truce.SignAsParty(ctx, s.Accounts, p, statement)
	}
	return given, VerifyStatement(given, statement, p.PublicKey)
}

// VerifyStatement checks that signed is statement signed with publicKey
// (EUNPROCESSABLE otherwise): a decision's signature checked by anyone
// who holds the party's public key.
func VerifyStatement(signed, statement, publicKey string) error {
	switch err := truce.VerifySignedNote(signed, statement, publicKey); {
	case errors.Is(err, truce.ErrNoteSignature):
		return truce.Errorf(truce.EUNPROCESSABLE, "The signature does not verify with the party's key.")
	case errors.Is(err, truce.ErrNoteStatement):
		return truce.Errorf(truce.EUNPROCESSABLE, "The signed text is not this decision's statement.")
	default:
		return err
	}
}
