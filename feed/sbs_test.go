package feed_test

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/feed"
)

var recv = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// TestDecodeSBS_RealFile decodes every line of a real SBS capture and checks
// each decoded field against the line's own text, split independently here.
func TestDecodeSBS_RealFile(t *testing.T) {
	lines := readLines(t, "testdata/sbs1-msgs.txt")
	if len(lines) != 4184 {
		t.Fatalf("testdata has %d lines, want 4184", len(lines))
	}
	withLatLon := 0
	for i, line := range lines {
		p, err := feed.DecodeSBS([]byte(line), recv)
		if err != nil {
			t.Fatalf("line %d %q: %v", i+1, line, err)
		}
		f := strings.Split(line, ",")
		if got := feed.FormatICAO(p.ICAO); got != f[4] {
			t.Errorf("line %d: ICAO %s, want %s", i+1, got, f[4])
		}
		if !p.Time.Equal(recv) {
			t.Errorf("line %d: time %v, want receive time (fields are empty)", i+1, p.Time)
		}
		checkFloat(t, i+1, "altitude", f[11], p.Present.Has(feed.FieldAltitude), p.AltFt)
		checkFloat(t, i+1, "gs", f[12], p.Present.Has(feed.FieldGroundSpeed), p.GroundSpeedKt)
		checkFloat(t, i+1, "track", f[13], p.Present.Has(feed.FieldTrack), p.TrackDeg)
		checkFloat(t, i+1, "lat", f[14], p.Present.Has(feed.FieldLatLon), p.Lat)
		checkFloat(t, i+1, "lon", f[15], p.Present.Has(feed.FieldLatLon), p.Lon)
		checkFloat(t, i+1, "vrate", f[16], p.Present.Has(feed.FieldVerticalRate), p.VerticalRateFpm)
		if p.Present.Has(feed.FieldAltitude) && math.Abs(p.AltM-p.AltFt*0.3048) > 1e-9 {
			t.Errorf("line %d: %v m for %v ft", i+1, p.AltM, p.AltFt)
		}
		if sq := f[17]; (sq != "") != p.Present.Has(feed.FieldSquawk) || (sq != "" && p.Squawk.String() != sq) {
			t.Errorf("line %d: squawk %v (present %v), want %q", i+1, p.Squawk, p.Present.Has(feed.FieldSquawk), sq)
		}
		if cs := strings.TrimSpace(f[10]); cs != p.Callsign {
			t.Errorf("line %d: callsign %q, want %q", i+1, p.Callsign, cs)
		}
		if g := f[21]; (g != "") != p.Present.Has(feed.FieldOnGround) || p.OnGround != (g == "-1" || g == "1") {
			t.Errorf("line %d: on-ground %v (present %v), want %q", i+1, p.OnGround, p.Present.Has(feed.FieldOnGround), g)
		}
		if p.Present.Has(feed.FieldLatLon) {
			withLatLon++
		}
	}
	if withLatLon == 0 {
		t.Error("no line carried a position: the oracle above checked nothing")
	}
}

func checkFloat(t *testing.T, line int, name, field string, present bool, got float64) {
	t.Helper()
	if (field != "") != present {
		t.Errorf("line %d: %s present=%v, field %q", line, name, present, field)
		return
	}
	if field == "" {
		return
	}
	want, err := strconv.ParseFloat(field, 64)
	if err != nil {
		t.Fatalf("line %d: oracle cannot parse %s %q", line, name, field)
	}
	if want == 360 && name == "track" {
		want = 0
	}
	if got != want {
		t.Errorf("line %d: %s %v, want %v", line, name, got, want)
	}
}

func readLines(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

func TestDecodeSBS_Fields(t *testing.T) {
	gen := time.Date(2016, 3, 15, 12, 34, 56, 789_000_000, time.UTC)
	tests := []struct {
		name string
		line string
		want feed.Position
	}{
		{
			name: "AirbornePosition",
			line: "MSG,3,1,1,4B1908,1,2016/03/15,12:34:56.789,2016/03/15,12:34:57.000,,2525,,,33.96693,-118.25598,,,0,0,0,0",
			want: feed.Position{ICAO: 0x4B1908, AltFt: 2525, AltM: 2525 * 0.3048, Lat: 33.96693, Lon: -118.25598, Time: gen,
				Present: feed.FieldAltitude | feed.FieldLatLon | feed.FieldOnGround},
		},
		{
			name: "LoggedTimeWhenGeneratedEmpty",
			line: "MSG,3,,,4B1908,,,,2016/03/15,12:34:56.789,,,,,,,,,,,,",
			want: feed.Position{ICAO: 0x4B1908, Time: gen},
		},
		{
			name: "IdentificationPaddedCallsign",
			line: "MSG,1,,,4b1908,,,,,,swr40   ,,,,,,,,0,0,0,0",
			want: feed.Position{ICAO: 0x4B1908, Callsign: "SWR40", Time: recv, Present: feed.FieldCallsign | feed.FieldOnGround},
		},
		{
			name: "VelocityTrack360",
			line: "MSG,4,,,76CCE2,,,,,,,,298,360,,,-128,,0,0,0,0",
			want: feed.Position{ICAO: 0x76CCE2, GroundSpeedKt: 298, TrackDeg: 0, VerticalRateFpm: -128, Time: recv,
				Present: feed.FieldGroundSpeed | feed.FieldTrack | feed.FieldVerticalRate | feed.FieldOnGround},
		},
		{
			name: "EmergencySquawkOnGround",
			line: "MSG,6,,,A92D10,,,,,,,,,,,,,7700,-1,-1,0,-1",
			want: feed.Position{ICAO: 0xA92D10, Squawk: feed.SquawkEmergency, OnGround: true, Time: recv,
				Present: feed.FieldSquawk | feed.FieldOnGround},
		},
		{
			name: "CRLF",
			line: "MSG,8,,,A8BCF0,,,,,,,,,,,,,,,,,\r\n",
			want: feed.Position{ICAO: 0xA8BCF0, Time: recv},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := feed.DecodeSBS([]byte(tt.line), recv)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	p, _ := feed.DecodeSBS([]byte("MSG,6,,,A92D10,,,,,,,,,,,,,7700,-1,-1,0,-1"), recv)
	if !p.Squawk.IsEmergency() || p.Squawk.String() != "7700" {
		t.Errorf("squawk %v emergency=%v", p.Squawk, p.Squawk.IsEmergency())
	}
}

func TestDecodeSBS_Ignored(t *testing.T) {
	for _, line := range []string{
		"SEL,,496,2286,4CA4E5,27215,2010/02/19,18:06:07.710,2010/02/19,18:06:07.710,RYR1427",
		"ID,,496,7162,405637,27928,2010/02/19,18:06:07.115,2010/02/19,18:06:07.115,EZY691A",
		"AIR,,496,5906,400F01,27931,2010/02/19,18:06:07.128,2010/02/19,18:06:07.128",
		"STA,,5,179,400AE7,10103,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,RM",
		"CLK,,496,,,,2010/02/19,18:18:06.296,2010/02/19,18:18:06.296,",
	} {
		if _, err := feed.DecodeSBS([]byte(line), recv); !errors.Is(err, feed.ErrIgnored) {
			t.Errorf("%q: err %v, want ErrIgnored", line, err)
		}
	}
}

// badSBS are malformed lines, each with a fragment its error must contain.
var badSBS = []struct {
	name, line, want string
}{
	{"Empty", "", "empty line"},
	{"Truncated", "MSG,3,,,4B1908,,,,,,,2525,,,33.96", "fields"},
	{"TooManyFields", "MSG,3,,,4B1908,,,,,,,2525,,,33.96693,-118.25598,,,0,0,0,0,0", "23 fields"},
	{"TooFewFields", "MSG,5,,,ADFE14,,,,,,,0,,,,,,,,,", "21 fields"},
	{"UnknownType", "XYZ,3,,,4B1908,,,,,,,2525,,,33.96693,-118.25598,,,0,0,0,0", "unknown message type"},
	{"TransmissionType9", "MSG,9,,,4B1908,,,,,,,2525,,,,,,,,,,", "transmission type"},
	{"BadHex", "MSG,5,,,4G1908,,,,,,,2525,,,,,,,,,,", "icao"},
	{"ShortHex", "MSG,5,,,4B190,,,,,,,2525,,,,,,,,,,", "icao"},
	{"ZeroHex", "MSG,5,,,000000,,,,,,,2525,,,,,,,,,,", "000000"},
	{"LatOutOfRange", "MSG,3,,,4B1908,,,,,,,2525,,,90.5,-118.25598,,,0,0,0,0", "latitude"},
	{"LonOutOfRange", "MSG,3,,,4B1908,,,,,,,2525,,,33.9,-180.1,,,0,0,0,0", "longitude"},
	{"LatWithoutLon", "MSG,3,,,4B1908,,,,,,,2525,,,33.9,,,,0,0,0,0", "together"},
	{"LatNaN", "MSG,3,,,4B1908,,,,,,,2525,,,NaN,1,,,0,0,0,0", "latitude"},
	{"AltitudeTooHigh", "MSG,5,,,ADFE14,,,,,,,200000,,,,,,,,,,", "altitude"},
	{"AltitudeText", "MSG,5,,,ADFE14,,,,,,,FL350,,,,,,,,,,", "altitude"},
	{"NegativeSpeed", "MSG,4,,,76CCE2,,,,,,,,-5,96,,,-128,,0,0,0,0", "ground speed"},
	{"SpeedTooHigh", "MSG,4,,,76CCE2,,,,,,,,9000,96,,,-128,,0,0,0,0", "ground speed"},
	{"TrackTooHigh", "MSG,4,,,76CCE2,,,,,,,,298,361,,,-128,,0,0,0,0", "track"},
	{"VerticalRateTooHigh", "MSG,4,,,76CCE2,,,,,,,,298,96,,,99999,,0,0,0,0", "vertical rate"},
	{"SquawkNotOctal", "MSG,6,,,A92D10,,,,,,,,,,,,,4682,0,0,0,0", "squawk"},
	{"SquawkFiveDigits", "MSG,6,,,A92D10,,,,,,,,,,,,,46221,0,0,0,0", "squawk"},
	{"BadFlag", "MSG,6,,,A92D10,,,,,,,,,,,,,4622,0,0,0,2", "flag"},
	{"CallsignTooLong", "MSG,1,,,4B1908,,,,,,SWR40ABCDE,,,,,,,,0,0,0,0", "callsign"},
	{"CallsignPunctuation", "MSG,1,,,4B1908,,,,,,SWR-40,,,,,,,,0,0,0,0", "callsign"},
	{"BadDate", "MSG,3,,,4B1908,,2016/02/30,12:00:00.000,,,,2525,,,,,,,,,,", "date/time"},
	{"DateWithoutTime", "MSG,3,,,4B1908,,2016/02/10,,,,,2525,,,,,,,,,,", "together"},
	{"FarFuture", "MSG,1,,,000001,,7000/01/10,00:00:00,,,,,,,,,,,,,,", "after receipt"},
	{"Before1970", "MSG,3,,,4B1908,,1969/12/31,23:59:59.000,,,,2525,,,,,,,,,,", "date/time"},
	{"BinaryJunk", "MSG,3,,,4B1908,,,,,,\x00\xff\x1b[2J,2525,,,,,,,,,,", "non-printable"},
	{"Overlong", "MSG,3,,,4B1908,,,,,,," + strings.Repeat("9", 1100) + ",,,,,,,,,,", "exceeds"},
}

func TestDecodeSBS_Bad(t *testing.T) {
	for _, tt := range badSBS {
		t.Run(tt.name, func(t *testing.T) {
			p, err := feed.DecodeSBS([]byte(tt.line), recv)
			if !errors.Is(err, feed.ErrInvalid) {
				t.Fatalf("err %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %q does not mention %q", err, tt.want)
			}
			if p != (feed.Position{}) {
				t.Errorf("bad line returned position %+v", p)
			}
		})
	}
}

// TestScanner_SkipsBadLines interleaves every malformed case with real lines
// and checks that each bad line is counted, reported with its line number,
// and skipped, and that every real line still comes through.
func TestScanner_SkipsBadLines(t *testing.T) {
	real := readLines(t, "testdata/sbs1-msgs.txt")
	var in bytes.Buffer
	wantBad := map[uint64]bool{}
	var wantGood []string
	n := uint64(0)
	for i, line := range real {
		in.WriteString(line)
		in.WriteString("\n")
		n++
		wantGood = append(wantGood, line)
		if i < len(badSBS) {
			in.WriteString(badSBS[i].line + "\n")
			n++
			wantBad[n] = true
		}
	}
	// Overlong beyond the scanner's buffer, then the last line without "\n".
	in.WriteString(strings.Repeat("X", 10000) + "\n")
	n++
	wantBad[n] = true
	in.WriteString("SEL,,496,2286,4CA4E5,27215,2010/02/19,18:06:07.710,2010/02/19,18:06:07.710,RYR1427\n")
	n++
	in.WriteString(real[0])
	n++
	wantGood = append(wantGood, real[0])

	sc := feed.NewSBSScanner(&in)
	sc.Source = "test"
	sc.Now = func() time.Time { return recv }
	gotBad := map[uint64]bool{}
	sc.OnBad = func(line uint64, err error) {
		if !errors.Is(err, feed.ErrInvalid) {
			t.Errorf("line %d: error %v does not match ErrInvalid", line, err)
		}
		gotBad[line] = true
	}
	i := 0
	for sc.Scan() {
		p := sc.Position()
		want, _ := feed.DecodeSBS([]byte(wantGood[i]), recv)
		want.Source = "test"
		if p != want {
			t.Fatalf("position %d: got %+v want %+v", i, p, want)
		}
		i++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	c := sc.Counters()
	if i != len(wantGood) || c.Positions.Load() != uint64(len(wantGood)) {
		t.Errorf("%d positions (counter %d), want %d", i, c.Positions.Load(), len(wantGood))
	}
	if c.Lines.Load() != n || c.Bad.Load() != uint64(len(wantBad)) || c.Ignored.Load() != 1 {
		t.Errorf("lines %d bad %d ignored %d, want %d %d 1", c.Lines.Load(), c.Bad.Load(), c.Ignored.Load(), n, len(wantBad))
	}
	for line := range wantBad {
		if !gotBad[line] {
			t.Errorf("bad line %d not reported", line)
		}
	}
	if len(gotBad) != len(wantBad) {
		t.Errorf("reported %d bad lines, want %d", len(gotBad), len(wantBad))
	}
}

func FuzzDecodeSBS(f *testing.F) {
	for _, line := range readLines(f, "testdata/sbs1-msgs.txt")[:200] {
		f.Add([]byte(line))
	}
	for _, tt := range badSBS {
		f.Add([]byte(tt.line))
	}
	f.Add([]byte("MSG,3,1,1,4B1908,1,2016/03/15,12:34:56.789,2016/03/15,12:34:57.000,SWR40,2525,120,90,33.96693,-118.25598,64,7700,-1,0,0,-1"))
	f.Fuzz(func(t *testing.T, line []byte) {
		p, err := feed.DecodeSBS(line, recv)
		if err != nil {
			if !errors.Is(err, feed.ErrInvalid) && !errors.Is(err, feed.ErrIgnored) {
				t.Fatalf("error %v matches neither ErrInvalid nor ErrIgnored", err)
			}
			return
		}
		if p.ICAO == 0 || p.ICAO > 0xFFFFFF {
			t.Fatalf("ICAO %#x", p.ICAO)
		}
		if p.Present.Has(feed.FieldLatLon) && (math.Abs(p.Lat) > 90 || math.Abs(p.Lon) > 180) {
			t.Fatalf("lat/lon %v %v", p.Lat, p.Lon)
		}
		if p.Present.Has(feed.FieldAltitude) && !(p.AltFt >= feed.MinAltitudeFt && p.AltFt <= feed.MaxAltitudeFt) {
			t.Fatalf("altitude %v", p.AltFt)
		}
		if p.Present.Has(feed.FieldGroundSpeed) && !(p.GroundSpeedKt >= 0 && p.GroundSpeedKt <= feed.MaxGroundSpeedKt) {
			t.Fatalf("speed %v", p.GroundSpeedKt)
		}
		if p.Present.Has(feed.FieldTrack) && !(p.TrackDeg >= 0 && p.TrackDeg < 360) {
			t.Fatalf("track %v", p.TrackDeg)
		}
		if p.Squawk > 0o7777 || len(p.Callsign) > feed.MaxCallsignLen || p.Time.IsZero() {
			t.Fatalf("squawk %o callsign %q time %v", p.Squawk, p.Callsign, p.Time)
		}
		// A position must survive the NDJSON encoding used by the API.
		b, err := feed.MarshalNDJSON(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := feed.DecodeNDJSON(b, recv)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if q != p {
			t.Fatalf("NDJSON round trip\n got %+v\nwant %+v", q, p)
		}
	})
}

func BenchmarkDecodeSBS(b *testing.B) {
	lines := readLines(b, "testdata/sbs1-msgs.txt")
	bl := make([][]byte, len(lines))
	var size int64
	for i, l := range lines {
		bl[i] = []byte(l)
		size += int64(len(l) + 1)
	}
	b.SetBytes(size / int64(len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := feed.DecodeSBS(bl[i%len(bl)], recv); err != nil {
			b.Fatal(err)
		}
	}
}
