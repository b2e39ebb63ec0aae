package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/node"
	"github.com/truce-project/truce/postgres/pgtest"
)

// stores runs f against a server on SQLite and, when TRUCE_TEST_POSTGRES
// is set, on PostgreSQL. The two share nothing (each its server, data
// directory and schema): they run side by side, one waiting on its disk
// or its database while the other runs.
func stores(t *testing.T, f func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); f(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); f(t, newEnvWith(t, node.Config{DB: pgtest.DSN(t)})) })
}

// TestFreeText checks every free-text field and every reference a client
// sends: a NUL (which PostgreSQL cannot store: SQLSTATE 22021 was a 500),
// another control character, or text over the field's limit is a 400 on
// both stores, and nothing is recorded.
func TestFreeText(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.agreementInForce(t)
		v1 := e.approveAll(t, e.zone.ID, 1)
		if v1.Status != truce.VersionApproved {
			t.Fatal(v1.Status)
		}
		ag, z, al := e.agreement.ID, e.zone.ID, e.alert.ID
		from := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		box := boxJSON
		cases := []struct {
			name, user, method, path, body string
		}{
			{"PartyName", "admin", "POST", "/api/v1/parties", `{"slug":"jo","name":"%s","kind":"guarantor"}`},
			{"PartyPublicKey", "admin", "POST", "/api/v1/parties", `{"slug":"jo","name":"Jordan","kind":"guarantor","public_key":"%s"}`},
			{"UserParty", "admin", "POST", "/api/v1/users", `{"party":"%s","username":"zed","roles":["viewer"]}`},
			{"UserName", "admin", "POST", "/api/v1/users", `{"party":"us","username":"zed","name":"%s","roles":["viewer"]}`},
			{"TokenName", "admin", "POST", "/api/v1/tokens", `{"name":"%s"}`},
			{"TokenUser", "admin", "POST", "/api/v1/tokens", `{"user":"%s","name":"x"}`},
			{"AgreementTitle", "admin", "POST", "/api/v1/agreements", `{"title":"%s","signatories":["us"],"effective_from":"` + from + `"}`},
			{"AgreementReference", "admin", "POST", "/api/v1/agreements", `{"title":"T","reference":"%s","signatories":["us"],"effective_from":"` + from + `"}`},
			{"AgreementSignatory", "admin", "POST", "/api/v1/agreements", `{"title":"T","signatories":["us","%s"],"effective_from":"` + from + `"}`},
			{"AgreementActivity", "admin", "POST", "/api/v1/agreements", `{"title":"T","signatories":["us"],"effective_from":"` + from + `","rules":{"prohibited":[{"activity":"%s","zone_kinds":["no_fly"]}]}}`},
			{"AgreementConflictActivity", "admin", "POST", "/api/v1/agreements", `{"title":"T","signatories":["us"],"effective_from":"` + from + `","rules":{"conflicts":[{"against":"site","activities":["%s"],"effect":"warn"}]}}`},
			{"AgreementConflictOtherKind", "admin", "POST", "/api/v1/agreements", `{"title":"T","signatories":["us"],"effective_from":"` + from + `","rules":{"conflicts":[{"against":"site","other_kinds":["%s"],"effect":"warn"}]}}`},
			{"AgreementConflictEffect", "admin", "POST", "/api/v1/agreements", `{"title":"T","signatories":["us"],"effective_from":"` + from + `","rules":{"conflicts":[{"against":"operation","effect":"%s"}]}}`},
			{"AgreementConflictAgainst", "admin", "POST", "/api/v1/agreements", `{"title":"T","signatories":["us"],"effective_from":"` + from + `","rules":{"conflicts":[{"against":"%s","effect":"block"}]}}`},
			{"PatchTitle", "admin", "PATCH", "/api/v1/agreements/" + ag, `{"title":"%s"}`},
			{"PatchReference", "admin", "PATCH", "/api/v1/agreements/" + ag, `{"reference":"%s"}`},
			{"ZoneName", "us-op", "POST", "/api/v1/zones", `{"agreement":"` + ag + `","name":"%s","kind":"no_fly","geometry":` + box + `}`},
			{"ZoneNote", "us-op", "POST", "/api/v1/zones", `{"agreement":"` + ag + `","name":"Z","kind":"no_fly","geometry":` + box + `,"note":"%s"}`},
			{"ZoneAgreement", "us-op", "POST", "/api/v1/zones", `{"agreement":"%s","name":"Z","kind":"no_fly","geometry":` + box + `}`},
			{"ChangeNote", "us-op", "POST", "/api/v1/zones/" + z + "/versions", `{"name":"Z","kind":"no_fly","geometry":` + box + `,"note":"%s"}`},
			{"SuspendNote", "us-op", "POST", "/api/v1/zones/" + z + "/suspend", `{"note":"%s"}`},
			{"WithdrawNote", "us-op", "POST", "/api/v1/zones/" + z + "/withdraw", `{"note":"%s"}`},
			{"DecisionReason", "ru-op", "POST", "/api/v1/zones/" + e.zone.ID + "/versions/1/decision", `{"approve":false,"reason":"%s"}`},
			{"AlertNote", "us-op", "POST", "/api/v1/alerts/" + al + "/acknowledge", `{"note":"%s"}`},
			{"CloseNote", "us-op", "POST", "/api/v1/alerts/" + al + "/close", `{"note":"%s"}`},
			{"AircraftNote", "us-op", "POST", "/api/v1/aircraft", `{"icao":"AE9999","note":"%s"}`},
			{"AircraftParty", "admin", "POST", "/api/v1/aircraft", `{"party":"%s","icao":"AE9999"}`},
			{"FeedName", "admin", "POST", "/api/v1/feeds", `{"kind":"sbs","addr":"127.0.0.1:10","name":"%s"}`},
			{"FeedAddr", "admin", "POST", "/api/v1/feeds", `{"kind":"sbs","addr":"127.0.0.1:1%s"}`},
			{"WebhookURL", "admin", "POST", "/api/v1/webhooks", `{"url":"https://example.org/%s"}`},
			{"WebhookParty", "admin", "POST", "/api/v1/webhooks", `{"url":"https://example.org/","party":"%s"}`},
			{"PathParty", "admin", "GET", "/api/v1/parties/%s", ``},
			{"PathUser", "admin", "GET", "/api/v1/users/%s", ``},
			{"PathZone", "admin", "GET", "/api/v1/zones/%s", ``},
			{"QueryParty", "admin", "GET", "/api/v1/users?party=%s", ``},
		}
		values := []struct{ name, json, path string }{
			{"NUL", `a\u0000b`, "a%00b"},
			{"Escape", `a\u001bb`, "a%1Bb"},
			{"C1", `a\u0085b`, "a%C2%85b"},
			{"TooLong", strings.Repeat("x", 5000), strings.Repeat("x", 5000)},
		}
		for _, c := range cases {
			for _, v := range values {
				t.Run(c.name+"/"+v.name, func(t *testing.T) {
					before := e.journalSize()
					path, body := c.path, c.body
					if body == "" {
						path = fmt.Sprintf(path, v.path)
					} else {
						body = fmt.Sprintf(body, v.json)
					}
					status, h, b := e.do(c.method, path, e.tokens[c.user], body)
					want := 400
					if body == "" && v.name == "TooLong" {
						want = 404 // a lookup of no such record
					}
					if status != want {
						t.Fatalf("status %d, want %d: %s", status, want, b)
					}
					if code := problemCode(t, h, b); code != truce.ErrorCode(truce.Errorf(map[int]string{400: truce.EINVALID, 404: truce.ENOTFOUND}[want], "")) {
						t.Fatalf("code %s: %s", code, b)
					}
					if e.journalSize() != before {
						t.Fatal("a refused request was journalled")
					}
				})
			}
		}
		t.Run("MultiLineNote", func(t *testing.T) {
			a, err := e.client(e.tokens["us-op"]).AcknowledgeAlert(ctx, al, truce.AlertAckInput{Note: "first line\nsecond line\ttabbed"})
			if err != nil || len(a.Acks) != 1 || a.Acks[0].Note != "first line\nsecond line\ttabbed" || a.History[0].Note != a.Acks[0].Note {
				t.Fatalf("%+v %v", a, err)
			}
		})
		t.Run("AtLimit", func(t *testing.T) {
			name := strings.Repeat("é", truce.MaxNameLen)
			p, err := e.client(e.admin).CreateParty(ctx, truce.PartyCreate{Slug: "limit", Name: name, Kind: truce.PartyMonitor})
			if err != nil || p.Name != name {
				t.Fatalf("a name of %d characters: %v", truce.MaxNameLen, err)
			}
		})
		_ = url.PathEscape
	})
}
