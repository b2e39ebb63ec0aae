package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
)

// verifyProofFile checks a file holding one record proof or the proofs of a
// record (as `truce log proof` saves them, truce.RecordProofs) and returns
// what each proved. Any proof that fails fails the whole file, and so do a
// bundle whose labels (kind, subject) are not its entries', entries that do
// not chain, a body that names another record, and a party signature that
// does not verify with the key the log recorded for that party when it
// signed (the party records the bundle carries in party_keys, themselves
// proved).
func verifyProofFile(data []byte, policy ledger.Policy) ([]VerifiedRecord, error) {
	var bundle truce.RecordProofs
	isBundle := json.Unmarshal(data, &bundle) == nil && bundle.Proofs != nil
	proofs := []json.RawMessage{data}
	if isBundle {
		proofs = bundle.Proofs
	}
	if len(proofs) == 0 {
		return nil, errors.New("the file holds no proof")
	}
	keys := &truce.PartyKeys{}
	if err := addPartyKeys(keys, bundle.PartyKeys, policy); err != nil {
		return nil, err
	}
	var out []VerifiedRecord
	for i, p := range proofs {
		v, body, err := verifyOne(p, policy)
		if err != nil {
			return nil, fmt.Errorf("proof %d of %d: %w", i+1, len(proofs), err)
		}
		e := v.Entry
		if isBundle {
			if e.Kind != bundle.Kind || e.Subject != bundle.Subject {
				return nil, fmt.Errorf("label mismatch: the file is labelled %s %q, but its entry %d is %s %q", bundle.Kind, bundle.Subject, v.Index, e.Kind, e.Subject)
			}
			switch {
			case i == 0 && e.Prev != nil:
				return nil, fmt.Errorf("label mismatch: entry %d follows entry %d of the record, which the file lacks", v.Index, *e.Prev)
			case i > 0 && (e.Prev == nil || *e.Prev != out[i-1].Index):
				return nil, fmt.Errorf("label mismatch: entry %d does not follow entry %d, the file's previous entry of the record (its prev is %s)", v.Index, out[i-1].Index, prevText(e.Prev))
			}
		}
		if body != nil {
			if v.Signatures, err = checkBody(keys, v.Index, e, body); err != nil {
				return nil, err
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// verifyOne checks one record proof and returns what it proved and the
// body, if it carried a verified one.
func verifyOne(p json.RawMessage, policy ledger.Policy) (VerifiedRecord, []byte, error) {
	res, err := ledger.VerifyRecordProof(p, policy)
	if err != nil {
		return VerifiedRecord{}, nil, err
	}
	var rp ledger.RecordProof
	json.Unmarshal(p, &rp) // VerifyRecordProof decoded it strictly already
	tp, err := ledger.ParseProof([]byte(rp.TlogProof))
	if err != nil {
		return VerifiedRecord{}, nil, err
	}
	_, names, err := policy.Verify(tp.Checkpoint)
	if err != nil {
		return VerifiedRecord{}, nil, err
	}
	v := VerifiedRecord{Index: res.Index, Origin: res.Checkpoint.Origin, TreeSize: res.Checkpoint.Size,
		RootHash: ledger.EncodeHash(res.Checkpoint.Hash), Witnesses: names, BodyVerified: res.BodyVerified}
	if err := json.Unmarshal(res.Entry, &v.Entry); err != nil {
		return VerifiedRecord{}, nil, fmt.Errorf("the entry is not a Truce journal entry: %v", err)
	}
	if !res.BodyVerified {
		return v, nil, nil
	}
	return v, rp.Body, nil
}

// checkBody checks what a verified body says against its entry and the
// party keys known so far: the record it names, and every party signature
// it carries. A party record adds its key. It returns the signatures that
// verified, described.
func checkBody(keys *truce.PartyKeys, index int64, e truce.Entry, body []byte) ([]string, error) {
	if err := truce.CheckBodyLabels(e, body); err != nil {
		return nil, fmt.Errorf("label mismatch: entry %d: %w", index, err)
	}
	if e.Kind == "party" {
		if err := keys.Add(index, e, body); err != nil {
			return nil, err
		}
	}
	sigs, err := truce.SignaturesInBody(e.Kind, index, body)
	if err != nil {
		return nil, fmt.Errorf("entry %d: %w", index, err)
	}
	var ok []string
	for _, s := range sigs {
		// The act this entry records is made by the entry's party and
		// user: the entry cannot name another than the signer.
		if s.Index == index && (s.Party != e.Party || (s.User != "" && s.User != e.User)) {
			return nil, fmt.Errorf("label mismatch: entry %d says party %s, user %s made it, but its %s is by party %s, user %s",
				index, e.Party, e.User, s.What, keys.Name(s.Party), s.User)
		}
		if err := keys.Verify(s); err != nil {
			if errors.Is(err, truce.ErrPartySignature) {
				return nil, fmt.Errorf("entry %d: %w", index, err)
			}
			return nil, fmt.Errorf("entry %d: cannot check a party signature: %w (the file lacks the party's records: download the proof again with truce log proof)", index, err)
		}
		ok = append(ok, s.What+" by party "+keys.Name(s.Party))
	}
	return ok, nil
}

// addPartyKeys verifies the party records a bundle carries and adds their
// keys. Each party's records must be its whole history up to the last one
// given: the first with no predecessor, each following the one before, so
// that no key rotation can be left out in between.
func addPartyKeys(keys *truce.PartyKeys, proofs []json.RawMessage, policy ledger.Policy) error {
	byParty := map[string][]VerifiedRecord{}
	for i, p := range proofs {
		v, body, err := verifyOne(p, policy)
		if err != nil {
			return fmt.Errorf("party key %d of %d: %w", i+1, len(proofs), err)
		}
		if v.Entry.Kind != "party" {
			return fmt.Errorf("label mismatch: party key %d of %d is entry %d, a %s record", i+1, len(proofs), v.Index, v.Entry.Kind)
		}
		if body == nil {
			return fmt.Errorf("party key %d of %d (entry %d) carries no body, so no key", i+1, len(proofs), v.Index)
		}
		if _, err := checkBody(keys, v.Index, v.Entry, body); err != nil {
			return err
		}
		byParty[v.Entry.Subject] = append(byParty[v.Entry.Subject], v)
	}
	for party, vs := range byParty {
		sort.Slice(vs, func(i, j int) bool { return vs[i].Index < vs[j].Index })
		for i, v := range vs {
			if (i == 0 && v.Entry.Prev != nil) || (i > 0 && (v.Entry.Prev == nil || *v.Entry.Prev != vs[i-1].Index)) {
				return fmt.Errorf("the key history of party %s is incomplete: its entry %d follows entry %s, which the file lacks", party, v.Index, prevText(v.Entry.Prev))
			}
		}
	}
	return nil
}

func prevText(p *int64) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}
