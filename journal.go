package truce

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gowebpki/jcs"
)

// MaxEntrySize is the largest journal entry (leaf) accepted, so that entry
// bundles stay within what C2SP tlog-tiles clients expect.
const MaxEntrySize = 64 << 10

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
// hashed into the Merkle tree.
func (e *Entry) Leaf() ([]byte, error) {
	b, err := json.Marshal(struct {
		Kind     string `json:"kind"`
		Subject  string `json:"subject"`
		Party    string `json:"party"`
		User     string `json:"user"`
		Time     string `json:"time"`
		BodyHash string `json:"body_hash"`
		Prev     *int64 `json:"prev,omitempty"`
	}{e.Kind, e.Subject, e.Party, e.User, e.Time.UTC().Format(time.RFC3339Nano), e.BodyHash, e.Prev})
	if err != nil {
		return nil, err
	}
	return jcs.Transform(b)
}

// Change is what a state change records in the journal: the entry's kind and
// subject, the record body (any JSON value) and who may read that body.
type Change struct {
	Kind       string
	Subject    string
	Body       any
	Visibility Visibility
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
}

// Seal canonicalises the change's body, draws a 32-byte salt and computes the
// body hash. party and user identify the actor making the change.
func (c Change) Seal(party, user string, now time.Time) (*SealedChange, error) {
	raw, err := json.Marshal(c.Body)
	if err != nil {
		return nil, fmt.Errorf("journal body: %w", err)
	}
	body, err := jcs.Transform(raw)
	if err != nil {
		return nil, fmt.Errorf("journal body: %w", err)
	}
	salt := make([]byte, 32)
	rand.Read(salt)
	return &SealedChange{
		Entry: Entry{Kind: c.Kind, Subject: c.Subject, Party: party, User: user,
			Time: now.UTC().Truncate(time.Microsecond), BodyHash: BodyHash(salt, body)},
		Body: body, Salt: salt, Visibility: c.Visibility,
	}, nil
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
