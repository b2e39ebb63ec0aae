package demo_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/capxml"
	"github.com/truce-project/truce/demo"
	"github.com/truce-project/truce/internal/testwait"
	"github.com/truce-project/truce/node"
)

// TestTraffic_Episodes runs the demo's replayed traffic twenty times as
// fast as the demo does: the predicted entry is one episode ended by the
// entry it foretold, the close pass is one proximity episode, every alert
// of the replayed (relocated) flights says so, and its CAP document is an
// Exercise.
func TestTraffic_Episodes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := node.Config{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	sc, err := demo.Setup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if _, err := demo.StartTraffic(ctx, n, sc, 20); err != nil {
		t.Fatal(err)
	}
	amman, err := n.Accounts.Party(ctx, "amman-mc")
	if err != nil {
		t.Fatal(err)
	}
	viewer := truce.NewContext(ctx, &truce.Caller{User: &truce.User{ID: "t", Roles: []truce.Role{truce.RoleViewer}}, Party: amman})
	var as []*truce.Alert
	find := func(kind truce.AlertKind) *truce.Alert {
		for _, a := range as {
			if a.Kind == kind {
				return a
			}
		}
		return nil
	}
	// The two flights each raise predictions and entries, so the
	// prediction is matched to the entry it names, not to the newest.
	byID := func(id string) *truce.Alert {
		for _, a := range as {
			if a.ID == id {
				return a
			}
		}
		return nil
	}
	var entry, pred *truce.Alert
	testwait.For(t, 60*time.Second, "an entry, a prediction ended by it, and the proximity", func() bool {
		as, _, err = n.Air.ListAlerts(viewer, truce.AlertFilter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			if a.Kind == truce.AlertPredictedEntry && a.EndedAt != nil && a.EndReason == "entered" {
				if e := byID(a.EndedBy); e != nil {
					entry, pred = e, a
				}
			}
		}
		return entry != nil && find(truce.AlertProximity) != nil
	})
	for _, p := range as {
		if p.Kind != truce.AlertPredictedEntry || p.EndReason != "entered" {
			continue
		}
		e := byID(p.EndedBy)
		if e == nil || e.Kind != truce.AlertZoneEntry || e.ZoneID != p.ZoneID || len(e.Aircraft) == 0 || len(p.Aircraft) == 0 ||
			e.Aircraft[0].ICAO != p.Aircraft[0].ICAO {
			t.Fatalf("prediction %s (%s, zone %s) ended by %+v: want the same aircraft's entry into the same zone", p.ID, p.Summary, p.ZoneID, e)
		}
	}
	for _, a := range as {
		if !a.Relocated {
			t.Errorf("%s alert %s from a replayed flight is not marked relocated", a.Kind, a.ID)
		}
		if a.Kind == truce.AlertZoneExit || a.Kind == "predicted_entry_end" || a.Kind == "proximity_end" {
			t.Errorf("an episode's end raised an alert of its own: %s", a.Kind)
		}
	}
	if doc := api.CAPAlert(entry, "demo"); doc.Status != capxml.StatusExercise {
		t.Fatalf("CAP status of a replayed entry: %s, want Exercise", doc.Status)
	}
	// The open episodes: the prediction, which came true, is not one of them.
	open, _, err := n.Air.ListAlerts(viewer, truce.AlertFilter{Ongoing: true, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range open {
		if a.ID == pred.ID {
			t.Fatal("a prediction that came true is still an open episode")
		}
	}
}
