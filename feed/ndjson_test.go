package feed_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/truce-project/truce/feed"
)

func TestDecodeNDJSON(t *testing.T) {
	at := time.Date(2024, 9, 17, 8, 4, 26, 500_000_000, time.UTC)
	tests := []struct {
		name string
		line string
		want feed.Position
	}{
		{
			name: "AllFields",
			line: `{"icao":"4baac6","callsign":"THY9BP ","squawk":"7000","lat":41.3796844482,"lon":28.7676391602,"alt_ft":4175,"gs_kt":233,"track_deg":334.09,"vrate_fpm":1216,"on_ground":false,"time":"2024-09-17T10:04:26.5+02:00"}`,
			want: feed.Position{ICAO: 0x4BAAC6, Callsign: "THY9BP", Squawk: 0o7000, Lat: 41.3796844482, Lon: 28.7676391602,
				AltFt: 4175, AltM: 4175 * 0.3048, GroundSpeedKt: 233, TrackDeg: 334.09, VerticalRateFpm: 1216, Time: at,
				Present: feed.FieldCallsign | feed.FieldSquawk | feed.FieldLatLon | feed.FieldAltitude | feed.FieldGroundSpeed |
					feed.FieldTrack | feed.FieldVerticalRate | feed.FieldOnGround},
		},
		{
			name: "MetresNoTime",
			line: `{"icao":"4BAAC6","alt_m":1000}` + "\r\n",
			want: feed.Position{ICAO: 0x4BAAC6, AltFt: 1000 / 0.3048, AltM: 1000, Time: recv, Present: feed.FieldAltitude},
		},
		{
			name: "NullIsAbsent",
			line: `{"icao":"4baac6","lat":null,"lon":null,"squawk":null,"time":null}`,
			want: feed.Position{ICAO: 0x4BAAC6, Time: recv},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := feed.DecodeNDJSON([]byte(tt.line), recv)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeNDJSON_Bad(t *testing.T) {
	tests := []struct{ name, line, want string }{
		{"UnknownField", `{"icao":"4baac6","altitude":100}`, `unknown member "altitude"`},
		{"WrongCase", `{"ICAO":"4baac6"}`, `unknown member "ICAO"`},
		{"Repeated", `{"icao":"4baac6","icao":"4baac7"}`, "repeated"},
		{"MissingICAO", `{"lat":1,"lon":2}`, "required"},
		{"NumericICAO", `{"icao":4940486}`, "wrong JSON type"},
		{"BadICAO", `{"icao":"4baac"}`, "icao"},
		{"BothAltitudes", `{"icao":"4baac6","alt_ft":1,"alt_m":1}`, "not both"},
		{"LatOnly", `{"icao":"4baac6","lat":1}`, "together"},
		{"LatRange", `{"icao":"4baac6","lat":91,"lon":2}`, "latitude"},
		{"SpeedRange", `{"icao":"4baac6","gs_kt":-1}`, "ground speed"},
		{"Squawk", `{"icao":"4baac6","squawk":"7800"}`, "squawk"},
		{"TimeNotRFC3339", `{"icao":"4baac6","time":"17/09/2024 08:04"}`, "RFC 3339"},
		{"TimeFarFuture", `{"icao":"4baac6","time":"2030-01-01T00:00:00Z"}`, "after receipt"},
		{"TrailingData", `{"icao":"4baac6"} {"icao":"4baac7"}`, "after the object"},
		{"Array", `["4baac6"]`, "not a JSON object"},
		{"Truncated", `{"icao":"4baac6","lat":`, "truncated"},
		{"Overlong", `{"icao":"4baac6","callsign":"` + strings.Repeat(" ", 5000) + `"}`, "exceeds"},
		{"BinaryJunk", "\x00\x01\xff", "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := feed.DecodeNDJSON([]byte(tt.line), recv)
			if !errors.Is(err, feed.ErrInvalid) {
				t.Fatalf("err %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %q does not mention %q", err, tt.want)
			}
		})
	}
}

// TestNDJSON_RoundTripRealSBS sends every real SBS position through the API's
// line format and back, then scans the whole batch with one bad line in it.
func TestNDJSON_RoundTripRealSBS(t *testing.T) {
	var batch strings.Builder
	var want []feed.Position
	for i, line := range readLines(t, "testdata/sbs1-msgs.txt") {
		p, err := feed.DecodeSBS([]byte(line), recv.Add(time.Duration(i)*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		b, err := feed.MarshalNDJSON(p)
		if err != nil {
			t.Fatal(err)
		}
		batch.Write(b)
		want = append(want, p)
		if i == 10 {
			batch.WriteString(`{"icao":"4baac6","bogus":1}` + "\n")
		}
	}
	sc := feed.NewNDJSONScanner(strings.NewReader(batch.String()))
	sc.Now = func() time.Time { return recv }
	var badLine uint64
	sc.OnBad = func(line uint64, err error) { badLine = line }
	i := 0
	for sc.Scan() {
		if got := sc.Position(); got != want[i] {
			t.Fatalf("position %d: got %+v want %+v", i, got, want[i])
		}
		i++
	}
	if sc.Err() != nil || i != len(want) || badLine != 12 || sc.Counters().Bad.Load() != 1 {
		t.Errorf("err %v, %d positions of %d, bad line %d, bad count %d", sc.Err(), i, len(want), badLine, sc.Counters().Bad.Load())
	}
}

func FuzzDecodeNDJSON(f *testing.F) {
	f.Add([]byte(`{"icao":"4baac6","callsign":"THY9BP","squawk":"7000","lat":41.37,"lon":28.76,"alt_ft":4175,"gs_kt":233,"track_deg":334.09,"vrate_fpm":1216,"on_ground":false,"time":"2024-09-17T08:04:26Z"}`))
	f.Add([]byte(`{"icao":"4baac6","alt_m":1000}`))
	f.Add([]byte(`{"icao":"4baac6","icao":"4baac6"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		p, err := feed.DecodeNDJSON(line, recv)
		if err != nil {
			if !errors.Is(err, feed.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		if p.ICAO == 0 || p.ICAO > 0xFFFFFF || p.Time.IsZero() || p.Time.After(recv.Add(feed.MaxFutureSkew)) {
			t.Fatalf("accepted %+v", p)
		}
		if p.Present.Has(feed.FieldLatLon) && (p.Lat < -90 || p.Lat > 90 || p.Lon < -180 || p.Lon > 180) {
			t.Fatalf("lat/lon %v %v", p.Lat, p.Lon)
		}
	})
}
