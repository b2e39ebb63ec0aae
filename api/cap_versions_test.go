package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/api"
	"github.com/truce-project/truce/capxml"
)

// TestCAPAlert_Versions: an alert's CAP documents through its life, each
// valid against the OASIS schema: Alert, then an Update when acknowledged
// or ended, a Cancel once closed, each later one with its own identifier
// referring to the first; a relocated (replayed) alert is an Exercise;
// the area carries the zone's outer rings as lat,lon polygons beside the
// circle at the aircraft.
func TestCAPAlert_Versions(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	zone := json.RawMessage(`{"type":"MultiPolygon","coordinates":[[[[36,33],[36.5,33],[36.5,33.5],[36,33.5],[36,33]],[[36.1,33.1],[36.2,33.1],[36.2,33.2],[36.1,33.1]]],[[[37,34],[37.1,34],[37.1,34.1],[37,34]]]]}`)
	base := func() *truce.Alert {
		return &truce.Alert{ID: "0190e7a2-0000-7000-8000-000000000001", Kind: truce.AlertZoneEntry, State: truce.AlertOpen, Time: t0, Lon: 36.2, Lat: 33.2,
			Summary: "TEST1 entered no-fly zone Box", ZoneID: "z1", ZoneName: "Box", Version: 1}
	}
	acked := base()
	acked.Acknowledge(truce.AlertAck{Party: "p1", Time: t0.Add(time.Minute)})
	acked.Version = 2
	closed := base()
	closed.Close("m", "u", "done", t0.Add(time.Hour))
	closed.Version = 3
	replay := base()
	replay.Relocated = true
	lint := xmllint(t)
	for _, c := range []struct {
		name        string
		a           *truce.Alert
		id, msgType string
		status      string
		sent        time.Time
	}{
		{"First", base(), "0190e7a2-0000-7000-8000-000000000001", "Alert", "Actual", t0},
		{"Acknowledged", acked, "0190e7a2-0000-7000-8000-000000000001.v2", "Update", "Actual", t0.Add(time.Minute)},
		{"Closed", closed, "0190e7a2-0000-7000-8000-000000000001.v3", "Cancel", "Actual", t0.Add(time.Hour)},
		{"Replayed", replay, "0190e7a2-0000-7000-8000-000000000001", "Alert", "Exercise", t0},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := api.CAPAlertIn(c.a, "truce.example", zone)
			if doc.Identifier != c.id || string(doc.MsgType) != c.msgType || string(doc.Status) != c.status || !doc.Sent.Equal(c.sent) {
				t.Fatalf("identifier %s, msgType %s, status %s, sent %v", doc.Identifier, doc.MsgType, doc.Status, doc.Sent)
			}
			if c.msgType != "Alert" && (len(doc.References) != 1 || doc.References[0].Identifier != c.a.ID || !doc.References[0].Sent.Equal(t0)) {
				t.Fatalf("references %+v, want the first document", doc.References)
			}
			areas := doc.Info[0].Areas
			if len(areas) != 2 || len(areas[0].Circles) != 1 || len(areas[1].Polygons) != 2 || areas[1].Desc != "Box" ||
				areas[1].Polygons[0][1] != (capxml.Point{Lat: 33, Lon: 36.5}) {
				t.Fatalf("areas %+v: want the aircraft's circle and the zone's two outer rings, lat,lon", areas)
			}
			var buf bytes.Buffer
			if err := capxml.Encode(&buf, doc); err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(t.TempDir(), "a.xml")
			os.WriteFile(f, buf.Bytes(), 0o644)
			if out, err := exec.Command(lint, "--noout", "--schema", "../capxml/testdata/cap12.xsd", f).CombinedOutput(); err != nil {
				t.Fatalf("invalid CAP: %s\n%s", out, buf.String())
			}
			if c.a.Relocated && !strings.Contains(buf.String(), "truce:relocated") {
				t.Fatal("a replayed alert's document does not say it is relocated")
			}
		})
	}
}
