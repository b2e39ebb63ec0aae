package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/node"
)

// env is a real server over SQLite in a temporary directory, with an
// administrator, a guarantor operator, a party admin and a viewer of another
// party.
type env struct {
	t       *testing.T
	srv     *httptest.Server
	node    *node.Node
	admin   string
	tokens  map[string]string // username -> secret
	parties map[string]*truce.Party
	users   map[string]*truce.User

	agreement *truce.Agreement
	zone      *truce.Zone // proposed by us-op, version 1 pending
	alert     *truce.Alert
	aircraft  *truce.Aircraft // registered by us-op
	feed      *truce.FeedSource
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newEnv(t *testing.T) *env { return newEnvWith(t, node.Config{}) }

// newEnvWith is newEnv with some of the node's configuration given.
func newEnvWith(t *testing.T, cfg node.Config) *env {
	t.Helper()
	ctx := context.Background()
	cfg.DataDir, cfg.Logger, cfg.MaxBodyBytes = t.TempDir(), quiet, 64<<10
	res, err := node.Init(ctx, cfg, node.InitOptions{PartySlug: "secretariat", PartyName: "Secretariat", PartyKind: truce.PartyCoordinator, Username: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.API)
	t.Cleanup(func() { srv.Close(); n.Close() })
	e := &env{t: t, srv: srv, node: n, admin: res.Token.Secret, tokens: map[string]string{"admin": res.Token.Secret},
		parties: map[string]*truce.Party{}, users: map[string]*truce.User{}}
	c := e.client(e.admin)
	for _, p := range []truce.PartyCreate{{Slug: "us", Name: "United States", Kind: truce.PartyGuarantor}, {Slug: "ru", Name: "Russian Federation", Kind: truce.PartyGuarantor}} {
		got, err := c.CreateParty(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		e.parties[p.Slug] = got
	}
	for _, u := range []truce.UserCreate{
		{Party: "us", Username: "us-op", Roles: []truce.Role{truce.RoleOperator}},
		{Party: "us", Username: "us-padmin", Roles: []truce.Role{truce.RolePartyAdmin}},
		{Party: "ru", Username: "ru-viewer", Roles: []truce.Role{truce.RoleViewer}},
		{Party: "ru", Username: "ru-op", Roles: []truce.Role{truce.RoleOperator}},
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
	ag, err := c.CreateAgreement(ctx, truce.AgreementCreate{Title: "Memorandum", Signatories: []string{"us", "ru"}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	e.agreement = ag
	z, _, err := e.client(e.tokens["us-op"]).ProposeZone(ctx, truce.ZoneProposal{Agreement: ag.ID, Name: "Box", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(boxJSON)})
	if err != nil {
		t.Fatal(err)
	}
	e.zone = z
	if e.alert, err = n.Air.RaiseAlert(ctx, &truce.Alert{Kind: truce.AlertZoneEntry, Lon: 36.2, Lat: 33.2, Summary: "TEST1 entered no-fly zone Box",
		Aircraft: []truce.AlertAircraft{{ICAO: "4CA2D1", Callsign: "TEST1"}}, Parties: []string{e.parties["us"].ID, e.parties["ru"].ID}}); err != nil {
		t.Fatal(err)
	}
	if e.aircraft, err = e.client(e.tokens["us-op"]).RegisterAircraft(ctx, truce.Aircraft{ICAO: "AE1234"}); err != nil {
		t.Fatal(err)
	}
	if e.feed, err = c.AddFeed(ctx, truce.FeedSource{Kind: "sbs", Addr: "127.0.0.1:9"}); err != nil {
		t.Fatal(err)
	}
	return e
}

const boxJSON = `{"type":"Polygon","coordinates":[[[36,33],[36.5,33],[36.5,33.5],[36,33.5],[36,33]]]}`

func (e *env) client(token string) *api.Client { return api.NewClient(e.srv.URL, token) }

// do sends a raw request and returns status, headers and body.
func (e *env) do(method, path, token, body string, hdr ...string) (int, http.Header, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func (e *env) journalSize() int64 {
	n, err := e.node.Store.JournalSize(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func problemCode(t *testing.T, h http.Header, body []byte) string {
	t.Helper()
	if ct := h.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json; body %s", ct, body)
	}
	var p api.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if p.RequestID == "" || p.RequestID != h.Get("X-Request-Id") {
		t.Errorf("problem request id %q, header %q", p.RequestID, h.Get("X-Request-Id"))
	}
	return p.Code
}

// TestAuthMatrix checks every route: without a token 401; with a token of
// a role or party that may not use it, 403 (or 404 where existence itself
// is hidden); public routes answer without a token.
func TestAuthMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	us := e.parties["us"]
	op := e.users["us-op"]
	ctx := context.Background()
	// Targets the administrator's successful calls may use up.
	spare, err := e.client(e.admin).CreateUser(ctx, truce.UserCreate{Party: "us", Username: "us-spare", Roles: []truce.Role{truce.RoleViewer}})
	if err != nil {
		t.Fatal(err)
	}
	spareToken, err := e.client(e.admin).CreateToken(ctx, truce.TokenCreate{User: "ru-viewer", Name: "spare"})
	if err != nil {
		t.Fatal(err)
	}
	secretariat, err := e.node.Store.Accounts().Party(ctx, "secretariat")
	if err != nil {
		t.Fatal(err)
	}
	type check struct {
		method, path, body string
		forbiddenAs        string // username whose call must be refused
		want               int
		adminWant          int // what the administrator gets; 0 for success
	}
	ag, z := "/api/v1/agreements/"+e.agreement.ID, "/api/v1/zones/"+e.zone.ID
	_, hookHeader, _ := e.do("POST", "/api/v1/webhooks", e.tokens["us-op"], `{"url":"https://example.org/hook"}`)
	wh := hookHeader.Get("Location")
	poly := `{"name":"Z","kind":"buffer","geometry":` + boxJSON + `}`
	site, tr, mv, hag := humanitarianTargets(t, e)
	siteBody := `{"agreement_id":"` + hag + `","name":"S","category":"school","organisation":"O","geometry":{"type":"Point","coordinates":[36.1,32.6]},"valid_from":"2030-01-01T00:00:00Z"}`
	mvBody := `{"agreement_id":"` + hag + `","name":"C","organisation":"O","route":{"type":"LineString","coordinates":[[36.0,32.5],[36.1,32.6]]},` +
		`"departure":{"from":"2030-01-01T00:00:00Z","to":"2030-01-01T01:00:00Z"},"arrival":{"from":"2030-01-01T01:00:00Z","to":"2030-01-01T03:00:00Z"},"vehicles":[{"count":1,"type":"truck"}]}`
	obs, obsBody := fileObservation(t, e)
	opBody := `{"agreement_id":"` + hag + `","name":"Patrol","kind":"air_patrol","volumes":[{"geometry":{"type":"Point","coordinates":[36.1,32.6]},"buffer_m":1000,"floor_m":0,"ceiling_m":3000,"start":"2030-01-01T00:00:00Z","end":"2030-01-01T02:00:00Z"}]}`
	checks := map[string]check{
		"GET /api/v1/observations":              {"GET", "/api/v1/observations", "", "", 0, 0},
		"POST /api/v1/observations":             {"POST", "/api/v1/observations", obsBody, "us-op", 403, 403},
		"GET /api/v1/observations/{id}":         {"GET", "/api/v1/observations/" + obs.ID, "", "", 0, 0},
		"GET /api/v1/incidents":                 {"GET", "/api/v1/incidents?status=reported", "", "", 0, 0},
		"GET /api/v1/incidents/{id}":            {"GET", "/api/v1/incidents/" + obs.IncidentID, "", "", 0, 0},
		"POST /api/v1/incidents/{id}/decisions": {"POST", "/api/v1/incidents/" + obs.IncidentID + "/decisions", `{"action":"reject","reason":"test"}`, "ru-op", 403, 0},
		// responses: the incident is no verified violation yet.
		"POST /api/v1/incidents/{id}/response":           {"POST", "/api/v1/incidents/" + obs.IncidentID + "/response", `{"stance":"dispute","text":"t"}`, "ru-viewer", 409, 409},
		"POST /api/v1/incidents/{id}/response/statement": {"POST", "/api/v1/incidents/" + obs.IncidentID + "/response/statement", `{"stance":"dispute","text":"t"}`, "ru-viewer", 409, 409},
		// evidence and regrouping: the administrator's party is no
		// monitoring mission (uploads), and nothing is there to regroup.
		"PUT /api/v1/evidence/{sha256}":                            {"PUT", "/api/v1/evidence/" + strings.Repeat("a", 64), "%PDF-1.4", "ru-op", 403, 403},
		"GET /api/v1/evidence/{sha256}":                            {"GET", "/api/v1/evidence/" + strings.Repeat("a", 64), "", "", 0, 404},
		"GET /api/v1/evidence/{sha256}/file":                       {"GET", "/api/v1/evidence/" + strings.Repeat("a", 64) + "/file", "", "", 0, 404},
		"POST /api/v1/incidents/{id}/merge":                        {"POST", "/api/v1/incidents/" + obs.IncidentID + "/merge", `{"from":["none"],"reason":"test"}`, "ru-op", 403, 404},
		"POST /api/v1/incidents/{id}/split":                        {"POST", "/api/v1/incidents/" + obs.IncidentID + "/split", `{"observations":["` + obs.ID + `"],"reason":"test"}`, "ru-op", 403, 400},
		"POST /api/v1/incidents/{id}/moves":                        {"POST", "/api/v1/incidents/" + obs.IncidentID + "/moves", `{"observations":["` + obs.ID + `"],"reason":"test"}`, "ru-op", 403, 400},
		"POST /api/v1/reports/daily/publications":                  {"POST", "/api/v1/reports/daily/publications", `{"day":"2026-12-07"}`, "ru-op", 403, 0},
		"GET /api/v1/reports/daily/published":                      {"GET", "/api/v1/reports/daily/published?day=2001-01-01", "", "", 0, 404},
		"GET /api/v1/reports/daily":                                {"GET", "/api/v1/reports/daily?format=acled", "", "", 0, 0},
		"GET /api/v1/sites":                                        {"GET", "/api/v1/sites", "", "", 0, 0},
		"POST /api/v1/sites":                                       {"POST", "/api/v1/sites", siteBody, "us-op", 403, 0},
		"POST /api/v1/sites/import":                                {"POST", "/api/v1/sites/import", `{"agreement_id":"` + hag + `","format":"csv","data":"name,category,organisation,lat,lon,valid_from\nS,school,O,32.6,36.1,2030-01-01\n"}`, "us-op", 403, 0},
		"GET /api/v1/sites/{id}":                                   {"GET", "/api/v1/sites/" + site, "", "", 0, 0},
		"GET /api/v1/sites/{id}/versions":                          {"GET", "/api/v1/sites/" + site + "/versions", "", "", 0, 0},
		"POST /api/v1/sites/{id}/versions":                         {"POST", "/api/v1/sites/" + site + "/versions", `{"name":"S2","category":"school","organisation":"O","geometry":{"type":"Point","coordinates":[36.1,32.6]},"valid_from":"2030-01-01T00:00:00Z"}`, "ru-op", 403, 0},
		"POST /api/v1/sites/{id}/close":                            {"POST", "/api/v1/sites/" + site + "/close", "", "us-op", 403, 0},
		"GET /api/v1/sites/{id}/board":                             {"GET", "/api/v1/sites/" + site + "/board", "", "", 0, 0},
		"GET /api/v1/inbox":                                        {"GET", "/api/v1/inbox?party=ru", "", "us-op", 403, 0},
		"GET /api/v1/transmissions/{id}":                           {"GET", "/api/v1/transmissions/" + tr, "", "", 0, 0},
		"POST /api/v1/transmissions/{id}/statement":                {"POST", "/api/v1/transmissions/" + tr + "/statement", `{}`, "", 0, 0},
		"POST /api/v1/transmissions/{id}/answer":                   {"POST", "/api/v1/transmissions/" + tr + "/answer", `{}`, "ru-op", 403, 403},
		"POST /api/v1/transmissions/acknowledge":                   {"POST", "/api/v1/transmissions/acknowledge", `{"ids":["` + tr + `"]}`, "ru-op", 403, 403},
		"POST /api/v1/transmissions/{id}/relay":                    {"POST", "/api/v1/transmissions/" + tr + "/relay", "", "ru-op", 403, 403},
		"GET /api/v1/movements":                                    {"GET", "/api/v1/movements", "", "", 0, 0},
		"POST /api/v1/movements":                                   {"POST", "/api/v1/movements", mvBody, "us-op", 403, 0},
		"GET /api/v1/movements/{id}":                               {"GET", "/api/v1/movements/" + mv, "", "", 0, 0},
		"GET /api/v1/movements/{id}/versions":                      {"GET", "/api/v1/movements/" + mv + "/versions", "", "", 0, 0},
		"POST /api/v1/movements/{id}/status":                       {"POST", "/api/v1/movements/" + mv + "/status", `{"status":"under_way"}`, "us-op", 403, 0},
		"GET /api/v1/movements/{id}/board":                         {"GET", "/api/v1/movements/" + mv + "/board", "", "", 0, 0},
		"GET /api/v1/transmissions/{id}/notices":                   {"GET", "/api/v1/transmissions/" + tr + "/notices", "", "", 0, 0},
		"POST /api/v1/movements/{id}/positions":                    {"POST", "/api/v1/movements/" + mv + "/positions", `{"lon":36.0,"lat":32.5}`, "us-op", 403, 0},
		"GET /api/v1/movements/{id}/position":                      {"GET", "/api/v1/movements/" + mv + "/position", "", "", 0, 0},
		"POST /api/v1/convoys/osmand":                              {"POST", "/api/v1/convoys/osmand?id=" + mv + "&lat=32.5&lon=36.0", "", "us-op", 403, 0},
		"GET /api/v1/movements/{id}/devices":                       {"GET", "/api/v1/movements/" + mv + "/devices", "", "us-op", 403, 0},
		"POST /api/v1/movements/{id}/devices":                      {"POST", "/api/v1/movements/" + mv + "/devices", `{"name":"Phone"}`, "us-op", 403, 0},
		"POST /api/v1/movements/{id}/devices/{device}/revoke":      {"POST", "/api/v1/movements/" + mv + "/devices/none/revoke", "", "us-op", 403, 404},
		"GET /api/v1/me":                                           {"GET", "/api/v1/me", "", "", 0, 0},
		"GET /api/v1/parties":                                      {"GET", "/api/v1/parties", "", "", 0, 0},
		"POST /api/v1/parties":                                     {"POST", "/api/v1/parties", `{"slug":"jo","name":"Jordan","kind":"guarantor"}`, "us-padmin", 403, 0},
		"GET /api/v1/parties/{id}":                                 {"GET", "/api/v1/parties/" + us.ID, "", "", 0, 0},
		"POST /api/v1/key-rotations":                               {"POST", "/api/v1/key-rotations", `{"note":"x"}`, "ru-viewer", 403, 400},
		"GET /api/v1/users":                                        {"GET", "/api/v1/users?party=ru", "", "us-op", 403, 0},
		"POST /api/v1/users":                                       {"POST", "/api/v1/users", `{"party":"ru","username":"x1","roles":["viewer"]}`, "us-padmin", 403, 0},
		"GET /api/v1/users/{id}":                                   {"GET", "/api/v1/users/" + op.ID, "", "ru-viewer", 404, 0},
		"POST /api/v1/users/{id}/disable":                          {"POST", "/api/v1/users/" + spare.ID + "/disable", "", "us-op", 403, 0},
		"GET /api/v1/tokens":                                       {"GET", "/api/v1/tokens?user=ru-viewer", "", "us-padmin", 403, 0},
		"POST /api/v1/tokens":                                      {"POST", "/api/v1/tokens", `{"name":"x","user":"ru-viewer"}`, "us-padmin", 403, 0},
		"POST /api/v1/tokens/{id}/revoke":                          {"POST", "/api/v1/tokens/" + spareToken.ID + "/revoke", "", "us-op", 403, 0},
		"GET /api/v1/journal":                                      {"GET", "/api/v1/journal", "", "", 0, 0},
		"GET /api/v1/journal/{index}":                              {"GET", "/api/v1/journal/0", "", "", 0, 0},
		"GET /api/v1/agreements":                                   {"GET", "/api/v1/agreements", "", "", 0, 0},
		"POST /api/v1/agreements":                                  {"POST", "/api/v1/agreements", `{"title":"T","signatories":["us"],"effective_from":"2017-07-09T00:00:00Z"}`, "ru-viewer", 403, 0},
		"GET /api/v1/agreements/{id}":                              {"GET", ag, "", "", 0, 0},
		"PATCH /api/v1/agreements/{id}":                            {"PATCH", ag, `{"reference":"https://example.org/memo"}`, "ru-viewer", 403, 0},
		"POST /api/v1/agreements/{id}/proposals":                   {"POST", ag + "/proposals", `{"action":"bring_into_force"}`, "ru-viewer", 403, 0},
		"GET /api/v1/agreements/{id}/proposals/{number}/statement": {"GET", ag + "/proposals/1/statement?decision=approve", "", "", 0, 0},
		// Only signatories decide or give notice; the administrator's
		// party is none.
		"POST /api/v1/agreements/{id}/proposals/{number}/decision": {"POST", ag + "/proposals/1/decision", `{"approve":true}`, "ru-viewer", 403, 403},
		"GET /api/v1/agreements/{id}/notices/statement":            {"GET", ag + "/notices/statement", "", "", 0, 0},
		"POST /api/v1/agreements/{id}/notices":                     {"POST", ag + "/notices", `{}`, "ru-viewer", 403, 403},
		"GET /api/v1/zones":                                        {"GET", "/api/v1/zones", "", "", 0, 0},
		"POST /api/v1/zones":                                       {"POST", "/api/v1/zones", `{"agreement":"` + e.agreement.ID + `",` + poly[1:], "ru-viewer", 403, 0},
		"POST /api/v1/zones/import":                                {"POST", "/api/v1/zones/import", `{"agreement":"` + e.agreement.ID + `","features":{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"I"},"geometry":` + boxJSON + `}]},"defaults":{"name":"","kind":"buffer","geometry":null}}`, "ru-viewer", 403, 0},
		"GET /api/v1/zones/at":                                     {"GET", "/api/v1/zones/at?lon=36.2&lat=33.2", "", "", 0, 0},
		"GET /api/v1/zones/in-force":                               {"GET", "/api/v1/zones/in-force", "", "", 0, 0},
		"GET /api/v1/zones/export":                                 {"GET", "/api/v1/zones/export", "", "", 0, 0},
		"GET /api/v1/zones/{id}":                                   {"GET", z, "", "", 0, 0},
		"GET /api/v1/zones/{id}/history":                           {"GET", z + "/history", "", "", 0, 0},
		"POST /api/v1/zones/{id}/versions":                         {"POST", z + "/versions", poly, "ru-viewer", 403, 409},
		"POST /api/v1/zones/{id}/suspend":                          {"POST", z + "/suspend", `{}`, "ru-viewer", 403, 409},
		"POST /api/v1/zones/{id}/withdraw":                         {"POST", z + "/withdraw", `{}`, "ru-viewer", 403, 409},
		"GET /api/v1/zones/{id}/versions/{version}/statement":      {"GET", z + "/versions/1/statement?decision=approve", "", "", 0, 0},
		"GET /api/v1/alerts":                                       {"GET", "/api/v1/alerts?state=open&bbox=35,32,37,34", "", "", 0, 0},
		"GET /api/v1/alerts/{id}":                                  {"GET", "/api/v1/alerts/" + e.alert.ID, "", "", 0, 0},
		"POST /api/v1/alerts/{id}/acknowledge":                     {"POST", "/api/v1/alerts/" + e.alert.ID + "/acknowledge", `{"note":"seen"}`, "ru-viewer", 403, 0},
		"POST /api/v1/alerts/{id}/close":                           {"POST", "/api/v1/alerts/" + e.alert.ID + "/close", `{}`, "ru-viewer", 403, 0},
		"GET /api/v1/aircraft":                                     {"GET", "/api/v1/aircraft", "", "", 0, 0},
		"POST /api/v1/aircraft":                                    {"POST", "/api/v1/aircraft", `{"callsign_prefix":"RFF"}`, "ru-viewer", 403, 0},
		"POST /api/v1/aircraft/{id}/remove":                        {"POST", "/api/v1/aircraft/" + e.aircraft.ID + "/remove", "", "ru-op", 403, 0},
		"GET /api/v1/feeds":                                        {"GET", "/api/v1/feeds", "", "", 0, 0},
		"POST /api/v1/feeds":                                       {"POST", "/api/v1/feeds", `{"kind":"sbs","addr":"127.0.0.1:10"}`, "us-op", 403, 0},
		"POST /api/v1/feeds/{id}/remove":                           {"POST", "/api/v1/feeds/" + e.feed.ID + "/remove", "", "us-op", 403, 0},
		"GET /api/v1/tracks":                                       {"GET", "/api/v1/tracks?bbox=35,32,37,34", "", "", 0, 0},
		"POST /api/v1/positions":                                   {"POST", "/api/v1/positions", `{"icao":"4CA2D1","lat":33.2,"lon":36.2,"alt_ft":12000}`, "ru-viewer", 403, 0},
		"GET /cap/alerts.atom":                                     {"GET", "/cap/alerts.atom", "", "", 0, 0},
		"GET /cap/alerts/{file}":                                   {"GET", "/cap/alerts/" + e.alert.ID + ".xml", "", "", 0, 0},
		"POST /api/v1/zones/{id}/versions/{version}/decision":      {"POST", z + "/versions/1/decision", `{"approve":true}`, "ru-viewer", 403, 403},
		"GET /api/v1/journal/consistency":                          {"GET", "/api/v1/journal/consistency?old=1&new=3", "", "", 0, 0},
		"GET /api/v1/records/{kind}/{id}/proof":                    {"GET", "/api/v1/records/party/" + secretariat.ID + "/proof", "", "", 0, 0},
		"GET /api/v1/events":                                       {"GET", "/api/v1/events?follow=false", "", "", 0, 0},
		"GET /api/v1/webhooks":                                     {"GET", "/api/v1/webhooks", "", "ru-viewer", 403, 0},
		"POST /api/v1/webhooks":                                    {"POST", "/api/v1/webhooks", `{"url":"https://example.org/hook"}`, "ru-viewer", 403, 0},
		"GET /api/v1/webhooks/{id}":                                {"GET", wh, "", "ru-op", 404, 0},
		"GET /api/v1/webhooks/{id}/deliveries":                     {"GET", wh + "/deliveries", "", "ru-op", 404, 0},
		"DELETE /api/v1/webhooks/{id}":                             {"DELETE", wh, "", "ru-op", 404, 0},
		// control: the administrator's writes are refused for reasons
		// other than authorisation (no such actor, area or breach; an
		// unapproved zone; not a guarantor).
		"GET /api/v1/actors":                            {"GET", "/api/v1/actors", "", "", 0, 0},
		"POST /api/v1/actors":                           {"POST", "/api/v1/actors", `{"slug":"saa","names":{"en":"SAA"},"type":"state_forces"}`, "ru-viewer", 403, 0},
		"GET /api/v1/actors/{id}":                       {"GET", "/api/v1/actors/nobody", "", "", 0, 404},
		"GET /api/v1/actors/{id}/history":               {"GET", "/api/v1/actors/nobody/history", "", "", 0, 404},
		"POST /api/v1/control-areas":                    {"POST", "/api/v1/control-areas", `{"actor":"nobody","geometry":` + boxJSON + `,"from":"2026-01-01T00:00:00Z","source":"s","confidence":"low"}`, "ru-viewer", 403, 400},
		"POST /api/v1/control-areas/import":             {"POST", "/api/v1/control-areas/import", `{"features":` + boxJSON + `,"defaults":{"actor":"nobody","from":"2026-01-01T00:00:00Z","source":"s","confidence":"low"}}`, "ru-viewer", 403, 400},
		"POST /api/v1/control-areas/{id}/end":           {"POST", "/api/v1/control-areas/none/end", `{"at":"2026-01-01T00:00:00Z"}`, "ru-viewer", 403, 404},
		"GET /api/v1/control/map":                       {"GET", "/api/v1/control/map", "", "", 0, 0},
		"GET /api/v1/control/changes":                   {"GET", "/api/v1/control/changes?from=2017-01-01T00:00:00Z", "", "", 0, 0},
		"GET /api/v1/guarantees":                        {"GET", "/api/v1/guarantees", "", "", 0, 0},
		"POST /api/v1/guarantees":                       {"POST", "/api/v1/guarantees", `{"agreement_id":"` + e.agreement.ID + `","zone_id":"` + e.zone.ID + `","guarantors":["ru"],"allowed":["saa"],"from":"2026-01-01T00:00:00Z"}`, "ru-viewer", 403, 422},
		"GET /api/v1/breaches":                          {"GET", "/api/v1/breaches", "", "", 0, 0},
		"GET /api/v1/guarantors/{party}/record":         {"GET", "/api/v1/guarantors/ru/record", "", "", 0, 0},
		"GET /api/v1/guarantors/{party}/record.geojson": {"GET", "/api/v1/guarantors/ru/record.geojson", "", "", 0, 0},
		"GET /api/v1/guarantors/{party}/record.csv":     {"GET", "/api/v1/guarantors/ru/record.csv", "", "", 0, 0},
		"GET /api/v1/breaches/{id}":                     {"GET", "/api/v1/breaches/none", "", "", 0, 404},
		"POST /api/v1/breaches/{id}/response":           {"POST", "/api/v1/breaches/none/response", `{"action":"a"}`, "ru-viewer", 404, 404},
		"POST /api/v1/breaches/{id}/statement":          {"POST", "/api/v1/breaches/none/statement", `{"action":"a"}`, "ru-viewer", 404, 404},
		"GET /api/v1/operations":                        {"GET", "/api/v1/operations", "", "", 0, 0},
		"POST /api/v1/operations":                       {"POST", "/api/v1/operations", opBody, "ru-viewer", 403, 403},
		"POST /api/v1/operations/check":                 {"POST", "/api/v1/operations/check", opBody, "ru-viewer", 403, 403},
		"GET /api/v1/operations/{id}":                   {"GET", "/api/v1/operations/none", "", "", 0, 404},
		"POST /api/v1/operations/{id}/approve":          {"POST", "/api/v1/operations/none/approve", `{"version":1}`, "ru-viewer", 404, 404},
		"POST /api/v1/operations/{id}/amend":            {"POST", "/api/v1/operations/none/amend", `{"version":1,` + opBody[1:], "ru-viewer", 403, 404},
		"POST /api/v1/operations/{id}/status":           {"POST", "/api/v1/operations/none/status", `{"status":"cancelled"}`, "ru-viewer", 404, 404},
		"GET /api/v1/operations/{id}/conflicts":         {"GET", "/api/v1/operations/none/conflicts", "", "", 0, 0},
		"GET /api/v1/operation-conflicts":               {"GET", "/api/v1/operation-conflicts", "", "", 0, 0},
	}
	publicWant := map[string]int{"GET /api/v1/convoys/tracker": 400, "POST /api/v1/convoys/tracker": 400}
	for _, rt := range e.node.API.Routes() {
		name := rt.Method + " " + rt.Pattern
		t.Run(name, func(t *testing.T) {
			if rt.Public {
				status, _, _ := e.do(rt.Method, rt.Pattern, "", "")
				if publicWant[name] != 0 {
					// A tracker's route: its device token is its
					// credential, in the query; without one, a bad request.
					if status != publicWant[name] {
						t.Fatalf("public route answered %d, want %d", status, publicWant[name])
					}
					return
				}
				if status != 200 {
					t.Fatalf("public route answered %d", status)
				}
				return
			}
			c, ok := checks[name]
			if !ok {
				t.Fatalf("route %s has no entry in the authorisation matrix", name)
			}
			before := e.journalSize()
			status, h, b := e.do(c.method, c.path, "", c.body)
			if status != 401 || problemCode(t, h, b) != truce.EUNAUTHORIZED {
				t.Fatalf("no token: %d %s", status, b)
			}
			status, _, _ = e.do(c.method, c.path, "truce_notavalidtoken", c.body)
			if status != 401 {
				t.Fatalf("bad token: %d", status)
			}
			if c.forbiddenAs != "" {
				status, h, b = e.do(c.method, c.path, e.tokens[c.forbiddenAs], c.body)
				if status != c.want {
					t.Fatalf("as %s: %d %s, want %d", c.forbiddenAs, status, b, c.want)
				}
				problemCode(t, h, b)
			}
			if after := e.journalSize(); after != before {
				t.Fatalf("refused calls changed the journal: %d -> %d", before, after)
			}
			// The administrator may do it (or is refused for a reason
			// other than authorisation: admins decide only for signatories).
			status, _, b = e.do(c.method, c.path, e.admin, c.body)
			if (c.adminWant == 0 && status >= 300) || (c.adminWant != 0 && status != c.adminWant) {
				t.Fatalf("as admin: %d %s", status, b)
			}
		})
	}
}

// humanitarianTargets notifies, as the administrator, a site and a movement
// under an agreement in force between us and ru, for the authorisation
// matrix: it returns their ids, the site's transmission to us and the
// agreement's id.
func humanitarianTargets(t *testing.T, e *env) (site, transmission, movement, agreement string) {
	t.Helper()
	ctx := context.Background()
	c := e.client(e.admin)
	ag, err := c.CreateAgreement(ctx, truce.AgreementCreate{Title: "Humanitarian", Signatories: []string{"us", "ru"}, EffectiveFrom: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	prop, err := c.ProposeAgreement(ctx, ag.ID, truce.AgreementMotion{Action: truce.AgreementBringIntoForce}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"us-op", "ru-op"} {
		if _, err := e.client(e.tokens[u]).DecideAgreement(ctx, ag.ID, prop.Proposals, truce.ZoneDecision{Approve: true}); err != nil {
			t.Fatalf("%s approves: %v", u, err)
		}
	}
	s, err := c.NotifySite(ctx, humanitarian.SiteCreate{AgreementID: ag.ID, SiteFields: humanitarian.SiteFields{Name: "Target", Category: humanitarian.School,
		Organisation: "O", Geometry: json.RawMessage(`{"type":"Point","coordinates":[36.1,32.6]}`), ValidFrom: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.SiteBoard(ctx, s.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range b.Rows {
		if r.Slug == "us" {
			transmission = r.Transmission.ID
		}
	}
	dep := time.Now().Add(time.Hour)
	m, err := c.CreateMovement(ctx, humanitarian.MovementCreate{AgreementID: ag.ID, Notify: true, MovementFields: humanitarian.MovementFields{Name: "Target",
		Organisation: "O", Route: json.RawMessage(`{"type":"LineString","coordinates":[[36.0,32.5],[36.1,32.6]]}`),
		Departure: humanitarian.Window{From: dep, To: dep.Add(time.Hour)}, Arrival: humanitarian.Window{From: dep.Add(time.Hour), To: dep.Add(2 * time.Hour)},
		Vehicles: []humanitarian.Vehicle{{Count: 1, Type: "truck"}}}})
	if err != nil {
		t.Fatal(err)
	}
	return s.ID, transmission, m.ID, ag.ID
}

func TestStrictDecoding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name, body string
		hdr        []string
		status     int
		code       string
	}{
		{"ErrMalformed", `{"slug":"jo",`, nil, 400, truce.EINVALID},
		{"ErrSyntax", `{"slug" "jo"}`, nil, 400, truce.EINVALID},
		{"ErrUnknownField", `{"slug":"jo","name":"Jordan","kind":"guarantor","colour":"red"}`, nil, 400, truce.EINVALID},
		{"ErrTrailingData", `{"slug":"jo","name":"Jordan","kind":"guarantor"} {}`, nil, 400, truce.EINVALID},
		{"ErrWrongType", `{"slug":7,"name":"Jordan","kind":"guarantor"}`, nil, 400, truce.EINVALID},
		{"ErrEmpty", ``, nil, 400, truce.EINVALID},
		{"ErrBadSlug", `{"slug":"Jordan!","name":"Jordan","kind":"guarantor"}`, nil, 400, truce.EINVALID},
		{"ErrBadKind", `{"slug":"jo","name":"Jordan","kind":"empire"}`, nil, 400, truce.EINVALID},
		{"ErrBadKey", `{"slug":"jo","name":"Jordan","kind":"guarantor","public_key":"not a key"}`, nil, 400, truce.EINVALID},
		{"ErrContentType", `slug=jo`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 400, truce.EINVALID},
		{"ErrTooLarge", `{"slug":"jo","name":"` + strings.Repeat("x", 70<<10) + `","kind":"guarantor"}`, nil, 413, truce.ETOOLARGE},
		{"ErrDuplicate", `{"slug":"us","name":"Again","kind":"guarantor"}`, nil, 409, truce.ECONFLICT},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.journalSize()
			parties, _, _ := e.client(e.admin).ListParties(context.Background(), truce.PartyFilter{})
			status, h, b := e.do("POST", "/api/v1/parties", e.admin, c.body, c.hdr...)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, b)
			}
			if code := problemCode(t, h, b); code != c.code {
				t.Fatalf("code %q, want %q", code, c.code)
			}
			after, _, _ := e.client(e.admin).ListParties(context.Background(), truce.PartyFilter{})
			if e.journalSize() != before || len(after) != len(parties) {
				t.Fatal("a refused request changed the database")
			}
		})
	}
	t.Run("ErrUnknownRole", func(t *testing.T) {
		before := e.journalSize()
		status, h, b := e.do("POST", "/api/v1/users", e.admin, `{"party":"us","username":"zed","roles":["general"]}`)
		if status != 400 || problemCode(t, h, b) != truce.EINVALID || !strings.Contains(string(b), "general") {
			t.Fatalf("%d %s", status, b)
		}
		if _, err := e.node.Store.Accounts().User(context.Background(), "zed"); truce.ErrorCode(err) != truce.ENOTFOUND || e.journalSize() != before {
			t.Fatal("the user was created")
		}
	})
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"slug":"jo","name":"Jordan","kind":"guarantor"}`
	s1, _, b1 := e.do("POST", "/api/v1/parties", e.admin, body, "Idempotency-Key", "k-1")
	if s1 != 201 {
		t.Fatalf("%d %s", s1, b1)
	}
	size := e.journalSize()
	s2, h2, b2 := e.do("POST", "/api/v1/parties", e.admin, body, "Idempotency-Key", "k-1")
	if s2 != 201 || !bytes.Equal(b1, b2) || h2.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s (first %s)", s2, b2, b1)
	}
	if e.journalSize() != size {
		t.Fatal("the retry recorded something new")
	}
	s3, h3, b3 := e.do("POST", "/api/v1/parties", e.admin, `{"slug":"jo2","name":"Jordan","kind":"guarantor"}`, "Idempotency-Key", "k-1")
	if s3 != 422 || problemCode(t, h3, b3) != truce.EUNPROCESSABLE {
		t.Fatalf("same key, other body: %d %s", s3, b3)
	}
	if e.journalSize() != size {
		t.Fatal("the refused request recorded something")
	}
	// Keys are per user: another user's same key is a new request.
	s4, _, b4 := e.do("POST", "/api/v1/tokens", e.tokens["us-op"], `{"name":"x"}`, "Idempotency-Key", "k-1")
	if s4 != 201 {
		t.Fatalf("other user's key: %d %s", s4, b4)
	}
}

// TestIdempotencyKey_ResponseLost: the server committed a request's write
// but died before saving its response. A retry with the key must not write
// again: it is told the journal entry of the write that was made.
func TestIdempotencyKey_ResponseLost(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"slug":"jo","name":"Jordan","kind":"guarantor"}`
	ctx := context.Background()
	admin, err := e.node.Accounts.AuthenticateToken(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	// The write as the API makes it for that request, without the response
	// being saved afterwards (the crash).
	h := sha256.Sum256([]byte("POST /api/v1/parties\n" + body))
	claim := &truce.IdempotencyClaim{Scope: admin.User.ID, Key: "k-lost", RequestHash: hex.EncodeToString(h[:])}
	p, err := e.node.Accounts.CreateParty(truce.WithIdempotency(truce.NewContext(ctx, admin), claim), truce.PartyCreate{Slug: "jo", Name: "Jordan", Kind: truce.PartyGuarantor})
	if err != nil {
		t.Fatal(err)
	}
	size := e.journalSize()
	status, hdr, b := e.do("POST", "/api/v1/parties", e.admin, body, "Idempotency-Key", "k-lost")
	if status != 409 || problemCode(t, hdr, b) != truce.ECONFLICT || !strings.Contains(string(b), fmt.Sprintf("journal entry %d", p.JournalIndex)) {
		t.Fatalf("retry after a lost response: %d %s (write at %d)", status, b, p.JournalIndex)
	}
	if e.journalSize() != size {
		t.Fatal("the retry wrote again")
	}

	// Two servers racing the same key (here two claims of it, as two
	// processes would make): one write is recorded, the other refused.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			c := &truce.IdempotencyClaim{Scope: admin.User.ID, Key: "k-race", RequestHash: "h"}
			_, errs[i] = e.node.Accounts.CreateParty(truce.WithIdempotency(truce.NewContext(ctx, admin), c),
				truce.PartyCreate{Slug: fmt.Sprintf("race%d", i), Name: "Race", Kind: truce.PartyGuarantor})
		})
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("racing claims: %v, %v; want exactly one refused", errs[0], errs[1])
	}
	if err := errors.Join(errs...); truce.ErrorCode(err) != truce.ECONFLICT {
		t.Fatalf("refused with %v, want %s", err, truce.ECONFLICT)
	}
	if e.journalSize() != size+1 {
		t.Fatalf("journal grew by %d, want 1", e.journalSize()-size)
	}
}

func TestETagIfMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.users["us-op"]
	status, h, _ := e.do("GET", "/api/v1/users/"+u.ID, e.admin, "")
	if status != 200 || h.Get("ETag") != `"v1"` {
		t.Fatalf("%d etag %q", status, h.Get("ETag"))
	}
	status, h, b := e.do("POST", "/api/v1/users/"+u.ID+"/disable", e.admin, "", "If-Match", `"v7"`)
	if status != 412 || problemCode(t, h, b) != truce.EPRECONDITION {
		t.Fatalf("stale If-Match: %d %s", status, b)
	}
	status, h, _ = e.do("POST", "/api/v1/users/"+u.ID+"/disable", e.admin, "", "If-Match", `"v1"`)
	if status != 200 || h.Get("ETag") != `"v2"` {
		t.Fatalf("disable: %d %q", status, h.Get("ETag"))
	}
	// A disabled user's token no longer works.
	if status, _, _ := e.do("GET", "/api/v1/me", e.tokens["us-op"], ""); status != 401 {
		t.Fatalf("disabled user's token: %d", status)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(e.tokens["us-op"])
	tk, err := c.CreateToken(ctx, truce.TokenCreate{Name: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tk.Secret, "truce_") || len(tk.Secret) < 40 {
		t.Fatalf("secret %q", tk.Secret)
	}
	if _, err := e.client(tk.Secret).Me(ctx); err != nil {
		t.Fatal(err)
	}
	ts, _ := c.ListTokens(ctx, "")
	for _, x := range ts {
		if x.Secret != "" {
			t.Fatal("a listed token carries its secret")
		}
	}
	if _, err := c.RevokeToken(ctx, tk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client(tk.Secret).Me(ctx); truce.ErrorCode(err) != truce.EUNAUTHORIZED {
		t.Fatalf("revoked token: %v", err)
	}
	past := "2020-01-01T00:00:00Z"
	status, h, b := e.do("POST", "/api/v1/tokens", e.tokens["us-op"], `{"name":"old","expires_at":"`+past+`"}`)
	if status != 400 || problemCode(t, h, b) != truce.EINVALID {
		t.Fatalf("expired at creation: %d %s", status, b)
	}
	// The journal records tokens without their secrets or hashes.
	rs, _, err := e.client(e.admin).ListJournal(ctx, 0, 500)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if bytes.Contains(r.Body, []byte(tk.Secret)) || bytes.Contains(r.Body, []byte("truce_")) {
			t.Fatalf("journal entry %d holds a token secret: %s", r.Index, r.Body)
		}
	}
}

func TestJournalVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	u := e.users["us-op"]
	// The user record is visible to its own party only: the body is
	// withheld from the other party, but the entry (and its hash) is not.
	own, err := e.client(e.tokens["us-padmin"]).JournalEntry(ctx, u.JournalIndex)
	if err != nil || len(own.Body) == 0 || truce.BodyHash(own.Salt, own.Body) != own.Entry.BodyHash {
		t.Fatalf("own party: %+v %v", own, err)
	}
	other, err := e.client(e.tokens["ru-viewer"]).JournalEntry(ctx, u.JournalIndex)
	if err != nil || other.Body != nil || other.Salt != nil || other.Entry.BodyHash != own.Entry.BodyHash {
		t.Fatalf("other party: %+v %v", other, err)
	}
	rs, next, err := e.client(e.admin).ListJournal(ctx, 0, 2)
	if err != nil || len(rs) != 2 || next != 2 {
		t.Fatalf("page: %d entries, next %d, %v", len(rs), next, err)
	}
	if _, err := e.client(e.admin).JournalEntry(ctx, 10_000); truce.ErrorCode(err) != truce.ENOTFOUND {
		t.Fatalf("missing entry: %v", err)
	}
	if status, _, _ := e.do("GET", "/api/v1/journal/-1", e.admin, ""); status != 400 {
		t.Fatalf("negative index: %d", status)
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.client(e.admin)
	seen := map[string]bool{}
	pages := 0
	for cursor := ""; ; pages++ {
		ps, next, err := c.ListParties(ctx, truce.PartyFilter{Limit: 1, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if seen[p.ID] {
				t.Fatalf("party %s on two pages", p.Slug)
			}
			seen[p.ID] = true
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 3 {
		t.Fatalf("saw %d parties over %d pages, want 3", len(seen), pages)
	}
	if status, _, _ := e.do("GET", "/api/v1/parties?limit=9999", e.admin, ""); status != 400 {
		t.Fatalf("limit too big: %d", status)
	}
}

func TestMetricsAndHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do("GET", "/api/v1/parties", e.admin, "")
	_, _, b := e.do("GET", "/metrics", "", "")
	for _, want := range []string{`truce_http_requests_total{code="200",method="GET",route="/api/v1/parties"}`, `truce_journal_appends_total{kind="party"} 2`, "truce_http_request_duration_seconds_bucket"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if s, _, b := e.do("GET", "/readyz", "", ""); s != 200 {
		t.Fatalf("readyz %d %s", s, b)
	}
	_, h, _ := e.do("GET", "/healthz", "", "", "X-Request-Id", "abc-123")
	if h.Get("X-Request-Id") != "abc-123" {
		t.Fatalf("request id not echoed: %q", h.Get("X-Request-Id"))
	}
}
