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
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return invalidf("ndjson: line is not a JSON object")
	}
	var (
		seen        = map[string]bool{}
		haveICAO    bool
		lat, lon    *float64
		altFt, altM *float64
		haveTime    bool
		str         *string
		num         *float64
		flag        *bool
	)
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
		str, num, flag = nil, nil, nil
		switch key {
		case "icao", "callsign", "squawk", "time":
			str = new(string)
			err = dec.Decode(&str)
		case "lat", "lon", "alt_ft", "alt_m", "gs_kt", "track_deg", "vrate_fpm":
			num = new(float64)
			err = dec.Decode(&num)
		case "on_ground", "relocated":
			flag = new(bool)
			err = dec.Decode(&flag)
		default:
			return invalidf("ndjson: unknown member %q", key)
		}
		if err != nil {
			return invalidf("ndjson: member %q: %v", key, jsonErr(err))
		}
		if str == nil && num == nil && flag == nil {
			continue // null
		}
		switch key {
		case "icao":
			if p.ICAO, err = ParseICAO(*str); err != nil {
				return err
			}
			haveICAO = true
		case "callsign":
			err = p.setCallsign([]byte(*str))
		case "squawk":
			p.Squawk, err = ParseSquawk(*str)
			p.Present |= FieldSquawk
		case "time":
			var t time.Time
			if t, err = time.Parse(time.RFC3339Nano, *str); err != nil {
				return invalidf("ndjson: time %q is not RFC 3339", *str)
			}
			if t.Year() < 1970 || t.After(recv.Add(MaxFutureSkew)) {
				return invalidf("ndjson: time %s is before 1970 or more than %v after receipt", *str, MaxFutureSkew)
			}
			p.Time, haveTime = t.UTC(), true
		case "lat":
			lat = num
		case "lon":
			lon = num
		case "alt_ft":
			altFt = num
		case "alt_m":
			altM = num
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
		if err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return invalidf("ndjson: %v", jsonErr(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalidf("ndjson: data after the object")
	}
	if !haveICAO {
		return invalidf("ndjson: member \"icao\" is required")
	}
	switch {
	case lat != nil && lon != nil:
		if err := p.setLatLon(*lat, *lon); err != nil {
			return err
		}
	case lat != nil || lon != nil:
		return invalidf("ndjson: lat and lon must come together")
	}
	switch {
	case altFt != nil && altM != nil:
		return invalidf("ndjson: give alt_ft or alt_m, not both")
	case altFt != nil:
		if err := p.setAltitudeFt(*altFt); err != nil {
			return err
		}
	case altM != nil:
		if err := p.setAltitudeFt(*altM / FeetToMetres); err != nil {
			return err
		}
		p.AltM = *altM // keep the metres exactly as sent
	}
	if !haveTime {
		p.Time = recv.UTC()
	}
	return nil
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
