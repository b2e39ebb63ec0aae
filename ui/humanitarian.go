package ui

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

// AddHumanitarian adds humanitarian notification's pages: the sites with
// the party's inbox of notifications to acknowledge (one click signs a
// custodial party's acknowledgement), each site's acknowledgement board,
// and the sites layer of the map.
func (u *UI) AddHumanitarian(svc *humanitarian.Service) {
	h := &sitePages{u: u, svc: svc}
	u.AddPage(Page{Path: "/sites", NavKey: "nav.sites", Order: 22, Routes: map[string]http.HandlerFunc{
		"GET /sites": h.list, "GET /sites/{id}": h.board, "POST /sites/answer/{id}": h.answer, "POST /sites/acknowledge-all": h.acknowledgeAll,
		"POST /sites/relay/{id}": h.relay,
		"GET /sites.geojson":     h.geojson}})
	u.AddLayer(Layer{ID: "sites", TitleKey: "layer.sites", Kind: "geojson", Source: "/sites.geojson", Visible: true})
	h.addMovements()
}

type sitePages struct {
	u   *UI
	svc *humanitarian.Service
}

// inboxItem is a transmission with the site or movement it notifies.
type inboxItem struct {
	T        *humanitarian.Transmission
	Site     *humanitarian.Site
	Movement *humanitarian.Movement
}

func (h *sitePages) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ts, _, err := h.svc.Inbox(ctx, "", "", 100)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	items := make([]inboxItem, 0, len(ts))
	for _, t := range ts {
		it := inboxItem{T: t}
		var err error
		if t.Kind == humanitarian.KindMovement {
			it.Movement, err = h.svc.FindMovement(ctx, t.RecordID)
		} else {
			it.Site, err = h.svc.FindSite(ctx, t.RecordID)
		}
		if err != nil {
			h.u.serviceError(w, r, err)
			return
		}
		items = append(items, it)
	}
	sites, next, err := h.svc.ListSites(ctx, humanitarian.SiteFilter{Cursor: r.URL.Query().Get("cursor"), Limit: 100})
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	movements, _, err := h.svc.ListMovements(ctx, humanitarian.MovementFilter{Limit: 100})
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	// A relay is relayed, not acknowledged: the batch leaves relays out.
	var ackable []inboxItem
	for _, it := range items {
		if !it.T.Relay {
			ackable = append(ackable, it)
		}
	}
	d := map[string]any{"Inbox": items, "Ackable": ackable, "Sites": sites, "Movements": movements}
	if next != "" {
		d["Next"] = "/sites?cursor=" + url.QueryEscape(next)
	}
	h.u.render(w, r, http.StatusOK, "sites", d)
}

func (h *sitePages) board(w http.ResponseWriter, r *http.Request) {
	var v int64
	if s := r.URL.Query().Get("version"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			h.u.fail(w, r, http.StatusBadRequest, "error.bad_request")
			return
		}
		v = n
	}
	b, err := h.svc.Board(r.Context(), r.PathValue("id"), v)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	vs, err := h.svc.SiteVersions(r.Context(), r.PathValue("id"))
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	h.u.render(w, r, http.StatusOK, "site", map[string]any{"Board": b, "Versions": vs})
}

// answer acknowledges a transmission, or raises a concern when the form
// says one, signed with the party's custodial key.
func (h *sitePages) answer(w http.ResponseWriter, r *http.Request) {
	in := humanitarian.AnswerInput{Concern: r.PostFormValue("answer") == "concern", Text: strings.TrimSpace(r.PostFormValue("text"))}
	var err error
	if in.WindowFrom, err = parseLocalTime(r.PostFormValue("window_from")); err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	if in.WindowTo, err = parseLocalTime(r.PostFormValue("window_to")); err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	t, err := h.svc.Answer(r.Context(), r.PathValue("id"), in)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	next := "/sites"
	if t.Kind == humanitarian.KindSite {
		next = "/sites/" + url.PathEscape(t.RecordID)
	}
	if t.Kind == humanitarian.KindMovement {
		next = "/movements/" + url.PathEscape(t.RecordID)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// relay relays a transmission to the coordinator, under an agreement in
// relay mode, to every other party the agreement names.
func (h *sitePages) relay(w http.ResponseWriter, r *http.Request) {
	if _, err := h.svc.Relay(r.Context(), r.PathValue("id")); err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/sites", http.StatusSeeOther)
}

// acknowledgeAll acknowledges every transmission the inbox page listed,
// signed with the party's custodial key, in one write.
func (h *sitePages) acknowledgeAll(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.u.fail(w, r, http.StatusBadRequest, "error.bad_request")
		return
	}
	if _, err := h.svc.AcknowledgeAll(r.Context(), r.PostForm["id"]); err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/sites", http.StatusSeeOther)
}

// geojson serves the sites (latest versions) as a FeatureCollection for
// the map's sites layer.
func (h *sitePages) geojson(w http.ResponseWriter, r *http.Request) {
	type feature struct {
		Type       string          `json:"type"`
		ID         string          `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: []feature{}}
	cursor := ""
	for range 20 { // at most 10,000 sites on the map
		ss, next, err := h.svc.ListSites(r.Context(), humanitarian.SiteFilter{Cursor: cursor, Limit: 500})
		if err != nil {
			h.u.serviceError(w, r, err)
			return
		}
		for _, s := range ss {
			if s.Status != humanitarian.SiteActive {
				continue
			}
			fc.Features = append(fc.Features, feature{"Feature", s.ID, s.Geometry, map[string]any{"name": s.Name,
				"category": s.Category, "organisation": s.Organisation, "buffer_m": s.BufferM, "version": s.Version, "kind": "site"}})
		}
		if cursor = next; next == "" {
			break
		}
	}
	w.Header().Set("Content-Type", "application/geo+json")
	json.NewEncoder(w).Encode(fc)
}

// addMovements adds the movements' pages to humanitarian notification's:
// each movement's page (its notification's acknowledgement board and its
// versions), its routes on the map coloured by acknowledgement state, and
// the proof download of a site or movement for an inquiry.
func (h *sitePages) addMovements() {
	h.u.AddPage(Page{Path: "/movements", Routes: map[string]http.HandlerFunc{
		"GET /movements/{id}": h.movement, "GET /movements.geojson": h.movementsGeoJSON,
		"GET /movements/{id}/proof": h.movementProof, "GET /sites/{id}/proof": h.siteProof, "GET /convoys.geojson": h.convoysGeoJSON,
		"POST /movements/{id}/trackers": h.issueTracker, "POST /movements/{id}/trackers/{device}/revoke": h.revokeTracker}})
	h.u.AddLayer(Layer{ID: "movements", TitleKey: "layer.movements", Kind: "geojson", Source: "/movements.geojson", Script: "humanitarian.js", Visible: true})
	h.u.AddLayer(Layer{ID: "convoys", TitleKey: "layer.convoys", Kind: "geojson", Source: "/convoys.geojson", Script: "humanitarian.js", Visible: true})
	h.addForms()
}

func (h *sitePages) movement(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	m, err := h.svc.FindMovement(ctx, r.PathValue("id"))
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	vs, err := h.svc.MovementVersions(ctx, m.ID)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	d := map[string]any{"Movement": m, "Versions": vs}
	if m.Notified > 0 {
		var v int64
		if s := r.URL.Query().Get("version"); s != "" {
			if v, err = strconv.ParseInt(s, 10, 64); err != nil || v < 1 {
				h.u.fail(w, r, http.StatusBadRequest, "error.bad_request")
				return
			}
		}
		b, err := h.svc.MovementBoard(ctx, m.ID, v)
		if err != nil {
			h.u.serviceError(w, r, err)
			return
		}
		d["Board"] = b
	}
	// The movement's own party manages its trackers (device tokens for
	// phones running OsmAnd) while it is on the road.
	if a := truce.CallerFrom(ctx); a != nil && (a.Party.ID == m.PartyID || a.IsAdmin()) &&
		(m.Status == humanitarian.MovementNotified || m.Status == humanitarian.MovementUnderWay) {
		ds, err := h.svc.Devices(ctx, m.ID)
		if err == nil {
			d["Trackers"], d["CanTrack"] = ds, true
		} else if truce.ErrorCode(err) != truce.EFORBIDDEN {
			h.u.serviceError(w, r, err)
			return
		}
	}
	h.u.render(w, r, http.StatusOK, "movement", d)
}

// issueTracker issues a device token for a tracker of the movement and
// shows it once, with the URL to put in OsmAnd's online tracking.
func (h *sitePages) issueTracker(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d, err := h.svc.IssueDevice(r.Context(), id, humanitarian.DeviceIssue{Name: r.PostFormValue("name")})
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// OsmAnd's URL template: {0} latitude, {1} longitude, {2} time, {6}
	// bearing.
	link := scheme + "://" + r.Host + "/api/v1/convoys/tracker?id=" + url.QueryEscape(d.Token) + "&lat={0}&lon={1}&timestamp={2}&bearing={6}"
	h.u.render(w, r, http.StatusOK, "tracker", map[string]any{"Device": d.Device, "Token": d.Token, "URL": link})
}

func (h *sitePages) revokeTracker(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := h.svc.RevokeDevice(r.Context(), id, r.PathValue("device")); err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/movements/"+url.PathEscape(id)+"#trackers", http.StatusSeeOther)
}

// ackState sums up a notification's board for the map: concern if any
// party raised one, silent if any has not answered, else acknowledged.
func ackState(rows []humanitarian.BoardRow) string {
	state := "acknowledged"
	for _, r := range rows {
		switch r.State {
		case string(humanitarian.Concern):
			return "concern"
		case "silent":
			state = "silent"
		}
	}
	return state
}

// movementsGeoJSON serves the movements' routes (latest versions, but
// those arrived or aborted) as a FeatureCollection for the map's
// movements layer, each with its acknowledgement state.
func (h *sitePages) movementsGeoJSON(w http.ResponseWriter, r *http.Request) {
	type feature struct {
		Type       string          `json:"type"`
		ID         string          `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: []feature{}}
	lang := h.u.cat.choose(r)
	cursor := ""
	for range 4 { // at most 2,000 movements on the map
		ms, next, err := h.svc.ListMovements(r.Context(), humanitarian.MovementFilter{Cursor: cursor, Limit: 500})
		if err != nil {
			h.u.serviceError(w, r, err)
			return
		}
		for _, m := range ms {
			if m.Status == humanitarian.MovementArrived || m.Status == humanitarian.MovementAborted {
				continue
			}
			state := "draft"
			if m.Notified > 0 {
				b, err := h.svc.MovementBoard(r.Context(), m.ID, 0)
				if err != nil {
					h.u.serviceError(w, r, err)
					return
				}
				state = ackState(b.Rows)
			}
			fc.Features = append(fc.Features, feature{"Feature", m.ID, m.Route, map[string]any{"kind": "movement", "name": m.Name,
				"organisation": m.Organisation, "status": m.Status, "status_label": h.u.cat.translate(lang, "movements.status_"+string(m.Status)),
				"state": state, "state_label": h.u.cat.translate(lang, "movements.map_"+state), "emergency": m.Emergency,
				"corridor_m": m.CorridorM, "version": m.Version, "departure": m.Departure.From,
				"details_label": h.u.cat.translate(lang, "movements.details")}})
		}
		if cursor = next; next == "" {
			break
		}
	}
	w.Header().Set("Content-Type", "application/geo+json")
	json.NewEncoder(w).Encode(fc)
}

// convoysGeoJSON serves the convoys under way that have reported a
// position as points for the map's convoys layer, each with its tracking
// state (on its route, off it, stopped, silent, behind its schedule).
func (h *sitePages) convoysGeoJSON(w http.ResponseWriter, r *http.Request) {
	type feature struct {
		Type       string         `json:"type"`
		ID         string         `json:"id"`
		Geometry   map[string]any `json:"geometry"`
		Properties map[string]any `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: []feature{}}
	cs, err := h.svc.Convoys(r.Context(), 0)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	lang := h.u.cat.choose(r)
	for _, c := range cs {
		if c.Position == nil {
			continue
		}
		m := c.Movement
		fc.Features = append(fc.Features, feature{"Feature", m.ID, map[string]any{"type": "Point", "coordinates": []float64{c.Position.Lon, c.Position.Lat}},
			map[string]any{"kind": "convoy", "name": m.Name, "organisation": m.Organisation, "state": c.State,
				"state_label": h.u.cat.translate(lang, "convoys.state_"+c.State), "distance_m": c.DistanceM, "time": c.Position.Time,
				"details_label": h.u.cat.translate(lang, "movements.details")}})
	}
	w.Header().Set("Content-Type", "application/geo+json")
	json.NewEncoder(w).Encode(fc)
}

func (h *sitePages) siteProof(w http.ResponseWriter, r *http.Request) {
	s, err := h.svc.FindSite(r.Context(), r.PathValue("id"))
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	h.sendProof(w, r, humanitarian.KindSite, s.ID, s.Version, func(ctx context.Context, v int64) ([]humanitarian.BoardRow, error) {
		b, err := h.svc.Board(ctx, s.ID, v)
		if err != nil {
			return nil, err
		}
		return b.Rows, nil
	})
}

func (h *sitePages) movementProof(w http.ResponseWriter, r *http.Request) {
	m, err := h.svc.FindMovement(r.Context(), r.PathValue("id"))
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	h.sendProof(w, r, humanitarian.KindMovement, m.ID, m.Version, func(ctx context.Context, v int64) ([]humanitarian.BoardRow, error) {
		b, err := h.svc.MovementBoard(ctx, m.ID, v)
		if err != nil {
			return nil, err
		}
		return b.Rows, nil
	})
}

// sendProof sends a site's or a movement's proof file for an inquiry, as
// `truce humanitarian proof` saves it, for `truce log verify-proof`.
func (h *sitePages) sendProof(w http.ResponseWriter, r *http.Request, kind, id string, latest int64, board func(context.Context, int64) ([]humanitarian.BoardRow, error)) {
	if h.u.svc.Proofs == nil {
		h.u.serviceError(w, r, truce.Errorf(truce.EUNAVAILABLE, "Proofs are not served here."))
		return
	}
	p, err := humanitarian.GatherProof(r.Context(), humanitarian.ProofSource{Board: board, RecordProofs: h.u.svc.Proofs.RecordProofs}, kind, id, latest)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="`+proofFileName(kind, id)+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(append(b, '\n'))
}

// addForms adds the forms that notify a site (a point placed on the map,
// or a polygon drawn) and a movement (its route drawn), each also taking
// an uploaded GeoJSON geometry or Feature.
func (h *sitePages) addForms() {
	h.u.AddPage(Page{Path: "/sites/new", Routes: map[string]http.HandlerFunc{
		"GET /sites/new": h.newSite, "POST /sites/new": h.notifySite,
		"GET /movements/new": h.newMovement, "POST /movements/new": h.notifyMovement}})
}

func (h *sitePages) drawForm(w http.ResponseWriter, r *http.Request, page, mode string, data map[string]any) {
	ags, err := h.u.allAgreements(r.Context())
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	cfg := h.u.mapConfig(r)
	cfg.Draw, cfg.DrawMode, cfg.Layers = true, mode, nil
	data["Agreements"], data["Config"] = ags, cfg
	h.u.render(w, r, http.StatusOK, page, data)
}

func (h *sitePages) newSite(w http.ResponseWriter, r *http.Request) {
	h.drawForm(w, r, "site_new", "site", map[string]any{"Categories": humanitarian.Categories})
}

func (h *sitePages) newMovement(w http.ResponseWriter, r *http.Request) {
	h.drawForm(w, r, "movement_new", "line", map[string]any{"Kinds": humanitarian.MovementKinds})
}

// formGeometry is the geometry drawn on the map or uploaded: an uploaded
// Feature gives its geometry, and a route may be uploaded as the GPX track
// or route, or the KML LineString, that a GPS unit or a GIS tool exports
// (humanitarian.ParseRoute, which names every bad point).
func formGeometry(r *http.Request, what string) (json.RawMessage, error) {
	geom := []byte(strings.TrimSpace(r.PostFormValue("geometry")))
	if f, fh, err := r.FormFile("file"); err == nil {
		b, err := io.ReadAll(io.LimitReader(f, maxUpload+1))
		f.Close()
		if err != nil || len(b) > maxUpload {
			return nil, truce.Errorf(truce.ETOOLARGE, "An uploaded file is at most %d bytes.", maxUpload)
		}
		if ext := strings.ToLower(filepath.Ext(fh.Filename)); what == "route" && (ext == ".gpx" || ext == ".kml") {
			return humanitarian.ParseRoute(ext[1:], b)
		}
		if len(strings.TrimSpace(string(b))) > 0 {
			geom = b
		}
	}
	if len(geom) == 0 {
		return nil, truce.Errorf(truce.EINVALID, "Draw the %s on the map or upload a GeoJSON file.", what)
	}
	var head struct {
		Type     string          `json:"type"`
		Geometry json.RawMessage `json:"geometry"`
	}
	if err := json.Unmarshal(geom, &head); err != nil {
		return nil, truce.Errorf(truce.EINVALID, "The file is not GeoJSON: %v.", err)
	}
	if head.Type == "Feature" {
		return head.Geometry, nil
	}
	return geom, nil
}

// formNumber reads a whole or decimal number field ("" is 0).
func formNumber(r *http.Request, name string) (float64, error) {
	v := strings.TrimSpace(r.PostFormValue(name))
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, truce.Errorf(truce.EINVALID, "%s: %q is not a number.", name, v)
	}
	return f, nil
}

func (h *sitePages) notifySite(w http.ResponseWriter, r *http.Request) {
	c := humanitarian.SiteCreate{AgreementID: r.PostFormValue("agreement"), SiteFields: humanitarian.SiteFields{
		Name: r.PostFormValue("name"), Category: humanitarian.Category(r.PostFormValue("category")),
		Organisation: r.PostFormValue("organisation"), Contact: r.PostFormValue("contact")}}
	var err error
	if c.Geometry, err = formGeometry(r, "site"); err == nil {
		var capacity float64
		if capacity, err = formNumber(r, "capacity"); err == nil {
			c.Capacity = int(capacity)
			c.BufferM, err = formNumber(r, "buffer_m")
		}
	}
	var from *time.Time
	if err == nil {
		if from, err = parseLocalTime(r.PostFormValue("valid_from")); err == nil {
			c.ValidTo, err = parseLocalTime(r.PostFormValue("valid_to"))
		}
	}
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	c.ValidFrom = time.Now().UTC()
	if from != nil {
		c.ValidFrom = *from
	}
	s, err := h.svc.NotifySite(r.Context(), c)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/sites/"+url.PathEscape(s.ID), http.StatusSeeOther)
}

func (h *sitePages) notifyMovement(w http.ResponseWriter, r *http.Request) {
	c := humanitarian.MovementCreate{AgreementID: r.PostFormValue("agreement"), Notify: r.PostFormValue("notify") != "",
		MovementFields: humanitarian.MovementFields{Name: r.PostFormValue("name"), Organisation: r.PostFormValue("organisation"),
			Kind: humanitarian.MovementKind(r.PostFormValue("kind")), Cargo: r.PostFormValue("cargo"),
			Emergency: r.PostFormValue("emergency") != ""}}
	for _, x := range strings.Split(r.PostFormValue("crossings"), ",") {
		if x = strings.TrimSpace(x); x != "" {
			c.Crossings = append(c.Crossings, x)
		}
	}
	err := func() error {
		var err error
		if c.Route, err = formGeometry(r, "route"); err != nil {
			return err
		}
		if c.CorridorM, err = formNumber(r, "corridor_m"); err != nil {
			return err
		}
		personnel, err := formNumber(r, "personnel")
		if err != nil {
			return err
		}
		count, err := formNumber(r, "vehicle_count")
		if err != nil {
			return err
		}
		c.Personnel = int(personnel)
		c.Vehicles = []humanitarian.Vehicle{{Count: int(count), Type: strings.TrimSpace(r.PostFormValue("vehicle_type"))}}
		for _, f := range []struct {
			name string
			dst  *time.Time
		}{{"departure_from", &c.Departure.From}, {"departure_to", &c.Departure.To}, {"arrival_from", &c.Arrival.From}, {"arrival_to", &c.Arrival.To}} {
			t, err := parseLocalTime(r.PostFormValue(f.name))
			if err != nil {
				return err
			}
			if t != nil {
				*f.dst = *t
			}
		}
		return nil
	}()
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	m, err := h.svc.CreateMovement(r.Context(), c)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/movements/"+url.PathEscape(m.ID), http.StatusSeeOther)
}
