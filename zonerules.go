package truce

import "slices"

// This file holds the rules of a zone's life as pure functions: who may
// decide, what a decision does to the zone and its versions, and when a
// new version may be proposed. The zone service reads the records, calls
// these, and journals what they return; the UI asks the same functions
// what to offer, so the rules are written once.

// CanPropose reports, as an error, whether a new version with the given
// action may be proposed for z now. ifVersion, when not zero, is the row
// version the proposer last saw (EPRECONDITION if z has moved on).
// Returns ECONFLICT while a version awaits decisions, for a withdrawn zone,
// and for a suspension or withdrawal of a zone that is not in force (a
// suspended zone may still be withdrawn).
func CanPropose(z *Zone, action ZoneAction, ifVersion int64) error {
	switch {
	case ifVersion != 0 && z.Version != ifVersion:
		return Errorf(EPRECONDITION, "Zone %q is at version %d, not %d.", z.ID, z.Version, ifVersion)
	case z.Pending != 0:
		return Errorf(ECONFLICT, "Version %d of zone %q awaits decisions; decide it first.", z.Pending, z.Name)
	case z.State == ZoneStateWithdrawn:
		return Errorf(ECONFLICT, "Zone %q is withdrawn.", z.Name)
	case (action == ZoneSuspension || action == ZoneWithdrawal) && z.State != ZoneStateInForce && !(action == ZoneWithdrawal && z.State == ZoneStateSuspended):
		return Errorf(ECONFLICT, "Zone %q is %s; only a zone in force can be suspended or withdrawn.", z.Name, z.State)
	}
	return nil
}

// CanDecide reports, as an error, whether party may decide on version v of
// zone z of an agreement with the given signatories: only a signatory
// (EFORBIDDEN), only on the version awaiting decisions, and only once
// (ECONFLICT).
func CanDecide(z *Zone, v *ZoneVersion, signatories []string, party string) error {
	if err := CanDecideAs(signatories, party); err != nil {
		return err
	}
	if v.Status != VersionProposed || z.Pending != v.Version {
		return Errorf(ECONFLICT, "Version %d of zone %q is %s, not awaiting decisions.", v.Version, z.Name, v.Status)
	}
	if slices.ContainsFunc(v.Decisions, func(x Decision) bool { return x.PartyID == party }) {
		return Errorf(ECONFLICT, "Your party has already decided on version %d.", v.Version)
	}
	return nil
}

// CanDecideAs returns EFORBIDDEN unless party is one of the signatories,
// who alone decide on zones (an administrator of another party may
// propose, CanActOnZones, but not decide).
func CanDecideAs(signatories []string, party string) error {
	if !slices.Contains(signatories, party) {
		return Errorf(EFORBIDDEN, "Only signatory parties decide on zones; your party is not a signatory.")
	}
	return nil
}

// ApprovedByAll reports whether every signatory has approved v.
func ApprovedByAll(v *ZoneVersion, signatories []string) bool {
	return approvedByAll(v.Decisions, signatories)
}

// ZoneTransition is what a decision does: the zone, the decided version,
// and the version it ends (nil unless an approval supersedes, suspends or
// withdraws a version in force).
type ZoneTransition struct {
	Zone    *Zone
	Version *ZoneVersion
	Ended   *ZoneVersion
}

// Decide applies decision d (by d.PartyID, at d.DecidedAt) on version v of
// zone z, whose version in force is current (nil if z.Current is 0), in an
// agreement with the given signatories. It changes none of its arguments:
// the records it returns are copies.
//
//   - A rejection rejects v and leaves nothing pending; a zone never yet in
//     force becomes rejected.
//   - An approval by some signatories records the decision only.
//   - The approval that makes all signatories agree approves v, in force
//     from its effective time or from d.DecidedAt if that is later. It
//     ends current at that time (if it was not ending sooner); a proposal
//     or change in force becomes superseded. A suspension or withdrawal is
//     itself never in force, and the zone becomes suspended or withdrawn;
//     a proposal or change puts the zone in force under v's name and kind.
//
// The errors are those of CanDecide.
func Decide(z *Zone, v, current *ZoneVersion, signatories []string, d Decision) (ZoneTransition, error) {
	if err := CanDecide(z, v, signatories, d.PartyID); err != nil {
		return ZoneTransition{}, err
	}
	nz, nv := *z, *v
	nv.Decisions = append(slices.Clip(slices.Clone(v.Decisions)), d)
	t := ZoneTransition{Zone: &nz, Version: &nv}
	switch {
	case !d.Approve:
		nv.Status = VersionRejected
		nz.Pending = 0
		if nz.Current == 0 {
			nz.State = ZoneStateRejected
		}
	case ApprovedByAll(&nv, signatories):
		nv.Status = VersionApproved
		from := nv.EffectiveFrom
		if d.DecidedAt.After(from) {
			from = d.DecidedAt
		}
		nv.InForceFrom = &from
		if nz.Current != 0 && current != nil {
			ended := *current
			if ended.InForceUntil == nil || ended.InForceUntil.After(from) {
				ended.InForceUntil = &from
			}
			if ended.Action == ZoneProposed || ended.Action == ZoneChange {
				ended.Status = VersionSuperseded
			}
			t.Ended = &ended
		}
		if nv.Action == ZoneSuspension || nv.Action == ZoneWithdrawal {
			// A suspension or withdrawal is itself never in force.
			until := from
			nv.InForceUntil = &until
		}
		nz.Current, nz.Pending = nv.Version, 0
		nz.Name, nz.Kind = nv.Spec.Name, nv.Spec.Kind
		nz.State = zoneStateAfter[nv.Action]
	}
	nz.Version++
	nz.UpdatedAt = d.DecidedAt
	return t, nil
}

// zoneStateAfter is the state of a zone once a version with the action is
// approved.
var zoneStateAfter = map[ZoneAction]ZoneState{ZoneProposed: ZoneStateInForce, ZoneChange: ZoneStateInForce,
	ZoneSuspension: ZoneStateSuspended, ZoneWithdrawal: ZoneStateWithdrawn}
