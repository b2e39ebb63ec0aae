package partykey

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/humanitarian"
	"golang.org/x/mod/sumdb/note"
)

// Answerer is what a client needs to answer a humanitarian transmission
// with its own key: the transmission, the party it is to, the versions of
// the record it notifies, the server's statement and the answer itself.
// api.Client implements it.
type Answerer interface {
	Transmission(ctx context.Context, id string) (*humanitarian.Transmission, error)
	FindParty(ctx context.Context, idOrSlug string) (*truce.Party, error)
	SiteVersions(ctx context.Context, id string) ([]*humanitarian.Site, error)
	MovementVersions(ctx context.Context, id string) ([]*humanitarian.Movement, error)
	AnswerStatement(ctx context.Context, id string, in humanitarian.AnswerInput) (string, error)
}

// Signing is what a party signs when it answers a transmission, as the
// client read and checked it: the statement, and the notified version it
// names (the site's or the movement's, its hash computed here).
type Signing struct {
	Statement    string
	Fields       *truce.AnswerStatementFields
	Transmission *humanitarian.Transmission
	Party        *truce.Party
	Site         *humanitarian.Site     // when the record is a site
	Movement     *humanitarian.Movement // when it is a movement
}

// Summary says in a few lines what is signed: the answer, the record
// version (name, kind, where, when), its notifying party and hash.
func (s *Signing) Summary() string {
	var b strings.Builder
	word := "an acknowledgement (" + humanitarian.ReceiptNotPermission + ")"
	if s.Fields.Concern {
		word = "a concern"
	}
	fmt.Fprintf(&b, "Signing %s as party %s of transmission %s:\n", word, s.Party.Slug, s.Transmission.ID)
	switch {
	case s.Site != nil:
		x := s.Site
		fmt.Fprintf(&b, "  site %s %q (%s, %s) version %d, %s, notified %s\n", x.ID, x.Name, x.Category, x.Organisation, x.Version, x.Change, x.NotifiedAt.UTC().Format(time.RFC3339))
		fmt.Fprintf(&b, "  geometry %s, buffer %.0f m, P-codes %s\n", compact(x.Geometry), x.BufferM, strings.Join(x.PCodes, " "))
	case s.Movement != nil:
		m := s.Movement
		fmt.Fprintf(&b, "  movement %s %q (%s) version %d, departure %s to %s, arrival by %s\n", m.ID, m.Name, m.Organisation, m.Version,
			m.Departure.From.UTC().Format(time.RFC3339), m.Departure.To.UTC().Format(time.RFC3339), m.Arrival.To.UTC().Format(time.RFC3339))
		fmt.Fprintf(&b, "  route %s, corridor %.0f m, P-codes %s\n", compact(m.Route), m.CorridorM, strings.Join(m.PCodes, " "))
	}
	fmt.Fprintf(&b, "  hash %s (computed here from the version as read)\n", s.Fields.Hash)
	return b.String()
}

// compact shortens a GeoJSON geometry for a summary line.
func compact(raw []byte) string {
	const most = 160
	if len(raw) > most {
		return string(raw[:most]) + "…"
	}
	return string(raw)
}

// CheckAnswerStatement reads what a transmission notifies and checks the
// server's statement against it before anything is signed: the statement
// must parse, name this transmission, its kind, record, version and hash,
// the party the transmission is to (which must be the key's party, on
// record with this very key), the answer asked for (acknowledgement or
// concern, the concern's text hash and window), and the hash must be that
// of the version as read here. A server that hands over any other text
// gets no signature.
func CheckAnswerStatement(ctx context.Context, c Answerer, k *Key, id string, in humanitarian.AnswerInput) (*Signing, error) {
	if err := humanitarian.CheckAnswer(&in); err != nil {
		return nil, err
	}
	t, err := c.Transmission(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.ID != id {
		return nil, fmt.Errorf("refusing to sign: asked for transmission %s, the server returned %s", id, t.ID)
	}
	p, err := c.FindParty(ctx, t.To)
	if err != nil {
		return nil, err
	}
	switch {
	case p.ID != t.To:
		return nil, fmt.Errorf("refusing to sign: transmission %s is to party %s, the server returned party %s", id, t.To, p.ID)
	case p.Slug != k.Signer.Name():
		return nil, fmt.Errorf("refusing to sign: transmission %s is to party %s, and this key is %s's", id, p.Slug, k.Signer.Name())
	case p.PublicKey != k.Verifier:
		return nil, fmt.Errorf("refusing to sign: party %s's key on record (%s) is not this key (%s)", p.Slug, keyID(p.PublicKey), keyID(k.Verifier))
	}
	s := &Signing{Transmission: t, Party: p}
	var hash string
	switch t.Kind {
	case humanitarian.KindSite:
		vs, err := c.SiteVersions(ctx, t.RecordID)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if v.ID == t.RecordID && v.Version == t.RecordVersion {
				s.Site = v
			}
		}
		if s.Site == nil {
			return nil, fmt.Errorf("refusing to sign: site %s has no version %d", t.RecordID, t.RecordVersion)
		}
		hash, err = humanitarian.VersionHash(s.Site)
		if err != nil {
			return nil, err
		}
	case humanitarian.KindMovement:
		vs, err := c.MovementVersions(ctx, t.RecordID)
		if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if v.ID == t.RecordID && v.Version == t.RecordVersion {
				s.Movement = v
			}
		}
		if s.Movement == nil {
			return nil, fmt.Errorf("refusing to sign: movement %s has no version %d", t.RecordID, t.RecordVersion)
		}
		hash, err = humanitarian.MovementHash(s.Movement)
		if err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("refusing to sign: transmission %s notifies a %q, neither a site nor a movement", id, t.Kind)
	}
	if hash != t.Hash {
		return nil, fmt.Errorf("refusing to sign: transmission %s names hash %s, but %s %s version %d as read hashes to %s", id, t.Hash, t.Kind, t.RecordID, t.RecordVersion, hash)
	}
	st, err := c.AnswerStatement(ctx, id, in)
	if err != nil {
		return nil, err
	}
	f, err := truce.ParseAnswerStatement(st)
	if err != nil {
		return nil, fmt.Errorf("refusing to sign: %w", err)
	}
	word := map[bool]string{true: "a concern", false: "an acknowledgement"}
	switch {
	case f.Concern != in.Concern:
		return nil, fmt.Errorf("refusing to sign: the server's statement is of %s, not of %s", word[f.Concern], word[in.Concern])
	case f.Transmission != t.ID:
		return nil, fmt.Errorf("refusing to sign: the server's statement names transmission %s, not %s", f.Transmission, t.ID)
	case f.Kind != t.Kind || f.Record != t.RecordID || f.Version != t.RecordVersion:
		return nil, fmt.Errorf("refusing to sign: the server's statement names %s %s version %d, not %s %s version %d", f.Kind, f.Record, f.Version, t.Kind, t.RecordID, t.RecordVersion)
	case f.Hash != hash:
		return nil, fmt.Errorf("refusing to sign: the server's statement carries hash %s, but the version as read hashes to %s", f.Hash, hash)
	case f.Party != p.ID:
		return nil, fmt.Errorf("refusing to sign: the server's statement names party %s, not %s (%s)", f.Party, p.ID, p.Slug)
	}
	if in.Concern {
		h := sha256.Sum256([]byte(in.Text))
		if f.TextSHA256 != hex.EncodeToString(h[:]) {
			return nil, errors.New("refusing to sign: the server's statement carries the hash of another concern text")
		}
	}
	// Every line matched; the text must also be exactly the format's (no
	// window other than the one asked for, no extra spaces or lines).
	if want := humanitarian.Statement(t, in); want != st {
		return nil, errors.New("refusing to sign: the server's statement is not the answer statement of this transmission and answer")
	}
	s.Statement, s.Fields = st, f
	return s, nil
}

// Sign signs a checked statement with the party's key.
func (s *Signing) Sign(k *Key) (string, error) {
	msg, err := note.Sign(&note.Note{Text: s.Statement}, k.Signer)
	if err != nil {
		return "", err
	}
	return string(msg), nil
}

// keyID is a verifier key's name and hash, for messages.
func keyID(vkey string) string {
	parts := strings.SplitN(vkey, "+", 3)
	return strings.Join(parts[:min(2, len(parts))], "+")
}
