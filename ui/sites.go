package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

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
		"GET /sites.geojson": h.geojson}})
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
	d := map[string]any{"Inbox": items, "Sites": sites, "Movements": movements}
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
