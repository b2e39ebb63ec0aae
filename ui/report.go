package ui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

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
