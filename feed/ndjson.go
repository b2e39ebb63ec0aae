package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"time"
)

// MaxNDJSONLine bounds one NDJSON position line. A full position with every
// field is under 300 bytes.
const MaxNDJSONLine = 4096

// MaxFutureSkew is how far ahead of its receive time a pushed position's time
// may be: enough for unsynchronised clocks, not for made-up futures.
const MaxFutureSkew = time.Hour

// MaxReportAge is how far before its receive time a live report may be
// timed (CheckLive). A recording is replayed restamped (truce replay), so
// an older time is a broken clock or a made-up report, never live data.
const MaxReportAge = time.Hour

// CheckLive refuses a live report (one received from a feed or posted, as
// opposed to read from a recording) timed more than MaxReportAge before or
// MaxFutureSkew after its receipt at recv, with an error matching
// ErrInvalid that says which. The decoders check only what any report
// must satisfy (a year from 1970, not far in the future), since they also
// read recordings.
func CheckLive(t, recv time.Time) error {
	switch {
	case t.Before(recv.Add(-MaxReportAge)):
		return invalidf("time %s is more than %v before receipt (%s): not a live report",
			t.UTC().Format(time.RFC3339Nano), MaxReportAge, recv.UTC().Format(time.RFC3339))
	case t.After(recv.Add(MaxFutureSkew)):
		return invalidf("time %s is more than %v after receipt (%s)",
			t.UTC().Format(time.RFC3339Nano), MaxFutureSkew, recv.UTC().Format(time.RFC3339))
	}
	return nil
}

// DecodeNDJSON decodes one NDJSON line of POST /api/v1/positions: a single
// JSON object with these members (names are exact and case-sensitive; any
// other member, a repeated member or trailing data is an error):
//
//	icao       string  required, 6 hex digits ("4baac6")
//	callsign   string  ≤ 8 letters/digits, padding spaces trimmed
//	squawk     string  4 octal digits ("7700")
//	lat, lon   number  WGS 84 degrees; both or neither
//	alt_ft     number  altitude in feet    } at most one of the two
//	alt_m      number  altitude in metres  }
//	gs_kt      number  ground speed, knots
//	track_deg  number  track, degrees [0, 360]
//	vrate_fpm  number  vertical rate, feet per minute
//	on_ground  boolean
//	relocated  boolean: the position is from a recording moved in space and time (replays)
//	time       string  RFC 3339 ("2024-09-17T08:04:26.5Z"); absent means recv;
//	                   at most MaxFutureSkew after recv (and, for a live
//	                   report, at most MaxReportAge before: CheckLive)
//
// null counts as absent. Values are range-checked like SBS fields.
func DecodeNDJSON(line []byte, recv time.Time) (Position, error) {
	line = trimEOL(line)
	if len(line) > MaxNDJSONLine {
		return Position{}, invalidf("ndjson line of %d bytes exceeds %d", len(line), MaxNDJSONLine)
	}
	var p Position
	if err := decodeNDJSON(line, recv, &p); err != nil {
		return Position{}, err
	}
	return p, nil
}

func decodeNDJSON(line []byte, recv time.Time, p *Position) error {
	if fastNDJSON(line, recv, p) {
		return nil
	}
	*p = Position{}
	return slowNDJSON(line, recv, p)
}

// ndjsonState gathers the members of one line; apply and finish hold the
// rules both decoders share, so they accept exactly the same positions.
type ndjsonState struct {
	recv                time.Time
	haveICAO, haveTime  bool
	haveLat, haveLon    bool
	haveAltFt, haveAltM bool
	lat, lon            float64
	altFt, altM         float64
}

// ndjsonValue is one member's value, of the member's kind (memberKind):
// str for 's', num for 'n', flag for 'b'; null counts as absent.
type ndjsonValue struct {
	null bool
	str  []byte
	num  float64
	flag bool
}

// apply sets one member.
func (st *ndjsonState) apply(p *Position, key string, v ndjsonValue) error {
	if v.null {
		return nil
	}
	var err error
	switch key {
	case "icao":
		if p.ICAO, err = parseICAO(v.str); err != nil {
			return err
		}
		st.haveICAO = true
	case "callsign":
		err = p.setCallsign(v.str)
	case "squawk":
		p.Squawk, err = parseSquawk(v.str)
		p.Present |= FieldSquawk
	case "time":
		t, ok := parseRFC3339UTC(v.str)
		if !ok {
			pt, perr := time.Parse(time.RFC3339Nano, string(v.str))
			if perr != nil {
				return invalidf("ndjson: time %q is not RFC 3339", v.str)
			}
			t = pt.UTC()
		}
		if t.Year() < 1970 || t.After(st.recv.Add(MaxFutureSkew)) {
			return invalidf("ndjson: time %s is before 1970 or more than %v after receipt", v.str, MaxFutureSkew)
		}
		p.Time, st.haveTime = t, true
	case "lat":
		st.lat, st.haveLat = v.num, true
	case "lon":
		st.lon, st.haveLon = v.num, true
	case "alt_ft":
		st.altFt, st.haveAltFt = v.num, true
	case "alt_m":
		st.altM, st.haveAltM = v.num, true
	case "gs_kt":
		err = p.setGroundSpeed(v.num)
	case "track_deg":
		err = p.setTrack(v.num)
	case "vrate_fpm":
		err = p.setVerticalRate(v.num)
	case "on_ground":
		p.OnGround = v.flag
		p.Present |= FieldOnGround
	case "relocated":
		p.Relocated = v.flag
	}
	return err
}

// finish checks the members that go together and fills the defaults.
func (st *ndjsonState) finish(p *Position) error {
	if !st.haveICAO {
		return invalidf("ndjson: member \"icao\" is required")
	}
	switch {
	case st.haveLat && st.haveLon:
		if err := p.setLatLon(st.lat, st.lon); err != nil {
			return err
		}
	case st.haveLat || st.haveLon:
		return invalidf("ndjson: lat and lon must come together")
	}
	switch {
	case st.haveAltFt && st.haveAltM:
		return invalidf("ndjson: give alt_ft or alt_m, not both")
	case st.haveAltFt:
		if err := p.setAltitudeFt(st.altFt); err != nil {
			return err
		}
	case st.haveAltM:
		if err := p.setAltitudeFt(st.altM / FeetToMetres); err != nil {
			return err
		}
		p.AltM = st.altM // keep the metres exactly as sent
	}
	if !st.haveTime {
		p.Time = st.recv.UTC()
	}
	return nil
}

// memberKind says what JSON type a member takes: 's' string, 'n' number,
// 'b' boolean, 0 unknown.
func memberKind(key string) byte {
	switch key {
	case "icao", "callsign", "squawk", "time":
		return 's'
	case "lat", "lon", "alt_ft", "alt_m", "gs_kt", "track_deg", "vrate_fpm":
		return 'n'
	case "on_ground", "relocated":
		return 'b'
	}
	return 0
}

// slowNDJSON decodes with encoding/json's tokenizer: it accepts every valid
// spelling (escapes, any whitespace) and gives the precise error for a bad
// line.
func slowNDJSON(line []byte, recv time.Time, p *Position) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return invalidf("ndjson: line is not a JSON object")
	}
	st := ndjsonState{recv: recv}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return invalidf("ndjson: %v", jsonErr(err))
		}
		key, _ := tok.(string)
		if seen[key] {
			return invalidf("ndjson: member %q repeated", key)
		}
		seen[key] = true
		var str *string
		var num *float64
		var flag *bool
		switch memberKind(key) {
		case 's':
			str = new(string)
			err = dec.Decode(&str)
		case 'n':
			num = new(float64)
			err = dec.Decode(&num)
		case 'b':
			flag = new(bool)
			err = dec.Decode(&flag)
		default:
			return invalidf("ndjson: unknown member %q", key)
		}
		if err != nil {
			return invalidf("ndjson: member %q: %v", key, jsonErr(err))
		}
		// A nil pointer after Decode means the value was null.
		v := ndjsonValue{null: str == nil && num == nil && flag == nil}
		switch {
		case str != nil:
			v.str = []byte(*str)
		case num != nil:
			v.num = *num
		case flag != nil:
			v.flag = *flag
		}
		if err := st.apply(p, key, v); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return invalidf("ndjson: %v", jsonErr(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalidf("ndjson: data after the object")
	}
	return st.finish(p)
}

// fastNDJSON decodes the plain spelling feeds send: a flat object of
// known members whose strings have no escapes or non-ASCII bytes and whose
// numbers follow JSON's grammar. It reports false for anything else, or
// any error, and the caller then runs slowNDJSON, which decides; so the two
// accept and refuse the same lines (FuzzNDJSON_FastMatchesSlow checks it).
// It is about ten times faster, which matters at tens of thousands of
// positions a second.
func fastNDJSON(line []byte, recv time.Time, p *Position) bool {
	i, n := 0, len(line)
	ws := func() {
		for i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n') {
			i++
		}
	}
	// str returns the bytes of a string without escapes or non-ASCII
	// bytes; they alias line, so nothing is copied.
	str := func() ([]byte, bool) {
		if i >= n || line[i] != '"' {
			return nil, false
		}
		j := i + 1
		for j < n && plainStringByte[line[j]] {
			j++
		}
		if j >= n || line[j] != '"' { // an escape, a control or non-ASCII byte, or no end
			return nil, false
		}
		s := line[i+1 : j]
		i = j + 1
		return s, true
	}
	st := ndjsonState{recv: recv}
	var seen uint16
	ws()
	if i >= n || line[i] != '{' {
		return false
	}
	i++
	ws()
	if i < n && line[i] == '}' {
		i++
	} else {
		for {
			ws()
			kb, ok := str()
			if !ok {
				return false
			}
			key, bit := memberKey(kb)
			if key == "" || seen&bit != 0 {
				return false
			}
			kind := memberKind(key)
			seen |= bit
			ws()
			if i >= n || line[i] != ':' {
				return false
			}
			i++
			ws()
			var v ndjsonValue
			switch {
			case n-i >= 4 && string(line[i:i+4]) == "null":
				i += 4
				v.null = true
			case kind == 's':
				if v.str, ok = str(); !ok {
					return false
				}
			case kind == 'b' && n-i >= 4 && string(line[i:i+4]) == "true":
				i += 4
				v.flag = true
			case kind == 'b' && n-i >= 5 && string(line[i:i+5]) == "false":
				i += 5
			case kind == 'n':
				j := jsonNumberEnd(line, i)
				if j == i {
					return false
				}
				var err error
				if v.num, err = parseFloat(line[i:j]); err != nil {
					return false
				}
				i = j
			default:
				return false
			}
			if st.apply(p, key, v) != nil {
				return false
			}
			ws()
			if i < n && line[i] == ',' {
				i++
				continue
			}
			if i < n && line[i] == '}' {
				i++
				break
			}
			return false
		}
	}
	ws()
	return i == n && st.finish(p) == nil
}

// plainStringByte says which bytes fastNDJSON takes inside a string: printable
// ASCII except the quote and the backslash (one table load per byte where
// four comparisons were).
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// memberKey returns the known member named b, as a constant string (no
// copy of b), and its bit for the repeated-member check; "" if b names none.
func memberKey(b []byte) (string, uint16) {
	// A switch on string(b) compiles to a search on length and content,
	// without converting b.
	switch string(b) {
	case "icao":
		return "icao", 1 << 0
	case "callsign":
		return "callsign", 1 << 1
	case "squawk":
		return "squawk", 1 << 2
	case "time":
		return "time", 1 << 3
	case "lat":
		return "lat", 1 << 4
	case "lon":
		return "lon", 1 << 5
	case "alt_ft":
		return "alt_ft", 1 << 6
	case "alt_m":
		return "alt_m", 1 << 7
	case "gs_kt":
		return "gs_kt", 1 << 8
	case "track_deg":
		return "track_deg", 1 << 9
	case "vrate_fpm":
		return "vrate_fpm", 1 << 10
	case "on_ground":
		return "on_ground", 1 << 11
	case "relocated":
		return "relocated", 1 << 12
	}
	return "", 0
}

// jsonNumberEnd returns the end of the JSON number starting at i (RFC 8259
// §6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?), or i if there is none.
func jsonNumberEnd(b []byte, i int) int {
	start, n := i, len(b)
	digits := func() int {
		k := i
		for i < n && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - k
	}
	if i < n && b[i] == '-' {
		i++
	}
	switch {
	case i < n && b[i] == '0':
		i++
	case digits() == 0:
		return start
	}
	if i < n && b[i] == '.' {
		i++
		if digits() == 0 {
			return start
		}
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < n && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return start
		}
	}
	return i
}

// jsonErr keeps encoding/json's message but drops its Go type names where it
// can, which mean nothing to a feed operator.
func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return errors.New("wrong JSON type " + te.Value)
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("truncated JSON")
	}
	return err
}

// MarshalNDJSON encodes p as one NDJSON line (with its newline) that
// DecodeNDJSON accepts, writing only the present fields. Altitude is written
// as alt_ft.
func MarshalNDJSON(p Position) ([]byte, error) {
	if p.ICAO == 0 || p.ICAO > 0xFFFFFF {
		return nil, invalidf("icao %#x is not a 24-bit address", p.ICAO)
	}
	type out struct {
		ICAO     string   `json:"icao"`
		Callsign string   `json:"callsign,omitempty"`
		Squawk   string   `json:"squawk,omitempty"`
		Lat      *float64 `json:"lat,omitempty"`
		Lon      *float64 `json:"lon,omitempty"`
		AltFt    *float64 `json:"alt_ft,omitempty"`
		GS       *float64 `json:"gs_kt,omitempty"`
		Track    *float64 `json:"track_deg,omitempty"`
		VRate    *float64 `json:"vrate_fpm,omitempty"`
		OnGround *bool    `json:"on_ground,omitempty"`
		Reloc    bool     `json:"relocated,omitempty"`
		Time     string   `json:"time"`
	}
	o := out{ICAO: FormatICAO(p.ICAO), Time: p.Time.UTC().Format(time.RFC3339Nano), Reloc: p.Relocated}
	ptr := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	if p.Present.Has(FieldCallsign) {
		o.Callsign = p.Callsign
	}
	if p.Present.Has(FieldSquawk) {
		o.Squawk = p.Squawk.String()
	}
	if p.Present.Has(FieldLatLon) {
		o.Lat, o.Lon = ptr(p.Lat), ptr(p.Lon)
	}
	if p.Present.Has(FieldAltitude) {
		o.AltFt = ptr(p.AltFt)
	}
	if p.Present.Has(FieldGroundSpeed) {
		o.GS = ptr(p.GroundSpeedKt)
	}
	if p.Present.Has(FieldTrack) {
		o.Track = ptr(p.TrackDeg)
	}
	if p.Present.Has(FieldVerticalRate) {
		o.VRate = ptr(p.VerticalRateFpm)
	}
	if p.Present.Has(FieldOnGround) {
		o.OnGround = &p.OnGround
	}
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
