package observation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

func evidenceID(e *Evidence) string { return e.SHA256 }

func evidenceChange(e *Evidence) truce.Change {
	// The record names its uploader: only their party reads the body.
	return truce.Change{Kind: "evidence", Subject: e.SHA256, Body: e, New: true,
		Visibility: truce.Visibility{Scope: truce.ScopeParty, Owner: e.PartyID}}
}

// UploadEvidence stores an evidence file under the SHA-256 the client
// computed (sum), with the copy other parties download, and journals its
// record by that hash. Uploading a file the caller's party has uploaded
// already returns its record, so a retried upload is harmless.
// EFORBIDDEN for a caller who may not file observations, EINVALID for a
// hash that is not the file's or a type not accepted, ETOOLARGE over
// MaxEvidenceBytes, ECONFLICT for a file another party uploaded.
func (s *Service) UploadEvidence(ctx context.Context, sum string, data []byte) (*Evidence, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := CanFile(a); err != nil {
		return nil, err
	}
	sum = strings.ToLower(strings.TrimSpace(sum))
	if err := CheckSHA256("sha256", sum); err != nil {
		return nil, err
	}
	mt, kind, err := SniffEvidence(data)
	if err != nil {
		return nil, err
	}
	if got := hexSum(data); got != sum {
		return nil, truce.Errorf(truce.EINVALID, "The file's SHA-256 is %s, not %s: it was changed or cut on the way; upload it again.", got, sum)
	}
	if old, err := s.findEvidence(ctx, sum); err == nil {
		if old.PartyID != a.Party.ID {
			return nil, truce.Errorf(truce.ECONFLICT, "This file was uploaded by another party.")
		}
		return old, nil
	} else if truce.ErrorCode(err) != truce.ENOTFOUND {
		return nil, err
	}
	shared, removed, ok, err := StripMetadata(mt, data)
	if err != nil {
		return nil, err
	}
	e := &Evidence{SHA256: sum, Kind: kind, MediaType: mt, Size: int64(len(data)), Removed: removed,
		PartyID: a.Party.ID, UploadedBy: a.User.ID, CreatedAt: s.Now(), Version: 1}
	if ok {
		e.Shared, e.SharedSize = hexSum(shared), int64(len(shared))
	}
	out, err := journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Evidence, error) {
		e.JournalIndex = w.Journal(evidenceChange(e))
		if err := tx.PutEvidenceFile(ctx, e.SHA256, data); err != nil {
			return nil, err
		}
		if ok && e.Shared != e.SHA256 {
			if err := tx.PutEvidenceFile(ctx, e.Shared, shared); err != nil {
				return nil, err
			}
		}
		return e, tx.PutEvidence(ctx, e)
	})
	if truce.ErrorCode(err) == truce.ECONFLICT {
		// Uploaded at the same time by another request.
		if old, ferr := s.findEvidence(ctx, sum); ferr == nil && old.PartyID == a.Party.ID {
			return old, nil
		}
	}
	return out, err
}

func hexSum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// findEvidence reads an evidence record, checked against its journal entry.
func (s *Service) findEvidence(ctx context.Context, sum string) (*Evidence, error) {
	return journal.VouchedFind(ctx, s.Journal, "evidence", func(ctx context.Context) (*Evidence, error) {
		return s.Store.Evidence(ctx, sum)
	}, evidenceID)
}

// viewEvidence returns e as a may read it: another party's without its
// uploader.
func viewEvidence(a *truce.Caller, e *Evidence) *Evidence {
	if a.IsAdmin() || a.Party.ID == e.PartyID {
		return e
	}
	n := *e
	n.UploadedBy = ""
	return &n
}

// FindEvidence returns an evidence record as the caller may read it.
func (s *Service) FindEvidence(ctx context.Context, sum string) (*Evidence, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := CheckSHA256("sha256", sum); err != nil {
		return nil, err
	}
	e, err := s.findEvidence(ctx, sum)
	if err != nil {
		return nil, err
	}
	return viewEvidence(a, e), nil
}

// EvidenceFile returns an evidence file as the caller may download it,
// with its record: the file as uploaded to the uploader's party, the copy
// without metadata to the other parties (the record's Shared hash; the
// caller's party sees that copy with shared set). The bytes are checked
// against the hash the journal holds (EINTEGRITY otherwise). EFORBIDDEN
// for another party when the type's metadata cannot be removed.
func (s *Service) EvidenceFile(ctx context.Context, sum string, shared bool) (*Evidence, []byte, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, nil, err
	}
	e, err := s.FindEvidence(ctx, sum)
	if err != nil {
		return nil, nil, err
	}
	want := e.SHA256
	if shared || a.Party.ID != e.PartyID {
		if e.Shared == "" {
			return nil, nil, truce.Errorf(truce.EFORBIDDEN, "Evidence of type %s keeps metadata Truce cannot remove: only the uploading party downloads it.", e.MediaType)
		}
		want = e.Shared
	}
	b, err := s.Store.EvidenceFile(ctx, want)
	if err != nil {
		return nil, nil, err
	}
	if hexSum(b) != want {
		return nil, nil, s.Journal.Refuse("evidence file "+want, "The stored evidence file "+want+" is not the one journalled")
	}
	return e, b, nil
}

// checkEvidence returns EINVALID unless every hash an observation cites
// is of evidence the caller's party uploaded.
func (s *Service) checkEvidence(ctx context.Context, a *truce.Caller, sums []string) error {
	if len(sums) > MaxEvidencePerObservation {
		return truce.Errorf(truce.EINVALID, "An observation cites at most %d evidence files.", MaxEvidencePerObservation)
	}
	seen := map[string]bool{}
	for i, sum := range sums {
		if err := CheckSHA256("evidence", sum); err != nil {
			return err
		}
		if seen[sum] {
			return truce.Errorf(truce.EINVALID, "evidence[%d] cites %s twice.", i, sum)
		}
		seen[sum] = true
		// An evidence record never changes once journalled: the party
		// the journal vouched for is remembered.
		if p, ok := s.evidenceParty.Load(sum); ok {
			if p != a.Party.ID {
				return truce.Errorf(truce.EINVALID, "evidence[%d]: no file %s was uploaded by your party; upload it first.", i, sum)
			}
			continue
		}
		e, err := s.findEvidence(ctx, sum)
		if truce.ErrorCode(err) == truce.ENOTFOUND || (err == nil && e.PartyID != a.Party.ID) {
			return truce.Errorf(truce.EINVALID, "evidence[%d]: no file %s was uploaded by your party; upload it first.", i, sum)
		}
		if err != nil {
			return err
		}
		s.evidenceParty.Store(sum, e.PartyID)
	}
	return nil
}

// SHA256Hex returns the lower-case hex SHA-256 of b, as evidence is named.
func SHA256Hex(b []byte) string { return hexSum(b) }
