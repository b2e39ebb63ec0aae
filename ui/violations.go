package ui

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

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
