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

// PartyTotals are the incidents a party's observers reported.
type PartyTotals struct {
	PartyID   string `json:"party_id"`
	Incidents int    `json:"incidents"`
}

// ZoneTotals are the violations in one zone.
type ZoneTotals struct {
	ZoneID     string `json:"zone_id"`
	Violations int    `json:"violations"`
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
// counted. It is a pure function of its input.
func BuildReport(day time.Time, today, yesterday []*Incident) *DailyReport {
	r := &DailyReport{Day: day.UTC().Format(time.DateOnly), Incidents: []*Incident{}}
	cats := map[Category]*CategoryTotals{}
	parties := map[string]int{}
	zones := map[string]int{}
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
			parties[p]++
		}
		for _, v := range inc.Violations {
			zones[v.ZoneID]++
		}
	}
	for _, inc := range yesterday {
		if counted(inc) {
			r.Previous.add(inc)
		}
	}
	for _, c := range cats {
		r.ByCategory = append(r.ByCategory, *c)
	}
	slices.SortFunc(r.ByCategory, func(a, b CategoryTotals) int { return cmpStr(string(a.Category), string(b.Category)) })
	for p, n := range parties {
		r.ByParty = append(r.ByParty, PartyTotals{p, n})
	}
	slices.SortFunc(r.ByParty, func(a, b PartyTotals) int { return cmpStr(a.PartyID, b.PartyID) })
	for z, n := range zones {
		r.ByZone = append(r.ByZone, ZoneTotals{z, n})
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
		for cursor := ""; ; {
			page, next, err := s.ListIncidents(ctx, IncidentFilter{From: from, Until: from.AddDate(0, 0, 1), Cursor: cursor, Limit: 500})
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
			cursor = next
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
	return BuildReport(d, today, yesterday), nil
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
