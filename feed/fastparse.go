package feed

import (
	"strconv"
	"time"
)

// The decoders run once per position, hundreds of thousands of times a
// second, so the common spellings of numbers and times are parsed here by
// hand; anything else goes to strconv or time, whose answer stands.

// exactPow10 are the powers of ten a float64 holds exactly.
var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseDecimal parses a plain decimal, -?digits(.digits)?, of at most 19
// significant digits whose value is the quotient of an integer below 2^53 by a power of
// ten up to 10^22. Both are exact in a float64 and IEEE division rounds
// correctly, so the result is the correctly rounded value, the same bits
// strconv.ParseFloat gives (FuzzParseDecimal checks it). ok is false for
// anything else (exponents, long mantissas, "inf", "+1", malformed text):
// the caller then asks strconv.
func parseDecimal(b []byte) (v float64, ok bool) {
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		neg, i = true, 1
	}
	var m uint64
	digits, frac, dot, seen := 0, 0, false, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if m != 0 || c != '0' { // leading zeros are not significant
				if digits == 19 {
					return 0, false
				}
				digits++
			}
			m = m*10 + uint64(c-'0')
			seen = true
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if !seen || m >= 1<<53 || frac >= len(exactPow10) {
		return 0, false
	}
	v = float64(m)
	if frac > 0 {
		v /= exactPow10[frac]
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseFloat is strconv.ParseFloat(string(b), 64) with parseDecimal's fast
// path in front.
func parseFloat(b []byte) (float64, error) {
	if v, ok := parseDecimal(b); ok {
		return v, nil
	}
	// string(b) does not allocate here: strconv copies the text it keeps.
	return strconv.ParseFloat(string(b), 64)
}

// digits2 reads two decimal digits.
func digits2(b []byte) (int, bool) {
	if b[0] < '0' || b[0] > '9' || b[1] < '0' || b[1] > '9' {
		return 0, false
	}
	return int(b[0]-'0')*10 + int(b[1]-'0'), true
}

// civilTime is time.Date(y, mo, d, h, mi, s, ns, time.UTC) for valid
// fields, without its normalisation work; ok is false when a field is out of
// range (a 30 February, an hour 24, a leap second), which time.Date would
// have normalised.
func civilTime(y, mo, d, h, mi, s, ns int) (t time.Time, ok bool) {
	if y < 0 || y > 9999 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 || ns < 0 || ns > 999999999 {
		return time.Time{}, false
	}
	leap := y%4 == 0 && (y%100 != 0 || y%400 == 0)
	dim := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[mo-1]
	if mo == 2 && leap {
		dim = 29
	}
	if d > dim {
		return time.Time{}, false
	}
	// Days since 1970-01-01 in the proleptic Gregorian calendar: count from
	// 1 March of year 0 so that the leap day falls at the end of a year.
	yy := int64(y)
	if mo <= 2 {
		yy--
	}
	era := yy
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := yy - era*400                                         // [0, 399]
	mp := (int64(mo) + 9) % 12                                  // March = 0
	doy := (153*mp+2)/5 + int64(d) - 1                          // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy                      // [0, 146096]
	days := era*146097 + doe - 719468                           // 719468: 0000-03-01 to 1970-01-01
	sec := days*86400 + int64(h)*3600 + int64(mi)*60 + int64(s) // seconds since the Unix epoch
	return time.Unix(sec, int64(ns)).UTC(), true
}

// parseFraction reads 1–9 digits of a decimal fraction of a second as
// nanoseconds.
func parseFraction(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	for i := len(b); i < 9; i++ {
		v *= 10
	}
	return v, true
}

// parseRFC3339UTC parses the spelling feeds send, "yyyy-mm-ddThh:mm:ss[.f]Z"
// with 1–9 fraction digits, to the same time.Time as
// time.Parse(time.RFC3339Nano, s).UTC() (FuzzParseRFC3339UTC checks it); ok
// is false for any other spelling, which the caller gives to time.Parse.
func parseRFC3339UTC(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[len(b)-1] != 'Z' {
		return time.Time{}, false
	}
	return civilDateTime(b[:10], b[11:len(b)-1])
}

// civilDateTime reads a date "yyyy?mm?dd" (its separators are the
// caller's to check) and a time of day "hh:mm:ss[.fraction]" as a UTC
// time; ok is false for any other shape and for a date or time that does
// not exist.
func civilDateTime(date, clock []byte) (time.Time, bool) {
	if len(date) != 10 || len(clock) < 8 || clock[2] != ':' || clock[5] != ':' {
		return time.Time{}, false
	}
	y1, ok1 := digits2(date[0:2])
	y2, ok2 := digits2(date[2:4])
	mo, ok3 := digits2(date[5:7])
	d, ok4 := digits2(date[8:10])
	h, ok5 := digits2(clock[0:2])
	mi, ok6 := digits2(clock[3:5])
	s, ok7 := digits2(clock[6:8])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return time.Time{}, false
	}
	ns := 0
	if rest := clock[8:]; len(rest) > 0 {
		var ok bool
		if rest[0] != '.' {
			return time.Time{}, false
		}
		if ns, ok = parseFraction(rest[1:]); !ok {
			return time.Time{}, false
		}
	}
	return civilTime(y1*100+y2, mo, d, h, mi, s, ns)
}
