package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/internal/testwait"
)

// TestListPaging walks every list route with limit=1: each page holds at
// most one item, and the pages hold exactly the whole list, in its order.
// Several routes ignored limit and cursor and answered the whole list.
func TestListPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	admin, us, ru := e.client(e.admin), e.client(e.tokens["us-op"]), e.client(e.tokens["ru-op"])
	e.agreementInForce(t)
	// At least two items in every list.
	webhook := func(body string) string {
		status, _, b := e.do("POST", "/api/v1/webhooks", e.tokens["us-op"], body)
		if status != 201 {
			t.Fatalf("webhook: %d %s", status, b)
		}
		var w struct{ ID string }
		json.Unmarshal(b, &w)
		return w.ID
	}
	hook := webhook(`{"url":"https://127.0.0.1:9/hook","kinds":["alert"]}`)
	for i := range 2 {
		must(t, func() error {
			_, err := admin.CreateToken(ctx, truce.TokenCreate{Name: fmt.Sprint("t", i)})
			return err
		})
		must(t, func() error {
			_, err := admin.CreateAgreement(ctx, truce.AgreementCreate{Title: "A", Signatories: []string{"us"}, EffectiveFrom: time.Now()})
			return err
		})
		must(t, func() error {
			_, _, err := us.ProposeZone(ctx, truce.ZoneProposal{Agreement: e.agreement.ID, Name: fmt.Sprint("Z", i), Kind: truce.ZoneNoFly, Geometry: json.RawMessage(boxJSON)})
			return err
		})
		must(t, func() error {
			_, err := e.node.Air.RaiseAlert(ctx, &truce.Alert{Kind: truce.AlertZoneEntry, Lon: 36.2, Lat: 33.2, Summary: "S"})
			return err
		})
		must(t, func() error {
			_, err := us.RegisterAircraft(ctx, truce.Aircraft{ICAO: fmt.Sprintf("AE00%02d", i)})
			return err
		})
		must(t, func() error {
			_, err := admin.AddFeed(ctx, truce.FeedSource{Kind: "sbs", Addr: fmt.Sprintf("127.0.0.1:%d", 10+i)})
			return err
		})
		webhook(fmt.Sprintf(`{"url":"https://127.0.0.1:9/h%d"}`, i))
	}
	zs, _, err := admin.ListZones(ctx, truce.ZoneFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range zs {
		for _, c := range []*api.Client{us, ru} {
			must(t, func() error { _, err := c.DecideZone(ctx, z.ID, 1, truce.ZoneDecision{Approve: true}); return err })
		}
	}
	shifted := `{"type":"Polygon","coordinates":[[[36,33],[36.6,33],[36.6,33.5],[36,33.5],[36,33]]]}`
	must(t, func() error {
		_, err := us.ProposeChange(ctx, e.zone.ID, truce.ZoneProposal{Name: "Box", Kind: truce.ZoneNoFly, Geometry: json.RawMessage(shifted)}, 0)
		return err
	})
	var lines []string
	for i := range 3 {
		lines = append(lines, string(ndjson(fmt.Sprintf("4CA2%02d", i), "", orb.Point{30 + float64(i), 30}, 10000, time.Now(), "")))
	}
	if status, _, b := e.do("POST", "/api/v1/positions", e.tokens["us-op"], strings.Join(lines, "\n"), "Content-Type", "application/x-ndjson"); status != 202 {
		t.Fatalf("positions: %d %s", status, b)
	}
	testwait.For(t, 10*time.Second, "the monitor to take the 3 positions in", func() bool {
		return e.node.Monitor().Counters.Processed.Load() >= 3
	})
	routes := []string{
		"/api/v1/parties", "/api/v1/users", "/api/v1/tokens", "/api/v1/agreements", "/api/v1/zones",
		"/api/v1/zones/at?lon=36.2&lat=33.2", "/api/v1/zones/in-force", "/api/v1/zones/" + e.zone.ID + "/history",
		"/api/v1/alerts", "/api/v1/aircraft", "/api/v1/feeds", "/api/v1/tracks", "/api/v1/webhooks",
		"/api/v1/webhooks/" + hook + "/deliveries",
	}
	for _, route := range routes {
		t.Run(strings.TrimPrefix(route, "/api/v1/"), func(t *testing.T) {
			all := page(t, e, route, "")
			if len(all.Items) < 2 {
				t.Fatalf("%d items; the test needs 2 or more", len(all.Items))
			}
			var walked []json.RawMessage
			cursor := ""
			for n := 0; ; n++ {
				if n > len(all.Items) {
					t.Fatalf("more pages than items: the cursor is not followed")
				}
				q := "limit=1"
				if cursor != "" {
					q += "&cursor=" + url.QueryEscape(cursor)
				}
				pg := page(t, e, route, q)
				if len(pg.Items) > 1 {
					t.Fatalf("limit=1 gave %d items", len(pg.Items))
				}
				walked = append(walked, pg.Items...)
				if pg.NextCursor == "" {
					break
				}
				cursor = pg.NextCursor
			}
			if len(walked) != len(all.Items) {
				t.Fatalf("walked %d items, the list has %d", len(walked), len(all.Items))
			}
			for i := range walked {
				if pagedKey(route, walked[i]) != pagedKey(route, all.Items[i]) {
					t.Fatalf("item %d differs:\n%s\n%s", i, walked[i], all.Items[i])
				}
			}
		})
	}
}

// pagedKey is what must be the same of an item listed whole and walked
// a page at a time: the item itself, but of a webhook delivery only which
// event it delivers to which webhook — the dispatcher retries a failing
// delivery meanwhile (its attempts, next attempt and last error move on
// while the test pages on a slow machine).
func pagedKey(route string, item json.RawMessage) string {
	if !strings.HasSuffix(route, "/deliveries") {
		return string(item)
	}
	var d struct {
		ID      int64  `json:"id"`
		Webhook string `json:"webhook"`
		Event   int64  `json:"event"`
	}
	if json.Unmarshal(item, &d) != nil {
		return string(item)
	}
	return fmt.Sprint(d.ID, " ", d.Webhook, " ", d.Event)
}

func must(t *testing.T, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
}

func page(t *testing.T, e *env, route, query string) api.Page[json.RawMessage] {
	t.Helper()
	if query != "" {
		if strings.Contains(route, "?") {
			route += "&" + query
		} else {
			route += "?" + query
		}
	}
	status, _, b := e.do("GET", route, e.admin, "")
	if status != 200 {
		t.Fatalf("%s: %d %s", route, status, b)
	}
	var pg api.Page[json.RawMessage]
	if err := json.Unmarshal(b, &pg); err != nil {
		t.Fatal(err)
	}
	return pg
}
