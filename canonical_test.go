package truce_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/truce-project/truce"
)

// TestAppendCanonical checks the canonicaliser against a general RFC 8785
// implementation: on texts chosen for the rules (member order by UTF-16
// code units, string escapes, ECMAScript number forms, whitespace), on
// json.Marshal's encoding of an alert, and on random values.
func TestAppendCanonical(t *testing.T) {
	same := func(t *testing.T, in []byte) {
		t.Helper()
		want, err := jcs.Transform(in)
		if err != nil {
			t.Fatalf("reference refused %s: %v", in, err)
		}
		got, err := truce.AppendCanonical([]byte("prefix:"), in)
		if err != nil {
			t.Fatalf("AppendCanonical(%s): %v", in, err)
		}
		if !bytes.Equal(got, append([]byte("prefix:"), want...)) {
			t.Fatalf("AppendCanonical(%s)\n got %s\nwant prefix:%s", in, got, want)
		}
	}
	for _, in := range []string{
		`{"b":1,"a":2,"c":{"z":[3,{"y":1,"x":2}],"a":null}}`,
		` { "a" : [ 1 , 2 , true , false , null ] , "\u0061b" : "x" } `,
		`{"\u20ac":1,"\r":2,"1":3,"\ud83d\ude00":4,"\ufb33":5,"a":6,"\u0080":7}`, // RFC 8785 3.2.3's sorting example, in part
		`"\u0000\u001f\u007f\b\f\n\r\t\"\\\/\u00e9\u2028\u2029\ud83d\ude00"`,
		`["\u00e9","é","<>&","\u003c"]`,
		`[0,-0,1,-1,0.1,1e21,1e20,123456789012345,1234567890123456789,9007199254740993,1.5e-7,1e-6,0.000001,1E+2,-1.25e-10,5e-324,1.7976931348623157e308,333333333.33333329,1e23,4.35,0.002,2e-3,100e-2,0.0000001,0.00000123,-0.0000005,0.000001234567891,0.1234567890123456,12345678901234.5,1234567890123.45,10.50,9.000000000000001]`,
		`{}`, `[]`, `""`, `{"a":{},"b":[]}`, `true`, `null`, `-0.0`,
	} {
		same(t, []byte(in))
	}

	alt := 1234.5
	a := &truce.Alert{ID: "019300aa-0000-7000-8000-000000000001", Kind: "zone_entry", State: truce.AlertOpen, Version: 1, Time: time.Date(2026, 12, 7, 4, 0, 0, 123456000, time.UTC),
		Lon: 36.123456789, Lat: 33.000001, AltM: &alt, Summary: `AB123 entered no-fly zone "North <1>" at 4050 ft`, ZoneID: "z1", ZoneName: "شمال",
		Aircraft: []truce.AlertAircraft{{ICAO: "4CA2D1", Callsign: "AB123", Squawk: "7700"}},
		Evidence: json.RawMessage(`{"history":[{"t":"2026-12-07T04:00:00Z","lat":33.1,"lon":36.2}],"zeta":1,"alpha":-0.5}`)}
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	same(t, raw)

	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	for range 3000 {
		v := randomJSON(rng, 4)
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		same(t, raw)
	}
}

// randomJSON returns a random value for json.Marshal: strings from an
// alphabet of the characters the rules treat apart, numbers of every
// magnitude, nested objects and arrays.
func randomJSON(rng *rand.Rand, depth int) any {
	alphabet := []rune{'a', 'b', 'Z', '0', '"', '\\', '/', '\b', '\f', '\n', '\r', '\t', 0, 0x1f, 0x7f, '<', '&', 'é', 'ش', '€', 0x2028, 0xFB33, '😀', 0xFFFD}
	str := func() string {
		var b strings.Builder
		for range rng.Intn(6) {
			b.WriteRune(alphabet[rng.Intn(len(alphabet))])
		}
		return b.String()
	}
	k := rng.Intn(8)
	if depth == 0 {
		k = rng.Intn(5)
	}
	switch k {
	case 0:
		return str()
	case 1:
		return rng.Intn(2) == 0
	case 2:
		return nil
	case 3:
		switch rng.Intn(5) {
		case 4:
			return json.Number(strconv.FormatFloat(rng.Float64()*math.Pow(10, float64(rng.Intn(12)-9)), 'f', rng.Intn(16), 64))
		case 0:
			return rng.Int63n(1<<53) - 1<<52
		case 1:
			return rng.NormFloat64() * math.Pow(10, float64(rng.Intn(60)-30))
		case 2:
			return json.Number(strconv.FormatFloat(rng.Float64()*1e6, 'f', rng.Intn(9), 64))
		default:
			f := math.Float64frombits(rng.Uint64())
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return 0
			}
			return f
		}
	case 4:
		return json.RawMessage(" [ 1 ,\n\"x\" ] ")
	case 5, 6:
		m := map[string]any{}
		for range rng.Intn(6) {
			m[str()] = randomJSON(rng, depth-1)
		}
		return m
	default:
		var s []any
		for range rng.Intn(5) {
			s = append(s, randomJSON(rng, depth-1))
		}
		return s
	}
}

// TestAppendCanonical_Refuses: what is not one JSON value is an error, and
// dst comes back as it was.
func TestAppendCanonical_Refuses(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1,]`, `[1 2]`, `01`, `1.`, `-`, `1e`, `"\x01"`, `"abc`, `"\q"`, `"\u12"`, `tru`, `1 2`, `{"a":1,"a":2}`, `{"b":1,"a":2,"b":3}`, `1e400`, strings.Repeat("[", 1001) + strings.Repeat("]", 1001)} {
		got, err := truce.AppendCanonical([]byte("x"), []byte(in))
		if err == nil {
			t.Errorf("AppendCanonical(%.40q) = %s, want an error", in, got)
		} else if string(got) != "x" {
			t.Errorf("AppendCanonical(%.40q) returned %q beside its error", in, got)
		}
	}
}

func BenchmarkCanonical(b *testing.B) {
	alt := 1234.5
	hist := `{"history":[` + strings.TrimSuffix(strings.Repeat(`{"alt_ft":20000,"lat":33.123456,"lon":36.654321,"t":"2026-12-07T04:00:00.123456Z"},`, 16), ",") + `]}`
	a := &truce.Alert{ID: "019300aa-0000-7000-8000-000000000001", Kind: "zone_entry", State: truce.AlertOpen, Version: 1, Time: time.Now().UTC(),
		Lon: 36.123456789, Lat: 33.000001, AltM: &alt, Summary: "AB123 entered no-fly zone North at 4050 ft", ZoneID: "z1", ZoneName: "North",
		Aircraft: []truce.AlertAircraft{{ICAO: "4CA2D1", Callsign: "AB123", Squawk: "7700"}}, Evidence: json.RawMessage(hist)}
	raw, _ := json.Marshal(a)
	b.Run("AppendCanonical", func(b *testing.B) {
		var out []byte
		for b.Loop() {
			out, _ = truce.AppendCanonical(out[:0], raw)
		}
	})
	b.Run("jcs.Transform", func(b *testing.B) {
		for b.Loop() {
			jcs.Transform(raw)
		}
	})
}
