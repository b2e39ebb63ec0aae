package ui

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/truce-project/truce/operations"
)

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
