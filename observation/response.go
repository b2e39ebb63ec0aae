package observation

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// Stance is what a responding party says of a violation it is named
// responsible for.
type Stance string

// Stances.
const (
	StanceAccept  Stance = "accept"
	StanceDispute Stance = "dispute"
)

// MaxResponseText bounds a response's text.
const MaxResponseText = truce.MaxTextLen

// AlertViolationResponse is the kind of the alert raised, to every
// party, when the party named responsible for a violation answers it.
const AlertViolationResponse truce.AlertKind = "violation_response"

// Response is the signed answer of the party an incident judged a
// violation is attributed to: its stance, its text, and the statement
// (ResponseStatement) signed as a C2SP signed note with the party's key.
type Response struct {
	PartyID   string `json:"party_id"`
	UserID    string `json:"user_id"`
	Stance    Stance `json:"stance"`
	Text      string `json:"text"`
	Signature string `json:"signature"`
	// Version is the incident's version answered, which the statement
	// names.
	Version int       `json:"version"`
	At      time.Time `json:"at"`
	// JournalIndex is the entry of the change that recorded it.
	JournalIndex int64 `json:"journal_index"`
}

// ResponseInput is a response as asked for: the stance, the text, the
// incident's version answered (0: the current one) and, for a party that
// holds its own key, the signed ResponseStatement.
type ResponseInput struct {
	Stance    Stance `json:"stance" required:"true"`
	Text      string `json:"text" required:"true"`
	Version   int    `json:"version,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// ResponseStatement is the text party signs to answer inc
// (truce.IncidentResponseStatement).
func ResponseStatement(inc *Incident, party string, stance Stance, text string) string {
	return truce.IncidentResponseStatement(inc.ID, inc.Version, party, string(stance), text)
}

// checkResponse returns in with its text trimmed, or EINVALID.
func checkResponse(in ResponseInput) (ResponseInput, error) {
	if in.Stance != StanceAccept && in.Stance != StanceDispute {
		return in, truce.Errorf(truce.EINVALID, "stance must be accept or dispute.")
	}
	in.Text = strings.TrimSpace(in.Text)
	if in.Text == "" {
		return in, truce.Errorf(truce.EINVALID, "A response needs its text.")
	}
	if err := truce.CheckText("text", in.Text, MaxResponseText, true); err != nil {
		return in, err
	}
	return in, truce.CheckText("signature", in.Signature, truce.MaxSignatureLen, true)
}

// mayRespond returns nil if a may answer inc, whose violations are
// attributed to the party responsible (its id; "" when the actor is no
// party): ECONFLICT unless inc is verified with a violation, or once the
// party has answered; EFORBIDDEN unless a is an operator (or
// administrator) of the party responsible.
func mayRespond(a *truce.Caller, inc *Incident, responsible string) error {
	if inc.Status != StatusVerified || len(inc.Violations) == 0 {
		return truce.Errorf(truce.ECONFLICT, "Incident %q is not a verified violation: no response is owed.", inc.ID)
	}
	if responsible == "" || a.Party.ID != responsible {
		return truce.Errorf(truce.EFORBIDDEN, "Only the party incident %q is attributed to can respond to it.", inc.ID)
	}
	if !a.IsAdmin() && !a.User.HasRole(truce.RoleOperator) {
		return truce.Errorf(truce.EFORBIDDEN, "Only an operator of the party can respond.")
	}
	if slices.ContainsFunc(inc.Responses, func(r Response) bool { return r.PartyID == responsible }) {
		return truce.Errorf(truce.ECONFLICT, "Party %s has responded to incident %q.", a.Party.Slug, inc.ID)
	}
	return nil
}

// responsible returns the id of the party inc's actor names, vouched for
// by its journal entry ("" when the actor names no party), as
// DecideIncident resolves it.
func (s *Service) responsible(ctx context.Context, inc *Incident) (string, error) {
	if inc.Actor == "" {
		return "", nil
	}
	p, err := s.Accounts.Party(ctx, inc.Actor)
	if truce.ErrorCode(err) == truce.ENOTFOUND {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if err := s.Accounts.VouchParty(ctx, p); err != nil {
		return "", err
	}
	return p.ID, nil
}

// prepareResponse checks a response and returns the incident it answers
// and its statement.
func (s *Service) prepareResponse(ctx context.Context, a *truce.Caller, id string, in ResponseInput) (ResponseInput, *Incident, string, error) {
	in, err := checkResponse(in)
	if err != nil {
		return in, nil, "", err
	}
	inc, err := s.FindIncident(ctx, id)
	if err != nil {
		return in, nil, "", err
	}
	if in.Version != 0 && in.Version != inc.Version {
		return in, nil, "", truce.Errorf(truce.EPRECONDITION, "Incident %q is at version %d, not %d; reload and respond again.", id, inc.Version, in.Version)
	}
	who, err := s.responsible(ctx, inc)
	if err != nil {
		return in, nil, "", err
	}
	if err := mayRespond(a, inc, who); err != nil {
		return in, nil, "", err
	}
	return in, inc, ResponseStatement(inc, a.Party.ID, in.Stance, in.Text), nil
}

// IncidentResponseStatement returns the statement a party holding its
// own key signs to answer an incident (ResponseStatement), when the
// caller may answer it as RespondIncident checks. It signs nothing and
// records nothing.
func (s *Service) IncidentResponseStatement(ctx context.Context, id string, in ResponseInput) (string, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return "", err
	}
	in.Signature = ""
	_, _, st, err := s.prepareResponse(ctx, a, id, in)
	return st, err
}

// RespondIncident records the response of the party a verified
// incident's violations are attributed to: its stance and text, signed
// with the party's key (signature empty: signed here for a custodial
// party), journalled, and alerted to every party. EINVALID, EFORBIDDEN
// (another party's caller, or not an operator), ECONFLICT (no violation
// to answer, or answered), EPRECONDITION (the incident changed since the
// version answered), EUNPROCESSABLE (a signature that does not verify).
func (s *Service) RespondIncident(ctx context.Context, id string, in ResponseInput) (*Incident, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	in, inc, statement, err := s.prepareResponse(ctx, a, id, in)
	if err != nil {
		return nil, err
	}
	if err := s.Accounts.VouchParty(ctx, a.Party); err != nil {
		return nil, err
	}
	var sig string
	if in.Signature == "" && !a.Party.Custodial {
		return nil, truce.Errorf(truce.EINVALID, "Your party holds its own key: sign the response statement and send the signed note as signature.")
	}
	if sig, err = s.signResponse(ctx, a.Party, statement, in.Signature); err != nil {
		return nil, err
	}
	now := s.Now()
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Incident, error) {
		cur, err := tx.Incident(ctx, id)
		if err != nil {
			return nil, err
		}
		if cur.Version != inc.Version {
			return nil, truce.Errorf(truce.EPRECONDITION, "Incident %q changed while it was answered; reload and respond again.", id)
		}
		n := *cur
		n.Responses = append(slices.Clip(slices.Clone(cur.Responses)), Response{PartyID: a.Party.ID, UserID: a.User.ID, Stance: in.Stance, Text: in.Text,
			Signature: sig, Version: cur.Version, At: now})
		n.Version++
		n.UpdatedAt = now
		idx := w.Journal(incidentChange(&n))
		n.JournalIndex = idx
		n.Responses[len(n.Responses)-1].JournalIndex = idx
		if err := tx.PutIncident(ctx, &n); err != nil {
			return nil, err
		}
		al := &truce.Alert{ID: truce.NewID(), Kind: AlertViolationResponse, State: truce.AlertOpen, Time: now, Lon: n.Center.Lon, Lat: n.Center.Lat,
			Aircraft: []truce.AlertAircraft{}, ZoneID: n.Violations[0].ZoneID,
			Summary: fmt.Sprintf("Party %s, named responsible for the violation of verified incident %s, responds: %s.", a.Party.Slug, n.ID, in.Stance),
			Episode: n.ID, Version: 1}
		al.JournalIndex = w.Journal(truce.Change{Kind: "alert", Subject: al.ID, Body: al, New: true, Visibility: truce.Visibility{Scope: truce.ScopeAll},
			Event: &truce.Event{Data: al, Point: &[2]float64{al.Lon, al.Lat}}})
		if err := tx.PutAlert(ctx, al); err != nil {
			return nil, err
		}
		return &n, nil
	})
}

// signResponse returns the signed note of a response statement, as sign
// does a decision's.
func (s *Service) signResponse(ctx context.Context, p *truce.Party, statement, given string) (string, error) {
	if given == "" {
		return truce.SignAsParty(ctx, s.Accounts, p, statement)
	}
	if err := VerifyStatement(given, statement, p.PublicKey); err != nil {
		return "", truce.Errorf(truce.EUNPROCESSABLE, "The signature does not verify as party %s's signature of this response's statement.", p.Slug)
	}
	return given, nil
}
