package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

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
