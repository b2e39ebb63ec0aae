package zones

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/spatial"
)

// Index keeps the live spatial index of the zone versions in force now
// or later, in step with the database: built at start-up, refreshed on
// every zone or agreement event. Index ids are "zoneID#version", so a
// change approved to take effect later sits beside the version in force
// until then, each with its own windows. An index made by
// Service.NewIndex checks every zone and agreement it reads against
// the journal (vouch.go) and indexes what the journal vouches for.
type Index struct {
	store Store
	idx   *spatial.ZoneIndex
	// vouch and agreement, when set, return the journalled zone (checked
	// against the rows given) and agreement; see Service.NewIndex.
	vouch     func(ctx context.Context, order []string, rows map[string][]*truce.ZoneVersion) (map[string]*JournalledZone, error)
	agreement func(ctx context.Context, id string) (*truce.Agreement, error)

	// updating serialises Load and RefreshZone: each reads the database
	// and then applies what it read, so two at once could leave the
	// older reading applied last.
	updating sync.Mutex

	mu   sync.Mutex
	from time.Time
	// asOf is when the content was last replaced: the index holds what
	// is in force from then on, not the history before (an agreement
	// suspended since is gone from it), so it answers only for times at
	// or after asOf.
	asOf   time.Time
	byZone map[string][]string // zone id -> index ids
	// prints holds, for each zone with a version read into the index,
	// the fingerprint of what was read (see build), so Reconcile finds
	// the zones the index lost track of.
	prints map[string]string
	// records holds the zone and version of each index id, as the
	// journal vouches for them: lookups answer from memory.
	records atomic.Pointer[map[string]zoneRecord]
	// OnChange, when set, is called after the index changed, with the
	// zones whose entries changed (nil after a full reload).
	OnChange func(zoneIDs []string)
}

// NewIndex returns an index that Load fills, with the records as
// stored (no journal checks: Service.NewIndex makes the index a server
// uses).
func NewIndex(store Store) *Index {
	x := &Index{store: store, idx: spatial.NewZoneIndex(), byZone: map[string][]string{}, prints: map[string]string{}}
	x.records.Store(&map[string]zoneRecord{})
	return x
}

// NewIndex returns a zone index over the service's store whose every
// zone and agreement is checked against the journal when read: a row that
// does not match is reported (Integrity) and the index holds what the
// journal says instead.
func (s *Service) NewIndex() *Index {
	x := NewIndex(s.Store)
	x.vouch = s.journalledZones
	x.agreement = func(ctx context.Context, id string) (*truce.Agreement, error) {
		ag, err := s.Store.Agreement(ctx, id)
		if err != nil {
			return nil, err
		}
		return s.vouchAgreement(ctx, ag)
	}
	return x
}

// Spatial returns the underlying index, for the monitor's hot path.
func (x *Index) Spatial() *spatial.ZoneIndex { return x.idx }

// zoneRecord is what the index keeps of an entry: its zone and version as
// the journal vouches for them, but for the version's GeoJSON geometry,
// which the spatial index holds already (prepared) and whose text would
// take as much memory again; geometry is that text's SHA-256, so that
// Geometry can read it back from the database and know it is the one
// vouched for.
type zoneRecord struct {
	truce.ZoneAt
	geometry [sha256.Size]byte
}

func newZoneRecord(z *truce.Zone, v *truce.ZoneVersion, st *truce.AgreementStanding) zoneRecord {
	kept := *v
	kept.Spec.Geometry = nil
	return zoneRecord{ZoneAt: truce.ZoneAt{Zone: z, Version: &kept, Agreement: st}, geometry: sha256.Sum256(v.Spec.Geometry)}
}

// Record returns the zone and version of an index id, as the index holds
// them: without the version's geometry (Spec.Geometry is nil; Geometry
// reads it).
func (x *Index) Record(indexID string) (truce.ZoneAt, bool) {
	r, ok := (*x.records.Load())[indexID]
	return r.ZoneAt, ok
}

// Geometry returns the GeoJSON geometry of an index id's version, read
// from the database and checked against the one the index holds: it
// returns ENOTFOUND for an id the index does not hold and EINTEGRITY when
// the stored geometry is not the one the journal vouched for.
func (x *Index) Geometry(ctx context.Context, indexID string) (json.RawMessage, error) {
	r, ok := (*x.records.Load())[indexID]
	if !ok {
		return nil, truce.Errorf(truce.ENOTFOUND, "Zone version %s is not in the live index.", indexID)
	}
	v, err := x.store.ZoneVersion(ctx, r.Version.ZoneID, r.Version.Version)
	if err != nil {
		return nil, err
	}
	if sha256.Sum256(v.Spec.Geometry) != r.geometry {
		return nil, truce.Errorf(truce.EINTEGRITY, "Zone %s version %d: the stored geometry is not the one its journal entries hold.", r.Version.ZoneID, r.Version.Version)
	}
	return v.Spec.Geometry, nil
}

// From returns the time from which the index holds the versions in force.
func (x *Index) From() time.Time {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.from
}

// AsOf returns the time from which the index answers lookups: its content
// was last replaced then, so earlier times may need history it no longer
// holds.
func (x *Index) AsOf() time.Time {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.asOf
}

// changedAt is the time a change was applied: the later of the clock and
// the last change, so that AsOf never goes back.
func (x *Index) changedAtLocked(now time.Time) time.Time {
	if now.Before(x.asOf) {
		return x.asOf
	}
	return now
}

func versionKey(zoneID string, version int) string { return zoneID + "#" + strconv.Itoa(version) }

func splitVersionKey(key string) (string, int) {
	id, v, _ := strings.Cut(key, "#")
	n, _ := strconv.Atoi(v)
	return id, n
}

// ZoneOf returns the zone id of an index id.
func ZoneOf(indexID string) string { id, _ := splitVersionKey(indexID); return id }

func pointOf(lon, lat float64) orb.Point { return orb.Point{lon, lat} }

// Load rebuilds the whole index from the database.
func (x *Index) Load(ctx context.Context, now time.Time) error {
	x.updating.Lock()
	defer x.updating.Unlock()
	vs, err := x.store.ZoneVersionsInForceAfter(ctx, now)
	if err != nil {
		return err
	}
	b, err := x.build(ctx, vs, now, nil)
	if err != nil {
		return err
	}
	if err := x.idx.Load(b.zones); err != nil {
		return err
	}
	x.mu.Lock()
	x.byZone, x.prints, x.from = b.byZone, b.prints, now
	// A pointer to b.records would keep all of b alive, its zones' decoded
	// geometry among them (a copy of every vertex the spatial index holds
	// already).
	recs := b.records
	x.records.Store(&recs)
	at := time.Now()
	if now.After(at) {
		at = now
	}
	x.asOf = x.changedAtLocked(at)
	f := x.OnChange
	x.mu.Unlock()
	if f != nil {
		f(nil)
	}
	return nil
}

// indexBuild is what build makes of versions read from the database.
type indexBuild struct {
	zones   []spatial.Zone
	byZone  map[string][]string // zone id -> index ids
	prints  map[string]string   // zone id -> fingerprint of the versions read
	records map[string]zoneRecord
}

// live reports whether a version belongs in an index holding what is in
// force at or after from.
func live(v *truce.ZoneVersion, from time.Time) bool {
	return (v.Action == truce.ZoneProposed || v.Action == truce.ZoneChange) && v.InForceFrom != nil && (v.InForceUntil == nil || v.InForceUntil.After(from))
}

// build makes index entries of the live versions read (rows). With
// journal checks, each zone read is replaced by what its journal says
// (a row changed behind the server's back is reported and not used), and
// so is each agreement; a zone or agreement whose journal itself fails
// its checks is left out (and reported).
//
// need, when not nil, says which zones (by id and fingerprint) to make
// entries for: decoding a zone's geometry is most of a build's time and
// memory, and a reconciliation needs it only for the zones that differ.
func (x *Index) build(ctx context.Context, rows []*truce.ZoneVersion, from time.Time, need func(zoneID, print string) bool) (*indexBuild, error) {
	vs := rows
	zoneDocs := map[string]*truce.Zone{}
	if x.vouch != nil {
		byZone := map[string][]*truce.ZoneVersion{}
		var order []string
		for _, v := range rows {
			if _, ok := byZone[v.ZoneID]; !ok {
				order = append(order, v.ZoneID)
			}
			byZone[v.ZoneID] = append(byZone[v.ZoneID], v)
		}
		vs = nil
		jzs, err := x.vouch(ctx, order, byZone)
		if err != nil {
			return nil, err
		}
		for _, id := range order {
			jz := jzs[id]
			if jz == nil {
				continue // reported; nothing trustworthy to index
			}
			zoneDocs[id] = jz.Zone
			nums := make([]int, 0, len(jz.Versions))
			for n := range jz.Versions {
				nums = append(nums, n)
			}
			slices.Sort(nums)
			for _, n := range nums {
				if v := jz.Versions[n]; live(v, from) {
					vs = append(vs, v)
				}
			}
		}
	}
	ags := map[string]*truce.Agreement{}
	b := &indexBuild{byZone: map[string][]string{}, records: map[string]zoneRecord{}}
	for _, v := range vs {
		if _, ok := ags[v.AgreementID]; !ok {
			var ag *truce.Agreement
			var err error
			if x.agreement != nil {
				ag, err = x.agreement(ctx, v.AgreementID)
				if ag == nil && truce.ErrorCode(err) == truce.EINTEGRITY {
					ags[v.AgreementID] = nil
					continue
				}
				if ag != nil && truce.ErrorCode(err) == truce.EINTEGRITY {
					err = nil // reported; the journalled agreement is used
				}
			} else {
				ag, err = x.store.Agreement(ctx, v.AgreementID)
			}
			if err != nil {
				return nil, err
			}
			ags[v.AgreementID] = ag
		}
	}
	b.prints = fingerprints(vs, ags)
	for _, v := range vs {
		ag := ags[v.AgreementID]
		if ag == nil || need != nil && !need(v.ZoneID, b.prints[v.ZoneID]) {
			continue
		}
		z, ok, err := spatialZone(v, ag)
		if err != nil {
			return nil, fmt.Errorf("zone %s version %d: %w", v.ZoneID, v.Version, err)
		}
		if ok {
			b.zones = append(b.zones, z)
			b.byZone[v.ZoneID] = append(b.byZone[v.ZoneID], z.ID)
			st := ag.StandingAt(from)
			b.records[z.ID] = newZoneRecord(zoneDocs[v.ZoneID], v, &st)
		}
	}
	return b, nil
}

// spatialZone converts a version into an index entry; ok is false when it
// never applies (agreement not in force, empty windows, a bare line).
func spatialZone(v *truce.ZoneVersion, ag *truce.Agreement) (spatial.Zone, bool, error) {
	if ag.Status != truce.AgreementInForce || v.InForceFrom == nil {
		return spatial.Zone{}, false, nil
	}
	ws := activeWindows(v, ag)
	if len(ws) == 0 {
		return spatial.Zone{}, false, nil
	}
	area, err := zoneArea(context.Background(), v.Spec) // stored zones were accepted within the bounds
	if err != nil || area == nil {
		return spatial.Zone{}, false, err
	}
	z := spatial.Zone{ID: versionKey(v.ZoneID, v.Version), Geometry: area, FloorM: math.Inf(-1), CeilingM: math.Inf(1)}
	if v.Spec.FloorM != nil {
		z.FloorM = *v.Spec.FloorM
	}
	if v.Spec.CeilingM != nil {
		z.CeilingM = *v.Spec.CeilingM
	}
	for _, w := range ws {
		var sw spatial.Window
		if w.Start != nil {
			sw.Start = *w.Start
		}
		if w.End != nil {
			sw.End = *w.End
		}
		z.Windows = append(z.Windows, sw)
	}
	return z, true, nil
}

// RefreshZone re-reads one zone's versions and replaces its entries.
func (x *Index) RefreshZone(ctx context.Context, zoneID string) error {
	x.updating.Lock()
	defer x.updating.Unlock()
	vs, err := x.store.ZoneVersions(ctx, zoneID)
	if err != nil {
		return err
	}
	from := x.From()
	rows := vs
	if x.vouch == nil {
		// Without journal checks, build takes the live rows; with them,
		// it checks every row and takes the journal's live versions.
		rows = nil
		for _, v := range vs {
			if live(v, from) {
				rows = append(rows, v)
			}
		}
	}
	b, err := x.build(ctx, rows, from, nil)
	if err != nil {
		return err
	}
	x.mu.Lock()
	err = x.replaceLocked([]string{zoneID}, b)
	f := x.OnChange
	x.mu.Unlock()
	if err != nil {
		return err
	}
	if f != nil {
		f([]string{zoneID})
	}
	return nil
}

// replaceLocked replaces the entries of the given zones with what b holds
// for them.
func (x *Index) replaceLocked(zoneIDs []string, b *indexBuild) error {
	only := make(map[string]bool, len(zoneIDs))
	for _, id := range zoneIDs {
		only[id] = true
		for _, key := range x.byZone[id] {
			x.idx.Delete(key)
		}
		delete(x.byZone, id)
		delete(x.prints, id)
	}
	for _, z := range b.zones {
		if !only[ZoneOf(z.ID)] {
			continue
		}
		if err := x.idx.Insert(z); err != nil {
			return err
		}
	}
	recs := maps.Clone(*x.records.Load())
	for key := range recs {
		if only[ZoneOf(key)] {
			delete(recs, key)
		}
	}
	for _, id := range zoneIDs {
		if ids := b.byZone[id]; len(ids) > 0 {
			x.byZone[id] = ids
			for _, key := range ids {
				recs[key] = b.records[key]
			}
		}
		if p, ok := b.prints[id]; ok {
			x.prints[id] = p
		}
	}
	x.records.Store(&recs)
	x.asOf = x.changedAtLocked(time.Now())
	return nil
}

// Follows says whether the index follows a committed change (Handle),
// and names the refresh: key is the same for changes whose refreshes
// stand in for each other (a zone's; every agreement's, each of which
// reloads everything), what says which refresh it is (for /readyz).
func (x *Index) Follows(e truce.Event) (key, what string, ok bool) {
	switch e.Kind {
	case "zone":
		return "zones:" + e.Subject, "zone index: zone " + e.Subject, true
	case "agreement":
		return "zones:*", "zone index: agreement " + e.Subject, true
	}
	return "", "", false
}

// Handle applies a committed change: a zone event refreshes that zone, an
// agreement event reloads everything (its status or period moves all its
// zones).
func (x *Index) Handle(ctx context.Context, e truce.Event) error {
	switch e.Kind {
	case "zone":
		return x.RefreshZone(ctx, e.Subject)
	case "agreement":
		return x.Load(ctx, x.From())
	}
	return nil
}

// Containing returns the index ids of zones containing the position at t.
func (x *Index) Containing(lon, lat, altM float64, t time.Time) []string {
	var ids []string
	x.idx.Containing(lon, lat, altM, t, func(id string) bool {
		ids = append(ids, id)
		return true
	})
	return ids
}
