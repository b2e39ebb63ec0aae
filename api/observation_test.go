package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

// fileObservation adds a monitoring mission with an observer to e, files
// one observation as that observer and returns it with a valid request
// body for another.
func fileObservation(t *testing.T, e *env) (*observation.Observation, string) {
	t.Helper()
	ctx := context.Background()
	c := e.client(e.admin)
	if _, ok := e.parties["mission"]; !ok {
		p, err := c.CreateParty(ctx, truce.PartyCreate{Slug: "mission", Name: "Monitoring centre", Kind: truce.PartyMonitor})
		if err != nil {
			t.Fatal(err)
		}
		e.parties["mission"] = p
		for _, u := range []truce.UserCreate{
			{Party: "mission", Username: "team-a", Roles: []truce.Role{truce.RoleObserver}},
			{Party: "mission", Username: "centre-op", Roles: []truce.Role{truce.RoleOperator}},
		} {
			got, err := c.CreateUser(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			e.users[u.Username] = got
			tk, err := c.CreateToken(ctx, truce.TokenCreate{User: u.Username, Name: "test"})
			if err != nil {
				t.Fatal(err)
			}
			e.tokens[u.Username] = tk.Secret
		}
	}
	start := time.Now().UTC().Add(-10 * time.Minute).Format(time.RFC3339)
	body := `{"mode":"heard","observer_position":{"lon":36.10,"lat":32.58},"bearing":{"degrees":60,"error":3,"min_distance":2000,"max_distance":8000},` +
		`"start":"` + start + `","end":"` + start + `","category":"explosion","sub_category":"artillery","events":{"best":3,"low":2,"high":5}}`
	status, _, b := e.do("POST", "/api/v1/observations", e.tokens["team-a"], body)
	if status != 201 {
		t.Fatalf("filing: %d %s", status, b)
	}
	var o observation.Observation
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	return &o, body
}

// TestObservationAPI: an observer files over HTTP; bad input and the
// wrong party get problems and change nothing; a retried POST with its
// Idempotency-Key is recorded once; another party reads the observation
// without its observer; the CLI's client reads and decides.
func TestObservationAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o, body := fileObservation(t, e)
	if o.ObserverID != e.users["team-a"].ID || o.IncidentID == "" || o.Bearing == nil || o.Radius <= 0 {
		t.Fatalf("filed %+v", o)
	}
	before := e.journalSize()
	bad := []struct {
		name, token, body string
		status            int
		code              string
	}{
		{"ErrBearing", "team-a", strings.Replace(body, `"degrees":60`, `"degrees":361`, 1), 400, truce.EINVALID},
		{"ErrDistancesInverted", "team-a", strings.Replace(body, `"max_distance":8000`, `"max_distance":1000`, 1), 400, truce.EINVALID},
		{"ErrCounts", "team-a", strings.Replace(body, `"low":2`, `"low":4`, 1), 400, truce.EINVALID},
		{"ErrFuture", "team-a", strings.ReplaceAll(body, o.Start.Format(time.RFC3339), time.Now().Add(time.Hour).UTC().Format(time.RFC3339)), 400, truce.EINVALID},
		{"ErrUnknownField", "team-a", strings.Replace(body, `"mode"`, `"colour":"red","mode"`, 1), 400, truce.EINVALID},
		{"ErrAnotherPartysObserver", "centre-op", strings.Replace(body, `"mode"`, `"observer_id":"us-op","mode"`, 1), 403, truce.EFORBIDDEN},
		{"ErrGuarantor", "us-op", body, 403, truce.EFORBIDDEN},
	}
	for _, c := range bad {
		status, h, b := e.do("POST", "/api/v1/observations", e.tokens[c.token], c.body)
		if status != c.status || problemCode(t, h, b) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, b, c.status, c.code)
		}
	}
	if after := e.journalSize(); after != before {
		t.Fatalf("refused requests journalled %d entries", after-before)
	}

	// A retry with the same Idempotency-Key is one observation.
	s1, _, b1 := e.do("POST", "/api/v1/observations", e.tokens["team-a"], body, "Idempotency-Key", "retry-1")
	s2, _, b2 := e.do("POST", "/api/v1/observations", e.tokens["team-a"], body, "Idempotency-Key", "retry-1")
	var r1, r2 observation.Observation
	json.Unmarshal(b1, &r1)
	json.Unmarshal(b2, &r2)
	if s1 != 201 || s2 != 201 || r1.ID == "" || r1.ID != r2.ID {
		t.Fatalf("retried POST: %d %s / %d %s", s1, r1.ID, s2, r2.ID)
	}
	if r1.IncidentID != o.IncidentID {
		t.Fatalf("the same report opened incident %s, want %s", r1.IncidentID, o.IncidentID)
	}

	ctx := context.Background()
	got, err := e.client(e.tokens["ru-viewer"]).FindObservation(ctx, o.ID)
	if err != nil || got.ObserverID != "" || got.ObserverLabel != "observer of party mission" {
		t.Fatalf("another party reads observer %q label %q: %v", got.ObserverID, got.ObserverLabel, err)
	}
	inc, err := e.client(e.tokens["ru-viewer"]).FindIncident(ctx, o.IncidentID)
	if err != nil || inc.Observations != 2 || inc.Observers != 1 || inc.Status != observation.StatusReported {
		t.Fatalf("incident %+v, %v", inc, err)
	}
	dec, err := e.client(e.tokens["centre-op"]).DecideIncident(ctx, inc.ID, observation.DecisionInput{Action: observation.ActionVerify, Reason: "Heard by team A twice."})
	if err != nil || dec.Status != observation.StatusVerified || len(dec.Decisions) != 1 || dec.Decisions[0].Signature == "" {
		t.Fatalf("verify: %+v, %v", dec, err)
	}
	// No agreement's rule is broken here: no response is owed, and a bad
	// stance is refused before that; nothing is recorded.
	before = e.journalSize()
	for _, c := range []struct {
		path, body string
		status     int
		code       string
	}{
		{"/response", `{"stance":"dispute","text":"Not ours."}`, 409, truce.ECONFLICT},
		{"/response/statement", `{"stance":"dispute","text":"Not ours."}`, 409, truce.ECONFLICT},
		{"/response", `{"stance":"deny","text":"Not ours."}`, 400, truce.EINVALID},
		{"/response", `{"stance":"dispute"}`, 400, truce.EINVALID},
	} {
		status, h, b := e.do("POST", "/api/v1/incidents/"+inc.ID+c.path, e.tokens["us-op"], c.body)
		if status != c.status || problemCode(t, h, b) != c.code {
			t.Errorf("response %s %s: %d %s, want %d %s", c.path, c.body, status, b, c.status, c.code)
		}
	}
	if after := e.journalSize(); after != before {
		t.Fatalf("refused responses journalled %d entries", after-before)
	}
	list, _, err := e.client(e.tokens["us-op"]).ListIncidents(ctx, observation.IncidentFilter{Status: observation.StatusVerified})
	if err != nil || len(list) != 1 || list[0].ID != inc.ID {
		t.Fatalf("verified incidents: %v, %v", list, err)
	}

	// The day's report: the incident, as JSON and as ACLED CSV with HXL.
	rep, err := e.client(e.tokens["us-op"]).DailyReport(ctx, o.Start)
	if err != nil || rep.Total.Incidents != 1 || rep.Total.Observations != 2 || len(rep.Incidents) != 1 || rep.Incidents[0].ID != inc.ID {
		t.Fatalf("daily report %+v, %v", rep, err)
	}
	status, h, b := e.do("GET", "/api/v1/reports/daily?format=acled&day="+o.Start.Format(time.DateOnly), e.tokens["us-op"], "")
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(string(b), "#event+code") || !strings.Contains(string(b), inc.ID) {
		t.Fatalf("ACLED CSV: %d %s", status, b)
	}
	if status, h, b := e.do("GET", "/api/v1/reports/daily?day=7-12-2026", e.tokens["us-op"], ""); status != 400 || problemCode(t, h, b) != truce.EINVALID {
		t.Fatalf("a bad day: %d %s", status, b)
	}
}
