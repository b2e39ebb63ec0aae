package humanitarian

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
	"golang.org/x/mod/sumdb/note"
)

// Parties is what humanitarian needs of package accounts: the parties,
// the journal's word for their keys, and the custodial parties' signers.
type Parties interface {
	Party(ctx context.Context, idOrSlug string) (*truce.Party, error)
	VouchParty(ctx context.Context, p *truce.Party) error
	PartySigner(ctx context.Context, p *truce.Party) (note.Signer, error)
}

// DefaultAckWindow is the time a party has to answer a transmission when
// the service sets none.
const DefaultAckWindow = 24 * time.Hour

// Service is humanitarian notification over a Store, writing through the
// server's journal (which it embeds).
type Service struct {
	*journal.Journal
	Store   Store
	Parties Parties
	// Areas fills in the sites' P-codes; nil leaves them empty.
	Areas *AdminAreas
	// AckWindow is the time from a transmission to its acknowledgement
	// deadline (DefaultAckWindow when zero).
	AckWindow time.Duration
	// Hazards finds the zones in force on a movement's route or at a
	// site; nil checks nothing.
	Hazards HazardChecker
	// Alerts holds the recent alerts that are hazards near a site or a
	// route; nil checks none.
	Alerts *RecentAlerts
	// ConvoyLimits are the limits of convoy tracking on the clock
	// (defaults when zero).
	ConvoyLimits ConvoyLimits
	// tracking is the live watch of convoys reporting positions.
	tracking convoys
}

// New returns a Service over st writing through j.
func New(st Store, j *journal.Journal, parties Parties, areas *AdminAreas) *Service {
	return &Service{Journal: j, Store: st, Parties: parties, Areas: areas}
}

// canNotify says whether the caller may notify sites: an administrator, or
// a humanitarian or operator user of a humanitarian or coordinator party.
// A notification is notice, not a request: no signatory need agree.
func canNotify(a *truce.Caller) error {
	if a.IsAdmin() {
		return nil
	}
	if a.Party.Kind != truce.PartyHumanitarian && a.Party.Kind != truce.PartyCoordinator {
		return truce.Errorf(truce.EFORBIDDEN, "Only a humanitarian or coordinator party notifies sites; %s is a %s party.", a.Party.Slug, a.Party.Kind)
	}
	return a.Require(truce.RoleHumanitarian, truce.RoleOperator)
}

// prepared is a site version checked before its write, with its hazards.
type prepared struct {
	fields  SiteFields
	geom    orb.Geometry
	pcodes  []string
	hazards []Hazard
}

// hazards is the service's hazard check.
func (s *Service) hazards() Hazards { return Hazards{Zones: s.Hazards, Alerts: s.Alerts} }

func (s *Service) prepare(ctx context.Context, f SiteFields) (prepared, error) {
	f.Name, f.Organisation, f.Contact = strings.TrimSpace(f.Name), strings.TrimSpace(f.Organisation), strings.TrimSpace(f.Contact)
	g, err := checkFields(&f)
	if err != nil {
		return prepared{}, err
	}
	var probe orb.Geometry = g
	if f.BufferM > 0 {
		b := bbox(g, f.BufferM)
		probe = orb.Bound{Min: orb.Point{b[0], b[1]}, Max: orb.Point{b[2], b[3]}}.ToPolygon()
	}
	hz, err := s.hazards().SiteHazards(ctx, g, &f)
	if err != nil {
		return prepared{}, err
	}
	return prepared{fields: f, geom: g, pcodes: s.Areas.PCodes(probe), hazards: hz}, nil
}

// NotifySite records a new site, version 1, and transmits it to every
// other party the agreement names, in one transaction. Returns EINVALID
// (bad fields or geometry), ENOTFOUND (agreement), EUNPROCESSABLE
// (agreement not in force), EFORBIDDEN.
func (s *Service) NotifySite(ctx context.Context, c SiteCreate) (*Site, error) {
	out, err := s.ImportSites(ctx, c.AgreementID, []SiteFields{c.SiteFields})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// ImportSites notifies many new sites at once, all or none: every site is
// checked first, and one transaction records them and their transmissions.
func (s *Service) ImportSites(ctx context.Context, agreementID string, fields []SiteFields) ([]*Site, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := canNotify(a); err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return nil, truce.Errorf(truce.EINVALID, "Nothing to notify.")
	}
	ps := make([]prepared, len(fields))
	for i, f := range fields {
		if ps[i], err = s.prepare(ctx, f); err != nil {
			if len(fields) > 1 {
				return nil, truce.Errorf(truce.ErrorCode(err), "Site %d: %s", i+1, truce.ErrorMessage(err))
			}
			return nil, err
		}
	}
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) ([]*Site, error) {
		now := s.Now()
		ag, to, err := s.addressees(ctx, tx, agreementID, a.Party.ID, now)
		if err != nil {
			return nil, err
		}
		out := make([]*Site, len(ps))
		for i, p := range ps {
			site := &Site{ID: truce.NewID(), AgreementID: ag.ID, PartyID: a.Party.ID, SiteFields: p.fields,
				Status: SiteActive, Change: "notified", Version: 1}
			if err := s.record(ctx, tx, w, a, ag, to, site, p, p.fields.ValidFrom, now); err != nil {
				return nil, err
			}
			out[i] = site
		}
		return out, nil
	})
}

// UpdateSite records a new version of a site (a move or an update) and
// notifies it again. ifVersion, when not 0, is the version the caller
// read (EPRECONDITION if the site has moved on). Only the notifying party
// changes its site.
func (s *Service) UpdateSite(ctx context.Context, id string, ifVersion int64, u SiteUpdate) (*Site, error) {
	p, err := s.prepare(ctx, u.SiteFields)
	if err != nil {
		return nil, err
	}
	return s.newVersion(ctx, id, ifVersion, func(prev *Site, now time.Time) (*Site, prepared, time.Time, error) {
		if prev.Status == SiteClosed {
			return nil, p, now, truce.Errorf(truce.ECONFLICT, "Site %s is closed.", id)
		}
		next := *prev
		next.SiteFields = p.fields
		next.Change = "updated"
		eff := now
		if u.EffectiveFrom != nil {
			eff = u.EffectiveFrom.UTC().Truncate(time.Microsecond)
		}
		return &next, p, eff, nil
	})
}

// CloseSite records that a site has closed: a version like any other,
// notified again.
func (s *Service) CloseSite(ctx context.Context, id string, ifVersion int64) (*Site, error) {
	return s.newVersion(ctx, id, ifVersion, func(prev *Site, now time.Time) (*Site, prepared, time.Time, error) {
		if prev.Status == SiteClosed {
			return nil, prepared{}, now, truce.Errorf(truce.ECONFLICT, "Site %s is already closed.", id)
		}
		p, err := s.prepare(ctx, prev.SiteFields)
		if err != nil {
			return nil, p, now, err
		}
		p.hazards = nil // a closed site meets nothing
		next := *prev
		next.Status, next.Change = SiteClosed, "closed"
		if next.ValidTo == nil || next.ValidTo.After(now) {
			t := now
			if !t.After(next.ValidFrom) {
				t = next.ValidFrom.Add(time.Microsecond)
			}
			next.ValidTo = &t
		}
		return &next, p, now, nil
	})
}

func (s *Service) newVersion(ctx context.Context, id string, ifVersion int64, next func(prev *Site, now time.Time) (*Site, prepared, time.Time, error)) (*Site, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := canNotify(a); err != nil {
		return nil, err
	}
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Site, error) {
		prev, err := tx.Site(ctx, id)
		if err != nil {
			return nil, err
		}
		if prev.PartyID != a.Party.ID && !a.IsAdmin() {
			return nil, truce.Errorf(truce.EFORBIDDEN, "Site %s was notified by another party.", id)
		}
		if ifVersion != 0 && ifVersion != prev.Version {
			return nil, truce.Errorf(truce.EPRECONDITION, "Site %s is at version %d, not %d.", id, prev.Version, ifVersion)
		}
		now := s.Now()
		site, p, eff, err := next(prev, now)
		if err != nil {
			return nil, err
		}
		site.Version = prev.Version + 1
		ag, to, err := s.addressees(ctx, tx, prev.AgreementID, prev.PartyID, now)
		if err != nil {
			return nil, err
		}
		return site, s.record(ctx, tx, w, a, ag, to, site, p, eff, now)
	})
}

// addressees reads the agreement a notification is made under and returns
// the parties it goes to: the coordinator that relays the agreement's
// notifications, if its rules name one (unless it notifies itself), and
// otherwise every party the agreement names but the notifying one.
func (s *Service) addressees(ctx context.Context, tx Tx, agreementID, from string, now time.Time) (*truce.Agreement, []string, error) {
	ag, err := tx.Agreement(ctx, agreementID)
	if err != nil {
		return nil, nil, err
	}
	if !ag.InForceAt(now) {
		return nil, nil, truce.Errorf(truce.EUNPROCESSABLE, "Agreement %q is not in force: notifications are made under an agreement in force.", ag.Title)
	}
	if r := ag.Rules.Relay; r != "" && r != from {
		if !slices.Contains(ag.Signatories, r) {
			return nil, nil, truce.Errorf(truce.EUNPROCESSABLE, "Agreement %q names a relay (%s) that is not among its signatories.", ag.Title, r)
		}
		return ag, []string{r}, nil
	}
	return ag, recipients(ag, from, ""), nil
}

// recipients returns every party agreement ag names but from and but.
func recipients(ag *truce.Agreement, from, but string) []string {
	var to []string
	for _, p := range ag.Signatories {
		if p != from && p != but && !slices.Contains(to, p) {
			to = append(to, p)
		}
	}
	return to
}

// record journals and stores one site version and its transmissions.
func (s *Service) record(ctx context.Context, tx Tx, w *journal.Writer, a *truce.Caller, ag *truce.Agreement, to []string, site *Site, p prepared, effective, now time.Time) error {
	lead := LeadTime(ag.Rules, KindSite, string(site.Category), false)
	site.PCodes = p.pcodes
	site.Hazards = p.hazards
	site.BBox = bbox(p.geom, p.fields.BufferM)
	site.Notice = SiteNotice{EffectiveFrom: effective, LeadTime: lead, Late: effective.Sub(now) < time.Duration(lead)}
	site.NotifiedAt, site.NotifiedBy = now, a.User.ID
	h, err := VersionHash(site)
	if err != nil {
		return err
	}
	site.Hash = h
	bb := site.BBox
	site.JournalIndex = w.Journal(truce.Change{Kind: "site", Subject: site.ID, Body: site, New: site.Version == 1,
		Visibility: truce.Visibility{Scope: truce.ScopeAll},
		Event:      &truce.Event{Data: siteEvent(site), BBox: &bb}})
	if err := tx.PutSite(ctx, site); err != nil {
		return err
	}
	return s.transmit(ctx, tx, w, ag, to, KindSite, site.ID, site.Version, site.Hash, site.PartyID, site.Notice.Late, bb, now)
}

// transmit journals and stores a record version's transmission to each
// party of to, in the write that records the version.
func (s *Service) transmit(ctx context.Context, tx Tx, w *journal.Writer, ag *truce.Agreement, to []string, kind, id string, version int64, hash, from string, late bool, bb truce.BBox, now time.Time) error {
	_, err := s.send(ctx, tx, w, ag, to, &Transmission{Kind: kind, RecordID: id, RecordVersion: version, Hash: hash, From: from, Late: late}, bb, now)
	return err
}

// send journals and stores a transmission like proto (its record, from,
// late and via) to each party of to, sent at now, and returns them.
func (s *Service) send(ctx context.Context, tx Tx, w *journal.Writer, ag *truce.Agreement, to []string, proto *Transmission, bb truce.BBox, now time.Time) ([]*Transmission, error) {
	window := AckWindow(ag.Rules, s.AckWindow)
	reminders := Reminders(ag.Rules)
	out := make([]*Transmission, 0, len(to))
	for _, party := range to {
		t := &Transmission{ID: truce.NewID(), Kind: proto.Kind, RecordID: proto.RecordID, RecordVersion: proto.RecordVersion, Hash: proto.Hash,
			AgreementID: ag.ID, From: proto.From, To: party, SentAt: now, Deadline: now.Add(window),
			Late: proto.Late, State: Pending, Version: 1, Via: proto.Via,
			Relay: proto.Via == "" && party == ag.Rules.Relay && proto.From != party}
		t.NextNotice = *NextNoticeAt(t, reminders, nil)
		t.JournalIndex = w.Journal(truce.Change{Kind: "transmission", Subject: t.ID, Body: t, New: true,
			Visibility: truce.Visibility{Scope: truce.ScopeAll},
			Event:      &truce.Event{Data: t, BBox: &bb}})
		if err := tx.PutTransmission(ctx, t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// siteEvent is what a site's event carries: the version without its
// geometry (a stream subscriber reads the site if it needs the shape).
func siteEvent(s *Site) map[string]any {
	return map[string]any{"id": s.ID, "version": s.Version, "name": s.Name, "category": s.Category,
		"status": s.Status, "change": s.Change, "party_id": s.PartyID, "hash": s.Hash, "late": s.Notice.Late}
}

// FindSite returns a site's latest version; sites are visible to every
// member party (that is their purpose).
func (s *Service) FindSite(ctx context.Context, id string) (*Site, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return journal.VouchedFind(ctx, s.Journal, KindSite, func(ctx context.Context) (*Site, error) {
		return s.Store.Site(ctx, id)
	}, siteID)
}

func siteID(s *Site) string { return s.ID }

// SiteVersions returns every version of a site, oldest first.
func (s *Service) SiteVersions(ctx context.Context, id string) ([]*Site, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return vouchedVersions(ctx, s.Journal, KindSite, id, func(ctx context.Context) ([]*Site, error) {
		return s.Store.SiteVersions(ctx, id)
	}, func(v *Site) int64 { return v.Version })
}

// ListSites returns a page of sites and the cursor of the next page.
func (s *Service) ListSites(ctx context.Context, f SiteFilter) ([]*Site, string, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, "", err
	}
	limit := truce.PageLimit(f.Limit)
	f.Limit = limit + 1
	out, err := journal.VouchedRead(ctx, s.Journal, KindSite, func(ctx context.Context) ([]*Site, error) {
		return s.Store.Sites(ctx, f)
	}, siteID)
	if err != nil {
		return nil, "", err
	}
	return page(out, limit, siteID)
}

// Inbox returns a page of the transmissions awaiting the party's answer,
// of the sites' latest versions, oldest first. party is the caller's own
// unless the caller is an administrator ("" is the caller's).
func (s *Service) Inbox(ctx context.Context, party, cursor string, limit int) ([]*Transmission, string, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, "", err
	}
	to, err := s.partyFor(ctx, a, party)
	if err != nil {
		return nil, "", err
	}
	l := truce.PageLimit(limit)
	out, err := journal.VouchedRead(ctx, s.Journal, KindTransmission, func(ctx context.Context) ([]*Transmission, error) {
		return s.Store.Transmissions(ctx, TransmissionFilter{To: to.ID, Pending: true, Cursor: cursor, Limit: l + 1})
	}, transmissionID)
	if err != nil {
		return nil, "", err
	}
	return page(out, l, transmissionID)
}

// KindTransmission is the journal kind of a transmission.
const KindTransmission = "transmission"

func transmissionID(t *Transmission) string { return t.ID }

// partyFor returns the party a caller acts for: its own, or, for an
// administrator, the one named.
func (s *Service) partyFor(ctx context.Context, a *truce.Caller, party string) (*truce.Party, error) {
	if party == "" || party == a.Party.ID || party == a.Party.Slug {
		return a.Party, nil
	}
	if !a.IsAdmin() {
		return nil, truce.Errorf(truce.EFORBIDDEN, "You act for party %s, not %s.", a.Party.Slug, party)
	}
	return s.Parties.Party(ctx, party)
}

// Transmission returns one transmission.
func (s *Service) Transmission(ctx context.Context, id string) (*Transmission, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return journal.VouchedFind(ctx, s.Journal, KindTransmission, func(ctx context.Context) (*Transmission, error) {
		return s.Store.Transmission(ctx, id)
	}, transmissionID)
}

// AnswerStatement returns the statement a party holding its own key signs
// to answer a transmission with a.
func (s *Service) AnswerStatement(ctx context.Context, id string, a AnswerInput) (string, error) {
	t, err := s.Transmission(ctx, id)
	if err != nil {
		return "", err
	}
	if err := CheckAnswer(&a); err != nil {
		return "", err
	}
	return Statement(t, a), nil
}

// CheckAnswer checks an answer and normalises it as it is signed and
// stored: the text trimmed, the window in UTC to the microsecond.
func CheckAnswer(in *AnswerInput) error {
	// The text is signed as it is stored.
	in.Text = strings.TrimSpace(in.Text)
	if err := truce.CheckText("text", in.Text, MaxConcernText, true); err != nil {
		return err
	}
	if err := truce.CheckText("signature", in.Signature, truce.MaxSignatureLen, true); err != nil {
		return err
	}
	if !in.Concern && (in.Text != "" || in.WindowFrom != nil || in.WindowTo != nil) {
		return truce.Errorf(truce.EINVALID, "An acknowledgement carries no text or window: send a concern.")
	}
	if in.Concern && in.Text == "" {
		return truce.Errorf(truce.EINVALID, "A concern says what it is about: text is required.")
	}
	for _, t := range []**time.Time{&in.WindowFrom, &in.WindowTo} {
		if *t != nil {
			u := (*t).UTC().Truncate(time.Microsecond)
			*t = &u
		}
	}
	if in.WindowFrom != nil && in.WindowTo != nil && !in.WindowTo.After(*in.WindowFrom) {
		return truce.Errorf(truce.EINVALID, "The concern's window ends (%s) before it starts (%s).", in.WindowTo.Format(time.RFC3339), in.WindowFrom.Format(time.RFC3339))
	}
	return nil
}

// Answer records a party's signed acknowledgement or concern of a
// transmission to it. It blocks nothing: an acknowledgement records
// receipt, never permission. Returns EINVALID (bad input), EFORBIDDEN
// (the transmission is to another party), EUNPROCESSABLE (a signature
// that does not verify with the party's key, or over another statement),
// ECONFLICT (already answered, or a superseded version).
func (s *Service) Answer(ctx context.Context, id string, in AnswerInput) (*Transmission, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.Require(truce.RoleOperator, truce.RolePartyAdmin); err != nil {
		return nil, err
	}
	if err := CheckAnswer(&in); err != nil {
		return nil, err
	}
	t, err := s.Store.Transmission(ctx, id)
	if err != nil {
		return nil, err
	}
	// Who answers is asked before the signature is checked: an
	// administrator answers for no party but its own either.
	if t.To != a.Party.ID {
		return nil, truce.Errorf(truce.EFORBIDDEN, "Transmission %s is to another party: you answer only for %s.", id, a.Party.Slug)
	}
	if err := s.Parties.VouchParty(ctx, a.Party); err != nil {
		return nil, err
	}
	sig, err := s.sign(ctx, a.Party, Statement(t, in), in.Signature)
	if err != nil {
		return nil, err
	}
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Transmission, error) {
		return s.recordAnswer(ctx, tx, w, a, id, in, sig)
	})
}

// MaxBatch is the most transmissions one batch acknowledgement answers.
const MaxBatch = 500

// AcknowledgeAll acknowledges several transmissions to the caller's
// (custodial) party in one write, all or none: one that may not be
// acknowledged refuses the batch, saying which. Receipt, not permission.
func (s *Service) AcknowledgeAll(ctx context.Context, ids []string) ([]*Transmission, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.Require(truce.RoleOperator, truce.RolePartyAdmin); err != nil {
		return nil, err
	}
	if len(ids) == 0 || len(ids) > MaxBatch {
		return nil, truce.Errorf(truce.EINVALID, "Acknowledge 1 to %d transmissions at once.", MaxBatch)
	}
	if err := s.Parties.VouchParty(ctx, a.Party); err != nil {
		return nil, err
	}
	sigs := make([]string, len(ids))
	seen := map[string]bool{}
	for i, id := range ids {
		if seen[id] {
			return nil, truce.Errorf(truce.EINVALID, "Transmission %s is listed twice.", id)
		}
		seen[id] = true
		t, err := s.Store.Transmission(ctx, id)
		if err != nil {
			return nil, err
		}
		if t.To != a.Party.ID {
			return nil, truce.Errorf(truce.EFORBIDDEN, "Transmission %s is to another party: you answer only for %s.", id, a.Party.Slug)
		}
		if sigs[i], err = s.sign(ctx, a.Party, Statement(t, AnswerInput{}), ""); err != nil {
			return nil, err
		}
	}
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) ([]*Transmission, error) {
		out := make([]*Transmission, len(ids))
		for i, id := range ids {
			t, err := s.recordAnswer(ctx, tx, w, a, id, AnswerInput{}, sigs[i])
			if err != nil {
				return nil, err
			}
			out[i] = t
		}
		return out, nil
	})
}

// recordAnswer journals and stores a signed answer to a pending
// transmission of a site's latest version.
func (s *Service) recordAnswer(ctx context.Context, tx Tx, w *journal.Writer, a *truce.Caller, id string, in AnswerInput, sig string) (*Transmission, error) {
	t, err := tx.Transmission(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.Relay {
		return nil, truce.Errorf(truce.ECONFLICT, "Transmission %s is for %s to relay to the other parties: relay it, it is not acknowledged.", id, a.Party.Slug)
	}
	if t.State != Pending {
		return nil, truce.Errorf(truce.ECONFLICT, "Transmission %s was already answered (%s).", id, t.State)
	}
	latest, bb, err := s.latest(ctx, tx, t)
	if err != nil {
		return nil, err
	}
	if latest != t.RecordVersion {
		return nil, truce.Errorf(truce.ECONFLICT, "The %s %s version %d is superseded by version %d: answer the latest transmission.", t.Kind, t.RecordID, t.RecordVersion, latest)
	}
	now := s.Now()
	t.Answer = &Answer{Concern: in.Concern, Text: in.Text, WindowFrom: in.WindowFrom, WindowTo: in.WindowTo,
		Signature: sig, UserID: a.User.ID, At: now, Overdue: now.After(t.Deadline)}
	t.State = Acknowledged
	if in.Concern {
		t.State = Concern
	}
	t.Version++
	t.JournalIndex = w.Journal(truce.Change{Kind: "transmission", Subject: t.ID, Body: t,
		Visibility: truce.Visibility{Scope: truce.ScopeAll}, Event: &truce.Event{Data: t, BBox: &bb}})
	return t, tx.PutTransmission(ctx, t)
}

// latest returns the latest version of the record a transmission notifies,
// and its bounds.
func (s *Service) latest(ctx context.Context, tx Tx, t *Transmission) (int64, truce.BBox, error) {
	if t.Kind == KindMovement {
		// A movement's steps after its notification (under way,
		// arrived) do not supersede it: its latest notification is.
		m, err := tx.Movement(ctx, t.RecordID)
		if err != nil {
			return 0, truce.BBox{}, err
		}
		return m.Notified, m.BBox, nil
	}
	site, err := tx.Site(ctx, t.RecordID)
	if err != nil {
		return 0, truce.BBox{}, err
	}
	return site.Version, site.BBox, nil
}

// sign returns the signed note of a statement: signed here with a
// custodial party's key, or the client's note checked against the party's
// public key and the statement.
func (s *Service) sign(ctx context.Context, p *truce.Party, statement, given string) (string, error) {
	if given == "" {
		if !p.Custodial {
			return "", truce.Errorf(truce.EINVALID, "Your party holds its own key: sign the statement (GET …/statement) and send the signed note as signature.")
		}
		return truce.SignAsParty(ctx, s.Parties, p, statement)
	}
	if err := VerifyAnswer(given, statement, p.PublicKey); err != nil {
		return "", truce.Errorf(truce.EUNPROCESSABLE, "The signature does not verify with party %s's key over this transmission's statement: %s", p.Slug, err.Error())
	}
	return given, nil
}

// VerifyAnswer checks a signed note against a party's public key and the
// statement it must carry.
func VerifyAnswer(signed, statement, publicKey string) error {
	return truce.VerifySignedNote(signed, statement, publicKey)
}

// Board returns, for one version of a site (0: the latest), who
// acknowledged it, who raised a concern and who is silent.
func (s *Service) Board(ctx context.Context, siteID string, version int64) (*Board, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	latest, err := s.FindSite(ctx, siteID)
	if err != nil {
		return nil, err
	}
	site := latest
	if version != 0 && version != latest.Version {
		vs, err := s.SiteVersions(ctx, siteID)
		if err != nil {
			return nil, err
		}
		if site = versionOf(vs, version, func(v *Site) int64 { return v.Version }); site == nil {
			return nil, truce.Errorf(truce.ENOTFOUND, "Site %s has no version %d.", siteID, version)
		}
	}
	rows, err := s.boardRows(ctx, siteID, site.Version)
	if err != nil {
		return nil, err
	}
	return &Board{Site: site, Rows: rows, Current: site.Version == latest.Version, Note: ReceiptNotPermission}, nil
}

// boardRows is one line per transmission of a record version: the party,
// and whether it acknowledged, raised a concern or is silent.
func (s *Service) boardRows(ctx context.Context, id string, version int64) ([]BoardRow, error) {
	ts, err := journal.VouchedRead(ctx, s.Journal, KindTransmission, func(ctx context.Context) ([]*Transmission, error) {
		return s.Store.Transmissions(ctx, TransmissionFilter{RecordID: id, RecordVersion: version, Limit: 1000})
	}, transmissionID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var rows []BoardRow
	for _, t := range ts {
		r := BoardRow{Party: t.To, State: "silent", Transmission: t}
		if p, err := s.Parties.Party(ctx, t.To); err == nil {
			r.Slug = p.Slug
		}
		switch {
		case t.Answer != nil:
			r.State, r.Overdue = string(t.State), t.Answer.Overdue
		case t.RelayedAt != nil:
			r.State, r.Overdue = string(Relayed), t.RelayedAt.After(t.Deadline)
		default:
			r.Overdue = now.After(t.Deadline)
		}
		if r.Notices, err = s.vouchedNotices(ctx, t.ID); err != nil {
			return nil, err
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func page[T any](items []T, limit int, id func(T) string) ([]T, string, error) {
	if len(items) > limit {
		return items[:limit], id(items[limit-1]), nil
	}
	return items, "", nil
}
