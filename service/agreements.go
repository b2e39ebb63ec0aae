package service

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

func agreementChange(a *truce.Agreement) truce.Change {
	return truce.Change{Kind: "agreement", Subject: a.ID, Body: a, Visibility: truce.Visibility{Scope: truce.ScopeAll}, New: a.Version == 1,
		Event: &truce.Event{Data: a}}
}

// CreateAgreement adds a draft agreement.
func (s *Service) CreateAgreement(ctx context.Context, c truce.AgreementCreate) (*truce.Agreement, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if !truce.CanCreateAgreement(a) {
		return nil, truce.Errorf(truce.EFORBIDDEN, "Only an administrator or an operator of a coordinator or guarantor party can create agreements.")
	}
	c.Title, c.Reference = clean(c.Title), clean(c.Reference)
	switch {
	case c.Title == "":
		return nil, truce.Errorf(truce.EINVALID, "An agreement needs a title (at most %d characters).", truce.MaxTitleLen)
	case len(c.Signatories) == 0 || len(c.Signatories) > 50:
		return nil, truce.Errorf(truce.EINVALID, "An agreement needs 1 to 50 signatory parties.")
	case c.EffectiveFrom.IsZero():
		return nil, truce.Errorf(truce.EINVALID, "effective_from is required.")
	case c.EffectiveTo != nil && !c.EffectiveTo.After(c.EffectiveFrom):
		return nil, truce.Errorf(truce.EINVALID, "effective_to must be after effective_from.")
	}
	if err := checkAgreementText(c.Title, c.Reference); err != nil {
		return nil, err
	}
	if err := c.Rules.Validate(); err != nil {
		return nil, err
	}
	for _, ref := range c.Signatories {
		if err := truce.CheckRef("signatory", ref); err != nil {
			return nil, err
		}
	}
	var sigs []string
	seen := map[string]bool{}
	for _, ref := range c.Signatories {
		p, err := s.Accounts.Party(ctx, ref)
		if err != nil {
			return nil, err
		}
		if !p.Kind.CanSign() {
			return nil, truce.Errorf(truce.EINVALID, "Party %q is a %s; signatories are guarantor or coordinator parties.", p.Slug, p.Kind)
		}
		if seen[p.ID] {
			return nil, truce.Errorf(truce.EINVALID, "Party %q is named twice among the signatories.", ref)
		}
		seen[p.ID] = true
		sigs = append(sigs, p.ID)
	}
	now := s.Now()
	ag := &truce.Agreement{ID: NewID(), Title: c.Title, Reference: c.Reference, Signatories: sigs,
		EffectiveFrom: c.EffectiveFrom.UTC().Truncate(time.Microsecond), EffectiveTo: utcPtr(c.EffectiveTo),
		Status: truce.AgreementDraft, Rules: c.Rules.WithDefaults(), CreatedBy: a.Party.ID, CreatedAt: now, UpdatedAt: now, Version: 1,
		StatusHistory: []truce.StatusChange{{Status: truce.AgreementDraft, At: now}}}
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx truce.Tx, w *journal.Writer) (*truce.Agreement, error) {
		ag.JournalIndex = w.Journal(agreementChange(ag))
		return ag, tx.PutAgreement(ctx, ag)
	})
}

// checkAgreementText checks an agreement's title and reference.
func checkAgreementText(title, reference string) error {
	if err := truce.CheckText("title", title, truce.MaxTitleLen, false); err != nil {
		return err
	}
	return truce.CheckText("reference", reference, truce.MaxTextLen, false)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// FindAgreement returns an agreement; agreements are visible to every
// member.
func (s *Service) FindAgreement(ctx context.Context, id string) (*truce.Agreement, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	return s.VouchedAgreement(ctx, id)
}

// ListAgreements returns a page of agreements.
func (s *Service) ListAgreements(ctx context.Context, f truce.AgreementFilter) ([]*truce.Agreement, string, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, "", err
	}
	if f.Party != "" {
		p, err := s.Accounts.Party(ctx, f.Party)
		if err != nil {
			return nil, "", err
		}
		f.Party = p.ID
	}
	lim := pageLimit(f.Limit)
	f.Limit = lim + 1
	as, err := s.Store.Agreements(ctx, f)
	if err != nil {
		return nil, "", err
	}
	as, next := pageCursor(as, lim, func(a *truce.Agreement) string { return a.ID })
	for _, a := range as {
		if _, err := s.vouchAgreement(ctx, a); err != nil {
			return nil, "", err
		}
	}
	return as, next, nil
}

// UpdateAgreement changes an agreement's text, period or rules.
func (s *Service) UpdateAgreement(ctx context.Context, id string, u truce.AgreementUpdate, ifVersion int64) (*truce.Agreement, error) {
	return s.changeAgreement(ctx, id, ifVersion, func(ag *truce.Agreement) error {
		if ag.Status == truce.AgreementTerminated {
			return truce.Errorf(truce.ECONFLICT, "Agreement %q is terminated.", ag.ID)
		}
		if u.Title != nil {
			if t := clean(*u.Title); t == "" {
				return truce.Errorf(truce.EINVALID, "An agreement needs a title (at most %d characters).", truce.MaxTitleLen)
			} else {
				ag.Title = t
			}
		}
		if u.Reference != nil {
			ag.Reference = clean(*u.Reference)
		}
		if err := checkAgreementText(ag.Title, ag.Reference); err != nil {
			return err
		}
		if u.EffectiveFrom != nil {
			ag.EffectiveFrom = u.EffectiveFrom.UTC().Truncate(time.Microsecond)
		}
		if u.EffectiveTo != nil {
			ag.EffectiveTo = utcPtr(u.EffectiveTo)
		}
		if ag.EffectiveTo != nil && !ag.EffectiveTo.After(ag.EffectiveFrom) {
			return truce.Errorf(truce.EINVALID, "effective_to must be after effective_from.")
		}
		if u.Rules != nil {
			if err := u.Rules.Validate(); err != nil {
				return err
			}
			ag.Rules = u.Rules.WithDefaults()
		}
		return nil
	})
}

// SetAgreementStatus moves an agreement to another status.
func (s *Service) SetAgreementStatus(ctx context.Context, id string, to truce.AgreementStatus, ifVersion int64) (*truce.Agreement, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	return s.changeAgreement(ctx, id, ifVersion, func(ag *truce.Agreement) error {
		moved, err := truce.MoveAgreement(a, ag, to, s.Now())
		if err != nil {
			return err
		}
		*ag = *moved
		return nil
	})
}

func (s *Service) changeAgreement(ctx context.Context, id string, ifVersion int64, edit func(*truce.Agreement) error) (*truce.Agreement, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	// A change journals the whole record: never from a row that does not
	// match the journal (that would make the log vouch for it).
	cur, err := s.VouchedAgreement(ctx, id)
	if err != nil {
		return nil, err
	}
	if !truce.CanManageAgreement(a, cur) {
		return nil, truce.Errorf(truce.EFORBIDDEN, "Only an administrator or an operator of a signatory or the coordinator can change this agreement.")
	}
	if ifVersion != 0 && ifVersion != cur.Version {
		return nil, truce.Errorf(truce.EPRECONDITION, "Agreement %q is at version %d, not %d.", id, cur.Version, ifVersion)
	}
	before, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	if err := edit(cur); err != nil {
		return nil, err
	}
	// A change that changes nothing (a PATCH with the values the
	// agreement has) records nothing: the answer is the current record.
	if after, err := json.Marshal(cur); err == nil && bytes.Equal(before, after) {
		return cur, nil
	}
	cur.Version++
	cur.UpdatedAt = s.Now()
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx truce.Tx, w *journal.Writer) (*truce.Agreement, error) {
		cur.JournalIndex = w.Journal(agreementChange(cur))
		return cur, tx.PutAgreement(ctx, cur)
	})
}
