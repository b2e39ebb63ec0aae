package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/events"
)

// The stream's hand-assembled frame of an event must be json.Marshal's,
// byte for byte, whatever the data and the event's place.
func TestEncodeEvent_SameAsMarshal(t *testing.T) {
	at := time.Date(2026, 12, 7, 23, 30, 0, 123456789, time.UTC)
	bbox := truce.BBox{35.1, 33.2, 35.3, 33.4}
	datas := []any{
		nil,
		truce.CanonicalJSON(`{"id":"al_1","kind":"zone_entry","note":"a b\nc","v":[1,2.5,-3e-7]}`),
		truce.CanonicalJSON(`{"note":"<b> & </b>"}`),
		truce.CanonicalJSON("{\"note\":\"line\u2028sep\"}"),
		truce.CanonicalJSON(`"plain"`),
		map[string]any{"a": 1, "b": "<x>"},
	}
	places := []struct {
		pt *[2]float64
		bb *truce.BBox
	}{{nil, nil}, {&[2]float64{35.5, 33.9}, nil}, {nil, &bbox}, {&[2]float64{-0.5, 1e-9}, &bbox}}
	for k, subject := range []string{"al_0123456789abcdef", "al_\"1\"<", "\u00e9t\u00e9"} {
		for i, d := range datas {
			for j, pl := range places {
				ev := &events.Record{ID: int64(1000*i + j), Event: truce.Event{Kind: "alert.raised", Subject: subject, Index: int64(-1 + j),
					Time: at.Add(time.Duration(k) * time.Hour).In(time.FixedZone("", k*3600)), Data: d, Point: pl.pt, BBox: pl.bb}}
				want, err := json.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				got, err := encodeEvent(ev)
				if err != nil {
					t.Fatalf("data %d place %d: %v", i, j, err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("data %d place %d:\n got %s\nwant %s", i, j, got, want)
				}
			}
		}
	}
}

func BenchmarkEncodeEvent(b *testing.B) {
	body := truce.CanonicalJSON(`{"aircraft":{"callsign":"TST123","icao24":"abc123"},"evidence":{"lat":33.51234,"lon":36.27654,"time":"2026-12-07T23:30:00Z"},"id":"al_0123456789abcdef","kind":"zone_entry","lat":33.51234,"lon":36.27654,"severity":"warning","time":"2026-12-07T23:30:00Z","version":1,"zone":"zn_0123456789abcdef"}`)
	ev := &events.Record{ID: 123456, Event: truce.Event{Kind: "alert.raised", Subject: "al_0123456789abcdef", Index: 98765,
		Time: time.Now().UTC(), Data: body, Point: &[2]float64{36.27654, 33.51234}}}
	b.Run("marshal", func(b *testing.B) {
		for range b.N {
			_, _ = json.Marshal(ev)
		}
	})
	b.Run("encodeEvent", func(b *testing.B) {
		for range b.N {
			_, _ = encodeEvent(ev)
		}
	})
}
