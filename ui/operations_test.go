package ui_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
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
