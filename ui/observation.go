package ui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
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
		"GET /incidents": h.queue, "GET /incidents/{id}": h.incident, "POST /incidents/{id}/decide": h.decide, "POST /incidents/{id}/respond": h.respond,
		"POST /incidents/{id}/merge": h.merge, "POST /incidents/{id}/split": h.split, "POST /incidents/{id}/move": h.move}})
	u.AddPage(Page{Path: "/reports/daily", NavKey: "nav.reports", Order: 24, Routes: map[string]http.HandlerFunc{
		"GET /reports/daily": h.report, "POST /reports/daily/publish": h.publish}})
	u.AddPage(Page{Path: "/violations", NavKey: "nav.violations", Order: 24, Routes: map[string]http.HandlerFunc{"GET /violations": h.violations}})
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
	respond := mayRespond(a, inc)
	h.u.render(w, r, http.StatusOK, "incident", map[string]any{"Incident": inc, "Observations": obs, "Parties": names,
		"Actions": actions, "ACLED": acled, "Filed": r.URL.Query().Get("filed"), "Regroup": regroup, "Evidence": evidence,
		"Respond": respond, "RespondOwnKey": respond && !a.Party.Custodial})
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

// mayRespond reports whether the incident page offers a the response
// form: the incident is a verified violation attributed to a's party (by
// its slug or id, as observation resolves the actor), a is an operator
// or administrator, and the party has not answered. The service checks
// again.
func mayRespond(a *truce.Caller, inc *observation.Incident) bool {
	if a == nil || inc.Status != observation.StatusVerified || len(inc.Violations) == 0 || inc.Actor == "" {
		return false
	}
	if inc.Actor != a.Party.Slug && inc.Actor != a.Party.ID {
		return false
	}
	if !a.IsAdmin() && !a.User.HasRole(truce.RoleOperator) {
		return false
	}
	for _, r := range inc.Responses {
		if r.PartyID == a.Party.ID {
			return false
		}
	}
	return true
}

// respond records the responsible party's response from the incident
// page's form, signed by the server with a custodial party's key.
func (h *observationPages) respond(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	in := observation.ResponseInput{Stance: observation.Stance(r.PostFormValue("stance")), Text: r.PostFormValue("text"), Version: version}
	if _, err := h.o.RespondIncident(r.Context(), id, in); err != nil {
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

// move moves the observations named in the form, of other incidents, into
// this one.
func (h *observationPages) move(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := h.o.MoveObservations(r.Context(), id, observation.MoveInput{Observations: ids(r.PostForm["observation"]), Reason: r.PostFormValue("reason")}); err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/incidents/"+url.PathEscape(id), http.StatusSeeOther)
}

// reportTrendDays is how many days the report's charts show.
const reportTrendDays = 30

// reportSeries is how many series a chart shows before it sums the rest
// as "other".
const reportSeries = 7

// reportDay reads the page's day (YYYY-MM-DD, UTC); today when absent.
func reportDay(v string) (time.Time, error) {
	if v == "" {
		n := time.Now().UTC()
		return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, truce.Errorf(truce.EINVALID, "day is a date, YYYY-MM-DD.")
	}
	return d, nil
}

// report shows the daily report of a day: its totals against the day
// before, by category, area, party and zone, the charts of the 30 days
// it ends, and its publication (the hash journalled), with the form to
// publish it for the mission's operators.
func (h *observationPages) report(w http.ResponseWriter, r *http.Request) {
	day, err := reportDay(r.URL.Query().Get("day"))
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	h.renderReport(w, r, http.StatusOK, day, "")
}

func (h *observationPages) renderReport(w http.ResponseWriter, r *http.Request, status int, day time.Time, msg string) {
	ctx := r.Context()
	rep, err := h.o.DailyReport(ctx, day)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	b, err := json.Marshal(rep)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	sum := sha256.Sum256(b)
	current := hex.EncodeToString(sum[:])
	pub, err := h.o.PublishedReport(ctx, day)
	if err != nil && truce.ErrorCode(err) != truce.ENOTFOUND {
		h.u.serviceError(w, r, err)
		return
	}
	trend, err := h.trend(ctx, day)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	names, _, err := h.u.parties(ctx)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	var cats, govs []chartSeries
	for _, c := range observation.Keys(trend.ByCategory) {
		cats = append(cats, chartSeries{LabelKey: "obs.cat." + string(c), Key: string(c), Values: trend.ByCategory[c]})
	}
	for _, g := range observation.Keys(trend.ByGovernorate) {
		s := chartSeries{Label: g, Key: g, Values: trend.ByGovernorate[g]}
		if g == "" {
			s.Label, s.LabelKey, s.Key = "", "report.area_unknown", "unknown"
		}
		govs = append(govs, s)
	}
	a := truce.CallerFrom(ctx)
	data := map[string]any{
		"Day": rep.Day, "Report": rep, "Parties": names, "Error": msg,
		"Prev": day.AddDate(0, 0, -1).Format(time.DateOnly), "Next": day.AddDate(0, 0, 1).Format(time.DateOnly),
		"Change": rep.Total.Incidents - rep.Previous.Incidents, "ChangeViolations": rep.Total.Violations - rep.Previous.Violations,
		"Current": current, "CanPublish": observation.CanDecide(a, observation.ActionVerify) == nil,
		"Charts": []reportChart{{ID: "chart-category", TitleKey: "report.chart_category", C: stackedBars(trend.Days, capSeries(cats))},
			{ID: "chart-governorate", TitleKey: "report.chart_governorate", C: stackedBars(trend.Days, capSeries(govs))}},
		"TrendDays": reportTrendDays, "Governorates": governorates(rep.ByArea),
		"CSV":   "/ui/api/v1/reports/daily?day=" + url.QueryEscape(rep.Day) + "&format=csv",
		"ACLED": "/ui/api/v1/reports/daily?day=" + url.QueryEscape(rep.Day) + "&format=acled",
	}
	if pub != nil {
		data["Published"] = pub.Publication
		data["Unchanged"] = pub.Publication.SHA256 == current
	}
	h.u.render(w, r, status, "report", data)
}

// reportChart is one of the report's charts.
type reportChart struct {
	ID, TitleKey string
	C            barChart
}

// governorates returns the report's governorate totals (4-character
// P-codes).
func governorates(as []observation.AreaTotals) []observation.AreaTotals {
	var out []observation.AreaTotals
	for _, a := range as {
		if len(a.PCode) == 4 {
			out = append(out, a)
		}
	}
	return out
}

// capSeries keeps the first reportSeries series and sums the rest into
// one, "other".
func capSeries(ss []chartSeries) []chartSeries {
	if len(ss) <= reportSeries {
		return ss
	}
	other := chartSeries{LabelKey: "report.other", Key: "other", Values: make([]int, len(ss[0].Values))}
	for _, s := range ss[reportSeries-1:] {
		for i, v := range s.Values {
			other.Values[i] += v
		}
	}
	return append(ss[:reportSeries-1:reportSeries-1], other)
}

// trend reads the incidents of the reportTrendDays days ending with day
// and counts them (observation.BuildTrend), at most
// observation.MaxReportIncidents.
func (h *observationPages) trend(ctx context.Context, day time.Time) (*observation.Trend, error) {
	from := day.AddDate(0, 0, 1-reportTrendDays)
	var all []*observation.Incident
	for cursor := ""; ; {
		page, next, err := h.o.ListIncidents(ctx, observation.IncidentFilter{From: from, Until: day.AddDate(0, 0, 1), Cursor: cursor, Limit: 500})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(all) > observation.MaxReportIncidents {
			return nil, truce.Errorf(truce.ETOOLARGE, "More than %d incidents in the %d days to %s.", observation.MaxReportIncidents, reportTrendDays, day.Format(time.DateOnly))
		}
		if next == "" {
			break
		}
		cursor = next
	}
	return observation.BuildTrend(day, reportTrendDays, all), nil
}

// publish publishes the day's report (its hash journalled), with the
// reason a new version needs; a refusal is shown on the report page.
func (h *observationPages) publish(w http.ResponseWriter, r *http.Request) {
	day, err := reportDay(r.PostFormValue("day"))
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	if _, err := h.o.PublishReport(r.Context(), day, strings.TrimSpace(r.PostFormValue("reason"))); err != nil {
		if c := truce.ErrorCode(err); c == truce.EINVALID {
			h.renderReport(w, r, http.StatusBadRequest, day, truce.ErrorMessage(err))
			return
		}
		h.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/reports/daily?day="+url.QueryEscape(day.Format(time.DateOnly))+"#report-publication", http.StatusSeeOther)
}

// violationScan bounds the incidents the violations page reads for one
// date range; past it the page says so and asks for a narrower range.
const violationScan = 5000

// violationMaxDays bounds the date range the violations page covers.
const violationMaxDays = 366

// violationRow is one violation on the violations page: the incident
// judged to break a rule, and the rule's zone and agreement.
type violationRow struct {
	Incident  *observation.Incident
	Violation observation.Violation
}

// violationQuery is the violations page's filter as read from the URL:
// incidents that started from From to Until (UTC days, both included),
// with a violation in Zone, reported by or attributed to Party.
type violationQuery struct {
	From, Until time.Time
	Zone, Party string
}

func readViolationQuery(r *http.Request, now time.Time) (violationQuery, error) {
	q := r.URL.Query()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	v := violationQuery{From: today.AddDate(0, 0, -29), Until: today, Zone: strings.TrimSpace(q.Get("zone")), Party: strings.TrimSpace(q.Get("party"))}
	for name, d := range map[string]*time.Time{"from": &v.From, "until": &v.Until} {
		if s := strings.TrimSpace(q.Get(name)); s != "" {
			t, err := time.Parse(time.DateOnly, s)
			if err != nil {
				return v, truce.Errorf(truce.EINVALID, "%s must be a date like 2026-12-07.", name)
			}
			*d = t
		}
	}
	if v.Until.Before(v.From) {
		return v, truce.Errorf(truce.EINVALID, "The range ends (%s) before it starts (%s).", v.Until.Format(time.DateOnly), v.From.Format(time.DateOnly))
	}
	if v.Until.Sub(v.From) >= violationMaxDays*24*time.Hour {
		return v, truce.Errorf(truce.EINVALID, "Ask for at most %d days at a time.", violationMaxDays)
	}
	return v, nil
}

// matches reports whether an incident's violation passes the filter: in
// the zone asked for, and for the party asked for, one of the parties
// whose observers reported the incident or the actor it is attributed to
// (by the party's identifier, slug or name).
func (v violationQuery) matches(inc *observation.Incident, vi observation.Violation, party *truce.Party) bool {
	if v.Zone != "" && vi.ZoneID != v.Zone {
		return false
	}
	if v.Party == "" {
		return true
	}
	if slices.Contains(inc.Parties, v.Party) {
		return true
	}
	a := strings.TrimSpace(inc.Actor)
	return a != "" && (a == v.Party || party != nil && (strings.EqualFold(a, party.Slug) || strings.EqualFold(a, party.Name)))
}

// violations lists the violations of the agreements found in verified
// incidents, newest first, filtered by date range, zone and party.
func (h *observationPages) violations(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q, err := readViolationQuery(r, time.Now().UTC())
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	names, all, err := h.u.parties(ctx)
	if err != nil {
		h.u.serviceError(w, r, err)
		return
	}
	var rows []violationRow
	zones := map[string]bool{}
	read, truncated := 0, false
	for cursor := ""; ; {
		page, next, err := h.o.ListIncidents(ctx, observation.IncidentFilter{From: q.From, Until: q.Until.AddDate(0, 0, 1), Cursor: cursor, Limit: 500})
		if err != nil {
			h.u.serviceError(w, r, err)
			return
		}
		for _, inc := range page {
			if inc.Status == observation.StatusRejected || inc.Status == observation.StatusMerged {
				continue
			}
			for _, vi := range inc.Violations {
				zones[vi.ZoneID] = true
				if q.matches(inc, vi, names[q.Party]) {
					rows = append(rows, violationRow{Incident: inc, Violation: vi})
				}
			}
		}
		read += len(page)
		if next == "" {
			break
		}
		if read >= violationScan {
			truncated = true
			break
		}
		cursor = next
	}
	slices.SortStableFunc(rows, func(a, b violationRow) int { return b.Incident.Start.Compare(a.Incident.Start) })
	zoneIDs := make([]string, 0, len(zones))
	for z := range zones {
		zoneIDs = append(zoneIDs, z)
	}
	if q.Zone != "" && !zones[q.Zone] {
		zoneIDs = append(zoneIDs, q.Zone)
	}
	slices.Sort(zoneIDs)
	h.u.render(w, r, http.StatusOK, "violations", map[string]any{"Rows": rows, "Parties": names, "PartyList": all, "Zones": zoneIDs,
		"From": q.From.Format(time.DateOnly), "Until": q.Until.Format(time.DateOnly), "Zone": q.Zone, "Party": q.Party,
		"Truncated": truncated, "Scan": violationScan})
}
