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
