package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/control"
)

// TestControlAPI walks the control API over HTTP: actors, control areas,
// a guarantee, the breach a faction's control raises, and the problems
// bad input gets (nothing changed: the journal does not grow).
func TestControlAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.agreementInForce(t)
	e.approveAll(t, e.zone.ID, 1)
	us, ru := e.tokens["us-op"], e.tokens["ru-op"]
	post := func(path, token, body string, want int) []byte {
		t.Helper()
		code, hdr, b := e.do("POST", path, token, body)
		if code != want {
			t.Fatalf("POST %s: %d %s, want %d", path, code, b, want)
		}
		if want >= 400 && hdr.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("POST %s: %s, want a problem", path, hdr.Get("Content-Type"))
		}
		return b
	}
	post("/api/v1/actors", us, `{"slug":"saa","names":{"en":"Syrian government forces","ar":"القوات الحكومية السورية"},"type":"state_forces","guarantor":"ru"}`, http.StatusCreated)
	post("/api/v1/actors", us, `{"slug":"faction","names":{"en":"Faction"},"type":"rebel_group"}`, http.StatusCreated)
	from := time.Now().Add(-48 * time.Hour).UTC().Format(time.RFC3339)
	g := post("/api/v1/guarantees", ru, fmt.Sprintf(`{"agreement_id":%q,"zone_id":%q,"guarantors":["ru"],"allowed":["saa"],"from":%q}`, e.agreement.ID, e.zone.ID, from), http.StatusCreated)
	var guarantee control.Guarantee
	json.Unmarshal(g, &guarantee)

	before := e.journalSize()
	bad := []struct{ name, path, token, body string }{
		{"period ends before it starts", "/api/v1/control-areas", us, fmt.Sprintf(`{"actor":"faction","geometry":%s,"from":"2026-02-01T00:00:00Z","to":"2026-01-01T00:00:00Z","source":"s","confidence":"low"}`, boxJSON)},
		{"unknown field", "/api/v1/control-areas", us, `{"actor":"faction","colour":"red"}`},
		{"guarantor not a signatory", "/api/v1/guarantees", ru, fmt.Sprintf(`{"agreement_id":%q,"zone_id":%q,"guarantors":["secretariat"],"allowed":["saa"],"from":%q}`, e.agreement.ID, e.zone.ID, from)},
	}
	wantCode := map[string]int{"period ends before it starts": 400, "unknown field": 400, "guarantor not a signatory": 422}
	for _, b := range bad {
		post(b.path, b.token, b.body, wantCode[b.name])
	}
	if e.journalSize() != before {
		t.Fatal("bad input changed the journal")
	}

	rec := post("/api/v1/control-areas", us, `{"actor":"faction","name":"village","geometry":{"type":"Polygon","coordinates":[[[36.1,33.1],[36.2,33.1],[36.2,33.2],[36.1,33.2],[36.1,33.1]]]},"from":"`+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)+`","source":"monitor report","confidence":"medium"}`, http.StatusCreated)
	var r control.Recorded
	if err := json.Unmarshal(rec, &r); err != nil || len(r.Breaches) != 1 || r.Breaches[0].GuaranteeID != guarantee.ID {
		t.Fatalf("recorded %s: %v", rec, err)
	}
	b := r.Breaches[0]
	post("/api/v1/breaches/"+b.ID+"/response", us, `{"action":"none"}`, http.StatusForbidden)
	ans := post("/api/v1/breaches/"+b.ID+"/response", ru, `{"action":"Military police deployed."}`, http.StatusOK)
	if !strings.Contains(string(ans), `"status":"answered"`) {
		t.Fatalf("answer: %s", ans)
	}
	code, _, m := e.do("GET", "/api/v1/control/map", us, "")
	if code != 200 || !strings.Contains(string(m), `"km2"`) || !strings.Contains(string(m), `"village"`) {
		t.Fatalf("map: %d %s", code, m)
	}
	code, _, hist := e.do("GET", "/api/v1/actors/faction/history", us, "")
	if code != 200 || !strings.Contains(string(hist), `"ground":[{`) {
		t.Fatalf("history: %d %s", code, hist)
	}
	code, _, rr := e.do("GET", "/api/v1/guarantors/ru/record", us, "")
	if code != 200 || !strings.Contains(string(rr), `"answered":1`) {
		t.Fatalf("record: %d %s", code, rr)
	}
	for _, q := range []string{"limit=2001", "limit=-1", "bbox=1,2,3", "at=yesterday"} {
		if code, _, _ := e.do("GET", "/api/v1/control/map?"+q, us, ""); code != 400 {
			t.Fatalf("map?%s: %d, want 400", q, code)
		}
	}
	if code, _, _ := e.do("GET", "/api/v1/control/changes?from=bad", us, ""); code != 400 {
		t.Fatalf("bad time: %d", code)
	}
	// The changes are bounded like the map: at most limit movements,
	// oldest first, truncated said; the totals per actor are the whole
	// period's.
	post("/api/v1/control-areas", us, `{"actor":"saa","geometry":{"type":"Polygon","coordinates":[[[36.3,33.1],[36.4,33.1],[36.4,33.2],[36.3,33.2],[36.3,33.1]]]},"from":"`+time.Now().Add(-30*time.Minute).UTC().Format(time.RFC3339)+`","source":"s","confidence":"low"}`, http.StatusCreated)
	since := url.QueryEscape(time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339))
	var ch control.Changes
	code, _, body := e.do("GET", "/api/v1/control/changes?limit=1&from="+since, us, "")
	if code != 200 || json.Unmarshal(body, &ch) != nil || len(ch.Movements) != 1 || !ch.Truncated || len(ch.Actors) != 2 || ch.Movements[0].ControlAreaID != r.Area.ID {
		t.Fatalf("changes limited to one: %d %s", code, body)
	}
	code, _, body = e.do("GET", "/api/v1/control/changes?from="+since, us, "")
	ch = control.Changes{}
	if err := json.Unmarshal(body, &ch); code != 200 || err != nil || len(ch.Movements) != 2 || ch.Truncated {
		t.Fatalf("changes: %d %s", code, body)
	}
	for _, q := range []string{"limit=2001", "limit=-1"} {
		if code, _, _ := e.do("GET", "/api/v1/control/changes?from="+since+"&"+q, us, ""); code != 400 {
			t.Fatalf("changes?%s: %d, want 400", q, code)
		}
	}
	// The actors, guarantees and breaches lists page like every other:
	// limit items and the cursor of the next page, which holds the rest.
	post("/api/v1/guarantees", ru, fmt.Sprintf(`{"agreement_id":%q,"zone_id":%q,"guarantors":["ru"],"allowed":["saa"],"from":%q}`, e.agreement.ID, e.zone.ID, from), http.StatusCreated)
	for _, list := range []string{"actors", "guarantees"} {
		var seen []string
		cursor := ""
		for range 3 {
			var pg struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			code, _, body := e.do("GET", "/api/v1/"+list+"?limit=1&cursor="+url.QueryEscape(cursor), us, "")
			if code != 200 || json.Unmarshal(body, &pg) != nil || len(pg.Items) != 1 {
				t.Fatalf("%s?limit=1: %d %s", list, code, body)
			}
			seen = append(seen, pg.Items[0].ID)
			if cursor = pg.NextCursor; cursor == "" {
				break
			}
		}
		if len(seen) != 2 || seen[0] == seen[1] {
			t.Fatalf("%s paged one at a time: %v, want two different", list, seen)
		}
	}
	var bp struct {
		Items      []json.RawMessage `json:"items"`
		NextCursor string            `json:"next_cursor"`
	}
	if code, _, body := e.do("GET", "/api/v1/breaches?limit=1", us, ""); code != 200 || json.Unmarshal(body, &bp) != nil || len(bp.Items) != 1 {
		t.Fatalf("breaches?limit=1: %d %s", code, body)
	}
	for _, list := range []string{"actors", "guarantees", "breaches"} {
		if code, _, _ := e.do("GET", "/api/v1/"+list+"?limit=501", us, ""); code != 400 {
			t.Fatalf("%s?limit=501: %d, want 400", list, code)
		}
	}
}
