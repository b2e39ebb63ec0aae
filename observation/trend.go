package observation

import (
	"slices"
	"time"
)

// MaxTrendDays is the longest trend a report shows.
const MaxTrendDays = 90

// Trend is the counted incidents of consecutive UTC days, by category and
// by governorate (the first 4 characters of the incident's P-code, ""
// outside the areas known): the daily report's charts.
type Trend struct {
	// Days are the days, oldest first (YYYY-MM-DD); each count below has
	// one value per day, in that order.
	Days          []string           `json:"days"`
	Incidents     []int              `json:"incidents"`
	Violations    []int              `json:"violations"`
	ByCategory    map[Category][]int `json:"by_category"`
	ByGovernorate map[string][]int   `json:"by_governorate"`
}

// BuildTrend counts the incidents that started on each of the days UTC
// days ending with last (included), as a daily report counts them (not
// rejected, not merged into another); others are left out. It is a pure
// function of its input. days is clamped to 1…MaxTrendDays.
func BuildTrend(last time.Time, days int, incs []*Incident) *Trend {
	days = min(max(days, 1), MaxTrendDays)
	end := time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	from := end.AddDate(0, 0, -days)
	t := &Trend{Incidents: make([]int, days), Violations: make([]int, days), ByCategory: map[Category][]int{}, ByGovernorate: map[string][]int{}}
	for d := from; d.Before(end); d = d.AddDate(0, 0, 1) {
		t.Days = append(t.Days, d.Format(time.DateOnly))
	}
	add := func(m map[string][]int, k string, i int) {
		if m[k] == nil {
			m[k] = make([]int, days)
		}
		m[k][i]++
	}
	for _, inc := range incs {
		s := inc.Start.UTC()
		if !counted(inc) || s.Before(from) || !s.Before(end) {
			continue
		}
		i := int(s.Sub(from) / (24 * time.Hour))
		t.Incidents[i]++
		t.Violations[i] += len(inc.Violations)
		if t.ByCategory[inc.Category] == nil {
			t.ByCategory[inc.Category] = make([]int, days)
		}
		t.ByCategory[inc.Category][i]++
		g := ""
		if len(inc.PCode) >= 4 {
			g = inc.PCode[:4]
		}
		add(t.ByGovernorate, g, i)
	}
	return t
}

// Keys returns a count map's keys, largest total first (then by key).
func Keys[K ~string](m map[K][]int) []K {
	total := func(k K) int {
		n := 0
		for _, v := range m[k] {
			n += v
		}
		return n
	}
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b K) int {
		if ta, tb := total(a), total(b); ta != tb {
			return tb - ta
		}
		return cmpStr(string(a), string(b))
	})
	return ks
}
