package ledger

import (
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// ErrPolicy is wrapped when a checkpoint lacks the signatures a Policy asks for.
var ErrPolicy = errors.New("ledger: checkpoint does not satisfy the policy")

// Policy is what a verifier trusts: the log's key, the witnesses' cosignature
// keys, and how many distinct witnesses must have cosigned (k of n).
type Policy struct {
	Log       note.Verifier
	Witnesses []note.Verifier
	Quorum    int
}

// NewPolicy builds a Policy from verifier keys as the CLI takes them
// (--key, --witness ...); quorum 0 asks for no cosignature.
func NewPolicy(logKey string, witnessKeys []string, quorum int) (Policy, error) {
	lv, err := note.NewVerifier(logKey)
	if err != nil {
		return Policy{}, fmt.Errorf("%w: log key: %v", ErrKey, err)
	}
	p := Policy{Log: lv, Quorum: quorum}
	for _, k := range witnessKeys {
		wv, err := NewCosignatureVerifier(k)
		if err != nil {
			return Policy{}, err
		}
		p.Witnesses = append(p.Witnesses, wv)
	}
	if quorum < 0 || quorum > len(p.Witnesses) {
		return Policy{}, fmt.Errorf("%w: quorum %d of %d witnesses", ErrPolicy, quorum, len(p.Witnesses))
	}
	return p, nil
}

// Verify opens a cosigned checkpoint: the log's signature must verify, any
// signature by a known key that fails is an error (note.Open's rule), and at
// least Quorum distinct witnesses must have cosigned. It returns the parsed
// checkpoint and the names of the witnesses that cosigned.
func (p Policy) Verify(signedNote []byte) (Checkpoint, []string, error) {
	if p.Log == nil {
		return Checkpoint{}, nil, fmt.Errorf("%w: no log key", ErrPolicy)
	}
	c, _, err := OpenCheckpoint(signedNote, p.Log)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	if len(p.Witnesses) == 0 {
		if p.Quorum > 0 {
			return Checkpoint{}, nil, fmt.Errorf("%w: quorum %d with no witness keys", ErrPolicy, p.Quorum)
		}
		return c, nil, nil
	}
	n, err := note.Open(signedNote, note.VerifierList(p.Witnesses...))
	var unverified *note.UnverifiedNoteError
	switch {
	case errors.As(err, &unverified):
		n = unverified.Note
	case err != nil:
		return Checkpoint{}, nil, fmt.Errorf("%w: %v", ErrPolicy, err)
	}
	var names []string
	seen := map[string]bool{}
	for _, s := range n.Sigs {
		id := fmt.Sprintf("%s/%08x", s.Name, s.Hash)
		if !seen[id] {
			seen[id] = true
			names = append(names, s.Name)
		}
	}
	if len(names) < p.Quorum {
		return Checkpoint{}, names, fmt.Errorf("%w: %d of the %d witness cosignatures required", ErrPolicy, len(names), p.Quorum)
	}
	return c, names, nil
}
