package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// TestStrictness: each input below was accepted; each is now a 400 with a
// clear message that records nothing, beside an accepted neighbour.
func TestStrictness(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ag := e.agreement.ID
	from := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	zone := func(floor, ceiling string) string {
		return fmt.Sprintf(`{"agreement":%q,"name":"Band","kind":"no_fly","geometry":%s,"floor":%q,"ceiling":%q}`, ag, boxJSON, floor, ceiling)
	}
	cases := []struct {
		name, user, method, path, body string
		status                         int
		want                           string // in the problem's detail
	}{
		{"ErrDuplicateSignatory", "admin", "POST", "/api/v1/agreements", `{"title":"T","signatories":["us","ru","us"],"effective_from":"` + from + `"}`, 400, `"us" is named twice`},
		{"ErrDuplicateSignatoryByID", "admin", "POST", "/api/v1/agreements", `{"title":"T","signatories":["us","` + e.parties["us"].ID + `"],"effective_from":"` + from + `"}`, 400, "named twice"},
		{"DistinctSignatories", "admin", "POST", "/api/v1/agreements", `{"title":"T","signatories":["us","ru"],"effective_from":"` + from + `"}`, 201, ""},
		{"ErrFeedPort0", "admin", "POST", "/api/v1/feeds", `{"kind":"sbs","addr":"127.0.0.1:0"}`, 400, "1 to 65535"},
		{"ErrFeedPort99999", "admin", "POST", "/api/v1/feeds", `{"kind":"sbs","addr":"127.0.0.1:99999"}`, 400, "1 to 65535"},
		{"ErrFeedPortName", "admin", "POST", "/api/v1/feeds", `{"kind":"sbs","addr":"127.0.0.1:sbs"}`, 400, "1 to 65535"},
		{"ErrFeedNoPort", "admin", "POST", "/api/v1/feeds", `{"kind":"sbs","addr":"127.0.0.1"}`, 400, "HOST:PORT"},
		{"FeedIPv6", "admin", "POST", "/api/v1/feeds", `{"kind":"sbs","addr":"[::1]:30003"}`, 201, ""},
		{"ErrFloorUNL", "us-op", "POST", "/api/v1/zones", zone("UNL", "FL200"), 400, "floor"},
		{"ErrCeilingSFC", "us-op", "POST", "/api/v1/zones", zone("0", "SFC"), 400, "ceiling"},
		{"FloorSFCCeilingUNL", "us-op", "POST", "/api/v1/zones", zone("SFC", "UNL"), 201, ""},
		{"ErrWebhookKind", "us-op", "POST", "/api/v1/webhooks", `{"url":"https://example.org/hook","kinds":["alerts"]}`, 400, `"alerts"`},
		{"ErrWebhookKindSession", "us-op", "POST", "/api/v1/webhooks", `{"url":"https://example.org/hook","kinds":["alert","session"]}`, 400, `"session"`},
		{"WebhookKindsAccounts", "us-op", "POST", "/api/v1/webhooks", `{"url":"https://example.org/hook","kinds":["party","token","user"]}`, 201, ""},
		{"WebhookKinds", "us-op", "POST", "/api/v1/webhooks", `{"url":"https://example.org/hook","kinds":["alert","zone"]}`, 201, ""},
		{"ErrAlertsNaNBBox", "us-op", "GET", "/api/v1/alerts?bbox=NaN,0,1,1", "", 400, "finite"},
		{"ErrAlertsInfBBox", "us-op", "GET", "/api/v1/alerts?bbox=0,0,Inf,1", "", 400, "finite"},
		{"ErrTracksNaNBBox", "us-op", "GET", "/api/v1/tracks?bbox=0,NaN,1,1", "", 400, "finite"},
		{"AlertsBBox", "us-op", "GET", "/api/v1/alerts?bbox=35,32,37,34", "", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.journalSize()
			status, h, b := e.do(c.method, c.path, e.tokens[c.user], c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, b)
			}
			if c.status < 300 {
				return
			}
			if code := problemCode(t, h, b); code != truce.EINVALID || !strings.Contains(problemDetail(t, b), c.want) {
				t.Fatalf("%s %s, want a detail with %q", code, b, c.want)
			}
			if e.journalSize() != before {
				t.Fatal("a refused request was journalled")
			}
		})
	}
}

// TestNoOpPatch: a PATCH that changes nothing records nothing and answers
// the current record; one that changes something is journalled.
func TestNoOpPatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	path := "/api/v1/agreements/" + e.agreement.ID
	cases := []struct {
		name, body string
		changes    bool
	}{
		{"SameTitle", `{"title":"Memorandum"}`, false},
		{"SameTitleSpaces", `{"title":"  Memorandum "}`, false},
		{"Empty", `{}`, false},
		{"SameRules", `{"rules":{}}`, false},
		{"NewReference", `{"reference":"https://example.org/memo"}`, true},
		{"SameReferenceAgain", `{"reference":"https://example.org/memo"}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cur, err := e.client(e.admin).FindAgreement(context.Background(), e.agreement.ID)
			if err != nil {
				t.Fatal(err)
			}
			before := e.journalSize()
			status, h, b := e.do("PATCH", path, e.admin, c.body)
			if status != 200 {
				t.Fatalf("%d %s", status, b)
			}
			var got truce.Agreement
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			wantVersion, wantSize := cur.Version, before
			if c.changes {
				wantVersion, wantSize = cur.Version+1, before+1
			}
			if got.Version != wantVersion || e.journalSize() != wantSize || h.Get("ETag") != fmt.Sprintf(`"v%d"`, wantVersion) {
				t.Fatalf("version %d (ETag %s), journal %d→%d; want version %d, journal %d", got.Version, h.Get("ETag"), before, e.journalSize(), wantVersion, wantSize)
			}
		})
	}
}
