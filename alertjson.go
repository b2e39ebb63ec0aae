package truce

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendCanonicalJSON appends the RFC 8785 canonical JSON of a: the bytes
// AppendCanonical makes of json.Marshal(a), written in one pass. An
// engine's alert is journalled with its document as the entry's body, and
// encoding it with reflection and then canonicalising the result cost
// every alert two passes over its evidence. The members are written in
// the order of their names; TestAlert_AppendCanonicalJSON holds it to
// json.Marshal and AppendCanonical for every field of Alert, so that a
// field added to Alert and not here fails it.
func (a *Alert) AppendCanonicalJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, '{')
	first := true
	name := func(n string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, n...)
		b = append(b, '"', ':')
	}
	optTime := func(n string, t *time.Time) {
		if t != nil && err == nil {
			name(n)
			b, err = appendCanonicalTime(b, *t)
		}
	}
	optString := func(n, v string) {
		if v != "" {
			name(n)
			b = appendCanonicalString(b, v)
		}
	}
	optRaw := func(n string, raw json.RawMessage) {
		if len(raw) > 0 && err == nil {
			name(n)
			b, err = AppendCanonical(b, raw)
		}
	}
	optMarshal := func(n string, v any, empty bool) {
		if empty || err != nil {
			return
		}
		var raw []byte
		if raw, err = json.Marshal(v); err == nil {
			name(n)
			b, err = AppendCanonical(b, raw)
		}
	}
	optTime("acknowledged_at", a.AcknowledgedAt)
	optString("acknowledged_by", a.AcknowledgedBy)
	optMarshal("acks", a.Acks, len(a.Acks) == 0)
	name("aircraft")
	if a.Aircraft == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range a.Aircraft {
			if i > 0 {
				b = append(b, ',')
			}
			b = a.Aircraft[i].appendCanonicalJSON(b)
		}
		b = append(b, ']')
	}
	if a.AltM != nil && err == nil {
		name("alt_m")
		b, err = appendCanonicalFloat(b, *a.AltM)
	}
	optTime("closed_at", a.ClosedAt)
	optString("closed_by", a.ClosedBy)
	optRaw("end_evidence", a.EndEvidence)
	optString("end_reason", a.EndReason)
	optTime("ended_at", a.EndedAt)
	optString("ended_by", a.EndedBy)
	optString("episode", a.Episode)
	optRaw("evidence", a.Evidence)
	optMarshal("history", a.History, len(a.History) == 0)
	name("id")
	b = appendCanonicalString(b, a.ID)
	name("journal_index")
	b = appendCanonicalInt(b, a.JournalIndex)
	name("kind")
	b = appendCanonicalString(b, string(a.Kind))
	if err == nil {
		name("lat")
		b, err = appendCanonicalFloat(b, a.Lat)
	}
	if err == nil {
		name("lon")
		b, err = appendCanonicalFloat(b, a.Lon)
	}
	optString("note", a.Note)
	if len(a.Parties) > 0 {
		name("parties")
		b = append(b, '[')
		for i, p := range a.Parties {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonicalString(b, p)
		}
		b = append(b, ']')
	}
	if a.Relocated {
		name("relocated")
		b = append(b, "true"...)
	}
	name("state")
	b = appendCanonicalString(b, string(a.State))
	name("summary")
	b = appendCanonicalString(b, a.Summary)
	if err == nil {
		name("time")
		b, err = appendCanonicalTime(b, a.Time)
	}
	name("version")
	b = appendCanonicalInt(b, a.Version)
	optString("zone_id", a.ZoneID)
	optString("zone_name", a.ZoneName)
	b = append(b, '}')
	return b, err
}

func (x *AlertAircraft) appendCanonicalJSON(b []byte) []byte {
	b = append(b, '{')
	if x.Callsign != "" {
		b = append(b, `"callsign":`...)
		b = appendCanonicalString(b, x.Callsign)
		b = append(b, ',')
	}
	b = append(b, `"icao":`...)
	b = appendCanonicalString(b, x.ICAO)
	if x.Party != "" {
		b = append(b, `,"party":`...)
		b = appendCanonicalString(b, x.Party)
	}
	if x.Squawk != "" {
		b = append(b, `,"squawk":`...)
		b = appendCanonicalString(b, x.Squawk)
	}
	return append(b, '}')
}

// AppendCanonicalString appends s as a JSON string in RFC 8785 form, as
// json.Marshal and then AppendCanonical write it: invalid UTF-8 as
// U+FFFD, escaped as JSON.stringify escapes.
func AppendCanonicalString(b []byte, s string) []byte { return appendCanonicalString(b, s) }

// AppendCanonicalFloat appends f as a JSON number in RFC 8785 form
// (ECMAScript's Number::toString); NaN and infinities are refused, as
// json.Marshal refuses them.
func AppendCanonicalFloat(b []byte, f float64) ([]byte, error) { return appendCanonicalFloat(b, f) }

// AppendCanonicalTime appends t as a JSON string, as time.Time's
// MarshalJSON writes it (RFC 3339 with nanoseconds; years 0 to 9999).
func AppendCanonicalTime(b []byte, t time.Time) ([]byte, error) { return appendCanonicalTime(b, t) }

func appendCanonicalString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = appendCanonicalRune(b, r)
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendCanonicalFloat writes f as ECMAScript's Number::toString; JSON
// has no NaN or infinity.
func appendCanonicalFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, errors.New("json: unsupported value: " + strconv.FormatFloat(f, 'g', -1, 64))
	}
	return appendES6Number(b, f), nil
}

// appendCanonicalInt writes v as a JSON number read as a double and
// written back as ECMAScript does (exact below 10^15).
func appendCanonicalInt(b []byte, v int64) []byte {
	if v > -1e15 && v < 1e15 {
		return strconv.AppendInt(b, v, 10)
	}
	return appendES6Number(b, float64(v))
}

// appendCanonicalTime writes t as time.Time's MarshalJSON does (RFC 3339
// with nanoseconds, refused outside years 0 to 9999), a string that needs
// no escape.
func appendCanonicalTime(b []byte, t time.Time) ([]byte, error) {
	out, err := t.AppendText(append(b, '"'))
	if err != nil {
		return b, err
	}
	return append(out, '"'), nil
}
