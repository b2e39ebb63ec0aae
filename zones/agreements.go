package zones

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
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
	c.Title, c.Reference = truce.Clean(c.Title), truce.Clean(c.Reference)
	switch {
	case c.Title == "":
		return nil, truce.Errorf(truce.EINVALID, "An agreement needs a title (at most %d characters).", truce.MaxTitleLen)
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
	sigs, err := s.signatories(ctx, c.Signatories)
	if err != nil {
		return nil, err
	}
	if c.Rules.Relay, err = s.checkRelay(ctx, c.Rules.Relay, sigs); err != nil {
		return nil, err
	}
	now := s.Now()
	ag := &truce.Agreement{ID: truce.NewID(), Title: c.Title, Reference: c.Reference, Signatories: sigs,
		EffectiveFrom: c.EffectiveFrom.UTC().Truncate(time.Microsecond), EffectiveTo: utcPtr(c.EffectiveTo),
		Status: truce.AgreementDraft, Rules: c.Rules.WithDefaults(), CreatedBy: a.Party.ID, CreatedAt: now, UpdatedAt: now, Version: 1,
		StatusHistory: []truce.StatusChange{{Status: truce.AgreementDraft, At: now}}}
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*truce.Agreement, error) {
		ag.JournalIndex = w.Journal(agreementChange(ag))
		return ag, tx.PutAgreement(ctx, ag)
	})
}

// signatories returns the party ids of an agreement's signatories, given
// by id or slug: 1 to 50 distinct parties that may sign.
func (s *Service) signatories(ctx context.Context, refs []string) ([]string, error) {
	if len(refs) == 0 || len(refs) > 50 {
		return nil, truce.Errorf(truce.EINVALID, "An agreement needs 1 to 50 signatory parties.")
	}
	for _, ref := range refs {
		if err := truce.CheckRef("signatory", ref); err != nil {
			return nil, err
		}
	}
	var sigs []string
	for _, ref := range refs {
		p, err := s.Accounts.Party(ctx, ref)
		if err != nil {
			return nil, err
		}
		if !p.Kind.CanSign() {
			return nil, truce.Errorf(truce.EINVALID, "Party %q is a %s; signatories are guarantor or coordinator parties.", p.Slug, p.Kind)
		}
		if slices.Contains(sigs, p.ID) {
			return nil, truce.Errorf(truce.EINVALID, "Party %q is named twice among the signatories.", ref)
		}
		sigs = append(sigs, p.ID)
	}
	return sigs, nil
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
	lim := truce.PageLimit(f.Limit)
	f.Limit = lim + 1
	var next string
	as, err := journal.Read(ctx, s.Journal, func(ctx context.Context) ([]*truce.Agreement, error) {
		as, err := s.Store.Agreements(ctx, f)
		if err != nil {
			return nil, err
		}
		as, next = truce.PageCursor(as, lim, func(a *truce.Agreement) string { return a.ID })
		for _, a := range as {
			if _, err := s.vouchAgreement(ctx, a); err != nil {
				return nil, err
			}
		}
		return as, nil
	})
	if err != nil {
		return nil, "", err
	}
	return as, next, nil
}

// UpdateAgreement changes a draft's text, period or rules.
func (s *Service) UpdateAgreement(ctx context.Context, id string, u truce.AgreementUpdate, ifVersion int64) (*truce.Agreement, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	return s.changeAgreement(ctx, id, ifVersion, nil, func(ag *truce.Agreement) error {
		// Who may is asked first, then whether the input is valid, then
		// whether the agreement's state allows the edit.
		if !truce.CanManageAgreement(a, ag, s.Now()) {
			return truce.CanEditDraft(a, ag, s.Now())
		}
		t, err := s.amendedText(ctx, ag.Text(), u)
		if err != nil {
			return err
		}
		if err := truce.CanEditDraft(a, ag, s.Now()); err != nil {
			return err
		}
		ag.Title, ag.Reference, ag.Signatories = t.Title, t.Reference, t.Signatories
		ag.EffectiveFrom, ag.EffectiveTo, ag.Rules = t.EffectiveFrom, t.EffectiveTo, t.Rules
		return nil
	})
}

// amendedText returns text with u applied and checked: what a draft's
// edit or an amendment makes of it.
func (s *Service) amendedText(ctx context.Context, t truce.AgreementText, u truce.AgreementUpdate) (truce.AgreementText, error) {
	if u.Title != nil {
		if t.Title = truce.Clean(*u.Title); t.Title == "" {
			return t, truce.Errorf(truce.EINVALID, "An agreement needs a title (at most %d characters).", truce.MaxTitleLen)
		}
	}
	if u.Reference != nil {
		t.Reference = truce.Clean(*u.Reference)
	}
	if err := checkAgreementText(t.Title, t.Reference); err != nil {
		return t, err
	}
	if u.Signatories != nil {
		sigs, err := s.signatories(ctx, u.Signatories)
		if err != nil {
			return t, err
		}
		t.Signatories = sigs
	}
	if u.EffectiveFrom != nil {
		t.EffectiveFrom = u.EffectiveFrom.UTC().Truncate(time.Microsecond)
	}
	if u.EffectiveTo != nil {
		t.EffectiveTo = utcPtr(u.EffectiveTo)
	}
	if t.EffectiveTo != nil && !t.EffectiveTo.After(t.EffectiveFrom) {
		return t, truce.Errorf(truce.EINVALID, "effective_to must be after effective_from.")
	}
	if u.Rules != nil {
		if err := u.Rules.Validate(); err != nil {
			return t, err
		}
		t.Rules = u.Rules.WithDefaults()
	}
	var err error
	if t.Rules.Relay, err = s.checkRelay(ctx, t.Rules.Relay, t.Signatories); err != nil {
		return t, err
	}
	return t, nil
}

// checkRelay checks the relay an agreement's rules name, by id or slug
// (none: nothing to check), and returns its party id: a coordinator
// party among its signatories sigs. Returns EINVALID.
func (s *Service) checkRelay(ctx context.Context, relay string, sigs []string) (string, error) {
	if relay == "" {
		return "", nil
	}
	p, err := s.Accounts.Party(ctx, relay)
	if truce.ErrorCode(err) == truce.ENOTFOUND {
		return "", truce.Errorf(truce.EINVALID, "rules.relay: no party %q.", relay)
	} else if err != nil {
		return "", err
	}
	if !slices.Contains(sigs, p.ID) {
		return "", truce.Errorf(truce.EINVALID, "rules.relay: party %q is not a signatory; the relay is a coordinator among the signatories.", p.Slug)
	}
	if p.Kind != truce.PartyCoordinator {
		return "", truce.Errorf(truce.EINVALID, "rules.relay: party %q is a %s; notifications are relayed by a coordinator party.", p.Slug, p.Kind)
	}
	return p.ID, nil
}

// ProposeAgreement puts a joint decision to an agreement's signatories.
func (s *Service) ProposeAgreement(ctx context.Context, id string, m truce.AgreementMotion, ifVersion int64) (*truce.Agreement, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := truce.CheckText("note", m.Note, truce.MaxTextLen, true); err != nil {
		return nil, err
	}
	if m.Text != nil && m.Action != truce.AgreementAmend {
		return nil, truce.Errorf(truce.EINVALID, "Only an amendment proposes a text; a %s proposal signs the text as it is.", m.Action)
	}
	if m.Action == truce.AgreementAmend && m.Text == nil {
		return nil, truce.Errorf(truce.EINVALID, "An amendment gives the text it changes (text).")
	}
	return s.changeAgreement(ctx, id, ifVersion, nil, func(ag *truce.Agreement) error {
		p := truce.AgreementProposal{Action: m.Action, Note: truce.Clean(m.Note)}
		if m.Text != nil {
			// Who may propose is asked before the text is read.
			if !truce.CanManageAgreement(a, ag, s.Now()) {
				return truce.Errorf(truce.EFORBIDDEN, "Only an administrator or an operator of a signatory or the coordinator can propose decisions on this agreement.")
			}
			t, err := s.amendedText(ctx, ag.Text(), *m.Text)
			if err != nil {
				return err
			}
			p.Text = t
		}
		n, err := truce.ProposeAgreement(a, ag, p, s.Now())
		if err != nil {
			return err
		}
		*ag = *n
		return nil
	})
}

// DecideAgreement records a signatory's signed decision on a proposal.
func (s *Service) DecideAgreement(ctx context.Context, id string, number int, d truce.ZoneDecision) (*truce.Agreement, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if !a.IsAdmin() && !a.User.HasRole(truce.RoleOperator) {
		return nil, truce.Errorf(truce.EFORBIDDEN, "Only an operator of a signatory party decides on agreements.")
	}
	if err := truce.CheckText("reason", d.Reason, truce.MaxTextLen, true); err != nil {
		return nil, err
	}
	if err := truce.CheckText("signature", d.Signature, truce.MaxSignatureLen, true); err != nil {
		return nil, err
	}
	// The decision as made on the agreement read; made again on the
	// agreement as the write reads it if another party's decision came in
	// between (the statement signed names the proposal, which a pending
	// proposal keeps: the rules decide whether it still stands).
	var dec truce.Decision
	again := func(ag *truce.Agreement) error {
		n, err := truce.DecideAgreement(ag, number, dec)
		if err != nil {
			return err
		}
		*ag = *n
		return nil
	}
	return s.changeAgreement(ctx, id, 0, again, func(ag *truce.Agreement) error {
		now := s.Now()
		// Who may decide is asked before the signature is checked (and
		// again, with the rest of the rules, as the decision is made).
		if err := truce.CanDecideAgreement(ag, number, a.Party.ID, now); err != nil {
			return err
		}
		statement, err := truce.AgreementDecisionStatement(ag.ID, ag.Proposal, d.Approve)
		if err != nil {
			return err
		}
		sig, err := s.partySignature(ctx, a.Party, statement, d.Signature)
		if err != nil {
			return err
		}
		dec = truce.Decision{PartyID: a.Party.ID, UserID: a.User.ID, Approve: d.Approve, Reason: truce.Clean(d.Reason), Signature: sig, DecidedAt: now}
		return again(ag)
	})
}

// GiveNotice records a signatory's signed notice of withdrawal.
func (s *Service) GiveNotice(ctx context.Context, id string, in truce.NoticeCreate) (*truce.Agreement, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := truce.CheckText("reason", in.Reason, truce.MaxTextLen, true); err != nil {
		return nil, err
	}
	if err := truce.CheckText("signature", in.Signature, truce.MaxSignatureLen, true); err != nil {
		return nil, err
	}
	// The notice as given on the agreement read; given again on the
	// agreement as the write reads it if it changed in between, provided
	// its text is still the one the notice signed.
	var n truce.WithdrawalNotice
	var statement string
	again := func(ag *truce.Agreement) error {
		if st, err := truce.WithdrawalStatement(ag, a.Party.ID); err != nil {
			return err
		} else if st != statement {
			return truce.Errorf(truce.ECONFLICT, "The text of agreement %q changed as the notice was given; sign the new statement.", ag.Title)
		}
		c, err := truce.GiveNotice(a, ag, n)
		if err != nil {
			return err
		}
		*ag = *c
		return nil
	}
	return s.changeAgreement(ctx, id, 0, again, func(ag *truce.Agreement) error {
		now := s.Now()
		n = truce.WithdrawalNotice{Reason: truce.Clean(in.Reason), GivenAt: now}
		// The rules are asked before the signature is made or checked.
		if _, err := truce.GiveNotice(a, ag, n); err != nil {
			return err
		}
		var err error
		if statement, err = truce.WithdrawalStatement(ag, a.Party.ID); err != nil {
			return err
		}
		if n.Signature, err = s.partySignature(ctx, a.Party, statement, in.Signature); err != nil {
			return err
		}
		return again(ag)
	})
}

// partySignature returns a party's signed note of statement (signDecision)
// made with the key the journal vouches for.
func (s *Service) partySignature(ctx context.Context, p *truce.Party, statement, given string) (string, error) {
	if err := s.Accounts.VouchParty(ctx, p); err != nil {
		return "", err
	}
	return s.signDecision(ctx, p, statement, given)
}

// changeAgreement reads an agreement as the journal vouches for it,
// applies edit, and journals the result (nothing if edit changed
// nothing). edit does its own authorisation. When another write changed
// the agreement in between, again (when not nil) makes the same change
// to the agreement as the write reads it; with again nil the change is
// refused (EPRECONDITION), as it was decided on a record that is gone.
func (s *Service) changeAgreement(ctx context.Context, id string, ifVersion int64, again, edit func(*truce.Agreement) error) (*truce.Agreement, error) {
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
	read := cur.Version
	cur.Version++
	cur.UpdatedAt = s.Now()
	decided, err := json.Marshal(cur)
	if err != nil {
		return nil, err
	}
	return journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*truce.Agreement, error) {
		// fn may run more than once: each run starts from the change as
		// decided.
		var out truce.Agreement
		if err := json.Unmarshal(decided, &out); err != nil {
			return nil, err
		}
		if again != nil {
			now, err := tx.Agreement(ctx, id)
			if err != nil {
				return nil, err
			}
			if now.Version != read {
				if err := again(now); err != nil {
					return nil, err
				}
				now.Version++
				now.UpdatedAt = out.UpdatedAt
				out = *now
			}
		}
		// Otherwise, if another write changed it since, PutAgreement
		// refuses (EPRECONDITION) and nothing is recorded. A decision or
		// notice made here carries the index of the entry that records it.
		agreementIndexes(&out, w.Journal(agreementChange(&out)))
		return &out, tx.PutAgreement(ctx, &out)
	})
}

// agreementIndexes sets the journal index of an agreement's entry on the
// record, and on the decisions and notices it made (those without one):
// what the write path sets after journalling, and what vouch.go sets on a
// body sealed before it was set (a store that appends as it journals).
func agreementIndexes(a *truce.Agreement, idx int64) {
	a.JournalIndex = idx
	var ds []*truce.Decision
	if p := a.Proposal; p != nil {
		for i := range p.Decisions {
			ds = append(ds, &p.Decisions[i])
		}
	}
	if p := a.Signed; p != nil {
		for i := range p.Decisions {
			ds = append(ds, &p.Decisions[i])
		}
	}
	for _, d := range ds {
		if d.JournalIndex == 0 {
			d.JournalIndex = idx
		}
	}
	for i := range a.Notices {
		if a.Notices[i].JournalIndex == 0 {
			a.Notices[i].JournalIndex = idx
		}
	}
}
