package accounts

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
	"golang.org/x/mod/sumdb/note"
)

// RotatePartyKey replaces the verifier key of the caller's party, which
// holds its own key, by the one a rotation note announces
// (truce.KeyRotationText). The note must be signed by the party's
// current key (which authorises the change) and by the new key (which
// proves the party holds it); it is journalled in the party's new
// version's entry, so the journal holds every key the party has had and
// when (PartyKeyAt).
func (s *Service) RotatePartyKey(ctx context.Context, r truce.KeyRotation) (*truce.Party, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.Require(truce.RolePartyAdmin); err != nil {
		return nil, err
	}
	if err := truce.CheckText("note", r.Note, truce.MaxSignatureLen, true); err != nil {
		return nil, err
	}
	ps, err := journal.Vouched(ctx, s.Journal, "party", []*truce.Party{a.Party}, partyID)
	if err != nil {
		return nil, err
	}
	p := ps[0]
	if p.Custodial {
		return nil, truce.Errorf(truce.EINVALID, "The server keeps party %s's key: only a party that holds its own key rotates it.", p.Slug)
	}
	// The note's text is read before its signatures, to know the new key.
	text, _, found := cutNote(r.Note)
	if !found {
		return nil, truce.Errorf(truce.EINVALID, "The note is not a signed note.")
	}
	slug, oldKey, newKey, err := truce.ParseKeyRotation(text)
	if err != nil {
		return nil, err
	}
	switch {
	case slug != p.Slug:
		return nil, truce.Errorf(truce.EFORBIDDEN, "The note rotates the key of party %s; you act for %s.", slug, p.Slug)
	case oldKey != p.PublicKey:
		return nil, truce.Errorf(truce.EPRECONDITION, "The note replaces a key that is not party %s's current key.", p.Slug)
	case newKey == oldKey:
		return nil, truce.Errorf(truce.EINVALID, "The new key is the current key.")
	}
	oldV, err := note.NewVerifier(oldKey)
	if err != nil {
		return nil, err
	}
	newV, err := note.NewVerifier(newKey)
	if err != nil || newV.Name() != p.Slug {
		return nil, truce.Errorf(truce.EINVALID, "The new key is not a C2SP signed-note Ed25519 verifier key named %s.", p.Slug)
	}
	n, err := note.Open([]byte(r.Note), note.VerifierList(oldV, newV))
	if err != nil {
		return nil, truce.Errorf(truce.EUNPROCESSABLE, "The rotation note does not verify with party %s's current key.", p.Slug)
	}
	signedBy := func(v note.Verifier) bool {
		return slices.ContainsFunc(n.Sigs, func(g note.Signature) bool { return g.Name == v.Name() && g.Hash == v.KeyHash() })
	}
	if !signedBy(oldV) {
		return nil, truce.Errorf(truce.EUNPROCESSABLE, "The rotation note is not signed by party %s's current key.", p.Slug)
	}
	if !signedBy(newV) {
		return nil, truce.Errorf(truce.EUNPROCESSABLE, "The rotation note is not signed by the new key: sign it with both.")
	}
	return write(ctx, s, a, func(tx Tx, w *journal.Writer) (*truce.Party, error) {
		q := *p
		q.PublicKey = newKey
		q.Version++
		// The body is the party's new version (what vouching reads) with
		// the note that authorised it.
		q.JournalIndex = w.Journal(truce.Change{Kind: "party", Subject: q.ID, Body: keyRotationBody{&q, r.Note},
			Visibility: truce.Visibility{Scope: truce.ScopeAll}, Event: changed()})
		return &q, tx.UpdatePartyKey(ctx, &q)
	})
}

// keyRotationBody is the journal body of a key rotation.
type keyRotationBody struct {
	*truce.Party
	KeyRotation string `json:"key_rotation"`
}

// cutNote splits a signed note into its text and signature block.
func cutNote(msg string) (text, sigs string, ok bool) {
	for i := len(msg) - 2; i >= 0; i-- {
		if msg[i] == '\n' && msg[i+1] == '\n' {
			return msg[:i+1], msg[i+2:], true
		}
	}
	return "", "", false
}

// PartyKeyAt returns the verifier key party partyID had when the journal
// entry at index was written: the key of its last party entry before it.
// A decision is verified with the key valid at its time, not the current
// one.
func (s *Service) PartyKeyAt(ctx context.Context, partyID string, index int64) (string, error) {
	rs, err := s.Journal.SubjectEntries(ctx, "party", partyID)
	if err != nil {
		return "", err
	}
	key := ""
	for _, r := range rs {
		if r.Index >= index {
			break
		}
		var p truce.Party
		if err := json.Unmarshal(r.Body, &p); err != nil {
			return "", err
		}
		key = p.PublicKey
	}
	if key == "" {
		return "", truce.Errorf(truce.ENOTFOUND, "Party %s had no key at entry %d.", partyID, index)
	}
	return key, nil
}
