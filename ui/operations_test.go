package ui_test

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/operations"
)

// TestOperationPages files an operation through the form, shows it with
// its volume, lists it, serves it on the map layer, refuses a form with a
// band upside down, and renders the list in Arabic.
func TestOperationPages(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	u, _ := s.node.Store.Accounts().User(ctx, "us-operator")
	p, _ := s.node.Store.Accounts().Party(ctx, u.PartyID)
	us := truce.NewContext(ctx, &truce.Caller{User: u, Party: p})
	ag, err := s.node.Zones.CreateAgreement(us, truce.AgreementCreate{Title: "Memo", Signatories: []string{p.ID}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := truce.AgreeAll(s.node.Zones, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, us); err != nil {
		t.Fatal(err)
	}
	c := client(t)
	_, csrf := login(t, s, c, "us-operator", "us-password-1")
	start := time.Now().Add(24 * time.Hour).UTC()
	form := url.Values{"csrf": {csrf}, "agreement_id": {ag.ID}, "name": {"Patrol north"}, "kind": {"air_patrol"},
		"geometry": {`{"type":"Point","coordinates":[36.1,32.6]}`}, "buffer_m": {"5000"}, "floor_m": {"1000"}, "ceiling_m": {"4000"},
		"start": {start.Format("2006-01-02T15:04")}, "end": {start.Add(2 * time.Hour).Format("2006-01-02T15:04")}}
	resp, _ := post(t, c, s.url+"/operations", form)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(loc, "/operations/") {
		t.Fatalf("filing: %d %q", resp.StatusCode, loc)
	}
	resp, page := get(t, c, s.url+loc)
	if resp.StatusCode != 200 || !strings.Contains(page, "Patrol north") || !strings.Contains(page, `id="op-status"`) || !strings.Contains(page, "1000–4000 m") {
		t.Fatalf("filed: %d\n%.800s", resp.StatusCode, page)
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("floor_m", "9000")
	if resp, _ := post(t, c, s.url+"/operations", bad); resp.StatusCode != 400 {
		t.Fatalf("band upside down: %d", resp.StatusCode)
	}
	_, page = get(t, c, s.url+"/operations")
	if strings.Count(page, "data-operation=") != 1 || !strings.Contains(page, `id="op-form"`) {
		t.Fatalf("list:\n%.800s", page)
	}
	_, gj := get(t, c, s.url+"/operations.geojson")
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(gj), &fc); err != nil || len(fc.Features) != 1 || fc.Features[0].Properties["name"] != "Patrol north" {
		t.Fatalf("layer: %v %s", err, gj)
	}
	_, page = get(t, c, s.url+"/operations", "Cookie", "truce_lang=ar")
	if !strings.Contains(page, "العمليات المخططة") || !strings.Contains(page, "دورية جوية") {
		t.Fatal("Arabic list lacks Arabic text")
	}
}

// TestOperationTimeline: the timeline draws one bar per volume in the
// filing party's lane, placed by its window (a later window further along
// the line: to the right in English, to the left in Arabic), leaves out
// what is outside the period, and refuses a bad period with 400.
func TestOperationTimeline(t *testing.T) {
	s := newServer(t)
	ctx := context.Background()
	u, _ := s.node.Store.Accounts().User(ctx, "us-operator")
	p, _ := s.node.Store.Accounts().Party(ctx, u.PartyID)
	us := truce.NewContext(ctx, &truce.Caller{User: u, Party: p})
	ag, err := s.node.Zones.CreateAgreement(us, truce.AgreementCreate{Title: "Memo", Signatories: []string{p.ID}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := truce.AgreeAll(s.node.Zones, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, us); err != nil {
		t.Fatal(err)
	}
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	file := func(name string, at time.Time, x float64) string {
		r, err := s.node.Operations.File(us, operations.FileInput{Plan: operations.Plan{AgreementID: ag.ID, Name: name, Kind: operations.GroundPatrol,
			Volumes: []operations.VolumeInput{{Geometry: json.RawMessage(`{"type":"Point","coordinates":[` + strconv.FormatFloat(x, 'f', -1, 64) + `,32.6]}`), BufferM: 500, FloorM: 0, CeilingM: 10, Start: at, End: at.Add(6 * time.Hour)}}}})
		if err != nil {
			t.Fatal(err)
		}
		return r.Operation.ID
	}
	first := file("first", day.Add(6*time.Hour), 36.1)
	second := file("second", day.Add(48*time.Hour), 36.3)
	far := file("far", day.Add(20*24*time.Hour), 36.5)
	c := client(t)
	login(t, s, c, "us-operator", "us-password-1")
	bar := regexp.MustCompile(`<rect class="tl-bar[^"]*" x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"[^>]*data-operation="([^"]+)"`)
	xs := func(page string) map[string][2]float64 {
		out := map[string][2]float64{}
		for _, m := range bar.FindAllStringSubmatch(page, -1) {
			x, _ := strconv.ParseFloat(m[1], 64)
			w, _ := strconv.ParseFloat(m[2], 64)
			out[m[3]] = [2]float64{x, w}
		}
		return out
	}
	resp, page := get(t, c, s.url+"/operations/timeline")
	got := xs(page)
	if resp.StatusCode != 200 || len(got) != 2 || got[far] != ([2]float64{}) || !strings.Contains(page, "Timeline of operations") {
		t.Fatalf("timeline: %d, bars %v\n%.1500s", resp.StatusCode, got, page)
	}
	if a, b := got[first], got[second]; !(a[0]+a[1] <= b[0]) || a[1] <= 0 {
		t.Fatalf("English: first %v should end before second %v starts", a, b)
	}
	_, page = get(t, c, s.url+"/operations/timeline", "Cookie", "truce_lang=ar")
	got = xs(page)
	if a, b := got[first], got[second]; len(got) != 2 || !(b[0]+b[1] <= a[0]) {
		t.Fatalf("Arabic: second %v should lie left of first %v", b, a)
	}
	if !strings.Contains(page, "الجدول الزمني للعمليات") {
		t.Fatal("the Arabic timeline lacks its Arabic title")
	}
	_, page = get(t, c, s.url+"/operations/timeline?from="+day.Add(19*24*time.Hour).Format(time.DateOnly)+"&days=3")
	if got := xs(page); len(got) != 1 || got[far] == ([2]float64{}) {
		t.Fatalf("a later period: bars %v", got)
	}
	for _, q := range []string{"?days=0", "?days=32", "?days=x", "?from=tomorrow"} {
		if resp, _ := get(t, c, s.url+"/operations/timeline"+q); resp.StatusCode != 400 {
			t.Fatalf("%s: %d, want 400", q, resp.StatusCode)
		}
	}
}
