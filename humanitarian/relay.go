package humanitarian

import (
	"context"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// Relay is the coordinator's relay of a notification under an agreement
// whose rules name it to relay (rules.relay): it marks the relay
// transmission relayed, by the caller, now, and transmits the version to
// every other party the agreement names, in one write. Their deadlines
// count from the relay. Returns the transmissions made.
//
// Returns ENOTFOUND, EFORBIDDEN (a transmission to another party: only
// the coordinator it went to relays it), ECONFLICT (not a relay, relayed
// already, or of a version a newer one replaced: that one is relayed),
// EUNPROCESSABLE (the agreement is no longer in force).
func (s *Service) Relay(ctx context.Context, id string) ([]*Transmission, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.Require(truce.RoleOperator, truce.RolePartyAdmin); err != nil {
		return nil, err
	}
	if err := truce.CheckRef("transmission", id); err != nil {
		return nil, err
	}
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) ([]*Transmission, error) {
		t, err := tx.Transmission(ctx, id)
		if err != nil {
			return nil, err
		}
		// An administrator relays for no party but its own either.
		if t.To != a.Party.ID {
			return nil, truce.Errorf(truce.EFORBIDDEN, "Transmission %s is to another party: only the party it went to relays it.", id)
		}
		switch {
		case !t.Relay:
			return nil, truce.Errorf(truce.ECONFLICT, "Transmission %s is not a relay: the agreement sent it straight to %s, who acknowledges it.", id, a.Party.Slug)
		case t.State != Pending:
			return nil, truce.Errorf(truce.ECONFLICT, "Transmission %s was relayed already, at %s.", id, t.RelayedAt.Format("2006-01-02T15:04:05Z07:00"))
		}
		latest, bb, err := s.latest(ctx, tx, t)
		if err != nil {
			return nil, err
		}
		if latest != t.RecordVersion {
			return nil, truce.Errorf(truce.ECONFLICT, "The %s %s version %d is superseded by version %d: relay the latest transmission.", t.Kind, t.RecordID, t.RecordVersion, latest)
		}
		ag, err := tx.Agreement(ctx, t.AgreementID)
		if err != nil {
			return nil, err
		}
		now := s.Now()
		if !ag.InForceAt(now) {
			return nil, truce.Errorf(truce.EUNPROCESSABLE, "Agreement %q is not in force: nothing is relayed under it.", ag.Title)
		}
		t.State, t.RelayedAt, t.RelayedBy = Relayed, &now, a.User.ID
		t.Version++
		t.JournalIndex = w.Journal(truce.Change{Kind: "transmission", Subject: t.ID, Body: t,
			Visibility: truce.Visibility{Scope: truce.ScopeAll}, Event: &truce.Event{Data: t, BBox: &bb}})
		if err := tx.PutTransmission(ctx, t); err != nil {
			return nil, err
		}
		return s.send(ctx, tx, w, ag, recipients(ag, t.From, t.To),
			&Transmission{Kind: t.Kind, RecordID: t.RecordID, RecordVersion: t.RecordVersion, Hash: t.Hash, From: t.From, Late: t.Late, Via: t.ID}, bb, now)
	})
}
