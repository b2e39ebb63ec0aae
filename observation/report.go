package observation

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/truce-project/truce"
)

// Totals are a report's counts: incidents (not rejected), their
// observations, their violations, and the sums of their events and
// casualties (best, low, high).
type Totals struct {
	Incidents    int   `json:"incidents"`
	Observations int   `json:"observations"`
	Violations   int   `json:"violations"`
	Events       Count `json:"events"`
	Casualties   Count `json:"casualties"`
}

func (t *Totals) add(inc *Incident) {
	t.Incidents++
	t.Observations += inc.Observations
	t.Violations += len(inc.Violations)
	t.Events = sumCount(t.Events, inc.Events)
	t.Casualties = sumCount(t.Casualties, inc.Casualties)
}

func sumCount(a, b Count) Count { return Count{a.Best + b.Best, a.Low + b.Low, a.High + b.High} }

// CategoryTotals are the totals of one category, with its ACLED type.
type CategoryTotals struct {
	Category Category `json:"category"`
	ACLED    ACLED    `json:"acled"`
	Totals
}

// PartyTotals are the incidents a party's observers reported, and the
// violations found in them.
type PartyTotals struct {
	PartyID    string `json:"party_id"`
	Incidents  int    `json:"incidents"`
	Violations int    `json:"violations"`
}

// ZoneTotals are the totals of one zone: the incidents in it (in a
// version of it in force at their centre at either end of their window,
// or breaking one of its rules), their observations, events and casualties, and the
// violations of its rules (not those of other zones the incidents are
// in); by category and by reporting party likewise.
type ZoneTotals struct {
	ZoneID string `json:"zone_id"`
	Totals
	ByCategory []CategoryTotals `json:"by_category"`
	ByParty    []PartyTotals    `json:"by_party"`
}

// zoneCounts gathers one zone's totals as BuildReport reads incidents.
type zoneCounts struct {
	total   Totals
	cats    map[Category]*CategoryTotals
	parties map[string]*PartyTotals
}

// add counts an incident in the zone, with v of its violations there.
func (z *zoneCounts) add(inc *Incident, v int) {
	addIn(&z.total, inc, v)
	c := z.cats[inc.Category]
	if c == nil {
		c = &CategoryTotals{Category: inc.Category, ACLED: ACLEDType(inc.Category, "")}
		z.cats[inc.Category] = c
	}
	addIn(&c.Totals, inc, v)
	for _, p := range inc.Parties {
		pt := z.parties[p]
		if pt == nil {
			pt = &PartyTotals{PartyID: p}
			z.parties[p] = pt
		}
		pt.Incidents++
		pt.Violations += v
	}
}

// addIn adds an incident to totals counting v of its violations.
func addIn(t *Totals, inc *Incident, v int) {
	t.add(inc)
	t.Violations += v - len(inc.Violations)
}

// categoryList and partyList sort gathered totals for a report.
func categoryList(m map[Category]*CategoryTotals) []CategoryTotals {
	out := []CategoryTotals{}
	for _, c := range m {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b CategoryTotals) int { return cmpStr(string(a.Category), string(b.Category)) })
	return out
}

func partyList(m map[string]*PartyTotals) []PartyTotals {
	out := []PartyTotals{}
	for _, p := range m {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b PartyTotals) int { return cmpStr(a.PartyID, b.PartyID) })
	return out
}

// DailyReport is one UTC day of ceasefire observation: the day's
// incidents by category, reporting party and zone, against the day
// before.
type DailyReport struct {
	Day        string           `json:"day"`
	Total      Totals           `json:"total"`
	Previous   Totals           `json:"previous_day"`
	ByCategory []CategoryTotals `json:"by_category"`
	ByParty    []PartyTotals    `json:"by_party"`
	ByZone     []ZoneTotals     `json:"by_zone"`
	// ByArea are the totals per OCHA area the incidents are in: each
	// governorate (4-character P-code), district (6) and sub-district
	// (8), by P-code.
	ByArea    []AreaTotals `json:"by_area"`
	Incidents []*Incident  `json:"incidents"`
}

// AreaTotals are the totals of the incidents in one OCHA area.
type AreaTotals struct {
	PCode string `json:"pcode"`
	Totals
}

// counted reports whether an incident counts in a report: not once
// rejected, nor once merged into another (which counts its observations).
func counted(inc *Incident) bool { return inc.Status != StatusRejected && inc.Status != StatusMerged }

// BuildReport returns the report of day (a UTC date) from the incidents
// that started on it and on the day before; rejected incidents are not
// counted. Its zones are those the incidents' violations cite. It is a
// pure function of its input.
func BuildReport(day time.Time, today, yesterday []*Incident) *DailyReport {
	return BuildReportIn(day, today, yesterday, nil)
}

// BuildReportIn is BuildReport with the zones each of today's incidents is
// in, by incident ID (the zones in force at its centre at either end of
// its window), besides those its violations cite. It is a pure function of its
// input.
func BuildReportIn(day time.Time, today, yesterday []*Incident, zonesOf map[string][]string) *DailyReport {
	r := &DailyReport{Day: day.UTC().Format(time.DateOnly), Incidents: []*Incident{}}
	cats := map[Category]*CategoryTotals{}
	parties := map[string]*PartyTotals{}
	zones := map[string]*zoneCounts{}
	areas := map[string]*Totals{}
	for _, inc := range today {
		if !counted(inc) {
			continue
		}
		for _, n := range []int{4, 6, 8} {
			if len(inc.PCode) >= n {
				a := areas[inc.PCode[:n]]
				if a == nil {
					a = &Totals{}
					areas[inc.PCode[:n]] = a
				}
				a.add(inc)
			}
		}
		r.Incidents = append(r.Incidents, inc)
		r.Total.add(inc)
		c := cats[inc.Category]
		if c == nil {
			c = &CategoryTotals{Category: inc.Category, ACLED: ACLEDType(inc.Category, "")}
			cats[inc.Category] = c
		}
		c.add(inc)
		for _, p := range inc.Parties {
			pt := parties[p]
			if pt == nil {
				pt = &PartyTotals{PartyID: p}
				parties[p] = pt
			}
			pt.Incidents++
			pt.Violations += len(inc.Violations)
		}
		// The zones the incident is in, each once, with its violations
		// there.
		in := map[string]int{}
		for _, z := range zonesOf[inc.ID] {
			in[z] += 0
		}
		for _, v := range inc.Violations {
			in[v.ZoneID]++
		}
		for z, v := range in {
			zc := zones[z]
			if zc == nil {
				zc = &zoneCounts{cats: map[Category]*CategoryTotals{}, parties: map[string]*PartyTotals{}}
				zones[z] = zc
			}
			zc.add(inc, v)
		}
	}
	for _, inc := range yesterday {
		if counted(inc) {
			r.Previous.add(inc)
		}
	}
	if len(cats) > 0 {
		r.ByCategory = categoryList(cats)
	}
	if len(parties) > 0 {
		r.ByParty = partyList(parties)
	}
	for z, zc := range zones {
		r.ByZone = append(r.ByZone, ZoneTotals{ZoneID: z, Totals: zc.total, ByCategory: categoryList(zc.cats), ByParty: partyList(zc.parties)})
	}
	slices.SortFunc(r.ByZone, func(a, b ZoneTotals) int { return cmpStr(a.ZoneID, b.ZoneID) })
	r.ByArea = []AreaTotals{}
	for pc, t := range areas {
		r.ByArea = append(r.ByArea, AreaTotals{pc, *t})
	}
	slices.SortFunc(r.ByArea, func(a, b AreaTotals) int { return cmpStr(a.PCode, b.PCode) })
	slices.SortFunc(r.Incidents, func(a, b *Incident) int { return a.Start.Compare(b.Start) })
	return r
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// MaxReportIncidents bounds the incidents a daily report reads per day.
const MaxReportIncidents = 100_000

// DailyReport returns the report of a UTC day; every member may read it.
func (s *Service) DailyReport(ctx context.Context, day time.Time) (*DailyReport, error) {
	d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
	read := func(from time.Time) ([]*Incident, error) {
		var all []*Incident
		// By start: each page reads on from the last by the start index.
		f := IncidentFilter{From: from, Until: from.AddDate(0, 0, 1), Limit: 500, ByStart: true, AfterStart: from.Add(-time.Microsecond)}
		for {
			page, next, err := s.ListIncidents(ctx, f)
			if err != nil {
				return nil, err
			}
			all = append(all, page...)
			if len(all) > MaxReportIncidents {
				return nil, truce.Errorf(truce.ETOOLARGE, "More than %d incidents on %s.", MaxReportIncidents, from.Format(time.DateOnly))
			}
			if next == "" {
				return all, nil
			}
			f.Cursor, f.AfterStart = next, page[len(page)-1].Start
		}
	}
	today, err := read(d)
	if err != nil {
		return nil, err
	}
	yesterday, err := read(d.AddDate(0, 0, -1))
	if err != nil {
		return nil, err
	}
	// The zones each incident counted is in: those in force at its
	// centre at either end of its window, as verification finds them.
	zonesOf := map[string][]string{}
	if s.Zones != nil {
		inForce := func(p Point, t time.Time) ([]ZoneInForce, error) { return s.Zones.InForce(ctx, p, t) }
		if m, ok := s.Zones.(ManyZones); ok {
			inForce = m.InForceMany(ctx)
		}
		for _, inc := range today {
			if !counted(inc) {
				continue
			}
			times := []time.Time{inc.Start}
			if !inc.End.Equal(inc.Start) {
				times = append(times, inc.End)
			}
			for _, t := range times {
				zs, err := inForce(inc.Center, t)
				if err != nil {
					return nil, err
				}
				for _, z := range zs {
					if !slices.Contains(zonesOf[inc.ID], z.ZoneID) {
						zonesOf[inc.ID] = append(zonesOf[inc.ID], z.ZoneID)
					}
				}
			}
		}
	}
	return BuildReportIn(d, today, yesterday, zonesOf), nil
}

// WriteACLED writes a report's incidents as CSV in ACLED's column names,
// with an HXL hashtag row under the header, one row per incident: the
// ACLED event type and sub-type, time and geo precision, the attributed
// actor, the location, the best casualty count as fatalities, and the
// incident's status and observation counts as notes.
func WriteACLED(w io.Writer, r *DailyReport) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"event_id_cnty", "event_date", "year", "time_precision", "event_type", "sub_event_type", "actor1", "latitude", "longitude", "geo_precision", "source", "notes", "fatalities"})
	cw.Write([]string{"#event+code", "#date+occurred", "#date+year", "#meta+time_precision", "#event+type", "#event+type+sub", "#group+name+first", "#geo+lat", "#geo+lon", "#meta+geo_precision", "#meta+source", "#description", "#affected+killed"})
	for _, inc := range r.Incidents {
		a := ACLEDType(inc.Category, inc.SubCategory)
		cw.Write([]string{inc.ID, inc.Start.Format(time.DateOnly), strconv.Itoa(inc.Start.Year()), strconv.Itoa(int(timePrecision(0, inc.Start, inc.End))),
			a.EventType, a.SubEventType, inc.Actor, strconv.FormatFloat(inc.Center.Lat, 'f', 5, 64), strconv.FormatFloat(inc.Center.Lon, 'f', 5, 64),
			strconv.Itoa(int(geoPrecision(inc.Radius))), "Truce ceasefire observation",
			fmt.Sprintf("%s incident; %d observations by %d observers of %d parties; %d violations.", inc.Status, inc.Observations, inc.Observers, len(inc.Parties), len(inc.Violations)),
			strconv.Itoa(inc.Casualties.Best)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteCSV writes a report's totals by category as CSV with an HXL row:
// the day's and the previous day's counts.
func WriteCSV(w io.Writer, r *DailyReport) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"day", "category", "acled_event_type", "incidents", "observations", "violations", "events_best", "events_low", "events_high", "casualties_best", "casualties_low", "casualties_high"})
	cw.Write([]string{"#date", "#event+category", "#event+type", "#indicator+incidents", "#indicator+observations", "#indicator+violations", "#indicator+events+best", "#indicator+events+low", "#indicator+events+high", "#affected+best", "#affected+low", "#affected+high"})
	row := func(cat, acled string, t Totals) {
		cw.Write([]string{r.Day, cat, acled, strconv.Itoa(t.Incidents), strconv.Itoa(t.Observations), strconv.Itoa(t.Violations),
			strconv.Itoa(t.Events.Best), strconv.Itoa(t.Events.Low), strconv.Itoa(t.Events.High),
			strconv.Itoa(t.Casualties.Best), strconv.Itoa(t.Casualties.Low), strconv.Itoa(t.Casualties.High)})
	}
	for _, c := range r.ByCategory {
		row(string(c.Category), c.ACLED.EventType, c.Totals)
	}
	row("all", "", r.Total)
	cw.Flush()
	return cw.Error()
}
