package geo

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// ErrAltitude is wrapped by every error of [ParseAltitude].
var ErrAltitude = errors.New("geo: invalid altitude")

const feet = 0.3048

// Plain decimals only: strconv would also take "Inf", "0x1p3" and "1_000".
var (
	decimal = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)
	whole   = regexp.MustCompile(`^[0-9]{1,3}$`)
)

// Altitude limits: the lowest land surface on Earth is about -430 m, and
// nothing Truce watches flies above 100 km.
const (
	MinAltitude = -1000.0
	MaxAltitude = 100000.0
)

// ParseAltitude reads an altitude as aviation documents write it and
// returns metres above mean sea level: "FL200" (flight level, hundreds of
// feet on the standard pressure setting, taken as AMSL), "10000ft",
// "3000m", or a bare number of metres "3000". Case and spaces between the
// number and unit do not matter. "SFC" and "GND" (the surface) return -Inf
// and "UNL" (unlimited) +Inf, meaning an unbounded floor or ceiling.
// Anything else, and values outside [MinAltitude, MaxAltitude], is an error.
func ParseAltitude(s string) (float64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	switch t {
	case "SFC", "GND":
		return math.Inf(-1), nil
	case "UNL":
		return math.Inf(1), nil
	}
	num, scale := t, 1.0
	switch {
	case strings.HasPrefix(t, "FL"):
		num, scale = strings.TrimSpace(t[2:]), 100*feet
		if !whole.MatchString(num) {
			return 0, fmt.Errorf("%w: %q: a flight level is a whole number, as FL200", ErrAltitude, s)
		}
	case strings.HasSuffix(t, "FT"):
		num, scale = strings.TrimSpace(strings.TrimSuffix(t, "FT")), feet
	case strings.HasSuffix(t, "M"):
		num = strings.TrimSpace(strings.TrimSuffix(t, "M"))
	}
	if !decimal.MatchString(num) {
		return 0, fmt.Errorf("%w: %q: want FL200, 10000ft, 3000m or 3000", ErrAltitude, s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%w: %q: want FL200, 10000ft, 3000m or 3000", ErrAltitude, s)
	}
	m := v * scale
	if m < MinAltitude || m > MaxAltitude {
		return 0, fmt.Errorf("%w: %q is outside %g..%g m", ErrAltitude, s, MinAltitude, MaxAltitude)
	}
	return m, nil
}
