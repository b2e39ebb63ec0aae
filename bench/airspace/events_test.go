package main

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// An event delivers the engine's alerts it carries, each keyed by the
// time of the position that triggered it: the entry that raised the
// record (version 1), the exit that ended its episode in the same write
// (version 1 with ended_at), or the exit that ended a stored record (a
// later version). Keyed by the record's own time, an exit's event was
// matched to its entry's line, and its latency was the time spent inside
// the zone (p99 20 s at 2,000 positions/s on the dense scenario).
func TestAlertEvent_Reports(t *testing.T) {
	entry := time.Date(2026, 12, 7, 22, 0, 1, 250e6, time.UTC)
	exit := entry.Add(17 * time.Second)
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	for _, tc := range []struct {
		name string
		data string
		want []report
	}{
		{"entry", `{"kind":"zone_entry","time":"2026-12-07T22:00:01.25Z","version":1,"aircraft":[{"icao":"500001"}]}`,
			[]report{{0x500001, ms(entry)}}},
		{"entry ended by its exit in the same write",
			`{"kind":"zone_entry","time":"2026-12-07T22:00:01.25Z","version":1,"ended_at":"2026-12-07T22:00:18.25Z","end_reason":"exit","history":[{"time":"2026-12-07T22:00:18.25Z","action":"ended"}],"aircraft":[{"icao":"500001"}]}`,
			[]report{{0x500001, ms(entry)}, {0x500001, ms(exit)}}},
		{"exit ending a stored entry",
			`{"kind":"zone_entry","time":"2026-12-07T22:00:01.25Z","version":2,"ended_at":"2026-12-07T22:00:18.25Z","end_reason":"exit","history":[{"time":"2026-12-07T22:00:18.25Z","action":"ended"}],"aircraft":[{"icao":"500001"}]}`,
			[]report{{0x500001, ms(exit)}}},
		{"exit whose entry no server recorded (orphan)",
			`{"kind":"zone_exit","time":"2026-12-07T22:00:18.25Z","version":1,"ended_at":"2026-12-07T22:00:18.25Z","end_reason":"exit","history":[{"time":"2026-12-07T22:00:18.25Z","action":"ended"}],"aircraft":[{"icao":"500001"}]}`,
			[]report{{0x500001, ms(exit)}}},
		{"acknowledged after its end: no position", `{"kind":"zone_entry","time":"2026-12-07T22:00:01.25Z","version":3,"ended_at":"2026-12-07T22:00:18.25Z","history":[{"time":"2026-12-07T22:00:18.25Z","action":"ended"},{"time":"2026-12-07T22:01:00Z","action":"acknowledged"}],"aircraft":[{"icao":"500001"}]}`,
			nil},
		{"the server's own alert", `{"kind":"track_table_full","time":"2026-12-07T22:00:01.25Z","version":1}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ev alertEvent
			if err := json.Unmarshal([]byte(`{"kind":"alert","data":`+tc.data+`}`), &ev); err != nil {
				t.Fatal(err)
			}
			got, err := ev.reports()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("reports %v, want %v", got, tc.want)
			}
		})
	}
}

// A server that reads one SBS connection whenever it has something to
// read and the other only when the first is empty must not let the first
// run ahead of the second in feed time: with the window alone it sent its
// whole stream first, and the monitor expired every aircraft of the other
// connection (1,000 tracks, 428 alerts more than over NDJSON).
func TestLockstep_StarvedConnection(t *testing.T) {
	const pieces, n = 30, 5000
	ns := [][]int{make([]int, pieces), make([]int, pieces)}
	for c := range ns {
		for j := range ns[c] {
			ns[c][j] = n
		}
	}
	gate := lockstep(ns)
	var sent, done [2]int // pieces per connection
	processed := func() int64 { return int64(done[0]+done[1]) * n }
	lead := 0
	for done[0]+done[1] < 2*pieces {
		for c := range sent {
			for sent[c] < pieces && int64(sent[0]+sent[1]-done[0]-done[1])*n <= window && processed() >= gate[sent[c]] {
				sent[c]++
			}
		}
		if done[0] < sent[0] { // the favoured connection first
			done[0]++
		} else if done[1] < sent[1] {
			done[1]++
		} else {
			t.Fatalf("stuck: sent %v, processed %v", sent, done)
		}
		lead = max(lead, done[0]-done[1])
	}
	// 3 pieces of 5,000 positions from 1,000 aircraft: 15 s of feed time,
	// well within the monitor's 60 s before a silent track is dropped.
	if lead > 3 {
		t.Errorf("the favoured connection ran %d pieces ahead of the other", lead)
	}
}
