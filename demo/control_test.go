package demo_test

import (
	"context"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/control"
	"github.com/truce-project/truce/demo"
	"github.com/truce-project/truce/node"
)

// TestSetup_Control checks the control scenario the demo sets up: the
// Yarmouk basin (OCHA's real Ash-Shajara sub-district) held by ISIS until
// the liberation and by government forces since, Russia's guarantee, the
// illustrative re-taking of a village raising one breach, and Russia's
// signed answer within the deadline.
func TestSetup_Control(t *testing.T) {
	ctx := context.Background()
	cfg := node.Config{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := demo.Setup(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	n, err := node.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ru, err := n.Accounts.Party(ctx, "ru")
	if err != nil {
		t.Fatal(err)
	}
	viewer := truce.NewContext(ctx, &truce.Caller{User: &truce.User{ID: "t", Roles: []truce.Role{truce.RoleViewer}}, Party: ru})
	before, err := n.Control.Map(viewer, time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || len(before.Actors) != 1 {
		t.Fatalf("map in 2017: %+v %v", before, err)
	}
	isis, _ := n.Control.Actor(viewer, "isis")
	// OCHA's Ash-Shajara polygon is 179.3 km² on a sphere of the mean
	// Earth radius (computed apart from Truce); WGS84 differs by < 0.5 %.
	if before.Actors[0].ActorID != isis.ID || math.Abs(before.Actors[0].KM2-179.3) > 0.9 {
		t.Fatalf("2017: %+v, want ISIS holding about 179.3 km²", before.Actors[0])
	}
	bs, err := n.Control.Breaches(viewer, false)
	if err != nil || len(bs) != 1 {
		t.Fatalf("breaches: %v %v", bs, err)
	}
	b := bs[0]
	if b.Status != control.BreachAnswered || b.Response == nil || b.Response.Late || b.Response.PartyID != ru.ID || b.Guarantors[0] != ru.ID {
		t.Fatalf("breach: %+v", b)
	}
	if err := control.VerifyResponse(control.ResponseStatement(b, b.Response.Action), b.Response.Signature, ru.PublicKey); err != nil {
		t.Fatalf("Russia's signature: %v", err)
	}
	now, err := n.Control.Map(viewer, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	contested := 0
	for _, h := range now.Areas {
		if len(h.ContestedWith) > 0 {
			contested++
		}
	}
	if len(now.Areas) != 2 || contested != 2 {
		t.Fatalf("map now: %d areas, %d contested; want 2 and 2", len(now.Areas), contested)
	}
}
