package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/operations"
)

// AddOperations adds the pages of joint operations: the operations the
// party may see with the conflicts it is told of and the filing form, an
// operation with its volumes, approvals and conflicts (one click approves
// for a custodial party), and the operations layer of the map.
func (u *UI) AddOperations(svc *operations.Service) {
	o := &operationPages{u: u, svc: svc}
	u.AddPage(Page{Path: "/operations", NavKey: "nav.operations", Order: 37, Routes: map[string]http.HandlerFunc{
		"GET /operations": o.list, "POST /operations": o.file, "GET /operations/{id}": o.show,
		"POST /operations/{id}/approve": o.approve, "POST /operations/{id}/status": o.status,
		"GET /operations.geojson": o.geojson, "GET /operations/timeline": o.timeline}})
	u.AddLayer(Layer{ID: "operations", TitleKey: "layer.operations", Kind: "geojson", Source: "/operations.geojson", Visible: true})
}

type operationPages struct {
	u   *UI
	svc *operations.Service
}

func (o *operationPages) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ops, err := o.svc.Operations(ctx, operations.Filter{})
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	cs, err := o.svc.Conflicts(ctx, "")
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	ags, _, err := o.u.svc.Agreements.ListAgreements(ctx, truce.AgreementFilter{})
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	o.u.render(w, r, http.StatusOK, "operations", map[string]any{"Operations": ops, "Conflicts": cs, "Agreements": ags, "Kinds": operations.Kinds,
		"Awaiting": awaiting(ops, r)})
}

// awaiting are the joint operations whose current version awaits the
// approval of the caller's party: the joint-approval inbox.
func awaiting(ops []*operations.Operation, r *http.Request) []*operations.Operation {
	out := []*operations.Operation{}
	s := SessionFrom(r.Context())
	if s == nil {
		return out
	}
	for _, op := range ops {
		if operations.MayApprove(op, s.Caller.Party.ID, true, op.Version) == nil {
			out = append(out, op)
		}
	}
	return out
}

// file files the form's operation: one volume, drawn as GeoJSON (a
// polygon, or a point or line with a buffer), in a band and window.
func (o *operationPages) file(w http.ResponseWriter, r *http.Request) {
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	num := func(k string) (float64, error) {
		if f(k) == "" {
			return 0, nil
		}
		v, err := strconv.ParseFloat(f(k), 64)
		if err != nil {
			return 0, truce.Errorf(truce.EINVALID, "%s is not a number.", k)
		}
		return v, nil
	}
	in := operations.FileInput{Plan: operations.Plan{AgreementID: f("agreement_id"), Name: f("name"), Kind: operations.Kind(f("kind")),
		Participants: splitForm(f("participants")), NotifyTo: splitForm(f("notify_to"))}, Override: f("override")}
	v := operations.VolumeInput{Geometry: json.RawMessage(f("geometry"))}
	var err error
	for k, dst := range map[string]*float64{"buffer_m": &v.BufferM, "floor_m": &v.FloorM, "ceiling_m": &v.CeilingM} {
		if *dst, err = num(k); err != nil {
			o.u.serviceError(w, r, err)
			return
		}
	}
	for k, dst := range map[string]*time.Time{"start": &v.Start, "end": &v.End} {
		t, err := parseLocalTime(f(k))
		if err != nil {
			o.u.serviceError(w, r, err)
			return
		}
		if t != nil {
			*dst = *t
		}
	}
	in.Volumes = []operations.VolumeInput{v}
	res, err := o.svc.File(r.Context(), in)
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/operations/"+url.PathEscape(res.Operation.ID), http.StatusSeeOther)
}

func splitForm(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (o *operationPages) show(w http.ResponseWriter, r *http.Request) {
	op, err := o.svc.Operation(r.Context(), r.PathValue("id"))
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	cs, err := o.svc.Conflicts(r.Context(), op.ID)
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	a := truce.CallerFrom(r.Context())
	approved := map[string]bool{}
	for _, ap := range op.Approvals {
		approved[ap.PartyID] = true
	}
	mine := a != nil && operations.MayApprove(op, a.Party.ID, true, op.Version) == nil
	o.u.render(w, r, http.StatusOK, "operation", map[string]any{"Op": op, "Conflicts": cs, "Approved": approved, "MayApprove": mine,
		"Statement": operations.ApprovalStatement(op)})
}

func (o *operationPages) approve(w http.ResponseWriter, r *http.Request) {
	v, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		o.u.fail(w, r, http.StatusBadRequest, "error.bad_request")
		return
	}
	in := operations.ApproveInput{Version: v, Signature: strings.TrimSpace(r.PostFormValue("signature")), Override: strings.TrimSpace(r.PostFormValue("override"))}
	if _, err := o.svc.Approve(r.Context(), r.PathValue("id"), in); err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/operations/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
}

func (o *operationPages) status(w http.ResponseWriter, r *http.Request) {
	if _, err := o.svc.Move(r.Context(), r.PathValue("id"), operations.Status(r.PostFormValue("status"))); err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/operations/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
}

// geojson serves the volumes of the operations the caller may see, drafts
// and finished ones included, with their band and window, for the map's
// operations layer (?at=T keeps those in force then).
func (o *operationPages) geojson(w http.ResponseWriter, r *http.Request) {
	f := operations.Filter{}
	if s := r.URL.Query().Get("at"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			o.u.fail(w, r, http.StatusBadRequest, "error.bad_request")
			return
		}
		f.At = &t
	}
	ops, err := o.svc.Operations(r.Context(), f)
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
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
	for _, op := range ops {
		for i, v := range op.Volumes {
			fc.Features = append(fc.Features, feature{"Feature", op.ID + "/" + strconv.Itoa(i), v.Geometry, map[string]any{"name": op.Name,
				"kind": "operation", "operation_kind": op.Kind, "status": op.Status, "party_id": op.PartyID, "buffer_m": v.BufferM,
				"floor_m": v.FloorM, "ceiling_m": v.CeilingM, "start": v.Start, "end": v.End, "url": "/operations/" + op.ID}})
		}
	}
	w.Header().Set("Content-Type", "application/geo+json")
	json.NewEncoder(w).Encode(fc)
}

// The timeline of operations: a Gantt-like chart, one lane per filing
// party, each volume of each operation the caller may see a bar over its
// window. It is drawn here as SVG (geometry attributes, not styles, so
// the page's policy of no inline style holds) and needs no script; in a
// right-to-left language time runs from right to left, as the page does.

// Timeline bounds: the days shown (default and most).
const (
	timelineDays    = 7
	timelineMaxDays = 31
)

// Timeline layout, in SVG user units.
const (
	tlWidth  = 1000.0
	tlLabel  = 180.0 // the lane names' column
	tlAxis   = 28.0  // the day labels above the lanes
	tlRow    = 24.0  // one bar's row
	tlGap    = 8.0   // between lanes
	tlMinBar = 3.0   // the narrowest bar drawn
)

type tlTick struct {
	X, TextX float64
	Label    string
}

type tlBar struct {
	X, Y, W, H, TextX float64
	Op                *operations.Operation
	Volume            int
	Start, End        time.Time
}

type tlLane struct {
	Party  string
	Y, H   float64
	LabelX float64
	LabelY float64
	Bars   []tlBar
}

type timelineView struct {
	From, To time.Time
	Days     int
	Ticks    []tlTick
	Lanes    []tlLane
	Width    float64
	Height   float64
	RTL      bool
	// Anchor is the labels' text-anchor: "start", which the page's
	// direction (inherited by the SVG's text) turns to the right in a
	// right-to-left page.
	Anchor     string
	Prev, Next string // query strings of the previous and next period
	Empty      bool
}

// timeline serves /operations/timeline?from=YYYY-MM-DD&days=N: the days
// from from (default today, UTC), N of them (default 7, at most 31).
func (o *operationPages) timeline(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from := time.Now().UTC().Truncate(24 * time.Hour)
	if s := q.Get("from"); s != "" {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			o.u.fail(w, r, http.StatusBadRequest, "tl.bad_from")
			return
		}
		from = t.UTC()
	}
	days := timelineDays
	if s := q.Get("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > timelineMaxDays {
			o.u.fail(w, r, http.StatusBadRequest, "tl.bad_days", timelineMaxDays)
			return
		}
		days = n
	}
	to := from.Add(time.Duration(days) * 24 * time.Hour)
	ctx := r.Context()
	ops, err := o.svc.Operations(ctx, operations.Filter{})
	if err != nil {
		o.u.serviceError(w, r, err)
		return
	}
	rtl := o.u.cat.dir(o.u.cat.choose(r)) == "rtl"
	v := timelineView{From: from, To: to, Days: days, Width: tlWidth, RTL: rtl, Anchor: "start",
		Prev: "?from=" + from.Add(-time.Duration(days)*24*time.Hour).Format(time.DateOnly) + "&days=" + strconv.Itoa(days),
		Next: "?from=" + to.Format(time.DateOnly) + "&days=" + strconv.Itoa(days)}
	chart := tlWidth - tlLabel
	// x places a time on the chart, and mirrors it in a right-to-left
	// page: the labels' column is at the start of the line either way.
	x := func(t time.Time) float64 {
		f := float64(t.Sub(from)) / float64(to.Sub(from))
		f = min(max(f, 0), 1)
		if rtl {
			return chart * (1 - f)
		}
		return tlLabel + chart*f
	}
	for d := 0; d < days; d++ {
		t := from.Add(time.Duration(d) * 24 * time.Hour)
		tx := x(t)
		v.Ticks = append(v.Ticks, tlTick{X: tx, TextX: tx + pick(rtl, -4.0, 4.0), Label: t.Format("02 Jan")})
	}
	// One lane per filing party, in the order first seen (operations come
	// oldest first); in a lane, each bar takes the first row where it
	// overlaps no other.
	var order []string
	lanes := map[string][][]tlBar{}
	for _, op := range ops {
		for i, vol := range op.Volumes {
			if !vol.End.After(from) || !vol.Start.Before(to) {
				continue
			}
			x0, x1 := x(vol.Start), x(vol.End)
			if rtl {
				x0, x1 = x1, x0
			}
			b := tlBar{X: x0, W: max(x1-x0, tlMinBar), Op: op, Volume: i + 1, Start: vol.Start, End: vol.End}
			b.TextX = b.X + pick(rtl, b.W-4, 4.0)
			if _, ok := lanes[op.PartyID]; !ok {
				order = append(order, op.PartyID)
			}
			rows := lanes[op.PartyID]
			placed := false
			for k := range rows {
				if !slices.ContainsFunc(rows[k], func(c tlBar) bool { return b.X < c.X+c.W && c.X < b.X+b.W }) {
					rows[k] = append(rows[k], b)
					placed = true
					break
				}
			}
			if !placed {
				rows = append(rows, []tlBar{b})
			}
			lanes[op.PartyID] = rows
		}
	}
	y := tlAxis
	for _, p := range order {
		name := p
		if party, err := o.u.svc.Parties.FindParty(ctx, p); err == nil {
			name = party.Name
		}
		rows := lanes[p]
		l := tlLane{Party: name, Y: y, H: float64(len(rows))*tlRow + tlGap, LabelX: pick(rtl, tlWidth-4, 4.0), LabelY: y + tlRow*0.7}
		for k, row := range rows {
			for _, b := range row {
				b.Y, b.H = y+float64(k)*tlRow+2, tlRow-4
				l.Bars = append(l.Bars, b)
			}
		}
		v.Lanes = append(v.Lanes, l)
		y += l.H
	}
	v.Height = max(y, tlAxis+tlRow)
	v.Empty = len(v.Lanes) == 0
	o.u.render(w, r, http.StatusOK, "operations_timeline", v)
}

func pick[T any](rtl bool, ifRTL, ifLTR T) T {
	if rtl {
		return ifRTL
	}
	return ifLTR
}
