package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// maxSubjectLen bounds the kind and subject a proof request names.
const maxSubjectLen = 1024

// latestCheckpoint returns the latest signed note and its tree size; a log
// that has signed nothing yet is size -1.
func (s *Service) latestCheckpoint(ctx context.Context) ([]byte, int64, error) {
	if s.Ledger == nil {
		return nil, 0, truce.Errorf(truce.EUNAVAILABLE, "This server keeps no signed log.")
	}
	signed, err := s.Ledger.LatestCheckpoint(ctx)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, -1, nil
	}
	if err != nil {
		return nil, 0, err
	}
	size, err := checkpointSize(signed)
	if err != nil {
		return nil, 0, fmt.Errorf("stored checkpoint: %w", err)
	}
	return signed, size, nil
}

// checkpointSize parses the tree size of a signed checkpoint note; the
// signatures are not checked (the log wrote it; readers verify).
func checkpointSize(signed []byte) (int64, error) {
	i := bytes.LastIndex(signed, []byte("\n\n"))
	if i < 0 {
		return 0, ledger.ErrCheckpoint
	}
	c, err := ledger.ParseCheckpoint(signed[:i+1])
	return c.Size, err
}

func encodeHashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = ledger.EncodeHash(h)
	}
	return out
}

// JournalEntryProof returns an entry and its inclusion proof against the
// latest signed checkpoint (nil while the entry is not yet signed).
func (s *Service) JournalEntryProof(ctx context.Context, index int64) (*truce.JournalRecord, *truce.InclusionProof, error) {
	rec, err := s.JournalEntry(ctx, index)
	if err != nil {
		return nil, nil, err
	}
	signed, size, err := s.latestCheckpoint(ctx)
	if err != nil || index >= size {
		return rec, nil, err
	}
	hs, err := ledger.ProveInclusion(ctx, s.Ledger, index, size)
	if err != nil {
		return nil, nil, err
	}
	return rec, &truce.InclusionProof{Checkpoint: string(signed), TreeSize: size, Hashes: encodeHashes(hs)}, nil
}

// RecordProofs returns a ledger record proof for each entry of a record. The
// body and salt go in only when the caller may read the record, by the same
// visibility rule as every read.
func (s *Service) RecordProofs(ctx context.Context, kind, subject string) (*truce.RecordProofs, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if kind == "" || subject == "" || len(kind) > maxSubjectLen || len(subject) > maxSubjectLen {
		return nil, truce.Errorf(truce.EINVALID, "Name a record by a kind and an id of 1 to %d bytes.", maxSubjectLen)
	}
	signed, size, err := s.latestCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := s.Store.SubjectJournal(ctx, kind, subject)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, truce.Errorf(truce.ENOTFOUND, "No journal entry for %s %q.", kind, subject)
	}
	if last := rs[len(rs)-1].Index; last >= size {
		return nil, truce.Errorf(truce.EUNAVAILABLE, "Journal entry %d is not yet in a signed checkpoint; retry in a second.", last)
	}
	out := &truce.RecordProofs{Kind: kind, Subject: subject}
	var signers []string // parties whose signatures the readable bodies carry
	for _, r := range rs {
		b, err := s.recordProof(ctx, a, r, signed)
		if err != nil {
			return nil, err
		}
		out.Proofs = append(out.Proofs, b)
		if !r.Visibility.Allows(a) {
			continue
		}
		sigs, err := truce.SignaturesInBody(r.Entry.Kind, r.Index, r.Body)
		if err != nil {
			return nil, fmt.Errorf("journal entry %d: %w", r.Index, err)
		}
		for _, sig := range sigs {
			if !slices.Contains(signers, sig.Party) {
				signers = append(signers, sig.Party)
			}
		}
	}
	// The signers' party records, so that the proof carries the keys that
	// check their signatures (see truce.RecordProofs).
	for _, party := range signers {
		prs, err := s.Store.SubjectJournal(ctx, "party", party)
		if err != nil {
			return nil, err
		}
		for _, r := range prs {
			if r.Index >= size {
				break
			}
			b, err := s.recordProof(ctx, a, r, signed)
			if err != nil {
				return nil, err
			}
			out.PartyKeys = append(out.PartyKeys, b)
		}
	}
	return out, nil
}

// recordProof is the ledger record proof of one journal entry against the
// signed checkpoint, with its body and salt if a may read them.
func (s *Service) recordProof(ctx context.Context, a *truce.Caller, r *truce.JournalRecord, signed []byte) (json.RawMessage, error) {
	p, err := ledger.NewProof(ctx, s.Ledger, r.Index, signed)
	if err != nil {
		return nil, err
	}
	var body, salt []byte
	if r.Visibility.Allows(a) {
		body, salt = r.Body, r.Salt
	}
	rp, err := ledger.NewRecordProof(p, r.Leaf, body, salt)
	if err != nil {
		return nil, err
	}
	return json.Marshal(rp)
}

// ConsistencyProof proves that the tree of size old is a prefix of the
// signed tree of size new.
func (s *Service) ConsistencyProof(ctx context.Context, old, new int64) (*truce.ConsistencyProof, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	if old < 0 || new < old {
		return nil, truce.Errorf(truce.EINVALID, "Want 0 <= old <= new; got old=%d new=%d.", old, new)
	}
	_, size, err := s.latestCheckpoint(ctx)
	if err != nil {
		return nil, err
	}
	if new > size {
		return nil, truce.Errorf(truce.ENOTFOUND, "No signed checkpoint reaches tree size %d (latest is %d).", new, max(size, 0))
	}
	hs, err := ledger.ProveConsistency(ctx, s.Ledger, old, new)
	if err != nil {
		return nil, err
	}
	cp := &truce.ConsistencyProof{Old: old, New: new, Hashes: encodeHashes(hs)}
	for _, c := range []struct {
		size int64
		dst  *string
	}{{old, &cp.OldCheckpoint}, {new, &cp.NewCheckpoint}} {
		n, err := s.Ledger.Checkpoint(ctx, c.size)
		if err == nil {
			*c.dst = string(n)
		} else if !errors.Is(err, ledger.ErrNotFound) {
			return nil, err
		}
	}
	return cp, nil
}
