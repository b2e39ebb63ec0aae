package humanitarian

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// errNothingDue ends a sweep's write that found no notice due.
var errNothingDue = errors.New("humanitarian: no notice due")

// sweepPage is how many due transmissions a sweep reads at once.
const sweepPage = 100

// Sweep sends the reminders and raises the "acknowledgement overdue"
// alerts due now (DueNotice), each journalled in its own write with the
// notice that records it was sent, so that a notice is sent once per
// transmission whatever restarts or other servers do. It returns how
// many notices it journalled. The server runs it every minute (RunSweeps).
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.Now()
	n, cursor := 0, ""
	for {
		ts, err := s.Store.Transmissions(ctx, TransmissionFilter{Pending: true, NoticeDue: &now, Cursor: cursor, Limit: sweepPage})
		if err != nil {
			return n, err
		}
		for _, t := range ts {
			_, err := s.sendNotice(ctx, t.ID, now)
			switch {
			case err == nil:
				n++
			case errors.Is(err, errNothingDue), truce.ErrorCode(err) == truce.ECONFLICT:
				// Nothing due, or another server sent it first.
			default:
				return n, err
			}
		}
		if len(ts) < sweepPage {
			return n, nil
		}
		cursor = ts[len(ts)-1].ID
	}
}

// RunSweeps runs Sweep after every interval until ctx ends, logging
// failures.
func (s *Service) RunSweeps(ctx context.Context, interval time.Duration) {
	s.every(ctx, interval, "sweeping reminders and overdue acknowledgements", func(ctx context.Context) error {
		_, err := s.Sweep(ctx)
		return err
	})
}

// every runs fn after every interval until ctx ends, each run bounded to
// 30 seconds; a failure is logged with what the run was doing.
func (s *Service) every(ctx context.Context, interval time.Duration, doing string, fn func(context.Context) error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		run, stop := context.WithTimeout(ctx, 30*time.Second)
		if err := fn(run); err != nil && ctx.Err() == nil {
			s.Log.Warn("humanitarian: "+doing, "err", err)
		}
		stop()
	}
}

// sendNotice journals the notice due now about one transmission, if any
// (errNothingDue if none), and when its next one falls due.
func (s *Service) sendNotice(ctx context.Context, id string, now time.Time) (*Notice, error) {
	return journal.Write(ctx, s.Journal, s.Store, nil, func(tx Tx, w *journal.Writer) (*Notice, error) {
		t, err := tx.Transmission(ctx, id)
		if err != nil {
			return nil, err
		}
		latest, bb, err := s.latest(ctx, tx, t)
		if err != nil {
			return nil, err
		}
		ag, err := tx.Agreement(ctx, t.AgreementID)
		if err != nil {
			return nil, err
		}
		sent, err := tx.Notices(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		reminders := Reminders(ag.Rules)
		n := DueNotice(t, latest == t.RecordVersion, reminders, sent, now)
		if n == nil {
			return nil, errNothingDue
		}
		if n.Kind == NoticeOverdue {
			evidence, err := json.Marshal(map[string]any{"transmission": t.ID, "party": t.To, "from": t.From, "record_kind": t.Kind,
				"record_id": t.RecordID, "record_version": t.RecordVersion, "sent_at": t.SentAt, "deadline": t.Deadline, "reason": n.Reason})
			if err != nil {
				return nil, err
			}
			al := &truce.Alert{ID: truce.NewID(), Kind: AlertAckOverdue, State: truce.AlertOpen, Time: now,
				Lon: (bb[0] + bb[2]) / 2, Lat: (bb[1] + bb[3]) / 2, Aircraft: []truce.AlertAircraft{},
				Summary: n.Reason, Episode: t.ID, Evidence: evidence, Version: 1,
				// Addressed to the notifying organisation (the coordinator
				// acknowledges any alert).
				Parties: []string{t.From}}
			al.JournalIndex = w.Journal(truce.Change{Kind: "alert", Subject: al.ID, Body: al, New: true, Visibility: truce.Visibility{Scope: truce.ScopeAll},
				Event: &truce.Event{Data: al, Point: &[2]float64{al.Lon, al.Lat}}})
			if err := tx.PutAlert(ctx, al); err != nil {
				return nil, err
			}
			n.AlertID = al.ID
		}
		n.JournalIndex = w.Journal(truce.Change{Kind: "transmission_notice", Subject: t.ID, Body: n, New: len(sent) == 0,
			Visibility: truce.Visibility{Scope: truce.ScopeAll}, Event: &truce.Event{Data: n, BBox: &bb}})
		if err := tx.PutNotice(ctx, n); err != nil {
			return nil, err
		}
		return n, tx.SetNextNotice(ctx, t.ID, NextNoticeAt(t, reminders, append(sent, *n)))
	})
}

// Notices returns the reminders sent and the overdue alert raised about a
// transmission.
func (s *Service) Notices(ctx context.Context, transmission string) ([]Notice, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	if _, err := s.Store.Transmission(ctx, transmission); err != nil {
		return nil, err
	}
	return s.Store.Notices(ctx, transmission)
}

// String is a notice's line for logs and tests.
func (n Notice) String() string {
	return fmt.Sprintf("%s %d of %s: %s", n.Kind, n.Seq, n.Transmission, n.Reason)
}
