package feed

import (
	"time"
)

// SBSFieldCount is the number of comma-separated fields in an SBS MSG line.
const SBSFieldCount = 22

// MaxSBSLine bounds an SBS line. Real lines are under 200 bytes; the bound
// leaves room while keeping a garbage stream from growing buffers.
const MaxSBSLine = 1024

// SBS field indexes (0-based) of the BaseStation MSG layout.
const (
	sbsMsgType      = 0  // MSG, SEL, ID, AIR, STA, CLK
	sbsTxType       = 1  // transmission type 1–8
	sbsHex          = 4  // ICAO address
	sbsDateGen      = 6  // yyyy/mm/dd message generated
	sbsTimeGen      = 7  // hh:mm:ss.sss message generated
	sbsDateLogged   = 8  // yyyy/mm/dd message logged
	sbsTimeLogged   = 9  // hh:mm:ss.sss message logged
	sbsCallsign     = 10 //
	sbsAltitude     = 11 // feet, barometric
	sbsGroundSpeed  = 12 // knots
	sbsTrack        = 13 // degrees
	sbsLat          = 14 //
	sbsLon          = 15 //
	sbsVerticalRate = 16 // ft/min
	sbsSquawk       = 17 // 4 octal digits
	sbsAlert        = 18 // squawk changed flag
	sbsEmergency    = 19 // emergency flag
	sbsSPI          = 20 // ident flag
	sbsOnGround     = 21 // on-ground flag
)

// DecodeSBS decodes one SBS-1 / BaseStation (port 30003) line. A trailing
// "\r\n" or "\n" is allowed. The 22 fields are:
//
//	1 message type (MSG; SEL, ID, AIR, STA and CLK are tolerated → ErrIgnored)
//	2 transmission type 1–8      3 session id   4 aircraft id   5 ICAO hex (6 digits)
//	6 flight id   7 date generated   8 time generated   9 date logged  10 time logged
//	11 callsign   12 altitude (ft)   13 ground speed (kt)   14 track (deg)
//	15 latitude   16 longitude   17 vertical rate (ft/min)   18 squawk (4 octal digits)
//	19 squawk-change flag   20 emergency flag   21 SPI flag   22 on-ground flag
//
// Empty fields are absent (see Position.Present). Times are read as UTC from
// the generated date/time, else the logged date/time, else recv is used (many
// feeds leave them empty). Flags are "-1" or "1" for true and "0" for false.
// Every present field is range-checked; a bad line returns an error matching
// ErrInvalid and a zero Position.
func DecodeSBS(line []byte, recv time.Time) (Position, error) {
	line = trimEOL(line)
	if len(line) > MaxSBSLine {
		return Position{}, invalidf("sbs line of %d bytes exceeds %d", len(line), MaxSBSLine)
	}
	if len(line) == 0 {
		return Position{}, invalidf("sbs: empty line")
	}
	// One pass checks every byte and splits the fields: a call to
	// bytes.IndexByte per field cost more than the scan on short fields.
	var f [SBSFieldCount][]byte
	n, start := 0, 0
	for i, c := range line {
		if c == ',' {
			if n < SBSFieldCount {
				f[n] = line[start:i]
			}
			n++
			start = i + 1
		} else if c < 0x20 || c > 0x7e {
			return Position{}, invalidf("sbs: non-printable byte 0x%02x at column %d", c, i+1)
		}
	}
	if n < SBSFieldCount {
		f[n] = line[start:]
	}
	n++

	switch string(f[sbsMsgType]) {
	case "MSG":
	case "SEL", "ID", "AIR", "STA", "CLK":
		return Position{}, ErrIgnored
	default:
		return Position{}, invalidf("sbs: unknown message type %s", quote(f[sbsMsgType]))
	}
	if n != SBSFieldCount {
		return Position{}, invalidf("sbs: %d fields, want %d", n, SBSFieldCount)
	}
	if len(f[sbsTxType]) != 1 || f[sbsTxType][0] < '1' || f[sbsTxType][0] > '8' {
		return Position{}, invalidf("sbs: transmission type %s, want 1–8", quote(f[sbsTxType]))
	}

	var p Position
	var err error
	if p.ICAO, err = parseICAO(f[sbsHex]); err != nil {
		return Position{}, err
	}
	if p.Time, err = sbsTime(f[sbsDateGen], f[sbsTimeGen], f[sbsDateLogged], f[sbsTimeLogged], recv); err != nil {
		return Position{}, err
	}
	// As for a pushed NDJSON position: a clock may be off, but a report
	// is not from the future. (parseSBSTime refuses years before 1970.)
	if p.Time.After(recv.Add(MaxFutureSkew)) {
		return Position{}, invalidf("sbs: time %s is more than %v after receipt", p.Time.Format(time.RFC3339Nano), MaxFutureSkew)
	}
	if err = p.setCallsign(f[sbsCallsign]); err != nil {
		return Position{}, err
	}
	if b := f[sbsAltitude]; len(b) > 0 {
		v, err := sbsFloat("altitude", b)
		if err != nil {
			return Position{}, err
		}
		if err = p.setAltitudeFt(v); err != nil {
			return Position{}, err
		}
	}
	if b := f[sbsGroundSpeed]; len(b) > 0 {
		v, err := sbsFloat("ground speed", b)
		if err != nil {
			return Position{}, err
		}
		if err = p.setGroundSpeed(v); err != nil {
			return Position{}, err
		}
	}
	if b := f[sbsTrack]; len(b) > 0 {
		v, err := sbsFloat("track", b)
		if err != nil {
			return Position{}, err
		}
		if err = p.setTrack(v); err != nil {
			return Position{}, err
		}
	}
	switch lat, lon := f[sbsLat], f[sbsLon]; {
	case len(lat) > 0 && len(lon) > 0:
		la, err := sbsFloat("latitude", lat)
		if err != nil {
			return Position{}, err
		}
		lo, err := sbsFloat("longitude", lon)
		if err != nil {
			return Position{}, err
		}
		if err = p.setLatLon(la, lo); err != nil {
			return Position{}, err
		}
	case len(lat) > 0 || len(lon) > 0:
		return Position{}, invalidf("sbs: latitude and longitude must come together")
	}
	if b := f[sbsVerticalRate]; len(b) > 0 {
		v, err := sbsFloat("vertical rate", b)
		if err != nil {
			return Position{}, err
		}
		if err = p.setVerticalRate(v); err != nil {
			return Position{}, err
		}
	}
	if b := f[sbsSquawk]; len(b) > 0 {
		if p.Squawk, err = parseSquawk(b); err != nil {
			return Position{}, err
		}
		p.Present |= FieldSquawk
	}
	for _, i := range [...]int{sbsAlert, sbsEmergency, sbsSPI, sbsOnGround} {
		v, ok, err := sbsFlag(f[i])
		if err != nil {
			return Position{}, invalidf("sbs field %d: %v", i+1, err)
		}
		if i == sbsOnGround && ok {
			p.OnGround = v
			p.Present |= FieldOnGround
		}
	}
	return p, nil
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

func sbsFloat(name string, b []byte) (float64, error) {
	v, err := parseFloat(b)
	if err != nil {
		return 0, invalidf("sbs %s %s: not a number", name, quote(b))
	}
	return v, nil
}

func sbsFlag(b []byte) (v, ok bool, err error) {
	switch string(b) {
	case "":
		return false, false, nil
	case "0":
		return false, true, nil
	case "-1", "1":
		return true, true, nil
	}
	return false, false, invalidf("flag %s, want -1, 0 or 1", quote(b))
}

// sbsTime picks the generated time, then the logged time, then recv.
func sbsTime(dGen, tGen, dLog, tLog []byte, recv time.Time) (time.Time, error) {
	for _, dt := range [2][2][]byte{{dGen, tGen}, {dLog, tLog}} {
		d, t := dt[0], dt[1]
		if len(d) == 0 && len(t) == 0 {
			continue
		}
		if len(d) == 0 || len(t) == 0 {
			return time.Time{}, invalidf("sbs: date %s and time %s must come together", quote(d), quote(t))
		}
		return parseSBSTime(d, t)
	}
	return recv.UTC(), nil
}

// parseSBSTime parses "yyyy/mm/dd" and "hh:mm:ss[.fraction]" by hand: it is
// on the per-line path, and time.Parse would need the two joined.
func parseSBSTime(d, t []byte) (time.Time, error) {
	// civilDateTime refuses what time.Date would normalise: 2023/02/30 is
	// not 2 March.
	if len(d) == 10 && d[4] == '/' && d[7] == '/' {
		if tm, ok := civilDateTime(d, t); ok && tm.Year() >= 1970 {
			return tm, nil
		}
	}
	return time.Time{}, invalidf("sbs: date/time %s %s, want yyyy/mm/dd hh:mm:ss.sss", quote(d), quote(t))
}
