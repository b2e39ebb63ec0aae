package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"time"
)

// MaxNDJSONLine bounds one NDJSON position line. A full position with every
// field is under 300 bytes.
const MaxNDJSONLine = 4096

// MaxFutureSkew is how far ahead of its receive time a pushed position's time
// may be: enough for unsynchronised clocks, not for made-up futures.
const MaxFutureSkew = time.Hour

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
//	                   at most MaxFutureSkew after recv
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
	recv        time.Time
	haveICAO    bool
	haveTime    bool
	lat, lon    *float64
	altFt, altM *float64
}

// apply sets one member; str, num or flag carries its value (all nil for
// null, which counts as absent).
func (st *ndjsonState) apply(p *Position, key string, str *string, num *float64, flag *bool) error {
	if str == nil && num == nil && flag == nil {
		return nil
	}
	var err error
	switch key {
	case "icao":
		if p.ICAO, err = ParseICAO(*str); err != nil {
			return err
		}
		st.haveICAO = true
	case "callsign":
		err = p.setCallsign([]byte(*str))
	case "squawk":
		p.Squawk, err = ParseSquawk(*str)
		p.Present |= FieldSquawk
	case "time":
		t, perr := time.Parse(time.RFC3339Nano, *str)
		if perr != nil {
			return invalidf("ndjson: time %q is not RFC 3339", *str)
		}
		if t.Year() < 1970 || t.After(st.recv.Add(MaxFutureSkew)) {
			return invalidf("ndjson: time %s is before 1970 or more than %v after receipt", *str, MaxFutureSkew)
		}
		p.Time, st.haveTime = t.UTC(), true
	case "lat":
		st.lat = num
	case "lon":
		st.lon = num
	case "alt_ft":
		st.altFt = num
	case "alt_m":
		st.altM = num
	case "gs_kt":
		err = p.setGroundSpeed(*num)
	case "track_deg":
		err = p.setTrack(*num)
	case "vrate_fpm":
		err = p.setVerticalRate(*num)
	case "on_ground":
		p.OnGround = *flag
		p.Present |= FieldOnGround
	case "relocated":
		p.Relocated = *flag
	}
	return err
}

// finish checks the members that go together and fills the defaults.
func (st *ndjsonState) finish(p *Position) error {
	if !st.haveICAO {
		return invalidf("ndjson: member \"icao\" is required")
	}
	switch {
	case st.lat != nil && st.lon != nil:
		if err := p.setLatLon(*st.lat, *st.lon); err != nil {
			return err
		}
	case st.lat != nil || st.lon != nil:
		return invalidf("ndjson: lat and lon must come together")
	}
	switch {
	case st.altFt != nil && st.altM != nil:
		return invalidf("ndjson: give alt_ft or alt_m, not both")
	case st.altFt != nil:
		if err := p.setAltitudeFt(*st.altFt); err != nil {
			return err
		}
	case st.altM != nil:
		if err := p.setAltitudeFt(*st.altM / FeetToMetres); err != nil {
			return err
		}
		p.AltM = *st.altM // keep the metres exactly as sent
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
		if err := st.apply(p, key, str, num, flag); err != nil {
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
	str := func() (string, bool) {
		if i >= n || line[i] != '"' {
			return "", false
		}
		j := i + 1
		for j < n && line[j] != '"' {
			if c := line[j]; c == '\\' || c < 0x20 || c >= 0x80 {
				return "", false
			}
			j++
		}
		if j >= n {
			return "", false
		}
		s := string(line[i+1 : j])
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
			key, ok := str()
			if !ok {
				return false
			}
			kind := memberKind(key)
			bit := uint16(1) << memberBit(key)
			if kind == 0 || seen&bit != 0 {
				return false
			}
			seen |= bit
			ws()
			if i >= n || line[i] != ':' {
				return false
			}
			i++
			ws()
			var sv *string
			var nv *float64
			var bv *bool
			switch {
			case n-i >= 4 && string(line[i:i+4]) == "null":
				i += 4
			case kind == 's':
				v, ok := str()
				if !ok {
					return false
				}
				sv = &v
			case kind == 'b' && n-i >= 4 && string(line[i:i+4]) == "true":
				i += 4
				v := true
				bv = &v
			case kind == 'b' && n-i >= 5 && string(line[i:i+5]) == "false":
				i += 5
				v := false
				bv = &v
			case kind == 'n':
				j := jsonNumberEnd(line, i)
				if j == i {
					return false
				}
				v, err := strconv.ParseFloat(string(line[i:j]), 64)
				if err != nil {
					return false
				}
				i = j
				nv = &v
			default:
				return false
			}
			if st.apply(p, key, sv, nv, bv) != nil {
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

// memberBit numbers the known members for the repeated-member check.
func memberBit(key string) int {
	for b, k := range [...]string{"icao", "callsign", "squawk", "time", "lat", "lon", "alt_ft", "alt_m", "gs_kt", "track_deg", "vrate_fpm", "on_ground", "relocated"} {
		if k == key {
			return b
		}
	}
	return 15
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
