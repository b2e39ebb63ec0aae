package ledger

import (
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
)

// ErrPolicy is wrapped when a checkpoint lacks the signatures a Policy asks for.
var ErrPolicy = errors.New("ledger: checkpoint does not satisfy the policy")

// Policy is what a verifier trusts: the log's key, the witnesses' cosignature
// keys, how many distinct witnesses must have cosigned (k of n), and which
// witnesses must have cosigned whatever the quorum (a party typically
// requires its own witness: a checkpoint it has not cosigned may show that
// party a view of the log the others do not see).
type Policy struct {
	Log       note.Verifier
	Witnesses []note.Verifier
	Quorum    int
	// Required are witnesses whose cosignature every checkpoint must
	// carry; each is also counted towards the quorum.
	Required []note.Verifier
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

// Require returns the policy with the witnesses of the given cosignature
// verifier keys required: a checkpoint without a valid cosignature of each
// does not satisfy it. A required witness not among p.Witnesses is added.
func (p Policy) Require(witnessKeys ...string) (Policy, error) {
	q := p
	q.Witnesses = append([]note.Verifier(nil), p.Witnesses...)
	q.Required = append([]note.Verifier(nil), p.Required...)
	for _, k := range witnessKeys {
		wv, err := NewCosignatureVerifier(k)
		if err != nil {
			return Policy{}, err
		}
		q.Required = append(q.Required, wv)
		known := false
		for _, w := range q.Witnesses {
			known = known || (w.Name() == wv.Name() && w.KeyHash() == wv.KeyHash())
		}
		if !known {
			q.Witnesses = append(q.Witnesses, wv)
		}
	}
	return q, nil
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
	for _, r := range p.Required {
		if !seen[fmt.Sprintf("%s/%08x", r.Name(), r.KeyHash())] {
			return Checkpoint{}, names, fmt.Errorf("%w: no cosignature of the required witness %s", ErrPolicy, r.Name())
		}
	}
	return c, names, nil
}
