package truce

import (
	"context"
	"regexp"
	"time"
)

// PartyKind says what a member organisation is.
type PartyKind string

// Party kinds.
const (
	PartyGuarantor    PartyKind = "guarantor"    // a state party to an agreement
	PartyMonitor      PartyKind = "monitor"      // an observer mission
	PartyHumanitarian PartyKind = "humanitarian" // a UN agency or NGO
	PartyCoordinator  PartyKind = "coordinator"  // the conduit that transmits notifications
)

// Valid reports whether k is a known party kind.
func (k PartyKind) Valid() bool {
	switch k {
	case PartyGuarantor, PartyMonitor, PartyHumanitarian, PartyCoordinator:
		return true
	}
	return false
}

// Party is a member organisation with accounts and an Ed25519 signing key.
type Party struct {
	ID   string    `json:"id"`
	Slug string    `json:"slug"`
	Name string    `json:"name"`
	Kind PartyKind `json:"kind"`
	// PublicKey is the party's Ed25519 verifier key in the C2SP signed-note
	// format ("name+hash+base64").
	PublicKey string `json:"public_key"`
	// Custodial is true when the server generated the key and keeps the
	// private half in its data directory; false when the party holds it.
	Custodial    bool      `json:"custodial"`
	CreatedAt    time.Time `json:"created_at"`
	Version      int64     `json:"version"`
	JournalIndex int64     `json:"journal_index"`
}

// PartyCreate is the input to PartyService.CreateParty. Leave PublicKey empty
// for a custodial party: the server generates the key pair.
type PartyCreate struct {
	Slug      string    `json:"slug" required:"true"`
	Name      string    `json:"name" required:"true"`
	Kind      PartyKind `json:"kind" required:"true"`
	PublicKey string    `json:"public_key,omitempty"`
}

// PartyFilter selects parties. Cursor and Limit page through results.
type PartyFilter struct {
	Kind   PartyKind
	Cursor string
	Limit  int
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidSlug reports whether s is a valid slug: lower-case letters, digits and
// hyphens, starting with a letter or digit, at most 63 characters.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// Validate checks a PartyCreate; it returns EINVALID errors.
func (c *PartyCreate) Validate() error {
	switch {
	case !ValidSlug(c.Slug):
		return Errorf(EINVALID, "Invalid slug %q: use 1-63 lower-case letters, digits and hyphens.", c.Slug)
	case c.Name == "":
		return Errorf(EINVALID, "Party name is required (at most %d characters).", MaxNameLen)
	case !c.Kind.Valid():
		return Errorf(EINVALID, "Unknown party kind %q: use guarantor, monitor, humanitarian or coordinator.", c.Kind)
	}
	if err := CheckText("name", c.Name, MaxNameLen, false); err != nil {
		return err
	}
	return CheckText("public_key", c.PublicKey, MaxPublicKeyLen, false)
}

// PartyService manages parties.
type PartyService interface {
	// CreateParty adds a party. Admin only. Returns EINVALID, ECONFLICT
	// (slug taken), EFORBIDDEN.
	CreateParty(ctx context.Context, c PartyCreate) (*Party, error)
	// FindParty returns a party by id or slug. Returns ENOTFOUND.
	FindParty(ctx context.Context, idOrSlug string) (*Party, error)
	// ListParties returns a page of parties and the cursor of the next page
	// ("" when there is none).
	ListParties(ctx context.Context, f PartyFilter) ([]*Party, string, error)
	// RotatePartyKey replaces the verifier key of the caller's party, which
	// holds its own key, with the one a KeyRotation note announces; the
	// note is journalled with the party's new version. Party
	// administrators only. Returns EINVALID, EUNPROCESSABLE (a signature
	// that does not verify), EFORBIDDEN, EPRECONDITION.
	RotatePartyKey(ctx context.Context, r KeyRotation) (*Party, error)
}
