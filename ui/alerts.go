package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
)

var (
	alertKinds  = []truce.AlertKind{truce.AlertZoneEntry, truce.AlertZoneExit, truce.AlertPredictedEntry, truce.AlertProximity, truce.AlertSquawk, truce.AlertTrackTableFull}
	alertStates = []truce.AlertState{truce.AlertOpen, truce.AlertAcknowledged, truce.AlertClosed}
)

// partyPalette colours aircraft by party: distinct from the zone kinds'
// reds and greens, and from the grey of unattributed aircraft.
var partyPalette = []string{"#1c7ed6", "#d6336c", "#f59f00", "#7048e8", "#0ca678", "#e8590c", "#1098ad", "#5c940d", "#ae3ec9", "#364fc7"}

// addMonitor adds what the airspace monitor brings: the alert pages, the
// aircraft and alert layers of the map, and the registry and feed forms
// of the administration.
func (u *UI) addMonitor() {
	u.AddPage(Page{Path: "/alerts", NavKey: "nav.alerts", Order: 25, Routes: map[string]http.HandlerFunc{
		"GET /alerts": u.alerts, "GET /alerts/{id}": u.alert, "GET /alerts/{id}/cap.xml": u.alertCAP,
		"POST /alerts/{id}/acknowledge": u.moveAlert(false), "POST /alerts/{id}/close": u.moveAlert(true)}})
	u.AddPage(Page{Routes: map[string]http.HandlerFunc{
		"POST /admin/aircraft": u.registerAircraft, "POST /admin/aircraft/{id}/remove": u.removeAircraft,
		"POST /admin/feeds": u.addFeed, "POST /admin/feeds/{id}/remove": u.removeFeed}})
	// Tracks are polled: a snapshot every two seconds is what a person
	// can follow, and it needs no per-position events on the bus.
	u.AddLayer(Layer{ID: "aircraft", TitleKey: "layer.aircraft", Kind: "tracks", Source: "/ui/api/v1/tracks", Script: "monitor.js", Visible: true})
	u.AddLayer(Layer{ID: "alerts", TitleKey: "layer.alerts", Kind: "sse", Source: "/ui/api/v1/events?kind=alert", Script: "monitor.js", Visible: true})
}

// partyColors gives every party the caller can see a colour, in slug
// order so that a party keeps its colour from page to page.
func (u *UI) partyColors(r *http.Request) []mapParty {
	_, all, err := u.parties(r.Context())
	if err != nil {
		return nil
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Slug < all[j].Slug })
	out := make([]mapParty, len(all))
	for i, p := range all {
		out[i] = mapParty{ID: p.ID, Name: p.Name, Color: partyPalette[i%len(partyPalette)]}
	}
	return out
}

// alertQuery is the alert list's filter as the form holds it.
type alertQuery struct {
	Kind, State, Since, Cursor string
	// Ongoing lists only the open episodes: what is still happening.
	Ongoing bool
}

func (q alertQuery) filter() (truce.AlertFilter, error) {
	f := truce.AlertFilter{Kind: truce.AlertKind(q.Kind), State: truce.AlertState(q.State), Cursor: q.Cursor, Ongoing: q.Ongoing, Limit: 50}
	if q.Kind != "" && !slices.Contains(alertKinds, f.Kind) {
		return f, truce.Errorf(truce.EINVALID, "Unknown alert kind %q.", q.Kind)
	}
	if q.State != "" && !slices.Contains(alertStates, f.State) {
		return f, truce.Errorf(truce.EINVALID, "Unknown alert state %q.", q.State)
	}
	t, err := parseLocalTime(q.Since)
	if err != nil {
		return f, err
	}
	if t != nil {
		f.Since = *t
	}
	return f, nil
}

// next is the query of the following page.
func (q alertQuery) next(cursor string) string {
	v := make([]string, 0, 4)
	ongoing := ""
	if q.Ongoing {
		ongoing = "true"
	}
	for _, kv := range [][2]string{{"kind", q.Kind}, {"state", q.State}, {"ongoing", ongoing}, {"since", q.Since}, {"cursor", cursor}} {
		if kv[1] != "" {
			v = append(v, kv[0]+"="+url.QueryEscape(kv[1]))
		}
	}
	return "/alerts?" + strings.Join(v, "&")
}

func (u *UI) alerts(w http.ResponseWriter, r *http.Request) {
	qv := r.URL.Query()
	q := alertQuery{Kind: qv.Get("kind"), State: qv.Get("state"), Since: qv.Get("since"), Cursor: qv.Get("cursor"), Ongoing: qv.Get("ongoing") == "true"}
	f, err := q.filter()
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	as, next, err := u.svc.Alerts.ListAlerts(r.Context(), f)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	names, _, err := u.parties(r.Context())
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	d := map[string]any{"Alerts": as, "Query": q, "Kinds": alertKinds, "States": alertStates, "Parties": names}
	if next != "" {
		d["Next"] = q.next(next)
	}
	u.render(w, r, http.StatusOK, "alerts", d)
}

// alertEvidence is what the evidence map draws: the alert's evidence
// (airspace.Evidence), its point and its zone's geometry.
type alertEvidence struct {
	History  []airspace.EvidencePoint `json:"history,omitempty"`
	Trigger  []airspace.EvidencePoint `json:"trigger,omitempty"`
	Other    []airspace.EvidencePoint `json:"other_trigger,omitempty"`
	Point    [2]float64               `json:"point"`
	Zone     json.RawMessage          `json:"zone,omitempty"`
	Relocate bool                     `json:"relocated,omitempty"`
}

func (u *UI) alert(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := u.svc.Alerts.FindAlert(ctx, r.PathValue("id"))
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	names, _, err := u.parties(ctx)
	if err != nil {
		u.serviceError(w, r, err)
		return
	}
	ev := alertEvidence{Point: [2]float64{a.Lon, a.Lat}, Relocate: a.Relocated}
	// Evidence is the engine's; a record without it (or with another
	// engine's shape) still shows its position.
	if len(a.Evidence) > 0 {
		var e airspace.Evidence
		json.Unmarshal(a.Evidence, &e)
		ev.History, ev.Trigger, ev.Other = e.History, e.Trigger, e.OtherTrigger
	}
	var zone *truce.Zone
	if a.ZoneID != "" {
		// The zone may be out of the reader's sight or gone: the alert
		// stands on its own.
		if z, err := u.svc.Zones.FindZone(ctx, a.ZoneID); err == nil {
			zone = z
			if hist, err := u.svc.Zones.ZoneHistory(ctx, a.ZoneID); err == nil && len(hist) > 0 {
				v := hist[len(hist)-1]
				if z.Current > 0 && z.Current <= len(hist) {
					v = hist[z.Current-1]
				}
				ev.Zone = v.Spec.Geometry
			}
		}
	}
	evJSON, _ := json.Marshal(ev)
	cfg := u.mapConfig(r)
	cfg.ZonesURL, cfg.Layers = "", nil
	c := truce.CallerFrom(ctx)
	canAck, canClose := truce.CanAcknowledge(a, c) == nil, truce.CanClose(a, c) == nil
	u.render(w, r, http.StatusOK, "alert", map[string]any{"Alert": a, "Zone": zone, "Parties": names, "Evidence": string(evJSON),
		"Config": cfg, "Points": len(ev.History), "CanAck": canAck, "CanClose": canClose,
		"OwnKey": canAck && !c.Party.Custodial, "Awaiting": a.Awaiting(),
		"AckBy": partyOfActor(a.AcknowledgedBy, names), "ClosedBy": partyOfActor(a.ClosedBy, names)})
}

// partyOfActor names the party of a "party-id/user-id" actor reference.
func partyOfActor(who string, names map[string]*truce.Party) string {
	party, _, _ := strings.Cut(who, "/")
	if p := names[party]; p != nil {
		return p.Name
	}
	return who
}

// moveAlert acknowledges or closes an alert, then returns to the page the
// form was on (the inbox or the alert).
func (u *UI) moveAlert(close bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, note := r.PathValue("id"), strings.TrimSpace(r.PostFormValue("note"))
		var err error
		if close {
			_, err = u.svc.Alerts.CloseAlert(r.Context(), id, note)
		} else {
			_, err = u.svc.Alerts.AcknowledgeAlert(r.Context(), id, truce.AlertAckInput{Note: note})
		}
		if err != nil {
			u.serviceError(w, r, err)
			return
		}
		next := r.PostFormValue("next")
		if next == "" {
			next = "/alerts/" + url.PathEscape(id)
		}
		http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	}
}

// alertCAP serves the alert's CAP 1.2 document from the API as the
// signed-in user, so a browser can open and save it.
func (u *UI) alertCAP(w http.ResponseWriter, r *http.Request) {
	if u.svc.API == nil {
		http.NotFound(w, r)
		return
	}
	id := r.PathValue("id")
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/cap/alerts/" + id + ".xml"
	r2.URL.RawPath, r2.URL.RawQuery = "", ""
	r2.RequestURI = r2.URL.RequestURI()
	r2.Header.Set("Authorization", "Bearer "+SessionFrom(r.Context()).Token)
	r2.Header.Del("Cookie")
	w.Header().Set("Content-Disposition", `inline; filename="alert-`+strings.Map(safeFileRune, id)+`.xml"`)
	u.svc.API.ServeHTTP(w, r2)
}

func safeFileRune(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
		return r
	}
	return '_'
}

// openAlerts are the alerts awaiting the caller's party's acknowledgement,
// for the inbox: those that concern it (every one, for the monitoring
// mission and the coordinator) that it has not acknowledged.
func (u *UI) openAlerts(r *http.Request) ([]*truce.Alert, error) {
	if u.svc.Alerts == nil {
		return nil, nil
	}
	as, _, err := u.svc.Alerts.ListAlerts(r.Context(), truce.AlertFilter{State: truce.AlertOpen, Limit: 100})
	c := truce.CallerFrom(r.Context())
	return slices.DeleteFunc(as, func(a *truce.Alert) bool { return truce.CanAcknowledge(a, c) != nil }), err
}

func (u *UI) registerAircraft(w http.ResponseWriter, r *http.Request) {
	ac := truce.Aircraft{PartyID: r.PostFormValue("party"), Note: strings.TrimSpace(r.PostFormValue("note"))}
	id := strings.TrimSpace(r.PostFormValue("ident"))
	switch r.PostFormValue("by") {
	case "icao":
		ac.ICAO = id
	case "callsign":
		ac.CallsignPrefix = id
	default:
		u.fail(w, r, http.StatusBadRequest, "error.bad_request")
		return
	}
	if _, err := u.svc.Aircraft.RegisterAircraft(r.Context(), ac); err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin#aircraft", http.StatusSeeOther)
}

func (u *UI) removeAircraft(w http.ResponseWriter, r *http.Request) {
	if _, err := u.svc.Aircraft.RemoveAircraft(r.Context(), r.PathValue("id")); err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin#aircraft", http.StatusSeeOther)
}

func (u *UI) addFeed(w http.ResponseWriter, r *http.Request) {
	f := truce.FeedSource{Kind: "sbs", Addr: strings.TrimSpace(r.PostFormValue("addr")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	if _, err := u.svc.Feeds.AddFeed(r.Context(), f); err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin#feeds", http.StatusSeeOther)
}

func (u *UI) removeFeed(w http.ResponseWriter, r *http.Request) {
	if _, err := u.svc.Feeds.RemoveFeed(r.Context(), r.PathValue("id")); err != nil {
		u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin#feeds", http.StatusSeeOther)
}
