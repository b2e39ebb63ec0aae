package observation

import (
	"context"
	"encoding/json"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// Publication is a daily report as the monitoring mission published it:
// the SHA-256 of the report's bytes, journalled, so that the report
// served later as published is provably the one published. A day is
// published again as a new version (a correction), with its reason.
type Publication struct {
	// ID is the day, YYYY-MM-DD (UTC).
	ID     string `json:"id"`
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
	// Totals are the report's, for a reader of the journal entry.
	Totals       Totals    `json:"totals"`
	Reason       string    `json:"reason,omitempty"`
	PartyID      string    `json:"party_id"`
	UserID       string    `json:"user_id"`
	PublishedAt  time.Time `json:"published_at"`
	Version      int       `json:"version"`
	JournalIndex int64     `json:"journal_index"`
}

// PublishedReport is a published report with its publication.
type PublishedReport struct {
	Publication *Publication    `json:"publication"`
	Report      json.RawMessage `json:"report"`
}

func publicationID(p *Publication) string { return p.ID }

// PublishInput asks to publish the report of a day.
type PublishInput struct {
	// Day is YYYY-MM-DD (UTC).
	Day    string `json:"day" required:"true"`
	Reason string `json:"reason,omitempty"`
}

// PublishReport publishes the daily report of a day as it stands: its
// bytes are kept and their SHA-256 journalled. The monitoring mission's
// operators publish; publishing a day again needs a reason. EFORBIDDEN,
// EINVALID.
func (s *Service) PublishReport(ctx context.Context, day time.Time, reason string) (*PublishedReport, error) {
	a, err := truce.RequireCaller(ctx)
	if err != nil {
		return nil, err
	}
	if err := CanDecide(a, ActionVerify); err != nil {
		return nil, truce.Errorf(truce.EFORBIDDEN, "Only an operator of the monitoring mission publishes the daily report.")
	}
	if err := truce.CheckText("reason", reason, truce.MaxTextLen, false); err != nil {
		return nil, err
	}
	rep, err := s.DailyReport(ctx, day)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return nil, err
	}
	p := &Publication{ID: rep.Day, SHA256: hexSum(b), Size: len(b), Totals: rep.Total, Reason: reason,
		PartyID: a.Party.ID, UserID: a.User.ID, PublishedAt: s.Now(), Version: 1}
	out, err := journal.Write(ctx, s.Journal, s.Store, a, func(tx Tx, w *journal.Writer) (*Publication, error) {
		p := *p
		old, err := tx.Publication(ctx, p.ID)
		switch {
		case err == nil:
			if p.Reason == "" {
				return nil, truce.Errorf(truce.EINVALID, "The report of %s was published already; give the reason for publishing it again.", p.ID)
			}
			p.Version = old.Version + 1
		case truce.ErrorCode(err) != truce.ENOTFOUND:
			return nil, err
		}
		p.JournalIndex = w.Journal(truce.Change{Kind: "report", Subject: p.ID, Body: &p, New: p.Version == 1,
			Visibility: truce.Visibility{Scope: truce.ScopeAll}})
		return &p, tx.PutPublication(ctx, &p, b)
	})
	if err != nil {
		return nil, err
	}
	return &PublishedReport{Publication: out, Report: b}, nil
}

// PublishedReport returns the report of a day as published, its bytes
// checked against the SHA-256 its journal entry holds (EINTEGRITY
// otherwise); ENOTFOUND when the day was not published.
func (s *Service) PublishedReport(ctx context.Context, day time.Time) (*PublishedReport, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	id := day.UTC().Format(time.DateOnly)
	var b []byte
	p, err := journal.VouchedFind(ctx, s.Journal, "report", func(ctx context.Context) (p *Publication, err error) {
		p, b, err = s.Store.Publication(ctx, id)
		return p, err
	}, publicationID)
	if err != nil {
		return nil, err
	}
	if hexSum(b) != p.SHA256 {
		return nil, s.Journal.Refuse("report "+id, "The published report of "+id+" is not the one whose hash was journalled")
	}
	return &PublishedReport{Publication: p, Report: b}, nil
}
