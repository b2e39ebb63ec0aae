package feed_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/feed"
)

func gunzipFile(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readTraceFile(t testing.TB) []feed.Position {
	t.Helper()
	f, err := os.Open("testdata/trace_full_ac671b.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ps, err := feed.ReadTrace(f)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestReadTrace_Real checks the readsb trace reader point by point against
// a generic JSON decoding of the same file, plain and gzip.
func TestReadTrace_Real(t *testing.T) {
	raw := gunzipFile(t, "testdata/trace_full_ac671b.json.gz")
	var oracle struct {
		ICAO      string  `json:"icao"`
		Timestamp float64 `json:"timestamp"`
		Trace     [][]any `json:"trace"`
	}
	if err := json.Unmarshal(raw, &oracle); err != nil {
		t.Fatal(err)
	}
	plain, err := feed.ReadTrace(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	ps := readTraceFile(t)
	if len(ps) != len(oracle.Trace) || len(plain) != len(ps) {
		t.Fatalf("%d points (plain %d), want %d", len(ps), len(plain), len(oracle.Trace))
	}
	ground, callsigns := 0, 0
	for i, pt := range oracle.Trace {
		p := ps[i]
		if p != plain[i] {
			t.Fatalf("point %d differs between gzip and plain", i)
		}
		if feed.FormatICAO(p.ICAO) != strings.ToUpper(oracle.ICAO) || p.Source != "readsb-trace" {
			t.Fatalf("point %d: icao %06X source %q", i, p.ICAO, p.Source)
		}
		wantT := oracle.Timestamp + pt[0].(float64)
		if d := float64(p.Time.UnixNano())/1e9 - wantT; math.Abs(d) > 1e-3 {
			t.Errorf("point %d: time %v off by %vs", i, p.Time, d)
		}
		if p.Lat != pt[1].(float64) || p.Lon != pt[2].(float64) || !p.Present.Has(feed.FieldLatLon) {
			t.Errorf("point %d: %v,%v want %v,%v", i, p.Lat, p.Lon, pt[1], pt[2])
		}
		switch alt := pt[3].(type) {
		case string:
			ground++
			if alt != "ground" || !p.OnGround || p.Present.Has(feed.FieldAltitude) {
				t.Errorf("point %d: alt %q, OnGround %v, present %v", i, alt, p.OnGround, p.Present)
			}
		case float64:
			if p.OnGround || p.AltFt != alt || !p.Present.Has(feed.FieldAltitude|feed.FieldOnGround) {
				t.Errorf("point %d: alt %v, got %v ft on-ground %v", i, alt, p.AltFt, p.OnGround)
			}
		}
		if gs, ok := pt[4].(float64); ok != p.Present.Has(feed.FieldGroundSpeed) || gs != p.GroundSpeedKt {
			t.Errorf("point %d: gs %v, got %v", i, pt[4], p.GroundSpeedKt)
		}
		if vr, ok := pt[7].(float64); ok != p.Present.Has(feed.FieldVerticalRate) || vr != p.VerticalRateFpm {
			t.Errorf("point %d: vrate %v, got %v", i, pt[7], p.VerticalRateFpm)
		}
		if d, ok := pt[8].(map[string]any); ok {
			if fl, ok := d["flight"].(string); ok {
				callsigns++
				if p.Callsign != strings.TrimSpace(fl) {
					t.Errorf("point %d: callsign %q want %q", i, p.Callsign, fl)
				}
			}
			if sq, ok := d["squawk"].(string); ok && p.Squawk.String() != sq {
				t.Errorf("point %d: squawk %v want %s", i, p.Squawk, sq)
			}
		}
	}
	if ground == 0 || callsigns == 0 {
		t.Errorf("oracle saw %d ground points and %d callsigns: nothing checked", ground, callsigns)
	}
	t.Logf("%d points, %d on ground, %d with callsign", len(ps), ground, callsigns)
}

// TestReadTraffic_Real reads both pandas orients and checks every row against
// a generic decoding of the file.
func TestReadTraffic_Real(t *testing.T) {
	for _, tt := range []struct {
		file, orient string
	}{
		{"testdata/border_control.json.gz", "records"},
		{"testdata/noisy_spoofing.json.gz", "columns"},
	} {
		t.Run(tt.orient, func(t *testing.T) {
			raw := gunzipFile(t, tt.file)
			rows := trafficOracle(t, raw, tt.orient)
			f, err := os.Open(tt.file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			ps, err := feed.ReadTraffic(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != len(rows) {
				t.Fatalf("%d positions, want %d", len(ps), len(rows))
			}
			withPos := 0
			for i, row := range rows {
				p := ps[i]
				if ms := row["timestamp"].(float64); p.Time.UnixMilli() != int64(ms) {
					t.Errorf("row %d: time %v want %v ms", i, p.Time, ms)
				}
				if feed.FormatICAO(p.ICAO) != strings.ToUpper(row["icao24"].(string)) || p.Source != "traffic" {
					t.Errorf("row %d: icao %06X source %q", i, p.ICAO, p.Source)
				}
				lat, ok := row["latitude"].(float64)
				if ok != p.Present.Has(feed.FieldLatLon) || lat != p.Lat || (ok && row["longitude"].(float64) != p.Lon) {
					t.Errorf("row %d: lat %v got %v (present %v)", i, row["latitude"], p.Lat, p.Present)
				}
				if ok {
					withPos++
				}
				if alt, ok := row["altitude"].(float64); ok != p.Present.Has(feed.FieldAltitude) || alt != p.AltFt {
					t.Errorf("row %d: altitude %v got %v", i, row["altitude"], p.AltFt)
				}
				if cs, _ := row["callsign"].(string); cs != p.Callsign {
					t.Errorf("row %d: callsign %q got %q", i, cs, p.Callsign)
				}
				if gs, ok := row["groundspeed"].(float64); ok != p.Present.Has(feed.FieldGroundSpeed) || gs != p.GroundSpeedKt {
					t.Errorf("row %d: gs %v got %v", i, row["groundspeed"], p.GroundSpeedKt)
				}
			}
			t.Logf("%d rows, %d with lat/lon", len(rows), withPos)
			if withPos == 0 {
				t.Error("no row with a position")
			}
		})
	}
}

// trafficOracle decodes a pandas JSON file into rows in index order,
// independently of the package.
func trafficOracle(t *testing.T, raw []byte, orient string) []map[string]any {
	t.Helper()
	if orient == "records" {
		var rows []map[string]any
		if err := json.Unmarshal(raw, &rows); err != nil {
			t.Fatal(err)
		}
		return rows
	}
	var cols map[string]map[string]any
	if err := json.Unmarshal(raw, &cols); err != nil {
		t.Fatal(err)
	}
	var idx []int
	for k := range cols["timestamp"] {
		n, err := strconv.Atoi(k)
		if err != nil {
			t.Fatal(err)
		}
		idx = append(idx, n)
	}
	sort.Ints(idx)
	rows := make([]map[string]any, len(idx))
	for i, n := range idx {
		rows[i] = map[string]any{}
		for name, col := range cols {
			rows[i][name] = col[strconv.Itoa(n)]
		}
	}
	return rows
}

func TestReadRecorded_Bad(t *testing.T) {
	gz := func(s string) string {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(s))
		zw.Close()
		return b.String()
	}
	good := gz(`[{"timestamp":1587094850000,"icao24":"407918","latitude":50.9,"longitude":0.9}]`)
	tests := []struct {
		name string
		read func(io.Reader) ([]feed.Position, error)
		in   string
		want string
	}{
		{"TraceNotJSON", feed.ReadTrace, "hello", "trace"},
		{"TraceBadICAO", feed.ReadTrace, `{"icao":"zz","timestamp":1,"trace":[]}`, "icao"},
		{"TraceNoTimestamp", feed.ReadTrace, `{"icao":"ac671b","trace":[]}`, "timestamp"},
		{"TraceShortPoint", feed.ReadTrace, `{"icao":"ac671b","timestamp":1738703622.6,"trace":[[0,1,2]]}`, "point 0"},
		{"TraceLatRange", feed.ReadTrace, `{"icao":"ac671b","timestamp":1738703622.6,"trace":[[0,1,2,100,1,1,0,0,null],[1,99,2,100,1,1,0,0,null]]}`, "point 1: feed: latitude"},
		{"TraceAltText", feed.ReadTrace, `{"icao":"ac671b","timestamp":1738703622.6,"trace":[[0,1,2,"high",1,1,0,0,null]]}`, "element 3"},
		{"TrafficTruncatedGzip", feed.ReadTraffic, good[:len(good)-10], "gzip"},
		{"TrafficScalar", feed.ReadTraffic, `42`, "not a JSON array or object"},
		{"TrafficNoICAO", feed.ReadTraffic, `[{"timestamp":1587094850000}]`, "row 0: feed: no icao24"},
		{"TrafficBadSquawk", feed.ReadTraffic, `[{"timestamp":1587094850000,"icao24":"407918","squawk":"9999"}]`, "squawk"},
		{"TrafficColumnsBadLabel", feed.ReadTraffic, `{"timestamp":{"a":1587094850000},"icao24":{"a":"407918"}}`, "index label"},
		{"TrafficColumnsNoTimestamp", feed.ReadTraffic, `{"icao24":{"0":"407918"}}`, "timestamp"},
		{"TrafficTimestampRange", feed.ReadTraffic, `[{"timestamp":-5,"icao24":"407918"}]`, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.read(strings.NewReader(tt.in))
			if !errors.Is(err, feed.ErrInvalid) {
				t.Fatalf("err %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %q does not mention %q", err, tt.want)
			}
		})
	}
	ps, err := feed.ReadTraffic(strings.NewReader(good))
	if err != nil || len(ps) != 1 || ps[0].Time != time.UnixMilli(1587094850000).UTC() {
		t.Errorf("good gzip records: %v %+v", err, ps)
	}
}
