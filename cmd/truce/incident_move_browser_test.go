package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

// TestUI_IncidentMove drives the incident page's move form in headless
// Chromium: two reports of shelling 100 km apart are two incidents; the
// centre's operator names the second report on the first incident's page
// with a reason, and the page shows both reports and the move in its
// history, in Arabic as well; the incident left ends as merged into it.
func TestUI_IncidentMove(t *testing.T) {
	path := findBrowser(t)
	ctx := context.Background()
	s := startUIServer(t, ctx)
	observer := s.actor(t, ctx, "amman-mc")
	at := time.Now().UTC().Add(-time.Minute)
	file := func(lon, lat float64) *observation.Observation {
		t.Helper()
		p := observation.Point{Lon: lon, Lat: lat}
		o, err := s.node.Observation.AddObservation(observer, observation.Input{Mode: observation.ModeSaw, Position: observation.Point{Lon: lon - 0.02, Lat: lat},
			Location: &p, Accuracy: 300, Start: at, End: at, Category: observation.CatExplosion, SubCategory: "artillery", Events: observation.Count{Best: 2, Low: 1, High: 3}})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	o1, o2 := file(36.1063, 32.6189), file(36.5, 33.5)
	if o1.IncidentID == o2.IncidentID {
		t.Fatal("the reports 100 km apart were grouped")
	}
	admin, err := s.node.Store.Accounts().User(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	un, err := s.node.Store.Accounts().Party(ctx, admin.PartyID)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := s.node.Store.Accounts().Party(ctx, "amman-mc")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.node.Accounts.CreateUser(truce.NewContext(ctx, &truce.Caller{User: admin, Party: un}),
		truce.UserCreate{Party: mc.ID, Username: "centre-duty", Roles: []truce.Role{truce.RoleOperator}, Password: "centre-duty-password"}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, path)
	op := tab(t, b)
	login(t, op, s.url, "centre-duty", "centre-duty-password")
	poll(t, op, "signed in", `location.pathname === '/map'`)
	must(t, op, "open the incident", chromedp.Navigate(s.url+"/incidents/"+o1.IncidentID), chromedp.WaitVisible(chromedp.CSS("#incident-move")))
	eval[bool](t, op, `(function () {
		var f = document.getElementById('incident-move');
		f.elements.observation.value = '`+o2.ID+`';
		f.elements.reason.value = 'The second team misread the distance.';
		document.getElementById('move-submit').click();
		return true;
	})()`)
	poll(t, op, "both reports on the incident", `location.pathname === '/incidents/`+o1.IncidentID+`' &&
		document.querySelectorAll('#incident-observations tr.observation-row').length === 2 &&
		/The second team misread the distance\./.test(document.getElementById('incident-regroupings').textContent)`)
	moved, err := s.node.Observation.FindObservation(observer, o2.ID)
	if err != nil || moved.IncidentID != o1.IncidentID {
		t.Fatalf("the moved report: %+v, %v", moved, err)
	}
	left, err := s.node.Observation.FindIncident(observer, o2.IncidentID)
	if err != nil || left.Status != observation.StatusMerged || left.MergedInto != o1.IncidentID {
		t.Fatalf("the incident left: %+v, %v", left, err)
	}
	must(t, op, "the incident in Arabic", chromedp.Navigate(s.url+"/lang/ar?next=/incidents/"+o1.IncidentID), chromedp.WaitVisible(chromedp.CSS("#incident-move")))
	poll(t, op, "the move in Arabic", `document.documentElement.dir === 'rtl' && /نقل/.test(document.getElementById('incident-regroupings').textContent) &&
		/انقل إلى هذه الحادثة/.test(document.getElementById('move-submit').textContent)`)
}
