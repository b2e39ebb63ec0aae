package ui

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/geo"
)

// AddControl adds the pages of package control: the control map at a
// time (areas drawn as SVG, contested ground hatched, km² per actor) and
// a guarantor's record (breaches, responses, time to respond).
func (u *UI) AddControl(svc *control.Service) {
	c := &controlPages{u: u, svc: svc}
	u.AddPage(Page{Path: "/control", NavKey: "nav.control", Order: 35, Routes: map[string]http.HandlerFunc{
		"GET /control": c.controlMap, "GET /guarantors/{party}": c.record, "GET /guarantors/{party}/record.csv": c.recordCSV,
		"GET /guarantors/{party}/record.geojson": c.recordGeoJSON,
		"GET /actors/{id}":                       c.actor,
		"GET /guarantees":                        c.guarantees,
		"POST /breaches/{id}/respond":            c.respond}})
}

type controlPages struct {
	u   *UI
	svc *control.Service
}

// svgArea is one held area as the map page draws it.
type svgArea struct {
	Path      string
	Color     string
	Contested bool
	Name      string
	Actor     string
	KM2       float64
	// Gained is true for an area whose control began at the map's time:
	// the change the step shows, drawn so that it stands out.
	Gained bool
}

type actorRow struct {
	ID        string
	Name      string
	Color     string
	Areas     int
	KM2       float64
	Contested float64
}

// The map page's drawing: 800 × 520 user units.
const svgW, svgH = 800.0, 520.0

func (c *controlPages) controlMap(w http.ResponseWriter, r *http.Request) {
	now := time.Now().UTC()
	at := now
	if s := r.URL.Query().Get("at"); s != "" {
		t, err := parseLocalTime(s)
		if err != nil || t == nil {
			c.u.serviceError(w, r, truce.Errorf(truce.EINVALID, "The time %q is not a date and time.", s))
			return
		}
		at = *t
	}
	// The slider steps through the times control changed (no script:
	// the form is sent with the step chosen); prev and next step once.
	ch, err := c.svc.Changes(r.Context(), time.Unix(0, 0).UTC(), now.Add(time.Second))
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	var times []time.Time
	for _, mv := range ch.Movements {
		if len(times) == 0 || !times[len(times)-1].Equal(mv.At) {
			times = append(times, mv.At)
		}
	}
	if s := r.URL.Query().Get("step"); s != "" {
		i, err := strconv.Atoi(s)
		if err != nil || i < 0 || i >= len(times) {
			c.u.serviceError(w, r, truce.Errorf(truce.EINVALID, "Step %q is not one of the %d changes.", s, len(times)))
			return
		}
		at = times[i]
	}
	step := sort.Search(len(times), func(i int) bool { return times[i].After(at) }) - 1
	link := func(i int) string {
		if i < 0 || i >= len(times) {
			return ""
		}
		return "/control?step=" + strconv.Itoa(i)
	}
	prev := link(step - 1)
	if step >= 0 && at.After(times[step]) {
		prev = link(step)
	}
	m, err := c.svc.Map(r.Context(), at)
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	actors, err := c.svc.Actors(r.Context())
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	lang := c.u.cat.choose(r)
	names, colors := map[string]string{}, map[string]string{}
	sort.Slice(actors, func(i, j int) bool { return actors[i].Slug < actors[j].Slug })
	for i, a := range actors {
		names[a.ID], colors[a.ID] = a.Name(lang), partyPalette[i%len(partyPalette)]
	}
	// Fit the held areas' box to the drawing, keeping the aspect a
	// plate carrée at the box's middle latitude has.
	box := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, h := range m.Areas {
		box = box.Extend(orb.Point{h.BBox[0], h.BBox[1]}).Extend(orb.Point{h.BBox[2], h.BBox[3]})
	}
	var areas []svgArea
	if len(m.Areas) > 0 && len(m.Areas) <= maxDrawn {
		k := math.Cos((box.Min[1] + box.Max[1]) / 2 * math.Pi / 180)
		dx, dy := math.Max((box.Max[0]-box.Min[0])*k, 1e-9), math.Max(box.Max[1]-box.Min[1], 1e-9)
		scale := math.Min(svgW/dx, svgH/dy) * 0.95
		proj := func(p orb.Point) (float64, float64) {
			return (p[0]-box.Min[0])*k*scale + 10, svgH - (p[1]-box.Min[1])*scale - 10
		}
		for _, h := range m.Areas {
			g, err := geo.Decode(h.Geometry, geo.Options{})
			if err != nil {
				continue
			}
			areas = append(areas, svgArea{Path: svgPath(g, proj), Color: colors[h.ActorID], Contested: len(h.ContestedWith) > 0, Name: h.Name, Actor: names[h.ActorID], KM2: h.AreaKM2,
				Gained: h.From.Equal(at)})
		}
	}
	var rows []actorRow
	for _, a := range m.Actors {
		rows = append(rows, actorRow{ID: a.ActorID, Name: names[a.ActorID], Color: colors[a.ActorID], Areas: a.Areas, KM2: a.KM2, Contested: a.ContestedKM2})
	}
	c.u.render(w, r, http.StatusOK, "control", map[string]any{
		"At": at, "AtLocal": at.Format("2006-01-02T15:04"), "Areas": areas, "Actors": rows, "Held": len(m.Areas),
		"TooMany": len(m.Areas) > maxDrawn, "W": svgW, "H": svgH,
		"Steps": len(times) - 1, "Step": max(step, 0), "Prev": prev, "Next": link(step + 1),
		"StepNo": max(step, 0) + 1, "Total": len(times),
	})
}

// maxDrawn bounds the areas the page draws; beyond it the page shows the
// table only (the API serves the whole map).
const maxDrawn = 5000

// svgPath returns the SVG path of a polygon or multipolygon.
func svgPath(g orb.Geometry, proj func(orb.Point) (float64, float64)) string {
	var b strings.Builder
	ring := func(r orb.Ring) {
		for i, p := range r {
			x, y := proj(p)
			if i == 0 {
				fmt.Fprintf(&b, "M%.1f %.1f", x, y)
			} else {
				fmt.Fprintf(&b, "L%.1f %.1f", x, y)
			}
		}
		b.WriteString("Z")
	}
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			ring(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				ring(r)
			}
		}
	}
	return b.String()
}

type breachRow struct {
	*control.Breach
	Actor  string
	Action string
	Hours  string
	// CanRespond is true when the viewer may answer the breach here: an
	// operator (or administrator) of one of its guarantors, the breach
	// unanswered and its evidence standing.
	CanRespond bool
	// Sign, for a viewer whose party holds its own key, is what the
	// page needs to sign the response in the browser (static/sign.js):
	// the statement's head, which the page completes with the action.
	Sign *breachSign
}

// breachSign is a breach's signing form: the party's slug and registered
// verifier key, which the loaded key file must match, and the head of the
// response statement (control.ResponseHead).
type breachSign struct {
	Party, Verifier, Head string
}

func (c *controlPages) record(w http.ResponseWriter, r *http.Request) {
	rec, err := c.svc.GuarantorRecord(r.Context(), r.PathValue("party"))
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	party, err := c.u.svc.Parties.FindParty(r.Context(), rec.PartyID)
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	lang := c.u.cat.choose(r)
	var rows []breachRow
	for _, b := range rec.Breaches {
		row := breachRow{Breach: b, Actor: b.ActorID}
		if b.ActorID == "" {
			row.Actor = b.Attribution
		} else if a, err := c.svc.Actor(r.Context(), b.ActorID); err == nil {
			row.Actor = a.Name(lang)
		}
		if b.Response != nil {
			row.Action = b.Response.Action
			row.Hours = fmt.Sprintf("%.1f", b.Response.At.Sub(b.DetectedAt).Hours())
		}
		if a := truce.CallerFrom(r.Context()); a != nil && b.Status != control.BreachAnswered && b.Status != control.BreachWithdrawn && slices.Contains(b.Guarantors, a.Party.ID) &&
			(a.IsAdmin() || a.User.HasRole(truce.RoleOperator)) {
			row.CanRespond = true
			if !a.Party.Custodial {
				row.Sign = &breachSign{Party: a.Party.Slug, Verifier: a.Party.PublicKey, Head: control.ResponseHead(b)}
			}
		}
		rows = append(rows, row)
	}
	// A party holding its own key signs its answer in the page with its
	// key file (static/sign.js), or from the command line (truce control
	// respond --key).
	heldKey := false
	if a := truce.CallerFrom(r.Context()); a != nil {
		heldKey = !a.Party.Custodial
	}
	c.u.render(w, r, http.StatusOK, "guarantor", map[string]any{"Party": party, "Record": rec, "Rows": rows, "Mean": fmt.Sprintf("%.1f", rec.MeanResponseHr), "HeldKey": heldKey,
		// A breach whose evidence was withdrawn before an answer owes none.
		"Owed": len(rec.Breaches) - rec.Withdrawn})
}

// respond records the viewer's party's answer to a breach, signed with
// its custodial key, or signed in the page with the key the party holds
// (control.Service.Respond checks that signature), and returns to the
// party's record.
func (c *controlPages) respond(w http.ResponseWriter, r *http.Request) {
	// A form posts line ends as CRLF; the signed note has LF only. The
	// action is read as posted: the page signed it so.
	b, err := c.svc.Respond(r.Context(), r.PathValue("id"), r.PostFormValue("action"), strings.ReplaceAll(r.PostFormValue("signature"), "\r\n", "\n"))
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	http.Redirect(w, r, "/guarantors/"+url.PathEscape(b.Response.PartyID)+"#breach-"+b.ID, http.StatusSeeOther)
}

// recordCSV exports a guarantor's record: one row per breach, with the
// response and the hours it took (control.WriteRecordCSV).
func (c *controlPages) recordCSV(w http.ResponseWriter, r *http.Request) {
	rec, err := c.svc.GuarantorRecord(r.Context(), r.PathValue("party"))
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="guarantor-record.csv"`)
	control.WriteRecordCSV(w, rec)
}

// recordGeoJSON exports a guarantor's record as GeoJSON: a feature per
// breach on the ground of its evidence (control.Service.RecordGeoJSON).
func (c *controlPages) recordGeoJSON(w http.ResponseWriter, r *http.Request) {
	b, err := c.svc.RecordGeoJSON(r.Context(), r.PathValue("party"))
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Header().Set("Content-Disposition", `attachment; filename="guarantor-record.geojson"`)
	w.Write(b)
}

// actor renders an actor's page: its names, the party answering for it,
// the areas it held and a chart of its km² over time.
func (c *controlPages) actor(w http.ResponseWriter, r *http.Request) {
	h, err := c.svc.History(r.Context(), r.PathValue("id"))
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	lang := c.u.cat.choose(r)
	guarantor := ""
	if h.Actor.GuarantorID != "" {
		if p, err := c.u.svc.Parties.FindParty(r.Context(), h.Actor.GuarantorID); err == nil {
			guarantor = p.Name
		}
	}
	// The chart: a step line of km² from the first change to now.
	const cw, ch = 640.0, 200.0
	var path string
	if len(h.Ground) > 0 {
		t0, t1 := h.Ground[0].At, time.Now().UTC()
		if !t1.After(t0) {
			t1 = t0.Add(time.Hour)
		}
		top := 0.0
		for _, p := range h.Ground {
			top = math.Max(top, p.KM2)
		}
		top = math.Max(top, 1e-9)
		x := func(t time.Time) float64 { return 40 + float64(t.Sub(t0))/float64(t1.Sub(t0))*(cw-50) }
		y := func(v float64) float64 { return ch - 20 - v/top*(ch-40) }
		var b strings.Builder
		for i, p := range h.Ground {
			if i == 0 {
				fmt.Fprintf(&b, "M%.1f %.1f", x(p.At), y(p.KM2))
				continue
			}
			fmt.Fprintf(&b, "H%.1f V%.1f", x(p.At), y(p.KM2))
		}
		fmt.Fprintf(&b, "H%.1f", x(t1))
		path = b.String()
	}
	c.u.render(w, r, http.StatusOK, "actor", map[string]any{"Actor": h.Actor, "Name": h.Actor.Name(lang), "Guarantor": guarantor,
		"Areas": h.Areas, "Ground": h.Ground, "Chart": path, "CW": cw, "CH": ch})
}

// maxGuaranteesShown bounds the guarantees the page lists, newest first
// (the API lists them all).
const maxGuaranteesShown = 200

// guaranteeView is one guarantee as the guarantees page shows it: who
// answers for it, whom it allows, and its breaches with their responses.
type guaranteeView struct {
	*control.Guarantee
	Guarantors []link
	Allowed    []link
	Hours      string
	Breaches   []breachRow
}

// link is a named page.
type link struct{ Href, Name string }

// guarantees lists the guarantees with their breaches and responses.
func (c *controlPages) guarantees(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	gs, err := c.svc.Guarantees(ctx)
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	bs, err := c.svc.Breaches(ctx, false)
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	actors, err := c.svc.Actors(ctx)
	if err != nil {
		c.u.serviceError(w, r, err)
		return
	}
	lang := c.u.cat.choose(r)
	actorByID := map[string]*control.Actor{}
	for _, a := range actors {
		actorByID[a.ID] = a
	}
	parties := map[string]link{}
	party := func(id string) link {
		if l, ok := parties[id]; ok {
			return l
		}
		l := link{Name: id}
		if p, err := c.u.svc.Parties.FindParty(ctx, id); err == nil {
			l = link{Href: "/guarantors/" + p.Slug, Name: p.Name}
		}
		parties[id] = l
		return l
	}
	byGuarantee := map[string][]*control.Breach{}
	for _, b := range bs {
		byGuarantee[b.GuaranteeID] = append(byGuarantee[b.GuaranteeID], b)
	}
	slices.Reverse(gs)
	truncated := len(gs) > maxGuaranteesShown
	gs = gs[:min(len(gs), maxGuaranteesShown)]
	views := make([]guaranteeView, 0, len(gs))
	for _, g := range gs {
		v := guaranteeView{Guarantee: g, Hours: fmt.Sprintf("%.0f", time.Duration(g.ResponseWithin).Hours())}
		for _, id := range g.Guarantors {
			v.Guarantors = append(v.Guarantors, party(id))
		}
		for _, id := range g.Allowed {
			l := link{Name: id}
			if a, ok := actorByID[id]; ok {
				l = link{Href: "/actors/" + a.Slug, Name: a.Name(lang)}
			}
			v.Allowed = append(v.Allowed, l)
		}
		for _, b := range byGuarantee[g.ID] {
			row := breachRow{Breach: b, Actor: b.Attribution}
			if a, ok := actorByID[b.ActorID]; ok {
				row.Actor = a.Name(lang)
			}
			if b.Response != nil {
				row.Action = b.Response.Action
				row.Hours = fmt.Sprintf("%.1f", b.Response.At.Sub(b.DetectedAt).Hours())
			}
			v.Breaches = append(v.Breaches, row)
		}
		views = append(views, v)
	}
	c.u.render(w, r, http.StatusOK, "guarantees", map[string]any{"Guarantees": views, "Truncated": truncated, "Shown": maxGuaranteesShown})
}
