package truce

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// MaxEntrySize is the largest journal entry (leaf) accepted: C2SP
// tlog-tiles entry bundles prefix each entry with a big-endian uint16
// length. It is ledger.MaxEntrySize, the one limit, repeated here so that
// the vocabulary imports no engine (a test holds the two equal).
const MaxEntrySize = 1<<16 - 1

// Entry is one journal entry: a leaf of the RFC 6962 Merkle log. It commits
// to the record's body by hash only, so the public log proves history without
// disclosing content; BodyHash = SHA-256(salt || canonical body).
type Entry struct {
	Kind     string    `json:"kind"`
	Subject  string    `json:"subject"`
	Party    string    `json:"party"`
	User     string    `json:"user"`
	Time     time.Time `json:"time"`
	BodyHash string    `json:"body_hash"`
	Prev     *int64    `json:"prev,omitempty"`
}

// Leaf returns the entry's RFC 8785 (JCS) canonical JSON, the bytes that are
// hashed into the Merkle tree. The entry's members are fixed, so it is
// written directly rather than through a generic canonicaliser (it is on
// the journal's hot path); TestEntryLeaf_JCS checks it against
// github.com/gowebpki/jcs.
func (e *Entry) Leaf() ([]byte, error) {
	b := make([]byte, 0, 192+len(e.Kind)+len(e.Subject))
	// Members in the order of their UTF-16 code units (all ASCII here).
	b = append(b, `{"body_hash":`...)
	b = appendJCSString(b, e.BodyHash)
	b = append(b, `,"kind":`...)
	b = appendJCSString(b, e.Kind)
	b = append(b, `,"party":`...)
	b = appendJCSString(b, e.Party)
	if e.Prev != nil {
		b = append(b, `,"prev":`...)
		b = strconv.AppendInt(b, *e.Prev, 10)
	}
	b = append(b, `,"subject":`...)
	b = appendJCSString(b, e.Subject)
	b = append(b, `,"time":`...)
	b = appendJCSString(b, e.Time.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"user":`...)
	b = appendJCSString(b, e.User)
	return append(b, '}'), nil
}

// appendJCSString writes s as RFC 8785 (ECMAScript JSON.stringify) does:
// only '"', '\\' and control characters are escaped, with the short forms
// where there is one and lower-case \u00xx otherwise; invalid UTF-8 is
// replaced by U+FFFD, as a JSON parser would read it.
func appendJCSString(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s { // an invalid byte reads as U+FFFD, as json.Marshal writes it
		switch {
		case r == '"':
			b = append(b, '\\', '"')
		case r == '\\':
			b = append(b, '\\', '\\')
		case r == '\b':
			b = append(b, '\\', 'b')
		case r == '\f':
			b = append(b, '\\', 'f')
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xF])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// Change is what a state change records in the journal: the entry's kind and
// subject, the record body (any JSON value) and who may read that body.
type Change struct {
	Kind       string
	Subject    string
	Body       any
	Visibility Visibility
	// New says the subject is a record created by this change, so it has
	// no previous entry and the store need not look one up.
	New bool
	// Event, when set, is published in the change's transaction (see
	// Tx.Publish) with the change's kind, subject, journal index and
	// visibility where it leaves them unset.
	Event *Event
}

// JournalRecord is an entry as stored: its index, leaf bytes, and the body
// and salt beside it. Body and Salt are nil when the reader may not see them.
type JournalRecord struct {
	Index      int64           `json:"index"`
	Entry      Entry           `json:"entry"`
	Leaf       []byte          `json:"leaf"`
	Body       json.RawMessage `json:"body,omitempty"`
	Salt       []byte          `json:"salt,omitempty"`
	Visibility Visibility      `json:"visibility"`
}

// SealedChange is a Change made ready for the store: the canonical body, a
// fresh salt and the entry (whose Prev the store fills in).
type SealedChange struct {
	Entry      Entry
	Body       []byte
	Salt       []byte
	Visibility Visibility
	New        bool
}

// Seal canonicalises the change's body (RFC 8785, AppendCanonical), draws a 32-byte salt and computes the
// body hash. party and user identify the actor making the change.
func (c Change) Seal(party, user string, now time.Time) (*SealedChange, error) {
	raw, err := json.Marshal(c.Body)
	if err != nil {
		// A record JSON cannot carry (a NaN) is refused for what it is.
		return nil, Errorf(EINVALID, "The %s record cannot be journalled: %s", c.Kind, err.Error())
	}
	return c.SealJSON(raw, party, user, now)
}

// SealJSON is Seal with the body already encoded as JSON (raw): the
// document a store wrote for the record, so that the entry commits to the
// record exactly as stored, and the body is encoded once.
func (c Change) SealJSON(raw []byte, party, user string, now time.Time) (*SealedChange, error) {
	body, err := AppendCanonical(make([]byte, 0, len(raw)), raw)
	if err != nil {
		return nil, Errorf(EINVALID, "The %s record cannot be journalled: %s", c.Kind, err.Error())
	}
	return c.SealCanonical(body, party, user, now), nil
}

// SealCanonical is Seal with the body already in canonical form: written
// by the record's own canonical encoder (Alert.AppendCanonicalJSON).
func (c Change) SealCanonical(body CanonicalJSON, party, user string, now time.Time) *SealedChange {
	salt := make([]byte, 32)
	rand.Read(salt)
	return &SealedChange{
		Entry: Entry{Kind: c.Kind, Subject: c.Subject, Party: party, User: user,
			Time: now.UTC().Truncate(time.Microsecond), BodyHash: BodyHash(salt, body)},
		Body: body, Salt: salt, Visibility: c.Visibility, New: c.New,
	}
}

// BodyHash returns hex(SHA-256(salt || body)).
func BodyHash(salt, body []byte) string {
	h := sha256.New()
	h.Write(salt)
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// JournalService reads the journal.
type JournalService interface {
	// JournalEntry returns the entry at index; the body and salt only when
	// the caller may read them. Returns ENOTFOUND.
	JournalEntry(ctx context.Context, index int64) (*JournalRecord, error)
	// ListJournal returns entries from index start (inclusive), at most
	// limit, and the next start (-1 at the end).
	ListJournal(ctx context.Context, start int64, limit int) ([]*JournalRecord, int64, error)
}
