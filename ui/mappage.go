package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/truce-project/truce"
)

// mapConfig is what the map script reads from the page.
type mapConfig struct {
	ZonesURL        string            `json:"zonesURL"`
	TileURL         string            `json:"tileURL,omitempty"`
	TileAttribution string            `json:"tileAttribution,omitempty"`
	Basemap         map[string]string `json:"basemap"`
	Layers          []Layer           `json:"layers"`
	Labels          map[string]string `json:"labels"`
	Now             time.Time         `json:"now"`
	// Draw turns on the polygon draw tool (the propose page).
	Draw bool `json:"draw,omitempty"`
	// DrawMode is what the draw tool draws: "" a polygon, "site" a point
	// (one click) or a polygon, "line" a route.
	DrawMode string `json:"drawMode,omitempty"`
	// Parties colour the aircraft layer and its legend.
	Parties []mapParty `json:"parties,omitempty"`
	// Fit is what the map opens on ([west, south, east, north]): the
	// zones in force in the user's party's agreements, or all zones in
	// force when it signed none that has any; nil opens on Syria.
	Fit *truce.BBox `json:"fit,omitempty"`
}

// mapParty is a party as the aircraft layer draws it.
type mapParty struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color"`
}

var labelKeys = []string{"map.in_force", "map.proposed", "map.floor", "map.ceiling", "map.unbounded", "map.windows",
	"map.always", "map.version", "map.kind", "map.status", "map.now", "map.at", "map.details", "map.basemap",
	"map.outline", "map.governorates", "map.districts", "map.towns", "map.draw_hint", "map.draw_finish", "map.draw_clear",
	"map.in_force_from", "map.aircraft", "map.unattributed", "map.relocated", "map.relocated_legend", "map.legend",
	"map.altitude", "map.speed", "map.heading", "map.party", "map.last_seen", "map.alerts", "map.no_alerts",
	"map.alert_open", "map.alert_acknowledged", "map.alert_closed", "map.history", "map.trigger", "map.zone"}

func (u *UI) mapConfig(r *http.Request) mapConfig {
	lang := u.cat.choose(r)
	c := mapConfig{ZonesURL: "/map/zones.geojson", TileURL: u.cfg.TileURL, TileAttribution: u.cfg.TileAttribution,
		Basemap: map[string]string{
			"outline":      u.assets.URL("data/syria-outline.geojson"),
			"governorates": u.assets.URL("data/syria-governorates.geojson"),
			"districts":    u.assets.URL("data/syria-districts.geojson"),
			"towns":        u.assets.URL("data/syria-towns.geojson"),
		},
		Labels: map[string]string{}, Now: time.Now().UTC().Truncate(time.Second)}
	for _, k := range labelKeys {
		c.Labels[strings.TrimPrefix(k, "map.")] = u.cat.translate(lang, k)
	}
	for _, k := range truce.ZoneKinds {
		c.Labels["kind."+string(k)] = u.cat.translate(lang, "kind."+string(k))
	}
	for _, k := range alertKinds {
		c.Labels["alert."+string(k)] = u.cat.translate(lang, "alert."+string(k))
	}
	u.mu.RLock()
	for _, l := range u.layers {
		l.Title = u.cat.translate(lang, l.TitleKey)
		c.Layers = append(c.Layers, l)
	}
	u.mu.RUnlock()
	return c
}

// layerScripts are the extra scripts the map page loads for its layers.
func (u *UI) layerScripts() []string {
	u.mu.RLock()
	defer u.mu.RUnlock()
	var out []string
	seen := map[string]bool{}
	for _, l := range u.layers {
		s := l.Script
		if s == "" {
			continue
		}
		if a := u.assets.URL(s); a != "" {
			s = a
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func (u *UI) mapPage(w http.ResponseWriter, r *http.Request) {
	cfg := u.mapConfig(r)
	cfg.Fit = u.zonesFit(r.Context())
	if u.svc.Alerts != nil {
		cfg.Parties = u.partyColors(r)
	}
	// Live layers start at the log's head: what came before is on the
	// page already (the alert list), and the log may hold months.
	if u.svc.Events != nil {
		if _, last, err := u.svc.Events.EventBounds(r.Context()); err == nil {
			for i, l := range cfg.Layers {
				if l.Kind == "sse" && l.Source != "" {
					sep := "?"
					if strings.Contains(l.Source, "?") {
						sep = "&"
					}
					cfg.Layers[i].Source = l.Source + sep + "last_event_id=" + strconv.FormatInt(last, 10)
				}
			}
		}
	}
	u.render(w, r, http.StatusOK, "map", map[string]any{"Config": cfg, "Scripts": u.layerScripts(), "Alerts": u.svc.Alerts != nil})
}

// zonesFit is the bounds of the zones in force now in the agreements the
// actor's party signed, or of all zones in force when those have none;
// nil when no zone is in force or they cannot be read (the map then opens
// on Syria, which is no reason to fail the page).
func (u *UI) zonesFit(ctx context.Context) *truce.BBox {
	vs, err := u.zonesInForceNow(ctx)
	if err != nil || len(vs) == 0 {
		return nil
	}
	var party string
	if a := truce.CallerFrom(ctx); a != nil && a.Party != nil {
		party = a.Party.ID
	}
	signed := map[string]bool{}
	var mine, all *truce.BBox
	grow := func(b **truce.BBox, x truce.BBox) {
		if *b == nil {
			*b = &x
			return
		}
		(*b)[0], (*b)[1] = min((*b)[0], x[0]), min((*b)[1], x[1])
		(*b)[2], (*b)[3] = max((*b)[2], x[2]), max((*b)[3], x[3])
	}
	for _, v := range vs {
		if v.BBox == (truce.BBox{}) {
			continue
		}
		grow(&all, v.BBox)
		s, ok := signed[v.AgreementID]
		if !ok && party != "" {
			if ag, err := u.svc.Agreements.FindAgreement(ctx, v.AgreementID); err == nil {
				s = ag.IsSignatory(party, time.Now())
			}
			signed[v.AgreementID] = s
		}
		if s {
			grow(&mine, v.BBox)
		}
	}
	if mine != nil {
		return mine
	}
	return all
}

// zoneFeature is a zone version as a GeoJSON feature for the map.
type zoneFeature = truce.Feature

// zoneFeatureOf is truce.ZoneFeature with the map's id (a zone's versions
// in force and proposed are both drawn) and status ("in_force" or
// "proposed").
func zoneFeatureOf(v *truce.ZoneVersion, status string) zoneFeature {
	f := truce.ZoneFeature(v)
	f.ID = v.ZoneID + "/" + strconv.Itoa(v.Version)
	f.Properties["status"] = status
	return f
}

// zonesGeoJSON serves the zones in force at ?at= (default now) and, for the
// present, the versions awaiting decisions. With ?zoom= the geometry is
// simplified for drawing at that zoom (simplifyForDrawing), and with
// ?bbox=west,south,east,north only the zones whose bounds meet that box
// are served: what the map needs for its view, not every vertex agreed.
func (u *UI) zonesGeoJSON(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	at := time.Now().UTC()
	present := true
	if s := q.Get("at"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			http.Error(w, "at must be an RFC 3339 time", http.StatusBadRequest)
			return
		}
		at, present = t.UTC(), time.Since(t) < time.Minute
	}
	zoom := -1
	if s := q.Get("zoom"); s != "" {
		z, err := strconv.Atoi(s)
		if err != nil || z < 0 || z > 30 {
			http.Error(w, "zoom must be a whole number from 0 to 30", http.StatusBadRequest)
			return
		}
		zoom = min(z, maxDrawZoom)
	}
	var box *truce.BBox
	if s := q.Get("bbox"); s != "" {
		b, err := truce.ParseBBox(s)
		if err == nil {
			err = b.NotCrossing()
		}
		if err != nil {
			http.Error(w, truce.ErrorMessage(err), http.StatusBadRequest)
			return
		}
		box = b
	}
	var vs []*truce.ZoneVersion
	var err error
	if q.Get("at") == "" {
		vs, err = u.zonesInForceNow(ctx)
	} else {
		vs, err = u.svc.Zones.ZonesInForce(ctx, at)
	}
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	type entry struct {
		v      *truce.ZoneVersion
		status string
	}
	var es []entry
	for _, v := range vs {
		es = append(es, entry{v, "in_force"})
	}
	if present && q.Get("proposed") != "0" {
		ps, err := u.pendingVersions(ctx)
		if err != nil {
			u.serviceError(w, r, err)
			return
		}
		for _, p := range ps {
			if p.Version.Action == truce.ZoneProposed || p.Version.Action == truce.ZoneChange {
				es = append(es, entry{p.Version, "proposed"})
			}
		}
	}
	if box != nil {
		kept := es[:0]
		for _, e := range es {
			if meets(e.v.BBox, *box) {
				kept = append(kept, e)
			}
		}
		es = kept
	}
	fc := struct {
		Type     string        `json:"type"`
		At       time.Time     `json:"at"`
		Zoom     *int          `json:"zoom,omitempty"`
		BBox     *truce.BBox   `json:"bbox,omitempty"`
		Features []zoneFeature `json:"features"`
	}{Type: "FeatureCollection", At: at, BBox: box, Features: make([]zoneFeature, len(es))}
	for i, e := range es {
		fc.Features[i] = zoneFeatureOf(e.v, e.status)
	}
	if zoom >= 0 {
		fc.Zoom = &zoom
		u.drawGeometries(fc.Features, zoom)
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(fc)
}

// meets says whether the bounds a and b ([west, south, east, north]) share
// a point; a version without bounds (all zero) is always served.
func meets(a, b truce.BBox) bool {
	if a == (truce.BBox{}) {
		return true
	}
	return b.Intersects(a)
}

// inForceTTL is how long the zones in force now are reused while no event
// is logged: a version that comes into force at a set time, without an
// event, shows at most this late.
const inForceTTL = 30 * time.Second

// inForce caches the zones in force now. Reading thousands of versions
// with their full geometry takes a second; the map page and its zone
// source ask for them together, and again on every zoom. Any committed
// change is an event, so the newest event id (with the party, should
// the service ever answer parties differently) keys the cache.
type inForce struct {
	mu     sync.Mutex
	party  string
	event  int64
	loaded time.Time
	vs     []*truce.ZoneVersion
}

// zonesInForceNow returns the zone versions in force now, from the cache
// when no event has been logged since and it is younger than inForceTTL.
// The slice is shared: callers must not change it.
func (u *UI) zonesInForceNow(ctx context.Context) ([]*truce.ZoneVersion, error) {
	if u.svc.Events == nil {
		return u.svc.Zones.ZonesInForce(ctx, time.Now())
	}
	_, last, err := u.svc.Events.EventBounds(ctx)
	if err != nil {
		return u.svc.Zones.ZonesInForce(ctx, time.Now())
	}
	var party string
	if a := truce.CallerFrom(ctx); a != nil && a.Party != nil {
		party = a.Party.ID
	}
	c := &u.inForce
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vs != nil && c.party == party && c.event == last && time.Since(c.loaded) < inForceTTL {
		return c.vs, nil
	}
	now := time.Now()
	vs, err := u.svc.Zones.ZonesInForce(ctx, now)
	if err != nil {
		return nil, err
	}
	c.party, c.event, c.loaded, c.vs = party, last, now, vs
	return vs, nil
}
