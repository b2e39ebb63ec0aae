package airspace

import (
	"context"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
	"golang.org/x/mod/sumdb/note"
)

// Parties is what the air picture's records need of package accounts:
// the parties (an aircraft's, an acknowledging caller's, as the journal
// vouches for them) and the custodial parties' signers.
type Parties interface {
	Party(ctx context.Context, idOrSlug string) (*truce.Party, error)
	VouchParty(ctx context.Context, p *truce.Party) error
	PartySigner(ctx context.Context, p *truce.Party) (note.Signer, error)
}

// Service keeps the air picture's records: alerts and their lifecycle,
// each party's aircraft registry and the position feeds, over the store,
// writing through the server's journal (which it embeds). It implements
// truce.AlertService, truce.AircraftService and truce.FeedService.
type Service struct {
	*journal.Journal
	Store   Store
	Parties Parties

	episodes openEpisodes // the episodes this service opened, not ended
}

// NewService returns the air picture's records over st, writing through j.
func NewService(st Store, j *journal.Journal, parties Parties) *Service {
	return &Service{Journal: j, Store: st, Parties: parties}
}

var (
	_ truce.AlertService    = (*Service)(nil)
	_ truce.AircraftService = (*Service)(nil)
	_ truce.FeedService     = (*Service)(nil)
)

func alertChange(a *truce.Alert) truce.Change {
	return truce.Change{Kind: "alert", Subject: a.ID, Body: a, Visibility: truce.AlertVisibility(a), New: a.Version == 1,
		Event: &truce.Event{Data: a, Point: &[2]float64{a.Lon, a.Lat}}}
}

// RaiseAlert records an engine's alert. Engines call it without an actor
// (the journal records "system"); a signed-in caller must be an admin.
func (s *Service) RaiseAlert(ctx context.Context, a *truce.Alert) (*truce.Alert, error) {
	actor := truce.CallerFrom(ctx)
	if actor != nil && !actor.IsAdmin() {
		return nil, truce.Errorf(truce.EFORBIDDEN, "Alerts are raised by the engines.")
	}
	if a.Kind == "" || a.Summary == "" {
		return nil, truce.Errorf(truce.EINVALID, "An alert needs a kind and a summary.")
	}
	s.newAlert(a)
	return journal.Write(ctx, s.Journal, s.Store, actor, func(tx Tx, w *journal.Writer) (*truce.Alert, error) {
		return a, raiseAlert(ctx, tx, w, a)
	})
}

// newAlert makes a a new open alert.
func (s *Service) newAlert(a *truce.Alert) {
	a.ID, a.State, a.Version = truce.NewID(), truce.AlertOpen, 1
	if a.Time.IsZero() {
		a.Time = s.Now()
	}
	a.Time = a.Time.UTC()
	if a.Aircraft == nil {
		a.Aircraft = []truce.AlertAircraft{}
	}
}

// raiseAlert journals and stores a new alert in the write's transaction.
func raiseAlert(ctx context.Context, tx Tx, w *journal.Writer, a *truce.Alert) error {
	a.JournalIndex = w.Journal(alertChange(a))
	return tx.PutAlert(ctx, a)
}

// RaiseAlerts records engines' alerts, as RaiseAlert does each, in one
// journal write: one transaction, whose cost the alerts share. It is all
// or none: when one alert is refused, none is recorded (the caller writes
// them again in smaller batches to find it; see airspace's journal).
func (s *Service) RaiseAlerts(ctx context.Context, as []*truce.Alert) error {
	actor := truce.CallerFrom(ctx)
	if actor != nil && !actor.IsAdmin() {
		return truce.Errorf(truce.EFORBIDDEN, "Alerts are raised by the engines.")
	}
	for _, a := range as {
		if a.Kind == "" || a.Summary == "" {
			return truce.Errorf(truce.EINVALID, "An alert needs a kind and a summary.")
		}
	}
	if len(as) == 0 {
		return nil
	}
	for _, a := range as {
		s.newAlert(a)
	}
	_, err := journal.Write(ctx, s.Journal, s.Store, actor, func(tx Tx, w *journal.Writer) (struct{}, error) {
		for _, a := range as {
			if err := raiseAlert(ctx, tx, w, a); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	return err
}

// FindAlert returns an alert the caller may read (truce.AlertVisibility);
// one it may not is not found, as if it did not exist.
func (s *Service) FindAlert(ctx context.Context, id string) (*truce.Alert, error) {
	c, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	return journal.Read(ctx, s.Journal, func(ctx context.Context) (*truce.Alert, error) {
		a, err := s.Store.Alert(ctx, id)
		if err != nil {
			return nil, err
		}
		if !truce.AlertVisibility(a).Allows(c) {
			return nil, truce.Errorf(truce.ENOTFOUND, "Alert %s not found.", id)
		}
		if _, err := journal.Vouched(ctx, s.Journal, "alert", []*truce.Alert{a}, alertID); err != nil {
			return nil, err
		}
		return a, nil
	})
}

func alertID(a *truce.Alert) string { return a.ID }

// alertScans bounds the store pages ListAlerts reads for one page of
// alerts the caller may read.
const alertScans = 4

// ListAlerts returns a page of the alerts the caller may read
// (truce.AlertVisibility), newest first. Alerts it may not read are
// passed over; when a page is mostly such alerts, at most alertScans
// store pages are read and the page may come back short, with a cursor
// to go on from.
func (s *Service) ListAlerts(ctx context.Context, f truce.AlertFilter) ([]*truce.Alert, string, error) {
	c, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, "", err
	}
	lim := truce.PageLimit(f.Limit)
	f.Limit = lim + 1
	var next string
	as, err := journal.VouchedRead(ctx, s.Journal, "alert", func(ctx context.Context) ([]*truce.Alert, error) {
		var out []*truce.Alert
		next = ""
		g := f
		for scan := 0; ; scan++ {
			as, err := s.Store.Alerts(ctx, g)
			if err != nil {
				return nil, err
			}
			for i, a := range as {
				if truce.AlertVisibility(a).Allows(c) {
					out = append(out, a)
				}
				if len(out) > lim {
					// A next page holds at least this alert.
					next = out[lim-1].ID
					return out[:lim], nil
				}
				if i == len(as)-1 {
					g.Cursor = a.ID
				}
			}
			if len(as) < g.Limit {
				return out, nil // the end
			}
			if scan+1 == alertScans {
				// More rows remain: go on after the last one read.
				next = g.Cursor
				return out, nil
			}
		}
	}, alertID)
	if err != nil {
		return nil, "", err
	}
	return as, next, nil
}

// AcknowledgeAlert records the caller's party's acknowledgement of an
// alert (truce.CanAcknowledge), signed with the party's key: here for a
// custodial party, by the client for a party holding its own key (the
// signed note over truce.AlertAckStatement, checked here). Receipt, not
// closure: the alert stays open until closed.
func (s *Service) AcknowledgeAlert(ctx context.Context, id string, in truce.AlertAckInput) (*truce.Alert, error) {
	c, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := truce.CheckText("note", in.Note, truce.MaxTextLen, true); err != nil {
		return nil, err
	}
	if len(in.Signature) > truce.MaxSignatureLen {
		return nil, truce.Errorf(truce.EINVALID, "A signature is at most %d bytes.", truce.MaxSignatureLen)
	}
	note := truce.Clean(in.Note)
	// The change journals the whole alert: never from a row that does not
	// match the journal.
	cur, err := s.FindAlert(ctx, id)
	if err != nil {
		return nil, err
	}
	// Who acknowledges is asked before the signature is checked.
	if err := truce.CanAcknowledge(cur, c); err != nil {
		return nil, err
	}
	if err := s.Parties.VouchParty(ctx, c.Party); err != nil {
		return nil, err
	}
	statement := truce.AlertAckStatement(cur, c.Party.ID, note)
	sig := in.Signature
	switch {
	case sig == "" && !c.Party.Custodial:
		return nil, truce.Errorf(truce.EINVALID, "Your party holds its own key: sign the acknowledgement statement (truce alert ack ID --key FILE) and send the signed note as signature.")
	case sig == "":
		if sig, err = truce.SignAsParty(ctx, s.Parties, c.Party, statement); err != nil {
			return nil, err
		}
	default:
		if err := truce.VerifySignedNote(sig, statement, c.Party.PublicKey); err != nil {
			return nil, truce.Errorf(truce.EUNPROCESSABLE, "The signature does not verify with party %s's key over this alert's acknowledgement statement: %s", c.Party.Slug, err.Error())
		}
	}
	now := s.Now()
	return journal.Write(ctx, s.Journal, s.Store, c, func(tx Tx, w *journal.Writer) (*truce.Alert, error) {
		al, err := tx.Alert(ctx, id)
		if err != nil {
			return nil, err
		}
		// Asked again in the transaction: another acknowledgement of the
		// same party may have been committed meanwhile.
		if err := truce.CanAcknowledge(al, c); err != nil {
			return nil, err
		}
		al.Acknowledge(truce.AlertAck{Party: c.Party.ID, User: c.User.ID, Time: now, Note: note, Signature: sig})
		al.Version++
		al.JournalIndex = w.Journal(alertChange(al))
		return al, tx.PutAlert(ctx, al)
	})
}

// CloseAlert closes an alert (truce.CanClose: the monitoring mission or the
// coordinator), keeping the note in its history.
func (s *Service) CloseAlert(ctx context.Context, id, note string) (*truce.Alert, error) {
	c, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := truce.CheckText("note", note, truce.MaxTextLen, true); err != nil {
		return nil, err
	}
	note = truce.Clean(note)
	cur, err := s.FindAlert(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := truce.CanClose(cur, c); err != nil {
		return nil, err
	}
	now := s.Now()
	return journal.Write(ctx, s.Journal, s.Store, c, func(tx Tx, w *journal.Writer) (*truce.Alert, error) {
		al, err := tx.Alert(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := truce.CanClose(al, c); err != nil {
			return nil, err
		}
		al.Close(c.Party.ID, c.User.ID, note, now)
		al.Version++
		al.JournalIndex = w.Journal(alertChange(al))
		return al, tx.PutAlert(ctx, al)
	})
}

// --- aircraft registry ---

// MaxAircraftNoteLen is the limit of a registry entry's note, in
// characters.
const MaxAircraftNoteLen = 500

var (
	icaoRE   = regexp.MustCompile(`^[0-9A-F]{6}$`)
	prefixRE = regexp.MustCompile(`^[A-Z0-9]{1,8}$`)
)

func aircraftChange(a *truce.Aircraft) truce.Change {
	return truce.Change{Kind: "aircraft", Subject: a.ID, Body: a, Visibility: truce.Visibility{Scope: truce.ScopeAll}, New: a.Version == 1,
		Event: &truce.Event{Data: a}}
}

// RegisterAircraft adds a registry entry.
func (s *Service) RegisterAircraft(ctx context.Context, in truce.Aircraft) (*truce.Aircraft, error) {
	actor, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := actor.Require(truce.RoleOperator, truce.RolePartyAdmin); err != nil {
		return nil, err
	}
	in.ICAO, in.CallsignPrefix = strings.ToUpper(truce.Clean(in.ICAO)), strings.ToUpper(truce.Clean(in.CallsignPrefix))
	switch {
	case (in.ICAO == "") == (in.CallsignPrefix == ""):
		return nil, truce.Errorf(truce.EINVALID, "Give either an ICAO address or a callsign prefix.")
	case in.ICAO != "" && !icaoRE.MatchString(in.ICAO):
		return nil, truce.Errorf(truce.EINVALID, "An ICAO address is 6 hexadecimal digits, like 4CA2D1.")
	case in.CallsignPrefix != "" && !prefixRE.MatchString(in.CallsignPrefix):
		return nil, truce.Errorf(truce.EINVALID, "A callsign prefix is 1 to 8 letters or digits.")
	}
	if err := truce.CheckText("note", in.Note, MaxAircraftNoteLen, true); err != nil {
		return nil, err
	}
	if err := truce.CheckRef("party", in.PartyID); err != nil {
		return nil, err
	}
	party := actor.Party.ID
	if in.PartyID != "" && in.PartyID != party {
		if !actor.IsAdmin() {
			return nil, truce.Errorf(truce.EFORBIDDEN, "You may register aircraft only for your own party.")
		}
		p, err := s.Parties.Party(ctx, in.PartyID)
		if err != nil {
			return nil, err
		}
		party = p.ID
	}
	all, err := s.Store.AircraftList(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, x := range all {
		if (in.ICAO != "" && x.ICAO == in.ICAO) || (in.CallsignPrefix != "" && x.CallsignPrefix == in.CallsignPrefix) {
			return nil, truce.Errorf(truce.ECONFLICT, "That aircraft or prefix is already registered (entry %s).", x.ID)
		}
	}
	a := &truce.Aircraft{ID: truce.NewID(), PartyID: party, ICAO: in.ICAO, CallsignPrefix: in.CallsignPrefix, Note: truce.Clean(in.Note), CreatedAt: s.Now(), Version: 1}
	return journal.Write(ctx, s.Journal, s.Store, actor, func(tx Tx, w *journal.Writer) (*truce.Aircraft, error) {
		a.JournalIndex = w.Journal(aircraftChange(a))
		return a, tx.PutAircraft(ctx, a)
	})
}

// ListAircraft lists registry entries: one party's, or all ("").
func (s *Service) ListAircraft(ctx context.Context, party string) ([]*truce.Aircraft, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	if party != "" {
		p, err := s.Parties.Party(ctx, party)
		if err != nil {
			return nil, err
		}
		party = p.ID
	}
	return journal.VouchedRead(ctx, s.Journal, "aircraft", func(ctx context.Context) ([]*truce.Aircraft, error) {
		return s.Store.AircraftList(ctx, party)
	}, func(a *truce.Aircraft) string { return a.ID })
}

// RemoveAircraft removes a registry entry of the caller's party.
func (s *Service) RemoveAircraft(ctx context.Context, id string) (*truce.Aircraft, error) {
	actor, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := actor.Require(truce.RoleOperator, truce.RolePartyAdmin); err != nil {
		return nil, err
	}
	return journal.Write(ctx, s.Journal, s.Store, actor, func(tx Tx, w *journal.Writer) (*truce.Aircraft, error) {
		a, err := tx.Aircraft(ctx, id)
		if err != nil {
			return nil, err
		}
		if a.PartyID != actor.Party.ID && !actor.IsAdmin() {
			return nil, truce.Errorf(truce.EFORBIDDEN, "That entry belongs to another party.")
		}
		if a.Removed {
			return nil, truce.Errorf(truce.ECONFLICT, "Entry %q is already removed.", id)
		}
		a.Removed = true
		a.Version++
		a.JournalIndex = w.Journal(aircraftChange(a))
		return a, tx.PutAircraft(ctx, a)
	})
}

// --- feeds ---

func feedChange(f *truce.FeedSource) truce.Change {
	return truce.Change{Kind: "feed", Subject: f.ID, Body: f, Visibility: truce.Visibility{Scope: truce.ScopeAll}, New: f.Version == 1,
		Event: &truce.Event{Data: f}}
}

// AddFeed configures an SBS-1 source the server connects to (admins).
func (s *Service) AddFeed(ctx context.Context, f truce.FeedSource) (*truce.FeedSource, error) {
	actor, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if !actor.IsAdmin() {
		return nil, truce.Errorf(truce.EFORBIDDEN, "Only an administrator can configure feeds.")
	}
	if f.Kind != "sbs" {
		return nil, truce.Errorf(truce.EINVALID, "Unknown feed kind %q: use sbs.", f.Kind)
	}
	if err := truce.CheckText("addr", f.Addr, 255, false); err != nil {
		return nil, err
	}
	if err := truce.CheckText("name", f.Name, truce.MaxNameLen, false); err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(f.Addr)
	if err != nil || host == "" || port == "" {
		return nil, truce.Errorf(truce.EINVALID, "A feed address is HOST:PORT.")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, truce.Errorf(truce.EINVALID, "A feed's port is a number from 1 to 65535, not %q.", port)
	}
	if f.Name = truce.Clean(f.Name); f.Name == "" {
		f.Name = f.Addr
	}
	nf := &truce.FeedSource{ID: truce.NewID(), Kind: f.Kind, Addr: f.Addr, Name: f.Name, CreatedAt: s.Now(), Version: 1}
	return journal.Write(ctx, s.Journal, s.Store, actor, func(tx Tx, w *journal.Writer) (*truce.FeedSource, error) {
		nf.JournalIndex = w.Journal(feedChange(nf))
		return nf, tx.PutFeed(ctx, nf)
	})
}

// ListFeeds lists configured feeds.
func (s *Service) ListFeeds(ctx context.Context) ([]*truce.FeedSource, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return journal.VouchedRead(ctx, s.Journal, "feed", func(ctx context.Context) ([]*truce.FeedSource, error) {
		return s.Store.Feeds(ctx)
	}, func(f *truce.FeedSource) string { return f.ID })
}

// RemoveFeed stops and removes a feed (admins).
func (s *Service) RemoveFeed(ctx context.Context, id string) (*truce.FeedSource, error) {
	actor, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if !actor.IsAdmin() {
		return nil, truce.Errorf(truce.EFORBIDDEN, "Only an administrator can configure feeds.")
	}
	return journal.Write(ctx, s.Journal, s.Store, actor, func(tx Tx, w *journal.Writer) (*truce.FeedSource, error) {
		f, err := tx.Feed(ctx, id)
		if err != nil {
			return nil, err
		}
		if f.Removed {
			return nil, truce.Errorf(truce.ECONFLICT, "Feed %q is already removed.", id)
		}
		f.Removed = true
		f.Version++
		f.JournalIndex = w.Journal(feedChange(f))
		return f, tx.PutFeed(ctx, f)
	})
}

// JournalledAircraft returns registry entries read from their rows as
// the journal vouches for them, for the monitor's attribution: an entry
// that does not match is reported and the journal's used (left out if
// the journal says it is removed, or if the journal itself fails its
// checks). Errors are the store's.
func (s *Service) JournalledAircraft(ctx context.Context, as []*truce.Aircraft) ([]*truce.Aircraft, error) {
	js, _, err := journal.VouchRecords(ctx, s.Journal, "aircraft", as, func(a *truce.Aircraft) string { return a.ID })
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
	js, _, err := journal.VouchRecords(ctx, s.Journal, "feed", fs, func(f *truce.FeedSource) string { return f.ID })
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(js, func(f *truce.FeedSource) bool { return f.Removed }), nil
}

// StateCheck is the self-check's state pass over the alerts (every one,
// to find deleted rows too), the aircraft registry and the feeds (see
// journal.Journal.CheckState).
func (s *Service) StateCheck() journal.StateCheck {
	return journal.StateCheck{Kinds: []string{"alert"}, Check: s.checkState}
}

func (s *Service) checkState(ctx context.Context, n int, note func(error) error, stored func(kind, id string), progress func(checked int)) (int, error) {
	for cursor := ""; ; {
		as, err := s.Store.Alerts(ctx, truce.AlertFilter{Cursor: cursor, Limit: 1000})
		if err != nil {
			return n, err
		}
		_, bad, err := journal.VouchRecords(ctx, s.Journal, "alert", as, func(a *truce.Alert) string { return a.ID })
		if err != nil {
			return n, err
		}
		note(bad)
		for _, a := range as {
			stored("alert", a.ID)
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
	acs, err := s.Store.AircraftList(ctx, "")
	if err != nil {
		return n, err
	}
	if _, bad, err := journal.VouchRecords(ctx, s.Journal, "aircraft", acs, func(a *truce.Aircraft) string { return a.ID }); err != nil {
		return n, err
	} else {
		note(bad)
	}
	fs, err := s.Store.Feeds(ctx)
	if err != nil {
		return n, err
	}
	if _, bad, err := journal.VouchRecords(ctx, s.Journal, "feed", fs, func(f *truce.FeedSource) string { return f.ID }); err != nil {
		return n, err
	} else {
		note(bad)
	}
	return n + len(acs) + len(fs), nil
}
