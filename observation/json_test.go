package observation_test

import (
	"encoding/json"
	"math"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/truce-project/truce"
	"github.com/truce-project/truce/observation"
)

// canonicalEncoder is a record that writes its own canonical JSON.
type canonicalEncoder interface {
	AppendCanonicalJSON(b []byte) ([]byte, error)
}

// checkCanonical holds a record's one-pass encoder to json.Marshal then
// truce.AppendCanonical, and to github.com/gowebpki/jcs.
func checkCanonical(t *testing.T, v canonicalEncoder) {
	t.Helper()
	raw, werr := json.Marshal(v)
	got, err := v.AppendCanonicalJSON(nil)
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

// TestObservation_AppendCanonicalJSON: the observation's encoder writes
// what json.Marshal and canonicalisation write, on an observation with
// every field set (filled by reflection: a field added and not encoded
// fails here), with none set, on strings, numbers and times chosen for the
// rules, and on random observations.
func TestObservation_AppendCanonicalJSON(t *testing.T) {
	t.Run("EveryField", func(t *testing.T) {
		o := new(observation.Observation)
		fillRecord(t, reflect.ValueOf(o).Elem(), 1)
		wantMembers(t, o, reflect.TypeFor[observation.Observation]().NumField()-1+reflect.TypeFor[observation.Input]().NumField())
		checkCanonical(t, o)
	})
	t.Run("None", func(t *testing.T) {
		checkCanonical(t, &observation.Observation{})
		checkCanonical(t, &observation.Observation{Area: [][2]float64{}, Input: observation.Input{Evidence: []string{}}})
	})
	t.Run("Strings", func(t *testing.T) {
		for _, s := range canonicalStrings {
			checkCanonical(t, &observation.Observation{ID: s, PartyID: s, ObserverLabel: s, PCode: s,
				Input: observation.Input{Narrative: s, Weapon: s, Actor: s, Category: observation.Category(s), Evidence: []string{s, "b"}}})
		}
	})
	t.Run("Numbers", func(t *testing.T) {
		for _, f := range canonicalFloats {
			checkCanonical(t, &observation.Observation{Radius: f, Center: observation.Point{Lon: f, Lat: -f}, Area: [][2]float64{{f, 1}, {2, f}},
				Input: observation.Input{Accuracy: f, Confidence: f, Bearing: &observation.Bearing{Degrees: f, Error: f, MinDistance: f, MaxDistance: f}}})
		}
		for _, v := range canonicalInts {
			checkCanonical(t, &observation.Observation{Version: int(v), JournalIndex: -v, GeoPrecision: observation.Precision(v),
				Input: observation.Input{Events: observation.Count{Best: int(v), Low: -int(v), High: 1}}})
		}
	})
	t.Run("Times", func(t *testing.T) {
		for _, tm := range canonicalTimes {
			checkCanonical(t, &observation.Observation{CreatedAt: tm, Input: observation.Input{Start: tm, End: tm}})
		}
	})
	t.Run("Random", func(t *testing.T) {
		seed := time.Now().UnixNano()
		t.Logf("seed %d", seed)
		rnd := rand.New(rand.NewSource(seed))
		for range 300 {
			o := new(observation.Observation)
			fillRecord(t, reflect.ValueOf(o).Elem(), rnd.Int63())
			checkCanonical(t, o)
		}
	})
}

// TestIncident_AppendCanonicalJSON is TestObservation_AppendCanonicalJSON
// for incidents.
func TestIncident_AppendCanonicalJSON(t *testing.T) {
	t.Run("EveryField", func(t *testing.T) {
		inc := new(observation.Incident)
		fillRecord(t, reflect.ValueOf(inc).Elem(), 1)
		wantMembers(t, inc, reflect.TypeFor[observation.Incident]().NumField())
		checkCanonical(t, inc)
	})
	t.Run("None", func(t *testing.T) {
		checkCanonical(t, &observation.Incident{})
		checkCanonical(t, &observation.Incident{Area: [][2]float64{}, Parties: []string{}, Decisions: []observation.Decision{}})
	})
	t.Run("Strings", func(t *testing.T) {
		for _, s := range canonicalStrings {
			checkCanonical(t, &observation.Incident{ID: s, Actor: s, PCode: s, MergedInto: s, Status: observation.Status(s), Parties: []string{s, "b"}})
		}
	})
	t.Run("Numbers", func(t *testing.T) {
		for _, f := range canonicalFloats {
			checkCanonical(t, &observation.Incident{Radius: f, ActorConfidence: f, Center: observation.Point{Lon: f, Lat: -f}, Area: [][2]float64{{f, 1}}})
		}
		for _, v := range canonicalInts {
			checkCanonical(t, &observation.Incident{Version: int(v), JournalIndex: -v, Observations: int(v), Observers: -int(v)})
		}
	})
	t.Run("Times", func(t *testing.T) {
		for _, tm := range canonicalTimes {
			checkCanonical(t, &observation.Incident{Start: tm, End: tm, CreatedAt: tm, UpdatedAt: tm})
		}
	})
	t.Run("Random", func(t *testing.T) {
		seed := time.Now().UnixNano()
		t.Logf("seed %d", seed)
		rnd := rand.New(rand.NewSource(seed))
		for range 300 {
			inc := new(observation.Incident)
			fillRecord(t, reflect.ValueOf(inc).Elem(), rnd.Int63())
			checkCanonical(t, inc)
		}
	})
}

var (
	canonicalStrings = []string{"", "plain", `quote " backslash \ slash /`, "<script>&amp;</script>", "tab\tnew\nline\r\b\f\x00\x1f\x7f",
		"U+2028 \u2028 U+2029 \u2029", "درعا", "emoji 🛩", "bad \xff utf-8 \xe2\x82", "\xed\xa0\x80 surrogate"}
	canonicalFloats = []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 33.12345, 1e21, 1e20, 1e-7, 1e-6, 123456789012345680000, 5e-324,
		math.MaxFloat64, -2.5e-8, 36.00001, math.NaN(), math.Inf(1), math.Inf(-1)}
	canonicalInts  = []int64{0, 1, -1, 999_999_999_999_999, 1_000_000_000_000_000, -1_000_000_000_000_001, math.MaxInt64, math.MinInt64}
	canonicalTimes = []time.Time{{}, time.Date(2026, 12, 7, 18, 0, 0, 123456789, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 3*3600+1800)),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}
)

// wantMembers fails unless v, encoded by json.Marshal, has n members:
// every field was filled.
func wantMembers(t *testing.T, v any, n int) {
	t.Helper()
	raw, _ := json.Marshal(v)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != n {
		t.Fatalf("%d of %d fields filled: %s", len(m), n, raw)
	}
}

// fillRecord sets every field of v, recursively, to a value drawn from
// seed: strings with characters that need escapes, numbers of every form,
// one to three elements for slices.
func fillRecord(t *testing.T, v reflect.Value, seed int64) {
	rnd := rand.New(rand.NewSource(seed))
	var set func(v reflect.Value)
	set = func(v reflect.Value) {
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(rnd.Int63n(1<<35), rnd.Int63n(1e9)).UTC()))
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
		case reflect.Int, reflect.Int64:
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
		case reflect.Array:
			for i := range v.Len() {
				set(v.Index(i))
			}
		case reflect.Struct:
			for i := range v.NumField() {
				set(v.Field(i))
			}
		default:
			t.Fatalf("fillRecord: a %s field", v.Type())
		}
	}
	set(v)
}
