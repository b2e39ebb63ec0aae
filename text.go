package truce

import (
	"unicode"
	"unicode/utf8"
)

// Limits on free text, in characters (Unicode code points), as
// openapi.json states them with maxLength. Every free-text field a client
// sends is checked against one of them (CheckText), so no record, journal
// entry or log line carries an unbounded or unprintable string.
const (
	MaxNameLen      = 200  // names: parties, users, tokens, zones, feeds
	MaxTitleLen     = 300  // agreement titles
	MaxTextLen      = 2000 // notes, reasons, references
	MaxActivityLen  = 100  // prohibited activities
	MaxRefLen       = 100  // references to records: ids, slugs, usernames
	MaxPublicKeyLen = 500  // C2SP signed-note verifier keys
	MaxSignatureLen = 4000 // signed notes of decisions
)

// CheckText returns an EINVALID error naming field when s is not valid
// UTF-8, is longer than max characters, or holds a control character
// (C0, DEL or C1; PostgreSQL cannot store NUL in text, and a control
// character in a name is never meant). Multi-line text may hold line
// breaks and tabs.
func CheckText(field, s string, max int, multiline bool) error {
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "%s is not valid UTF-8.", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(EINVALID, "%s is %d characters, over the limit of %d.", field, n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return Errorf(EINVALID, "%s holds the control character %U; send printable text.", field, r)
		}
	}
	return nil
}

// CheckRef is CheckText for a reference to a record (an id, slug or
// username given to look one up).
func CheckRef(field, s string) error { return CheckText(field, s, MaxRefLen, false) }
