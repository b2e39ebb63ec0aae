package feed_test

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/truce-project/truce/feed"
)

// BenchmarkScannerSBS scans the real capture end to end (read, split, decode,
// count); ns/op is per whole file of 4,184 lines.
func BenchmarkScannerSBS(b *testing.B) {
	data, err := os.ReadFile("testdata/sbs1-msgs.txt")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sc := feed.NewSBSScanner(bytes.NewReader(data))
		for sc.Scan() {
		}
		if sc.Counters().Positions.Load() != 4184 {
			b.Fatal("lost lines")
		}
	}
}

func BenchmarkDecodeNDJSON(b *testing.B) {
	line := []byte(`{"icao":"4baac6","callsign":"THY9BP","squawk":"7000","lat":41.3796844482,"lon":28.7676391602,"alt_ft":4175,"gs_kt":233,"track_deg":334.09,"vrate_fpm":1216,"time":"2024-09-17T08:04:26Z"}`)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := feed.DecodeNDJSON(line, recv); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeNDJSON_Minimal decodes the line bench/airspace posts:
// position, altitude and time only, which takes no allocation.
func BenchmarkDecodeNDJSON_Minimal(b *testing.B) {
	line := []byte(`{"icao":"100A2F","lat":33.512345,"lon":36.298765,"alt_ft":31000,"time":"2026-11-30T12:00:01.000Z"}`)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := feed.DecodeNDJSON(line, recv); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleDecodeSBS() {
	recv := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	p, err := feed.DecodeSBS([]byte("MSG,3,,,4B1908,,,,,,,2525,,,33.96693,-118.25598,,,0,0,0,0"), recv)
	if err != nil {
		panic(err)
	}
	fmt.Println(feed.FormatICAO(p.ICAO), p.Lat, p.Lon, p.AltFt, p.Present, p.Time.Format(time.RFC3339))
	// Output: 4B1908 33.96693 -118.25598 2525 {latlon,altitude,onground} 2026-11-30T12:00:00Z
}
