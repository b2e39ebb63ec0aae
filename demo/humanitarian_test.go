package demo_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/demo"
	"github.com/truce-project/truce/humanitarian"
	"github.com/truce-project/truce/node"
)

// TestSetup_HumanitarianSites checks the demo's notifications: eight
// illustrative sites in Dar'a (SY12) and Quneitra (SY14), the United
// States acknowledging each, the Russian Federation raising one concern,
// Jordan silent, and the hospital notified at short notice flagged late;
// on the replayed emergency convoy, a concern from Russia and Jordan's
// acknowledgement after the deadline.
func TestSetup_HumanitarianSites(t *testing.T) {
	ctx := context.Background()
	cfg := node.Config{DataDir: filepath.Join(t.TempDir(), "data"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	sc, err := demo.Setup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	admin, err := n.Store.Accounts().User(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	p, err := n.Accounts.Party(ctx, sc.Credentials[0].Party)
	if err != nil {
		t.Fatal(err)
	}
	actx := truce.NewContext(ctx, &truce.Caller{User: admin, Party: p})
	sites, _, err := n.Humanitarian.ListSites(actx, humanitarian.SiteFilter{})
	if err != nil || len(sites) != 8 {
		t.Fatalf("%d sites, %v", len(sites), err)
	}
	concerns, late := 0, 0
	govs := map[string]bool{}
	for _, s := range sites {
		govs[s.PCodes[0]] = true
		if s.Notice.Late {
			late++
		}
		b, err := n.Humanitarian.Board(actx, s.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]string{}
		for _, r := range b.Rows {
			states[r.Slug] = r.State
		}
		if states["us"] != "acknowledged" || states["jo"] != "silent" {
			t.Errorf("%s: %v", s.Name, states)
		}
		if states["ru"] == "concern" {
			concerns++
			if !strings.HasPrefix(s.Name, "Nawa") {
				t.Errorf("concern over %s", s.Name)
			}
		}
	}
	if concerns != 1 || late != 1 || !govs["SY12"] || !govs["SY14"] {
		t.Errorf("%d concerns, %d late, governorates %v", concerns, late, govs)
	}
	ms, _, err := n.Humanitarian.ListMovements(actx, humanitarian.MovementFilter{Status: humanitarian.MovementNotified})
	if err != nil || len(ms) != 1 {
		t.Fatalf("movements %v, %v", ms, err)
	}
	// The replayed convoy is under way, and its detour raised one
	// deviation alert, journalled, marked relocated.
	under, _, err := n.Humanitarian.ListMovements(actx, humanitarian.MovementFilter{Status: humanitarian.MovementUnderWay})
	if err != nil || len(under) != 1 || !under[0].Late || !strings.Contains(under[0].Name, "replayed") {
		t.Fatalf("movements under way %+v, %v", under, err)
	}
	devs, _, err := n.Air.ListAlerts(actx, truce.AlertFilter{Kind: humanitarian.AlertConvoyDeviation})
	if err != nil || len(devs) != 1 || !devs[0].Relocated || devs[0].JournalIndex == 0 || !strings.HasPrefix(devs[0].Episode, under[0].ID+"@") {
		t.Fatalf("deviation alerts %+v, %v", devs, err)
	}
	if d := devs[0]; d.Lat > 32.59 || !strings.Contains(d.Summary, "off its notified route") {
		t.Errorf("deviation %+v", d)
	}
	mb, err := n.Humanitarian.MovementBoard(actx, ms[0].ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, r := range mb.Rows {
		states[r.Slug] = r.State
	}
	if states["us"] != "acknowledged" || states["ru"] != "silent" || states["jo"] != "silent" {
		t.Errorf("convoy board %v", states)
	}
	// The replayed emergency convoy: the United States acknowledged it in
	// time, Russia raised a concern, Jordan acknowledged after the
	// deadline (late, shown overdue).
	eb, err := n.Humanitarian.MovementBoard(actx, under[0].ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]humanitarian.BoardRow{}
	for _, r := range eb.Rows {
		rows[r.Slug] = r
	}
	if r := rows["us"]; r.State != "acknowledged" || r.Overdue {
		t.Errorf("emergency convoy, us: %s overdue=%v", r.State, r.Overdue)
	}
	if r := rows["ru"]; r.State != "concern" || r.Overdue || r.Transmission.Answer == nil || !strings.Contains(r.Transmission.Answer.Text, "Ramtha") {
		t.Errorf("emergency convoy, ru: %s overdue=%v %+v", r.State, r.Overdue, r.Transmission.Answer)
	}
	if r := rows["jo"]; r.State != "acknowledged" || !r.Overdue || r.Transmission.Answer == nil || !r.Transmission.Answer.Overdue || !r.Transmission.Answer.At.After(r.Transmission.Deadline) {
		t.Errorf("emergency convoy, jo: %s overdue=%v %+v", r.State, r.Overdue, r.Transmission.Answer)
	}
}
