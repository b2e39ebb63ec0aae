package feed

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"
)

// MaxRecordedBytes bounds the decompressed size of a recorded file, so that a
// gzip bomb cannot exhaust memory. The largest real sample is under 4 MiB.
const MaxRecordedBytes = 256 << 20

// openRecorded returns r's content, gunzipped when it starts with the gzip
// magic number, limited to MaxRecordedBytes.
func openRecorded(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, invalidf("gzip: %v", err)
		}
		defer zr.Close()
		src = zr
	}
	b, err := io.ReadAll(io.LimitReader(src, MaxRecordedBytes+1))
	if err != nil {
		var corrupt flate.CorruptInputError
		if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &corrupt) {
			return nil, invalidf("gzip: %v", err)
		}
		return nil, err
	}
	if len(b) > MaxRecordedBytes {
		return nil, invalidf("recorded file exceeds %d bytes", MaxRecordedBytes)
	}
	return b, nil
}

// ReadTrace reads a readsb "trace" file (trace_full_<icao>.json, plain or
// gzip), whose points are
//
//	[dt_s, lat, lon, alt_ft | "ground" | null, gs_kt, track_deg, flags, vrate_fpm, details | null, ...]
//
// with times relative to the top-level "timestamp" (Unix seconds). Callsign
// and squawk are taken from a point's details object ("flight", "squawk")
// where it has one; an altitude of "ground" sets OnGround. Positions are
// returned in time order with Source "readsb-trace". Any bad point makes the
// whole file an error naming the point.
func ReadTrace(r io.Reader) ([]Position, error) {
	b, err := openRecorded(r)
	if err != nil {
		return nil, err
	}
	var f struct {
		ICAO      string              `json:"icao"`
		Timestamp *float64            `json:"timestamp"`
		Trace     [][]json.RawMessage `json:"trace"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, invalidf("trace: %v", jsonErr(err))
	}
	icao, err := ParseICAO(f.ICAO)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	if f.Timestamp == nil || !(*f.Timestamp > 0 && *f.Timestamp < 1e11) {
		return nil, invalidf("trace: missing or bad \"timestamp\"")
	}
	base := unixFloat(*f.Timestamp)
	out := make([]Position, 0, len(f.Trace))
	for i, pt := range f.Trace {
		p, err := tracePoint(icao, base, pt)
		if err != nil {
			return nil, fmt.Errorf("trace point %d: %w", i, err)
		}
		out = append(out, p)
	}
	sortByTime(out)
	return out, nil
}

func unixFloat(s float64) time.Time {
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()
}

func tracePoint(icao uint32, base time.Time, pt []json.RawMessage) (Position, error) {
	if len(pt) < 8 {
		return Position{}, invalidf("%d elements, want at least 8", len(pt))
	}
	p := Position{ICAO: icao, Source: "readsb-trace"}
	num := func(i int) (*float64, error) {
		var v *float64
		if err := json.Unmarshal(pt[i], &v); err != nil {
			return nil, invalidf("element %d: %v", i, jsonErr(err))
		}
		return v, nil
	}
	dt, err := num(0)
	if err != nil {
		return Position{}, err
	}
	if dt == nil || !(*dt >= 0 && *dt < 1e7) {
		return Position{}, invalidf("bad time offset")
	}
	p.Time = base.Add(time.Duration(math.Round(*dt * 1e9)))
	lat, err := num(1)
	if err != nil {
		return Position{}, err
	}
	lon, err := num(2)
	if err != nil {
		return Position{}, err
	}
	if lat == nil || lon == nil {
		return Position{}, invalidf("missing lat/lon")
	}
	if err := p.setLatLon(*lat, *lon); err != nil {
		return Position{}, err
	}
	if string(pt[3]) == `"ground"` {
		p.OnGround = true
		p.Present |= FieldOnGround
	} else if alt, err := num(3); err != nil {
		return Position{}, err
	} else if alt != nil {
		if err := p.setAltitudeFt(*alt); err != nil {
			return Position{}, err
		}
		p.Present |= FieldOnGround // a numeric altitude means airborne
	}
	for _, x := range []struct {
		i   int
		set func(float64) error
	}{{4, p.setGroundSpeed}, {5, p.setTrack}, {7, p.setVerticalRate}} {
		v, err := num(x.i)
		if err != nil {
			return Position{}, err
		}
		if v != nil {
			if err := x.set(*v); err != nil {
				return Position{}, err
			}
		}
	}
	if len(pt) > 8 && string(pt[8]) != "null" {
		var d struct {
			Flight *string `json:"flight"`
			Squawk *string `json:"squawk"`
		}
		if err := json.Unmarshal(pt[8], &d); err != nil {
			return Position{}, invalidf("details: %v", jsonErr(err))
		}
		if d.Flight != nil {
			if err := p.setCallsign([]byte(*d.Flight)); err != nil {
				return Position{}, err
			}
		}
		if d.Squawk != nil {
			if p.Squawk, err = ParseSquawk(*d.Squawk); err != nil {
				return Position{}, err
			}
			p.Present |= FieldSquawk
		}
	}
	return p, nil
}

// trafficRow is one row of an xoolive/traffic recording. Unknown columns
// (origin, destination, roll, TAS, last_position…) are ignored: the files
// carry whatever the recording tool had.
type trafficRow struct {
	Timestamp    *json.RawMessage `json:"timestamp"`
	ICAO24       *string          `json:"icao24"`
	Callsign     *string          `json:"callsign"`
	Squawk       *string          `json:"squawk"`
	Latitude     *float64         `json:"latitude"`
	Longitude    *float64         `json:"longitude"`
	Altitude     *float64         `json:"altitude"`
	GroundSpeed  *float64         `json:"groundspeed"`
	Track        *float64         `json:"track"`
	VerticalRate *float64         `json:"vertical_rate"`
	OnGround     *bool            `json:"onground"`
}

// ReadTraffic reads a trajectory recorded by xoolive/traffic and written by
// pandas DataFrame.to_json (plain or gzip), in either orient:
//
//	"columns": {"timestamp": {"0": 1726560266000, ...}, "icao24": {"0": "4baac6", ...}, ...}
//	"records": [{"timestamp": 1587094850000, "icao24": "407918", ...}, ...]
//
// Columns read: timestamp (Unix milliseconds, or an RFC 3339 string), icao24,
// callsign, squawk, latitude, longitude, altitude (ft), groundspeed (kt),
// track (deg), vertical_rate (ft/min), onground; null means absent, other
// columns are ignored. Rows keep the file's index order and are then sorted
// by time; Source is "traffic". A row without timestamp or icao24, or with a
// value out of range, makes the file an error naming the row.
func ReadTraffic(r io.Reader) ([]Position, error) {
	b, err := openRecorded(r)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	var rows []trafficRow
	switch {
	case len(b) > 0 && b[0] == '[':
		if err := json.Unmarshal(b, &rows); err != nil {
			return nil, invalidf("traffic records: %v", jsonErr(err))
		}
	case len(b) > 0 && b[0] == '{':
		if rows, err = trafficColumns(b); err != nil {
			return nil, err
		}
	default:
		return nil, invalidf("traffic: not a JSON array or object")
	}
	out := make([]Position, 0, len(rows))
	for i, row := range rows {
		p, err := row.position()
		if err != nil {
			return nil, fmt.Errorf("traffic row %d: %w", i, err)
		}
		out = append(out, p)
	}
	sortByTime(out)
	return out, nil
}

// trafficColumns pivots the "columns" orient into rows. Index labels are
// the row numbers as strings; rows are ordered by their numeric label.
func trafficColumns(b []byte) ([]trafficRow, error) {
	var cols map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &cols); err != nil {
		return nil, invalidf("traffic columns: %v", jsonErr(err))
	}
	ts, ok := cols["timestamp"]
	if !ok {
		return nil, invalidf("traffic columns: no \"timestamp\" column")
	}
	type label struct {
		key string
		n   int64
	}
	labels := make([]label, 0, len(ts))
	for k := range ts {
		n, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return nil, invalidf("traffic columns: index label %q is not an integer", k)
		}
		labels = append(labels, label{k, n})
	}
	sort.Slice(labels, func(i, j int) bool { return labels[i].n < labels[j].n })
	rows := make([]trafficRow, len(labels))
	var buf bytes.Buffer
	for i, l := range labels {
		// Rebuild each row as a JSON object so that one decoder (and one set
		// of type checks) serves both orients.
		buf.Reset()
		buf.WriteByte('{')
		first := true
		for name, col := range cols {
			v, ok := col[l.key]
			if !ok {
				continue
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			nb, _ := json.Marshal(name)
			buf.Write(nb)
			buf.WriteByte(':')
			buf.Write(v)
		}
		buf.WriteByte('}')
		if err := json.Unmarshal(buf.Bytes(), &rows[i]); err != nil {
			return nil, invalidf("traffic columns row %s: %v", l.key, jsonErr(err))
		}
	}
	return rows, nil
}

func (row *trafficRow) position() (Position, error) {
	p := Position{Source: "traffic"}
	if row.ICAO24 == nil {
		return Position{}, invalidf("no icao24")
	}
	var err error
	if p.ICAO, err = ParseICAO(*row.ICAO24); err != nil {
		return Position{}, err
	}
	if row.Timestamp == nil || string(*row.Timestamp) == "null" {
		return Position{}, invalidf("no timestamp")
	}
	if p.Time, err = trafficTime(*row.Timestamp); err != nil {
		return Position{}, err
	}
	if row.Callsign != nil {
		if err := p.setCallsign([]byte(*row.Callsign)); err != nil {
			return Position{}, err
		}
	}
	if row.Squawk != nil && *row.Squawk != "" {
		if p.Squawk, err = ParseSquawk(*row.Squawk); err != nil {
			return Position{}, err
		}
		p.Present |= FieldSquawk
	}
	switch {
	case row.Latitude != nil && row.Longitude != nil:
		if err := p.setLatLon(*row.Latitude, *row.Longitude); err != nil {
			return Position{}, err
		}
	case row.Latitude != nil || row.Longitude != nil:
		return Position{}, invalidf("latitude and longitude must come together")
	}
	for _, x := range []struct {
		v   *float64
		set func(float64) error
	}{{row.Altitude, p.setAltitudeFt}, {row.GroundSpeed, p.setGroundSpeed}, {row.Track, p.setTrack}, {row.VerticalRate, p.setVerticalRate}} {
		if x.v != nil {
			if err := x.set(*x.v); err != nil {
				return Position{}, err
			}
		}
	}
	if row.OnGround != nil {
		p.OnGround = *row.OnGround
		p.Present |= FieldOnGround
	}
	return p, nil
}

func trafficTime(raw json.RawMessage) (time.Time, error) {
	var ms float64
	if err := json.Unmarshal(raw, &ms); err == nil {
		// 1e14 ms is the year 5138: anything above is not milliseconds.
		if !(ms > 0 && ms < 1e14) {
			return time.Time{}, invalidf("timestamp %v ms out of range", ms)
		}
		return time.UnixMilli(int64(ms)).Add(time.Duration(math.Round((ms - math.Trunc(ms)) * 1e6))).UTC(), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, invalidf("timestamp %q is not RFC 3339", s)
		}
		// The bounds of the numeric form, so that both forms of one
		// instant are accepted or refused alike.
		if ms := t.UnixMilli(); !(ms > 0 && ms < 1e14) {
			return time.Time{}, invalidf("timestamp %q out of range", s)
		}
		return t.UTC(), nil
	}
	return time.Time{}, invalidf("timestamp %s is neither a number nor a string", quote(raw))
}

func sortByTime(ps []Position) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Time.Before(ps[j].Time) })
}
