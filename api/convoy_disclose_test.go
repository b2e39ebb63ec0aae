package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
)

// TestConvoyAlerts_Disclosed: a convoy alert tells where the convoy is,
// which only the parties that may see its positions may know: the
// movement's own party, the parties it was notified to, the coordinator
// (and administrators). A party the movement was not notified to does not
// see the alert in the alert list, by id, in the event stream, in the CAP
// feed or document, nor the body of its journal entry.
func TestConvoyAlerts_Disclosed(t *testing.T) {
	stores(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		sarc := e.humanitarian(t, "SARC")
		e.agreementInForce(t)
		admin := e.client(e.admin)
		viewer := func(party, name string) string {
			t.Helper()
			if _, err := admin.CreateUser(ctx, truce.UserCreate{Party: party, Username: name, Roles: []truce.Role{truce.RoleViewer}}); err != nil {
				t.Fatal(err)
			}
			tk, err := admin.CreateToken(ctx, truce.TokenCreate{User: name, Name: "test"})
			if err != nil {
				t.Fatal(err)
			}
			return tk.Secret
		}
		// A humanitarian organisation that is not party to the agreement:
		// the movement is not notified to it.
		if _, err := admin.CreateParty(ctx, truce.PartyCreate{Slug: "icrc", Name: "ICRC", Kind: truce.PartyHumanitarian}); err != nil {
			t.Fatal(err)
		}
		bystander, coordinator := viewer("icrc", "icrc-viewer"), viewer("secretariat", "secretariat-viewer")

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
		t0 := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
		var al *truce.Alert
		for i, p := range [][2]float64{{36.0500, 32.5900}, {36.0500, 32.5700}, {36.0510, 32.5690}} {
			res, err := sarc.ReportPosition(ctx, m.ID, humanitarian.ConvoyPosition{Lon: p[0], Lat: p[1], Time: t0.Add(time.Duration(i) * 2 * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if res.Alert != nil {
				al = res.Alert
			}
		}
		if al == nil || al.Kind != humanitarian.AlertConvoyDeviation || al.JournalIndex == 0 {
			t.Fatalf("no convoy_deviation alert: %+v", al)
		}
		for _, c := range []struct {
			who  string
			tok  string
			want bool
		}{
			{"the movement's party", sarc.Token, true},
			{"a party it was notified to", e.tokens["ru-viewer"], true},
			{"the coordinator", coordinator, true},
			{"an administrator", e.admin, true},
			{"a party it was not notified to", bystander, false},
		} {
			for _, path := range []string{"/api/v1/alerts?limit=100", "/api/v1/alerts?kind=" + string(al.Kind), "/api/v1/events?kind=alert&follow=false&last_event_id=0", "/cap/alerts.atom"} {
				code, _, body := e.do("GET", path, c.tok, "")
				if code != 200 {
					t.Fatalf("%s: GET %s: %d %s", c.who, path, code, body)
				}
				if got := strings.Contains(string(body), al.ID); got != c.want {
					t.Errorf("%s: GET %s shows the alert: %v, want %v", c.who, path, got, c.want)
				}
			}
			for _, path := range []string{"/api/v1/alerts/" + al.ID, "/cap/alerts/" + al.ID + ".xml"} {
				want := map[bool]int{true: 200, false: 404}[c.want]
				if code, _, body := e.do("GET", path, c.tok, ""); code != want {
					t.Errorf("%s: GET %s: %d, want %d: %.200s", c.who, path, code, want, body)
				}
			}
			code, _, body := e.do("GET", fmt.Sprintf("/api/v1/journal/%d", al.JournalIndex), c.tok, "")
			var r truce.JournalRecord
			if code != 200 || json.Unmarshal(body, &r) != nil || r.Entry.Subject != al.ID {
				t.Fatalf("%s: the alert's journal entry: %d %.300s", c.who, code, body)
			}
			if got := len(r.Body) > 0; got != c.want {
				t.Errorf("%s: the journal entry's body is shown: %v, want %v (%.300s)", c.who, got, c.want, body)
			}
		}
	})
}
