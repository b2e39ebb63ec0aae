package feed_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
	"time"

	"github.com/truce-project/truce/feed"
)

// FuzzScanner checks the line reader of every feed (SBS sockets, NDJSON
// bodies) against a model: the input split at newlines, a final line
// without one still a line, CR LF taken as LF, a line over the bound bad,
// every other line given to the decoder. The positions and the counts must
// be the model's, whether the input arrives at once or byte by byte.
func FuzzScanner(f *testing.F) {
	sbs := readLines(f, "testdata/sbs1-msgs.txt")
	f.Add([]byte(sbs[0]+"\r\n"+sbs[1]+"\n\n"+sbs[2]), uint8(200), false, false)
	f.Add([]byte(sbs[3]+"\nMSG,3,1,1,4CA2D1,1,,,,,,37000,,,33.51,36.30,,,0,0,0,0\r\nSTA,,,,4CA2D1\nnot sbs"), uint8(60), false, true)
	f.Add([]byte(`{"icao":"4CA2D1","lat":33.5,"lon":36.3,"alt_ft":35000}`+"\n"+`{"icao":"4CA2D1","lat":95,"lon":0}`+"\r\n{}"), uint8(80), true, false)
	recv := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte, bound uint8, ndjson, oneByte bool) {
		dec := feed.DecodeSBS
		if ndjson {
			dec = feed.DecodeNDJSON
		}
		maxLine := int(bound) + 1
		// The model.
		var want []feed.Position
		var lines, positions, bad, ignored uint64
		rest := data
		for len(rest) > 0 {
			line := rest
			if i := bytes.IndexByte(rest, '\n'); i >= 0 {
				line, rest = rest[:i], rest[i+1:]
			} else {
				rest = nil
			}
			line = bytes.TrimSuffix(line, []byte("\r"))
			lines++
			if len(line) > maxLine {
				bad++
				continue
			}
			p, err := dec(line, recv)
			switch {
			case err == nil:
				positions++
				want = append(want, p)
			case errors.Is(err, feed.ErrIgnored):
				ignored++
			default:
				bad++
			}
		}
		var r io.Reader = bytes.NewReader(data)
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		s := feed.NewScanner(r, dec, maxLine)
		s.Now = func() time.Time { return recv }
		var badLines []uint64
		s.OnBad = func(n uint64, err error) {
			if !errors.Is(err, feed.ErrInvalid) {
				t.Fatalf("line %d: error %v does not match ErrInvalid", n, err)
			}
			badLines = append(badLines, n)
		}
		var got []feed.Position
		for s.Scan() {
			got = append(got, s.Position())
		}
		if err := s.Err(); err != nil {
			t.Fatalf("Err: %v", err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d positions, the model %d", len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("position %d\n got %+v\nwant %+v", i, got[i], want[i])
			}
		}
		c := s.Counters()
		if c.Lines.Load() != lines || c.Positions.Load() != positions || c.Bad.Load() != bad || c.Ignored.Load() != ignored {
			t.Fatalf("counters lines %d positions %d bad %d ignored %d; the model %d %d %d %d",
				c.Lines.Load(), c.Positions.Load(), c.Bad.Load(), c.Ignored.Load(), lines, positions, bad, ignored)
		}
		if uint64(len(badLines)) != bad {
			t.Fatalf("OnBad called %d times for %d bad lines", len(badLines), bad)
		}
	})
}
