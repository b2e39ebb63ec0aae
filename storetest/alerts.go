package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/airspace"
)

// testAlertEpisodes checks that an alert's acknowledgements and history
// read back as written, and that the episode and ongoing filters follow
// the document: an episode's alerts by episode, the open episodes being
// the alerts neither ended nor closed.
func testAlertEpisodes(t *testing.T, st Store) {
	s := st.Airspace()
	now := time.Now().UTC().Truncate(time.Microsecond)
	put := func(a *truce.Alert) {
		t.Helper()
		err := s.Update(ctx, func(tx airspace.Tx) error {
			i, err := tx.Append(ctx, change("alert", a.ID, a))
			if err != nil {
				return err
			}
			a.JournalIndex = i
			return tx.PutAlert(ctx, a)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	alert := func(kind truce.AlertKind, episode string) *truce.Alert {
		return &truce.Alert{ID: id(), Kind: kind, State: truce.AlertOpen, Time: now, Lon: 36, Lat: 33, Summary: string(kind),
			Episode: episode, Aircraft: []truce.AlertAircraft{}, Parties: []string{"p1", "p2"}, Version: 1}
	}
	entry, predicted, other := alert(truce.AlertZoneEntry, "ep1"), alert(truce.AlertPredictedEntry, "ep0"), alert(truce.AlertProximity, "ep2")
	for _, a := range []*truce.Alert{predicted, entry, other} {
		put(a)
	}
	ids := func(f truce.AlertFilter) []string {
		t.Helper()
		f.Limit = 100
		as, err := s.Alerts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range as {
			out = append(out, a.ID)
		}
		slices.Sort(out)
		return out
	}
	sorted := func(xs ...string) []string { slices.Sort(xs); return xs }
	if got := ids(truce.AlertFilter{Ongoing: true}); !slices.Equal(got, sorted(entry.ID, predicted.ID, other.ID)) {
		t.Fatalf("ongoing before any end: %v", got)
	}
	// The prediction comes true: it ends, linking the entry.
	predicted.End(now, "entered", entry.ID)
	predicted.Version++
	put(predicted)
	// The proximity is acknowledged by one party, then closed.
	other.Acknowledge(truce.AlertAck{Party: "p1", User: "u1", Time: now, Note: "seen", Signature: "sig"})
	other.Close("m", "u2", "separated", now.Add(time.Second))
	other.Version++
	put(other)
	if got := ids(truce.AlertFilter{Ongoing: true}); !slices.Equal(got, []string{entry.ID}) {
		t.Fatalf("ongoing: %v, want only the entry %s", got, entry.ID)
	}
	if got := ids(truce.AlertFilter{Episode: "ep0"}); !slices.Equal(got, []string{predicted.ID}) {
		t.Fatalf("episode ep0: %v", got)
	}
	if got := ids(truce.AlertFilter{Ongoing: true, Kind: truce.AlertPredictedEntry}); len(got) != 0 {
		t.Fatalf("an ended prediction is ongoing: %v", got)
	}
	got, err := s.Alert(ctx, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Acks) != 1 || got.Acks[0].Signature != "sig" || len(got.History) != 2 || got.History[1].Note != "separated" ||
		!slices.Equal(got.Awaiting(), []string{"p2"}) || got.State != truce.AlertClosed {
		t.Fatalf("read back %+v", got)
	}
	if got, err = s.Alert(ctx, predicted.ID); err != nil || got.EndedAt == nil || !got.EndedAt.Equal(now) || got.EndedBy != entry.ID || got.EndReason != "entered" {
		t.Fatalf("ended prediction read back %+v %v", got, err)
	}
}
