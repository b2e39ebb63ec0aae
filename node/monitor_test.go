package node

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/feed"
)

// TestAirspace_AlertQueueBounded floods the monitor with alerts faster
// than the journal writes them through a queue lowered to 16: the queue
// never grows past its bound, the engine is held back rather than an
// alert dropped, and every alert reaches the journal.
func TestAirspace_AlertQueueBounded(t *testing.T) {
	ctx := context.Background()
	cfg := Config{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SelfCheck: "off"}
	if _, err := Init(ctx, cfg, InitOptions{PartySlug: "secretariat", PartyName: "Secretariat", PartyKind: truce.PartyCoordinator, Username: "admin"}); err != nil {
		t.Fatal(err)
	}
	n, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	a := n.air
	a.mu.Lock()
	a.limit = 16
	a.mu.Unlock()

	const aircraft = 600
	sq, _ := feed.ParseSquawk("7700")
	t0 := time.Now().UTC()
	for i := range aircraft {
		p := feed.Position{ICAO: 0x700000 + uint32(i), Squawk: sq, Lat: 33 + float64(i)*0.01, Lon: 36, Time: t0, Source: "test",
			Present: feed.FieldSquawk | feed.FieldLatLon}
		for !n.IngestPosition(p) {
			time.Sleep(time.Millisecond) // shed under overload: offer it again
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	var got int
	for time.Now().Before(deadline) {
		got = 0
		for cursor := ""; ; {
			as, err := n.Store.Alerts(ctx, truce.AlertFilter{Kind: truce.AlertKind("emergency_squawk"), Cursor: cursor, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			got += len(as)
			if len(as) < 500 {
				break
			}
			cursor = as[len(as)-1].ID
		}
		if got >= aircraft {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	a.mu.Lock()
	peak := a.peak
	a.mu.Unlock()
	if got != aircraft {
		t.Fatalf("%d emergency alerts journalled, want %d", got, aircraft)
	}
	if peak > 16 {
		t.Fatalf("alert queue reached %d, bound 16", peak)
	}
	if a.waits.Load() == 0 {
		t.Fatalf("the engine never waited: the test did not fill the queue (peak %d)", peak)
	}
	t.Logf("peak queue %d, engine waited %d times", peak, a.waits.Load())
}
