package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/node"
)

// TestConvoyTracker_DeviceToken: a phone running OsmAnd's online tracking
// calls a URL template and sends no header. The movement's party issues a
// device token, and the URL with it in id= reports positions (GET, the
// timestamp in milliseconds, as OsmAnd sends it) with no other
// credential; a wrong token is 401 and changes nothing; once revoked, the
// token is 401 too; another party may not issue one.
func TestConvoyTracker_DeviceToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	sarc, m := trackedConvoy(t, e)
	if _, err := e.client(e.tokens["us-op"]).IssueDevice(ctx, m.ID, humanitarian.DeviceIssue{Name: "Phone"}); truce.ErrorCode(err) != truce.EFORBIDDEN {
		t.Errorf("another party issued a tracker: %v", err)
	}
	d, err := sarc.IssueDevice(ctx, m.ID, humanitarian.DeviceIssue{Name: "Lead truck phone"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	track := func(token string) (int, []byte) {
		code, _, body := e.do("GET", fmt.Sprintf("/api/v1/convoys/tracker?id=%s&lat=32.5900&lon=36.0500&timestamp=%d&hdop=3&altitude=500&speed=9&bearing=45",
			url.QueryEscape(token), at.UnixMilli()), "", "")
		return code, body
	}
	code, body := track(d.Token)
	var res humanitarian.PositionResult
	if code != 200 || json.Unmarshal(body, &res) != nil || res.Movement != m.ID || !res.Inside {
		t.Fatalf("position by device token: %d %s", code, body)
	}
	if p, err := e.client(e.tokens["ru-op"]).LastPosition(ctx, m.ID); err != nil || !p.Time.Equal(at) {
		t.Fatalf("last position %+v (%v), want at %s (milliseconds read as such)", p, err, at)
	}
	before := e.journalSize()
	for _, bad := range []string{d.Token[:len(d.Token)-1] + "A", m.ID, sarc.Token} {
		if code, body := track(bad); code != 401 {
			t.Errorf("token %q: %d %s", bad, code, body)
		}
	}
	if after := e.journalSize(); after != before {
		t.Errorf("refused positions changed the journal: %d -> %d", before, after)
	}
	ds, err := sarc.Devices(ctx, m.ID)
	if err != nil || len(ds) != 1 || ds[0].ID != d.Device.ID {
		t.Fatalf("devices %+v %v", ds, err)
	}
	if _, err := sarc.RevokeDevice(ctx, m.ID, d.Device.ID); err != nil {
		t.Fatal(err)
	}
	if code, body := track(d.Token); code != 401 {
		t.Errorf("revoked token: %d %s", code, body)
	}
}

// TestConvoyTracker_RateLimited: a tracker is held to the feed's
// allowance by its token: past it, 429 with Retry-After; another
// tracker is not held back.
func TestConvoyTracker_RateLimited(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, node.Config{FeedLimit: api.RateLimit{Rate: 0.01, Burst: 2}})
	ctx := context.Background()
	sarc, m := trackedConvoy(t, e)
	var tokens []string
	for _, name := range []string{"A", "B"} {
		d, err := sarc.IssueDevice(ctx, m.ID, humanitarian.DeviceIssue{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, d.Token)
	}
	track := func(token string) (int, http.Header) {
		code, h, _ := e.do("POST", "/api/v1/convoys/tracker?id="+url.QueryEscape(token)+"&lat=32.59&lon=36.05", "", "")
		return code, h
	}
	for i := range 2 {
		if code, _ := track(tokens[0]); code != 200 {
			t.Fatalf("position %d within the allowance: %d", i, code)
		}
	}
	if code, h := track(tokens[0]); code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("past the allowance: %d %v", code, h)
	}
	if code, _ := track(tokens[1]); code != 200 {
		t.Fatalf("another tracker held back: %d", code)
	}
}

// trackedConvoy is a convoy under way, notified by a humanitarian party
// (whose client it returns with it).
func trackedConvoy(t *testing.T, e *env) (*api.Client, *humanitarian.Movement) {
	t.Helper()
	ctx := context.Background()
	sarc := e.humanitarian(t, "SARC")
	e.agreementInForce(t)
	dep := time.Now().Add(-time.Hour)
	m, err := sarc.CreateMovement(ctx, humanitarian.MovementCreate{AgreementID: e.agreement.ID, Notify: true, MovementFields: humanitarian.MovementFields{
		Name: "Ramtha–Dar'a convoy", Organisation: "SARC", CorridorM: 500,
		Route:     json.RawMessage(`{"type":"LineString","coordinates":[[36.0076,32.5560],[36.0500,32.5900],[36.1020,32.6189]]}`),
		Departure: humanitarian.Window{From: dep, To: dep.Add(time.Hour)}, Arrival: humanitarian.Window{From: dep.Add(time.Hour), To: dep.Add(4 * time.Hour)},
		Vehicles: []humanitarian.Vehicle{{Count: 3, Type: "truck"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sarc.MoveMovement(ctx, m.ID, humanitarian.MovementStep{Status: humanitarian.MovementUnderWay}); err != nil {
		t.Fatal(err)
	}
	return sarc, m
}
