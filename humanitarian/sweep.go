package humanitarian

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/truce-project/truce"
	"github.com/truce-project/truce/journal"
)

// errNothingDue ends a sweep's write that found no notice due. It is a
// truce error so that the store hands it back as it is (a store wraps any
// other error into its own, and errors.Is would no longer find it).
var errNothingDue = truce.Errorf(truce.ECONFLICT, "No notice is due.")

// sweepPage is how many due transmissions a sweep reads at once.
const sweepPage = 100

// KindNotice is the journal kind of a notice about a transmission; its
// subject is the transmission's id, one entry per notice.
const KindNotice = "transmission_notice"

// Sweep sends the reminders and raises the "acknowledgement overdue"
// alerts due now (DueNotice), each journalled in its own write with the
// notice that records it was sent, so that a notice is sent once per
// transmission whatever restarts or other servers do. It returns how
// many notices it journalled. The server runs it every minute (RunSweeps).
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.Now()
	n, cursor := 0, ""
	// A transmission whose record does not match the journal is left out
	// and reported (EINTEGRITY, after the others): no notice is sent about
	// a row edited behind the service, and one edited row does not stop
	// the reminders of every other.
	var refused error
	for {
		var rows []*Transmission
		ts, err := journal.Read(ctx, s.Journal, func(ctx context.Context) ([]*Transmission, error) {
			var err error
			if rows, err = s.Store.Transmissions(ctx, TransmissionFilter{Pending: true, NoticeDue: &now, Cursor: cursor, Limit: sweepPage}); err != nil {
				return nil, err
			}
			good, first, err := journal.VouchRecords(ctx, s.Journal, KindTransmission, rows, transmissionID)
			refused = cmp.Or(refused, first)
			return good, err
		})
		if err != nil {
			return n, err
		}
		for _, t := range ts {
			_, err := s.sendNotice(ctx, t, now)
			switch {
			case err == nil:
				n++
			case errors.Is(err, errNothingDue), truce.ErrorCode(err) == truce.ECONFLICT:
				// Nothing due, or another server sent it first.
			case truce.ErrorCode(err) == truce.EINTEGRITY:
				refused = cmp.Or(refused, err)
			default:
				return n, err
			}
		}
		if len(rows) < sweepPage {
			return n, refused
		}
		cursor = rows[len(rows)-1].ID
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

// sendNotice journals the notice due now about one transmission, read
// vouched by the journal, if any (errNothingDue if none), and when its
// next one falls due. The notices already sent are vouched too; when the
// transmission or its notices changed since they were read, nothing is
// sent: the next sweep reads them again.
func (s *Service) sendNotice(ctx context.Context, vouched *Transmission, now time.Time) (*Notice, error) {
	sentV, err := s.vouchedNotices(ctx, vouched.ID)
	if err != nil {
		return nil, err
	}
	return journal.Write(ctx, s.Journal, s.Store, nil, func(tx Tx, w *journal.Writer) (*Notice, error) {
		t, err := tx.Transmission(ctx, vouched.ID)
		if err != nil {
			return nil, err
		}
		if !journal.Same(t, vouched) {
			return nil, errNothingDue
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
		if !sameNotices(sent, sentV) {
			return nil, errNothingDue
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
		n.JournalIndex = w.Journal(truce.Change{Kind: KindNotice, Subject: t.ID, Body: n, New: len(sent) == 0,
			Visibility: truce.Visibility{Scope: truce.ScopeAll}, Event: &truce.Event{Data: n, BBox: &bb}})
		if err := tx.PutNotice(ctx, n); err != nil {
			return nil, err
		}
		return n, tx.SetNextNotice(ctx, t.ID, NextNoticeAt(t, reminders, append(sent, *n)))
	})
}

// Notices returns the reminders sent and the overdue alert raised about a
// transmission, vouched by the journal.
func (s *Service) Notices(ctx context.Context, transmission string) ([]Notice, error) {
	if _, err := truce.RequireCaller(ctx); err != nil {
		return nil, err
	}
	if _, err := journal.VouchedFind(ctx, s.Journal, KindTransmission, func(ctx context.Context) (*Transmission, error) {
		return s.Store.Transmission(ctx, transmission)
	}, transmissionID); err != nil {
		return nil, err
	}
	return s.vouchedNotices(ctx, transmission)
}

// sameNotices reports whether two lists of notices hold the same ones.
func sameNotices(a, b []Notice) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !journal.Same(&a[i], &b[i]) {
			return false
		}
	}
	return true
}

// vouchedNotices reads the notices about a transmission and checks them
// against the journal's, in one snapshot: each stored notice must be one
// the journal holds, and the journal none more (EINTEGRITY).
func (s *Service) vouchedNotices(ctx context.Context, transmission string) ([]Notice, error) {
	return journal.Read(ctx, s.Journal, func(ctx context.Context) ([]Notice, error) {
		rows, err := s.Store.Notices(ctx, transmission)
		if err != nil {
			return nil, err
		}
		rs, err := s.Journal.SubjectEntries(ctx, KindNotice, transmission)
		if err != nil {
			return nil, err
		}
		key := func(n *Notice) string { return fmt.Sprintf("%s/%d", n.Kind, n.Seq) }
		held := make(map[string]*Notice, len(rs))
		for _, r := range rs {
			n := new(Notice)
			if err := json.Unmarshal(r.Body, n); err != nil {
				return nil, s.Journal.Refuse(KindNotice+" "+transmission, fmt.Sprintf("The notices of transmission %s have an unreadable journal entry %d", transmission, r.Index))
			}
			journal.EntryIndex(n, r.Index)
			held[key(n)] = n
		}
		for i := range rows {
			n := &rows[i]
			if j, ok := held[key(n)]; !ok || !journal.Same(n, j) {
				return nil, s.Journal.Refuse(KindNotice+" "+transmission, fmt.Sprintf("The %s notice %d of transmission %s does not match the journal", n.Kind, n.Seq, transmission))
			}
		}
		if len(rows) != len(held) {
			return nil, s.Journal.Refuse(KindNotice+" "+transmission, fmt.Sprintf("Transmission %s has %d notices in its journal and %d stored", transmission, len(held), len(rows)))
		}
		s.Journal.Integrity.Clear(KindNotice + " " + transmission)
		return rows, nil
	})
}

// String is a notice's line for logs and tests.
func (n Notice) String() string {
	return fmt.Sprintf("%s %d of %s: %s", n.Kind, n.Seq, n.Transmission, n.Reason)
}
