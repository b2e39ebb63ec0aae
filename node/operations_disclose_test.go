package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/operations"
)

// TestOperations_ConformanceAlertsDisclosed: the conformance alerts of
// an active operation reveal that it is there, so the API hands them
// only to whom they concern. A non-conformance alert goes to the
// operation's parties; an intrusion alert to them and to the intruding
// aircraft's party. A third party sees neither: not in the alert list,
// not by id, not in the event stream, not in the CAP feed or document.
// The intruding party's view names the operation and the other party,
// not the operation's volumes.
func TestOperations_ConformanceAlertsDisclosed(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		token := func(party, name string) string {
			u, err := n.Accounts.CreateUser(admin, truce.UserCreate{Party: party, Username: name, Name: name, Roles: []truce.Role{truce.RoleViewer}})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := n.Accounts.CreateToken(admin, truce.TokenCreate{Name: name, User: u.ID})
			if err != nil {
				t.Fatal(err)
			}
			return tok.Secret
		}
		newParty := func(slug string) *truce.Party {
			p, err := n.Accounts.CreateParty(admin, truce.PartyCreate{Slug: slug, Name: slug, Kind: truce.PartyGuarantor})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		intruder, bystander := newParty("intruder"), newParty("bystander")
		member, intruderTok, bystanderTok := token(e.admin.Party.ID, "member"), token(intruder.ID, "intruder-viewer"), token(bystander.ID, "bystander-viewer")
		if _, err := n.Air.RegisterAircraft(admin, truce.Aircraft{PartyID: intruder.ID, ICAO: "0C0FFE"}); err != nil {
			t.Fatal(err)
		}
		// The patrol's aircraft is in its party's registry (an operation
		// names only aircraft its participants answer for).
		if _, err := n.Air.RegisterAircraft(admin, truce.Aircraft{PartyID: e.admin.Party.ID, ICAO: "A1B2C3"}); err != nil {
			t.Fatal(err)
		}
		ag := inForceAgreement(t, n, admin, []string{e.admin.Party.ID}, truce.AgreementRules{})
		start := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
		r, err := n.Operations.File(admin, operations.FileInput{Plan: operations.Plan{AgreementID: ag.ID, Name: "patrol", Kind: operations.AirPatrol, Aircraft: []string{"a1b2c3"},
			Volumes: []operations.VolumeInput{{Geometry: json.RawMessage(boxGeometry), FloorM: 0, CeilingM: 3000, Start: start, End: start.Add(2 * time.Hour)}}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Operations.Move(admin, r.Operation.ID, operations.Active); err != nil {
			t.Fatal(err)
		}
		at := func(icao uint32, lon, lat float64) {
			n.IngestPosition(feed.Position{ICAO: icao, Lat: lat, Lon: lon, AltFt: 5000, AltM: 5000 * feed.FeetToMetres, Time: time.Now().UTC(),
				Source: "test", Present: feed.FieldLatLon | feed.FieldAltitude})
		}
		ctx := context.Background()
		find := func(kind truce.AlertKind) *truce.Alert {
			as, err := n.Store.Airspace().Alerts(ctx, truce.AlertFilter{Kind: kind, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(as) == 0 {
				return nil
			}
			return as[0]
		}
		var nc, in *truce.Alert
		if !testwait.Until(15*time.Second, func() bool {
			at(0xa1b2c3, 36.5, 33.5)
			at(0x0c0ffe, 36.1, 33.1)
			nc, in = find(truce.AlertNonConformance), find(truce.AlertIntrusion)
			return nc != nil && in != nil
		}) {
			t.Fatalf("no non-conformance and intrusion alerts: %+v %+v", nc, in)
		}
		get := func(tok, path string) (int, string) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			n.API.ServeHTTP(rec, req)
			return rec.Code, rec.Body.String()
		}
		for _, c := range []struct {
			who       string
			tok       string
			nc, intru bool
		}{
			{"a member of the operation's party", member, true, true},
			{"the intruding party", intruderTok, false, true},
			{"a third party", bystanderTok, false, false},
		} {
			for _, a := range []struct {
				al   *truce.Alert
				want bool
			}{{nc, c.nc}, {in, c.intru}} {
				for _, path := range []string{"/api/v1/alerts?limit=100", "/api/v1/alerts?kind=" + string(a.al.Kind), "/api/v1/events?kind=alert&follow=false&last_event_id=0", "/cap/alerts.atom"} {
					code, body := get(c.tok, path)
					if code != http.StatusOK {
						t.Fatalf("%s: GET %s: %d %s", c.who, path, code, body)
					}
					if got := strings.Contains(body, a.al.ID); got != a.want {
						t.Errorf("%s: GET %s shows %s alert %s: %v, want %v", c.who, path, a.al.Kind, a.al.ID, got, a.want)
					}
				}
				for _, path := range []string{"/api/v1/alerts/" + a.al.ID, "/cap/alerts/" + a.al.ID + ".xml"} {
					code, body := get(c.tok, path)
					if want := map[bool]int{true: http.StatusOK, false: http.StatusNotFound}[a.want]; code != want {
						t.Errorf("%s: GET %s: %d, want %d: %.200s", c.who, path, code, want, body)
					}
				}
			}
		}
		// The journal shows a third party that an alert was recorded,
		// not what it says.
		for _, a := range []*truce.Alert{nc, in} {
			path := fmt.Sprintf("/api/v1/journal?start=%d&limit=1", a.JournalIndex)
			code, body := get(bystanderTok, path)
			if code != http.StatusOK || !strings.Contains(body, a.ID) {
				t.Fatalf("GET %s: %d %.300s", path, code, body)
			}
			if strings.Contains(body, a.Summary) || strings.Contains(body, r.Operation.ID) {
				t.Errorf("a third party reads %s alert %s in the journal: %.300s", a.Kind, a.ID, body)
			}
		}
		// The intruding party learns the kind, where, and whom to
		// contact: not the operation's plan.
		code, body := get(intruderTok, "/api/v1/alerts/"+in.ID)
		var seen truce.Alert
		if err := json.Unmarshal([]byte(body), &seen); code != http.StatusOK || err != nil {
			t.Fatalf("intrusion as the intruder: %d %v", code, err)
		}
		if seen.Kind != truce.AlertIntrusion || !strings.Contains(strings.Join(seen.Parties, ","), e.admin.Party.ID) {
			t.Fatalf("the intruder's view lacks the kind or the other party: %+v", seen)
		}
		if strings.Contains(body, "patrol") || strings.Contains(body, "a1b2c3") || strings.Contains(strings.ToLower(body), "volumes\"") {
			t.Fatalf("the intruder's view discloses the plan: %s", body)
		}
		if code, _ := get(intruderTok, "/api/v1/operations/"+r.Operation.ID); code == http.StatusOK {
			t.Fatalf("the intruder reads the operation's plan")
		}
	})
}

// TestAlerts_PagesPassOverHidden: a party paging through alerts among
// many it may not read gets every alert it may read, once each, in
// order, whatever the page size: the hidden alerts are passed over, a
// bounded number of store pages at a time.
func TestAlerts_PagesPassOverHidden(t *testing.T) {
	stores(t, func(t *testing.T, pg bool) {
		e := newTamperEnv(t, pg)
		n := e.mustOpen(t)
		admin := truce.NewContext(context.Background(), e.admin)
		p, err := n.Accounts.CreateParty(admin, truce.PartyCreate{Slug: "bystander", Name: "bystander", Kind: truce.PartyGuarantor})
		if err != nil {
			t.Fatal(err)
		}
		u, err := n.Accounts.CreateUser(admin, truce.UserCreate{Party: p.ID, Username: "b", Name: "b", Roles: []truce.Role{truce.RoleViewer}})
		if err != nil {
			t.Fatal(err)
		}
		bystander := truce.NewContext(context.Background(), &truce.Caller{User: u, Party: p})
		var want []string
		for i := range 30 {
			a := &truce.Alert{Kind: truce.AlertNonConformance, Time: time.Now().UTC(), Lon: 36, Lat: 33, Summary: "outside", Parties: []string{e.admin.Party.ID},
				Aircraft: []truce.AlertAircraft{{ICAO: "A1B2C3"}}}
			if i%7 == 3 {
				a.Kind, a.Summary = truce.AlertSquawk, "squawk"
			}
			got, err := n.Air.RaiseAlert(context.Background(), a)
			if err != nil {
				t.Fatal(err)
			}
			if a.Kind == truce.AlertSquawk {
				want = append([]string{got.ID}, want...)
			}
		}
		for _, limit := range []int{1, 2, 3, 100} {
			var got []string
			cursor := ""
			for range 100 {
				as, next, err := n.Air.ListAlerts(bystander, truce.AlertFilter{Limit: limit, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				if len(as) > limit {
					t.Fatalf("limit %d: a page of %d", limit, len(as))
				}
				for _, a := range as {
					got = append(got, a.ID)
				}
				if cursor = next; cursor == "" {
					break
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("limit %d: paged %v, want %v", limit, got, want)
			}
		}
		if _, err := n.Air.FindAlert(bystander, want[0]); err != nil {
			t.Fatalf("a public alert: %v", err)
		}
	})
}
