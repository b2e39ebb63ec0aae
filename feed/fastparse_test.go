package feed

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// checkDecimal fails if parseDecimal takes s and reads it otherwise than
// strconv.ParseFloat, to the bit.
func checkDecimal(t *testing.T, s string) bool {
	t.Helper()
	v, ok := parseDecimal([]byte(s))
	if !ok {
		return false
	}
	want, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("parseDecimal took %q, which strconv refuses: %v", s, err)
	}
	if math.Float64bits(v) != math.Float64bits(want) {
		t.Fatalf("parseDecimal(%q) = %v (%#x), strconv %v (%#x)", s, v, math.Float64bits(v), want, math.Float64bits(want))
	}
	return true
}

func TestParseDecimal(t *testing.T) {
	for _, s := range []string{"0", "-0", "33.96693", "-118.25598", "2525", "0.1", "0.3", "1.000000000000002",
		"9007199254740991", "123456789012345.6", "0.000000000000000000001", "5.", ".5", "00012.50"} {
		if !checkDecimal(t, s) {
			t.Errorf("parseDecimal refused %q", s)
		}
	}
	// Spellings it must leave to strconv: exponents, signs, specials,
	// mantissas past 2^53, more than 22 fraction digits, garbage.
	for _, s := range []string{"", "-", ".", "1e5", "+1", "inf", "NaN", "0x1p3", "1_0", "9007199254740993",
		"0.00000000000000000000001", "1.0000000000000002", "12345678901234567890", "1.2.3", "1-", " 1", "1 "} {
		if checkDecimal(t, s) {
			t.Errorf("parseDecimal took %q", s)
		}
	}
	// Random coordinates as feeds print them, with 1 to 12 decimals (15
	// digits in all, below 2^53).
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		v := (r.Float64()*2 - 1) * 180
		s := strconv.FormatFloat(v, 'f', 1+r.IntN(12), 64)
		if !checkDecimal(t, s) {
			t.Fatalf("parseDecimal refused %q", s)
		}
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"33.96693", "-118.25598", "2525", "0.1", "1e5", "-0", "9007199254740993"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkDecimal(t, s) })
}

// checkRFC3339 fails if parseRFC3339UTC takes s and reads it otherwise than
// time.Parse.
func checkRFC3339(t *testing.T, s string) bool {
	t.Helper()
	got, ok := parseRFC3339UTC([]byte(s))
	if !ok {
		return false
	}
	want, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("parseRFC3339UTC took %q, which time.Parse refuses: %v", s, err)
	}
	if want = want.UTC(); got != want {
		t.Fatalf("parseRFC3339UTC(%q) = %v, time.Parse %v", s, got, want)
	}
	return true
}

func TestParseRFC3339UTC(t *testing.T) {
	for _, s := range []string{"2024-09-17T08:04:26Z", "2024-09-17T08:04:26.5Z", "2024-02-29T23:59:59.123456789Z",
		"1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999Z", "2000-02-29T12:00:00Z"} {
		if !checkRFC3339(t, s) {
			t.Errorf("refused %q", s)
		}
	}
	for _, s := range []string{"2023-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2024-09-17T24:00:00Z", "2024-09-17T08:04:60Z",
		"2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z", "2024-09-00T00:00:00Z", "2024-09-17t08:04:26Z", "2024-09-17T08:04:26z",
		"2024-09-17T08:04:26+02:00", "2024-09-17T08:04:26.Z", "2024-09-17T08:04:26.1234567890Z", "2024-09-17T08:04:26,5Z",
		"2024-09-17 08:04:26Z", "+024-09-17T08:04:26Z"} {
		if checkRFC3339(t, s) {
			t.Errorf("took %q", s)
		}
	}
	// Every day of four centuries, at a random time of day.
	r := rand.New(rand.NewPCG(3, 4))
	for d := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2300; d = d.AddDate(0, 0, 1) {
		s := d.Add(time.Duration(r.Int64N(int64(24 * time.Hour)))).Format(time.RFC3339Nano)
		if !checkRFC3339(t, s) {
			t.Fatalf("refused %q", s)
		}
	}
}

func FuzzParseRFC3339UTC(f *testing.F) {
	for _, s := range []string{"2024-09-17T08:04:26Z", "2024-02-29T23:59:59.123456789Z", "2023-02-29T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkRFC3339(t, s) })
}
