package truce_test

import (
	"encoding/json"
	"math"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/truce-project/truce"
)

// TestAlert_AppendCanonicalJSON holds the alert's one-pass encoder to the
// two passes it replaces, json.Marshal then AppendCanonical, and to
// github.com/gowebpki/jcs: on an alert with every field set (filled by
// reflection, so that a field added to Alert and not to the encoder fails
// here), with none set, on strings and numbers chosen for the rules, and
// on random alerts.
func TestAlert_AppendCanonicalJSON(t *testing.T) {
	check := func(t *testing.T, a *truce.Alert) {
		t.Helper()
		raw, werr := json.Marshal(a)
		got, err := a.AppendCanonicalJSON(nil)
		if werr != nil {
			if err == nil {
				t.Fatalf("encoded %s, json.Marshal refused it: %v", got, werr)
			}
			return
		}
		if err != nil {
			t.Fatalf("refused what json.Marshal encodes: %v\n%s", err, raw)
		}
		want, err := truce.AppendCanonical(nil, raw)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("encoded\n%s\nwant\n%s", got, want)
		}
		ref, err := jcs.Transform(raw)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(ref) {
			t.Fatalf("encoded\n%s\njcs says\n%s", got, ref)
		}
	}

	t.Run("EveryField", func(t *testing.T) {
		a := new(truce.Alert)
		fill(t, reflect.ValueOf(a).Elem(), 1)
		raw, _ := json.Marshal(a)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if n := reflect.TypeFor[truce.Alert]().NumField(); len(m) != n {
			t.Fatalf("%d of Alert's %d fields filled: %s", len(m), n, raw)
		}
		check(t, a)
	})
	t.Run("None", func(t *testing.T) {
		check(t, &truce.Alert{})
		check(t, &truce.Alert{Aircraft: []truce.AlertAircraft{}})
	})
	t.Run("Strings", func(t *testing.T) {
		for _, s := range []string{"", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>", "tab\tnew\nline\r\b\f\x00\x1f\x7f",
			"U+2028 \u2028 U+2029 \u2029", "حلب", "emoji 🛩", "bad \xff utf-8 \xe2\x82", "\xed\xa0\x80 surrogate"} {
			check(t, &truce.Alert{ID: s, Summary: s, Kind: truce.AlertKind(s), Parties: []string{s, "b"}, EndReason: s,
				Aircraft: []truce.AlertAircraft{{ICAO: s, Callsign: s, Party: s, Squawk: s}}})
		}
	})
	t.Run("Numbers", func(t *testing.T) {
		for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 33.12345, 1e21, 1e20, 1e-7, 1e-6, 123456789012345680000, 5e-324,
			math.MaxFloat64, -2.5e-8, 36.00001, math.NaN(), math.Inf(1), math.Inf(-1)} {
			alt := f
			check(t, &truce.Alert{Lon: f, Lat: -f, AltM: &alt})
		}
		for _, v := range []int64{0, 1, -1, 999_999_999_999_999, 1_000_000_000_000_000, -1_000_000_000_000_001, math.MaxInt64, math.MinInt64} {
			check(t, &truce.Alert{Version: v, JournalIndex: -v})
		}
	})
	t.Run("Times", func(t *testing.T) {
		for _, tm := range []time.Time{{}, time.Date(2026, 12, 7, 18, 0, 0, 123456789, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 3*3600+1800)),
			time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)} {
			check(t, &truce.Alert{Time: tm, EndedAt: &tm})
		}
	})
	t.Run("Evidence", func(t *testing.T) {
		check(t, &truce.Alert{Evidence: json.RawMessage(`{ "z": 1.50, "a": [ "x" , 1e3 ] }`), EndEvidence: json.RawMessage(`[]`)})
		check(t, &truce.Alert{Evidence: json.RawMessage(`{"a":`)})
	})
	t.Run("Random", func(t *testing.T) {
		seed := time.Now().UnixNano()
		t.Logf("seed %d", seed)
		rnd := rand.New(rand.NewSource(seed))
		for range 300 {
			a := new(truce.Alert)
			fill(t, reflect.ValueOf(a).Elem(), rnd.Int63())
			check(t, a)
		}
	})
}

// fill sets every field of v, recursively, to a value drawn from seed:
// strings with characters that need escapes, numbers of every form,
// valid JSON for raw messages, one to three elements for slices.
func fill(t *testing.T, v reflect.Value, seed int64) {
	rnd := rand.New(rand.NewSource(seed))
	var set func(v reflect.Value)
	set = func(v reflect.Value) {
		switch {
		case v.Type() == reflect.TypeFor[time.Time]():
			v.Set(reflect.ValueOf(time.Unix(rnd.Int63n(1<<35), rnd.Int63n(1e9)).UTC()))
			return
		case v.Type() == reflect.TypeFor[json.RawMessage]():
			v.SetBytes([]byte(`{"b": [1.0, "x\u00e9<"], "a": -0.0}`))
			return
		}
		switch v.Kind() {
		case reflect.String:
			chars := []rune{'a', 'Z', '"', '\\', '<', '&', '\n', 0x01, 'é', 'ح', '\u2028', '🛩'}
			s := make([]rune, 1+rnd.Intn(8))
			for i := range s {
				s[i] = chars[rnd.Intn(len(chars))]
			}
			v.SetString(string(s))
		case reflect.Float64:
			fs := []float64{rnd.Float64()*360 - 180, rnd.NormFloat64() * 1e22, rnd.Float64() * 1e-8, float64(rnd.Intn(100))}
			v.SetFloat(fs[rnd.Intn(len(fs))])
		case reflect.Int64:
			v.SetInt(rnd.Int63n(1<<(1+rnd.Intn(62))) * int64(1-2*rnd.Intn(2)))
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
			set(v.Elem())
		case reflect.Slice:
			n := 1 + rnd.Intn(3)
			v.Set(reflect.MakeSlice(v.Type(), n, n))
			for i := range n {
				set(v.Index(i))
			}
		case reflect.Struct:
			for i := range v.NumField() {
				set(v.Field(i))
			}
		default:
			t.Fatalf("fill: a %s field", v.Type())
		}
	}
	set(v)
}

// BenchmarkAlertEncode compares the alert's one-pass canonical encoder
// with the two passes it replaces, on an emergency alert with 17 points of
// evidence:
//
//	go test -run XXX -bench AlertEncode .
func BenchmarkAlertEncode(b *testing.B) {
	var ev []byte
	ev = append(ev, `{"history":[`...)
	for i := range 16 {
		if i > 0 {
			ev = append(ev, ',')
		}
		ev = append(ev, `{"alt_ft":20000,"lat":33.02`...)
		ev = append(ev, byte('0'+i%10))
		ev = append(ev, `,"lon":36.04,"time":"2026-12-07T18:00:01.123456789Z"}`...)
	}
	ev = append(ev, `],"reason":"","trigger":[{"alt_ft":20000,"lat":33.037,"lon":36.04,"time":"2026-12-07T18:00:02.5Z"}]}`...)
	alt := 6096.0
	a := &truce.Alert{ID: truce.NewID(), Kind: truce.AlertSquawk, State: truce.AlertOpen, Time: time.Now().UTC(), Lon: 36.04, Lat: 33.037, AltM: &alt,
		Aircraft: []truce.AlertAircraft{{ICAO: "700001", Squawk: "7700"}}, Summary: "700001 squawks 7700", Episode: "019af0c2d3e4f5a6b7c8d9e0f1a2b3c4",
		Evidence: ev, Version: 1, JournalIndex: 123456}
	b.Run("MarshalCanonical", func(b *testing.B) {
		for range b.N {
			raw, err := json.Marshal(a)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := truce.AppendCanonical(make([]byte, 0, len(raw)), raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AppendCanonicalJSON", func(b *testing.B) {
		for range b.N {
			if _, err := a.AppendCanonicalJSON(make([]byte, 0, 1024)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
