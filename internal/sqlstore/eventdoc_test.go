package sqlstore

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/truce-project/truce"
)

// TestAppendEventDoc: the hand-written event document reads back as
// json.Marshal's encoding of the same event does, and what json.Marshal
// refuses it refuses.
func TestAppendEventDoc(t *testing.T) {
	at := time.Date(2026, 12, 7, 4, 5, 6, 789000, time.UTC)
	pt := &[2]float64{36.123456789, -33.5}
	box := &truce.BBox{1e-9, -1e21, 0, 179.99999999999997}
	for _, e := range []truce.Event{
		{Kind: "alert", Subject: "0193-x", Index: 12, Time: at, Data: json.RawMessage(`{"a":"<é>","b":[1,2.5]}`), Point: pt},
		{Kind: "zone", Subject: "z", Index: -1, Time: at, Data: map[string]any{"name": "\"North\"\n\u2028", "n": 3}, BBox: box},
		{Kind: "k\"ind\\", Subject: "é\x01", Time: at},
		{Kind: "aircraft", Subject: "a", Time: at, Data: &truce.Alert{ID: "x", Summary: "s"}},
		{Kind: "alert", Subject: "b", Time: at, Data: truce.CanonicalJSON(`{"a":[1,{"b":null}]}`)},
		{Kind: "feed", Subject: "f", Time: at.Add(time.Nanosecond), Data: nil, Point: &[2]float64{0, 0}},
	} {
		got, err := appendEventDoc([]byte{}, &e, true)
		if err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		want, err := json.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("event doc\n got %s\nwant %s", got, want)
		}
	}
	for _, e := range []truce.Event{
		{Kind: "a", Time: at, Point: &[2]float64{math.NaN(), 0}},
		{Kind: "a", Time: at, BBox: &truce.BBox{0, 0, math.Inf(1), 0}},
		{Kind: "a", Time: at, Data: json.RawMessage(`{"a":`)},
		{Kind: "a", Time: at, Data: math.Inf(-1)},
	} {
		if got, err := appendEventDoc(nil, &e, true); err == nil {
			t.Errorf("%+v encoded as %s, want an error", e, got)
		}
		if _, err := json.Marshal(&e); err == nil {
			t.Errorf("json.Marshal took %+v: the case tests nothing", e)
		}
	}
}
