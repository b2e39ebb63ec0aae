package control

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/geo"
	"github.com/truce-project/truce/journal"
	"golang.org/x/mod/sumdb/note"
)

// Signer gives the signer of a custodial party (accounts.Service).
type Signer interface {
	PartySigner(ctx context.Context, p *truce.Party) (note.Signer, error)
}

// Service records actors, control areas, guarantees, breaches and
// responses over a Store, writing through the server's journal.
//
// The guarantees and control areas are also held in memory (loaded from
// the store on first use, then kept with this server's writes), so a
// breach check and a control map read no rows: see Check and Layer.
type Service struct {
	*journal.Journal
	Store Store
	// Signer signs responses for custodial parties; nil: every party
	// brings its signed statement.
	Signer Signer

	// Incidents, when set, is where CheckIncidents reads the verified
	// incidents of territory overtaken (package observation, through
	// ObservedIncidents).
	Incidents Incidents

	mu         sync.Mutex
	loaded     bool
	guarantees *Index[Guarded]
	// guaranteed holds the ids of the guarantees in memory, so that
	// another server's guarantee (Follow) is added once.
	guaranteed map[string]bool
	layer      *Layer
	// checked holds the version of each incident CheckIncidents has
	// examined since the guarantees last changed.
	checked map[string]int
	// caught holds, for each kind CatchUp follows, the index of the last
	// journal entry applied from the journal: the load's starting point,
	// then CatchUp's.
	caught map[string]int64
}

// New returns a Service over st writing through j.
func New(st Store, j *journal.Journal, signer Signer) *Service {
	return &Service{Journal: j, Store: st, Signer: signer}
}

// Change kinds and alert event kinds.
const (
	KindActor       = "actor"
	KindControlArea = "control_area"
	KindGuarantee   = "guarantee"
	KindBreach      = "breach"
	// EventBreach is the alert every party receives when a breach is
	// detected; EventOverdue when its response is overdue; EventResponse
	// when the guarantor answers.
	EventBreach   = "guarantee.breach"
	EventOverdue  = "guarantee.breach_overdue"
	EventResponse = "guarantee.breach_response"
	// EventWithdrawn is the alert every party receives when a breach's
	// evidence is withdrawn (its incident no longer verified).
	EventWithdrawn = "guarantee.breach_withdrawn"
)

var everyone = truce.Visibility{Scope: truce.ScopeAll}

// recorder returns the caller if it may record actors and control areas:
// administrators, operators and analysts of any party.
func recorder(ctx context.Context) (*truce.Caller, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if !a.IsAdmin() && !a.User.HasRole(truce.RoleOperator) && !a.User.HasRole(truce.RoleAnalyst) {
		return nil, truce.Errorf(truce.EFORBIDDEN, "Only an operator or analyst can record actors and control.")
	}
	return a, nil
}

// Load reads the guarantees and control areas into memory now rather
// than at the first request that needs them (100,000 areas take seconds).
func (s *Service) Load(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load(ctx)
}

// load fills the in-memory guarantees and control areas from the store
// once, each record as its journal entry holds it (the log vouches for
// state): a row changed behind the server's back is reported
// (EINTEGRITY, /readyz) and its journalled record used instead, so that
// breach checks and maps rest on what was recorded; a record whose
// journal fails its own checks is left out. Callers hold s.mu.
func (s *Service) load(ctx context.Context) error {
	if s.loaded {
		return nil
	}
	// The heads before the rows: an entry appended while the rows are
	// read is then read again by CatchUp (applying it twice is harmless);
	// read after, it could be missed.
	heads, err := s.Store.JournalHeads(ctx, catchUpKinds...)
	if err != nil {
		return err
	}
	caught := map[string]int64{}
	for _, k := range catchUpKinds {
		caught[k] = -1
		if idx, ok := heads[k]; ok {
			caught[k] = idx
		}
	}
	gx, layer := NewIndex[Guarded](), NewLayer()
	rows, err := s.Store.Guarantees(ctx)
	if err != nil {
		return err
	}
	gs, _, err := journal.VouchRecords(ctx, s.Journal, KindGuarantee, rows, guaranteeID)
	if err != nil {
		return err
	}
	guaranteed := map[string]bool{}
	for _, g := range gs {
		if err := addGuarantee(gx, g); err != nil {
			return err
		}
		guaranteed[g.ID] = true
	}
	// The areas are vouched a page at a time (one query for a page's
	// entries), as the store streams their documents: a row that is its
	// entry's body is decoded once, from the journal (journal.VouchDocs).
	page := make([]journal.Doc, 0, vouchPage)
	flush := func() error {
		as, _, err := journal.VouchDocs(ctx, s.Journal, KindControlArea, page, controlAreaID)
		if err != nil {
			return err
		}
		for _, a := range as {
			if err := layer.Add(a); err != nil {
				return err
			}
		}
		page = page[:0]
		return nil
	}
	err = s.Store.ControlAreaDocs(ctx, func(id string, doc []byte) error {
		if page = append(page, journal.Doc{ID: id, JSON: doc}); len(page) == vouchPage {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	s.guarantees, s.guaranteed, s.layer, s.caught, s.loaded = gx, guaranteed, layer, caught, true
	return nil
}

// Follow applies another server's committed change of a control area or
// a guarantee (its event e; other kinds are ignored) to this server's
// memory, so that its maps and breach checks know every server's writes:
// the record is read from the store as the journal holds it (a row that
// does not match is refused, EINTEGRITY). Before the first load there is
// nothing to follow: the load reads it.
func (s *Service) Follow(ctx context.Context, e truce.Event) error {
	if e.Kind != KindControlArea && e.Kind != KindGuarantee {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		return nil
	}
	if e.Kind == KindControlArea {
		row, err := s.Store.ControlArea(ctx, e.Subject)
		if err != nil {
			return err
		}
		cs, bad, err := journal.VouchRecords(ctx, s.Journal, KindControlArea, []*ControlArea{row}, controlAreaID)
		if err != nil || len(cs) == 0 {
			return cmp.Or(err, bad)
		}
		// The latest version, whichever event this is: an area ended
		// keeps its place in the layer.
		return s.layer.Add(cs[0])
	}
	if s.guaranteed[e.Subject] {
		return nil
	}
	row, err := s.Store.Guarantee(ctx, e.Subject)
	if err != nil {
		return err
	}
	gs, bad, err := journal.VouchRecords(ctx, s.Journal, KindGuarantee, []*Guarantee{row}, guaranteeID)
	if err != nil || len(gs) == 0 {
		return cmp.Or(err, bad)
	}
	if err := addGuarantee(s.guarantees, gs[0]); err != nil {
		return err
	}
	s.guaranteed[gs[0].ID] = true
	// It may reach back to incidents already examined.
	s.checked = nil
	return nil
}

// vouchPage is how many control areas load checks against the journal at
// once: VouchRecords reads a page of subjects' entries in one query.
const vouchPage = 1000

func controlAreaID(c *ControlArea) string { return c.ID }

func addGuarantee(x *Index[Guarded], g *Guarantee) error {
	area, _, _, err := geometry(g.Geometry)
	if err != nil {
		return fmt.Errorf("guarantee %s: %w", g.ID, err)
	}
	x.Add(area.Bound(), Guarded{Guarantee: g, Area: area})
	return nil
}

// AddActor records an actor (operators, analysts, administrators).
// EINVALID for bad input or an unknown parent or guarantor party;
// ECONFLICT for a slug in use.
func (s *Service) AddActor(ctx context.Context, in ActorInput) (*Actor, error) {
	a, err := recorder(ctx)
	if err != nil {
		return nil, err
	}
	in.Slug = strings.TrimSpace(in.Slug)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	act := &Actor{ID: truce.NewID(), Slug: in.Slug, Names: in.Names, Aliases: in.Aliases, Type: in.Type,
		GuaranteeFrom: in.GuaranteeFrom, GuaranteeTo: in.GuaranteeTo, CreatedAt: s.Now().UTC(), Version: 1}
	if in.Parent != "" {
		p, err := s.Store.Actor(ctx, in.Parent)
		if err != nil {
			return nil, truce.Errorf(truce.EINVALID, "Parent actor %q is not known.", in.Parent)
		}
		act.ParentID = p.ID
	}
	if in.Guarantor != "" {
		p, err := s.Store.Party(ctx, in.Guarantor)
		if err != nil {
			return nil, truce.Errorf(truce.EINVALID, "Guarantor party %q is not known.", in.Guarantor)
		}
		act.GuarantorID = p.ID
	}
	if _, err := s.Store.Actor(ctx, in.Slug); err == nil {
		return nil, truce.Errorf(truce.ECONFLICT, "An actor with slug %q exists.", in.Slug)
	}
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Actor, error) {
		act.JournalIndex = w.Journal(truce.Change{Kind: KindActor, Subject: act.ID, Body: act, Visibility: everyone, New: true})
		return act, tx.InsertActor(ctx, act)
	})
}

// Actor returns an actor by id or slug to any signed-in user.
func (s *Service) Actor(ctx context.Context, idOrSlug string) (*Actor, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return journal.VouchedFind(ctx, s.Journal, KindActor, func(ctx context.Context) (*Actor, error) {
		return s.Store.Actor(ctx, idOrSlug)
	}, actorID)
}

func actorID(a *Actor) string         { return a.ID }
func guaranteeID(g *Guarantee) string { return g.ID }
func breachID(b *Breach) string       { return b.ID }

// Actors lists the actors to any signed-in user.
func (s *Service) Actors(ctx context.Context) ([]*Actor, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return journal.VouchedRead(ctx, s.Journal, KindActor, s.Store.Actors, actorID)
}

// Recorded is a control area as recorded, with the breaches it raised.
type Recorded struct {
	Area     *ControlArea `json:"control_area"`
	Breaches []*Breach    `json:"breaches"`
}

// AddControl records that an actor holds an area, and in the same
// transaction the breaches of the guarantees it breaks: each journalled
// for every party with a guarantee.breach event (the alert), and owing
// its guarantors a response by the guarantee's deadline. EINVALID for
// bad input (a period that ends before it starts, an unknown actor).
func (s *Service) AddControl(ctx context.Context, in ControlInput) (*Recorded, error) {
	a, err := recorder(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.prepare(ctx, a, in)
	if err != nil {
		return nil, err
	}
	out, err := s.record(ctx, a, []prepared{p})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// MaxImport is the most control areas one import holds.
const MaxImport = 1000

// ImportControl records the control areas of a GeoJSON FeatureCollection
// (RFC 7946) in one transaction: each feature's properties (actor, name,
// from, to, source, confidence, liberated_from) override the defaults in
// in. Any bad feature refuses the whole import (EINVALID naming it).
func (s *Service) ImportControl(ctx context.Context, in ControlImport) ([]*Recorded, error) {
	a, err := recorder(ctx)
	if err != nil {
		return nil, err
	}
	if (in.KML == "") == (len(in.Features) == 0) {
		return nil, truce.Errorf(truce.EINVALID, "An import sends features (GeoJSON) or kml, one of them.")
	}
	if in.KML != "" {
		if in.Features, err = KMLToGeoJSON([]byte(in.KML)); err != nil {
			return nil, err
		}
	}
	fs, err := geo.DecodeFeatures(in.Features, geo.Options{})
	if err != nil {
		return nil, truce.Errorf(truce.EINVALID, "The features are not valid GeoJSON: %v", err)
	}
	if len(fs) == 0 || len(fs) > MaxImport {
		return nil, truce.Errorf(truce.EINVALID, "An import holds 1 to %d features.", MaxImport)
	}
	raws, err := rawGeometries(in.Features)
	if err != nil || len(raws) != len(fs) {
		return nil, truce.Errorf(truce.EINVALID, "The features are not a FeatureCollection, a Feature or a geometry.")
	}
	ps := make([]prepared, 0, len(fs))
	for i, f := range fs {
		ci := in.Defaults
		ci.Geometry = raws[i]
		if err := featureInput(&ci, f); err != nil {
			return nil, truce.Errorf(truce.EINVALID, "Feature %d: %s", i+1, truce.ErrorMessage(err))
		}
		p, err := s.prepare(ctx, a, ci)
		if err != nil {
			return nil, truce.Errorf(truce.ErrorCode(err), "Feature %d: %s", i+1, truce.ErrorMessage(err))
		}
		ps = append(ps, p)
	}
	return s.record(ctx, a, ps)
}

// ControlImport is the input of ImportControl.
type ControlImport struct {
	// Features is a FeatureCollection, a Feature or a bare geometry;
	// KML, when set instead, is a KML document (KMLToGeoJSON).
	Features json.RawMessage `json:"features,omitempty"`
	KML      string          `json:"kml,omitempty"`
	// Defaults are the fields a feature's properties do not give; its
	// geometry is the feature's.
	Defaults ControlInput `json:"defaults"`
}

// rawGeometries returns the geometries of a FeatureCollection, a Feature
// or a bare geometry as sent (geo.DecodeFeatures has checked them).
func rawGeometries(data json.RawMessage) ([]json.RawMessage, error) {
	var o struct {
		Type     string          `json:"type"`
		Geometry json.RawMessage `json:"geometry"`
		Features []struct {
			Geometry json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, err
	}
	switch o.Type {
	case "FeatureCollection":
		out := make([]json.RawMessage, len(o.Features))
		for i, f := range o.Features {
			out[i] = f.Geometry
		}
		return out, nil
	case "Feature":
		return []json.RawMessage{o.Geometry}, nil
	}
	return []json.RawMessage{data}, nil
}

func featureInput(ci *ControlInput, f geo.Feature) error {
	str := func(k string, dst *string) error {
		v, ok := f.Properties[k]
		if !ok || v == nil {
			return nil
		}
		sv, ok := v.(string)
		if !ok {
			return truce.Errorf(truce.EINVALID, "Property %s is a string.", k)
		}
		*dst = sv
		return nil
	}
	var from, to, conf string
	for k, dst := range map[string]*string{"actor": &ci.Actor, "name": &ci.Name, "source": &ci.Source, "liberated_from": &ci.LiberatedFrom, "from": &from, "to": &to, "confidence": &conf} {
		if err := str(k, dst); err != nil {
			return err
		}
	}
	if conf != "" {
		ci.Confidence = Confidence(conf)
	}
	if from != "" {
		t, err := time.Parse(time.RFC3339, from)
		if err != nil {
			return truce.Errorf(truce.EINVALID, "Property from is an RFC 3339 time.")
		}
		ci.From = t
	}
	if to != "" {
		t, err := time.Parse(time.RFC3339, to)
		if err != nil {
			return truce.Errorf(truce.EINVALID, "Property to is an RFC 3339 time.")
		}
		ci.To = &t
	}
	return nil
}

type prepared struct {
	area  *ControlArea
	geom  orb.Geometry
	actor *Actor
}

func (s *Service) prepare(ctx context.Context, a *truce.Caller, in ControlInput) (prepared, error) {
	if err := in.Validate(); err != nil {
		return prepared{}, err
	}
	g, bbox, km2, err := geometry(in.Geometry)
	if err != nil {
		return prepared{}, err
	}
	actor, err := s.Store.Actor(ctx, in.Actor)
	if err != nil {
		return prepared{}, truce.Errorf(truce.EINVALID, "Actor %q is not known.", in.Actor)
	}
	c := &ControlArea{ID: truce.NewID(), ActorID: actor.ID, Name: strings.TrimSpace(in.Name), Geometry: in.Geometry, BBox: bbox, AreaKM2: km2,
		From: in.From.UTC(), To: utc(in.To), Source: in.Source, Confidence: in.Confidence, RecordedBy: a.Party.ID, Version: 1}
	if in.LiberatedFrom != "" {
		lf, err := s.Store.Actor(ctx, in.LiberatedFrom)
		if err != nil {
			return prepared{}, truce.Errorf(truce.EINVALID, "Actor %q (liberated from) is not known.", in.LiberatedFrom)
		}
		if lf.ID == actor.ID {
			return prepared{}, truce.Errorf(truce.EINVALID, "An actor does not liberate an area from itself.")
		}
		c.LiberatedFrom = lf.ID
	}
	return prepared{c, g, actor}, nil
}

// record writes prepared control areas and their breaches in one
// transaction.
func (s *Service) record(ctx context.Context, a *truce.Caller, ps []prepared) ([]*Recorded, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	findings := make([][]Finding, len(ps))
	for i, p := range ps {
		findings[i] = Check(s.guarantees, Change{ActorID: p.area.ActorID, Area: p.geom, From: p.area.From, To: p.area.To})
	}
	out, err := journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) ([]*Recorded, error) {
		now := s.Now().UTC()
		var out []*Recorded
		for i, p := range ps {
			c := p.area
			c.CreatedAt = now
			c.JournalIndex = w.Journal(truce.Change{Kind: KindControlArea, Subject: c.ID, Body: c, Visibility: everyone, New: true,
				Event: &truce.Event{Data: c, BBox: &c.BBox}})
			if err := tx.InsertControlArea(ctx, c); err != nil {
				return nil, err
			}
			r := &Recorded{Area: c, Breaches: []*Breach{}}
			for _, f := range findings[i] {
				b, err := s.raise(ctx, tx, w, c, p.actor, f, now)
				if err != nil {
					return nil, err
				}
				r.Breaches = append(r.Breaches, b)
			}
			out = append(out, r)
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		s.layer.AddDecoded(p.area, p.geom)
	}
	return out, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// EndControl records that control of an area ended at t: a new version
// of the area. EINVALID if t is not after its start; ECONFLICT if it has
// ended already.
func (s *Service) EndControl(ctx context.Context, id string, t time.Time) (*ControlArea, error) {
	a, err := recorder(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	out, err := journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*ControlArea, error) {
		cur, err := s.Store.ControlArea(ctx, id)
		if err != nil {
			return nil, err
		}
		if cur.To != nil {
			return nil, truce.Errorf(truce.ECONFLICT, "Control of area %q ended at %s.", id, cur.To.Format(time.RFC3339))
		}
		if !t.After(cur.From) {
			return nil, truce.Errorf(truce.EINVALID, "The control period ends (%s) before it starts (%s).", t.Format(time.RFC3339), cur.From.Format(time.RFC3339))
		}
		n := *cur
		end := t.UTC()
		n.To, n.Version = &end, cur.Version+1
		n.JournalIndex = w.Journal(truce.Change{Kind: KindControlArea, Subject: n.ID, Body: &n, Visibility: everyone,
			Event: &truce.Event{Data: &n, BBox: &n.BBox}})
		return &n, tx.UpdateControlArea(ctx, &n)
	})
	if err != nil {
		return nil, err
	}
	if err := s.layer.Add(out); err != nil {
		return nil, err
	}
	return out, nil
}

// Map returns the control map at t to any signed-in user.
func (s *Service) Map(ctx context.Context, t time.Time) (*Map, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	return s.layer.MapAt(t), nil
}

// MaxMapAreas bounds the areas one map response lists: the totals per
// actor always cover the whole map, and a client asks for the rest by
// box.
const MaxMapAreas = 2000

// MapIn returns the control map at t with its areas limited to those
// whose box meets bbox (nil: anywhere), at most limit of them (0 or more
// than MaxMapAreas: MaxMapAreas); Truncated says some were left out. The
// totals per actor are the whole map's.
func (s *Service) MapIn(ctx context.Context, t time.Time, bbox *orb.Bound, limit int) (*Map, error) {
	m, err := s.Map(ctx, t)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxMapAreas {
		limit = MaxMapAreas
	}
	out := make([]Held, 0, min(limit, len(m.Areas)))
	for _, h := range m.Areas {
		if bbox != nil && !bbox.Intersects(orb.Bound{Min: orb.Point{h.BBox[0], h.BBox[1]}, Max: orb.Point{h.BBox[2], h.BBox[3]}}) {
			continue
		}
		if len(out) == limit {
			m.Truncated = true
			break
		}
		out = append(out, h)
	}
	m.Areas = out
	return m, nil
}

// ActorHistory is an actor with the areas it held and its ground over
// time.
type ActorHistory struct {
	Actor  *Actor         `json:"actor"`
	Areas  []*ControlArea `json:"areas"`
	Ground []Point        `json:"ground"`
}

// History returns an actor's areas and ground over time to any
// signed-in user.
func (s *Service) History(ctx context.Context, idOrSlug string) (*ActorHistory, error) {
	a, err := s.Actor(ctx, idOrSlug)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	areas, pts := s.layer.Held(a.ID)
	return &ActorHistory{Actor: a, Areas: areas, Ground: pts}, nil
}

// Changes returns the control changes in (from, to] to any signed-in
// user; EINVALID unless from is before to.
func (s *Service) Changes(ctx context.Context, from, to time.Time) (*Changes, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	if !from.Before(to) {
		return nil, truce.Errorf(truce.EINVALID, "The start of the changes is before their end.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	return s.layer.ChangesBetween(from, to), nil
}

// ChangesIn is Changes with at most limit movements listed, oldest first
// (0 or more than MaxMapAreas: MaxMapAreas); Truncated says some were
// left out. The totals per actor are the whole period's.
func (s *Service) ChangesIn(ctx context.Context, from, to time.Time, limit int) (*Changes, error) {
	c, err := s.Changes(ctx, from, to)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxMapAreas {
		limit = MaxMapAreas
	}
	if len(c.Movements) > limit {
		c.Movements, c.Truncated = c.Movements[:limit], true
	}
	return c, nil
}

// AddGuarantee records a guarantee of an agreement over one of its
// zones. Only an operator of a signatory party (or an administrator) may,
// as for the agreement's zones (truce.CanActOnZones): EFORBIDDEN
// otherwise. EUNPROCESSABLE for a zone of another agreement (an area
// outside the agreement), a zone with no approved version, or a
// guarantor that is not a signatory; EINVALID for unknown actors.
func (s *Service) AddGuarantee(ctx context.Context, in GuaranteeInput) (*Guarantee, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	ag, err := s.Store.Agreement(ctx, in.AgreementID)
	if err != nil {
		return nil, err
	}
	// Signatories bound now give guarantees: a party whose withdrawal
	// has taken effect no longer may.
	now := s.Now().UTC()
	if err := truce.CanActOnZones(a, ag, now); err != nil {
		return nil, err
	}
	z, err := s.Store.Zone(ctx, in.ZoneID)
	if err != nil {
		return nil, truce.Errorf(truce.EUNPROCESSABLE, "Zone %q is not known.", in.ZoneID)
	}
	if z.AgreementID != ag.ID {
		return nil, truce.Errorf(truce.EUNPROCESSABLE, "Zone %q is outside agreement %q: a guarantee names one of the agreement's own zones.", z.Name, ag.Title)
	}
	if z.Current == 0 {
		return nil, truce.Errorf(truce.EUNPROCESSABLE, "Zone %q has no approved version to guarantee.", z.Name)
	}
	v, err := s.Store.ZoneVersion(ctx, z.ID, z.Current)
	if err != nil {
		return nil, err
	}
	area, bbox, km2, err := geometry(v.Spec.Geometry)
	if err != nil {
		return nil, truce.Errorf(truce.EUNPROCESSABLE, "Zone %q is not an area: %s", z.Name, truce.ErrorMessage(err))
	}
	g := &Guarantee{ID: truce.NewID(), AgreementID: ag.ID, ZoneID: z.ID, ZoneVersion: v.Version, Name: z.Name, Geometry: v.Spec.Geometry,
		BBox: bbox, AreaKM2: km2, From: in.From.UTC(), To: utc(in.To), ResponseWithin: ag.Rules.WithDefaults().GuaranteeResponse,
		CreatedBy: a.Party.ID, Version: 1}
	for _, ref := range in.Guarantors {
		p, err := s.Store.Party(ctx, ref)
		if err != nil || !ag.IsSignatory(p.ID, now) {
			return nil, truce.Errorf(truce.EUNPROCESSABLE, "Guarantor %q is not a signatory of agreement %q.", ref, ag.Title)
		}
		if !slices.Contains(g.Guarantors, p.ID) {
			g.Guarantors = append(g.Guarantors, p.ID)
		}
	}
	for _, ref := range in.Allowed {
		act, err := s.Store.Actor(ctx, ref)
		if err != nil {
			return nil, truce.Errorf(truce.EINVALID, "Actor %q is not known.", ref)
		}
		if !slices.Contains(g.Allowed, act.ID) {
			g.Allowed = append(g.Allowed, act.ID)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	// Ground already held inside the area by an actor the guarantee does
	// not allow breaches it from its start, as a later change would.
	type held struct {
		c *ControlArea
		f Finding
	}
	var already []held
	s.layer.Within(area, func(c *ControlArea) {
		for _, f := range Breaches(Change{ActorID: c.ActorID, Area: area, From: c.From, To: c.To}, []Guarded{{Guarantee: g, Area: area}}) {
			already = append(already, held{c, f})
		}
	})
	out, err := journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Guarantee, error) {
		now := s.Now().UTC()
		g.CreatedAt = now
		g.JournalIndex = w.Journal(truce.Change{Kind: KindGuarantee, Subject: g.ID, Body: g, Visibility: everyone, New: true,
			Event: &truce.Event{Data: g, BBox: &g.BBox}})
		if err := tx.InsertGuarantee(ctx, g); err != nil {
			return nil, err
		}
		for _, h := range already {
			actor, err := s.Store.Actor(ctx, h.c.ActorID)
			if err != nil {
				return nil, err
			}
			if _, err := s.raise(ctx, tx, w, h.c, actor, h.f, now); err != nil {
				return nil, err
			}
		}
		return g, nil
	})
	if err != nil {
		return nil, err
	}
	s.guarantees.Add(area.Bound(), Guarded{Guarantee: out, Area: area})
	s.guaranteed[out.ID] = true
	// A guarantee may reach back to incidents already examined.
	s.checked = nil
	return out, nil
}

// raise journals and stores the breach of finding f by control area c
// of actor, with its guarantee.breach event.
func (s *Service) raise(ctx context.Context, tx Tx, w *journal.Writer, c *ControlArea, actor *Actor, f Finding, now time.Time) (*Breach, error) {
	b := newBreach(f, now)
	b.ControlAreaID, b.ActorID, b.ActorGuarantor, b.Evidence = c.ID, c.ActorID, actor.GuarantorAt(f.At), c.Source
	return b, s.put(ctx, tx, w, b, c.BBox)
}

// newBreach is the breach of finding f detected at now, before its
// evidence is filled in: open, owing its guarantors a response by the
// guarantee's deadline.
func newBreach(f Finding, now time.Time) *Breach {
	return &Breach{ID: truce.NewID(), GuaranteeID: f.Guarantee.ID, AgreementID: f.Guarantee.AgreementID, ZoneID: f.Guarantee.ZoneID,
		Guarantors: f.Guarantee.Guarantors, At: f.At, DetectedAt: now, Due: now.Add(time.Duration(f.Guarantee.ResponseWithin)),
		Status: BreachOpen, Version: 1}
}

// put journals and stores a new breach, with its guarantee.breach event
// (the alert every party receives) over box.
func (s *Service) put(ctx context.Context, tx Tx, w *journal.Writer, b *Breach, box truce.BBox) error {
	b.JournalIndex = w.Journal(truce.Change{Kind: KindBreach, Subject: b.ID, Body: b, Visibility: everyone, New: true,
		Event: &truce.Event{Kind: EventBreach, Data: b, BBox: &box}})
	return tx.InsertBreach(ctx, b)
}

// Guarantees lists the guarantees to any signed-in user.
func (s *Service) Guarantees(ctx context.Context) ([]*Guarantee, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return journal.VouchedRead(ctx, s.Journal, KindGuarantee, s.Store.Guarantees, guaranteeID)
}

// Breaches lists the breaches (only the unanswered with open) to any
// signed-in user.
func (s *Service) Breaches(ctx context.Context, open bool) ([]*Breach, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return journal.VouchedRead(ctx, s.Journal, KindBreach, func(ctx context.Context) ([]*Breach, error) {
		return s.Store.Breaches(ctx, open)
	}, breachID)
}

// Breach returns a breach to any signed-in user.
func (s *Service) Breach(ctx context.Context, id string) (*Breach, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return journal.VouchedFind(ctx, s.Journal, KindBreach, func(ctx context.Context) (*Breach, error) {
		return s.Store.Breach(ctx, id)
	}, breachID)
}

// checkAction returns the action as a response records and signs it
// (trimmed), or EINVALID.
func checkAction(action string) (string, error) {
	action = strings.TrimSpace(action)
	if action == "" || len(action) > MaxAction {
		return "", truce.Errorf(truce.EINVALID, "A response states the action taken (at most %d characters).", MaxAction)
	}
	return action, truce.CheckText("action", action, MaxAction, true)
}

// Statement returns the statement a guarantor signs to answer a breach
// with action (ResponseStatement), for a party that holds its own key:
// the caller may answer it (an operator or administrator of one of its
// guarantors, the breach not yet answered), as Respond checks. It signs
// nothing and records nothing.
func (s *Service) Statement(ctx context.Context, breachID, action string) (string, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return "", err
	}
	if action, err = checkAction(action); err != nil {
		return "", err
	}
	b, err := s.Breach(ctx, breachID)
	if err != nil {
		return "", err
	}
	if err := mayRespond(a, b); err != nil {
		return "", err
	}
	return ResponseStatement(b, action), nil
}

// mayRespond returns nil if a may answer b: EFORBIDDEN unless an operator
// (or administrator) of one of its guarantors, ECONFLICT once answered.
func mayRespond(a *truce.Caller, b *Breach) error {
	if !slices.Contains(b.Guarantors, a.Party.ID) {
		return truce.Errorf(truce.EFORBIDDEN, "Only a guarantor of this guarantee can respond to its breach.")
	}
	if !a.IsAdmin() && !a.User.HasRole(truce.RoleOperator) {
		return truce.Errorf(truce.EFORBIDDEN, "Only an operator of the guarantor can respond.")
	}
	if b.Status == BreachAnswered {
		return truce.Errorf(truce.ECONFLICT, "Breach %q was answered.", b.ID)
	}
	if b.Status == BreachWithdrawn {
		return truce.Errorf(truce.ECONFLICT, "Breach %q rests on evidence that was withdrawn: no response is owed.", b.ID)
	}
	return nil
}

// Respond records a guarantor's response to a breach: the action taken
// and the statement (ResponseStatement) signed with the party's key
// (signature empty: signed here for a custodial party). EFORBIDDEN
// unless the caller is an operator (or administrator) of one of the
// breach's guarantors; ECONFLICT if it was answered; EUNPROCESSABLE for
// a signature that does not verify.
func (s *Service) Respond(ctx context.Context, breachID, action, signature string) (*Breach, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if action, err = checkAction(action); err != nil {
		return nil, err
	}
	if err := truce.CheckText("signature", signature, truce.MaxSignatureLen, true); err != nil {
		return nil, err
	}
	b, err := s.Breach(ctx, breachID)
	if err != nil {
		return nil, err
	}
	if err := mayRespond(a, b); err != nil {
		return nil, err
	}
	sig, err := s.sign(ctx, a.Party, ResponseStatement(b, action), signature)
	if err != nil {
		return nil, err
	}
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Breach, error) {
		cur, err := s.Store.Breach(ctx, breachID)
		if err != nil {
			return nil, err
		}
		if cur.Status == BreachAnswered || cur.Status == BreachWithdrawn {
			return nil, mayRespond(a, cur)
		}
		now := s.Now().UTC()
		n := *cur
		n.Status, n.Version = BreachAnswered, cur.Version+1
		n.Response = &Response{PartyID: a.Party.ID, UserID: a.User.ID, Action: action, Signature: sig, At: now, Late: now.After(cur.Due)}
		n.JournalIndex = w.Journal(truce.Change{Kind: KindBreach, Subject: n.ID, Body: &n, Visibility: everyone,
			Event: &truce.Event{Kind: EventResponse, Data: &n}})
		return &n, tx.UpdateBreach(ctx, &n)
	})
}

// sign returns the signed note of statement by p: signed here for a
// custodial party when given is empty, else given checked against p's
// key and the statement (as zone decisions are signed).
func (s *Service) sign(ctx context.Context, p *truce.Party, statement, given string) (string, error) {
	if given == "" {
		if !p.Custodial || s.Signer == nil {
			return "", truce.Errorf(truce.EINVALID, "Your party holds its own key: sign the response statement and send the signed note as signature.")
		}
		return truce.SignAsParty(ctx, s.Signer, p, statement)
	}
	if err := VerifyResponse(statement, given, p.PublicKey); err != nil {
		return "", truce.Errorf(truce.EUNPROCESSABLE, "The signature does not verify as party %s's signature of this response's statement.", p.Slug)
	}
	return given, nil
}

// VerifyResponse checks a signed note against a party's public key and
// the statement it must carry.
func VerifyResponse(statement, signed, publicKey string) error {
	return truce.VerifySignedNote(signed, statement, publicKey)
}

// Escalate marks every open breach whose response is overdue at the
// service clock as escalated, journalling each with a
// guarantee.breach_overdue event every party receives, and returns them.
// The node runs it periodically; it is the system's write (no caller).
func (s *Service) Escalate(ctx context.Context) ([]*Breach, error) {
	out, err := journal.Write(ctx, s.Journal, s.Store, nil, func(tx Tx, w *journal.Writer) ([]*Breach, error) {
		now := s.Now().UTC()
		due, err := tx.OverdueBreaches(ctx, now)
		if err != nil || len(due) == 0 {
			return nil, errNone(err)
		}
		var out []*Breach
		for _, b := range due {
			n := *b
			n.Status, n.EscalatedAt, n.Version = BreachEscalated, &now, b.Version+1
			n.JournalIndex = w.Journal(truce.Change{Kind: KindBreach, Subject: n.ID, Body: &n, Visibility: everyone,
				Event: &truce.Event{Kind: EventOverdue, Data: &n}})
			if err := tx.UpdateBreach(ctx, &n); err != nil {
				return nil, err
			}
			out = append(out, &n)
		}
		return out, nil
	})
	if errors.Is(err, errNothing) {
		return nil, nil
	}
	return out, err
}

// errNothing is returned inside Escalate's write when nothing is due, so
// that the empty write is rolled back rather than refused as unjournalled.
var errNothing = truce.Errorf(truce.ECONFLICT, "Nothing is overdue.")

func errNone(err error) error {
	if err != nil {
		return err
	}
	return errNothing
}

// Record is a guarantor's record: the breaches it owed a response to,
// how many it answered, late, or not at all, and the mean time to answer.
type Record struct {
	PartyID    string    `json:"party_id"`
	Breaches   []*Breach `json:"breaches"`
	Answered   int       `json:"answered"`
	Late       int       `json:"late"`
	Unanswered int       `json:"unanswered"`
	// Withdrawn counts the breaches whose evidence was withdrawn before
	// they were answered: no response was owed.
	Withdrawn      int     `json:"withdrawn"`
	MeanResponseHr float64 `json:"mean_response_hours"`
}

// GuarantorRecord returns a party's record as guarantor to any signed-in
// user.
func (s *Service) GuarantorRecord(ctx context.Context, party string) (*Record, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	p, err := s.Store.Party(ctx, party)
	if err != nil {
		return nil, err
	}
	all, err := journal.VouchedRead(ctx, s.Journal, KindBreach, func(ctx context.Context) ([]*Breach, error) {
		return s.Store.Breaches(ctx, false)
	}, breachID)
	if err != nil {
		return nil, err
	}
	return RecordOf(p.ID, all), nil
}

// RecordOf computes a party's guarantor record from the breaches.
func RecordOf(partyID string, all []*Breach) *Record {
	r := &Record{PartyID: partyID}
	var total time.Duration
	for _, b := range all {
		if !slices.Contains(b.Guarantors, partyID) {
			continue
		}
		r.Breaches = append(r.Breaches, b)
		if b.Response == nil && b.Status == BreachWithdrawn {
			r.Withdrawn++
			continue
		}
		if b.Response == nil {
			r.Unanswered++
			continue
		}
		r.Answered++
		if b.Response.Late {
			r.Late++
		}
		total += b.Response.At.Sub(b.DetectedAt)
	}
	if r.Answered > 0 {
		r.MeanResponseHr = total.Hours() / float64(r.Answered)
	}
	return r
}
