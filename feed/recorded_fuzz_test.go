package feed_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/truce-project/truce/feed"
)

// Seeds for the recorded-file fuzzers are cut from the real recordings in
// testdata/ (xoolive/traffic samples, MIT; see testdata/README.md): the
// first points of each, re-encoded in the file's own layout, so that the
// fuzzer starts from real values, and the same bytes gzipped.

// traceSeed returns the first n points of the real readsb trace, in the
// trace layout.
func traceSeed(f *testing.F, n int) []byte {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(gunzipFile(f, "testdata/trace_full_ac671b.json.gz"), &doc); err != nil {
		f.Fatal(err)
	}
	var pts []json.RawMessage
	if err := json.Unmarshal(doc["trace"], &pts); err != nil {
		f.Fatal(err)
	}
	b, err := json.Marshal(map[string]any{"icao": doc["icao"], "timestamp": doc["timestamp"], "trace": pts[:min(n, len(pts))]})
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// trafficSeeds returns the first rows of the real "records" and "columns"
// recordings, each in its own orient.
func trafficSeeds(f *testing.F, n int) (records, columns []byte) {
	var rows []json.RawMessage
	if err := json.Unmarshal(gunzipFile(f, "testdata/border_control.json.gz"), &rows); err != nil {
		f.Fatal(err)
	}
	records, err := json.Marshal(rows[:min(n, len(rows))])
	if err != nil {
		f.Fatal(err)
	}
	var cols map[string]map[string]json.RawMessage
	if err := json.Unmarshal(gunzipFile(f, "testdata/noisy_spoofing.json.gz"), &cols); err != nil {
		f.Fatal(err)
	}
	cut := map[string]map[string]json.RawMessage{}
	for name, col := range cols {
		cut[name] = map[string]json.RawMessage{}
		for i := 0; i < n; i++ {
			if v, ok := col[strconv.Itoa(i)]; ok {
				cut[name][strconv.Itoa(i)] = v
			}
		}
	}
	if columns, err = json.Marshal(cut); err != nil {
		f.Fatal(err)
	}
	return records, columns
}

func gzipBytes(f *testing.F, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

// checkRecorded asserts what every recorded-file reader promises: an error
// about the input matches ErrInvalid and comes with no positions; accepted
// positions are in time order, within the decoders' limits, and survive the
// NDJSON encoding the API uses (so a replay posts what was read).
func checkRecorded(t *testing.T, ps []feed.Position, err error, source string) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, feed.ErrInvalid) {
			t.Fatalf("error %v does not match ErrInvalid", err)
		}
		if ps != nil {
			t.Fatalf("error %v with %d positions", err, len(ps))
		}
		return
	}
	if !sort.SliceIsSorted(ps, func(i, j int) bool { return ps[i].Time.Before(ps[j].Time) }) {
		t.Fatal("positions are not in time order")
	}
	for i, p := range ps {
		if p.ICAO == 0 || p.ICAO > 0xFFFFFF || p.Time.IsZero() || p.Source != source {
			t.Fatalf("position %d: %+v", i, p)
		}
		if p.Present.Has(feed.FieldLatLon) && !(math.Abs(p.Lat) <= 90 && math.Abs(p.Lon) <= 180) {
			t.Fatalf("position %d: lat/lon %v %v", i, p.Lat, p.Lon)
		}
		if p.Present.Has(feed.FieldAltitude) && !(p.AltFt >= feed.MinAltitudeFt && p.AltFt <= feed.MaxAltitudeFt) {
			t.Fatalf("position %d: altitude %v ft", i, p.AltFt)
		}
		if p.Present.Has(feed.FieldGroundSpeed) && !(p.GroundSpeedKt >= 0 && p.GroundSpeedKt <= feed.MaxGroundSpeedKt) {
			t.Fatalf("position %d: speed %v", i, p.GroundSpeedKt)
		}
		if p.Present.Has(feed.FieldTrack) && !(p.TrackDeg >= 0 && p.TrackDeg <= 360) {
			t.Fatalf("position %d: track %v", i, p.TrackDeg)
		}
		if p.Squawk > 0o7777 || len(p.Callsign) > feed.MaxCallsignLen {
			t.Fatalf("position %d: squawk %o callsign %q", i, p.Squawk, p.Callsign)
		}
		b, err := feed.MarshalNDJSON(p)
		if err != nil {
			t.Fatalf("position %d: %v", i, err)
		}
		q, err := feed.DecodeNDJSON(b, p.Time)
		if err != nil {
			t.Fatalf("position %d: %s: %v", i, b, err)
		}
		q.Source = p.Source
		if !samePosition(q, p) {
			t.Fatalf("position %d: NDJSON round trip\n got %+v\nwant %+v", i, q, p)
		}
	}
}

// samePosition compares positions field by field, times by instant.
func samePosition(a, b feed.Position) bool {
	at, bt := a.Time, b.Time
	a.Time, b.Time = time.Time{}, time.Time{}
	return at.Equal(bt) && a == b
}

func FuzzReadTrace(f *testing.F) {
	seed := traceSeed(f, 6)
	if ps, err := feed.ReadTrace(bytes.NewReader(seed)); err != nil || len(ps) != 6 {
		f.Fatalf("the real seed gave %d positions, %v", len(ps), err)
	}
	f.Add(seed)
	f.Add(gzipBytes(f, seed))
	f.Add([]byte(`{"icao":"ac671b","timestamp":1738703622.619,"trace":[[0,16.7,-88.0,"ground",0,0,0,null,{"flight":"DAL1812 ","squawk":"7700"}]]}`))
	f.Add([]byte(`{"icao":"ac671b","timestamp":1e300,"trace":[[1e308,1,2,3]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := feed.ReadTrace(bytes.NewReader(data))
		checkRecorded(t, ps, err, "readsb-trace")
	})
}

func FuzzReadTraffic(f *testing.F) {
	records, columns := trafficSeeds(f, 4)
	for _, seed := range [][]byte{records, columns} {
		if ps, err := feed.ReadTraffic(bytes.NewReader(seed)); err != nil || len(ps) != 4 {
			f.Fatalf("a real seed gave %d positions, %v", len(ps), err)
		}
	}
	f.Add(records)
	f.Add(columns)
	f.Add(gzipBytes(f, columns))
	f.Add([]byte(`[{"timestamp":"2020-04-17T03:40:50Z","icao24":"407918","latitude":null,"altitude":125}]`))
	f.Add([]byte(`{"timestamp":{"0":1},"icao24":{"1":"407918"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := feed.ReadTraffic(bytes.NewReader(data))
		checkRecorded(t, ps, err, "traffic")
	})
}
