package zones

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/journal"
)

// zoneChange records a zone and one of its versions in the journal: every
// entry of a zone has kind "zone" and the zone's id as subject, so a zone's
// proof covers its whole history.
// An approval that supersedes the version in force records that version
// too, as "superseded", so that every stored version is the body of an
// entry (vouch.go).
func zoneChange(z *truce.Zone, v *truce.ZoneVersion, superseded *truce.ZoneVersion) truce.Change {
	body := map[string]any{"zone": z, "version": v}
	if superseded != nil {
		body["superseded"] = superseded
	}
	return truce.Change{Kind: "zone", Subject: z.ID, Body: body,
		Visibility: truce.Visibility{Scope: truce.ScopeAll}, New: z.Version == 1, Event: &truce.Event{Data: v}}
}

// signatoryOperator checks the actor acts for a signatory party as an
// operator (or administrator) and returns the agreement.
func (s *Service) signatoryOperator(ctx context.Context, a *truce.Caller, agreementID string) (*truce.Agreement, error) {
	// Who may act is decided on the agreement the journal vouches for.
	ag, err := s.VouchedAgreement(ctx, agreementID)
	if err != nil {
		return nil, err
	}
	if err := truce.CanActOnZones(a, ag, s.Now()); err != nil {
		return nil, err
	}
	return ag, nil
}

func (s *Service) effective(t *time.Time) time.Time {
	if t == nil {
		return s.Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// ProposeZone creates a zone and its first version.
func (s *Service) ProposeZone(ctx context.Context, p truce.ZoneProposal) (*truce.Zone, *truce.ZoneVersion, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, nil, err
	}
	if p.Agreement == "" {
		return nil, nil, truce.Errorf(truce.EINVALID, "A zone belongs to an agreement: give its id.")
	}
	if err := truce.CheckRef("agreement", p.Agreement); err != nil {
		return nil, nil, err
	}
	ag, err := s.signatoryOperator(ctx, a, p.Agreement)
	if err != nil {
		return nil, nil, err
	}
	z, v, err := s.newZone(ctx, a, ag, p)
	if err != nil {
		return nil, nil, err
	}
	if _, err := journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*truce.Zone, error) {
		idx := w.Journal(zoneChange(z, v, nil))
		z.JournalIndex, v.JournalIndex = idx, idx
		if err := tx.PutZone(ctx, z); err != nil {
			return nil, err
		}
		return z, tx.PutZoneVersion(ctx, v)
	}); err != nil {
		return nil, nil, err
	}
	return z, v, nil
}

func (s *Service) newZone(ctx context.Context, a *truce.Caller, ag *truce.Agreement, p truce.ZoneProposal) (*truce.Zone, *truce.ZoneVersion, error) {
	spec, _, bbox, err := s.buildSpec(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	now := s.Now()
	z := &truce.Zone{ID: truce.NewID(), AgreementID: ag.ID, Name: spec.Name, Kind: spec.Kind, State: truce.ZoneStateProposed,
		Pending: 1, Latest: 1, CreatedAt: now, UpdatedAt: now, Version: 1}
	v := &truce.ZoneVersion{ZoneID: z.ID, AgreementID: ag.ID, Version: 1, Action: truce.ZoneProposed, Status: truce.VersionProposed,
		Spec: spec, BBox: bbox, EffectiveFrom: s.effective(p.EffectiveFrom), ProposedBy: a.Party.ID, ProposedByUser: a.User.ID,
		ProposedAt: now, Note: truce.Clean(p.Note), Decisions: []truce.Decision{}}
	return z, v, nil
}

// ImportZones proposes every feature of a FeatureCollection, all in one
// transaction.
func (s *Service) ImportZones(ctx context.Context, in truce.ZoneImport) ([]*truce.ZoneVersion, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := truce.CheckRef("agreement", in.Agreement); err != nil {
		return nil, err
	}
	ag, err := s.signatoryOperator(ctx, a, in.Agreement)
	if err != nil {
		return nil, err
	}
	// Spikes and repeated vertices, common in boundary data, are mended
	// silently, as they change no area. An import that asks for repair
	// gets geo.MakeValid instead, which mends those and crossings too, and
	// each version records that it was repaired (buildSpec).
	repair := in.Defaults.Repair
	feats, err := geo.DecodeFeatures(in.Features, geo.Options{MaxVertices: s.MaxVertices, Repair: !repair, SkipTopology: repair})
	if err != nil {
		var fe *geo.FeatureError
		if errors.As(err, &fe) {
			return nil, featureError(fe.Index, fe.Name, geometryError(fe.Err))
		}
		return nil, geometryError(err)
	}
	if len(feats) == 0 || len(feats) > 10_000 {
		return nil, truce.Errorf(truce.EINVALID, "An import holds 1 to 10,000 features.")
	}
	type pair struct {
		z *truce.Zone
		v *truce.ZoneVersion
	}
	var out []pair
	for i, f := range feats {
		p := in.Defaults
		p.Agreement, p.Geometry, p.EffectiveFrom = ag.ID, geoJSON(f.Geometry), in.EffectiveFrom
		if v, ok := f.Properties["name"].(string); ok {
			p.Name = v
		}
		if v, ok := f.Properties["kind"].(string); ok {
			p.Kind = truce.ZoneKind(v)
		}
		if v, ok := f.Properties["floor"].(string); ok {
			p.Floor = v
		}
		if v, ok := f.Properties["ceiling"].(string); ok {
			p.Ceiling = v
		}
		if v, ok := f.Properties["half_width_m"].(float64); ok {
			p.HalfWidthM = v
		}
		if v, ok := f.Properties["radius_m"].(float64); ok {
			p.RadiusM = v
		}
		z, v, err := s.newZone(ctx, a, ag, p)
		if err != nil {
			name, _ := f.Properties["name"].(string)
			return nil, featureError(i, name, err)
		}
		out = append(out, pair{z, v})
	}
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) ([]*truce.ZoneVersion, error) {
		vs := make([]*truce.ZoneVersion, len(out))
		for i, p := range out {
			idx := w.Journal(zoneChange(p.z, p.v, nil))
			p.z.JournalIndex, p.v.JournalIndex = idx, idx
			if err := tx.PutZone(ctx, p.z); err != nil {
				return nil, err
			}
			if err := tx.PutZoneVersion(ctx, p.v); err != nil {
				return nil, err
			}
			vs[i] = p.v
		}
		return vs, nil
	})
}

// featureError names the feature of an import that err is about.
func featureError(i int, name string, err error) error {
	if truce.ErrorCode(err) == truce.EINTERNAL || truce.ErrorCode(err) == truce.EUNAVAILABLE {
		return err
	}
	if name != "" {
		return truce.Errorf(truce.ErrorCode(err), "Feature %d (%q): %s", i, truce.Clean(name), truce.ErrorMessage(err))
	}
	return truce.Errorf(truce.ErrorCode(err), "Feature %d: %s", i, truce.ErrorMessage(err))
}

// ProposeChange proposes a new version of a zone.
func (s *Service) ProposeChange(ctx context.Context, zoneID string, p truce.ZoneProposal, ifVersion int64) (*truce.ZoneVersion, error) {
	return s.proposeVersion(ctx, zoneID, ifVersion, truce.ZoneChange, &p, "", nil)
}

// ProposeSuspension proposes to suspend a zone.
func (s *Service) ProposeSuspension(ctx context.Context, zoneID, note string, eff *time.Time) (*truce.ZoneVersion, error) {
	return s.proposeVersion(ctx, zoneID, 0, truce.ZoneSuspension, nil, note, eff)
}

// ProposeWithdrawal proposes to withdraw a zone for good.
func (s *Service) ProposeWithdrawal(ctx context.Context, zoneID, note string, eff *time.Time) (*truce.ZoneVersion, error) {
	return s.proposeVersion(ctx, zoneID, 0, truce.ZoneWithdrawal, nil, note, eff)
}

func (s *Service) proposeVersion(ctx context.Context, zoneID string, ifVersion int64, action truce.ZoneAction, p *truce.ZoneProposal, note string, eff *time.Time) (*truce.ZoneVersion, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := truce.CheckText("note", note, truce.MaxTextLen, true); err != nil {
		return nil, err
	}
	// A new version journals the zone and the version it ends: never
	// from rows that do not match the journal.
	z, _, err := s.VouchedZone(ctx, zoneID)
	if err != nil {
		return nil, err
	}
	if _, err := s.signatoryOperator(ctx, a, z.AgreementID); err != nil {
		return nil, err
	}
	now := s.Now()
	v := &truce.ZoneVersion{ZoneID: z.ID, AgreementID: z.AgreementID, Action: action, Status: truce.VersionProposed,
		ProposedBy: a.Party.ID, ProposedByUser: a.User.ID, ProposedAt: now, Note: truce.Clean(note), Decisions: []truce.Decision{}}
	if p != nil {
		if p.Agreement != "" && p.Agreement != z.AgreementID {
			return nil, truce.Errorf(truce.EINVALID, "A zone stays in its agreement.")
		}
		if v.Spec, _, v.BBox, err = s.buildSpec(ctx, *p); err != nil {
			return nil, err
		}
		v.Note, eff = truce.Clean(p.Note), p.EffectiveFrom
	}
	v.EffectiveFrom = s.effective(eff)
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*truce.ZoneVersion, error) {
		z, err := tx.Zone(ctx, zoneID)
		if err != nil {
			return nil, err
		}
		if err := truce.CanPropose(z, action, ifVersion); err != nil {
			return nil, err
		}
		if p == nil {
			// A suspension or withdrawal carries the spec it ends.
			cur, err := tx.ZoneVersion(ctx, z.ID, z.Current)
			if err != nil {
				return nil, err
			}
			v.Spec, v.BBox = cur.Spec, cur.BBox
		}
		v.Version = z.Latest + 1
		z.Latest, z.Pending = v.Version, v.Version
		z.Version++
		z.UpdatedAt = now
		idx := w.Journal(zoneChange(z, v, nil))
		z.JournalIndex, v.JournalIndex = idx, idx
		if err := tx.PutZone(ctx, z); err != nil {
			return nil, err
		}
		return v, tx.PutZoneVersion(ctx, v)
	})
}

// DecideZone records a signatory's decision on a pending version.
func (s *Service) DecideZone(ctx context.Context, zoneID string, version int, d truce.ZoneDecision) (*truce.ZoneVersion, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	// A decision signs and journals the version as read: never a row that
	// does not match the journal.
	z, vs, err := s.VouchedZone(ctx, zoneID)
	if err != nil {
		return nil, err
	}
	ag, err := s.signatoryOperator(ctx, a, z.AgreementID)
	if err != nil {
		return nil, err
	}
	// Who may decide is asked before the signature is checked (and
	// again, with the rest of the rules, as the decision is made).
	if err := truce.CanDecideAs(ag.SignatoriesAt(s.Now()), a.Party.ID); err != nil {
		return nil, err
	}
	if err := truce.CheckText("reason", d.Reason, truce.MaxTextLen, true); err != nil {
		return nil, err
	}
	if err := truce.CheckText("signature", d.Signature, truce.MaxSignatureLen, true); err != nil {
		return nil, err
	}
	if version < 1 || version > len(vs) {
		return nil, truce.Errorf(truce.ENOTFOUND, "Zone %q has no version %d.", zoneID, version)
	}
	statement, err := truce.DecisionStatement(vs[version-1], d.Approve)
	if err != nil {
		return nil, err
	}
	// The party's key, which checks or makes the signature, is the one
	// the journal vouches for.
	if err := s.Accounts.VouchParty(ctx, a.Party); err != nil {
		return nil, err
	}
	sig, err := s.signDecision(ctx, a.Party, statement, d.Signature)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*truce.ZoneVersion, error) {
		z, err := tx.Zone(ctx, zoneID)
		if err != nil {
			return nil, err
		}
		v, err := tx.ZoneVersion(ctx, zoneID, version)
		if err != nil {
			return nil, err
		}
		var current *truce.ZoneVersion
		if z.Current != 0 && d.Approve {
			// The version in force, which an approval by all would end.
			if current, err = tx.ZoneVersion(ctx, zoneID, z.Current); err != nil {
				return nil, err
			}
		}
		dec := truce.Decision{PartyID: a.Party.ID, UserID: a.User.ID, Approve: d.Approve, Reason: truce.Clean(d.Reason), Signature: sig, DecidedAt: now}
		t, err := truce.Decide(z, v, current, ag.SignatoriesAt(now), dec)
		if err != nil {
			return nil, err
		}
		z, v, prev := t.Zone, t.Version, t.Ended
		idx := w.Journal(zoneChange(z, v, prev))
		v.Decisions[len(v.Decisions)-1].JournalIndex = idx
		z.JournalIndex = idx
		if prev != nil {
			if err := tx.PutZoneVersion(ctx, prev); err != nil {
				return nil, err
			}
		}
		if err := tx.PutZone(ctx, z); err != nil {
			return nil, err
		}
		return v, tx.PutZoneVersion(ctx, v)
	})
}

// signDecision returns the signed note of a decision: signed here with a
// custodial party's key, or the client's signature checked against the
// party's public key.
func (s *Service) signDecision(ctx context.Context, p *truce.Party, statement, given string) (string, error) {
	if given == "" {
		if !p.Custodial || s.Accounts.Keys == nil {
			return "", truce.Errorf(truce.EINVALID, "Your party holds its own key: sign the decision statement and send the signed note as signature.")
		}
		return truce.SignAsParty(ctx, s.Accounts, p, statement)
	}
	switch err := truce.VerifySignedNote(given, statement, p.PublicKey); {
	case errors.Is(err, truce.ErrNoteSignature):
		return "", truce.Errorf(truce.EUNPROCESSABLE, "The signature does not verify with party %s's key.", p.Slug)
	case errors.Is(err, truce.ErrNoteStatement):
		return "", truce.Errorf(truce.EUNPROCESSABLE, "The signed text is not this decision's statement.")
	case err != nil:
		return "", fmt.Errorf("party key of %s: %w", p.Slug, err)
	}
	return given, nil
}

// VerifyDecision checks a stored decision's signature against the party's
// key and the version's statement.
func VerifyDecision(v *truce.ZoneVersion, d truce.Decision, publicKey string) error {
	statement, err := truce.DecisionStatement(v, d.Approve)
	if err != nil {
		return err
	}
	return truce.VerifySignedNote(d.Signature, statement, publicKey)
}

// FindZone returns a zone; zones are visible to every member.
func (s *Service) FindZone(ctx context.Context, id string) (*truce.Zone, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	z, _, err := s.VouchedZone(ctx, id)
	return z, err
}

// ListZones returns a page of zones.
func (s *Service) ListZones(ctx context.Context, f truce.ZoneFilter) ([]*truce.Zone, string, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, "", err
	}
	if f.Kind != "" && !f.Kind.Valid() {
		return nil, "", truce.Errorf(truce.EINVALID, "Unknown zone kind %q.", f.Kind)
	}
	lim := truce.PageLimit(f.Limit)
	f.Limit = lim + 1
	var next string
	zs, err := journal.Read(ctx, s.Journal, func(ctx context.Context) ([]*truce.Zone, error) {
		zs, err := s.Store.Zones(ctx, f)
		if err != nil {
			return nil, err
		}
		zs, next = truce.PageCursor(zs, lim, func(z *truce.Zone) string { return z.ID })
		for _, z := range zs {
			if _, err := s.vouchZone(ctx, z.ID, z, nil); err != nil {
				return nil, err
			}
		}
		return zs, nil
	})
	if err != nil {
		return nil, "", err
	}
	return zs, next, nil
}

// ZoneHistory returns every version of a zone.
func (s *Service) ZoneHistory(ctx context.Context, id string) ([]*truce.ZoneVersion, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	_, vs, err := s.VouchedZone(ctx, id)
	return vs, err
}

// ZonesInForce returns the versions in force at t in agreements in force
// at t.
func (s *Service) ZonesInForce(ctx context.Context, t time.Time) ([]*truce.ZoneVersion, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return s.zonesInForce(ctx, t)
}

func (s *Service) zonesInForce(ctx context.Context, t time.Time) ([]*truce.ZoneVersion, error) {
	return journal.Read(ctx, s.Journal, func(ctx context.Context) ([]*truce.ZoneVersion, error) {
		return s.zonesInForceRead(ctx, t)
	})
}

// zonesInForceRead is zonesInForce in the snapshot it gives.
func (s *Service) zonesInForceRead(ctx context.Context, t time.Time) ([]*truce.ZoneVersion, error) {
	vs, err := s.Store.ZoneVersionsInForce(ctx, t)
	if err != nil {
		return nil, err
	}
	ags := map[string]*truce.Agreement{}
	out := vs[:0]
	for _, v := range vs {
		ag, ok := ags[v.AgreementID]
		if !ok {
			if ag, err = s.Store.Agreement(ctx, v.AgreementID); err != nil {
				return nil, err
			}
			ags[v.AgreementID] = ag
		}
		if ag.InForceAt(t) {
			out = append(out, v)
		}
	}
	if err := s.vouchVersions(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// pendingAt returns the notices not yet in effect at t.
func pendingAt(ns []truce.WithdrawalNotice, t time.Time) []truce.WithdrawalNotice {
	var out []truce.WithdrawalNotice
	for _, n := range ns {
		if t.Before(n.EffectiveAt) {
			out = append(out, n)
		}
	}
	return out
}

// ZonesAt returns the zones in force at t that contain the position. The
// live index answers for the present and future, with or without an
// altitude (an unknown altitude matches every band, as it does for the
// monitor); the database and exact predicates answer for the past only.
func (s *Service) ZonesAt(ctx context.Context, lon, lat, altM float64, t time.Time) ([]truce.ZoneAt, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	if math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return nil, truce.Errorf(truce.EINVALID, "lon is -180 to 180 and lat -90 to 90.")
	}
	var ids []string
	ags := map[string]*truce.Agreement{}
	if s.Index != nil && !t.Before(s.Index.AsOf()) {
		// The index holds the records it indexes, as the journal vouches
		// for them.
		var out []truce.ZoneAt
		for _, key := range s.Index.Containing(lon, lat, altM, t) {
			r, ok := s.Index.Record(key)
			if !ok {
				continue
			}
			if r.Zone == nil { // an index without journal checks
				z, err := s.Store.Zone(ctx, r.Version.ZoneID)
				if err != nil {
					return nil, err
				}
				r.Zone = z
			}
			if r.Agreement != nil {
				// The standing as indexed, with the notices still
				// pending at t.
				st := *r.Agreement
				st.Notices = pendingAt(st.Notices, t)
				r.Agreement = &st
			}
			// The index keeps no geometry text; the database's is checked
			// against the one the journal vouched for.
			g, err := s.Index.Geometry(ctx, key)
			if err != nil {
				return nil, err
			}
			v := *r.Version
			v.Spec.Geometry = g
			r.Version = &v
			out = append(out, r)
		}
		return out, nil
	} else {
		vs, err := s.zonesInForce(ctx, t)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if !math.IsNaN(altM) && ((v.Spec.FloorM != nil && altM < *v.Spec.FloorM) || (v.Spec.CeilingM != nil && altM > *v.Spec.CeilingM)) {
				continue
			}
			if lon < v.BBox[0] || lon > v.BBox[2] || lat < v.BBox[1] || lat > v.BBox[3] {
				continue
			}
			ag := ags[v.AgreementID]
			if ag == nil {
				if ag, err = s.Store.Agreement(ctx, v.AgreementID); err != nil {
					return nil, err
				}
				ags[v.AgreementID] = ag
			}
			if !activeAt(activeWindows(v, ag), t) {
				continue
			}
			area, err := zoneArea(ctx, v.Spec)
			if err != nil {
				return nil, err
			}
			if area != nil && geo.Covers(area, pointOf(lon, lat)) {
				ids = append(ids, versionKey(v.ZoneID, v.Version))
			}
		}
	}
	var out []truce.ZoneAt
	for _, key := range ids {
		zoneID, ver := splitVersionKey(key)
		var standing *truce.AgreementStanding
		z, err := s.Store.Zone(ctx, zoneID)
		if err != nil {
			return nil, err
		}
		v, err := s.Store.ZoneVersion(ctx, zoneID, ver)
		if truce.ErrorCode(err) == truce.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		if _, err := s.vouchZone(ctx, zoneID, z, []*truce.ZoneVersion{v}); err != nil {
			return nil, err
		}
		if ag := ags[v.AgreementID]; ag != nil {
			st := ag.StandingAt(t)
			standing = &st
		}
		out = append(out, truce.ZoneAt{Zone: z, Version: v, Agreement: standing})
	}
	return out, nil
}
