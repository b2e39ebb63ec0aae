package ui

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
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
	// Parties colour the aircraft layer and its legend.
	Parties []mapParty `json:"parties,omitempty"`
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

// zoneFeature is a zone version as a GeoJSON feature for the map.
type zoneFeature struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

func zoneFeatureOf(v *truce.ZoneVersion, status string) zoneFeature {
	p := map[string]any{"zone_id": v.ZoneID, "agreement_id": v.AgreementID, "name": v.Spec.Name, "kind": v.Spec.Kind,
		"version": v.Version, "status": status, "windows": v.Spec.Windows}
	if v.Spec.FloorM != nil {
		p["floor_m"] = *v.Spec.FloorM
	}
	if v.Spec.CeilingM != nil {
		p["ceiling_m"] = *v.Spec.CeilingM
	}
	if v.InForceFrom != nil {
		p["in_force_from"] = v.InForceFrom.UTC()
	}
	return zoneFeature{Type: "Feature", ID: v.ZoneID + "/" + itoa(v.Version), Geometry: v.Spec.Geometry, Properties: p}
}

// zonesGeoJSON serves the zones in force at ?at= (default now) and, for the
// present, the versions awaiting decisions.
func (u *UI) zonesGeoJSON(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	at := time.Now().UTC()
	present := true
	if s := r.URL.Query().Get("at"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			http.Error(w, "at must be an RFC 3339 time", http.StatusBadRequest)
			return
		}
		at, present = t.UTC(), time.Since(t) < time.Minute
	}
	vs, err := u.svc.Zones.ZonesInForce(ctx, at)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	fc := struct {
		Type     string        `json:"type"`
		At       time.Time     `json:"at"`
		Features []zoneFeature `json:"features"`
	}{Type: "FeatureCollection", At: at, Features: []zoneFeature{}}
	for _, v := range vs {
		fc.Features = append(fc.Features, zoneFeatureOf(v, "in_force"))
	}
	if present && r.URL.Query().Get("proposed") != "0" {
		ps, err := u.pendingVersions(ctx)
		if err != nil {
			u.serviceError(w, r, err)
			return
		}
		for _, p := range ps {
			if p.Version.Action == truce.ZoneProposed || p.Version.Action == truce.ZoneChange {
				fc.Features = append(fc.Features, zoneFeatureOf(p.Version, "proposed"))
			}
		}
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(fc)
}
