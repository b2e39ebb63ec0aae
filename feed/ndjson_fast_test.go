package feed

import (
	"bytes"
	"os"
	"reflect"
	"testing"
	"time"
)

// checkFastMatchesSlow fails if the fast decoder accepts a line that the
// encoding/json decoder refuses or reads differently.
func checkFastMatchesSlow(t *testing.T, line []byte, recv time.Time) bool {
	t.Helper()
	var fast, slow Position
	if !fastNDJSON(line, recv, &fast) {
		return false
	}
	if err := slowNDJSON(line, recv, &slow); err != nil {
		t.Fatalf("fast decoder accepted %q, which encoding/json refuses: %v", line, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q:\nfast %+v\nslow %+v", line, fast, slow)
	}
	return true
}

// TestNDJSON_FastPathOnRealPositions encodes the real SBS sample's
// positions as NDJSON (as a feed would send them) and checks that the fast
// decoder takes every line and reads it as encoding/json does.
func TestNDJSON_FastPathOnRealPositions(t *testing.T) {
	raw, err := os.ReadFile("testdata/sbs1-msgs.txt")
	if err != nil {
		t.Fatal(err)
	}
	recv := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	sc := NewSBSScanner(bytes.NewReader(raw))
	sc.Now = func() time.Time { return recv }
	n := 0
	for sc.Scan() {
		line, err := MarshalNDJSON(sc.Position())
		if err != nil {
			t.Fatal(err)
		}
		if !checkFastMatchesSlow(t, bytes.TrimSpace(line), recv) {
			t.Fatalf("the fast decoder refused a plain line: %s", line)
		}
		n++
	}
	if n < 1000 {
		t.Fatalf("only %d positions", n)
	}
	// Lines the fast decoder must hand to encoding/json, whose answer
	// stands.
	for _, line := range []string{
		`{"icao":"4CA2D1","callsign":"R\u0059R1"}`, `{"icao":"4CA2D1","callsign":"ÉTÉ"}`,
		`{"icao":"4CA2D1","lat":01,"lon":2}`, `{"icao":"4CA2D1","lat":1e400,"lon":2}`,
		`{"icao":"4CA2D1","icao":"4CA2D1"}`, `{"ICAO":"4CA2D1"}`, `{"icao":"4CA2D1"} x`,
		`{"icao":"4CA2D1","lat":[1],"lon":2}`, `{"icao":"4CA2D1",}`, `{}`,
	} {
		if checkFastMatchesSlow(t, []byte(line), recv) {
			t.Errorf("the fast decoder took %s", line)
		}
	}
}

func FuzzNDJSON_FastMatchesSlow(f *testing.F) {
	for _, s := range []string{
		`{"icao":"4CA2D1","callsign":"RYR1","squawk":"7700","lat":33.5,"lon":36.3,"alt_ft":35000,"gs_kt":450.5,"track_deg":90,"vrate_fpm":-64,"on_ground":false,"time":"2026-11-30T11:59:59.5Z"}`,
		`{"icao":"4ca2d1","lat":-0,"lon":1E2,"alt_m":1.5e3,"relocated":true}`,
		` { "icao" : "4CA2D1" , "lat" : null , "lon" : null } `,
		`{"icao":"4CA2D1","lat":95,"lon":0}`,
	} {
		f.Add([]byte(s))
	}
	recv := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, line []byte) {
		if len(line) > MaxNDJSONLine {
			return
		}
		checkFastMatchesSlow(t, line, recv)
	})
}
