package ui

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/observation"
)

// AddObservation adds ceasefire observation's pages: the observation form
// (observers and operators of a monitoring mission), the verification
// queue, the incident page with its decision form, and the daily report
// with its charts and publication.
func (u *UI) AddObservation(o api.Observations) {
	h := &observationPages{u: u, o: o}
	u.AddPage(Page{Path: "/observations/new", NavKey: "nav.observe", Order: 22, Roles: []truce.Role{truce.RoleObserver, truce.RoleOperator},
		Routes: map[string]http.HandlerFunc{"GET /observations/new": h.form, "POST /observations": h.add}})
	u.AddPage(Page{Path: "/incidents", NavKey: "nav.incidents", Order: 23, Routes: map[string]http.HandlerFunc{
		"GET /incidents": h.queue, "GET /incidents/{id}": h.incident, "POST /incidents/{id}/decide": h.decide,
		"POST /incidents/{id}/merge": h.merge, "POST /incidents/{id}/split": h.split}})
	u.AddPage(Page{Path: "/reports/daily", NavKey: "nav.reports", Order: 24, Routes: map[string]http.HandlerFunc{
		"GET /reports/daily": h.report, "POST /reports/daily/publish": h.publish}})
}

type observationPages struct {
	u *UI
	o api.Observations
}

// render shows the observation form: the choices and, after a refusal,
// what was entered and why it was refused.
func (h *observationPages) render(w http.ResponseWriter, r *http.Request, status int, values url.Values, msg string) {
	if values == nil {
		now := time.Now().UTC().Format("2006-01-02T15:04")
		values = url.Values{"start": {now}, "end": {now}, "loc": {"bearing"}, "bearing_error": {"5"}, "mode": {"heard"}}
	}
	h.u.render(w, r, status, "observation_new", map[string]any{"Modes": observation.Modes, "Categories": observation.CategoryList,
		"Subs": observation.Categories[observation.CatExplosion].SubCategories, "V": values, "Error": msg,
		"MaxEvidenceBytes": observation.MaxEvidenceBytes, "MaxEvidenceMiB": observation.MaxEvidenceBytes >> 20,
		"MaxEvidenceFiles": observation.MaxEvidencePerObservation, "EvidenceTypes": evidenceAccept})
}

func (h *observationPages) form(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, nil, "")
}

// num parses a form number; empty is 0.
func num(v url.Values, name string) (float64, error) {
	s := strings.TrimSpace(v.Get(name))
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, truce.Errorf(truce.EINVALID, "%s is not a number.", name)
	}
	return f, nil
}

// inputOf reads the observation form.
func inputOf(v url.Values) (observation.Input, error) {
	in := observation.Input{Mode: observation.Mode(v.Get("mode")), Category: observation.Category(v.Get("category")),
		SubCategory: strings.TrimSpace(v.Get("sub_category")), Weapon: v.Get("weapon"), Actor: v.Get("actor"), Narrative: v.Get("narrative")}
	var err error
	f := func(name string) float64 {
		x, e := num(v, name)
		if e != nil && err == nil {
			err = e
		}
		return x
	}
	n := func(name string) int { return int(f(name)) }
	in.Position = observation.Point{Lon: f("obs_lon"), Lat: f("obs_lat")}
	if v.Get("loc") == "point" {
		in.Location, in.Accuracy = &observation.Point{Lon: f("lon"), Lat: f("lat")}, f("accuracy")
	} else {
		in.Bearing = &observation.Bearing{Degrees: f("bearing"), Error: f("bearing_error"), MinDistance: f("dmin"), MaxDistance: f("dmax")}
	}
	in.Events = observation.Count{Best: n("events_best"), Low: n("events_low"), High: n("events_high")}
	in.Casualties = observation.Count{Best: n("cas_best"), Low: n("cas_low"), High: n("cas_high")}
	in.Confidence = f("confidence")
	if err != nil {
		return in, err
	}
	for _, t := range []struct {
		name string
		to   *time.Time
	}{{"start", &in.Start}, {"end", &in.End}} {
		p, err := parseLocalTime(v.Get(t.name))
		if err != nil {
			return in, err
		}
		if p == nil {
			return in, truce.Errorf(truce.EINVALID, "%s is required.", t.name)
		}
		*t.to = *p
	}
	return in, nil
}

func (h *observationPages) add(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.u.fail(w, r, http.StatusBadRequest, "error.bad_request")
		return
	}
	in, err := inputOf(r.PostForm)
	if err == nil {
		var o *observation.Observation
		if o, err = h.o.AddObservation(r.Context(), in); err == nil {
			http.Redirect(w, r, "/incidents/"+url.PathEscape(o.IncidentID)+"?filed="+url.QueryEscape(o.ID), http.StatusSeeOther)
			return
		}
	}
	if c := truce.ErrorCode(err); c != truce.EINVALID && c != truce.EFORBIDDEN {
		h.u.serviceError(w, r, err)
		return
	}
	h.render(w, r, api.StatusOf(truce.ErrorCode(err)), r.PostForm, truce.ErrorMessage(err))
}

// queue is the verification queue: the incidents awaiting the centre's
// decision (reported and corroborated), or those of another status.
func (h *observationPages) queue(w http.ResponseWriter, r *http.Request) {
	st := observation.Status(r.URL.Query().Get("status"))
	statuses := []observation.Status{observation.StatusReported, observation.StatusCorroborated, observation.StatusVerified, observation.StatusDisputed, observation.StatusRejected}
	want := statuses[:2]
	if st != "" {
		want = []observation.Status{st}
	}
	var all []*observation.Incident
	for _, s := range want {
		is, _, err := h.o.ListIncidents(r.Context(), observation.IncidentFilter{Status: s, Limit: 200})
		if err != nil {
			h.u.serviceError(w, r, err)
			return
		}
		all = append(all, is...)
	}
	h.u.render(w, r, http.StatusOK, "incidents", map[string]any{"Incidents": all, "Status": string(st), "Statuses": statuses})
}

func (h *observationPages) incident(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	inc, err := h.o.FindIncident(ctx, r.PathValue("id"))
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	obs, _, err := h.o.ListObservations(ctx, observation.Filter{IncidentID: inc.ID, Limit: 500})
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	names, _, err := h.u.parties(ctx)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	a := truce.CallerFrom(ctx)
	var actions []observation.Action
	for _, act := range []observation.Action{observation.ActionVerify, observation.ActionDispute, observation.ActionReject} {
		if _, err := observation.Move(inc.Status, act); err == nil && observation.CanDecide(a, act) == nil {
			actions = append(actions, act)
		}
	}
	evidence, err := h.evidence(ctx, obs)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	acled := observation.ACLEDType(inc.Category, inc.SubCategory)
	regroup := observation.CanDecide(a, observation.ActionVerify) == nil &&
		(inc.Status == observation.StatusReported || inc.Status == observation.StatusCorroborated)
	h.u.render(w, r, http.StatusOK, "incident", map[string]any{"Incident": inc, "Observations": obs, "Parties": names,
		"Actions": actions, "ACLED": acled, "Filed": r.URL.Query().Get("filed"), "Regroup": regroup, "Evidence": evidence})
}

// evidenceAccept is the observation form's file types: those
// observation.EvidenceTypes accepts, with the names browsers give WAV and
// Ogg files.
const evidenceAccept = "image/jpeg,image/png,video/mp4,video/webm,audio/mpeg,audio/wav,audio/wave,audio/ogg,application/ogg,application/pdf"

// evidenceItem is an evidence file as the incident page shows it: its
// record as the caller may read it, the observation citing it, and what
// the caller downloads (Copy: the copy without metadata, for another
// party; Withheld: nothing, when that copy cannot be made).
type evidenceItem struct {
	*observation.Evidence
	Observation string
	Copy        bool
	Withheld    bool
	Href        string
}

// evidence returns the evidence files the observations cite, in order,
// each once. A file whose record is missing is an error: an observation
// is accepted only citing evidence its party uploaded.
func (h *observationPages) evidence(ctx context.Context, obs []*observation.Observation) ([]evidenceItem, error) {
	a := truce.CallerFrom(ctx)
	seen := map[string]bool{}
	var out []evidenceItem
	for _, o := range obs {
		for _, sum := range o.Evidence {
			if seen[sum] || len(out) >= 200 {
				continue
			}
			seen[sum] = true
			e, err := h.o.FindEvidence(ctx, sum)
			if err != nil {
				return nil, err
			}
			own := a.Party.ID == e.PartyID
			it := evidenceItem{Evidence: e, Observation: o.ID, Copy: !own, Withheld: !own && e.Shared == "",
				Href: "/ui/api/v1/evidence/" + url.PathEscape(e.SHA256) + "/file"}
			out = append(out, it)
		}
	}
	return out, nil
}

func (h *observationPages) decide(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	d := observation.DecisionInput{Action: observation.Action(r.PostFormValue("action")), Reason: r.PostFormValue("reason"), Version: version}
	if _, err := h.o.DecideIncident(r.Context(), id, d); err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/incidents/"+url.PathEscape(id), http.StatusSeeOther)
}

// serviceWorker serves the service worker (static/sw.js) from the root,
// so that its scope covers the observation form, revalidated on every
// load so a new binary's worker replaces the old one.
func (u *UI) serviceWorker(w http.ResponseWriter, r *http.Request) {
	b, err := staticFS.ReadFile("static/sw.js")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

// ids reads a form's list of identifiers: repeated fields, or one field
// separated by commas or spaces.
func ids(vs []string) []string {
	var out []string
	for _, v := range vs {
		out = append(out, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })...)
	}
	return out
}

// merge merges the incidents named in the form into this one.
func (h *observationPages) merge(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := h.o.MergeIncidents(r.Context(), id, observation.MergeInput{From: ids(r.PostForm["from"]), Reason: r.PostFormValue("reason")}); err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/incidents/"+url.PathEscape(id), http.StatusSeeOther)
}

// split moves the observations ticked in the form into a new incident,
// and shows it.
func (h *observationPages) split(w http.ResponseWriter, r *http.Request) {
	inc, err := h.o.SplitIncident(r.Context(), r.PathValue("id"), observation.SplitInput{Observations: ids(r.PostForm["observation"]), Reason: r.PostFormValue("reason")})
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/incidents/"+url.PathEscape(inc.ID), http.StatusSeeOther)
}
