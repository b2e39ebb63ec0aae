package feed

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FeetToMetres is the exact international foot.
const FeetToMetres = 0.3048

// Validation limits applied by every decoder. They are wide enough for any
// real aircraft report and narrow enough to reject garbage.
const (
	MinAltitudeFt    = -2000.0  // below the Dead Sea, with margin for QNH errors
	MaxAltitudeFt    = 130000.0 // above Mode C's 126,750 ft ceiling
	MaxGroundSpeedKt = 4100.0   // ADS-B airborne velocity encodes up to 4,092 kt
	MaxVerticalRate  = 40000.0  // ft/min; ADS-B encodes up to ±32,608
	MaxCallsignLen   = 8        // ICAO flight identification is 8 characters
)

// ErrInvalid is matched (errors.Is) by every error about bad input: a bad
// line, field or file. The caller maps it to a 4xx/"invalid" outcome.
var ErrInvalid = errors.New("feed: invalid input")

// ErrIgnored is returned by a line decoder for a well-formed line that carries
// no position (SBS SEL, ID, AIR, STA and CLK messages). Scanners count such
// lines as ignored, not as bad.
var ErrIgnored = errors.New("feed: line carries no position")

// invalidError is an input error; it matches ErrInvalid.
type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return "feed: " + e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// quote shows untrusted input in an error message: quoted, so control bytes
// cannot forge log lines, and cut short, so a huge field cannot flood a log.
func quote(b []byte) string {
	const max = 32
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "…"
	}
	return strconv.Quote(string(b))
}

// Fields is a set of flags saying which optional fields of a Position were
// present in the message it came from. A field whose flag is clear holds its
// zero value, which must not be read as a measurement.
type Fields uint16

// The optional fields of a Position.
const (
	FieldCallsign     Fields = 1 << iota // Callsign
	FieldSquawk                          // Squawk
	FieldLatLon                          // Lat and Lon (always together)
	FieldAltitude                        // AltFt and AltM (always together)
	FieldGroundSpeed                     // GroundSpeedKt
	FieldTrack                           // TrackDeg
	FieldVerticalRate                    // VerticalRateFpm
	FieldOnGround                        // OnGround
)

var fieldNames = [...]string{"callsign", "squawk", "latlon", "altitude", "gs", "track", "vrate", "onground"}

// Has reports whether every field in want is present.
func (f Fields) Has(want Fields) bool { return f&want == want }

// String lists the present fields, for logs and test failures.
func (f Fields) String() string {
	var parts []string
	for i, n := range fieldNames {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// Squawk is a Mode A code: four octal digits held as their octal value, so
// that the emergency code is written 0o7700 and prints as "7700".
type Squawk uint16

// The squawks that mean an emergency (ICAO Doc 8168).
const (
	SquawkHijack       Squawk = 0o7500
	SquawkRadioFailure Squawk = 0o7600
	SquawkEmergency    Squawk = 0o7700
)

// String formats the code as its four octal digits.
func (s Squawk) String() string {
	v := uint16(s)
	if v > 0o7777 {
		return fmt.Sprintf("%04o", v)
	}
	// Written by hand: it names every emergency alert (fmt was 1 % of
	// the CPU of a journalled one).
	var b [4]byte
	for i := 3; i >= 0; i-- {
		b[i] = '0' + byte(v&7)
		v >>= 3
	}
	return string(b[:])
}

// IsEmergency reports whether s is 7500, 7600 or 7700.
func (s Squawk) IsEmergency() bool {
	return s == SquawkHijack || s == SquawkRadioFailure || s == SquawkEmergency
}

// ParseSquawk parses exactly four octal digits.
func ParseSquawk(s string) (Squawk, error) { return parseSquawk([]byte(s)) }

func parseSquawk(b []byte) (Squawk, error) {
	if len(b) != 4 {
		return 0, invalidf("squawk %s: want 4 octal digits", quote(b))
	}
	var v uint16
	for _, c := range b {
		if c < '0' || c > '7' {
			return 0, invalidf("squawk %s: want 4 octal digits", quote(b))
		}
		v = v<<3 | uint16(c-'0')
	}
	return Squawk(v), nil
}

// FormatICAO formats a 24-bit ICAO aircraft address as six upper-case hex
// digits, the way SBS feeds and registries print it.
func FormatICAO(a uint32) string {
	if a > 0xFFFFFF {
		return fmt.Sprintf("%06X", a)
	}
	// Written by hand: every alert names its aircraft so (fmt was 2 % of
	// the CPU of a journalled alert).
	const digits = "0123456789ABCDEF"
	var b [6]byte
	for i := 5; i >= 0; i-- {
		b[i] = digits[a&0xF]
		a >>= 4
	}
	return string(b[:])
}

// ParseICAO parses a 24-bit ICAO aircraft address written as exactly six hex
// digits, in either case. The all-zero address is not assigned and is
// rejected.
func ParseICAO(s string) (uint32, error) { return parseICAO([]byte(s)) }

func parseICAO(b []byte) (uint32, error) {
	if len(b) != 6 {
		return 0, invalidf("icao %s: want 6 hex digits", quote(b))
	}
	var v uint32
	for _, c := range b {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, invalidf("icao %s: want 6 hex digits", quote(b))
		}
		v = v<<4 | uint32(d)
	}
	if v == 0 {
		return 0, invalidf("icao 000000 is not an assigned address")
	}
	return v, nil
}

// Position is one report about one aircraft. Only ICAO, Time and Source are
// always set; Present says which of the other fields were in the report,
// because an SBS message often carries a single field (MSG,5 only altitude).
type Position struct {
	ICAO     uint32 // 24-bit ICAO aircraft address
	Callsign string // flight identification, trimmed, upper case, ≤ 8 characters
	Squawk   Squawk // Mode A code

	Lat, Lon float64 // WGS 84 degrees

	// AltFt is the altitude in feet as received (barometric for SBS and
	// readsb); AltM is the same value in metres.
	AltFt, AltM float64

	GroundSpeedKt   float64 // knots
	TrackDeg        float64 // degrees clockwise from true north, [0, 360)
	VerticalRateFpm float64 // feet per minute, positive climbing
	OnGround        bool

	Time   time.Time // UTC: the report's own time, or its receive time when it has none
	Source string    // name of the feed it came from

	Present Fields // which optional fields above hold values

	// Relocated marks a position moved in space or time by Relocate: a
	// demonstration, not a real aircraft at that place and time.
	Relocated bool
}

// setAltitudeFt records an altitude given in feet after checking its range.
func (p *Position) setAltitudeFt(ft float64) error {
	if !(ft >= MinAltitudeFt && ft <= MaxAltitudeFt) {
		return invalidf("altitude %v ft out of range [%v, %v]", ft, MinAltitudeFt, MaxAltitudeFt)
	}
	p.AltFt, p.AltM = ft, ft*FeetToMetres
	p.Present |= FieldAltitude
	return nil
}

func (p *Position) setLatLon(lat, lon float64) error {
	if !(lat >= -90 && lat <= 90) {
		return invalidf("latitude %v out of range [-90, 90]", lat)
	}
	if !(lon >= -180 && lon <= 180) {
		return invalidf("longitude %v out of range [-180, 180]", lon)
	}
	p.Lat, p.Lon = lat, lon
	p.Present |= FieldLatLon
	return nil
}

func (p *Position) setGroundSpeed(kt float64) error {
	if !(kt >= 0 && kt <= MaxGroundSpeedKt) {
		return invalidf("ground speed %v kt out of range [0, %v]", kt, MaxGroundSpeedKt)
	}
	p.GroundSpeedKt = kt
	p.Present |= FieldGroundSpeed
	return nil
}

func (p *Position) setTrack(deg float64) error {
	if !(deg >= 0 && deg <= 360) {
		return invalidf("track %v° out of range [0, 360]", deg)
	}
	if deg == 360 {
		deg = 0
	}
	p.TrackDeg = deg
	p.Present |= FieldTrack
	return nil
}

func (p *Position) setVerticalRate(fpm float64) error {
	if !(math.Abs(fpm) <= MaxVerticalRate) {
		return invalidf("vertical rate %v ft/min out of range ±%v", fpm, MaxVerticalRate)
	}
	p.VerticalRateFpm = fpm
	p.Present |= FieldVerticalRate
	return nil
}

// setCallsign trims the space padding that SBS and readsb add and accepts
// only the characters ICAO allows in a flight identification. An all-space
// callsign means "none" rather than an error.
func (p *Position) setCallsign(b []byte) error {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	if len(b) == 0 {
		return nil
	}
	if len(b) > MaxCallsignLen {
		return invalidf("callsign %s longer than %d characters", quote(b), MaxCallsignLen)
	}
	var buf [MaxCallsignLen]byte
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		default:
			return invalidf("callsign %s: only letters and digits allowed", quote(b))
		}
		buf[i] = c
	}
	p.Callsign = string(buf[:len(b)])
	p.Present |= FieldCallsign
	return nil
}
