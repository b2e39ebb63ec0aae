package operations

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/journal"
	"github.com/truce-project/truce/spatial"
)

// ZoneIndex is the zones in force as operations reads them: the live
// spatial index and each entry's zone and agreement. *zones.Index
// implements it.
type ZoneIndex interface {
	Spatial() *spatial.ZoneIndex
	Record(indexID string) (truce.ZoneAt, bool)
}

// Service files, approves and deconflicts operations over a Store,
// writing through the server's journal.
//
// The volumes of the operations filed or active are held in memory, in
// one spatial.VolumeIndex (loaded from the store on first use, then kept
// with this server's writes), so that the check of a new operation
// against every other reads no rows.
type Service struct {
	*journal.Journal
	Store Store
	// Notified reads the humanitarian sites and movements; nil: none are
	// checked.
	Notified Notified
	// Zones is the live index of the zones in force; nil: none are
	// checked.
	Zones ZoneIndex
	// Signer signs approvals for custodial parties; nil: every party
	// brings its signed statement.
	Signer truce.PartySigners
	// Aircraft reads the aircraft registry: an aircraft an operation
	// names must be registered to a participating party. nil: aircraft
	// are checked only as ICAO addresses (CheckPlan).
	Aircraft Registry

	mu     sync.Mutex
	loaded bool
	index  *spatial.VolumeIndex
	live   map[string]*Operation // in the index, by id

	notified notifiedIndex // the sites and movements, see findNotified
}

// New returns a Service over st writing through j.
func New(st Store, j *journal.Journal, notified Notified, zones ZoneIndex, signer truce.PartySigners) *Service {
	return &Service{Journal: j, Store: st, Notified: notified, Zones: zones, Signer: signer}
}

// Change kinds and event kinds.
const (
	KindOperation = "operation"
	KindConflict  = "operation_conflict"
	// EventFiled is published when an operation is filed (to its parties
	// and those it is notified to); EventProposed when a joint operation
	// awaits its participants' approval; EventConflict is the alert of a
	// conflict, to the parties it concerns.
	EventFiled    = "operation.filed"
	EventProposed = "operation.proposed"
	EventConflict = "operation.conflict"
	EventChanged  = "operation.changed"
)

var everyone = truce.Visibility{Scope: truce.ScopeAll}

func isOperator(a *truce.Caller) bool { return a.IsAdmin() || a.User.HasRole(truce.RoleOperator) }

// Load reads the operations filed or active into memory now rather than
// at the first request that needs them.
func (s *Service) Load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load(ctx)
}

// load fills the index once; callers hold s.mu. Each operation is
// checked against its journal entry first: a row changed behind the
// server's back is refused and the load fails.
func (s *Service) load(ctx context.Context) error {
	if s.loaded {
		return nil
	}
	var all []*Operation
	if err := s.Store.Operations(ctx, func(o *Operation) error { all = append(all, o); return nil }); err != nil {
		return err
	}
	all, err := journal.Vouched(ctx, s.Journal, KindOperation, all, opID)
	if err != nil {
		return err
	}
	x, live := spatial.NewVolumeIndex(), map[string]*Operation{}
	for _, o := range all {
		if !o.Status.Live() {
			continue
		}
		pvs, err := prepare(o, 0)
		if err != nil {
			return fmt.Errorf("operation %s: %w", o.ID, err)
		}
		for _, p := range pvs {
			x.InsertPrepared(p)
		}
		live[o.ID] = o
	}
	s.index, s.live, s.loaded = x, live, true
	return nil
}

func opID(o *Operation) string      { return o.ID }
func conflictID(c *Conflict) string { return c.ID }

// volumeID is the index id of an operation's volume i.
func volumeID(op string, i int) string { return op + "/" + strconv.Itoa(i) }

func splitVolumeID(id string) (string, int) {
	k := strings.LastIndexByte(id, '/')
	if k < 0 {
		return id, 0
	}
	i, _ := strconv.Atoi(id[k+1:])
	return id[:k], i
}

// prepare returns the prepared volumes of o, their bands widened by
// widenM on each side (the vertical separation a check adds).
func prepare(o *Operation, widenM float64) ([]*spatial.PreparedVolume, error) {
	out := make([]*spatial.PreparedVolume, len(o.Volumes))
	for i, v := range o.Volumes {
		g, err := decode(v.Geometry)
		if err != nil {
			return nil, err
		}
		p, err := spatial.PrepareVolume(spatial.Volume{ID: volumeID(o.ID, i), Owner: o.ID, Geometry: g, BufferM: v.BufferM,
			FloorM: v.FloorM - widenM, CeilingM: v.CeilingM + widenM, Start: v.Start, End: v.End})
		if err != nil {
			return nil, truce.Errorf(truce.EUNPROCESSABLE, "Volume %d: %v", i+1, err)
		}
		out[i] = p
	}
	return out, nil
}

func boundOf(g orb.Geometry) truce.BBox {
	b := g.Bound()
	return truce.BBox{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
}

func meet(a, b truce.BBox) truce.BBox {
	return truce.BBox{max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])}
}

// Result is an operation as filed, approved or amended, with the conflicts
// its version raised (for a draft, the conflicts it would raise if filed
// now: not recorded, without ids).
type Result struct {
	Operation *Operation  `json:"operation"`
	Conflicts []*Conflict `json:"conflicts"`
}

// plan resolves and checks a plan for party filer: its agreement (in
// force, with the filer a signatory), participants (signatories) and
// parties notified.
func (s *Service) plan(ctx context.Context, a *truce.Caller, in *FileInput, now time.Time) (*truce.Agreement, []string, []string, error) {
	if _, err := CheckPlan(&in.Plan); err != nil {
		return nil, nil, nil, err
	}
	if err := truce.CheckText("override", in.Override, MaxReasonLen, true); err != nil {
		return nil, nil, nil, err
	}
	ag, err := s.Store.Agreement(ctx, in.AgreementID)
	if err != nil {
		return nil, nil, nil, truce.Errorf(truce.EINVALID, "Agreement %q is not known.", in.AgreementID)
	}
	if !ag.InForceAt(now) {
		return nil, nil, nil, truce.Errorf(truce.EUNPROCESSABLE, "Agreement %q is not in force: operations are filed under an agreement in force.", ag.Title)
	}
	if !ag.IsSignatory(a.Party.ID, now) {
		return nil, nil, nil, truce.Errorf(truce.EFORBIDDEN, "Only a signatory party of agreement %q files operations under it.", ag.Title)
	}
	if err := withinWindow(ag, in.Volumes); err != nil {
		return nil, nil, nil, err
	}
	parts := []string{a.Party.ID}
	for _, ref := range in.Participants {
		p, err := s.Store.Party(ctx, ref)
		if err != nil || !ag.IsSignatory(p.ID, now) {
			return nil, nil, nil, truce.Errorf(truce.EUNPROCESSABLE, "Participant %q is not a signatory party of agreement %q.", ref, ag.Title)
		}
		if !slices.Contains(parts, p.ID) {
			parts = append(parts, p.ID)
		}
	}
	if err := s.registered(ctx, in.Aircraft, parts); err != nil {
		return nil, nil, nil, err
	}
	notify := []string{}
	for _, ref := range in.NotifyTo {
		p, err := s.Store.Party(ctx, ref)
		if err != nil {
			return nil, nil, nil, truce.Errorf(truce.EINVALID, "Party %q (notify_to) is not known.", ref)
		}
		if !slices.Contains(parts, p.ID) && !slices.Contains(notify, p.ID) {
			notify = append(notify, p.ID)
		}
	}
	return ag, parts, notify, nil
}

// build makes version of an operation from a checked plan, and returns
// its volumes prepared (once for the whole filing: drawing a corridor is
// the dearest part of its check).
func build(o *Operation, in *FileInput, parts, notify []string) ([]*spatial.PreparedVolume, error) {
	o.AgreementID, o.Name, o.Kind = in.AgreementID, strings.TrimSpace(in.Name), in.Kind
	o.Participants, o.NotifyTo, o.Aircraft, o.Contacts = parts, notify, in.Aircraft, in.Contacts
	o.Volumes = make([]Volume, len(in.Volumes))
	for i, v := range in.Volumes {
		g, err := decode(v.Geometry)
		if err != nil {
			return nil, err
		}
		raw, err := encode(g)
		if err != nil {
			return nil, err
		}
		v.Geometry = raw
		o.Volumes[i] = Volume{VolumeInput: v}
	}
	pvs, err := prepare(o, 0)
	if err != nil {
		return nil, err
	}
	for i, p := range pvs {
		o.Volumes[i].BBox = boundOf(p.Area())
	}
	o.Digest, err = PlanDigest(o)
	return pvs, err
}

// Check returns the conflicts a plan would raise if filed now, without
// recording anything (operators of a signatory party).
func (s *Service) Check(ctx context.Context, p Plan) ([]*Conflict, error) {
	a, err := filer(ctx)
	if err != nil {
		return nil, err
	}
	in := FileInput{Plan: p}
	now := s.Now().UTC()
	ag, parts, notify, err := s.plan(ctx, a, &in, now)
	if err != nil {
		return nil, err
	}
	o := &Operation{ID: "check-" + truce.NewID(), PartyID: a.Party.ID, Version: 1}
	pvs, err := build(o, &in, parts, notify)
	if err != nil {
		return nil, err
	}
	ext, err := s.find(ctx, o, pvs, ag, now, findExternal)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	found, err := s.find(ctx, o, pvs, ag, now, findOperations)
	return append(found, ext...), err
}

func filer(ctx context.Context) (*truce.Caller, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if !isOperator(a) {
		return nil, truce.Errorf(truce.EFORBIDDEN, "Only an operator files operations.")
	}
	return a, nil
}

// File files an operation for the caller's party (an operator of a
// signatory of the agreement). An operation of one party is filed at once:
// its conflicts are found, journalled and alerted in the same
// transaction. A joint one (other participants) is a draft until every
// participant approves it (Approve). A blocking conflict refuses the
// filing (EUNPROCESSABLE naming it) unless in.Override gives the reason,
// which is journalled and alerted to every party. EINVALID or
// EUNPROCESSABLE for bad input, EFORBIDDEN for a non-signatory.
func (s *Service) File(ctx context.Context, in FileInput) (*Result, error) {
	a, err := filer(ctx)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	ag, parts, notify, err := s.plan(ctx, a, &in, now)
	if err != nil {
		return nil, err
	}
	o := &Operation{ID: truce.NewID(), PartyID: a.Party.ID, Status: Filed, Approvals: []Approval{}, CreatedAt: now, Version: 1, Revision: 1}
	pvs, err := build(o, &in, parts, notify)
	if err != nil {
		return nil, err
	}
	if o.Joint() {
		o.Status = Draft
	}
	return s.commit(ctx, a, ag, o, pvs, in.Override, now, nil)
}

// commit records o (a new operation, or a new revision of one; prev is the
// stored one it replaces) with its conflicts when it is filed. pvs are its
// volumes prepared, or nil.
func (s *Service) commit(ctx context.Context, a *truce.Caller, ag *truce.Agreement, o *Operation, pvs []*spatial.PreparedVolume, override string, now time.Time, prev *Operation) (*Result, error) {
	if pvs == nil {
		var err error
		if pvs, err = prepare(o, 0); err != nil {
			return nil, err
		}
	}
	ext, err := s.find(ctx, o, pvs, ag, now, findExternal)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if err := s.load(ctx); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	found, err := s.find(ctx, o, pvs, ag, now, findOperations)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	found = append(found, ext...)
	var blocking []string
	for _, c := range found {
		if c.Blocking {
			blocking = append(blocking, describe(c))
		}
	}
	if len(blocking) > 0 && override == "" && o.Override == nil && o.Status == Filed {
		s.mu.Unlock()
		return nil, truce.Errorf(truce.EUNPROCESSABLE, "The operation is refused: %s. Change the plan, or file it with an override reason (journalled and alerted to every party).", strings.Join(blocking, "; "))
	}
	if override != "" {
		o.Override = &Override{Reason: override, PartyID: a.Party.ID, UserID: a.User.ID, At: now}
	}
	filed := o.Status == Filed
	if filed {
		o.FiledAt = &now
		o.Conflicts = len(found)
	}
	o.UpdatedAt, o.ChangedBy = now, a.User.ID
	// The new version takes its place in the index before it is written,
	// and the lock is let go for the write: a filing checked meanwhile
	// sees it (so two filings at once are deconflicted with each other),
	// and the writes of several filings share the store's group commit.
	// A write that fails puts back what the index held.
	before, wasLive := s.live[o.ID]
	s.reindex(o, pvs)
	s.mu.Unlock()
	out, err := journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Result, error) {
		if prev != nil {
			cur, err := tx.Operation(ctx, o.ID)
			if err != nil {
				return nil, err
			}
			if cur.Revision != prev.Revision {
				return nil, truce.Errorf(truce.EPRECONDITION, "Operation %q was changed by someone else; read it again.", o.ID)
			}
		}
		ev := EventProposed
		if filed {
			ev = EventFiled
		}
		o.JournalIndex = w.Journal(truce.Change{Kind: KindOperation, Subject: o.ID, Body: o, Visibility: o.Visibility(), New: prev == nil,
			Event: &truce.Event{Kind: ev, Data: summary(o), BBox: bboxOf(o)}})
		if err := tx.PutOperation(ctx, o); err != nil {
			return nil, err
		}
		if !filed {
			return &Result{Operation: o, Conflicts: found}, nil
		}
		for _, c := range found {
			c.ID = truce.NewID()
			c.Overridden = c.Blocking && o.Override != nil
			vis := truce.Visibility{Scope: truce.ScopeParties, Owner: c.PartyID, Parties: c.Visible}
			if c.Overridden {
				vis = everyone
			}
			bb := c.Overlap.BBox
			c.JournalIndex = w.Journal(truce.Change{Kind: KindConflict, Subject: c.ID, Body: c, Visibility: vis, New: true,
				Event: &truce.Event{Kind: EventConflict, Data: c, BBox: &bb}})
			if err := tx.InsertConflict(ctx, c); err != nil {
				return nil, err
			}
		}
		return &Result{Operation: o, Conflicts: found}, nil
	})
	if err != nil {
		s.mu.Lock()
		if cur := s.live[o.ID]; cur == o || cur == nil {
			s.unindex(o.ID)
			if wasLive {
				s.reindex(before, nil)
			}
		}
		s.mu.Unlock()
		return nil, err
	}
	return out, nil
}

// unindex takes an operation's volumes out of the index. Callers hold
// s.mu.
func (s *Service) unindex(id string) {
	if old, ok := s.live[id]; ok {
		for i := range old.Volumes {
			s.index.Remove(volumeID(id, i))
		}
		delete(s.live, id)
	}
}

// reindex puts o's volumes (pvs, or prepared here when nil) in the index
// if it is live, and takes them out otherwise. Callers hold s.mu.
func (s *Service) reindex(o *Operation, pvs []*spatial.PreparedVolume) {
	s.unindex(o.ID)
	if !o.Status.Live() {
		return
	}
	if pvs == nil {
		var err error
		if pvs, err = prepare(o, 0); err != nil {
			return // checked when built
		}
	}
	for _, p := range pvs {
		s.index.InsertPrepared(p)
	}
	s.live[o.ID] = o
}

// Registry is the aircraft registry as operations read it: a party's
// registered aircraft, without removed ones (airspace.Store).
type Registry interface {
	AircraftList(ctx context.Context, partyID string) ([]*truce.Aircraft, error)
}

// registered returns EUNPROCESSABLE naming the first of aircraft (ICAO
// addresses) that is not registered to one of parties: the monitor holds
// an operation's aircraft to its volumes and attributes them by the
// registry, so a party names only aircraft it answers for. The registry
// is read vouched for by the journal, one party at a time (at most
// MaxParticipants).
func (s *Service) registered(ctx context.Context, aircraft []string, parties []string) error {
	if s.Aircraft == nil || len(aircraft) == 0 {
		return nil
	}
	var known []*truce.Aircraft
	for _, p := range parties {
		as, err := journal.VouchedRead(ctx, s.Journal, "aircraft", func(ctx context.Context) ([]*truce.Aircraft, error) {
			return s.Aircraft.AircraftList(ctx, p)
		}, func(a *truce.Aircraft) string { return a.ID })
		if err != nil {
			return err
		}
		known = append(known, as...)
	}
	for _, icao := range aircraft {
		if !slices.ContainsFunc(known, func(a *truce.Aircraft) bool { return a.ICAO != "" && strings.EqualFold(a.ICAO, icao) }) {
			return truce.Errorf(truce.EUNPROCESSABLE, "aircraft: %s is not in the aircraft registry of a participating party: register it to your party (or name a participant whose it is) first.", strings.ToUpper(icao))
		}
	}
	return nil
}

func summary(o *Operation) map[string]any {
	return map[string]any{"id": o.ID, "version": o.Version, "name": o.Name, "kind": o.Kind, "status": o.Status, "party_id": o.PartyID, "participants": o.Participants}
}

func bboxOf(o *Operation) *truce.BBox {
	if len(o.Volumes) == 0 {
		return nil
	}
	b := o.Volumes[0].BBox
	for _, v := range o.Volumes[1:] {
		b = truce.BBox{min(b[0], v.BBox[0]), min(b[1], v.BBox[1]), max(b[2], v.BBox[2]), max(b[3], v.BBox[3])}
	}
	return &b
}

func describe(c *Conflict) string {
	what := string(c.Against)
	switch c.Against {
	case AgainstOperation:
		what = "a " + strings.ReplaceAll(c.OtherKind, "_", " ") + " operation of another party"
	case AgainstSite:
		what = fmt.Sprintf("notified site %q (%s)", c.OtherName, c.OtherKind)
	case AgainstMovement:
		what = fmt.Sprintf("notified movement %q", c.OtherName)
	case AgainstZone:
		what = fmt.Sprintf("zone %q (%s)", c.OtherName, c.OtherKind)
	}
	return fmt.Sprintf("volume %d meets %s: %s", c.Volume+1, what, c.Reason)
}

// find returns the conflicts of o's volumes with other parties' live
// operations, notified sites and movements, and zones in force whose
// agreement prohibits the activity. Callers hold s.mu.
func (s *Service) find(ctx context.Context, o *Operation, pvs []*spatial.PreparedVolume, ag *truce.Agreement, now time.Time, part findPart) ([]*Conflict, error) {
	var err error
	out := []*Conflict{}
	add := func(i int, against Against, otherID, otherParty, otherKind, otherName string, d Decision, ov Overlap, visible []string) {
		vis := []string{}
		for _, p := range append(append([]string(nil), o.Participants...), visible...) {
			if p != o.PartyID && p != "" && !slices.Contains(vis, p) {
				vis = append(vis, p)
			}
		}
		out = append(out, &Conflict{OperationID: o.ID, OperationVersion: o.Version, PartyID: o.PartyID, Kind: o.Kind, Volume: i,
			Against: against, OtherID: otherID, OtherParty: otherParty, OtherKind: otherKind, OtherName: otherName,
			Overlap: ov, Blocking: d.Blocking, Reason: d.Reason, DetectedAt: now, Visible: vis})
	}
	// Which conflicts block and which warn: the rules of the operation's
	// agreement at filing (a zone's, those of the zone's agreement).
	conflicts := ag.RulesAt(now).Conflicts
	if part == findExternal {
		return out, s.findExternal(ctx, o, pvs, conflicts, add)
	}
	// Other parties' operations: air against air is checked with the
	// agreement's separation minima, vertical (added to the new volume's
	// band) and horizontal (the area widened, see separated): aircraft
	// are separated when either is kept.
	rules := ag.RulesAt(now).WithDefaults()
	sepV, sepH := rules.SeparationFt*0.3048, rules.SeparationNM*1852
	var wide []*spatial.PreparedVolume
	var apart []*spatial.PreparedVolume
	if o.Kind.Air() {
		if wide, err = prepare(o, sepV); err != nil {
			return nil, err
		}
		if apart, err = separated(o, sepV, sepH); err != nil {
			return nil, err
		}
	}
	for i, pv := range pvs {
		seen := map[string]bool{}
		check := func(q *spatial.PreparedVolume, air bool, near *truce.BBox) {
			s.index.OverlappingPrepared(q, func(ov spatial.Overlap) bool {
				other := s.live[ov.Owner]
				if other == nil || other.ID == o.ID || seen[other.ID] || Shares(o.Participants, other.Participants) || other.Kind.Air() != air {
					return true
				}
				seen[other.ID] = true
				d := Decide(conflicts, o.Kind, AgainstOperation, string(other.Kind), false)
				_, j := splitVolumeID(ov.ID)
				// Where the areas meet; for volumes only within the
				// horizontal separation, where the new area widened by it
				// meets the other's box.
				ob := o.Volumes[i].BBox
				if near != nil {
					ob = *near
				}
				if j < len(other.Volumes) {
					ob = meet(ob, other.Volumes[j].BBox)
				}
				// The band reported is where the two bands (with the
				// separation) meet, within the new volume's own band.
				fl, ce := max(ov.FloorM, o.Volumes[i].FloorM), min(ov.CeilingM, o.Volumes[i].CeilingM)
				if fl > ce {
					fl, ce = ov.FloorM, ov.CeilingM
				}
				add(i, AgainstOperation, other.ID, other.PartyID, string(other.Kind), "", d,
					Overlap{FloorM: fl, CeilingM: ce, Start: tp(ov.Start), End: tp(ov.End), BBox: ob}, other.Participants)
				return true
			})
		}
		if o.Kind.Air() {
			check(wide[i], true, nil)
			// The areas apart but within the separation.
			near := union(o.Volumes[i].BBox, boundOf(apart[i].Area()))
			check(apart[i], true, &near)
		}
		check(pv, false, nil)
		if !o.Kind.Air() {
			check(pv, true, nil)
		}
	}
	return out, nil
}

func union(a, b truce.BBox) truce.BBox {
	return truce.BBox{min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])}
}

// separated returns, for each of o's volumes, a volume that covers the
// ground within horizontalM of its area and outside it (and only ground
// within horizontalM),
// with the band widened by verticalM on each side: a circle or a corridor
// widened by horizontalM; for a polygon, the corridor of that half-width
// along its rings (a point within horizontalM of a polygon but outside it
// is within horizontalM of its boundary, and the area itself is checked
// apart).
func separated(o *Operation, verticalM, horizontalM float64) ([]*spatial.PreparedVolume, error) {
	out := make([]*spatial.PreparedVolume, len(o.Volumes))
	for i, v := range o.Volumes {
		g, err := decode(v.Geometry)
		if err != nil {
			return nil, err
		}
		buf := v.BufferM + horizontalM
		switch a := g.(type) {
		case orb.Polygon:
			g, buf = rings(orb.MultiPolygon{a}), horizontalM
		case orb.MultiPolygon:
			g, buf = rings(a), horizontalM
		}
		p, err := spatial.PrepareVolume(spatial.Volume{ID: volumeID(o.ID, i), Owner: o.ID, Geometry: g, BufferM: buf,
			FloorM: v.FloorM - verticalM, CeilingM: v.CeilingM + verticalM, Start: v.Start, End: v.End})
		if err != nil {
			return nil, truce.Errorf(truce.EUNPROCESSABLE, "Volume %d widened by the agreement's separation: %v", i+1, err)
		}
		out[i] = p
	}
	return out, nil
}

// rings returns every ring of mp as a line.
func rings(mp orb.MultiPolygon) orb.MultiLineString {
	var out orb.MultiLineString
	for _, p := range mp {
		for _, r := range p {
			out = append(out, orb.LineString(r))
		}
	}
	return out
}

// findPart says which conflicts find looks for: with operations (in the
// service's memory: the caller holds s.mu) or with sites, movements and
// zones (read from the humanitarian store and the zone index, which need
// no lock of the service's, so a filing reads them before it takes it).
type findPart int

const (
	findOperations findPart = iota
	findExternal
)

func (s *Service) findExternal(ctx context.Context, o *Operation, pvs []*spatial.PreparedVolume, conflicts []truce.ConflictRule, add adder) error {
	if s.Notified != nil {
		if err := s.findNotified(ctx, o, pvs, conflicts, add); err != nil {
			return err
		}
	}
	if s.Zones != nil {
		if err := s.findZones(ctx, o, pvs, add); err != nil {
			return err
		}
	}
	return nil
}

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

type adder func(i int, against Against, otherID, otherParty, otherKind, otherName string, d Decision, ov Overlap, visible []string)

// minSiteRadiusM is the radius a site notified as a bare point (no
// buffer) is checked with: the ground a building stands on.
const minSiteRadiusM = 25

// findNotified checks o's volumes against the notified sites and the
// movements notified or under way (in s.notified, see notifiedIndex): a
// site covers every altitude for as long as it is valid; a movement its
// corridor (at least minSiteRadiusM wide) from its earliest departure to
// its latest arrival.
func (s *Service) findNotified(ctx context.Context, o *Operation, pvs []*spatial.PreparedVolume, conflicts []truce.ConflictRule, add adder) error {
	if err := s.ensureNotified(ctx); err != nil {
		return err
	}
	n := &s.notified
	n.mu.RLock()
	defer n.mu.RUnlock()
	for i, pv := range pvs {
		seen := map[string]bool{}
		n.x.OverlappingPrepared(pv, func(ov spatial.Overlap) bool {
			r := n.refs[ov.ID]
			if seen[r.id] {
				return true // a polygon site and its buffer
			}
			seen[r.id] = true
			d := Decide(conflicts, o.Kind, r.against, r.class, false)
			add(i, r.against, r.id, r.party, r.kind, r.name, d,
				Overlap{FloorM: o.Volumes[i].FloorM, CeilingM: o.Volumes[i].CeilingM, Start: tp(ov.Start), End: tp(ov.End), BBox: o.Volumes[i].BBox}, nil)
			return true
		})
	}
	return nil
}

// movementVolume returns the volume a movement notified or under way
// covers: its route's corridor (at least minSiteRadiusM wide), every
// altitude, from its earliest departure to its latest arrival; false for
// a movement in another state or whose route cannot be read.
func movementVolume(m *humanitarian.Movement) (spatial.Volume, bool) {
	if m.Status != humanitarian.MovementNotified && m.Status != humanitarian.MovementUnderWay {
		return spatial.Volume{}, false
	}
	g, err := decode(m.Route)
	if err != nil {
		return spatial.Volume{}, false
	}
	return spatial.Volume{ID: m.ID, Owner: m.PartyID, Geometry: g, BufferM: max(m.CorridorM, minSiteRadiusM),
		FloorM: math.Inf(-1), CeilingM: math.Inf(1), Start: m.Departure.From, End: m.Arrival.To}, true
}

// siteVolumes returns the volumes a notified site covers: its area (a
// point widened to its buffer, at least minSiteRadiusM), every altitude,
// for as long as it is valid; for a polygon with a buffer, the ground
// within the buffer of its rings too (see separated), with the site's id
// and "#buffer".
func siteVolumes(st *humanitarian.Site) ([]spatial.Volume, error) {
	g, err := decode(st.Geometry)
	if err != nil {
		return nil, err
	}
	v := spatial.Volume{ID: st.ID, Owner: st.PartyID, Geometry: g, FloorM: math.Inf(-1), CeilingM: math.Inf(1), Start: st.ValidFrom}
	if st.ValidTo != nil {
		v.End = *st.ValidTo
	}
	var mp orb.MultiPolygon
	switch a := g.(type) {
	case orb.Point:
		v.BufferM = max(st.BufferM, minSiteRadiusM)
	case orb.Polygon:
		mp = orb.MultiPolygon{a}
	case orb.MultiPolygon:
		mp = a
	}
	out := []spatial.Volume{v}
	if mp != nil && st.BufferM > 0 {
		v.ID, v.Geometry, v.BufferM = st.ID+"#buffer", rings(mp), st.BufferM
		out = append(out, v)
	}
	return out, nil
}

// findZones checks o's volumes against the zones in force that they meet
// in area, band and window, and keeps those whose agreement prohibits
// the operation's activity in that kind of zone.
func (s *Service) findZones(ctx context.Context, o *Operation, pvs []*spatial.PreparedVolume, add adder) error {
	ags := map[string]*truce.Agreement{}
	for i, pv := range pvs {
		v := o.Volumes[i]
		var ids []string
		if err := s.Zones.Spatial().Intersecting(pv.Area(), v.FloorM, v.CeilingM, v.Start, v.End, func(id string) bool {
			ids = append(ids, id)
			return true
		}); err != nil {
			return err
		}
		slices.Sort(ids)
		for _, id := range ids {
			rec, ok := s.Zones.Record(id)
			if !ok || rec.Version == nil {
				continue
			}
			ag, ok := ags[rec.Version.AgreementID]
			if !ok {
				var err error
				if ag, err = s.Store.Agreement(ctx, rec.Version.AgreementID); err != nil {
					return err
				}
				ags[ag.ID] = ag
			}
			kind, zname := rec.Version.Spec.Kind, rec.Version.Spec.Name
			if rec.Zone != nil {
				kind, zname = cmp.Or(kind, rec.Zone.Kind), rec.Zone.Name
			}
			d := Decide(ag.Rules.Conflicts, o.Kind, AgainstZone, string(kind), ProhibitedFor(ag.Rules, o.Kind, kind, o.Participants))
			if !d.Conflict {
				continue
			}
			fl, ce := v.FloorM, v.CeilingM
			if f := rec.Version.Spec.FloorM; f != nil {
				fl = max(fl, *f)
			}
			if c := rec.Version.Spec.CeilingM; c != nil {
				ce = min(ce, *c)
			}
			st, en := v.Start, v.End
			add(i, AgainstZone, rec.Version.ZoneID, "", string(kind), zname, d,
				Overlap{FloorM: fl, CeilingM: ce, Start: &st, End: &en, BBox: meet(v.BBox, rec.Version.BBox)}, ag.Signatories)
		}
	}
	return nil
}

// Approve records a participating party's signed approval of the
// operation's current version (in.Signature empty: signed here for a
// custodial party). When every participant has approved, the operation is
// filed in the same transaction, its conflicts found and recorded; a
// blocking one refuses the last approval unless an override reason was
// given (in.Override or at filing). EFORBIDDEN for a non-participant;
// ECONFLICT when it does not await approval or the party approved it;
// EPRECONDITION for another version; EUNPROCESSABLE for a signature that
// does not verify.
func (s *Service) Approve(ctx context.Context, id string, in ApproveInput) (*Result, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := truce.CheckText("override", in.Override, MaxReasonLen, true); err != nil {
		return nil, err
	}
	o, err := s.Operation(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := MayApprove(o, a.Party.ID, isOperator(a), in.Version); err != nil {
		return nil, err
	}
	sig, err := s.sign(ctx, a.Party, ApprovalStatement(o), in.Signature)
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	ag, err := s.Store.Agreement(ctx, o.AgreementID)
	if err != nil {
		return nil, err
	}
	n := *o
	n.Approvals = append(slices.Clone(o.Approvals), Approval{PartyID: a.Party.ID, UserID: a.User.ID, Signature: sig, At: now})
	n.Revision = o.Revision + 1
	if Approved(&n) {
		n.Status = Filed
	}
	return s.commit(ctx, a, ag, &n, nil, in.Override, now, o)
}

// sign returns the signed note of statement by p: signed here for a
// custodial party when given is empty, else given checked against p's
// key and the statement.
func (s *Service) sign(ctx context.Context, p *truce.Party, statement, given string) (string, error) {
	if given == "" {
		if !p.Custodial || s.Signer == nil {
			return "", truce.Errorf(truce.EINVALID, "Your party holds its own key: sign the approval statement and send the signed note as signature.")
		}
		return truce.SignAsParty(ctx, s.Signer, p, statement)
	}
	if err := truce.VerifySignedNote(given, statement, p.PublicKey); err != nil {
		return "", truce.Errorf(truce.EUNPROCESSABLE, "The signature does not verify as party %s's signature of this version's approval statement.", p.Slug)
	}
	return given, nil
}

// Amend files a new version of an operation (the filing party's
// operators): its approvals start again, and it is deconflicted again as
// File does. ECONFLICT for an operation completed or cancelled;
// EPRECONDITION when ifVersion is not the current version.
func (s *Service) Amend(ctx context.Context, id string, ifVersion int64, in FileInput) (*Result, error) {
	a, err := filer(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.Operation(ctx, id)
	if err != nil {
		return nil, err
	}
	if o.PartyID != a.Party.ID {
		return nil, truce.Errorf(truce.EFORBIDDEN, "Only the filing party amends an operation.")
	}
	if o.Status != Draft && o.Status != Filed {
		return nil, truce.Errorf(truce.ECONFLICT, "Operation %q is %s: it is no longer amended.", o.ID, o.Status)
	}
	if ifVersion != o.Version {
		return nil, truce.Errorf(truce.EPRECONDITION, "Operation %q is at version %d, not %d.", o.ID, o.Version, ifVersion)
	}
	in.AgreementID = o.AgreementID
	now := s.Now().UTC()
	ag, parts, notify, err := s.plan(ctx, a, &in, now)
	if err != nil {
		return nil, err
	}
	n := *o
	n.Version, n.Revision, n.Approvals, n.Override, n.FiledAt, n.Conflicts = o.Version+1, o.Revision+1, []Approval{}, nil, nil, 0
	pvs, err := build(&n, &in, parts, notify)
	if err != nil {
		return nil, err
	}
	n.Status = Filed
	if n.Joint() {
		n.Status = Draft
	}
	return s.commit(ctx, a, ag, &n, pvs, in.Override, now, o)
}

// Move changes an operation's status (an operator of a participating
// party): active, completed or cancelled, as the lifecycle allows
// (MayMove). A cancelled or completed operation leaves deconfliction.
func (s *Service) Move(ctx context.Context, id string, to Status) (*Operation, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.Operation(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := MayMove(o, a.Party.ID, isOperator(a), to); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	out, err := journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Operation, error) {
		cur, err := tx.Operation(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := MayMove(cur, a.Party.ID, isOperator(a), to); err != nil {
			return nil, err
		}
		n := *cur
		n.Status, n.Revision, n.UpdatedAt, n.ChangedBy = to, cur.Revision+1, s.Now().UTC(), a.User.ID
		n.JournalIndex = w.Journal(truce.Change{Kind: KindOperation, Subject: n.ID, Body: &n, Visibility: n.Visibility(),
			Event: &truce.Event{Kind: EventChanged, Data: summary(&n), BBox: bboxOf(&n)}})
		return &n, tx.PutOperation(ctx, &n)
	})
	if err != nil {
		return nil, err
	}
	s.reindex(out, nil)
	return out, nil
}

// Operation returns an operation to its parties and to the parties it is
// notified to (ENOTFOUND to anyone else, as if it did not exist).
func (s *Service) Operation(ctx context.Context, id string) (*Operation, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	return journal.Read(ctx, s.Journal, func(ctx context.Context) (*Operation, error) {
		o, err := s.Store.Operation(ctx, id)
		if err != nil {
			return nil, err
		}
		if !o.Visibility().Allows(a) {
			return nil, truce.Errorf(truce.ENOTFOUND, "Operation %q not found.", id)
		}
		if _, err := journal.Vouched(ctx, s.Journal, KindOperation, []*Operation{o}, opID); err != nil {
			return nil, err
		}
		return o, nil
	})
}

// Filter selects operations. At keeps those with a volume whose window
// holds the instant.
type Filter struct {
	Status Status
	Party  string // a participating party's id
	At     *time.Time
}

// Operations lists the operations the caller may see, oldest first.
func (s *Service) Operations(ctx context.Context, f Filter) ([]*Operation, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	out, err := journal.VouchedRead(ctx, s.Journal, KindOperation, func(ctx context.Context) ([]*Operation, error) {
		var out []*Operation
		err := s.Store.Operations(ctx, func(o *Operation) error {
			if !o.Visibility().Allows(a) || (f.Status != "" && o.Status != f.Status) || (f.Party != "" && !slices.Contains(o.Participants, f.Party)) {
				return nil
			}
			if f.At != nil && !slices.ContainsFunc(o.Volumes, func(v Volume) bool { return !f.At.Before(v.Start) && f.At.Before(v.End) }) {
				return nil
			}
			out = append(out, o)
			return nil
		})
		return out, err
	}, opID)
	if out == nil {
		out = []*Operation{}
	}
	return out, err
}

// Conflicts lists the conflicts the caller may see: of one operation
// (operationID), or all (""), oldest first. A party sees the conflicts of
// its own operations and those its operations, sites or zones are the
// other side of; every party sees an overridden blocking conflict.
func (s *Service) Conflicts(ctx context.Context, operationID string) ([]*Conflict, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	return journal.VouchedRead(ctx, s.Journal, KindConflict, func(ctx context.Context) ([]*Conflict, error) {
		cs, err := s.Store.Conflicts(ctx, operationID)
		if err != nil {
			return nil, err
		}
		out := []*Conflict{}
		for _, c := range cs {
			if c.Overridden || a.IsAdmin() || c.PartyID == a.Party.ID || slices.Contains(c.Visible, a.Party.ID) {
				out = append(out, c)
			}
		}
		return out, nil
	}, conflictID)
}
