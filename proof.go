package truce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// InclusionProof proves that a journal entry is a leaf of the tree that a
// signed checkpoint commits to (an RFC 6962 inclusion proof). Checkpoint is
// the C2SP signed note with every witness cosignature the log holds.
type InclusionProof struct {
	Checkpoint string   `json:"checkpoint"`
	TreeSize   int64    `json:"tree_size"`
	Hashes     []string `json:"hashes"` // base64 SHA-256, the leaf's sibling first
}

// ConsistencyProof proves that the tree of size Old is a prefix of the tree
// of size New (RFC 6962 consistency proof). The checkpoints are the signed
// notes for those sizes when the log signed one.
type ConsistencyProof struct {
	Old           int64    `json:"old"`
	New           int64    `json:"new"`
	Hashes        []string `json:"hashes"`
	OldCheckpoint string   `json:"old_checkpoint,omitempty"`
	NewCheckpoint string   `json:"new_checkpoint,omitempty"`
}

// RecordProofs are the proofs of every journal entry of one record, oldest
// first. Each is a self-contained truce.org/record-proof@v1 document (see
// package ledger) that `truce log verify-proof` checks offline.
//
// Kind and Subject label the bundle; a verifier refuses a bundle whose
// labels differ from its entries', or whose entries do not chain (each
// entry's "prev" is the index of the one before it, the first has none).
// PartyKeys, when the records carry party signatures (a zone's decisions),
// are the record proofs, with bodies, of every journalled record of each
// signing party, oldest first, so that an offline verifier checks every
// signature with the key the party had at the time (see PartyKeys). A
// verifier that predates PartyKeys ignores it.
type RecordProofs struct {
	Kind      string            `json:"kind"`
	Subject   string            `json:"subject"`
	Proofs    []json.RawMessage `json:"proofs"`
	PartyKeys []json.RawMessage `json:"party_keys,omitempty"`
}

// ProofService proves journal entries against the signed log. Any
// authenticated user may have a proof (the entries are public in the log);
// a record's body and salt are included only for those who may read it.
type ProofService interface {
	// JournalEntryProof returns the entry, as JournalEntry does, and its
	// inclusion proof against the latest signed checkpoint; the proof is
	// nil while the entry is newer than that checkpoint. Returns ENOTFOUND.
	JournalEntryProof(ctx context.Context, index int64) (*JournalRecord, *InclusionProof, error)
	// RecordProofs returns a record proof for every journal entry of the
	// record kind/subject. Returns ENOTFOUND, and EUNAVAILABLE while its
	// latest entry is not yet in a signed checkpoint (retry in a second).
	RecordProofs(ctx context.Context, kind, subject string) (*RecordProofs, error)
	// ConsistencyProof proves the signed tree of size new extends the tree
	// of size old. Returns EINVALID, and ENOTFOUND if no signed checkpoint
	// reaches new.
	ConsistencyProof(ctx context.Context, old, new int64) (*ConsistencyProof, error)
}

// PartySignature is one party's signature that a journalled record body
// carries: a C2SP signed note over Statement, made with the party's key.
type PartySignature struct {
	Party     string // the signing party's id
	User      string // the user who made the act, where the body says
	Note      string // the signed note as journalled
	Statement string // the text the note must sign, rebuilt from the body
	// Index is the journal index of the act signed; the party's key is the
	// one its journal records last before that index.
	Index int64
	What  string // what was signed, for messages: "zone Z version 2 approval"
}

// SignaturesInBody returns the party signatures in the body of the journal
// entry at index of the given kind (nil for kinds that carry none). A
// decision's act is its own journal index where the body records one that
// is not after index, else index itself: the entry that carries a decision
// is written after the decision's index is known only on some stores.
//
// Kinds that carry signatures, and where: "zone" — every decision of
// "version" and of "superseded", signed over DecisionStatement;
// "agreement" — every decision of "proposal" and of "signed", signed over
// AgreementDecisionStatement, and every notice of withdrawal, signed over
// WithdrawalStatement (of the text digest it names);
// "transmission" — the answer, signed over AnswerStatement; "breach" —
// the guarantor's response, signed over BreachResponseStatement;
// "incident" — every decision (verify, dispute, reject), signed over
// IncidentDecisionStatement. A new kind
// of signed record adds its case here, so that verify-proof and the audit
// check it.
func SignaturesInBody(kind string, index int64, body []byte) ([]PartySignature, error) {
	switch kind {
	case "zone":
		var b struct {
			Version    *ZoneVersion `json:"version"`
			Superseded *ZoneVersion `json:"superseded"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			return nil, fmt.Errorf("zone body: %v", err)
		}
		var out []PartySignature
		for _, v := range []*ZoneVersion{b.Superseded, b.Version} {
			if v == nil {
				continue
			}
			for _, d := range v.Decisions {
				st, err := DecisionStatement(v, d.Approve)
				if err != nil {
					return nil, err
				}
				at := index
				if d.JournalIndex > 0 && d.JournalIndex <= index {
					at = d.JournalIndex
				}
				word := "rejection"
				if d.Approve {
					word = "approval"
				}
				out = append(out, PartySignature{Party: d.PartyID, User: d.UserID, Note: d.Signature, Statement: st, Index: at,
					What: fmt.Sprintf("zone %s version %d %s", v.ZoneID, v.Version, word)})
			}
		}
		return out, nil
	case "agreement":
		var a Agreement
		if err := json.Unmarshal(body, &a); err != nil {
			return nil, fmt.Errorf("agreement body: %v", err)
		}
		at := func(idx int64) int64 {
			if idx > 0 && idx <= index {
				return idx
			}
			return index
		}
		var out []PartySignature
		for _, p := range []*AgreementProposal{a.Signed, a.Proposal} {
			if p == nil {
				continue
			}
			for _, d := range p.Decisions {
				st, err := AgreementDecisionStatement(a.ID, p, d.Approve)
				if err != nil {
					return nil, err
				}
				out = append(out, PartySignature{Party: d.PartyID, User: d.UserID, Note: d.Signature, Statement: st, Index: at(d.JournalIndex),
					What: fmt.Sprintf("agreement %s proposal %d (%s) %s", a.ID, p.Number, p.Action, decisionWord(d.Approve))})
			}
		}
		for _, n := range a.Notices {
			out = append(out, PartySignature{Party: n.PartyID, User: n.UserID, Note: n.Signature, Statement: withdrawalStatement(a.ID, n.PartyID, n.TextDigest),
				Index: at(n.JournalIndex), What: fmt.Sprintf("agreement %s notice of withdrawal", a.ID)})
		}
		return out, nil
	case "transmission":
		return transmissionSignatures(index, body)
	case "breach":
		return breachSignatures(index, body)
	case "incident":
		return incidentSignatures(index, body)
	}
	return nil, nil
}

// CheckBodyLabels checks that a record body names the record its entry
// does: a body with an "id" names the entry's subject, a zone body's zone
// and version name it too. A body that says it is another record than its
// entry would let a proof show one record under another's name.
func CheckBodyLabels(e Entry, body []byte) error {
	var b struct {
		ID      *string              `json:"id"`
		Zone    *struct{ ID string } `json:"zone"`
		Version *struct {
			ZoneID string `json:"zone_id"`
		} `json:"version"`
	}
	// A body that is not an object (or whose fields have other types)
	// names nothing to compare.
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	say := func(field, got string) error {
		return fmt.Errorf("the body's %s is %q, but the entry's subject is %q", field, got, e.Subject)
	}
	if b.ID != nil && *b.ID != e.Subject {
		return say("id", *b.ID)
	}
	if e.Kind == "zone" {
		if b.Zone != nil && b.Zone.ID != e.Subject {
			return say("zone id", b.Zone.ID)
		}
		if b.Version != nil && b.Version.ZoneID != e.Subject {
			return say("version's zone id", b.Version.ZoneID)
		}
	}
	return nil
}

// ErrPartySignature is wrapped when a party signature in a journalled body
// does not verify with the key the journal records for that party.
var ErrPartySignature = errors.New("party signature does not verify")

// PartyKeys is the history of the parties' keys as the journal records
// them: each journalled party record (kind "party", subject the party's id)
// carries the party's public key from its index on. A key rotation journals
// the party record anew, so the key that checks a signature is the one
// recorded last before the signed act, and a signature made after a
// rotation with the old key does not verify.
type PartyKeys struct {
	keys  map[string][]partyKey // by party id, in index order
	slugs map[string]string     // by party id, the latest record's
}

type partyKey struct {
	index int64
	key   string
}

// Add records the party body journalled at index. Records may be added in
// any order; the same index twice must carry the same key.
func (k *PartyKeys) Add(index int64, e Entry, body []byte) error {
	if e.Kind != "party" {
		return fmt.Errorf("entry %d is a %s record, not a party's", index, e.Kind)
	}
	var p struct {
		ID        string `json:"id"`
		Slug      string `json:"slug"`
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return fmt.Errorf("party record at entry %d: %v", index, err)
	}
	if p.ID != e.Subject {
		return fmt.Errorf("party record at entry %d is of party %q, its entry says %q", index, p.ID, e.Subject)
	}
	if k.keys == nil {
		k.keys, k.slugs = map[string][]partyKey{}, map[string]string{}
	}
	ks := k.keys[p.ID]
	if len(ks) == 0 || index > ks[len(ks)-1].index {
		k.slugs[p.ID] = p.Slug
	}
	i := sort.Search(len(ks), func(i int) bool { return ks[i].index >= index })
	if i < len(ks) && ks[i].index == index {
		if ks[i].key != p.PublicKey {
			return fmt.Errorf("two party records at entry %d", index)
		}
		return nil
	}
	k.keys[p.ID] = slices.Insert(ks, i, partyKey{index, p.PublicKey})
	return nil
}

// Name returns how messages name a party: its slug and id when a record
// of it is known, else its id.
func (k *PartyKeys) Name(party string) string {
	if slug := k.slugs[party]; slug != "" {
		return slug + " (" + party + ")"
	}
	return party
}

// KeyAt returns the key of party recorded last before index, and the index
// of the record that holds it; ok is false when no record comes before.
func (k *PartyKeys) KeyAt(party string, index int64) (key string, at int64, ok bool) {
	ks := k.keys[party]
	i := sort.Search(len(ks), func(i int) bool { return ks[i].index >= index })
	if i == 0 {
		return "", 0, false
	}
	return ks[i-1].key, ks[i-1].index, true
}

// Verify checks s against the key the journal records for its party at the
// time of the act. Errors wrap ErrPartySignature, except for a party with no
// record before the act, which the caller may lack rather than the log.
func (k *PartyKeys) Verify(s PartySignature) error {
	key, at, ok := k.KeyAt(s.Party, s.Index)
	if !ok {
		return fmt.Errorf("%s: no journalled key of party %s before entry %d", s.What, s.Party, s.Index)
	}
	bad := func(why string) error {
		return fmt.Errorf("%w: %s by party %s: %s (key of entry %d)", ErrPartySignature, s.What, k.Name(s.Party), why, at)
	}
	if s.Note == "" {
		return bad("it is not signed")
	}
	switch err := VerifySignedNote(s.Note, s.Statement, key); {
	case errors.Is(err, ErrNoteSignature):
		return bad("the signature does not verify with the party's key")
	case errors.Is(err, ErrNoteStatement):
		return bad("the signed text is not the statement of this decision")
	case err != nil:
		return bad("the journalled key is not a signed-note verifier key")
	}
	return nil
}
